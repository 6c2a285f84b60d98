package registry_test

import (
	"strings"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// stationIn is station() in another community.
func stationIn(community, name string, facilities []string) map[string]any {
	b := station(name, 37.53, 121.40, facilities, allDay)
	b["community"] = community
	return b
}

func TestStations_listFiltersAndCountsWithinScope(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	d := h.District()
	tashan1 := h.Must(201, "POST", "/v1/stations", d, stationIn("tashan", "塔山暖新驿站", []string{"water", "charging"})).Str("id")
	h.Must(201, "POST", "/v1/stations", d, stationIn("tashan", "塔山骑手之家", []string{"toilet"}))
	changsheng := h.Must(201, "POST", "/v1/stations", d, testenv.With(stationIn("changsheng", "长生爱心角", []string{"water"}), map[string]any{"kind": "love_corner"})).Str("id")
	h.Must(201, "POST", "/v1/stations", d, stationIn("jianshelu", "建设路驿站", []string{"water"}))
	h.Must(200, "POST", "/v1/stations/"+changsheng+"/close", d, map[string]any{"reason": "搬迁"})

	qishan := h.StreetAdmin("qishan")
	tests := []struct {
		name, token, query string
		want               []string
	}{
		{"a street admin sees their street", qishan, "", []string{"塔山暖新驿站", "塔山骑手之家", "长生爱心角"}},
		{"community staff see their community", h.Staff("qishan", "tashan"), "", []string{"塔山暖新驿站", "塔山骑手之家"}},
		{"the district sees all", d, "", []string{"塔山暖新驿站", "塔山骑手之家", "长生爱心角", "建设路驿站"}},
		{"by street", d, "?street=jianshelu", []string{"建设路驿站"}},
		{"by community", qishan, "?community=changsheng", []string{"长生爱心角"}},
		{"open ones", qishan, "?status=open", []string{"塔山暖新驿站", "塔山骑手之家"}},
		{"closed ones", qishan, "?status=closed", []string{"长生爱心角"}},
		{"by facility", qishan, "?facility=water", []string{"塔山暖新驿站", "长生爱心角"}},
		{"by kind", qishan, "?kind=love_corner", []string{"长生爱心角"}},
		{"by part of the name", qishan, "?q=" + "骑手", []string{"塔山骑手之家"}},
		{"a LIKE wildcard matches itself", qishan, "?q=%25", nil},
		{"filters together", d, "?facility=water&status=open", []string{"塔山暖新驿站", "建设路驿站"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Must(200, "GET", "/v1/stations"+tc.query, tc.token, nil)
			var got []string
			for _, it := range r.Items() {
				got = append(got, it.(map[string]any)["name"].(string))
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") || int(r.Num("total")) != len(tc.want) {
				t.Errorf("got %v total %v, want %v", got, r.Body["total"], tc.want)
			}
		})
	}

	// Paging: the total is of all pages, the cursor moves on.
	p1 := h.Must(200, "GET", "/v1/stations?limit=2", qishan, nil)
	if len(p1.Items()) != 2 || p1.Num("total") != 3 || p1.Str("next") == "" {
		t.Fatalf("page 1 = %s", p1.Raw)
	}
	p2 := h.Must(200, "GET", "/v1/stations?limit=2&after="+p1.Str("next"), qishan, nil)
	if len(p2.Items()) != 1 || p2.Num("total") != 3 || p2.Str("next") != "" {
		t.Errorf("page 2 = %s", p2.Raw)
	}

	// Reads: a closed station is flagged, with why.
	r := h.Must(200, "GET", "/v1/stations/"+changsheng, qishan, nil)
	if r.Str("status") != "closed" || r.Str("close_reason") != "搬迁" || r.Str("closed_at") == "" {
		t.Errorf("closed station = %s", r.Raw)
	}
	if r := h.Must(200, "GET", "/v1/stations/"+tashan1, qishan, nil); r.Str("status") != "open" || r.Body["closed_at"] != nil {
		t.Errorf("open station = %s", r.Raw)
	}

	for _, q := range []struct{ query, field string }{
		{"?status=shut", "status"}, {"?kind=palace", "kind"}, {"?facility=sauna", "facility"},
		{"?street=jianshelu", "street"}, {"?community=jianshelu", "community"}, {"?limit=501", "limit"},
		{"?after=garbage", "after"}, {"?q=" + strings.Repeat("驿", 201), "q"}, {"?q=%00", "q"},
	} {
		if r := h.Do("GET", "/v1/stations"+q.query, qishan, nil); r.Status != 422 || r.Field() != q.field {
			t.Errorf("%.40s: %d %s", q.query, r.Status, r.Raw)
		}
	}
	if r := h.Do("GET", "/v1/stations?open_now=true", qishan, nil); r.Status != 400 || r.Field() != "open_now" {
		t.Errorf("a parameter the list does not take: %d %s", r.Status, r.Raw)
	}
}

func TestStations_patchAndCloseWithinScope(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	staff := h.Staff("qishan", "tashan")
	id := h.Must(201, "POST", "/v1/stations", staff, station("塔山暖新驿站", 37.5300, 121.4000, []string{"water"}, allDay)).Str("id")
	other := h.Must(201, "POST", "/v1/stations", h.District(), stationIn("jianshelu", "建设路驿站", nil)).Str("id")
	worker := h.Worker(h.registerWorker(1, "tashan"))
	path := "/v1/stations/" + id

	// Another street's clerk and another community's staff neither see nor
	// change the station, a worker does not change it; nothing is written.
	// (A worker reads and lists open stations: stations_public_test.go.)
	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		status                    int
	}{
		{"another street reads", "GET", path, h.StreetAdmin("jianshelu"), nil, 404},
		{"another street patches", "PATCH", path, h.StreetAdmin("jianshelu"), map[string]any{"name": "x"}, 404},
		{"another street closes", "POST", path + "/close", h.StreetAdmin("jianshelu"), map[string]any{"reason": "x"}, 404},
		{"another community patches", "PATCH", path, h.Staff("qishan", "changsheng"), map[string]any{"name": "x"}, 404},
		{"another community closes", "POST", path + "/close", h.Staff("qishan", "changsheng"), map[string]any{"reason": "x"}, 404},
		{"our street reads theirs", "GET", "/v1/stations/" + other, h.StreetAdmin("qishan"), nil, 404},
		{"a worker patches", "PATCH", path, worker, map[string]any{"name": "x"}, 403},
		{"a worker closes", "POST", path + "/close", worker, map[string]any{"reason": "x"}, 403},
		{"no such station", "PATCH", "/v1/stations/01a1a9af-6b88-7016-9a67-036f9b540d6b", staff, map[string]any{"name": "x"}, 404},
		{"not an id", "GET", "/v1/stations/abc", staff, nil, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.Must(tc.status, tc.method, tc.path, tc.token, tc.body)
		})
	}

	// Bad input names the field, as opening one does, and changes nothing.
	for _, tc := range []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"empty name", map[string]any{"name": " "}, 422, "name"},
		{"latitude out of range", map[string]any{"lat": 137.5}, 422, "lat"},
		{"longitude out of range", map[string]any{"lng": -200.0}, 422, "lng"},
		{"null island", map[string]any{"lat": 0.0, "lng": 0.0}, 422, "lat"},
		{"unknown facility", map[string]any{"facilities": []string{"water", "sauna"}}, 422, "facilities"},
		{"no opening hours", map[string]any{"opening_hours": []any{}}, 422, "opening_hours"},
		{"bad opening time", map[string]any{"opening_hours": []map[string]any{{"days": []int{1}, "open": "8am", "close": "18:00"}}}, 422, "opening_hours[0].open"},
		{"bad weekday", map[string]any{"opening_hours": []map[string]any{{"days": []int{8}, "open": "08:00", "close": "18:00"}}}, 422, "opening_hours[0].days"},
		{"unknown kind", map[string]any{"kind": "palace"}, 422, "kind"},
		{"address too long", map[string]any{"address": strings.Repeat("路", 201)}, 422, "address"},
		{"a phone without its area code", map[string]any{"phone": "6612345"}, 422, "phone"},
		{"moving community", map[string]any{"community": "changsheng"}, 400, "community"},
		{"not an object", "[]", 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("PATCH", path, staff, tc.body)
			if r.Status != tc.status || (tc.field != "" && r.Field() != tc.field) {
				t.Errorf("%d %s", r.Status, r.Raw)
			}
		})
	}
	if r := h.Must(200, "GET", path, staff, nil); r.Str("name") != "塔山暖新驿站" || r.Num("lat") != 37.53 || r.Str("created_at") != r.Str("updated_at") {
		t.Errorf("after refused patches: %s", r.Raw)
	}
	if n := len(ofType(h.Published("registry"), "nuanxin.registry.station.updated")); n != 0 {
		t.Errorf("updated events after refused patches: %d", n)
	}

	// An edit answers the station and emits what changed; the same values
	// again change nothing.
	edit := map[string]any{"name": "塔山暖新驿站（新址）", "lat": 37.5310, "facilities": []string{"wifi", "water", "wifi"},
		"opening_hours": []map[string]any{{"days": []int{1, 2, 3, 4, 5}, "open": "08:00", "close": "20:00"}}}
	r := h.Must(200, "PATCH", path, staff, edit)
	if r.Str("name") != "塔山暖新驿站（新址）" || r.Num("lat") != 37.531 || r.Num("lng") != 121.4 ||
		strings.Join(strs(r.Body["facilities"]), ",") != "water,wifi" || r.Str("updated_at") == r.Str("created_at") {
		t.Errorf("patched = %s", r.Raw)
	}
	again := h.Must(200, "PATCH", path, staff, edit)
	if again.Str("updated_at") != r.Str("updated_at") {
		t.Errorf("a no-op patch moved updated_at: %s", again.Raw)
	}
	up := ofType(h.Published("registry"), "nuanxin.registry.station.updated")
	if len(up) != 1 || !strings.Contains(string(up[0].Data), `"changed":["name","lat","opening_hours","facilities"]`) ||
		!strings.Contains(string(up[0].Data), `"station_id":"`+id+`"`) {
		t.Errorf("updated events = %v", msgs(up))
	}

	// Closing: a reason is required; afterwards the station is not nearby,
	// takes no check-in and no edit, and cannot close twice.
	if r := h.Do("POST", path+"/close", staff, map[string]any{"reason": ""}); r.Status != 422 || r.Field() != "reason" {
		t.Errorf("no reason: %d %s", r.Status, r.Raw)
	}
	nearby := func() int {
		n := 0
		for _, it := range h.Must(200, "GET", "/v1/stations/nearby?lat=37.531&lng=121.4&radius_m=1000", worker, nil).Items() {
			if it.(map[string]any)["id"] == id {
				n++
			}
		}
		return n
	}
	if n := nearby(); n != 1 {
		t.Fatalf("nearby before closing = %d", n)
	}
	c := h.Must(200, "POST", path+"/close", staff, map[string]any{"reason": "房屋到期"})
	if c.Str("status") != "closed" || c.Str("close_reason") != "房屋到期" || c.Str("closed_at") == "" {
		t.Errorf("closed = %s", c.Raw)
	}
	if n := nearby(); n != 0 {
		t.Errorf("nearby after closing = %d", n)
	}
	h.Conflict("station_closed", "POST", path+"/close", staff, map[string]any{"reason": "again"})
	h.Conflict("station_closed", "PATCH", path, staff, map[string]any{"name": "x"})
	w := h.registerWorker(2, "tashan")
	if r := h.Do("POST", "/v1/workers/"+w+"/checkins", staff, map[string]any{"channel": "station", "station_id": id}); r.Status != 422 || r.Field() != "station_id" {
		t.Errorf("check-in at a closed station: %d %s", r.Status, r.Raw)
	}
	closed := ofType(h.Published("registry"), "nuanxin.registry.station.closed")
	if len(closed) != 1 || !strings.Contains(string(closed[0].Data), `"changed":["status"]`) ||
		!strings.Contains(string(closed[0].Data), `"closed_at":"`) || strings.Contains(string(closed[0].Data), "房屋到期") {
		t.Errorf("closed events = %v", msgs(closed))
	}
}

func strs(v any) []string {
	var out []string
	for _, s := range v.([]any) {
		out = append(out, s.(string))
	}
	return out
}

func msgs(ms []testenv.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, string(m.Data))
	}
	return out
}
