package activity

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/route"
)

// mountLists mounts the four lists: needs, resources, projects and tasks.
func mountLists(rt route.Router, svc *Service) {
	needID, resourceID, projectID, taskID := route.PathID("id", errNeedNotFound), route.PathID("id", errResourceNotFound),
		route.PathID("id", errProjectNotFound), route.PathID("id", errTaskNotFound)

	rt.Handle("POST /v1/needs", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Created(svc.CreateNeed(ctx, p, req.(NeedInput)))
	}), route.Body[NeedInput])
	rt.Handle("GET /v1/needs", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListNeeds(ctx, p, req.(CategoryQuery))
	}), decodeCategoryQuery)
	rt.Handle("GET /v1/needs/{id}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetNeed(ctx, p, req.(uuid.UUID))
	}), needID)
	rt.Handle("POST /v1/needs/{id}/withdraw", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[WithdrawInput])
		return svc.WithdrawNeed(ctx, p, r.ID, r.In)
	}), route.PathIDWith[WithdrawInput]("id", errNeedNotFound))

	rt.Handle("POST /v1/resources", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Created(svc.CreateResource(ctx, p, req.(ResourceInput)))
	}), route.Body[ResourceInput])
	rt.Handle("GET /v1/resources", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListResources(ctx, p, req.(CategoryQuery))
	}), decodeCategoryQuery)
	rt.Handle("GET /v1/resources/{id}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetResource(ctx, p, req.(uuid.UUID))
	}), resourceID)
	rt.Handle("POST /v1/resources/{id}/withdraw", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[WithdrawInput])
		return svc.WithdrawResource(ctx, p, r.ID, r.In)
	}), route.PathIDWith[WithdrawInput]("id", errResourceNotFound))

	rt.Handle("POST /v1/projects", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Created(svc.CreateProject(ctx, p, req.(ProjectInput)))
	}), route.Body[ProjectInput])
	rt.Handle("GET /v1/projects", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListProjects(ctx, p, req.(ListQuery))
	}), decodeListQuery)
	rt.Handle("GET /v1/projects/{id}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetProject(ctx, p, req.(uuid.UUID))
	}), projectID)
	rt.Handle("POST /v1/projects/{id}/claim", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[ClaimInput])
		return svc.ClaimProject(ctx, p, r.ID, r.In)
	}), route.PathIDWith[ClaimInput]("id", errProjectNotFound))
	rt.Handle("POST /v1/projects/{id}/complete", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.CompleteProject(ctx, p, req.(uuid.UUID))
	}), projectID)
	rt.Handle("POST /v1/projects/{id}/cancel", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[CancelProjectInput])
		return svc.CancelProject(ctx, p, r.ID, r.In)
	}), route.PathIDWith[CancelProjectInput]("id", errProjectNotFound))
	rt.Handle("POST /v1/projects/{id}/tasks", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[TaskInput])
		return route.Created(svc.CreateTask(ctx, p, r.ID, r.In))
	}), route.PathIDWith[TaskInput]("id", errProjectNotFound))

	rt.Handle("GET /v1/tasks", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListTasks(ctx, p, req.(TaskQuery))
	}), decodeTaskQuery(false))
	rt.Handle("GET /v1/tasks/overdue", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListTasks(ctx, p, req.(TaskQuery))
	}), decodeTaskQuery(true))
	rt.Handle("GET /v1/tasks/{id}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetTask(ctx, p, req.(uuid.UUID))
	}), taskID)
	rt.Handle("POST /v1/tasks/{id}/transitions", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[TaskTransitionInput])
		return svc.TransitionTask(ctx, p, r.ID, r.In)
	}), route.PathIDWith[TaskTransitionInput]("id", errTaskNotFound))
}

func decodeCategoryQuery(ctx context.Context, r *http.Request) (any, error) {
	q := httpx.QueryFrom(ctx, r)
	out := CategoryQuery{ListQuery: listQuery(q), Category: q.Code("category")}
	return out, q.Err()
}

func decodeTaskQuery(overdue bool) func(context.Context, *http.Request) (any, error) {
	return func(ctx context.Context, r *http.Request) (any, error) {
		q := httpx.QueryFrom(ctx, r)
		out := TaskQuery{ListQuery: listQuery(q), ProjectID: q.ID("project"), Overdue: overdue}
		return out, q.Err()
	}
}
