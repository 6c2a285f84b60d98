package notification

import (
	"context"
	"log/slog"
	"net/http"
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

// router mounts go-kit endpoints: every route behind the token check, every
// POST safe to retry with an Idempotency-Key, errors as problem+json.
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

type call func(ctx context.Context, p auth.Principal, req any) (any, error)

func mk(c call) endpoint.Endpoint {
	return func(ctx context.Context, req any) (any, error) {
		p, ok := auth.FromContext(ctx)
		if !ok {
			return nil, &fault.Error{Kind: fault.Unauthenticated, Message: "not signed in"}
		}
		return c(ctx, p, req)
	}
}

// RegisterRoutes mounts the notification API on mux.
func RegisterRoutes(mux *http.ServeMux, svc *Service, v auth.Verifier, keys idempotency.Keys, log *slog.Logger) {
	rt := router{mux: mux, v: v, keys: keys, opts: httpx.ServerOptions(log)}
	rt.handle("GET /v1/inbox", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.Inbox(ctx, p, req.(InboxQuery))
	}), func(_ context.Context, r *http.Request) (any, error) {
		v := r.URL.Query()
		var c validate.Collector
		q := InboxQuery{Unread: v.Get("unread") == "true", Before: v.Get("before"), Limit: 50}
		if s := v.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			c.Check(err == nil, "limit", validate.CodeInvalidFormat, "must be a whole number")
			q.Limit = n
		}
		return q, c.Err()
	})
	rt.handle("POST /v1/inbox/{id}/read", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.MarkRead(ctx, p, req.(uuid.UUID))
	}), func(_ context.Context, r *http.Request) (any, error) {
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			return nil, fault.NotFoundf("message not found")
		}
		return id, nil
	})
	rt.handle("GET /v1/inbox/{id}", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetMessage(ctx, p, req.(uuid.UUID))
	}), func(_ context.Context, r *http.Request) (any, error) {
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			return nil, fault.NotFoundf("message not found")
		}
		return id, nil
	})
	rt.handle("GET /v1/deliveries", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListDeliveries(ctx, p, req.(DeliveryQuery))
	}), func(_ context.Context, r *http.Request) (any, error) {
		v := r.URL.Query()
		var c validate.Collector
		q := DeliveryQuery{Street: v.Get("street"), Status: v.Get("status"), Channel: v.Get("channel"), Before: v.Get("before"), Limit: 50}
		if s := v.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			c.Check(err == nil, "limit", validate.CodeInvalidFormat, "must be a whole number")
			q.Limit = n
		}
		return q, c.Err()
	})
	rt.handle("GET /v1/preferences", mk(func(ctx context.Context, p auth.Principal, _ any) (any, error) {
		return svc.GetPreferences(ctx, p)
	}), none)
	prefs := mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.SetPreferences(ctx, p, req.(PreferencesInput))
	})
	rt.handle("PUT /v1/preferences", prefs, body[PreferencesInput])
	rt.handle("POST /v1/broadcasts", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		b, err := svc.CreateBroadcast(ctx, p, req.(BroadcastInput))
		if err != nil {
			return nil, err
		}
		return httpx.Created(b), nil
	}), body[BroadcastInput])
	rt.handle("GET /v1/broadcasts", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		list, err := svc.ListBroadcasts(ctx, p, req.(string))
		if err != nil {
			return nil, err
		}
		return map[string]any{"items": list}, nil
	}), func(_ context.Context, r *http.Request) (any, error) { return r.URL.Query().Get("street"), nil })
	rt.handle("GET /v1/broadcasts/{id}", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetBroadcast(ctx, p, req.(uuid.UUID))
	}), func(_ context.Context, r *http.Request) (any, error) {
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			return nil, errBroadcastNotFound
		}
		return id, nil
	})
	rt.handle("GET /v1/templates", mk(func(_ context.Context, p auth.Principal, _ any) (any, error) {
		if !p.IsStaff() {
			return nil, fault.Forbiddenf("only staff see templates")
		}
		return map[string]any{"items": Templates()}, nil
	}), none)
	rt.handle("POST /v1/templates/{key}/preview", mk(func(_ context.Context, p auth.Principal, req any) (any, error) {
		r := req.(previewRequest)
		return svc.Preview(p, r.key, r.in)
	}), func(ctx context.Context, r *http.Request) (any, error) {
		in, err := body[PreviewInput](ctx, r)
		if err != nil {
			return nil, err
		}
		return previewRequest{key: r.PathValue("key"), in: in.(PreviewInput)}, nil
	})
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, httpx.ProblemFor(fault.NotFoundf("no such endpoint: %s %s", r.Method, r.URL.Path)))
	})
}

type previewRequest struct {
	key string
	in  PreviewInput
}

func none(context.Context, *http.Request) (any, error) { return nil, nil }

// body decodes a JSON body into T.
func body[T any](_ context.Context, r *http.Request) (any, error) {
	var in T
	if err := httpx.DecodeJSON(nil, r, &in, 0); err != nil {
		return nil, err
	}
	return in, nil
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
