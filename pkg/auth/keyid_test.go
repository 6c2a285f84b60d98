package auth_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

// The key id is the RFC 7638 thumbprint: RFC 8037's own example key gives
// the thumbprint the RFC prints (appendix A.3).
func TestKeyID_isTheRFC7638Thumbprint(t *testing.T) {
	x, err := base64.RawURLEncoding.DecodeString("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
	if err != nil {
		t.Fatal(err)
	}
	if got := auth.KeyID(ed25519.PublicKey(x)); got != "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k" {
		t.Errorf("KeyID = %s", got)
	}
	if j := auth.PublicJWK(ed25519.PublicKey(x)); j.Kty != "OKP" || j.Crv != "Ed25519" || j.X != "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" || j.Alg != "EdDSA" {
		t.Errorf("JWK = %+v", j)
	}
}
