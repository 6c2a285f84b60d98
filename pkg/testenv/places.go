package testenv

import (
	"testing"

	"github.com/nuanxin/nuanxin/pkg/event"
)

// CheckUnknownPlacesRefused is the test every service that learns places
// from the registry's events runs: a token signed for a street or community
// no registry event told of (`nuanxin token --street atlantis`) is refused
// with a 401 problem on GET path until the registry's event arrives; a
// district admin names no place and is let in. The harness's Bus must run
// the service's places consumer, and its qishan street must be known.
func CheckUnknownPlacesRefused(t *testing.T, a API, b *Bus, path string) {
	t.Helper()
	for _, tc := range []struct {
		name, token string
		refused     bool
	}{
		{"street admin of atlantis", a.StreetAdmin("atlantis"), true},
		{"staff of a community of atlantis", a.Staff("atlantis", "poseidonia"), true},
		{"staff of a community qishan does not have", a.Staff("qishan", "poseidonia"), true},
		{"street admin of qishan", a.StreetAdmin("qishan"), false},
		{"district admin", a.District(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.Do("GET", path, tc.token, nil)
			if (r.Status == 401) != tc.refused || r.Status >= 500 {
				t.Fatalf("status %d, want refused %v: %s", r.Status, tc.refused, r.Raw)
			}
			if tc.refused && (r.Header.Get("Content-Type") != "application/problem+json" || r.Str("type") != "urn:nuanxin:problem:unauthenticated") {
				t.Fatalf("answer %s %s, want an unauthenticated problem", r.Header.Get("Content-Type"), r.Raw)
			}
		})
	}
	b.Publish(event.StreetCreated, "atlantis", "atlantis", event.StreetData{Code: "atlantis", Name: "亚特兰蒂斯街道"})
	b.Publish(event.CommunityCreated, "atlantis", "poseidonia", event.CommunityData{Code: "poseidonia", Name: "波塞冬社区", Street: "atlantis"})
	b.Settled()
	for _, token := range []string{a.StreetAdmin("atlantis"), a.Staff("atlantis", "poseidonia")} {
		if r := a.Do("GET", path, token, nil); r.Status == 401 || r.Status >= 500 {
			t.Fatalf("refused once the registry created the place: %d %s", r.Status, r.Raw)
		}
	}
}
