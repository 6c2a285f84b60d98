package activity

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/route"
)

// mountActivities mounts activities, sign-ups and attendance.
func mountActivities(rt route.Router, svc *Service) {
	rt.Handle("POST /v1/activities", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Created(svc.CreateActivity(ctx, p, req.(ActivityInput)))
	}), route.Body[ActivityInput])
	rt.Handle("GET /v1/activities", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListActivities(ctx, p, req.(ListQuery))
	}), decodeActivityQuery)
	rt.Handle("GET /v1/activities/{id}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetActivity(ctx, p, req.(uuid.UUID))
	}), activityID)
	rt.Handle("POST /v1/activities/{id}/publish", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.PublishActivity(ctx, p, req.(uuid.UUID))
	}), activityID)
	rt.Handle("POST /v1/activities/{id}/checkin-code", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.NewCheckinCode(ctx, p, req.(uuid.UUID))
	}), activityID)
	rt.Handle("POST /v1/activities/{id}/cancel", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[CancelInput])
		return svc.CancelActivity(ctx, p, r.ID, r.In)
	}), route.PathIDWith[CancelInput]("id", errActivityNotFound))
	rt.Handle("POST /v1/activities/{id}/signups", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		su, isNew, err := svc.SignUp(ctx, p, req.(uuid.UUID))
		if err != nil || !isNew {
			return su, err
		}
		return route.Created(su, nil)
	}), activityID)
	rt.Handle("POST /v1/activities/{id}/signups/withdraw", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.Withdraw(ctx, p, req.(uuid.UUID))
	}), activityID)
	rt.Handle("GET /v1/activities/{id}/signups", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Items(svc.ListSignups(ctx, p, req.(uuid.UUID)))
	}), activityID)
	rt.Handle("GET /v1/workers/{worker_id}/activities", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[WorkerActivityQuery])
		return svc.WorkerActivities(ctx, p, r.ID, r.In)
	}), decodeWorkerActivityQuery)
}

// workerID decodes a worker's path {worker_id}.
var workerID = route.PathID("worker_id", errWorkerUnknown)

func decodeWorkerActivityQuery(ctx context.Context, r *http.Request) (any, error) {
	id, err := workerID(ctx, r)
	if err != nil {
		return nil, err
	}
	q := httpx.QueryFrom(ctx, r)
	in := WorkerActivityQuery{Limit: q.Int("limit", 50), After: q.Cursor("after")}
	return route.WithID[WorkerActivityQuery]{ID: id.(uuid.UUID), In: in}, q.Err()
}

// activityID decodes an activity's path {id}.
var activityID = route.PathID("id", errActivityNotFound)

func decodeListQuery(ctx context.Context, r *http.Request) (any, error) {
	q := httpx.QueryFrom(ctx, r)
	out := listQuery(q)
	return out, q.Err()
}

// listQuery reads what every list takes: a street, a community and a
// status (codes) and a page (limit, after).
func listQuery(q *httpx.Query) ListQuery {
	return ListQuery{Street: q.Code("street"), Community: q.Code("community"), Status: q.Code("status"),
		After: q.Cursor("after"), Limit: q.Int("limit", 50)}
}

// decodeActivityQuery is a list query with mine, a worker's own, and the
// from and to days of the start.
func decodeActivityQuery(ctx context.Context, r *http.Request) (any, error) {
	q := httpx.QueryFrom(ctx, r)
	out := listQuery(q)
	out.Mine = q.Bool("mine")
	out.From, out.To = q.Text("from"), q.Text("to")
	return out, q.Err()
}
