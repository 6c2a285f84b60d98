// Package pii protects personal data (names, mobile numbers, resident ID
// numbers) as required by China's PIPL: Box encrypts it at rest and derives
// keyed hashes for lookup and uniqueness, and the Mask functions hide most
// of it on display.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the required length in bytes of both keys (AES-256, and an
// HMAC-SHA256 key as long as its output).
const KeySize = 32

// sealedVersion is the first byte of every sealed value. It lets a later
// release change the format or rotate keys while still opening old rows.
const sealedVersion = 1

// nonceSize is the standard 12-byte GCM nonce.
const nonceSize = 12

// Errors returned by Open. They are wrapped with detail, so compare them
// with errors.Is.
var (
	ErrTooShort       = errors.New("pii: sealed value is too short")
	ErrUnknownVersion = errors.New("pii: sealed value has an unknown version")
	ErrAuthentication = errors.New("pii: sealed value failed authentication")
)

// Box encrypts personal data with AES-256-GCM and derives keyed hashes for
// lookup and uniqueness. It is safe for concurrent use.
type Box struct {
	aead    cipher.AEAD
	hashKey []byte
}

// NewBox takes a 32-byte encryption key and a 32-byte hashing key.
// The keys must differ: reusing one key for two purposes would let a
// weakness in one use spill into the other. Wrong-size or equal keys are
// refused with an error that never contains key material.
func NewBox(encKey, hashKey []byte) (*Box, error) {
	if len(encKey) != KeySize {
		return nil, fmt.Errorf("pii: encryption key must be %d bytes, got %d", KeySize, len(encKey))
	}
	if len(hashKey) != KeySize {
		return nil, fmt.Errorf("pii: hashing key must be %d bytes, got %d", KeySize, len(hashKey))
	}
	if hmac.Equal(encKey, hashKey) {
		return nil, errors.New("pii: encryption key and hashing key must be different")
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, fmt.Errorf("pii: create AES cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("pii: create GCM: %w", err)
	}
	// Copy the hashing key so a caller reusing or zeroing its slice cannot
	// change the Box. (The AES cipher already keeps its own copy.)
	return &Box{aead: aead, hashKey: append([]byte(nil), hashKey...)}, nil
}

// NewBoxFromBase64 decodes standard base64 keys (as they come from env vars
// PII_ENC_KEY, PII_HASH_KEY) and calls NewBox. Surrounding white space is
// ignored, because values read from files or secrets often end in a newline.
// A key can be generated with: openssl rand -base64 32
func NewBoxFromBase64(encKey, hashKey string) (*Box, error) {
	enc, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encKey))
	if err != nil {
		// Do not wrap err: its message may quote part of the key.
		return nil, errors.New("pii: encryption key is not valid standard base64")
	}
	hash, err := base64.StdEncoding.DecodeString(strings.TrimSpace(hashKey))
	if err != nil {
		return nil, errors.New("pii: hashing key is not valid standard base64")
	}
	return NewBox(enc, hash)
}

// Seal encrypts plaintext. aad binds the ciphertext to its context (e.g.
// "worker.mobile"), so a ciphertext copied to another column fails to open;
// it must not be empty, as an unbound ciphertext could be moved anywhere.
//
// Output format: 1 version byte (1) || 12-byte random nonce || ciphertext+tag.
// Every call uses a fresh random nonce, so sealing the same value twice gives
// different output; use Hash for equality lookups.
func (b *Box) Seal(plaintext, aad string) ([]byte, error) {
	if aad == "" {
		return nil, errors.New("pii: seal needs a non-empty aad naming the context, e.g. \"worker.mobile\"")
	}
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+b.aead.Overhead())
	out[0] = sealedVersion
	nonce := out[1 : 1+nonceSize]
	// Random 96-bit nonces are safe for about 2^32 seals per key, far
	// beyond the data of one district.
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("pii: read random nonce: %w", err)
	}
	return b.aead.Seal(out, nonce, []byte(plaintext), []byte(aad)), nil
}

// Open decrypts a value made by Seal with the same aad. It fails with
// ErrTooShort, ErrUnknownVersion or ErrAuthentication (wrong key, wrong aad
// or tampered data; GCM cannot tell these apart).
func (b *Box) Open(sealed []byte, aad string) (string, error) {
	if minLen := 1 + nonceSize + b.aead.Overhead(); len(sealed) < minLen {
		return "", fmt.Errorf("%w: %d bytes, need at least %d", ErrTooShort, len(sealed), minLen)
	}
	if sealed[0] != sealedVersion {
		return "", fmt.Errorf("%w: %d, want %d", ErrUnknownVersion, sealed[0], sealedVersion)
	}
	nonce, ciphertext := sealed[1:1+nonceSize], sealed[1+nonceSize:]
	plaintext, err := b.aead.Open(nil, nonce, ciphertext, []byte(aad))
	if err != nil {
		return "", fmt.Errorf("%w: wrong key, wrong context %q, or tampered data", ErrAuthentication, aad)
	}
	return string(plaintext), nil
}

// Hash returns HMAC-SHA256(hashKey, kind + "\x00" + value): deterministic,
// so a UNIQUE index on it enforces "same ID number once", and a lookup by
// mobile number needs no decryption. kind separates domains ("id_number",
// "mobile"), so equal strings of different kinds never share a hash; it is
// a fixed name from code and must not contain "\x00".
// Hash value after normalising it (e.g. with validate.ResidentID), or
// "11010519491231002x" and "11010519491231002X" would hash differently.
func (b *Box) Hash(kind, value string) []byte {
	mac := hmac.New(sha256.New, b.hashKey)
	mac.Write([]byte(kind))
	mac.Write([]byte{0})
	mac.Write([]byte(value))
	return mac.Sum(nil)
}

// String hides the keys when a Box is printed with %v or %s: fmt would
// otherwise print unexported fields, including the hashing key.
func (b *Box) String() string { return "pii.Box{keys redacted}" }

// GoString hides the keys when a Box is printed with %#v.
func (b *Box) GoString() string { return b.String() }
