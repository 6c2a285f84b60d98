package identity_test

import (
	"testing"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// The API reference (docs/api/identity.openapi.yaml) and the routes served
// are held to each other: nothing served goes undocumented, nothing
// documented is missing; an operation documented without a token
// (security: []) answers without one.
func TestAPI_everyRouteIsDocumentedAndEveryDocumentedOneServed(t *testing.T) {
	h := newHarness(t)
	testenv.CheckDocumented(t, h.URL, "../../docs/api/identity.openapi.yaml", ".")
}
