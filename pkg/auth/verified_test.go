package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"testing"
	"time"
)

func TestVerified_acceptsARememberedTokenWithoutItsSignatureOnlyWithinItsTimes(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := Principal{Subject: "clerk", Role: StreetAdmin, Street: "qishan"}
	token, err := Issue(priv, p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cache := &Verified{}
	if got, err := (Verifier{Key: pub, Verified: cache}).Verify(token); err != nil || got != p {
		t.Fatalf("first Verify = %v, %v; want %v", got, err, p)
	}
	// The same bytes come back: remembered, the signature is not checked
	// again (a verifier with the wrong key still accepts them).
	if got, err := (Verifier{Key: otherPub, Verified: cache}).Verify(token); err != nil || got != p {
		t.Errorf("remembered token: Verify = %v, %v; want %v", got, err, p)
	}
	// Any other bytes are verified: one changed signature character fails.
	swap := byte('A')
	if token[len(token)-2] == swap {
		swap = 'B'
	}
	forged := token[:len(token)-2] + string(swap) + token[len(token)-1:]
	for range 2 {
		if _, err := (Verifier{Key: pub, Verified: cache}).Verify(forged); err == nil {
			t.Error("a token with a changed signature was accepted")
		}
	}

	now := time.Now()
	hour := time.Hour
	for _, tc := range []struct {
		name string
		v    verified
		want bool
	}{
		{"valid", verified{exp: now.Add(hour)}, true},
		{"expired within the leeway", verified{exp: now.Add(-Leeway / 2)}, true},
		{"expired past the leeway", verified{exp: now.Add(-Leeway - time.Second)}, false},
		{"not yet valid, within the leeway", verified{exp: now.Add(hour), nbf: now.Add(Leeway / 2)}, true},
		{"not yet valid past the leeway", verified{exp: now.Add(hour), nbf: now.Add(Leeway + time.Second)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Verified{}
			c.put("t", tc.v, now)
			if _, ok := c.get("t", now); ok != tc.want {
				t.Errorf("get = %v, want %v", ok, tc.want)
			}
		})
	}
}

func TestVerified_holdsAtMostMaxTokens(t *testing.T) {
	c := &Verified{Max: 16}
	now := time.Now()
	for i := range 200 {
		exp := now.Add(time.Hour)
		if i%3 == 0 {
			exp = now.Add(-time.Hour) // expired ones go first
		}
		c.put(fmt.Sprint("token-", i), verified{exp: exp}, now)
		if n := len(c.tokens); n > 16 {
			t.Fatalf("after %d tokens it holds %d, more than Max 16", i+1, n)
		}
	}
	if _, ok := c.get("token-199", now); !ok {
		t.Error("the token put last is not remembered")
	}
}
