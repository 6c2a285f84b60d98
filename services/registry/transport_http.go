package registry

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/metrics"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// router mounts go-kit endpoints with the registry's conventions: every
// route behind the token check, every create (POST) safe to retry with an
// Idempotency-Key, errors as problem+json. Each area of the API mounts its
// routes from its own file through a router.
type router struct {
	mux  *http.ServeMux
	v    auth.Verifier
	keys idempotency.Keys
	opts []kithttp.ServerOption
}

// handle mounts an endpoint answering JSON.
func (rt router) handle(pattern string, ep endpoint.Endpoint, dec kithttp.DecodeRequestFunc) {
	rt.handleWith(pattern, ep, dec, httpx.EncodeJSON)
}

// handleWith mounts an endpoint with its own response encoder (files).
func (rt router) handleWith(pattern string, ep endpoint.Endpoint, dec kithttp.DecodeRequestFunc, enc kithttp.EncodeResponseFunc) {
	var h http.Handler = kithttp.NewServer(ep, dec, enc, rt.opts...)
	if strings.HasPrefix(pattern, "POST ") {
		h = rt.keys.Middleware(h)
	}
	rt.mux.Handle(pattern, rt.v.Middleware(h))
}

// RegisterRoutes mounts the registry's /v1 API on mux.
func RegisterRoutes(mux *http.ServeMux, svc *Service, v auth.Verifier, keys idempotency.Keys, log *slog.Logger) {
	rt := router{mux: mux, v: v, keys: keys, opts: httpx.ServerOptions(log)}
	rt.mountLedger(MakeEndpoints(svc))
	rt.mountRosters(svc)
	rt.mountImports(svc)
	rt.mountPairing(svc)
	rt.mountParty(svc)

	// Anything else under /v1 answers problem+json too, not the mux's text.
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, httpx.ProblemFor(fault.NotFoundf("no such endpoint: %s %s", r.Method, r.URL.Path)))
	})
}

// mountLedger mounts the org tree, enterprises, workers, check-ins and stations.
func (rt router) mountLedger(eps Endpoints) {
	handle := rt.handle
	handle("POST /v1/streets", eps.CreateStreet, body[StreetInput])
	handle("POST /v1/streets/{code}/communities", eps.CreateCommunity, decodeCreateCommunity)
	handle("GET /v1/org", eps.Org, noBody)
	handle("GET /v1/vocabulary", eps.Vocabulary, noBody)

	handle("POST /v1/enterprises", eps.CreateEnterprise, body[EnterpriseInput])
	handle("GET /v1/enterprises", eps.ListEnterprises, decodeListEnterprises)
	handle("GET /v1/enterprises/{id}", eps.GetEnterprise, decodeID("enterprise"))
	handle("PATCH /v1/enterprises/{id}", eps.UpdateEnterprise, withID[updateEnterpriseRequest, EnterprisePatch]("enterprise",
		func(id uuid.UUID, in EnterprisePatch) updateEnterpriseRequest { return updateEnterpriseRequest{id, in} }))

	handle("POST /v1/workers", eps.RegisterWorker, body[WorkerInput])
	handle("GET /v1/workers", eps.ListWorkers, decodeListWorkers)
	handle("GET /v1/workers/{id}", eps.GetWorker, decodeID("worker"))
	handle("GET /v1/workers/{id}/pii", eps.WorkerPII, decodeID("worker"))
	handle("PATCH /v1/workers/{id}", eps.UpdateWorker, withID[updateWorkerRequest, WorkerPatch]("worker",
		func(id uuid.UUID, in WorkerPatch) updateWorkerRequest { return updateWorkerRequest{id, in} }))
	handle("POST /v1/workers/{id}/leave", eps.LeaveWorker, withID[leaveRequest, LeaveInput]("worker",
		func(id uuid.UUID, in LeaveInput) leaveRequest { return leaveRequest{id, in} }))
	handle("POST /v1/workers/{id}/checkins", eps.CheckIn, withID[checkInRequest, CheckInInput]("worker",
		func(id uuid.UUID, in CheckInInput) checkInRequest { return checkInRequest{id, in} }))

	handle("POST /v1/stations", eps.OpenStation, body[StationInput])
	handle("GET /v1/stations/nearby", eps.NearbyStations, decodeNearby)
}

func noBody(context.Context, *http.Request) (any, error) { return nil, nil }

// body decodes a JSON body into T. The ResponseWriter is not available to a
// go-kit decoder, so the size limit is enforced without one (nil is fine for
// http.MaxBytesReader).
func body[T any](_ context.Context, r *http.Request) (any, error) {
	var in T
	if err := httpx.DecodeJSON(nil, r, &in, 0); err != nil {
		return nil, err
	}
	return in, nil
}

func pathID(r *http.Request, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return uuid.Nil, fault.NotFoundf("%s not found", what)
	}
	return id, nil
}

func decodeID(what string) kithttp.DecodeRequestFunc {
	return func(_ context.Context, r *http.Request) (any, error) {
		id, err := pathID(r, what)
		return idRequest{ID: id}, err
	}
}

// withID decodes a path id and a JSON body into one request.
func withID[R, T any](what string, build func(uuid.UUID, T) R) kithttp.DecodeRequestFunc {
	return func(_ context.Context, r *http.Request) (any, error) {
		id, err := pathID(r, what)
		if err != nil {
			return nil, err
		}
		var in T
		if err := httpx.DecodeJSON(nil, r, &in, 0); err != nil {
			return nil, err
		}
		return build(id, in), nil
	}
}

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
func (q *query) int(name string, def int) int {
	s := q.v.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		q.c.Add(name, validate.CodeInvalidFormat, "must be a whole number")
	}
	return n
}

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
	mux := http.NewServeMux()
	RegisterRoutes(mux, svc, v, keys, log)
	httpx.Health(mux, checks...)
	mux.Handle("GET /metrics", metrics.Handler(reg))
	return httpx.Middleware(log, metrics.NewHTTP(reg).Wrap(mux))
}
