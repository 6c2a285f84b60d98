package auth_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

// signRaw signs payload, a claims set written out as JSON by hand, with
// EdDSA: what an attacker holding a signing key, or a buggy issuer, could
// send. Hand-written JSON is how a claim of the wrong type, a duplicate or
// an odd member order gets into a token at all.
func signRaw(t *testing.T, key ed25519.PrivateKey, payload string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(`{"alg":"EdDSA","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload))
	sig, err := jwt.SigningMethodEdDSA.Sign(signing, key)
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + enc.EncodeToString(sig)
}

// claimsJSON is a valid district admin's claims set with extra members
// (raw JSON values, appended in order after the good ones, so that a
// repeated name comes last).
func claimsJSON(extra ...string) string {
	now := time.Now()
	members := []string{`"iss":"nuanxin"`, `"sub":"u-district"`, `"role":"district_admin"`,
		fmt.Sprintf(`"iat":%d`, now.Unix()), fmt.Sprintf(`"exp":%d`, now.Add(time.Hour).Unix())}
	return "{" + strings.Join(append(members, extra...), ",") + "}"
}

// without is claimsJSON with the named good member left out, and extra
// members added.
func without(name string, extra ...string) string {
	now := time.Now()
	var members []string
	for _, m := range []string{`"iss":"nuanxin"`, `"sub":"u-district"`, `"role":"district_admin"`,
		fmt.Sprintf(`"iat":%d`, now.Unix()), fmt.Sprintf(`"exp":%d`, now.Add(time.Hour).Unix())} {
		if !strings.HasPrefix(m, `"`+name+`"`) {
			members = append(members, m)
		}
	}
	return "{" + strings.Join(append(members, extra...), ",") + "}"
}

func TestVerify_acceptsHandSignedClaims(t *testing.T) {
	key := newKey(t)
	// The baseline for the refusals below: each changes one thing.
	for _, payload := range []string{
		claimsJSON(),
		claimsJSON(`"aud":"nuanxin"`),
		claimsJSON(`"aud":["nuanxin","web"]`),
		claimsJSON(`"jti":"t-1"`),
		claimsJSON(`"nbf":` + fmt.Sprint(time.Now().Unix())),
		claimsJSON(`"x-unknown":{"any":["shape"]}`), // claims we do not know are ignored (RFC 7519 §4)
		claimsJSON(`"EXP":"9999999999"`),            // names are case-sensitive: "EXP" is not exp
		without("role", `"role":"street_admin"`, `"street":"s01"`),
		without("role", `"role":"worker"`, `"worker_id":"w-1"`, `"street":"s01"`),
	} {
		if _, err := verifierFor(key).Verify(signRaw(t, key, payload)); err != nil {
			t.Errorf("Verify(%s): %v", payload, err)
		}
	}
}

func TestVerify_refusesClaimsOfTheWrongJSONType(t *testing.T) {
	key := newKey(t)
	future := time.Now().Add(time.Hour).Unix()
	tests := []struct{ name, payload string }{
		{"exp given as a string", without("exp", `"exp":"9999999999"`)},
		{"exp given as a string of the right time", without("exp", fmt.Sprintf(`"exp":"%d"`, future))},
		{"exp given as true", without("exp", `"exp":true`)},
		{"exp given as an object", without("exp", `"exp":{"n":1}`)},
		{"exp given as null", without("exp", `"exp":null`)},
		{"iat given as a string", without("iat", fmt.Sprintf(`"iat":"%d"`, time.Now().Unix()))},
		{"nbf given as a string", claimsJSON(fmt.Sprintf(`"nbf":"%d"`, time.Now().Unix()))},
		{"nbf given as an array", claimsJSON(`"nbf":[1]`)},
		{"iss given as an array", without("iss", `"iss":["nuanxin"]`)},
		{"sub given as a number", without("sub", `"sub":42`)},
		{"sub given as null", without("sub", `"sub":null`)},
		{"jti given as a number", claimsJSON(`"jti":7`)},
		{"aud given as a number", claimsJSON(`"aud":7`)},
		{"aud given as an array of numbers", claimsJSON(`"aud":[7]`)},
		{"role given as an array", without("role", `"role":["district_admin"]`)},
		{"street given as a number", claimsJSON(`"street":1`)},
		{"street given as null", claimsJSON(`"street":null`)},
		{"community given as an object", claimsJSON(`"community":{}`)},
		{"worker_id given as a number", claimsJSON(`"worker_id":12345`)},
		// A repeated name is refused outright rather than read as its last
		// copy: a number first and a string after is the string, above.
		{"exp repeated", claimsJSON(fmt.Sprintf(`"exp":%d`, future))},
		{"role repeated", claimsJSON(`"role":"district_admin"`)},
		{"claims set not an object", `["iss","nuanxin"]`},
		{"trailing data after the claims set", claimsJSON() + `{}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := verifierFor(key).Verify(signRaw(t, key, tc.payload))
			if err == nil {
				t.Fatalf("Verify accepted %s as %+v", tc.payload, p)
			}
			if !strings.HasPrefix(err.Error(), "invalid token") {
				t.Errorf("error %q, want it to start with 'invalid token'", err)
			}
		})
	}
}

