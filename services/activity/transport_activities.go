package activity

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	kithttp "github.com/go-kit/kit/transport/http"
	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// mountActivities mounts activities, sign-ups and attendance.
func (rt router) mountActivities(svc *Service) {
	rt.handle("POST /v1/activities", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return created(svc.CreateActivity(ctx, p, req.(ActivityInput)))
	}), body[ActivityInput])
	rt.handle("GET /v1/activities", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListActivities(ctx, p, req.(ListQuery))
	}), decodeListQuery)
	rt.handle("GET /v1/activities/{id}", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetActivity(ctx, p, req.(uuid.UUID))
	}), decodeID)
	rt.handle("POST /v1/activities/{id}/publish", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.PublishActivity(ctx, p, req.(uuid.UUID))
	}), decodeID)
	rt.handle("POST /v1/activities/{id}/cancel", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(withBody[CancelInput])
		return svc.CancelActivity(ctx, p, r.ID, r.In)
	}), withID[CancelInput])
	rt.handle("POST /v1/activities/{id}/signups", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		su, isNew, err := svc.SignUp(ctx, p, req.(uuid.UUID))
		if err != nil || !isNew {
			return su, err
		}
		return created(su, nil)
	}), decodeID)
	rt.handle("POST /v1/activities/{id}/signups/withdraw", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.Withdraw(ctx, p, req.(uuid.UUID))
	}), decodeID)
	rt.handle("GET /v1/activities/{id}/signups", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		items, err := svc.ListSignups(ctx, p, req.(uuid.UUID))
		if err != nil {
			return nil, err
		}
		return map[string]any{"items": items}, nil
	}), decodeID)
}

// body decodes a JSON body into T.
func body[T any](_ context.Context, r *http.Request) (any, error) {
	var in T
	if err := httpx.DecodeJSON(nil, r, &in, 0); err != nil {
		return nil, err
	}
	return in, nil
}

// pathID decodes the {id} of a path; text that is not an id names nothing,
// which is notFound.
func pathID(notFound error) kithttp.DecodeRequestFunc {
	return func(_ context.Context, r *http.Request) (any, error) {
		id, err := uuid.Parse(r.PathValue("id"))
		if err != nil {
			return nil, notFound
		}
		return id, nil
	}
}

type withBody[T any] struct {
	ID uuid.UUID
	In T
}

// pathIDWith decodes a path {id} and a JSON body (an empty body is the zero T).
func pathIDWith[T any](notFound error) kithttp.DecodeRequestFunc {
	return func(ctx context.Context, r *http.Request) (any, error) {
		id, err := pathID(notFound)(ctx, r)
		if err != nil {
			return nil, err
		}
		var in T
		if r.ContentLength != 0 {
			if err := httpx.DecodeJSON(nil, r, &in, 0); err != nil {
				return nil, err
			}
		}
		return withBody[T]{ID: id.(uuid.UUID), In: in}, nil
	}
}

// decodeID and withID decode an activity's id (and a body).
var decodeID = pathID(errActivityNotFound)

func withID[T any](ctx context.Context, r *http.Request) (any, error) {
	return pathIDWith[T](errActivityNotFound)(ctx, r)
}

func decodeListQuery(_ context.Context, r *http.Request) (any, error) {
	v := r.URL.Query()
	var c validate.Collector
	q := ListQuery{Street: v.Get("street"), Community: v.Get("community"), Status: v.Get("status"),
		After: v.Get("after"), Limit: intParam(&c, v, "limit", 50)}
	return q, c.Err()
}

func intParam(c *validate.Collector, v url.Values, name string, def int) int {
	s := v.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	c.Check(err == nil, name, validate.CodeInvalidFormat, "must be a whole number")
	return n
}
