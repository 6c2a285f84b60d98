package stats

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/route"
)

// NewHTTPHandler is the stats service's whole HTTP surface: its API behind
// the token check, health, readiness and metrics.
func NewHTTPHandler(svc *Service, v auth.Verifier, keys idempotency.Keys, reg *prometheus.Registry, log *slog.Logger, checks ...httpx.Check) http.Handler {
	return route.Handler(func(mux *http.ServeMux) { RegisterRoutes(mux, svc, v, keys, log) }, reg, log, checks...)
}

// RegisterRoutes mounts the stats API on mux.
func RegisterRoutes(mux *http.ServeMux, svc *Service, v auth.Verifier, keys idempotency.Keys, log *slog.Logger) {
	rt := route.New(mux, v, keys, log)
	rt.Handle("GET /v1/stats/overview", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.Overview(ctx, p, req.(OverviewQuery))
	}), func(ctx context.Context, r *http.Request) (any, error) {
		q := httpx.QueryFrom(ctx, r)
		in := OverviewQuery{Scope: q.Code("scope"), Code: q.Code("code"), At: q.Text("at")}
		return in, q.Err()
	})
	rt.Handle("GET /v1/stats/series", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.Series(ctx, p, req.(SeriesQuery))
	}), func(ctx context.Context, r *http.Request) (any, error) {
		q := httpx.QueryFrom(ctx, r)
		in := SeriesQuery{Metric: q.Code("metric"), Scope: q.Code("scope"), Code: q.Code("code"), From: q.Text("from"), To: q.Text("to")}
		return in, q.Err()
	})
	rt.Handle("POST /v1/stats/rebuild", route.Endpoint(func(ctx context.Context, p auth.Principal, _ any) (any, error) {
		st, err := svc.Rebuild(ctx, p)
		if err != nil {
			return nil, err
		}
		return accepted{st}, nil
	}), route.None)
	rt.Handle("GET /v1/stats/rebuild", route.Endpoint(func(ctx context.Context, p auth.Principal, _ any) (any, error) {
		return svc.RebuildStatus(ctx, p)
	}), route.None)
	mountReport(rt, svc)
	rt.NoRoute("/v1/")
}

// accepted answers 202: the rebuild runs on after the answer.
type accepted struct{ v RebuildStatus }

func (a accepted) StatusCode() int              { return http.StatusAccepted }
func (a accepted) MarshalJSON() ([]byte, error) { return json.Marshal(a.v) }
