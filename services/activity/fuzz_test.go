package activity_test

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
	staff := h.Staff("qishan", "tashan")
	project := h.claimedProject()
	task := h.Must(201, "POST", "/v1/projects/"+project+"/tasks", staff, taskBody(nil)).Str("id")
	ids := map[string]string{
		"/v1/activities/{id}": h.published(nil),
		"/v1/needs/{id}":      h.Must(201, "POST", "/v1/needs", staff, needBody).Str("id"),
		"/v1/resources/{id}":  h.Must(201, "POST", "/v1/resources", staff, resourceBody).Str("id"),
		"/v1/projects/{id}":   project,
		"/v1/tasks/{id}":      task,
		"/v1/reports/{id}":    h.Must(201, "POST", "/v1/reports", h.Worker(h.knownWorker("qishan", "tashan")), reportBody(nil)).Str("id"),
	}
	testenv.FuzzRoutes(t, h.API, "../../docs/api/activity.openapi.yaml", ids,
		testenv.Caller{Name: "district admin", Token: h.District()},
		testenv.Caller{Name: "street admin", Token: h.StreetAdmin("qishan")})
}
