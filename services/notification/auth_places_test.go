package notification_test

import (
	"testing"

	"github.com/nuanxin/nuanxin/pkg/event"
)

// TestAuth_refusesTokensForPlacesTheRegistryNeverCreated: a token signed
// for a street or community no registry event told of (`nuanxin token
// --street atlantis`) is refused with a 401 problem, until the registry's
// event arrives; a district admin and a worker name no place.
func TestAuth_refusesTokensForPlacesTheRegistryNeverCreated(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		name, token string
		refused     bool
	}{
		{"street admin of atlantis", h.StreetAdmin("atlantis"), true},
		{"staff of a community of atlantis", h.Staff("atlantis", "poseidonia"), true},
		{"staff of a community qishan does not have", h.Staff("qishan", "poseidonia"), true},
		{"street admin of qishan", h.StreetAdmin("qishan"), false},
		{"district admin", h.District(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("GET", "/v1/deliveries", tc.token, nil)
			if (r.Status == 401) != tc.refused || r.Status >= 500 {
				t.Fatalf("status %d, want refused %v: %s", r.Status, tc.refused, r.Raw)
			}
			if tc.refused && (r.Header.Get("Content-Type") != "application/problem+json" || r.Str("type") != "urn:nuanxin:problem:unauthenticated") {
				t.Fatalf("answer %s %s, want an unauthenticated problem", r.Header.Get("Content-Type"), r.Raw)
			}
		})
	}
	h.Publish(event.StreetCreated, "atlantis", "atlantis", event.StreetData{Code: "atlantis", Name: "亚特兰蒂斯街道"})
	h.Publish(event.CommunityCreated, "atlantis", "poseidonia", event.CommunityData{Code: "poseidonia", Name: "波塞冬社区", Street: "atlantis"})
	h.Settled()
	if r := h.Do("GET", "/v1/deliveries", h.StreetAdmin("atlantis"), nil); r.Status == 401 || r.Status >= 500 {
		t.Fatalf("refused once the registry created the place: %s", r.Raw)
	}
	if r := h.Do("GET", "/v1/deliveries", h.Staff("atlantis", "poseidonia"), nil); r.Status == 401 || r.Status >= 500 {
		t.Fatalf("refused once the registry created the place: %s", r.Raw)
	}
}
