// Package registry is the district's census ledger of new-economy
// enterprises and workers (一台账三名册), the warm stations they rest at, and
// workers' check-ins with a community.
//
// This file is the domain: types, vocabularies and the rules of each use
// case, including who may do what. SQL lives in store.go, HTTP in
// transport_http.go.
package registry

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/pii"
	"github.com/nuanxin/nuanxin/pkg/places"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Vocabularies. Values are stable English codes; the Chinese labels are for
// display and for the spreadsheets clerks import.
var (
	EnterpriseKinds = []string{"express_outlet", "parcel_station", "logistics", "delivery_station", "ride_hailing", "freight", "other"}
	Occupations     = event.Occupations // as the worker events carry them
	// PoliticalStatuses runs from the masses through the party-development
	// pipeline; see event.PoliticalStatuses.
	PoliticalStatuses = event.PoliticalStatuses
	StationKinds      = []string{"warm_station", "rider_station", "love_corner", "shared_locker", "other"}
	Facilities        = []string{"charging", "water", "microwave", "medicine", "toilet", "aircon", "heating", "books", "pump", "fridge", "bed", "wifi", "locker", "umbrella", "repair"}
	CheckInChannels   = []string{"online", "station"}
)

// Worker statuses. A rejected worker registered themself and a clerk
// refused the registration: out of the ledger's counts, as one who left.
const (
	StatusActive   = "active"
	StatusLeft     = "left"
	StatusRejected = "rejected"
)

// WorkerStatuses are the statuses a worker list filters by.
var WorkerStatuses = []string{StatusActive, StatusLeft, StatusRejected}

// Confirmations are a clerk's decision on a self-registered worker.
const (
	ConfirmationAwaiting  = "awaiting"
	ConfirmationConfirmed = "confirmed"
	ConfirmationRejected  = "rejected"
)

// Confirmations lists them, for filters.
var Confirmations = []string{ConfirmationAwaiting, ConfirmationConfirmed, ConfirmationRejected}

// Street is a street office (街道办事处).
type Street struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Community is a community (社区) under a street office.
type Community struct {
	Code      string    `json:"code"`
	Street    string    `json:"street"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// OrgStreet is one street office with its communities, for GET /v1/org.
type OrgStreet struct {
	Street
	Communities []Community `json:"communities"`
}

// Contact is an enterprise's contact person; the mobile is shown masked.
type Contact struct {
	Name   string `json:"name"`
	Mobile string `json:"mobile"`
}

// Enterprise is a new-economy enterprise: an express outlet, a parcel
// station, a logistics company, a delivery station.
type Enterprise struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name"`
	Kind        string    `json:"kind"`
	CreditCode  string    `json:"credit_code,omitempty"`
	Street      string    `json:"street"`
	Community   string    `json:"community"`
	Address     string    `json:"address"`
	Contact     Contact   `json:"contact"`
	HasPartyOrg bool      `json:"has_party_org"`
	// Status is active, or closed once a clerk recorded the enterprise
	// closed (POST /v1/enterprises/{id}/close): ClosedOn is the day it
	// closed (YYYY-MM-DD, as the clerk was told), ClosedAt when that was
	// recorded, CloseReason why. A closed enterprise stays in the ledger.
	Status      string     `json:"status"`
	ClosedOn    string     `json:"closed_on,omitempty"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`
	CloseReason string     `json:"close_reason,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`

	contactMobileEnc []byte
}

// Enterprise statuses.
const (
	EnterpriseActive = "active"
	EnterpriseClosed = "closed"
)

// EnterpriseStatuses are the statuses an enterprise list filters by.
var EnterpriseStatuses = []string{EnterpriseActive, EnterpriseClosed}

// Worker is a rider, courier or driver in the ledger. Mobile and IDNumber
// hold masked values; the full ones come only from WorkerPII.
type Worker struct {
	ID                uuid.UUID  `json:"id"`
	Name              string     `json:"name"`
	Mobile            string     `json:"mobile"`
	IDNumber          string     `json:"id_number"`
	Occupation        string     `json:"occupation"`
	Street            string     `json:"street"`
	Community         string     `json:"community"`
	EnterpriseID      *uuid.UUID `json:"enterprise_id"`
	Platform          string     `json:"platform"`
	PoliticalStatus   string     `json:"political_status"`
	MobilePartyMember bool       `json:"mobile_party_member"`
	HomePartyOrg      string     `json:"home_party_org"`
	Status            string     `json:"status"`
	LeftAt            *time.Time `json:"left_at,omitempty"`
	LeaveReason       string     `json:"leave_reason,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
	// SelfRegistered marks a worker who registered themself (线上报到);
	// Confirmation is then a clerk's decision: awaiting, confirmed or
	// rejected, with who decided, when and (a rejection) why.
	SelfRegistered bool       `json:"self_registered,omitempty"`
	Confirmation   string     `json:"confirmation,omitempty"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
	DecidedBy      string     `json:"decided_by,omitempty"`
	DecisionReason string     `json:"decision_reason,omitempty"`
	// CreatedBy is who entered the worker: a staff subject, or
	// "self-registration". Not shown.
	CreatedBy string `json:"-"`

	mobileEnc, idNumberEnc []byte
}

