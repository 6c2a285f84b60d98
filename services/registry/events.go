package registry

import (
	"time"

	"github.com/nuanxin/nuanxin/pkg/event"
)

// Events the registry publishes beyond those of the shared catalog
// (pkg/event): a station's edit and closing, and an enterprise's closing.
// Their payloads extend the catalog's types (additive members only), so
// a consumer that decodes event.StationData or event.EnterpriseData reads
// them as it reads registry.station.opened and registry.enterprise.updated.
//
// They belong in pkg/event's catalog and docs/events/registry.asyncapi.yaml,
// which are held to each other (pkg/event's asyncapi test) and, for stats,
// to its handled and Ignored lists; until they move there, stats archives
// them with every event of the REGISTRY stream and no figure counts them.
var (
	stationUpdated   = event.Name{Service: "registry", Entity: "station", Verb: "updated"}
	stationClosed    = event.Name{Service: "registry", Entity: "station", Verb: "closed"}
	enterpriseClosed = event.Name{Service: "registry", Entity: "enterprise", Verb: "closed"}
)

// stationChangeData is the data of registry.station.updated (Changed names
// the fields whose values changed) and registry.station.closed (ClosedAt):
// the station as it now is.
type stationChangeData struct {
	event.StationData
	Changed  []string   `json:"changed,omitempty"`
	ClosedAt *time.Time `json:"closed_at,omitempty"`
}

// enterpriseClosedData is the data of registry.enterprise.closed: the
// enterprise with changed [status] and the day it closed. The reason
// stays in the registry.
type enterpriseClosedData struct {
	event.EnterpriseData
	ClosedOn string `json:"closed_on"`
}

func stationEvent(name event.Name, st Station, changed []string) pending {
	return pending{name, st.Street, st.ID.String(), stationChangeData{
		StationData: stationData(st), Changed: changed, ClosedAt: st.ClosedAt,
	}}
}

func stationData(st Station) event.StationData {
	return event.StationData{
		StationID: st.ID.String(), Name: st.Name, Address: st.Address, Kind: st.Kind, Street: st.Street, Community: st.Community,
		Lat: st.Lat, Lng: st.Lng, Facilities: st.Facilities,
	}
}
