package points

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/route"
)

// answer is a response with a status and headers of its own.
type answer struct {
	status  int
	headers http.Header
	v       any
}

func (a answer) StatusCode() int              { return a.status }
func (a answer) Headers() http.Header         { return a.headers }
func (a answer) MarshalJSON() ([]byte, error) { return json.Marshal(a.v) }

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

// RegisterRoutes mounts the points API on mux: every route behind the token
// check, errors as problem+json. POSTs that write no ledger entry are safe
// to retry with an Idempotency-Key through the shared middleware; the
// ledger's own POSTs (redemptions, adjustments) keep their key in the same
// transaction as the entry instead (rt.HandleOwnKey), so no crash can
// separate the two.
func RegisterRoutes(mux *http.ServeMux, svc *Service, v auth.Verifier, keys idempotency.Keys, log *slog.Logger) {
	rt := route.New(mux, v, keys, log)
	accountID, storeID, redemptionID := route.PathID("worker_id", errAccountNotFound), route.PathID("id", errStoreNotFound),
		route.PathID("id", errRedemptionNotFound)

	rt.Handle("GET /v1/accounts/{worker_id}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetAccount(ctx, p, req.(uuid.UUID))
	}), accountID)
	rt.Handle("GET /v1/accounts/{worker_id}/entries", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[EntryQuery])
		return svc.ListEntries(ctx, p, r.ID, r.In)
	}), func(ctx context.Context, r *http.Request) (any, error) {
		id, err := accountID(ctx, r)
		if err != nil {
			return nil, err
		}
		q := httpx.QueryFrom(ctx, r)
		in := EntryQuery{Limit: q.Int("limit", 50), Before: q.Cursor("before")}
		return route.WithID[EntryQuery]{ID: id.(uuid.UUID), In: in}, q.Err()
	})
	rt.HandleOwnKey("POST /v1/accounts/{worker_id}/adjustments", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[AdjustRequest])
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
		return route.WithID[AdjustRequest]{ID: id.(uuid.UUID), In: AdjustRequest{In: in, Key: r.Header.Get(idempotency.Header)}}, nil
	})

	rt.Handle("POST /v1/rules", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Created(svc.SetRule(ctx, p, req.(RuleInput)))
	}), route.Body[RuleInput])
	rt.Handle("GET /v1/rules", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.RulesOf(ctx, p, req.(string))
	}), route.QueryCode("street"))

	rt.Handle("POST /v1/stores", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Created(svc.OpenStore(ctx, p, req.(StoreInput)))
	}), route.Body[StoreInput])
	rt.Handle("GET /v1/stores", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Items(svc.ListStores(ctx, p, req.(string)))
	}), route.QueryCode("street"))
	rt.Handle("POST /v1/stores/{id}/items", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[ItemInput])
		return route.Created(svc.AddItem(ctx, p, r.ID, r.In))
	}), route.PathIDWith[ItemInput]("id", errStoreNotFound))
	rt.Handle("GET /v1/stores/{id}/items", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Items(svc.ListItems(ctx, p, req.(uuid.UUID)))
	}), storeID)
	rt.Handle("PATCH /v1/items/{id}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[ItemUpdate])
		return svc.UpdateItem(ctx, p, r.ID, r.In)
	}), route.PathIDWith[ItemUpdate]("id", errItemNotFound))
	rt.Handle("POST /v1/items/{id}/restock", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[RestockInput])
		return svc.Restock(ctx, p, r.ID, r.In)
	}), route.PathIDWith[RestockInput]("id", errItemNotFound))
	mountItemPhotos(rt, svc)

	rt.HandleOwnKey("POST /v1/redemptions", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return replayable(svc.Redeem(ctx, p, req.(RedeemRequest)))
	}), decodeRedeem)
	rt.Handle("GET /v1/redemptions", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListRedemptions(ctx, p, req.(RedemptionQuery))
	}), func(ctx context.Context, r *http.Request) (any, error) {
		q := httpx.QueryFrom(ctx, r)
		out := RedemptionQuery{WorkerID: q.ID("worker_id"), StoreID: q.ID("store_id"), Status: q.Code("status"),
			Street: q.Code("street"), After: q.Cursor("after"), Limit: q.Int("limit", 50)}
		return out, q.Err()
	})
	rt.Handle("GET /v1/redemptions/{id}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetRedemption(ctx, p, req.(uuid.UUID))
	}), redemptionID)
	rt.Handle("POST /v1/redemptions/{id}/cancel", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[CancelInput])
		return svc.CancelRedemption(ctx, p, r.ID, r.In)
	}), route.PathIDWith[CancelInput]("id", errRedemptionNotFound))
	rt.Handle("POST /v1/redemptions/{id}/fulfil", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.FulfilRedemption(ctx, p, req.(uuid.UUID))
	}), redemptionID)

	rt.Handle("GET /v1/ledger/check", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.CheckLedger(ctx, p, req.(string))
	}), route.QueryCode("street"))
	mountBoards(rt, svc)

	rt.NoRoute("/v1/")
}

// NewHTTPHandler is the service's whole HTTP surface: the /v1 API, health,
// readiness and /metrics, with access logs and per-route metrics.
func NewHTTPHandler(svc *Service, v auth.Verifier, keys idempotency.Keys, reg *prometheus.Registry, log *slog.Logger, checks ...httpx.Check) http.Handler {
	return route.Handler(func(mux *http.ServeMux) { RegisterRoutes(mux, svc, v, keys, log) }, reg, log, checks...)
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
