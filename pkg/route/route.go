// Package route mounts go-kit endpoints with the services' conventions:
// every route behind the token check, every POST safe to retry with an
// Idempotency-Key, answers as JSON and errors as problem+json. It also holds
// the small decoders and answers every service's transport uses: a JSON
// body, a path id (text that is not an id names nothing: 404), a code from
// the query, a list as {"items": [...]} and 201 Created. Every route's
// query goes through one reader (httpx.Query): a parameter the route does
// not read is refused, never ignored. And
// Handler puts a service's routes together with what every service serves
// besides: health, readiness and metrics.
package route

import (
	"context"
	"log/slog"
	"net/http"
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
)

// Handler is a service's whole HTTP surface: the routes register mounts,
// GET /healthz and /readyz (httpx.Health with checks) and GET /metrics
// (reg), wrapped in access logging and per-route metrics. What no route
// takes, anywhere, is answered as problem+json (httpx.Unmatched).
func Handler(register func(*http.ServeMux), reg *prometheus.Registry, log *slog.Logger, checks ...httpx.Check) http.Handler {
	mux := http.NewServeMux()
	register(mux)
	httpx.Health(mux, checks...)
	mux.Handle("GET /metrics", metrics.Handler(reg))
	return httpx.Middleware(log, metrics.NewHTTP(reg).Wrap(httpx.Unmatched(mux)))
}

// Router mounts go-kit endpoints on Mux. Each area of a service's API
// mounts its routes through one Router.
type Router struct {
	Mux      *http.ServeMux
	Verifier auth.Verifier
	Keys     idempotency.Keys
	Options  []kithttp.ServerOption // go-kit server options of every route
}

// New is a Router with the server options every service uses
// (httpx.ServerOptions).
func New(mux *http.ServeMux, v auth.Verifier, keys idempotency.Keys, log *slog.Logger) Router {
	return Router{Mux: mux, Verifier: v, Keys: keys, Options: httpx.ServerOptions(log)}
}

// Handle mounts an endpoint answering JSON: behind the token check and, for
// a POST, the Idempotency-Key middleware.
func (rt Router) Handle(pattern string, ep endpoint.Endpoint, dec kithttp.DecodeRequestFunc) {
	rt.HandleWith(pattern, ep, dec, httpx.EncodeJSON)
}

// HandleWith mounts an endpoint with its own response encoder (a file, a
// photo), otherwise as Handle does.
func (rt Router) HandleWith(pattern string, ep endpoint.Endpoint, dec kithttp.DecodeRequestFunc, enc kithttp.EncodeResponseFunc) {
	var h http.Handler = kithttp.NewServer(ep, strictQuery(dec), enc, rt.Options...)
	if strings.HasPrefix(pattern, "POST ") {
		h = rt.Keys.Middleware(h)
	}
	rt.Mux.Handle(pattern, rt.Verifier.Middleware(h))
}

// HandleOpen mounts an endpoint that takes no bearer token — signing in,
// the public keys — answering JSON, with the same query rule as every
// route. It has no Idempotency-Key middleware either: a sign-in's answer
// carries tokens, which must never be stored to be replayed.
func (rt Router) HandleOpen(pattern string, ep endpoint.Endpoint, dec kithttp.DecodeRequestFunc) {
	rt.Mux.Handle(pattern, kithttp.NewServer(ep, strictQuery(dec), httpx.EncodeJSON, rt.Options...))
}

// HandleOwnKey mounts a POST that handles its Idempotency-Key itself (in the
// same transaction as its write), so it is not wrapped by the middleware;
// it is still behind the token check and answers JSON.
func (rt Router) HandleOwnKey(pattern string, ep endpoint.Endpoint, dec kithttp.DecodeRequestFunc) {
	rt.Mux.Handle(pattern, rt.Verifier.Middleware(kithttp.NewServer(ep, strictQuery(dec), httpx.EncodeJSON, rt.Options...)))
}

