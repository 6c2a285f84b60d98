package registry_test

import "testing"

// TestAuth_refusesTokensForPlacesTheRegistryNeverCreated: a token signed
// for a street or community the registry never created (`nuanxin token
// --street atlantis`) is refused with a 401 problem; once the street and
// community are created, the same tokens are accepted.
func TestAuth_refusesTokensForPlacesTheRegistryNeverCreated(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	atlantis, poseidonia := h.StreetAdmin("atlantis"), h.Staff("atlantis", "poseidonia")
	for _, tc := range []struct {
		name, token string
		refused     bool
	}{
		{"street admin of atlantis", atlantis, true},
		{"staff of a community of atlantis", poseidonia, true},
		{"staff of a community qishan does not have", h.Staff("qishan", "poseidonia"), true},
		{"staff of a community of another street", h.Staff("qishan", "jianshelu"), true},
		{"street admin of qishan", h.StreetAdmin("qishan"), false},
		{"staff of tashan", h.Staff("qishan", "tashan"), false},
		{"district admin", h.District(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("GET", "/v1/workers", tc.token, nil)
			if (r.Status == 401) != tc.refused || r.Status >= 500 {
				t.Fatalf("status %d, want refused %v: %s", r.Status, tc.refused, r.Raw)
			}
			if tc.refused && (r.Header.Get("Content-Type") != "application/problem+json" || r.Str("type") != "urn:nuanxin:problem:unauthenticated") {
				t.Fatalf("answer %s %s, want an unauthenticated problem", r.Header.Get("Content-Type"), r.Raw)
			}
		})
	}
	h.Must(201, "POST", "/v1/streets", h.District(), map[string]any{"code": "atlantis", "name": "亚特兰蒂斯街道"})
	h.Must(200, "GET", "/v1/workers", atlantis, nil)
	h.Must(401, "GET", "/v1/workers", poseidonia, nil)
	h.Must(201, "POST", "/v1/streets/atlantis/communities", h.District(), map[string]any{"code": "poseidonia", "name": "波塞冬社区"})
	h.Must(200, "GET", "/v1/workers", poseidonia, nil)
}
