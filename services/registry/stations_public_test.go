package registry_test

import (
	"strings"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// Stations are public places: a rider (a worker token) reads any open
// station of the district — to open its page from a link, or to list a
// community's stations when the phone gives no location — and never a
// closed one.
func TestStations_workersReadAndListOpenStationsOfTheWholeDistrict(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	d := h.District()
	water := h.Must(201, "POST", "/v1/stations", d, stationIn("tashan", "塔山暖新驿站", []string{"water", "charging"})).Str("id")
	h.Must(201, "POST", "/v1/stations", d, stationIn("tashan", "塔山骑手之家", []string{"toilet"}))
	closed := h.Must(201, "POST", "/v1/stations", d, testenv.With(stationIn("changsheng", "长生爱心角", []string{"water"}), map[string]any{"kind": "love_corner"})).Str("id")
	h.Must(201, "POST", "/v1/stations", d, stationIn("jianshelu", "建设路驿站", []string{"water"}))
	h.Must(200, "POST", "/v1/stations/"+closed+"/close", d, map[string]any{"reason": "搬迁"})
	ours := h.Worker(h.registerWorker(1, "tashan"))
	theirs := h.Worker(h.registerWorker(2, "jianshelu"))

	for _, tc := range []struct {
		name, token, query string
		want               []string
	}{
		{"every open station of the district", ours, "", []string{"塔山暖新驿站", "塔山骑手之家", "建设路驿站"}},
		{"a community's", ours, "?community=tashan&status=open", []string{"塔山暖新驿站", "塔山骑手之家"}},
		{"another street's community", ours, "?community=jianshelu", []string{"建设路驿站"}},
		{"a rider of another street alike", theirs, "?community=tashan", []string{"塔山暖新驿站", "塔山骑手之家"}},
		{"by street", theirs, "?street=qishan", []string{"塔山暖新驿站", "塔山骑手之家"}},
		{"with a facility", ours, "?community=tashan&facility=water", []string{"塔山暖新驿站"}},
		{"a community whose only station is closed", ours, "?community=changsheng", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Must(200, "GET", "/v1/stations"+tc.query, tc.token, nil)
			var got []string
			for _, it := range r.Items() {
				m := it.(map[string]any)
				if m["status"] != "open" || m["closed_at"] != nil {
					t.Errorf("a worker was shown %v", m)
				}
				got = append(got, m["name"].(string))
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") || int(r.Num("total")) != len(tc.want) {
				t.Errorf("got %v total %v, want %v", got, r.Body["total"], tc.want)
			}
		})
	}

	// Closed stations are not for workers to ask for; unknown places are
	// named as for staff.
	for _, q := range []struct{ query, field string }{
		{"?status=closed", "status"}, {"?community=nowhere", "community"}, {"?street=nowhere", "street"},
		{"?street=jianshelu&community=tashan", "community"}, {"?limit=0", "limit"},
	} {
		if r := h.Do("GET", "/v1/stations"+q.query, ours, nil); r.Status != 422 || r.Field() != q.field {
			t.Errorf("%s: %d %s", q.query, r.Status, r.Raw)
		}
	}

	// One station: open ones are read by any rider; a closed one, an
	// unknown id and a malformed one are not found.
	for _, tok := range []string{ours, theirs} {
		if r := h.Must(200, "GET", "/v1/stations/"+water, tok, nil); r.Str("name") != "塔山暖新驿站" || r.Str("status") != "open" || r.Num("lat") != 37.53 {
			t.Errorf("an open station read by a worker: %s", r.Raw)
		}
	}
	h.Must(404, "GET", "/v1/stations/"+closed, ours, nil)
	h.Must(404, "GET", "/v1/stations/01a1a9af-6b88-7016-9a67-036f9b540d6b", ours, nil)
	h.Must(404, "GET", "/v1/stations/abc", ours, nil)
	// Staff keep their scope: another street's clerk does not read it.
	h.Must(404, "GET", "/v1/stations/"+water, h.StreetAdmin("jianshelu"), nil)

	// Reading changes nothing a worker could not: writes stay staff's.
	h.Must(403, "PATCH", "/v1/stations/"+water, ours, map[string]any{"name": "x"})
	h.Must(403, "POST", "/v1/stations/"+water+"/close", ours, map[string]any{"reason": "x"})
}

// A station's phone: kept as a rider can dial it, shown to the rider,
// changed and removed by staff, and named in station.updated.
func TestStations_phoneGivenChangedAndRemoved(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	staff := h.Staff("qishan", "tashan")
	rider := h.Worker(h.registerWorker(1, "tashan"))
	id := h.Must(201, "POST", "/v1/stations", staff, testenv.With(station("塔山暖新驿站", 37.53, 121.40, []string{"water"}, allDay),
		map[string]any{"phone": " 0535 661 2345 "})).Str("id")
	if r := h.Must(200, "GET", "/v1/stations/"+id, rider, nil); r.Str("phone") != "05356612345" {
		t.Fatalf("the rider reads %s", r.Raw)
	}
	if r := h.Must(200, "PATCH", "/v1/stations/"+id, staff, map[string]any{"phone": "138-0013-8000"}); r.Str("phone") != "13800138000" {
		t.Fatalf("changed: %s", r.Raw)
	}
	// Removed: no phone in the answer, nothing for a rider to dial.
	if r := h.Must(200, "PATCH", "/v1/stations/"+id, staff, map[string]any{"phone": ""}); r.Body["phone"] != nil {
		t.Fatalf("removed: %s", r.Raw)
	}
	up := ofType(h.Published("registry"), "nuanxin.registry.station.updated")
	if len(up) != 2 || !strings.Contains(string(up[0].Data), `"changed":["phone"]`) || !strings.Contains(string(up[1].Data), `"changed":["phone"]`) {
		t.Fatalf("station.updated: %v", msgs(up))
	}
}
