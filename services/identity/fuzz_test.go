package identity_test

import (
	"testing"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// Every route, every query and path parameter and every body member, with
// hostile values (NUL, invalid UTF-8, long text, wrong types, unknown
// parameters) as a district admin and as a street admin: no answer is a
// 5xx, every 4xx is problem+json, and a parameter a route does not take is
// refused. The sign-in routes take no token and are fuzzed all the same.
func TestAPI_noHostileInputAnswers5xx(t *testing.T) {
	h := newHarness(t)
	district := h.admin()
	id, _ := h.create(district, map[string]any{"username": "tashan.staff", "role": "community_staff", "street": "qishan", "community": "tashan"})
	testenv.FuzzRoutes(t, h.API, "../../docs/api/identity.openapi.yaml", map[string]string{"/v1/accounts/{id}": id},
		testenv.Caller{Name: "district admin", Token: district},
		testenv.Caller{Name: "street admin", Token: h.StreetAdmin("qishan")})
}
