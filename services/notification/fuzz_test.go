package notification_test

import (
	"testing"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// Every route, every query and path parameter and every body member, with
// hostile values (NUL, invalid UTF-8, long text, wrong types, unknown
// parameters, garbage cursors) as a district admin and as a street admin:
// no answer is a 5xx, every 4xx is problem+json, and a parameter a route
// does not take is refused.
func TestAPI_noHostileInputAnswers5xx(t *testing.T) {
	h := newHarness(t)
	testenv.FuzzRoutes(t, h.API, "../../docs/api/notification.openapi.yaml", nil,
		testenv.Caller{Name: "district admin", Token: h.District()},
		testenv.Caller{Name: "street admin", Token: h.StreetAdmin("qishan")})
}
