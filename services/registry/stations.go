package registry

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Shanghai is the zone "now" and opening hours are read in.
var Shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// Every Go binary can embed tzdata; a missing zone is a build fault.
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// OpeningPeriod is one regular opening: on the given ISO weekdays (1 = Monday
// … 7 = Sunday) from Open to Close, "HH:MM". A Close before Open runs past
// midnight into the next day; "00:00"–"24:00" is all day.
type OpeningPeriod struct {
	Days  []int  `json:"days"`
	Open  string `json:"open"`
	Close string `json:"close"`
}

// OpeningHours are a station's regular openings.
type OpeningHours []OpeningPeriod

func minutes(hhmm string) (int, bool) {
	if len(hhmm) != 5 || hhmm[2] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(hhmm[:2])
	m, err2 := strconv.Atoi(hhmm[3:])
	if err1 != nil || err2 != nil || m < 0 || m > 59 || h < 0 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

func (oh OpeningHours) check(c *validate.Collector, field string) {
	if len(oh) == 0 {
		c.Add(field, validate.CodeRequired, `give at least one period, e.g. [{"days":[1,2,3,4,5,6,7],"open":"00:00","close":"24:00"}]`)
		return
	}
	if len(oh) > 14 {
		c.Add(field, validate.CodeTooLong, "at most 14 periods")
		return
	}
	for i, p := range oh {
		f := fmt.Sprintf("%s[%d]", field, i)
		if len(p.Days) == 0 {
			c.Add(f+".days", validate.CodeRequired, "list the ISO weekdays, 1 = Monday … 7 = Sunday")
		}
		for _, d := range p.Days {
			if d < 1 || d > 7 {
				c.Add(f+".days", validate.CodeOutOfRange, "weekdays run from 1 (Monday) to 7 (Sunday)")
				break
			}
		}
		o, ok1 := minutes(p.Open)
		cl, ok2 := minutes(p.Close)
		c.Check(ok1 && o < 24*60, f+".open", validate.CodeInvalidFormat, `must be a time "HH:MM" before 24:00`)
		c.Check(ok2, f+".close", validate.CodeInvalidFormat, `must be a time "HH:MM" up to 24:00`)
		if ok1 && ok2 {
			c.Check(o != cl, f+".close", validate.CodeInvalidFormat, "must differ from open")
		}
	}
}

// OpenAt reports whether the station is open at t (read in Asia/Shanghai).
func (oh OpeningHours) OpenAt(t time.Time) bool {
	t = t.In(Shanghai)
	day := int(t.Weekday())
	if day == 0 {
		day = 7
	}
	yesterday := day - 1
	if yesterday == 0 {
		yesterday = 7
	}
	m := t.Hour()*60 + t.Minute()
	for _, p := range oh {
		o, _ := minutes(p.Open)
		cl, _ := minutes(p.Close)
		if o < cl {
			if slices.Contains(p.Days, day) && m >= o && m < cl {
				return true
			}
			continue
		}
		// Past midnight: the evening part today, the early part from yesterday.
		if (slices.Contains(p.Days, day) && m >= o) || (slices.Contains(p.Days, yesterday) && m < cl) {
			return true
		}
	}
	return false
}

// StationInput opens a station.
type StationInput struct {
	Name         string       `json:"name"`
	Kind         string       `json:"kind"`
	Community    string       `json:"community"`
	Host         string       `json:"host"`
	Lat          *float64     `json:"lat"`
	Lng          *float64     `json:"lng"`
	Address      string       `json:"address"`
	Phone        string       `json:"phone"`
	OpeningHours OpeningHours `json:"opening_hours"`
	Facilities   []string     `json:"facilities"`
}

// OpenStation adds a warm station; staff in scope of its community.
func (s *Service) OpenStation(ctx context.Context, p auth.Principal, in StationInput) (Station, error) {
	if !p.IsStaff() {
		return Station{}, fault.Forbiddenf("only staff may open stations")
	}
	var c validate.Collector
	st := Station{ID: newID(), OpeningHours: in.OpeningHours, Status: StationOpen}
	st.Name = c.Text("name", in.Name, 1, 100)
	st.Kind = c.OneOf("kind", in.Kind, StationKinds)
	st.Host = c.Text("host", in.Host, 0, 100)
	st.Address = c.Text("address", in.Address, 0, 200)
	st.Phone = c.OptionalPhone("phone", in.Phone)
	if c.Check(in.Lat != nil, "lat", validate.CodeRequired, "is required") &&
		c.Check(in.Lng != nil, "lng", validate.CodeRequired, "is required") &&
		c.LatLng("lat", "lng", *in.Lat, *in.Lng) {
		st.Lat, st.Lng = *in.Lat, *in.Lng
	}
	in.OpeningHours.check(&c, "opening_hours")
	st.Facilities = checkFacilities(&c, "facilities", in.Facilities)
	street, err := s.scopeOf(ctx, p, &c, "community", in.Community)
	if err != nil {
		return Station{}, wrap("open station", err)
	}
	if err := c.Err(); err != nil {
		return Station{}, err
	}
	st.Street, st.Community = street, in.Community
	st.CreatedAt = s.now()
	st.UpdatedAt = st.CreatedAt
	ev := pending{event.StationOpened, st.Street, st.ID.String(), stationData(st)}
	if err := s.store.CreateStation(ctx, st, ev); err != nil {
		return Station{}, err
	}
	return st, nil
}

func checkFacilities(c *validate.Collector, field string, in []string) []string {
	out := []string{}
	for _, f := range in {
		if !slices.Contains(Facilities, f) {
			c.Add(field, validate.CodeUnknownValue, fmt.Sprintf("unknown facility; use any of %v", Facilities))
			return nil
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

// NearbyQuery asks for stations around a point.
type NearbyQuery struct {
	Lat, Lng float64
	RadiusM  float64 // default 3000, at most 50000
	Facility string  // optional: only stations that have it
	OpenNow  bool    // only stations open now
	Limit    int     // default 20, at most 100
	LatGiven bool
	LngGiven bool
}

// NearbyStations lists stations within the radius, nearest first, each with
// whether it is open now. Stations are public places: every signed-in caller
// sees all of them, whatever their street.
func (s *Service) NearbyStations(ctx context.Context, _ auth.Principal, q NearbyQuery) ([]NearbyStation, error) {
	var c validate.Collector
	if c.Check(q.LatGiven, "lat", validate.CodeRequired, "is required") && c.Check(q.LngGiven, "lng", validate.CodeRequired, "is required") {
		c.LatLng("lat", "lng", q.Lat, q.Lng)
	}
	c.Check(q.RadiusM >= 1 && q.RadiusM <= 50000, "radius_m", validate.CodeOutOfRange, "must be between 1 and 50000 metres")
	if q.Facility != "" {
		c.OneOf("facility", q.Facility, Facilities)
	}
	c.Check(q.Limit >= 1 && q.Limit <= 100, "limit", validate.CodeOutOfRange, "must be between 1 and 100")
	if err := c.Err(); err != nil {
		return nil, err
	}
	// Opening hours are not in SQL, so fetch more and filter when asked.
	fetch := q.Limit
	if q.OpenNow {
		fetch = 500
	}
	found, err := s.store.Nearby(ctx, q.Lat, q.Lng, q.RadiusM, q.Facility, fetch)
	if err != nil {
		return nil, wrap("nearby stations", err)
	}
	now := s.now()
	out := make([]NearbyStation, 0, len(found))
	for _, st := range found {
		st.OpenNow = st.OpeningHours.OpenAt(now)
		if q.OpenNow && !st.OpenNow {
			continue
		}
		out = append(out, st)
		if len(out) == q.Limit {
			break
		}
	}
	return out, nil
}

var errStationNotFound = fault.NotFoundf("station not found")

// StationQuery filters the station list.
type StationQuery struct {
	ListQuery
	Status   string // open | closed
	Kind     string
	Facility string // only stations that have it
	Q        string // part of the name
}

// publicPlaces is the scope a worker reads stations in: stations are
// public places, so every open one of the district, whatever the street.
var publicPlaces = auth.Principal{Subject: "public-places", Role: auth.DistrictAdmin}

// ListStations lists the stations in the caller's scope, open and closed.
// A worker lists the open stations of the whole district (a rider without
// a location picks a community and sees its stations); never closed ones.
func (s *Service) ListStations(ctx context.Context, p auth.Principal, q StationQuery) (Page[Station], error) {
	worker := p.Role == auth.Worker
	if !p.IsStaff() && !worker {
		return Page[Station]{}, fault.Forbiddenf("only staff and workers may list stations")
	}
	var c validate.Collector
	checkPage(&c, &q.ListQuery)
	if q.Status != "" {
		c.OneOf("status", q.Status, StationStatuses)
	}
	if worker {
		c.Check(q.Status == "" || q.Status == StationOpen, "status", validate.CodeUnknownValue, "workers see open stations only")
		q.Status, p = StationOpen, publicPlaces
	}
	if q.Kind != "" {
		c.OneOf("kind", q.Kind, StationKinds)
	}
	if q.Facility != "" {
		c.OneOf("facility", q.Facility, Facilities)
	}
	lq, err := s.scopeQuery(ctx, p, &c, q.ListQuery)
	if err != nil {
		return Page[Station]{}, err
	}
	if err := c.Err(); err != nil {
		return Page[Station]{}, err
	}
	q.ListQuery = lq
	return s.store.ListStations(ctx, q)
}

// GetStation returns one station in the caller's scope, open or closed.
// A worker sees any open station (a public place) and not a closed one.
func (s *Service) GetStation(ctx context.Context, p auth.Principal, id uuid.UUID) (Station, error) {
	st, found, err := s.store.Station(ctx, id)
	if err != nil {
		return Station{}, wrap("get station", err)
	}
	seen := found && p.SeesCommunity(st.Street, st.Community)
	if p.Role == auth.Worker {
		seen = found && st.Status == StationOpen
	}
	if !seen {
		return Station{}, errStationNotFound
	}
	return st, nil
}

// StationPatch changes some fields of a station; nil leaves a field as it
// is. A station does not move to another community: that is closing it
// and opening another.
type StationPatch struct {
	Name         *string       `json:"name"`
	Kind         *string       `json:"kind"`
	Host         *string       `json:"host"`
	Lat          *float64      `json:"lat"`
	Lng          *float64      `json:"lng"`
	Address      *string       `json:"address"`
	Phone        *string       `json:"phone"`
	OpeningHours *OpeningHours `json:"opening_hours"`
	Facilities   *[]string     `json:"facilities"`
}

// UpdateStation applies a patch to an open station, validated as
// OpenStation validates; staff in scope. A patch that changes nothing
// writes nothing and emits nothing.
func (s *Service) UpdateStation(ctx context.Context, p auth.Principal, id uuid.UUID, in StationPatch) (Station, error) {
	if !p.IsStaff() {
		return Station{}, fault.Forbiddenf("only staff may edit stations")
	}
	var out Station
	err := s.store.UpdateStation(ctx, id, func(st *Station) (*pending, error) {
		if !p.SeesCommunity(st.Street, st.Community) {
			return nil, errStationNotFound
		}
		if st.Status == StationClosed {
			return nil, fault.ConflictReason("station_closed", "the station is closed")
		}
		var c validate.Collector
		before := *st
		if in.Name != nil {
			st.Name = c.Text("name", *in.Name, 1, 100)
		}
		if in.Kind != nil {
			st.Kind = c.OneOf("kind", *in.Kind, StationKinds)
		}
		if in.Host != nil {
			st.Host = c.Text("host", *in.Host, 0, 100)
		}
		if in.Address != nil {
			st.Address = c.Text("address", *in.Address, 0, 200)
		}
		if in.Phone != nil {
			st.Phone = c.OptionalPhone("phone", *in.Phone)
		}
		if in.Lat != nil || in.Lng != nil {
			// One coordinate alone moves the station along the other's
			// stored value; the pair is checked as OpenStation checks it.
			lat, lng := st.Lat, st.Lng
			if in.Lat != nil {
				lat = *in.Lat
			}
			if in.Lng != nil {
				lng = *in.Lng
			}
			if c.LatLng("lat", "lng", lat, lng) {
				st.Lat, st.Lng = lat, lng
			}
		}
		if in.OpeningHours != nil {
			in.OpeningHours.check(&c, "opening_hours")
			st.OpeningHours = *in.OpeningHours
		}
		if in.Facilities != nil {
			st.Facilities = checkFacilities(&c, "facilities", *in.Facilities)
		}
		if err := c.Err(); err != nil {
			return nil, err
		}
		changed := changedStationFields(before, *st)
		out = *st
		if len(changed) == 0 {
			return nil, nil // nothing to write, no event
		}
		st.UpdatedAt = s.now()
		out = *st
		ev := stationEvent(event.StationUpdated, *st, changed)
		return &ev, nil
	})
	return out, err
}

// changedStationFields names the fields whose values differ.
func changedStationFields(a, b Station) []string {
	var out []string
	add := func(differs bool, field string) {
		if differs {
			out = append(out, field)
		}
	}
	add(a.Name != b.Name, "name")
	add(a.Kind != b.Kind, "kind")
	add(a.Host != b.Host, "host")
	add(a.Lat != b.Lat, "lat")
	add(a.Lng != b.Lng, "lng")
	add(a.Address != b.Address, "address")
	add(a.Phone != b.Phone, "phone")
	add(!slices.EqualFunc(a.OpeningHours, b.OpeningHours, func(x, y OpeningPeriod) bool {
		return slices.Equal(x.Days, y.Days) && x.Open == y.Open && x.Close == y.Close
	}), "opening_hours")
	add(!slices.Equal(a.Facilities, b.Facilities), "facilities")
	return out
}

// StationCloseInput closes a station: why.
type StationCloseInput struct {
	Reason string `json:"reason"`
}

// CloseStation closes a station; staff in scope. The record stays (listed
// with status closed); the station is no longer among the nearby ones and
// takes no check-ins. Closing it again is a conflict.
func (s *Service) CloseStation(ctx context.Context, p auth.Principal, id uuid.UUID, in StationCloseInput) (Station, error) {
	if !p.IsStaff() {
		return Station{}, fault.Forbiddenf("only staff may close stations")
	}
	var c validate.Collector
	reason := c.Text("reason", in.Reason, 1, 200)
	if err := c.Err(); err != nil {
		return Station{}, err
	}
	var out Station
	err := s.store.UpdateStation(ctx, id, func(st *Station) (*pending, error) {
		if !p.SeesCommunity(st.Street, st.Community) {
			return nil, errStationNotFound
		}
		if st.Status == StationClosed {
			return nil, fault.ConflictReason("station_closed", "the station is already closed")
		}
		now := s.now()
		st.Status, st.ClosedAt, st.CloseReason, st.UpdatedAt = StationClosed, &now, reason, now
		out = *st
		ev := stationEvent(event.StationClosed, *st, []string{"status"})
		return &ev, nil
	})
	return out, err
}
