package registry

import (
	"context"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/route"
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
func mountParty(rt route.Router, svc *Service) {
	rt.Handle("POST /v1/workers/{id}/political-status", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[StatusStepInput])
		return route.Created(svc.StepStatus(ctx, p, r.ID, r.In))
	}), route.PathIDAndBody[StatusStepInput]("id", errWorkerNotFound))

	rt.Handle("GET /v1/workers/{id}/political-status", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Items(svc.StatusHistory(ctx, p, req.(uuid.UUID)))
	}), workerID)

	rt.Handle("POST /v1/workers/{id}/transfer", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[TransferInput])
		return route.Created(svc.TransferWorker(ctx, p, r.ID, r.In))
	}), route.PathIDAndBody[TransferInput]("id", errWorkerNotFound))

	rt.Handle("GET /v1/workers/{id}/transfers", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Items(svc.Transfers(ctx, p, req.(uuid.UUID)))
	}), workerID)
}