// WorkerPII is a worker's personal data in full.
type WorkerPII struct {
	ID       uuid.UUID `json:"id"`
	Name     string    `json:"name"`
	Mobile   string    `json:"mobile"`
	IDNumber string    `json:"id_number"`
}

// CheckIn is a worker's check-in (报到) with a community.
type CheckIn struct {
	ID          uuid.UUID  `json:"id"`
	WorkerID    uuid.UUID  `json:"worker_id"`
	Street      string     `json:"street"`
	Community   string     `json:"community"`
	Channel     string     `json:"channel"`
	StationID   *uuid.UUID `json:"station_id,omitempty"`
	CheckedInAt time.Time  `json:"checked_in_at"`
}

// Station is a warm station (暖新驿站) or similar rest stop.
type Station struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	Street    string    `json:"street"`
	Community string    `json:"community"`
	Host      string    `json:"host"`
	Lat       float64   `json:"lat"`
	Lng       float64   `json:"lng"`
	Address   string    `json:"address"`
	// Phone is the number a rider calls the station at ('' when none).
	Phone        string       `json:"phone,omitempty"`
	OpeningHours OpeningHours `json:"opening_hours"`
	Facilities   []string     `json:"facilities"`
	// Status is open, or closed once staff closed the station (POST
	// /v1/stations/{id}/close), with when and why; a closed station is
	// no longer among the nearby ones.
	Status      string     `json:"status"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`
	CloseReason string     `json:"close_reason,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// Station statuses.
const (
	StationOpen   = "open"
	StationClosed = "closed"
)

// StationStatuses are the statuses a station list filters by.
var StationStatuses = []string{StationOpen, StationClosed}

// NearbyStation is a station with its distance from the asker and whether
// it is open at the time of asking.
type NearbyStation struct {
	Station
	DistanceM float64 `json:"distance_m"`
	OpenNow   bool    `json:"open_now"`
}

// Page is one page of a list, with the cursor of the next page ("" at the
// end) and, for the lists that count it, Total: how many items match the
// filters on all pages together.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
	Total *int   `json:"total,omitempty"`
}

// Service implements the registry's use cases.
type Service struct {
	store *Store
	box   *pii.Box
	match *pii.MobileMatch
	now   func() time.Time

	importWake chan struct{} // StartImport nudges an ImportRunner
}

// NewService returns the registry service over store, encrypting personal
// data with box. Every worker event carries the match of the worker's
// mobile (match, key MOBILE_MATCH_KEY), by which the identity service
// knows whose number signs in as which worker.
func NewService(store *Store, box *pii.Box, match *pii.MobileMatch) *Service {
	return &Service{store: store, box: box, match: match, now: now, importWake: make(chan struct{}, 1)}
}

// now is the current time as Postgres keeps it (UTC, microseconds), so an
// answer to a create and a later read show the same timestamps.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// pending is an event the store writes to the outbox in the same
// transaction as the change that caused it.
type pending struct {
	name    event.Name
	street  string
	subject string
	data    any
}

var errWorkerNotFound = fault.NotFoundf("worker not found")

// ---- org tree ----

// StreetInput creates a street office.
type StreetInput struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// CreateStreet adds a street office; district admins only.
func (s *Service) CreateStreet(ctx context.Context, p auth.Principal, in StreetInput) (Street, error) {
	if p.Role != auth.DistrictAdmin {
		return Street{}, fault.Forbiddenf("only a district admin may create a street office")
	}
	var c validate.Collector
	c.Code("code", in.Code)
	name := c.Text("name", in.Name, 1, 50)
	if err := c.Err(); err != nil {
		return Street{}, err
	}
	st := Street{Code: in.Code, Name: name, CreatedAt: s.now()}
	ev := pending{event.StreetCreated, st.Code, st.Code, event.StreetData{Code: st.Code, Name: st.Name}}
	if err := s.store.CreateStreet(ctx, st, ev); err != nil {
		return Street{}, err
	}
	return st, nil
}

// CommunityInput creates a community.
type CommunityInput struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// CreateCommunity adds a community to a street office; district admins and
// that street's admins.
func (s *Service) CreateCommunity(ctx context.Context, p auth.Principal, street string, in CommunityInput) (Community, error) {
	if !p.AtLeastStreetAdmin() {
		return Community{}, fault.Forbiddenf("only street or district admins may create communities")
	}
	if !validate.IsCode(street) || !p.SeesStreet(street) {
		// A path that is no street code names no street.
		return Community{}, fault.NotFoundf("street not found")
	}
	var c validate.Collector
	c.Code("code", in.Code)
	name := c.Text("name", in.Name, 1, 50)
	if err := c.Err(); err != nil {
		return Community{}, err
	}
	cm := Community{Code: in.Code, Street: street, Name: name, CreatedAt: s.now()}
	ev := pending{event.CommunityCreated, street, cm.Code, event.CommunityData{Code: cm.Code, Name: cm.Name, Street: street}}
	if err := s.store.CreateCommunity(ctx, cm, ev); err != nil {
		return Community{}, err
	}
	return cm, nil
}

// Org returns the street offices and communities the caller can see.
// Workers see the whole tree: they choose a community to check in with.
func (s *Service) Org(ctx context.Context, p auth.Principal) ([]OrgStreet, error) {
	all, err := s.store.Org(ctx)
	if err != nil {
		return nil, err
	}
	if p.Role == auth.DistrictAdmin || p.Role == auth.Worker {
		return all, nil
	}
	out := []OrgStreet{}
	for _, st := range all {
		if st.Code != p.Street {
			continue
		}
		if p.Role == auth.CommunityStaff {
			st.Communities = slices.DeleteFunc(st.Communities, func(c Community) bool { return c.Code != p.Community })
		}
		out = append(out, st)
	}
	return out, nil
}

// lookup finds the communities and enterprises a request refers to. The
// store is one; an import wraps it in a cache, since a spreadsheet names the
// same few communities on every row.
type lookup interface {
	Community(ctx context.Context, code string) (Community, bool, error)
	Enterprise(ctx context.Context, id uuid.UUID) (Enterprise, bool, error)
}

// scopeOf resolves a community code to its street and checks that the caller
// may act on it. An unknown community and one out of scope give the same
// field error, so a caller learns nothing about other streets.
func (s *Service) scopeOf(ctx context.Context, p auth.Principal, c *validate.Collector, field, community string) (street string, err error) {
	return scopeIn(ctx, s.store, p, c, field, community)
}

func scopeIn(ctx context.Context, look lookup, p auth.Principal, c *validate.Collector, field, community string) (street string, err error) {
	if community == "" {
		c.Add(field, validate.CodeRequired, "is required")
		return "", nil
	}
	if !validate.IsCode(community) {
		// Not a code (a NUL byte, not UTF-8, a name): it names no community,
		// and is kept away from the database.
		c.Add(field, validate.CodeUnknownValue, "no such community")
		return "", nil
	}
	cm, found, err := look.Community(ctx, community)
	if err != nil {
		return "", err
	}
	if !found || !p.SeesCommunity(cm.Street, cm.Code) {
		c.Add(field, validate.CodeUnknownValue, "no such community")
		return "", nil
	}
	return cm.Street, nil
}

// ListQuery is what every list accepts: a scope filter and a page.
type ListQuery struct {
	Street    string
	Community string
	Limit     int    // 1..500; the HTTP API defaults it to 50
	After     string // cursor: the id of the last item of the previous page
}

// scopeQuery narrows a list query to the caller's scope (places.Filter):
// a street or community filter outside it, or one that does not exist, is
// a field error in c, never an empty list.
func (s *Service) scopeQuery(ctx context.Context, p auth.Principal, c *validate.Collector, q ListQuery) (ListQuery, error) {
	var err error
	q.Street, q.Community, err = places.Filter(ctx, placeLookup{s.store}, c, p, q.Street, q.Community)
	return q, wrap("list scope", err)
}

// placeLookup finds streets and communities in the registry's own tables,
// for places.Filter.
type placeLookup struct{ store *Store }

func (l placeLookup) StreetKnown(ctx context.Context, street string) (bool, error) {
	return l.store.StreetKnown(ctx, street)
}

func (l placeLookup) StreetOf(ctx context.Context, community string) (string, bool, error) {
	cm, found, err := l.store.Community(ctx, community)
	return cm.Street, found, err
}

func checkPage(c *validate.Collector, q *ListQuery) {
	c.Check(q.Limit >= 1 && q.Limit <= 500, "limit", validate.CodeOutOfRange, "must be between 1 and 500")
	if q.After != "" {
		_, err := uuid.Parse(q.After)
		c.Check(err == nil, "after", validate.CodeInvalidFormat, "must be the next cursor of a previous page")
	}
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}
