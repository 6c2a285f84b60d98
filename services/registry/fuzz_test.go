package registry_test

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
	h := newHarness(t, "")
	h.seedOrg()
	worker := h.registerWorker(1, "tashan")
	ent := h.Must(201, "POST", "/v1/enterprises", h.District(), map[string]any{
		"name": "奇山快递站", "kind": "express_outlet", "community": "tashan"}).Str("id")
	pairing := h.Must(201, "POST", "/v1/pairings", h.District(), map[string]any{
		"worker_id": worker, "staff_subject": "grid-wang", "staff_name": "王网格员"}).Str("id")
	ids := map[string]string{
		"/v1/workers/{id}":     worker,
		"/v1/enterprises/{id}": ent,
		"/v1/pairings/{id}":    pairing,
		"/v1/streets/{code}":   "qishan",
	}
	testenv.FuzzRoutes(t, h.API, "../../docs/api/registry.openapi.yaml", ids,
		testenv.Caller{Name: "district admin", Token: h.District()},
		testenv.Caller{Name: "street admin", Token: h.StreetAdmin("qishan")})
}
