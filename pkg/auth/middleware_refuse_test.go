package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

// places is what the registry created, for the middleware's check: a
// street alone is {street, ""}.
type places map[[2]string]bool

func (k places) Known(_ context.Context, street, community string) (bool, error) {
	if street == "broken" {
		return false, errors.New("the database is down")
	}
	return k[[2]string{street, community}], nil
}

// TestVerifierMiddleware_refusesBadTokensWithProblems: every refusal of a
// token is a 401 problem+json, the handler never runs, and a place the
// registry never created is refused like a bad signature.
func TestVerifierMiddleware_refusesBadTokensWithProblems(t *testing.T) {
	key := newKey(t)
	v := verifierFor(key)
	v.Places = places{{"s01", ""}: true, {"s01", "c01"}: true}
	issue := func(p auth.Principal) string {
		p.Subject = "u"
		tok, err := auth.Issue(key, p, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	tests := []struct {
		name, token string
		status      int
	}{
		{"street admin of a street the registry created", issue(auth.Principal{Role: auth.StreetAdmin, Street: "s01"}), 204},
		{"staff of a community the registry created", issue(auth.Principal{Role: auth.CommunityStaff, Street: "s01", Community: "c01"}), 204},
		{"district admin (no street)", issue(auth.Principal{Role: auth.DistrictAdmin}), 204},
		{"worker (only a worker id)", issue(auth.Principal{Role: auth.Worker, WorkerID: "w-1"}), 204},
		{"worker of a street the registry created", issue(auth.Principal{Role: auth.Worker, WorkerID: "w-1", Street: "s01"}), 204},
		{"street admin of atlantis", issue(auth.Principal{Role: auth.StreetAdmin, Street: "atlantis"}), 401},
		{"staff of a community that is not one", issue(auth.Principal{Role: auth.CommunityStaff, Street: "s01", Community: "atlantis"}), 401},
		{"staff of a community of another street", issue(auth.Principal{Role: auth.CommunityStaff, Street: "s02", Community: "c01"}), 401},
		{"worker of atlantis", issue(auth.Principal{Role: auth.Worker, WorkerID: "w-1", Street: "atlantis"}), 401},
		{"district admin naming atlantis", issue(auth.Principal{Role: auth.DistrictAdmin, Street: "atlantis"}), 401},
		{"places cannot be read", issue(auth.Principal{Role: auth.StreetAdmin, Street: "broken"}), 500},
		{"exp given as a string", signRaw(t, key, without("exp", `"exp":"9999999999"`)), 401},
		{"iat an hour in the future", signRaw(t, key, without("iat", fmt.Sprintf(`"iat":%d`, time.Now().Add(time.Hour).Unix()))), 401},
		{"a 100 KB token", signRaw(t, key, claimsJSON(`"pad":"`+strings.Repeat("x", 75_000)+`"`)), 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/v1/workers", nil)
			r.Header.Set("Authorization", "Bearer "+tc.token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if tc.status == 204 {
				return
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			var p map[string]any
			if err := json.NewDecoder(w.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			if p["status"] != float64(tc.status) {
				t.Errorf("problem %v", p)
			}
			if tc.status == 401 && p["type"] != "urn:nuanxin:problem:unauthenticated" {
				t.Errorf("problem %v", p)
			}
		})
	}
}
