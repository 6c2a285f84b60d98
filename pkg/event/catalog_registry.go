package event

import "time"

// The registry's events. Payloads carry ids, codes and categories, never a
// name, mobile or ID number: statistics subscribers count, they do not need
// to know who.
var (
	StreetCreated        = Name{"registry", "street", "created"}
	CommunityCreated     = Name{"registry", "community", "created"}
	EnterpriseRegistered = Name{"registry", "enterprise", "registered"}
	EnterpriseUpdated    = Name{"registry", "enterprise", "updated"}
	WorkerRegistered     = Name{"registry", "worker", "registered"}
	WorkerUpdated        = Name{"registry", "worker", "updated"}
	WorkerCheckedIn      = Name{"registry", "worker", "checked_in"}
	WorkerLeft           = Name{"registry", "worker", "left"}
	// WorkerConfirmed and WorkerRejected: a clerk decided on a worker who
	// registered themself (报到 from the phone). A rejected worker is out
	// of the ledger as one who left is (status "rejected").
	WorkerConfirmed = Name{"registry", "worker", "confirmed"}
	WorkerRejected  = Name{"registry", "worker", "rejected"}
	StationOpened   = Name{"registry", "station", "opened"}
	// StationUpdated and StationClosed: staff edited or closed a station
	// (data StationChangeData). A closed station is no longer nearby.
	StationUpdated = Name{"registry", "station", "updated"}
	StationClosed  = Name{"registry", "station", "closed"}
	// EnterpriseClosed: a clerk recorded an enterprise closed (data
	// EnterpriseClosedData); it stays in the ledger, flagged.
	EnterpriseClosed = Name{"registry", "enterprise", "closed"}
)

// StreetData is the data of registry.street.created.
type StreetData struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// CommunityData is the data of registry.community.created.
type CommunityData struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Street string `json:"street"`
}

// EnterpriseData is the data of registry.enterprise.registered and .updated.
type EnterpriseData struct {
	EnterpriseID string   `json:"enterprise_id"`
	Kind         string   `json:"kind"`
	Street       string   `json:"street"`
	Community    string   `json:"community"`
	HasPartyOrg  bool     `json:"has_party_org"`
	Changed      []string `json:"changed,omitempty"` // field names, on .updated
}

// WorkerData is the data of registry.worker.registered, .updated, .left,
// .confirmed and .rejected: what another service needs for its projection
// of a worker.
type WorkerData struct {
	WorkerID          string   `json:"worker_id"`
	Street            string   `json:"street"`
	Community         string   `json:"community"`
	Occupation        string   `json:"occupation"`
	Platform          string   `json:"platform,omitempty"`
	EnterpriseID      string   `json:"enterprise_id,omitempty"`
	PoliticalStatus   string   `json:"political_status"`
	MobilePartyMember bool     `json:"mobile_party_member"`
	Status            string   `json:"status"` // active | left | rejected
	Changed           []string `json:"changed,omitempty"`
	// MobileMatch is the keyed hash of the worker's mobile (pii.MobileMatch,
	// key MOBILE_MATCH_KEY): the identity service signs a rider in as the
	// worker whose match their number has. Without the key it tells no one
	// the number.
	MobileMatch string `json:"mobile_match,omitempty"`
	// SelfRegistered marks a worker who registered themself from the phone;
	// Confirmation is then awaiting, confirmed or rejected (a clerk's
	// decision).
	SelfRegistered bool   `json:"self_registered,omitempty"`
	Confirmation   string `json:"confirmation,omitempty"`
}

// CheckInData is the data of registry.worker.checked_in.
type CheckInData struct {
	WorkerID    string    `json:"worker_id"`
	Street      string    `json:"street"`
	Community   string    `json:"community"`
	Channel     string    `json:"channel"` // online | station
	StationID   string    `json:"station_id,omitempty"`
	CheckedInAt time.Time `json:"checked_in_at"`
}

// StationData is the data of registry.station.opened.
type StationData struct {
	StationID  string   `json:"station_id"`
	Name       string   `json:"name,omitempty"`    // a public place's name, e.g. 奇山街道暖新驿站
	Address    string   `json:"address,omitempty"` // its street address
	Kind       string   `json:"kind"`
	Street     string   `json:"street"`
	Community  string   `json:"community"`
	Lat        float64  `json:"lat"`
	Lng        float64  `json:"lng"`
	Facilities []string `json:"facilities"`
}

// The vocabularies of WorkerData, part of the contract: consumers may filter
// by them (notification's segments).
var (
	Occupations = []string{"food_delivery", "courier", "ride_hailing_driver", "freight_driver", "designated_driver", "other"}
	// PoliticalStatuses runs from the masses through the party-development
	// pipeline (applicant → activist → development target → probationary
	// member → full member); other_party is a member of a democratic party.
	PoliticalStatuses = []string{"masses", "league_member", "applicant", "activist", "development_target",
		"probationary_member", "party_member", "other_party"}
)

// StationChangeData is the data of registry.station.updated (Changed names
// the fields whose values changed) and registry.station.closed (Changed
// [status], ClosedAt): the station as it now is.
type StationChangeData struct {
	StationData
	Changed  []string   `json:"changed,omitempty"`
	ClosedAt *time.Time `json:"closed_at,omitempty"`
}

// EnterpriseClosedData is the data of registry.enterprise.closed: the
// enterprise (Changed [status]) and the day it closed, YYYY-MM-DD.
type EnterpriseClosedData struct {
	EnterpriseData
	ClosedOn string `json:"closed_on"`
}
