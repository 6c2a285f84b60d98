package registry

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

// Requests of the pairing API that carry a path id beside a body.
type (
	endPairingRequest struct {
		ID uuid.UUID
		In EndPairingInput
	}
	contactRequest struct {
		ID uuid.UUID
		In PairingContactInput
	}
)

// mountPairing mounts pairings (结对联系), their contacts and the overdue
// list. A pairing ends by POST …/end with a reason, like a worker leaves:
// it is kept with its contacts, never deleted.
func (rt router) mountPairing(svc *Service) {
	handle := rt.handle
	handle("POST /v1/pairings", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return created(svc.CreatePairing(ctx, p, req.(PairingInput)))
	}), body[PairingInput])
	handle("GET /v1/pairings", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListPairings(ctx, p, req.(PairingQuery))
	}), decodeListPairings)
	handle("GET /v1/pairings/overdue", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.OverduePairings(ctx, p, req.(OverdueQuery))
	}), decodeOverdue)
	handle("GET /v1/pairings/{id}", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetPairing(ctx, p, req.(idRequest).ID)
	}), decodeID("pairing"))
	handle("POST /v1/pairings/{id}/end", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(endPairingRequest)
		return svc.EndPairing(ctx, p, r.ID, r.In)
	}), withID[endPairingRequest, EndPairingInput]("pairing",
		func(id uuid.UUID, in EndPairingInput) endPairingRequest { return endPairingRequest{id, in} }))
	handle("POST /v1/pairings/{id}/contacts", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(contactRequest)
		return created(svc.RecordPairingContact(ctx, p, r.ID, r.In))
	}), withID[contactRequest, PairingContactInput]("pairing",
		func(id uuid.UUID, in PairingContactInput) contactRequest { return contactRequest{id, in} }))
	handle("GET /v1/pairings/{id}/contacts", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		items, err := svc.PairingContacts(ctx, p, req.(idRequest).ID)
		return map[string]any{"items": items}, err
	}), decodeID("pairing"))
}

func decodeListPairings(_ context.Context, r *http.Request) (any, error) {
	q := query{v: r.URL.Query()}
	out := PairingQuery{ListQuery: q.list(), StaffSubject: q.v.Get("staff_subject"),
		WorkerID: q.v.Get("worker_id"), Status: q.v.Get("status")}
	return out, q.c.Err()
}

func decodeOverdue(_ context.Context, r *http.Request) (any, error) {
	q := query{v: r.URL.Query()}
	out := OverdueQuery{ListQuery: q.list(), Month: q.v.Get("month"), StaffSubject: q.v.Get("staff_subject")}
	return out, q.c.Err()
}