func TestVerify_refusesIssuedAtOrNotBeforeBeyondTheLeeway(t *testing.T) {
	key := newKey(t)
	at := func(d time.Duration) int64 { return time.Now().Add(d).Unix() }
	tests := []struct {
		name, payload string
		ok            bool
	}{
		{"iat an hour in the future", without("iat", fmt.Sprintf(`"iat":%d`, at(time.Hour))), false},
		{"iat a minute in the future", without("iat", fmt.Sprintf(`"iat":%d`, at(time.Minute))), false},
		{"iat within the clock leeway", without("iat", fmt.Sprintf(`"iat":%d`, at(10*time.Second))), true},
		{"nbf an hour in the future", claimsJSON(fmt.Sprintf(`"nbf":%d`, at(time.Hour))), false},
		{"nbf within the clock leeway", claimsJSON(fmt.Sprintf(`"nbf":%d`, at(10*time.Second))), true},
		{"no iat", without("iat"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifierFor(key).Verify(signRaw(t, key, tc.payload))
			if tc.ok && err != nil {
				t.Fatalf("Verify refused it: %v", err)
			}
			if !tc.ok && err == nil {
				t.Fatal("Verify accepted it")
			}
		})
	}
}

func TestVerify_refusesOversizedTokens(t *testing.T) {
	key := newKey(t)
	pad := func(n int) string { return claimsJSON(`"pad":"` + strings.Repeat("x", n) + `"`) }
	tests := []struct {
		name, token string
		ok          bool
	}{
		{"a 3 KB token", signRaw(t, key, pad(2000)), true},
		{"a 5 KB token", signRaw(t, key, pad(3700)), false},
		{"a 100 KB token", signRaw(t, key, pad(75_000)), false},
		{"a 100 KB token of garbage", strings.Repeat("a", 100_000), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifierFor(key).Verify(tc.token)
			if tc.ok && err != nil {
				t.Fatalf("Verify refused a %d-byte token: %v", len(tc.token), err)
			}
			if !tc.ok && err == nil {
				t.Fatalf("Verify accepted a %d-byte token", len(tc.token))
			}
		})
	}
}

func TestPrincipalCheck_refusesStreetsAndCommunitiesThatAreNotCodes(t *testing.T) {
	for _, p := range []auth.Principal{
		{Subject: "u", Role: auth.StreetAdmin, Street: "At Lantis"},
		{Subject: "u", Role: auth.StreetAdmin, Street: "s01\x00"},
		{Subject: "u", Role: auth.CommunityStaff, Street: "s01", Community: "c\xff01"},
		{Subject: "u", Role: auth.Worker, WorkerID: "w-1", Street: strings.Repeat("s", 65)},
	} {
		if err := p.Check(); err == nil {
			t.Errorf("Check(%+q) passed", p)
		}
	}
}
