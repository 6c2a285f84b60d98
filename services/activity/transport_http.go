package activity

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/go-kit/kit/endpoint"
	kithttp "github.com/go-kit/kit/transport/http"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/metrics"
)

// router mounts go-kit endpoints with the service's conventions: every route
// behind the token check, every POST safe to retry with an Idempotency-Key,
// errors as problem+json. Each area mounts its routes from its own file.
type router struct {
	mux  *http.ServeMux
	v    auth.Verifier
	keys idempotency.Keys
	opts []kithttp.ServerOption
}

func (rt router) handle(pattern string, ep endpoint.Endpoint, dec kithttp.DecodeRequestFunc) {
	var h http.Handler = kithttp.NewServer(ep, dec, httpx.EncodeJSON, rt.opts...)
	if strings.HasPrefix(pattern, "POST ") {
		h = rt.keys.Middleware(h)
	}
	rt.mux.Handle(pattern, rt.v.Middleware(h))
}

// call is a use case as an endpoint sees it: the caller and the request.
type call func(ctx context.Context, p auth.Principal, req any) (any, error)

// mk adapts a call to a go-kit endpoint.
func mk(c call) endpoint.Endpoint {
	return func(ctx context.Context, req any) (any, error) {
		p, ok := auth.FromContext(ctx)
		if !ok {
			return nil, &fault.Error{Kind: fault.Unauthenticated, Message: "not signed in"}
		}
		return c(ctx, p, req)
	}
}

// created answers 201 with v.
func created(v any, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return httpx.Created(v), nil
}

// RegisterRoutes mounts the activity service's /v1 API on mux.
func RegisterRoutes(mux *http.ServeMux, svc *Service, v auth.Verifier, keys idempotency.Keys, log *slog.Logger) {
	rt := router{mux: mux, v: v, keys: keys, opts: httpx.ServerOptions(log)}
	rt.mountActivities(svc)
	rt.mountAttendance(svc)
	rt.mountReports(svc)
	rt.mountLists(svc)
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, httpx.ProblemFor(fault.NotFoundf("no such endpoint: %s %s", r.Method, r.URL.Path)))
	})
}

// NewHTTPHandler is the service's whole HTTP surface: the /v1 API, health,
// readiness and /metrics, with access logs and per-route metrics.
func NewHTTPHandler(svc *Service, v auth.Verifier, keys idempotency.Keys, reg *prometheus.Registry, log *slog.Logger, checks ...httpx.Check) http.Handler {
	mux := http.NewServeMux()
	RegisterRoutes(mux, svc, v, keys, log)
	httpx.Health(mux, checks...)
	mux.Handle("GET /metrics", metrics.Handler(reg))
	return httpx.Middleware(log, metrics.NewHTTP(reg).Wrap(mux))
}
