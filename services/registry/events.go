package registry

import (
	"github.com/nuanxin/nuanxin/pkg/event"
)

// stationEvent is a station's registry.station.updated or .closed: the
// station as it now is, the fields that changed, and when it closed.
func stationEvent(name event.Name, st Station, changed []string) pending {
	return pending{name, st.Street, st.ID.String(), event.StationChangeData{
		StationData: stationData(st), Changed: changed, ClosedAt: st.ClosedAt,
	}}
}

func stationData(st Station) event.StationData {
	return event.StationData{
		StationID: st.ID.String(), Name: st.Name, Address: st.Address, Kind: st.Kind, Street: st.Street, Community: st.Community,
		Lat: st.Lat, Lng: st.Lng, Facilities: st.Facilities,
	}
}
