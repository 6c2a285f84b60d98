package activity_test

import "testing"

// A list's street or community filter outside the caller's scope or
// unknown, a NUL byte or invalid UTF-8 in a code, a malformed cursor, a
// parameter given twice and one the route does not take are each refused
// with a problem naming the parameter — never a 500, never an empty list
// that reads as "none", never ignored.
func TestLists_refuseParametersTheyCannotHonour(t *testing.T) {
	h := newHarness(t)
	qishan := h.StreetAdmin("qishan")
	rider := h.Worker(h.knownWorker("qishan", "tashan"))
	tests := []struct {
		name, token, path string
		status            int
		field             string
	}{
		{"another street", qishan, "/v1/activities?street=zhifu", 422, "street"},
		{"a community of another street", qishan, "/v1/reports?community=baishi", 422, "community"},
		{"another community, for community staff", h.Staff("qishan", "changsheng"), "/v1/needs?community=tashan", 422, "community"},
		{"a street that does not exist", h.District(), "/v1/projects?street=atlantis", 422, "street"},
		{"a NUL byte in a street", h.District(), "/v1/tasks?street=%00", 422, "street"},
		{"a NUL byte in a community", h.District(), "/v1/resources?community=%00nul", 422, "community"},
		{"invalid UTF-8 in a community", h.District(), "/v1/reports/overdue?community=%FF%FE", 422, "community"},
		{"invalid UTF-8 in a status", h.District(), "/v1/tasks/overdue?status=%FF%FE", 422, "status"},
		{"a malformed cursor", h.District(), "/v1/activities?after=garbage", 422, "after"},
		{"a cursor under another name", h.District(), "/v1/reports?cursor=garbage", 400, "cursor"},
		{"a parameter given twice", qishan, "/v1/needs?category=charging&category=other", 422, "category"},
		{"an unknown parameter", qishan, "/v1/activities?mien=true", 400, "mien"},
		{"a worker naming another street", rider, "/v1/activities?street=zhifu", 422, "street"},
		{"a worker naming another community", rider, "/v1/reports?community=changsheng", 422, "community"},
		{"a worker's own needs of another community", rider, "/v1/needs?community=baishi", 422, "community"},
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
