package notification_test

import "testing"

// A street admin's street filter naming another street is refused — never
// answered with their own street's log — and so are a NUL byte in a code,
// a value that is no boolean, a cursor under another name, a parameter
// given twice and one the route does not take.
func TestQueries_refuseParametersTheyCannotHonour(t *testing.T) {
	h := newHarness(t)
	qishan := h.StreetAdmin("qishan")
	tests := []struct {
		name, token, path string
		status            int
		field             string
	}{
		{"the delivery log of another street", qishan, "/v1/deliveries?street=zhifu", 422, "street"},
		{"the broadcasts of another street", qishan, "/v1/broadcasts?street=zhifu", 422, "street"},
		{"a NUL byte in a street", h.District(), "/v1/deliveries?street=%00", 422, "street"},
		{"invalid UTF-8 in a channel", h.District(), "/v1/deliveries?channel=%FF%FE", 422, "channel"},
		{"unread that is no boolean", qishan, "/v1/inbox?unread=yes", 422, "unread"},
		{"a malformed cursor", qishan, "/v1/inbox?before=garbage", 422, "before"},
		{"a cursor under another name", qishan, "/v1/inbox?cursor=garbage", 400, "cursor"},
		{"a parameter given twice", h.District(), "/v1/broadcasts?street=qishan&street=zhifu", 422, "street"},
		{"a parameter on a route that takes none", qishan, "/v1/templates?lang=en", 400, "lang"},
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
