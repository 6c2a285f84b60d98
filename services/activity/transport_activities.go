package activity

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/route"
	"github.com/nuanxin/nuanxin/pkg/validate"
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

func decodeListQuery(_ context.Context, r *http.Request) (any, error) {
	var c validate.Collector
	q := listQuery(&c, r.URL.Query())
	return q, c.Err()
}

func listQuery(c *validate.Collector, v url.Values) ListQuery {
	return ListQuery{Street: v.Get("street"), Community: v.Get("community"), Status: v.Get("status"),
		After: v.Get("after"), Limit: route.IntParam(c, v, "limit", 50)}
}

// decodeActivityQuery is a list query with mine, a worker's own.
func decodeActivityQuery(_ context.Context, r *http.Request) (any, error) {
	var c validate.Collector
	v := r.URL.Query()
	q := listQuery(&c, v)
	if m := v.Get("mine"); m != "" {
		mine, err := strconv.ParseBool(m)
		c.Check(err == nil, "mine", validate.CodeInvalidFormat, "must be true or false")
		q.Mine = mine
	}
	return q, c.Err()
}
