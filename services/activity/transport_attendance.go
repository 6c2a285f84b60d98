package activity

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/route"
)

// mountAttendance mounts check-in, check-out, corrections and the list.
func mountAttendance(rt route.Router, svc *Service) {
	rt.Handle("POST /v1/activities/{id}/attendance/check-in", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[AttendanceInput])
		att, isNew, err := svc.CheckIn(ctx, p, r.ID, r.In)
		if err != nil || !isNew {
			return att, err
		}
		return route.Created(att, nil)
	}), route.PathIDWith[AttendanceInput]("id", errActivityNotFound))
	rt.Handle("POST /v1/activities/{id}/attendance/check-out", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[AttendanceInput])
		return svc.CheckOut(ctx, p, r.ID, r.In)
	}), route.PathIDWith[AttendanceInput]("id", errActivityNotFound))
	rt.Handle("POST /v1/activities/{id}/attendance/{worker_id}/correct", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(correctRequest)
		return svc.CorrectAttendance(ctx, p, r.ID, r.WorkerID, r.In)
	}), decodeCorrect)
	rt.Handle("GET /v1/activities/{id}/attendance", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Items(svc.ListAttendance(ctx, p, req.(uuid.UUID)))
	}), activityID)
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
	b, err := route.PathIDWith[CorrectionInput]("id", errActivityNotFound)(ctx, r)
	if err != nil {
		return nil, err
	}
	wb := b.(route.WithID[CorrectionInput])
	return correctRequest{ID: wb.ID, WorkerID: wid, In: wb.In}, nil
}
