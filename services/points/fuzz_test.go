package points_test

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
	h := newHarness(t, nil)
	store := h.Must(201, "POST", "/v1/stores", h.StreetAdmin("qishan"),
		map[string]any{"name": "奇山积分超市", "address": "奇山街道党群服务中心"}).Str("id")
	item := h.Must(201, "POST", "/v1/stores/"+store+"/items", h.StreetAdmin("qishan"),
		map[string]any{"name": "电动车头盔", "price": 300, "stock": 5}).Str("id")
	ids := map[string]string{
		"/v1/accounts/{worker_id}": h.openAccount("qishan", "tashan"),
		"/v1/stores/{id}":          store,
		"/v1/items/{id}":           item,
	}
	testenv.FuzzRoutes(t, h.API, "../../docs/api/points.openapi.yaml", ids,
		testenv.Caller{Name: "district admin", Token: h.District()},
		testenv.Caller{Name: "street admin", Token: h.StreetAdmin("qishan")})
}
