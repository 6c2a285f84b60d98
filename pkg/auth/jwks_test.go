package auth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

// jwksServer publishes whichever keys it is given, as the identity
// service does, and counts its fetches.
type jwksServer struct {
	mu      sync.Mutex
	keys    []ed25519.PublicKey
	fetches atomic.Int64
}

func (j *jwksServer) set(keys ...ed25519.PublicKey) { j.mu.Lock(); j.keys = keys; j.mu.Unlock() }

func (j *jwksServer) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	j.fetches.Add(1)
	j.mu.Lock()
	defer j.mu.Unlock()
	set := struct {
		Keys []auth.JWK `json:"keys"`
	}{}
	for _, k := range j.keys {
		set.Keys = append(set.Keys, auth.PublicJWK(k))
	}
	_ = json.NewEncoder(w).Encode(set)
}

func newKeyPair(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// A rotation: a token of a new key is taken without a restart (the set is
// fetched again for a kid it lacks); a token of a retired key is refused
// once the set has been fetched again without it — also one the verifier
// had taken and remembered (Verified).
func TestKeySet_acceptsANewKeyAndRefusesARetiredOne(t *testing.T) {
	for _, cache := range []*auth.Verified{nil, {}} {
		t.Run(fmt.Sprintf("remembering=%v", cache != nil), func(t *testing.T) { testRotation(t, cache) })
	}
}

func testRotation(t *testing.T, cache *auth.Verified) {
	pubA, keyA := newKeyPair(t)
	pubB, keyB := newKeyPair(t)
	js := &jwksServer{}
	js.set(pubA)
	srv := httptest.NewServer(js)
	defer srv.Close()
	// Stale at once and fetched again at will: each Verify sees the set
	// as the identity service publishes it now.
	v := auth.Verifier{Keys: &auth.KeySet{URL: srv.URL, MaxAge: time.Nanosecond, MinRefresh: time.Nanosecond}, Verified: cache}
	p := auth.Principal{Subject: "admin", Role: auth.DistrictAdmin}
	tokA, _ := auth.Issue(keyA, p, time.Minute)
	tokB, _ := auth.Issue(keyB, p, time.Minute)
	if _, err := v.Verify(tokA); err != nil {
		t.Fatalf("key A published: %v", err)
	}
	if _, err := v.Verify(tokB); err == nil {
		t.Fatal("key B, not published, was taken")
	}
	js.set(pubB, pubA) // rotation: B signs, A still published
	for _, tok := range []string{tokA, tokB} {
		if _, err := v.Verify(tok); err != nil {
			t.Errorf("during the rotation: %v", err)
		}
	}
	js.set(pubB) // A retired
	if _, err := v.Verify(tokA); err == nil {
		t.Error("a token of the retired key was taken")
	}
	if _, err := v.Verify(tokB); err != nil {
		t.Errorf("key B after A's retirement: %v", err)
	}
}

// The set is not fetched for every token: a known, fresh key is used as
// it is, and an unknown kid fetches at most every MinRefresh.
func TestKeySet_fetchesOnlyWhenStaleOrLacking(t *testing.T) {
	pubA, keyA := newKeyPair(t)
	_, keyC := newKeyPair(t)
	js := &jwksServer{}
	js.set(pubA)
	srv := httptest.NewServer(js)
	defer srv.Close()
	v := auth.Verifier{Keys: &auth.KeySet{URL: srv.URL, MaxAge: time.Hour, MinRefresh: time.Hour}}
	p := auth.Principal{Subject: "admin", Role: auth.DistrictAdmin}
	tokA, _ := auth.Issue(keyA, p, time.Minute)
	for i := 0; i < 5; i++ {
		if _, err := v.Verify(tokA); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5; i++ {
		tokC, _ := auth.Issue(keyC, auth.Principal{Subject: "x", Role: auth.DistrictAdmin}, time.Minute)
		if _, err := v.Verify(tokC); err == nil {
			t.Fatal("an unpublished key was taken")
		}
	}
	if n := js.fetches.Load(); n != 1 {
		t.Errorf("fetched the set %d times, want 1", n)
	}
}

// The development key stays accepted beside the published ones, and the
// identity service unreachable leaves the dev key working.
func TestVerifier_takesTheStaticKeyBesideTheSet(t *testing.T) {
	pubDev, keyDev := newKeyPair(t)
	v := auth.Verifier{Key: pubDev, Keys: &auth.KeySet{URL: "http://127.0.0.1:1/none", MinRefresh: time.Nanosecond}}
	tok, _ := auth.Issue(keyDev, auth.Principal{Subject: "dev", Role: auth.DistrictAdmin}, time.Minute)
	if _, err := v.Verify(tok); err != nil {
		t.Errorf("the dev key's token: %v", err)
	}
	_, other := newKeyPair(t)
	tok2, _ := auth.Issue(other, auth.Principal{Subject: "dev", Role: auth.DistrictAdmin}, time.Minute)
	if _, err := v.Verify(tok2); err == nil {
		t.Error("a token of an unknown key was taken")
	}
}

// Static keys are the identity service's own: taken by kid, never fetched.
func TestStaticKeys_takeTheirKeysOnly(t *testing.T) {
	pubA, keyA := newKeyPair(t)
	_, keyB := newKeyPair(t)
	v := auth.Verifier{Keys: auth.StaticKeys(pubA)}
	p := auth.Principal{Subject: "admin", Role: auth.DistrictAdmin}
	tokA, _ := auth.Issue(keyA, p, time.Minute)
	tokB, _ := auth.Issue(keyB, p, time.Minute)
	if _, err := v.Verify(tokA); err != nil {
		t.Errorf("its own key: %v", err)
	}
	if _, err := v.Verify(tokB); err == nil {
		t.Error("another key was taken")
	}
}
