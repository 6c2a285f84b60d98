package registry_test

import (
	"testing"
)

func station(name string, lat, lng float64, facilities []string, hours []map[string]any) map[string]any {
	return map[string]any{
		"name": name, "kind": "warm_station", "community": "tashan", "host": "塔山社区", "lat": lat, "lng": lng,
		"address": "芝罘区", "opening_hours": hours, "facilities": facilities,
	}
}

var allDay = []map[string]any{{"days": []int{1, 2, 3, 4, 5, 6, 7}, "open": "00:00", "close": "24:00"}}

func TestStations_nearbySortedByDistanceWithFacilityFilter(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	staff := h.Staff("qishan", "tashan")
	// Around 奇山街道, Yantai: ~0 m, ~550 m, ~1.1 km and ~30 km away.
	h.Must(201, "POST", "/v1/stations", staff, station("塔山暖新驿站", 37.5300, 121.4000, []string{"water", "charging"}, allDay))
	h.Must(201, "POST", "/v1/stations", staff, station("银行爱心角", 37.5350, 121.4000, []string{"water", "microwave"}, allDay))
	h.Must(201, "POST", "/v1/stations", staff, station("小哥驿站", 37.5400, 121.4000, []string{"toilet"}, allDay))
	h.Must(201, "POST", "/v1/stations", staff, station("远方驿站", 37.8000, 121.4000, []string{"water"}, allDay))
	rider := h.Worker(h.registerWorker(1, "tashan"))

	names := func(query string) []string {
		r := h.Must(200, "GET", "/v1/stations/nearby"+query, rider, nil)
		var out []string
		prev := -1.0
		for _, it := range r.Body["items"].([]any) {
			m := it.(map[string]any)
			d := m["distance_m"].(float64)
			if d < prev {
				t.Errorf("not sorted by distance: %v after %v", d, prev)
			}
			prev = d
			if m["open_now"] != true {
				t.Errorf("%s should be open now (24h)", m["name"])
			}
			out = append(out, m["name"].(string))
		}
		return out
	}
	if got := names("?lat=37.5301&lng=121.4001&radius_m=2000"); len(got) != 3 || got[0] != "塔山暖新驿站" || got[2] != "小哥驿站" {
		t.Errorf("within 2 km: %v", got)
	}
	if got := names("?lat=37.5301&lng=121.4001&radius_m=2000&facility=water"); len(got) != 2 || got[1] != "银行爱心角" {
		t.Errorf("with water: %v", got)
	}
	if got := names("?lat=37.5301&lng=121.4001&radius_m=800"); len(got) != 2 {
		t.Errorf("within 800 m: %v", got)
	}
	if got := names("?lat=37.5301&lng=121.4001&limit=1"); len(got) != 1 {
		t.Errorf("limit 1: %v", got)
	}

	for _, q := range []struct{ query, field string }{
		{"?lng=121.4", "lat"}, {"?lat=91&lng=121.4", "lat"}, {"?lat=37.5&lng=181", "lng"},
		{"?lat=abc&lng=121.4", "lat"}, {"?lat=37.5&lng=121.4&radius_m=100000", "radius_m"},
		{"?lat=37.5&lng=121.4&facility=spa", "facility"}, {"?lat=37.5&lng=121.4&limit=0", "limit"},
	} {
		if r := h.Do("GET", "/v1/stations/nearby"+q.query, rider, nil); r.Status != 422 || r.Field() != q.field {
			t.Errorf("%s: %d %s", q.query, r.Status, r.Raw)
		}
	}
}

func TestOpenStation_badInputNamesFieldAndWritesNothing(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	staff := h.Staff("qishan", "tashan")
	cases := []struct {
		name  string
		edit  func(map[string]any)
		field string
	}{
		{"latitude out of range", func(b map[string]any) { b["lat"] = 137.5 }, "lat"},
		{"longitude out of range", func(b map[string]any) { b["lng"] = -200.0 }, "lng"},
		{"missing coordinates", func(b map[string]any) { delete(b, "lat") }, "lat"},
		{"null island", func(b map[string]any) { b["lat"], b["lng"] = 0.0, 0.0 }, "lat"},
		{"unknown facility", func(b map[string]any) { b["facilities"] = []string{"water", "sauna"} }, "facilities"},
		{"no opening hours", func(b map[string]any) { b["opening_hours"] = []any{} }, "opening_hours"},
		{"bad opening time", func(b map[string]any) {
			b["opening_hours"] = []map[string]any{{"days": []int{1}, "open": "8am", "close": "18:00"}}
		}, "opening_hours[0].open"},
		{"bad weekday", func(b map[string]any) {
			b["opening_hours"] = []map[string]any{{"days": []int{0}, "open": "08:00", "close": "18:00"}}
		}, "opening_hours[0].days"},
		{"unknown kind", func(b map[string]any) { b["kind"] = "palace" }, "kind"},
		{"a phone that is not one", func(b map[string]any) { b["phone"] = "12345" }, "phone"},
		{"community out of scope", func(b map[string]any) { b["community"] = "changsheng" }, "community"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := station("驿站", 37.53, 121.40, []string{"water"}, allDay)
			c.edit(b)
			if r := h.Do("POST", "/v1/stations", staff, b); r.Status != 422 || r.Field() != c.field {
				t.Errorf("%d %s", r.Status, r.Raw)
			}
		})
	}
	h.Must(403, "POST", "/v1/stations", h.Worker(h.registerWorker(2, "tashan")), station("驿站", 37.53, 121.40, nil, allDay))
	if n := h.count("stations"); n != 0 {
		t.Errorf("stations written: %d", n)
	}
	if n := len(ofType(h.Published("registry"), "nuanxin.registry.station.opened")); n != 0 {
		t.Errorf("station events: %d", n)
	}
}

func TestCheckIn_atAStationOfTheCommunity(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	st := h.Must(201, "POST", "/v1/stations", h.Staff("qishan", "tashan"), station("塔山暖新驿站", 37.53, 121.40, []string{"water"}, allDay)).Str("id")
	w := h.registerWorker(1, "changsheng")
	staff := h.Staff("qishan", "changsheng")
	r := h.Do("POST", "/v1/workers/"+w+"/checkins", staff, map[string]any{"channel": "station", "station_id": st})
	if r.Status != 422 || r.Field() != "station_id" {
		t.Errorf("station of another community: %d %s", r.Status, r.Raw)
	}
	r = h.Must(201, "POST", "/v1/workers/"+w+"/checkins", h.StreetAdmin("qishan"), map[string]any{"channel": "station", "station_id": st, "community": "tashan"})
	if r.Str("station_id") != st || r.Str("community") != "tashan" {
		t.Errorf("check-in = %s", r.Raw)
	}
}
