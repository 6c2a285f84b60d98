package auth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

func TestEnrolmentToken_opensTheFormAndNothingElse(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	v := auth.Verifier{Key: key.Public().(ed25519.PublicKey)}
	match := strings.Repeat("ab", 32)
	tok, err := auth.IssueEnrolment(key, match, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	e, err := v.VerifyEnrolment(tok)
	if err != nil || e.MobileMatch != match {
		t.Fatalf("VerifyEnrolment = %+v, %v; want the match back", e, err)
	}
	if p, err := v.Verify(tok); err == nil {
		t.Fatalf("an enrolment token was taken for an access token: %+v", p)
	}

	access, _ := auth.Issue(key, auth.Principal{Subject: "w", Role: auth.Worker, WorkerID: "w"}, time.Minute)
	if _, err := v.VerifyEnrolment(access); err == nil {
		t.Error("an access token was taken for an enrolment token")
	}
	expired, _ := auth.IssueEnrolment(key, match, -time.Hour)
	if _, err := v.VerifyEnrolment(expired); err == nil {
		t.Error("an expired enrolment token was accepted")
	}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	forged, _ := auth.IssueEnrolment(other, match, time.Minute)
	if _, err := v.VerifyEnrolment(forged); err == nil {
		t.Error("an enrolment token of another key was accepted")
	}
	if _, err := auth.IssueEnrolment(key, "", time.Minute); err == nil {
		t.Error("an enrolment token without a match was issued")
	}
}
