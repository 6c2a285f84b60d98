package auth

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Enrolment is what an enrolment token says: that its holder proved, with
// a one-time code, that they hold the mobile number whose match
// (pii.MobileMatch) it carries, a number the registry did not know. With
// it a rider fills in the 报到 form; it opens nothing else — Verify
// refuses it, so no service takes it for an access token.
type Enrolment struct {
	MobileMatch string
	ExpiresAt   time.Time
}

const purposeEnrolment = "enrolment"

// IssueEnrolment signs an enrolment token for the mobile whose match is
// given, valid for ttl.
func IssueEnrolment(key ed25519.PrivateKey, mobileMatch string, ttl time.Duration) (string, error) {
	if mobileMatch == "" {
		return "", errors.New("issue enrolment token: no mobile match")
	}
	now := time.Now()
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: Issuer, Subject: purposeEnrolment,
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Purpose: purposeEnrolment, MobileMatch: mobileMatch,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = KeyID(key.Public().(ed25519.PublicKey))
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("issue enrolment token: %w", err)
	}
	return s, nil
}

// VerifyEnrolment checks an enrolment token as Verify checks an access
// token (size, key, algorithm, issuer, claim types, times) and that it is
// one.
func (v Verifier) VerifyEnrolment(token string) (Enrolment, error) {
	if len(token) > MaxTokenBytes {
		return Enrolment{}, fmt.Errorf("invalid enrolment token: %d bytes, more than %d", len(token), MaxTokenBytes)
	}
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, v.keyFor,
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(Issuer), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(Leeway))
	if err != nil {
		return Enrolment{}, fmt.Errorf("invalid enrolment token: %w", err)
	}
	if c.Purpose != purposeEnrolment || c.MobileMatch == "" || c.Role != "" {
		return Enrolment{}, errors.New("invalid enrolment token: not an enrolment token")
	}
	return Enrolment{MobileMatch: c.MobileMatch, ExpiresAt: c.ExpiresAt.Time}, nil
}
