package notification

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/route"
)

// RegisterRoutes mounts the notification API on mux with the services'
// conventions (package route).
func RegisterRoutes(mux *http.ServeMux, svc *Service, v auth.Verifier, keys idempotency.Keys, log *slog.Logger) {
	rt := route.New(mux, v, keys, log)
	messageID := route.PathID("id", errMessageNotFound)
	rt.Handle("GET /v1/inbox", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.Inbox(ctx, p, req.(InboxQuery))
	}), func(ctx context.Context, r *http.Request) (any, error) {
		q := httpx.QueryFrom(ctx, r)
		out := InboxQuery{Unread: q.Bool("unread"), Before: q.Cursor("before"), Limit: q.Int("limit", 50)}
		return out, q.Err()
	})
	rt.Handle("POST /v1/inbox/read", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.MarkAllRead(ctx, p, req.(ReadAllInput))
	}), route.Body[ReadAllInput])
	rt.Handle("POST /v1/inbox/{id}/read", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.MarkRead(ctx, p, req.(uuid.UUID))
	}), messageID)
	rt.Handle("GET /v1/inbox/{id}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetMessage(ctx, p, req.(uuid.UUID))
	}), messageID)
	rt.Handle("GET /v1/deliveries", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListDeliveries(ctx, p, req.(DeliveryQuery))
	}), func(ctx context.Context, r *http.Request) (any, error) {
		q := httpx.QueryFrom(ctx, r)
		out := DeliveryQuery{Street: q.Code("street"), Status: q.Code("status"), Channel: q.Code("channel"), Before: q.Cursor("before"),
			Limit: q.Int("limit", 50)}
		return out, q.Err()
	})
	rt.Handle("GET /v1/preferences", route.Endpoint(func(ctx context.Context, p auth.Principal, _ any) (any, error) {
		return svc.GetPreferences(ctx, p)
	}), route.None)
	prefs := route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.SetPreferences(ctx, p, req.(PreferencesInput))
	})
	rt.Handle("PUT /v1/preferences", prefs, route.Body[PreferencesInput])
	rt.Handle("POST /v1/broadcasts", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Created(svc.CreateBroadcast(ctx, p, req.(BroadcastInput)))
	}), route.Body[BroadcastInput])
	rt.Handle("POST /v1/broadcasts/preview", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.PreviewBroadcast(ctx, p, req.(AudienceInput))
	}), route.Body[AudienceInput])
	rt.Handle("GET /v1/broadcasts", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Items(svc.ListBroadcasts(ctx, p, req.(string)))
	}), route.QueryCode("street"))
	rt.Handle("GET /v1/broadcasts/{id}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetBroadcast(ctx, p, req.(uuid.UUID))
	}), route.PathID("id", errBroadcastNotFound))
	rt.Handle("GET /v1/templates", route.Endpoint(func(_ context.Context, p auth.Principal, _ any) (any, error) {
		if !p.IsStaff() {
			return nil, fault.Forbiddenf("only staff see templates")
		}
		return map[string]any{"items": Templates()}, nil
	}), route.None)
	rt.Handle("POST /v1/templates/{key}/preview", route.Endpoint(func(_ context.Context, p auth.Principal, req any) (any, error) {
		r := req.(previewRequest)
		return svc.Preview(p, r.key, r.in)
	}), func(ctx context.Context, r *http.Request) (any, error) {
		in, err := route.Body[PreviewInput](ctx, r)
		if err != nil {
			return nil, err
		}
		return previewRequest{key: r.PathValue("key"), in: in.(PreviewInput)}, nil
	})
	rt.NoRoute("/v1/")
}

type previewRequest struct {
	key string
	in  PreviewInput
}

// NewHTTPHandler is the service's whole HTTP surface: the /v1 API, health,
// readiness and /metrics, with access logs and per-route metrics.
func NewHTTPHandler(svc *Service, v auth.Verifier, keys idempotency.Keys, reg *prometheus.Registry, log *slog.Logger, checks ...httpx.Check) http.Handler {
	return route.Handler(func(mux *http.ServeMux) { RegisterRoutes(mux, svc, v, keys, log) }, reg, log, checks...)
}
