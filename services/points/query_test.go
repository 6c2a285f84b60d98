package points_test

import "testing"

// A street or community filter outside the caller's scope, or unknown, is
// refused with a problem naming it — never answered with the caller's own
// street's figures — and so are a NUL byte in a code, a malformed cursor,
// a parameter given twice and one the route does not take.
func TestQueries_refuseParametersTheyCannotHonour(t *testing.T) {
	h := newHarness(t, nil)
	qishan := h.StreetAdmin("qishan")
	worker := h.openAccount("qishan", "tashan")
	tests := []struct {
		name, token, path string
		status            int
		field             string
	}{
		{"the ledger check of another street", qishan, "/v1/ledger/check?street=zhifu", 422, "street"},
		{"the ledger check of an unknown street", h.District(), "/v1/ledger/check?street=atlantis", 422, "street"},
		{"the stores of another street", qishan, "/v1/stores?street=zhifu", 422, "street"},
		{"the rules of another street", qishan, "/v1/rules?street=zhifu", 422, "street"},
		{"the board of another street", qishan, "/v1/leaderboards?street=zhifu", 422, "street"},
		{"the board of a community of another street", qishan, "/v1/leaderboards?community=baishi", 422, "community"},
		{"a NUL byte in a street", h.District(), "/v1/ledger/check?street=%00", 422, "street"},
		{"invalid UTF-8 in a community", h.District(), "/v1/leaderboards?street=qishan&community=%FF%FE", 422, "community"},
		{"a malformed cursor", qishan, "/v1/redemptions?after=garbage", 422, "after"},
		{"a cursor under another name", qishan, "/v1/accounts/" + worker + "/entries?cursor=garbage", 400, "cursor"},
		{"a parameter given twice", qishan, "/v1/redemptions?status=placed&status=fulfilled", 422, "status"},
		{"a parameter on a route that takes none", qishan, "/v1/accounts/" + worker + "?street=qishan", 400, "street"},
		{"a worker naming another street's stores", h.Worker(worker), "/v1/stores?street=zhifu", 422, "street"},
		{"a worker naming another community's board", h.Worker(worker), "/v1/leaderboards?community=changsheng", 422, "community"},
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
