package registry_test

import (
	"testing"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// A list's street or community filter outside the caller's scope, a place
// that does not exist, a malformed code or cursor, a parameter given twice
// and a parameter the route does not take are each refused with a problem
// naming the parameter — never a 500, never an empty list that reads as
// "none", never ignored.
func TestLists_refuseParametersTheyCannotHonour(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	worker := h.registerWorker(1, "tashan")
	tests := []struct {
		name, token, path string
		status            int
		field             string
	}{
		{"another street, for a street admin", h.StreetAdmin("qishan"), "/v1/workers?street=jianshelu", 422, "street"},
		{"a community of another street", h.StreetAdmin("qishan"), "/v1/workers?community=jianshelu", 422, "community"},
		{"another community, for community staff", h.Staff("qishan", "changsheng"), "/v1/enterprises?community=tashan", 422, "community"},
		{"a street that does not exist", h.District(), "/v1/workers?street=atlantis", 422, "street"},
		{"a community not of the street named", h.District(), "/v1/pairings?street=qishan&community=jianshelu", 422, "community"},
		{"a street out of scope on a roster", h.StreetAdmin("jianshelu"), "/v1/rosters/workers?street=qishan", 422, "street"},
		{"a NUL byte in a street", h.District(), "/v1/workers?street=%00", 422, "street"},
		{"a NUL byte in a community", h.District(), "/v1/pairings/overdue?community=%00nul", 422, "community"},
		{"invalid UTF-8 in a community", h.District(), "/v1/rosters/enterprises?community=%FF%FE", 422, "community"},
		{"invalid UTF-8 in a staff subject", h.District(), "/v1/pairings?staff_subject=%FF%FE", 422, "staff_subject"},
		{"a malformed cursor", h.District(), "/v1/workers?after=garbage", 422, "after"},
		{"a cursor under another name", h.District(), "/v1/workers?cursor=garbage", 400, "cursor"},
		{"a parameter given twice", h.District(), "/v1/workers?street=qishan&street=jianshelu", 422, "street"},
		{"an unknown parameter on a list", h.StreetAdmin("qishan"), "/v1/enterprises?streeet=qishan", 400, "streeet"},
		{"a parameter on a route that takes none", h.District(), "/v1/workers/" + worker + "?fields=all", 400, "fields"},
		{"a filter another roster does not have", h.District(), "/v1/rosters/enterprises?occupation=courier", 400, "occupation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("GET", tc.path, tc.token, nil)
			if r.Status != tc.status || r.Field() != tc.field {
				t.Fatalf("status %d, field %q; want %d naming %s: %s", r.Status, r.Field(), tc.status, tc.field, r.Raw)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

// A code with a NUL byte or invalid UTF-8 in a body or a path is refused
// as the field it is in (422; a path naming no street, 404), and nothing is
// written.
func TestWrites_refuseCodesThatAreNoCodes(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	worker := h.registerWorker(1, "tashan")
	for _, bad := range []string{"\u0000nul", "ta\u0000shan", "\xff\xfe"} {
		tests := []struct {
			name, path string
			body       map[string]any
			status     int
			field      string
		}{
			{"register a worker", "/v1/workers", workerBody(2, bad), 422, "community"},
			{"register an enterprise", "/v1/enterprises", map[string]any{"name": "奇山快递站", "kind": "express_outlet", "community": bad}, 422, "community"},
			{"transfer a worker", "/v1/workers/" + worker + "/transfer", map[string]any{"community": bad, "reason": "换了配送站"}, 422, "community"},
			{"open a station", "/v1/stations", map[string]any{"name": "驿站", "community": bad, "address": "芝罘区", "lat": 37.5, "lng": 121.4}, 422, "community"},
			{"create a street", "/v1/streets", map[string]any{"code": bad, "name": "街道"}, 422, "code"},
			{"create a community", "/v1/streets/qishan/communities", map[string]any{"code": bad, "name": "社区"}, 422, "code"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := h.count("workers") + h.count("enterprises") + h.count("communities")
				r := h.Do("POST", tc.path, h.District(), tc.body)
				if r.Status != tc.status || !named(r, tc.field) {
					t.Fatalf("%q: status %d, want %d naming %s: %s", bad, r.Status, tc.status, tc.field, r.Raw)
				}
				if after := h.count("workers") + h.count("enterprises") + h.count("communities"); after != before {
					t.Errorf("%q: %d rows written", bad, after-before)
				}
			})
		}
	}
	for _, path := range []string{"/v1/streets/%00/communities", "/v1/streets/%FF%FE/communities"} {
		if r := h.Do("POST", path, h.District(), map[string]any{"code": "xinqiao", "name": "新桥社区"}); r.Status != 404 {
			t.Errorf("POST %s: status %d, want 404: %s", path, r.Status, r.Raw)
		}
	}
}

// named reports whether a problem names field among its errors.
func named(r testenv.Response, field string) bool {
	errs, _ := r.Body["errors"].([]any)
	for _, e := range errs {
		if m, _ := e.(map[string]any); m["field"] == field {
			return true
		}
	}
	return false
}
