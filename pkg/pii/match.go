package pii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// MobileMatch is the keyed hash by which the registry tells the identity
// service whose a mobile number is, without ever telling it the number:
// the registry publishes the match of each worker's mobile in its events,
// and the identity service, holding the same key, computes the match of
// the number a rider signs in with and looks it up.
//
// Its key (MOBILE_MATCH_KEY) is shared by those two services only. It is
// not the registry's PII hashing key, which also hashes ID numbers and
// must never leave the registry.
type MobileMatch struct{ key []byte }

// NewMobileMatchFromBase64 takes the standard base64 of a KeySize-byte key
// (as MOBILE_MATCH_KEY holds it; openssl rand -base64 32).
func NewMobileMatchFromBase64(key string) (*MobileMatch, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(key))
	if err != nil {
		return nil, fmt.Errorf("mobile match key: not standard base64: %w", err)
	}
	if len(k) != KeySize {
		return nil, fmt.Errorf("mobile match key: %d bytes, want %d", len(k), KeySize)
	}
	return &MobileMatch{key: k}, nil
}

// Of is the match of a mobile number, normalised first (validate.Mobile:
// 11 digits), as 64 hex digits.
func (m *MobileMatch) Of(mobile string) string {
	mac := hmac.New(sha256.New, m.key)
	mac.Write([]byte("nuanxin mobile match\x00"))
	mac.Write([]byte(mobile))
	return hex.EncodeToString(mac.Sum(nil))
}

// String hides the key when a MobileMatch is printed.
func (m *MobileMatch) String() string { return "pii.MobileMatch{key redacted}" }

// GoString hides the key when a MobileMatch is printed with %#v.
func (m *MobileMatch) GoString() string { return m.String() }
