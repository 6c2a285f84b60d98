package points

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
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

// router mounts go-kit endpoints: every route behind the token check,
// errors as problem+json. POSTs that write no ledger entry are safe to retry
// with an Idempotency-Key through the shared middleware; the ledger's own
// POSTs (redemptions, adjustments) keep their key in the same transaction as
// the entry instead, so no crash can separate the two.
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

// handleLedger mounts a POST that handles its Idempotency-Key itself.
func (rt router) handleLedger(pattern string, ep endpoint.Endpoint, dec kithttp.DecodeRequestFunc) {
	rt.mux.Handle(pattern, rt.v.Middleware(kithttp.NewServer(ep, dec, httpx.EncodeJSON, rt.opts...)))
}

// call is a use case as an endpoint sees it: the caller and the request.
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

// answer is a response with a status and headers of its own.
type answer struct {
	status  int
	headers http.Header
	v       any
}

func (a answer) StatusCode() int              { return a.status }
func (a answer) Headers() http.Header         { return a.headers }
func (a answer) MarshalJSON() ([]byte, error) { return json.Marshal(a.v) }

// created answers 201.
func created(v any, err error) (any, error) { return replayable(v, false, err) }

// replayable answers 201; a replayed answer (the same Idempotency-Key and
// request again) says so in Idempotent-Replayed.
func replayable(v any, replayed bool, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	if replayed {
		h.Set("Idempotent-Replayed", "true")
	}
	return answer{http.StatusCreated, h, v}, nil
}

// RegisterRoutes mounts the points API on mux.
func RegisterRoutes(mux *http.ServeMux, svc *Service, v auth.Verifier, keys idempotency.Keys, log *slog.Logger) {
	rt := router{mux: mux, v: v, keys: keys, opts: httpx.ServerOptions(log)}
	accountID, storeID, itemID, redemptionID := pathID("worker_id", errAccountNotFound), pathID("id", errStoreNotFound),
		pathID("id", errItemNotFound), pathID("id", errRedemptionNotFound)

	rt.handle("GET /v1/accounts/{worker_id}", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetAccount(ctx, p, req.(uuid.UUID))
	}), accountID)
	rt.handle("GET /v1/accounts/{worker_id}/entries", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(withBody[EntryQuery])
		return svc.ListEntries(ctx, p, r.ID, r.In)
	}), func(ctx context.Context, r *http.Request) (any, error) {
		id, err := accountID(ctx, r)
		if err != nil {
			return nil, err
		}
		var c validate.Collector
		q := EntryQuery{Limit: intParam(&c, r.URL.Query(), "limit", 50), Before: r.URL.Query().Get("before")}
		return withBody[EntryQuery]{ID: id.(uuid.UUID), In: q}, c.Err()
	})
	rt.handleLedger("POST /v1/accounts/{worker_id}/adjustments", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(withBody[AdjustRequest])
		return replayable(svc.Adjust(ctx, p, r.ID, r.In))
	}), func(ctx context.Context, r *http.Request) (any, error) {
		id, err := accountID(ctx, r)
		if err != nil {
			return nil, err
		}
		var in AdjustInput
		if err := httpx.DecodeJSON(nil, r, &in, 0); err != nil {
			return nil, err
		}
		return withBody[AdjustRequest]{ID: id.(uuid.UUID), In: AdjustRequest{In: in, Key: r.Header.Get(idempotency.Header)}}, nil
	})

	rt.handle("POST /v1/rules", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return created(svc.SetRule(ctx, p, req.(RuleInput)))
	}), body[RuleInput])
	rt.handle("GET /v1/rules", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.RulesOf(ctx, p, req.(string))
	}), queryParam("street"))

	rt.handle("POST /v1/stores", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return created(svc.OpenStore(ctx, p, req.(StoreInput)))
	}), body[StoreInput])
	rt.handle("GET /v1/stores", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return items(svc.ListStores(ctx, p, req.(string)))
	}), queryParam("street"))
	rt.handle("POST /v1/stores/{id}/items", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(withBody[ItemInput])
		return created(svc.AddItem(ctx, p, r.ID, r.In))
	}), withID[ItemInput](storeID))
	rt.handle("GET /v1/stores/{id}/items", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return items(svc.ListItems(ctx, p, req.(uuid.UUID)))
	}), storeID)
	rt.handle("POST /v1/items/{id}/restock", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(withBody[RestockInput])
		return svc.Restock(ctx, p, r.ID, r.In)
	}), withID[RestockInput](itemID))

	rt.handleLedger("POST /v1/redemptions", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return replayable(svc.Redeem(ctx, p, req.(RedeemRequest)))
	}), decodeRedeem)
	rt.handle("GET /v1/redemptions", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListRedemptions(ctx, p, req.(RedemptionQuery))
	}), func(_ context.Context, r *http.Request) (any, error) {
		v := r.URL.Query()
		var c validate.Collector
		return RedemptionQuery{WorkerID: v.Get("worker_id"), StoreID: v.Get("store_id"), Status: v.Get("status"),
			After: v.Get("after"), Limit: intParam(&c, v, "limit", 50)}, c.Err()
	})
	rt.handle("GET /v1/redemptions/{id}", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetRedemption(ctx, p, req.(uuid.UUID))
	}), redemptionID)
	rt.handle("POST /v1/redemptions/{id}/cancel", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(withBody[CancelInput])
		return svc.CancelRedemption(ctx, p, r.ID, r.In)
	}), withID[CancelInput](redemptionID))
	rt.handle("POST /v1/redemptions/{id}/fulfil", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.FulfilRedemption(ctx, p, req.(uuid.UUID))
	}), redemptionID)

	rt.handle("GET /v1/ledger/check", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.CheckLedger(ctx, p, req.(string))
	}), queryParam("street"))
	rt.mountBoards(svc)

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

