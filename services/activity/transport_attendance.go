package activity

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/fault"
)

// mountAttendance mounts check-in, check-out, corrections and the list.
func (rt router) mountAttendance(svc *Service) {
	rt.handle("POST /v1/activities/{id}/attendance/check-in", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(withBody[AttendanceInput])
		att, isNew, err := svc.CheckIn(ctx, p, r.ID, r.In)
		if err != nil || !isNew {
			return att, err
		}
		return created(att, nil)
	}), withID[AttendanceInput])
	rt.handle("POST /v1/activities/{id}/attendance/check-out", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(withBody[AttendanceInput])
		return svc.CheckOut(ctx, p, r.ID, r.In)
	}), withID[AttendanceInput])
	rt.handle("POST /v1/activities/{id}/attendance/{worker_id}/correct", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(correctRequest)
		return svc.CorrectAttendance(ctx, p, r.ID, r.WorkerID, r.In)
	}), decodeCorrect)
	rt.handle("GET /v1/activities/{id}/attendance", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		items, err := svc.ListAttendance(ctx, p, req.(uuid.UUID))
		if err != nil {
			return nil, err
		}
		return map[string]any{"items": items}, nil
	}), decodeID)
}

type correctRequest struct {
	ID       uuid.UUID
	WorkerID uuid.UUID
	In       CorrectionInput
}

func decodeCorrect(ctx context.Context, r *http.Request) (any, error) {
	wid, err := uuid.Parse(r.PathValue("worker_id"))
	if err != nil {
		return nil, fault.NotFoundf("no attendance of this worker at this activity")
	}
	b, err := withID[CorrectionInput](ctx, r)
	if err != nil {
		return nil, err
	}
	wb := b.(withBody[CorrectionInput])
	return correctRequest{ID: wb.ID, WorkerID: wid, In: wb.In}, nil
}
