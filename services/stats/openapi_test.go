package stats_test

import (
	"testing"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// The API reference (docs/api/stats.openapi.yaml) and the routes served
// are held to each other: nothing served goes undocumented, nothing
// documented is missing.
func TestAPI_everyRouteIsDocumentedAndEveryDocumentedOneServed(t *testing.T) {
	h := newHarness(t)
	testenv.CheckDocumented(t, h.URL, "../../docs/api/stats.openapi.yaml", ".")
}
