package identity

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"

	kithttp "github.com/go-kit/kit/transport/http"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/clientip"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/route"
)

// NewHTTPHandler is the identity service's whole HTTP surface.
func NewHTTPHandler(svc *Service, v auth.Verifier, keys idempotency.Keys, reg *prometheus.Registry, log *slog.Logger, checks ...httpx.Check) http.Handler {
	return route.Handler(func(mux *http.ServeMux) { RegisterRoutes(mux, svc, v, keys, log) }, reg, log, checks...)
}

// RegisterRoutes mounts the identity API on mux. Signing in, refreshing
// and signing out take no bearer token (they are how one gets one); the
// rest are behind the token check like every service's routes.
func RegisterRoutes(mux *http.ServeMux, svc *Service, v auth.Verifier, keys idempotency.Keys, log *slog.Logger) {
	rt := route.New(mux, v, keys, log)
	rt.HandleOpen("POST /v1/otp", func(ctx context.Context, req any) (any, error) {
		r := req.(fromAddr[CodeRequest])
		return svc.SendCode(ctx, r.In, r.IP)
	}, withAddr[CodeRequest](svc.TrustedProxies))
	rt.HandleOpen("POST /v1/sessions", func(ctx context.Context, req any) (any, error) {
		r := req.(fromAddr[SignInInput])
		out, err := svc.SignInAny(ctx, r.In, r.IP)
		if s, ok := out.(Session); ok && err == nil {
			return httpx.Created(s), nil
		}
		return out, err
	}, withAddr[SignInInput](svc.TrustedProxies))
	rt.HandleOpen("POST /v1/sessions/refresh", func(ctx context.Context, req any) (any, error) {
		return svc.Refresh(ctx, req.(RefreshInput))
	}, route.Body[RefreshInput])
	rt.HandleOpen("DELETE /v1/sessions", func(ctx context.Context, req any) (any, error) {
		if err := svc.SignOut(ctx, req.(RefreshInput)); err != nil {
			return nil, err
		}
		return map[string]bool{"signed_out": true}, nil
	}, route.Body[RefreshInput])
	rt.HandleOpen("GET /.well-known/jwks.json", func(context.Context, any) (any, error) {
		return map[string]any{"keys": svc.JWKS()}, nil
	}, route.None)

	accountID := route.PathID("id", errAccountNotFound)
	rt.Handle("GET /v1/me", route.Endpoint(func(ctx context.Context, p auth.Principal, _ any) (any, error) {
		return svc.WhoAmI(ctx, p)
	}), route.None)
	rt.Handle("POST /v1/accounts", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Created(svc.CreateAccount(ctx, p, req.(AccountInput)))
	}), route.Body[AccountInput])
	rt.Handle("GET /v1/accounts", route.Endpoint(func(ctx context.Context, p auth.Principal, _ any) (any, error) {
		return route.Items(svc.ListAccounts(ctx, p))
	}), route.None)
	rt.Handle("PATCH /v1/accounts/{id}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[AccountUpdate])
		return svc.UpdateAccount(ctx, p, r.ID, r.In)
	}), route.PathIDWith[AccountUpdate]("id", errAccountNotFound))
	rt.Handle("POST /v1/accounts/{id}/password-reset", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ResetPassword(ctx, p, req.(uuid.UUID))
	}), accountID)
	rt.NoRoute("/v1/")
}

// fromAddr is a request body with the address it came from.
type fromAddr[T any] struct {
	In T
	IP string
}

// withAddr decodes a JSON body of T and notes the caller's address.
func withAddr[T any](trusted []netip.Prefix) kithttp.DecodeRequestFunc {
	return func(ctx context.Context, r *http.Request) (any, error) {
		in, err := route.Body[T](ctx, r)
		if err != nil {
			return nil, err
		}
		return fromAddr[T]{In: in.(T), IP: clientAddr(r, trusted)}, nil
	}
}

// clientAddr is who the limits count a request against: the client's
// address (clientip.Of: the peer's, or behind a trusted proxy the one it
// saw). An IPv6 client counts by its /64, the block one subscriber is
// given (counting single addresses of it would give them 2^64 tries).
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	addr := clientip.Of(r, trusted)
	if !addr.IsValid() {
		return r.RemoteAddr
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}
