package activity_test

import (
	"testing"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// A token for a street or community the registry never created is refused
// (401 problem) until the registry's event arrives.
func TestAuth_refusesTokensForPlacesTheRegistryNeverCreated(t *testing.T) {
	h := newHarness(t)
	testenv.CheckUnknownPlacesRefused(t, h.API, &h.Bus, "/v1/activities")
}
