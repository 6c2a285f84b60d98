package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Dev key file names under the stack's data directory.
const (
	DevPrivateKeyFile = "dev-jwt.key"
	DevPublicKeyFile  = "dev-jwt.pub"
)

// LoadOrCreateDevKey returns the development signing key kept in dir,
// creating it (and its public half) on first use. Production keys are made
// and kept elsewhere; services only ever read the public key.
func LoadOrCreateDevKey(dir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(dir, DevPrivateKeyFile)
	if b, err := os.ReadFile(path); err == nil {
		return ParsePrivateKey(b)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read dev key: %w", err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate dev key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode dev key: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode dev key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write dev key: %w", err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, fmt.Errorf("write dev key: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, DevPublicKeyFile), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		return nil, fmt.Errorf("write dev key: %w", err)
	}
	return priv, nil
}

// ParsePrivateKey reads a PEM PKCS#8 Ed25519 private key.
func ParsePrivateKey(b []byte) (ed25519.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("parse private key: no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("parse private key: not an Ed25519 key")
	}
	return ek, nil
}

// ParsePublicKey reads a PEM PKIX Ed25519 public key.
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("parse public key: no PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("parse public key: not an Ed25519 key")
	}
	return ek, nil
}

// PublicKeyPEM encodes the public half of key as PEM, for services' config.
func PublicKeyPEM(key ed25519.PrivateKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(key.Public())
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// JWK is a public key as a JSON Web Key (RFC 8037: Ed25519 as an OKP key).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
}

// PublicJWK is key as a JWK, named by its KeyID.
func PublicJWK(key ed25519.PublicKey) JWK {
	return JWK{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(key), Kid: KeyID(key), Use: "sig", Alg: "EdDSA"}
}

// KeyID names a public key by its RFC 7638 thumbprint: the SHA-256 of its
// JWK's required members, base64url. The same key always has the same id,
// whoever computes it.
func KeyID(key ed25519.PublicKey) string {
	canonical := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(key) + `"}`
	sum := sha256.Sum256([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