// items wraps a whole list as {"items": [...]}.
func items[T any](list []T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []T{}
	}
	return map[string]any{"items": list}, nil
}

// body decodes a JSON body into T.
func body[T any](_ context.Context, r *http.Request) (any, error) {
	var in T
	if err := httpx.DecodeJSON(nil, r, &in, 0); err != nil {
		return nil, err
	}
	return in, nil
}

// pathID decodes a path id; text that is not an id names nothing, which is
// notFound.
func pathID(name string, notFound error) kithttp.DecodeRequestFunc {
	return func(_ context.Context, r *http.Request) (any, error) {
		id, err := uuid.Parse(r.PathValue(name))
		if err != nil {
			return nil, notFound
		}
		return id, nil
	}
}

type withBody[T any] struct {
	ID uuid.UUID
	In T
}

// withID decodes a path id and a JSON body (an empty body is the zero T).
func withID[T any](id kithttp.DecodeRequestFunc) kithttp.DecodeRequestFunc {
	return func(ctx context.Context, r *http.Request) (any, error) {
		v, err := id(ctx, r)
		if err != nil {
			return nil, err
		}
		var in T
		if r.ContentLength != 0 {
			if err := httpx.DecodeJSON(nil, r, &in, 0); err != nil {
				return nil, err
			}
		}
		return withBody[T]{ID: v.(uuid.UUID), In: in}, nil
	}
}

func queryParam(name string) kithttp.DecodeRequestFunc {
	return func(_ context.Context, r *http.Request) (any, error) { return r.URL.Query().Get(name), nil }
}

func intParam(c *validate.Collector, v url.Values, name string, def int) int {
	s := v.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	c.Check(err == nil, name, validate.CodeInvalidFormat, "must be a whole number")
	return n
}

// decodeRedeem reads a redemption and keeps its body, whose hash tells a
// retry from a different request under the same key.
func decodeRedeem(_ context.Context, r *http.Request) (any, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, httpx.MaxBody+1))
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	var in RedeemInput
	if err := httpx.DecodeJSON(nil, r, &in, 0); err != nil {
		return nil, err
	}
	return RedeemRequest{In: in, Key: r.Header.Get(idempotency.Header), Raw: raw}, nil
}
