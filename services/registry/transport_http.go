package registry

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/route"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// RegisterRoutes mounts the registry's /v1 API on mux with the services'
// conventions (package route); each area of the API mounts its routes from
// its own file. A path id comes with a JSON body that must be there
// (route.PathIDAndBody), even where every member of the body is optional.
func RegisterRoutes(mux *http.ServeMux, svc *Service, v auth.Verifier, keys idempotency.Keys, log *slog.Logger) {
	rt := route.New(mux, v, keys, log)
	mountLedger(rt, MakeEndpoints(svc))
	mountRosters(rt, svc)
	mountImports(rt, svc)
	mountPairing(rt, svc)
	mountParty(rt, svc)

	rt.NoRoute("/v1/")
}

// mountLedger mounts the org tree, enterprises, workers, check-ins and stations.
func mountLedger(rt route.Router, eps Endpoints) {
	handle := rt.Handle
	handle("POST /v1/streets", eps.CreateStreet, route.Body[StreetInput])
	handle("POST /v1/streets/{code}/communities", eps.CreateCommunity, decodeCreateCommunity)
	handle("GET /v1/org", eps.Org, route.None)
	handle("GET /v1/vocabulary", eps.Vocabulary, route.None)

	handle("POST /v1/enterprises", eps.CreateEnterprise, route.Body[EnterpriseInput])
	handle("GET /v1/enterprises", eps.ListEnterprises, decodeListEnterprises)
	handle("GET /v1/enterprises/{id}", eps.GetEnterprise, enterpriseID)
	handle("PATCH /v1/enterprises/{id}", eps.UpdateEnterprise, route.PathIDAndBody[EnterprisePatch]("id", errEnterpriseNotFound))

	handle("POST /v1/workers", eps.RegisterWorker, route.Body[WorkerInput])
	handle("GET /v1/workers", eps.ListWorkers, decodeListWorkers)
	handle("GET /v1/workers/{id}", eps.GetWorker, workerID)
	handle("GET /v1/workers/{id}/pii", eps.WorkerPII, workerID)
	handle("PATCH /v1/workers/{id}", eps.UpdateWorker, route.PathIDAndBody[WorkerPatch]("id", errWorkerNotFound))
	handle("POST /v1/workers/{id}/leave", eps.LeaveWorker, route.PathIDAndBody[LeaveInput]("id", errWorkerNotFound))
	handle("POST /v1/workers/{id}/checkins", eps.CheckIn, route.PathIDAndBody[CheckInInput]("id", errWorkerNotFound))

	handle("POST /v1/stations", eps.OpenStation, route.Body[StationInput])
	handle("GET /v1/stations/nearby", eps.NearbyStations, decodeNearby)
}

// Decoders of the path ids the registry's routes name.
var (
	enterpriseID = route.PathID("id", errEnterpriseNotFound)
	workerID     = route.PathID("id", errWorkerNotFound)
	importID     = route.PathID("id", errImportNotFound)
	pairingID    = route.PathID("id", errPairingNotFound)
)

func decodeCreateCommunity(_ context.Context, r *http.Request) (any, error) {
	var in CommunityInput
	if err := httpx.DecodeJSON(nil, r, &in, 0); err != nil {
		return nil, err
	}
	return createCommunityRequest{Street: r.PathValue("code"), In: in}, nil
}

// query reads typed query parameters, collecting errors by parameter name.
type query struct {
	v url.Values
	c validate.Collector
}

// int reads a whole number, def when the parameter is absent.
func (q *query) int(name string, def int) int { return route.IntParam(&q.c, q.v, name, def) }

// float reads a number; given reports whether the parameter was there.
func (q *query) float(name string, def float64) (v float64, given bool) {
	s := q.v.Get(name)
	if s == "" {
		return def, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		q.c.Add(name, validate.CodeInvalidFormat, "must be a number")
		return 0, false
	}
	return f, true
}

func (q *query) bool(name string) bool {
	s := q.v.Get(name)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		q.c.Add(name, validate.CodeInvalidFormat, "must be true or false")
	}
	return b
}

func (q *query) list() ListQuery {
	return ListQuery{Street: q.v.Get("street"), Community: q.v.Get("community"), Limit: q.int("limit", 50), After: q.v.Get("after")}
}

func decodeListEnterprises(_ context.Context, r *http.Request) (any, error) {
	q := query{v: r.URL.Query()}
	out := EnterpriseQuery{ListQuery: q.list(), Kind: q.v.Get("kind")}
	return out, q.c.Err()
}

func decodeListWorkers(_ context.Context, r *http.Request) (any, error) {
	q := query{v: r.URL.Query()}
	out := WorkerQuery{ListQuery: q.list(), Occupation: q.v.Get("occupation"), PoliticalStatus: q.v.Get("political_status"),
		Status: q.v.Get("status"), EnterpriseID: q.v.Get("enterprise_id")}
	return out, q.c.Err()
}

func decodeNearby(_ context.Context, r *http.Request) (any, error) {
	q := query{v: r.URL.Query()}
	var n NearbyQuery
	n.Lat, n.LatGiven = q.float("lat", 0)
	n.Lng, n.LngGiven = q.float("lng", 0)
	n.RadiusM, _ = q.float("radius_m", 3000)
	n.Facility = q.v.Get("facility")
	n.OpenNow = q.bool("open_now")
	n.Limit = q.int("limit", 20)
	return n, q.c.Err()
}

// NewHTTPHandler is the registry's whole HTTP surface: the /v1 API, health
// and readiness, and /metrics, wrapped in access logging and per-route
// metrics.
func NewHTTPHandler(svc *Service, v auth.Verifier, keys idempotency.Keys, reg *prometheus.Registry, log *slog.Logger, checks ...httpx.Check) http.Handler {
	return route.Handler(func(mux *http.ServeMux) { RegisterRoutes(mux, svc, v, keys, log) }, reg, log, checks...)
}
