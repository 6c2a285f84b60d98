package auth_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func verifierFor(key ed25519.PrivateKey) auth.Verifier {
	return auth.Verifier{Key: key.Public().(ed25519.PublicKey)}
}

var principals = map[auth.Role]auth.Principal{
	auth.DistrictAdmin:  {Subject: "u-district", Role: auth.DistrictAdmin},
	auth.StreetAdmin:    {Subject: "u-street", Role: auth.StreetAdmin, Street: "s01"},
	auth.CommunityStaff: {Subject: "u-comm", Role: auth.CommunityStaff, Street: "s01", Community: "c01"},
	auth.Worker:         {Subject: "u-worker", Role: auth.Worker, Street: "s01", WorkerID: "w-1"},
}

func TestIssueVerify_roundTrip(t *testing.T) {
	key := newKey(t)
	v := verifierFor(key)
	for role, p := range principals {
		t.Run(string(role), func(t *testing.T) {
			tok, err := auth.Issue(key, p, time.Hour)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			got, err := v.Verify(tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got != p {
				t.Errorf("Verify gave %+v, want %+v", got, p)
			}
			if !role.Valid() {
				t.Errorf("role %q is not Valid", role)
			}
		})
	}
}

// sign builds a token by hand, the way an attacker would.
func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerify_rejects(t *testing.T) {
	key := newKey(t)
	v := verifierFor(key)
	pub := key.Public().(ed25519.PublicKey)
	now := time.Now()
	good := func() jwt.MapClaims {
		return jwt.MapClaims{
			"iss": auth.Issuer, "sub": "u-district", "role": "district_admin",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}
	}
	with := func(k string, val any) jwt.MapClaims {
		c := good()
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	expired, err := auth.Issue(key, principals[auth.DistrictAdmin], -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := auth.Issue(newKey(t), principals[auth.DistrictAdmin], time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	valid, err := auth.Issue(key, principals[auth.StreetAdmin], time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(valid, ".")

	tests := []struct {
		name, token string
	}{
		{"empty", ""},
		{"garbage", "not.a.token"},
		{"expired", expired},
		{"signed by another key", otherKey},
		{"HS256 keyed with the public key (alg confusion)", sign(t, jwt.SigningMethodHS256, []byte(pub), good())},
		{"HS256 keyed with the PEM public key", sign(t, jwt.SigningMethodHS256, auth.PublicKeyPEM(key), good())},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, good())},
		{"wrong issuer", sign(t, jwt.SigningMethodEdDSA, key, with("iss", "someone-else"))},
		{"no issuer", sign(t, jwt.SigningMethodEdDSA, key, with("iss", nil))},
		{"no expiry", sign(t, jwt.SigningMethodEdDSA, key, with("exp", nil))},
		{"not yet valid", sign(t, jwt.SigningMethodEdDSA, key, with("nbf", now.Add(time.Hour).Unix()))},
		{"street_admin without street", sign(t, jwt.SigningMethodEdDSA, key, with("role", "street_admin"))},
		{"community_staff without community", func() string {
			c := with("role", "community_staff")
			c["street"] = "s01"
			return sign(t, jwt.SigningMethodEdDSA, key, c)
		}()},
		{"worker without worker_id", sign(t, jwt.SigningMethodEdDSA, key, with("role", "worker"))},
		{"unknown role", sign(t, jwt.SigningMethodEdDSA, key, with("role", "superuser"))},
		{"no role", sign(t, jwt.SigningMethodEdDSA, key, with("role", nil))},
		{"payload swapped under a valid signature", parts[0] + "." + strings.Split(sign(t, jwt.SigningMethodEdDSA, newKey(t), good()), ".")[1] + "." + parts[2]},
	}
	// A correctly signed token with the good claims is accepted, so each
	// rejection below is due to what its case changes.
	if _, err := v.Verify(sign(t, jwt.SigningMethodEdDSA, key, good())); err != nil {
		t.Fatalf("hand-made valid token rejected: %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(tc.token)
			if err == nil {
				t.Fatalf("Verify accepted the token as %+v", p)
			}
			if p != (auth.Principal{}) {
				t.Errorf("Verify returned principal %+v with its error", p)
			}
			if !strings.HasPrefix(err.Error(), "invalid token") {
				t.Errorf("error %q, want it to start with 'invalid token'", err)
			}
		})
	}
}

func TestIssue_refusesScopelessPrincipal(t *testing.T) {
	key := newKey(t)
	for _, p := range []auth.Principal{
		{Subject: "u", Role: auth.StreetAdmin},
		{Subject: "u", Role: auth.CommunityStaff, Street: "s01"},
		{Subject: "u", Role: auth.CommunityStaff, Community: "c01"},
		{Subject: "u", Role: auth.Worker, Street: "s01"},
		{Subject: "u", Role: "root"},
		{Subject: "u"},
	} {
		if tok, err := auth.Issue(key, p, time.Hour); err == nil {
			t.Errorf("Issue(%+v) gave a token %q", p, tok)
		}
	}
}

func TestPrincipal_scope(t *testing.T) {
	type where struct{ street, community string }
	own, sibling, otherStreet := where{"s01", "c01"}, where{"s01", "c02"}, where{"s02", "c01"}
	tests := []struct {
		role                       auth.Role
		seesStreet, seesOther      bool // s01, s02
		seesOwn, seesSib, seesAway bool // communities: own, sibling in s01, same code in s02
		staff, streetAdmin         bool
	}{
		{auth.DistrictAdmin, true, true, true, true, true, true, true},
		{auth.StreetAdmin, true, false, true, true, false, true, true},
		{auth.CommunityStaff, false, false, true, false, false, true, false},
		{auth.Worker, false, false, false, false, false, false, false},
	}
	for _, tc := range tests {
		t.Run(string(tc.role), func(t *testing.T) {
			p := principals[tc.role]
			check := func(what string, got, want bool) {
				if got != want {
					t.Errorf("%s = %v, want %v", what, got, want)
				}
			}
			check("SeesStreet(s01)", p.SeesStreet("s01"), tc.seesStreet)
			check("SeesStreet(s02)", p.SeesStreet("s02"), tc.seesOther)
			check("SeesCommunity(s01, c01)", p.SeesCommunity(own.street, own.community), tc.seesOwn)
			check("SeesCommunity(s01, c02)", p.SeesCommunity(sibling.street, sibling.community), tc.seesSib)
			check("SeesCommunity(s02, c01)", p.SeesCommunity(otherStreet.street, otherStreet.community), tc.seesAway)
			check("IsStaff", p.IsStaff(), tc.staff)
			check("AtLeastStreetAdmin", p.AtLeastStreetAdmin(), tc.streetAdmin)
		})
	}
}

func TestVerifierMiddleware(t *testing.T) {
	key := newKey(t)
	v := verifierFor(key)
	var bodyRead bool
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bodyRead = true
		p, ok := auth.FromContext(r.Context())
		if !ok {
			http.Error(w, "no principal", 500)
			return
		}
		_ = json.NewEncoder(w).Encode(p)
	})
	h := v.Middleware(next)
	good, err := auth.Issue(key, principals[auth.CommunityStaff], time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expired, err := auth.Issue(key, principals[auth.CommunityStaff], -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := auth.Issue(newKey(t), principals[auth.DistrictAdmin], time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, header string
		status       int
	}{
		{"no header", "", 401},
		{"basic auth", "Basic dXNlcjpwYXNz", 401},
		{"bearer without token", "Bearer ", 401},
		{"bad token", "Bearer not-a-jwt", 401},
		{"expired token", "Bearer " + expired, 401},
		{"token of another issuer key", "Bearer " + foreign, 401},
		{"good token", "Bearer " + good, 200},
		{"lower-case scheme", "bearer " + good, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bodyRead = false
			r := httptest.NewRequest(http.MethodPost, "/v1/workers", strings.NewReader(`{"name":"x"}`))
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d; body %s", w.Code, tc.status, w.Body)
			}
			if tc.status == 200 {
				var got auth.Principal
				if err := json.NewDecoder(w.Body).Decode(&got); err != nil {
					t.Fatal(err)
				}
				if got != principals[auth.CommunityStaff] {
					t.Errorf("handler saw %+v, want %+v", got, principals[auth.CommunityStaff])
				}
				return
			}
			if bodyRead {
				t.Error("the handler ran for an unauthenticated request")
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q, want a Bearer challenge", w.Header().Get("WWW-Authenticate"))
			}
			var p map[string]any
			if err := json.NewDecoder(w.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			if p["status"] != float64(401) || p["type"] != "urn:nuanxin:problem:unauthenticated" {
				t.Errorf("problem %v", p)
			}
		})
	}
}

func TestLoadOrCreateDevKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // does not exist yet
	k1, err := auth.LoadOrCreateDevKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := auth.LoadOrCreateDevKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !k1.Equal(k2) {
		t.Fatal("second LoadOrCreateDevKey returned a different key")
	}
	st, err := os.Stat(filepath.Join(dir, auth.DevPrivateKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		t.Errorf("private key file mode %v is readable by others", st.Mode().Perm())
	}
	// The public key file is what a service is configured with; a token
	// from the dev key verifies against it.
	pemBytes, err := os.ReadFile(filepath.Join(dir, auth.DevPublicKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := auth.ParsePublicKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pemBytes, auth.PublicKeyPEM(k1)) {
		t.Error("public key file differs from PublicKeyPEM of the key")
	}
	tok, err := auth.Issue(k2, principals[auth.Worker], time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (auth.Verifier{Key: pub}).Verify(tok); err != nil {
		t.Errorf("token of the dev key does not verify with its public key file: %v", err)
	}
}

func TestParseKeys_rejectGarbage(t *testing.T) {
	if _, err := auth.ParsePrivateKey([]byte("nope")); err == nil {
		t.Error("ParsePrivateKey accepted non-PEM input")
	}
	if _, err := auth.ParsePublicKey([]byte("nope")); err == nil {
		t.Error("ParsePublicKey accepted non-PEM input")
	}
	// A public key is not a private key.
	if _, err := auth.ParsePrivateKey(auth.PublicKeyPEM(newKey(t))); err == nil {
		t.Error("ParsePrivateKey accepted a public key")
	}
}

func TestIssue_refusesATokenWithoutSubject(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	if _, err := auth.Issue(key, auth.Principal{Role: auth.DistrictAdmin}, time.Hour); err == nil {
		t.Fatal("issued a token that names no one; its pii reads could not be attributed")
	}
}
