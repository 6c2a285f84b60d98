package registry

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/route"
)

// mountPairing mounts pairings (结对联系), their contacts and the overdue
// list. A pairing ends by POST …/end with a reason, like a worker leaves:
// it is kept with its contacts, never deleted.
func mountPairing(rt route.Router, svc *Service) {
	handle := rt.Handle
	handle("POST /v1/pairings", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Created(svc.CreatePairing(ctx, p, req.(PairingInput)))
	}), route.Body[PairingInput])
	handle("GET /v1/pairings", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListPairings(ctx, p, req.(PairingQuery))
	}), decodeListPairings)
	handle("GET /v1/pairings/overdue", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.OverduePairings(ctx, p, req.(OverdueQuery))
	}), decodeOverdue)
	handle("GET /v1/pairings/{id}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetPairing(ctx, p, req.(uuid.UUID))
	}), pairingID)
	handle("POST /v1/pairings/{id}/end", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[EndPairingInput])
		return svc.EndPairing(ctx, p, r.ID, r.In)
	}), route.PathIDAndBody[EndPairingInput]("id", errPairingNotFound))
	handle("POST /v1/pairings/{id}/contacts", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[PairingContactInput])
		return route.Created(svc.RecordPairingContact(ctx, p, r.ID, r.In))
	}), route.PathIDAndBody[PairingContactInput]("id", errPairingNotFound))
	handle("GET /v1/pairings/{id}/contacts", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Items(svc.PairingContacts(ctx, p, req.(uuid.UUID)))
	}), pairingID)
}

func decodeListPairings(ctx context.Context, r *http.Request) (any, error) {
	q := httpx.QueryFrom(ctx, r)
	out := PairingQuery{ListQuery: list(q), StaffSubject: q.Text("staff_subject"),
		WorkerID: q.ID("worker_id"), Status: q.Code("status")}
	return out, q.Err()
}

func decodeOverdue(ctx context.Context, r *http.Request) (any, error) {
	q := httpx.QueryFrom(ctx, r)
	out := OverdueQuery{ListQuery: list(q), Month: q.Text("month"), StaffSubject: q.Text("staff_subject")}
	return out, q.Err()
}
