package activity

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/route"
)

// RegisterRoutes mounts the activity service's /v1 API on mux with the
// services' conventions (package route); each area mounts its routes from
// its own file.
func RegisterRoutes(mux *http.ServeMux, svc *Service, v auth.Verifier, keys idempotency.Keys, log *slog.Logger) {
	rt := route.New(mux, v, keys, log)
	mountActivities(rt, svc)
	mountAttendance(rt, svc)
	mountReports(rt, svc)
	mountLists(rt, svc)
	rt.NoRoute("/v1/")
}

// NewHTTPHandler is the service's whole HTTP surface: the /v1 API, health,
// readiness and /metrics, with access logs and per-route metrics.
func NewHTTPHandler(svc *Service, v auth.Verifier, keys idempotency.Keys, reg *prometheus.Registry, log *slog.Logger, checks ...httpx.Check) http.Handler {
	return route.Handler(func(mux *http.ServeMux) { RegisterRoutes(mux, svc, v, keys, log) }, reg, log, checks...)
}
