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

// decodeActivityQuery is a list query with mine, a worker's own.
func decodeActivityQuery(ctx context.Context, r *http.Request) (any, error) {
	q := httpx.QueryFrom(ctx, r)
	out := listQuery(q)
	out.Mine = q.Bool("mine")
	return out, q.Err()
}