// strictQuery gives dec the request's query reader (httpx.QueryFrom) and
// holds every route to it: a parameter the decoder did not read is not one
// the route takes, and is refused (400) rather than ignored — also on the
// routes whose decoders read no query at all. An error of the decoder's own
// (a path id naming nothing, a bad body) comes first.
func strictQuery(dec kithttp.DecodeRequestFunc) kithttp.DecodeRequestFunc {
	return func(ctx context.Context, r *http.Request) (any, error) {
		q := httpx.NewQuery(r)
		req, err := dec(httpx.WithQuery(ctx, q), r)
		if err != nil {
			return nil, err
		}
		if err := q.Err(); err != nil {
			return nil, err
		}
		return req, nil
	}
}

// NoRoute answers every request under prefix that no route takes as a
// problem+json 404, not the mux's plain text.
func (rt Router) NoRoute(prefix string) {
	rt.Mux.HandleFunc(prefix, func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, httpx.ProblemFor(fault.NotFoundf("no such endpoint: %s %s", r.Method, r.URL.Path)))
	})
}

// Call is a use case as an endpoint sees it: the caller and the request.
type Call func(ctx context.Context, p auth.Principal, req any) (any, error)

// Endpoint adapts a Call to a go-kit endpoint, fetching the caller that the
// Router's token check stored.
func Endpoint(c Call) endpoint.Endpoint {
	return func(ctx context.Context, req any) (any, error) {
		p, ok := auth.FromContext(ctx)
		if !ok {
			return nil, &fault.Error{Kind: fault.Unauthenticated, Message: "not signed in"}
		}
		return c(ctx, p, req)
	}
}

// Created answers 201 with v, or err.
func Created(v any, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return httpx.Created(v), nil
}

// Items answers a whole list as {"items": [...]} (an empty list, never null),
// or err.
func Items[T any](list []T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []T{}
	}
	return map[string]any{"items": list}, nil
}

// None decodes a request that carries nothing: the request is nil.
func None(context.Context, *http.Request) (any, error) { return nil, nil }

// QueryCode decodes the query parameter name, a code such as a street
// (validate.Code), as a string ("" when absent); it is the route's only
// parameter.
func QueryCode(name string) kithttp.DecodeRequestFunc {
	return func(ctx context.Context, r *http.Request) (any, error) {
		q := httpx.QueryFrom(ctx, r)
		v := q.Code(name)
		return v, q.Err()
	}
}

// Body decodes a JSON body into a T (httpx.DecodeJSON: strict, at most
// httpx.MaxBody). The ResponseWriter is not available to a go-kit decoder,
// so the size limit is enforced without one.
func Body[T any](_ context.Context, r *http.Request) (any, error) {
	var in T
	if err := httpx.DecodeJSON(nil, r, &in, 0); err != nil {
		return nil, err
	}
	return in, nil
}

// PathID decodes the path wildcard name as a uuid.UUID; text that is not an
// id names nothing, which is notFound.
func PathID(name string, notFound error) kithttp.DecodeRequestFunc {
	return func(_ context.Context, r *http.Request) (any, error) {
		id, err := uuid.Parse(r.PathValue(name))
		if err != nil {
			return nil, notFound
		}
		return id, nil
	}
}

// WithID is a request naming something by its path id, with a body.
type WithID[T any] struct {
	ID uuid.UUID
	In T
}

// PathIDWith decodes the path id name (as PathID) and a JSON body into a
// WithID[T]. A body that is empty (Content-Length 0) is the zero T.
func PathIDWith[T any](name string, notFound error) kithttp.DecodeRequestFunc {
	return pathIDAnd[T](name, notFound, false)
}

// PathIDAndBody is PathIDWith for a body that must be there: an empty one
// is refused, as Body refuses it.
func PathIDAndBody[T any](name string, notFound error) kithttp.DecodeRequestFunc {
	return pathIDAnd[T](name, notFound, true)
}

func pathIDAnd[T any](name string, notFound error, bodyRequired bool) kithttp.DecodeRequestFunc {
	pathID := PathID(name, notFound)
	return func(ctx context.Context, r *http.Request) (any, error) {
		id, err := pathID(ctx, r)
		if err != nil {
			return nil, err
		}
		var in T
		if bodyRequired || r.ContentLength != 0 {
			if err := httpx.DecodeJSON(nil, r, &in, 0); err != nil {
				return nil, err
			}
		}
		return WithID[T]{ID: id.(uuid.UUID), In: in}, nil
	}
}
