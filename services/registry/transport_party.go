package registry

import (
	"context"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

// Requests of the party pipeline and transfers: a worker id and a body.
type (
	statusStepRequest struct {
		ID uuid.UUID
		In StatusStepInput
	}
	transferRequest struct {
		ID uuid.UUID
		In TransferInput
	}
)

// mountParty mounts the party pipeline (political-status steps) and
// transfers between communities:
//
//	POST /v1/workers/{id}/political-status   record one step (201, the step)
//	GET  /v1/workers/{id}/political-status   the steps, oldest first
//	POST /v1/workers/{id}/transfer           move the worker (201, the transfer)
//	GET  /v1/workers/{id}/transfers          the transfers, oldest first
//
// A worker's history is a handful of rows, so the lists are not paged.
func (rt router) mountParty(svc *Service) {
	rt.handle("POST /v1/workers/{id}/political-status", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(statusStepRequest)
		return created(svc.StepStatus(ctx, p, r.ID, r.In))
	}), withID[statusStepRequest, StatusStepInput]("worker",
		func(id uuid.UUID, in StatusStepInput) statusStepRequest { return statusStepRequest{id, in} }))

	rt.handle("GET /v1/workers/{id}/political-status", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		steps, err := svc.StatusHistory(ctx, p, req.(idRequest).ID)
		return map[string]any{"items": steps}, err
	}), decodeID("worker"))

	rt.handle("POST /v1/workers/{id}/transfer", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(transferRequest)
		return created(svc.TransferWorker(ctx, p, r.ID, r.In))
	}), withID[transferRequest, TransferInput]("worker",
		func(id uuid.UUID, in TransferInput) transferRequest { return transferRequest{id, in} }))

	rt.handle("GET /v1/workers/{id}/transfers", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		transfers, err := svc.Transfers(ctx, p, req.(idRequest).ID)
		return map[string]any{"items": transfers}, err
	}), decodeID("worker"))
}
