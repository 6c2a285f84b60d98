package activity

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// mountLists mounts the four lists: needs, resources, projects and tasks.
func (rt router) mountLists(svc *Service) {
	needID, resourceID, projectID, taskID := pathID(errNeedNotFound), pathID(errResourceNotFound),
		pathID(errProjectNotFound), pathID(errTaskNotFound)

	rt.handle("POST /v1/needs", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return created(svc.CreateNeed(ctx, p, req.(NeedInput)))
	}), body[NeedInput])
	rt.handle("GET /v1/needs", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListNeeds(ctx, p, req.(CategoryQuery))
	}), decodeCategoryQuery)
	rt.handle("GET /v1/needs/{id}", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetNeed(ctx, p, req.(uuid.UUID))
	}), needID)
	rt.handle("POST /v1/needs/{id}/withdraw", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(withBody[WithdrawInput])
		return svc.WithdrawNeed(ctx, p, r.ID, r.In)
	}), pathIDWith[WithdrawInput](errNeedNotFound))

	rt.handle("POST /v1/resources", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return created(svc.CreateResource(ctx, p, req.(ResourceInput)))
	}), body[ResourceInput])
	rt.handle("GET /v1/resources", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListResources(ctx, p, req.(CategoryQuery))
	}), decodeCategoryQuery)
	rt.handle("GET /v1/resources/{id}", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetResource(ctx, p, req.(uuid.UUID))
	}), resourceID)
	rt.handle("POST /v1/resources/{id}/withdraw", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(withBody[WithdrawInput])
		return svc.WithdrawResource(ctx, p, r.ID, r.In)
	}), pathIDWith[WithdrawInput](errResourceNotFound))

	rt.handle("POST /v1/projects", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return created(svc.CreateProject(ctx, p, req.(ProjectInput)))
	}), body[ProjectInput])
	rt.handle("GET /v1/projects", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListProjects(ctx, p, req.(ListQuery))
	}), decodeListQuery)
	rt.handle("GET /v1/projects/{id}", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetProject(ctx, p, req.(uuid.UUID))
	}), projectID)
	rt.handle("POST /v1/projects/{id}/claim", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(withBody[ClaimInput])
		return svc.ClaimProject(ctx, p, r.ID, r.In)
	}), pathIDWith[ClaimInput](errProjectNotFound))
	rt.handle("POST /v1/projects/{id}/complete", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.CompleteProject(ctx, p, req.(uuid.UUID))
	}), projectID)
	rt.handle("POST /v1/projects/{id}/cancel", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(withBody[CancelProjectInput])
		return svc.CancelProject(ctx, p, r.ID, r.In)
	}), pathIDWith[CancelProjectInput](errProjectNotFound))
	rt.handle("POST /v1/projects/{id}/tasks", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(withBody[TaskInput])
		return created(svc.CreateTask(ctx, p, r.ID, r.In))
	}), pathIDWith[TaskInput](errProjectNotFound))

	rt.handle("GET /v1/tasks", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListTasks(ctx, p, req.(TaskQuery))
	}), decodeTaskQuery(false))
	rt.handle("GET /v1/tasks/overdue", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListTasks(ctx, p, req.(TaskQuery))
	}), decodeTaskQuery(true))
	rt.handle("GET /v1/tasks/{id}", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetTask(ctx, p, req.(uuid.UUID))
	}), taskID)
	rt.handle("POST /v1/tasks/{id}/transitions", mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(withBody[TaskTransitionInput])
		return svc.TransitionTask(ctx, p, r.ID, r.In)
	}), pathIDWith[TaskTransitionInput](errTaskNotFound))
}

func decodeCategoryQuery(ctx context.Context, r *http.Request) (any, error) {
	q, err := decodeListQuery(ctx, r)
	if err != nil {
		return nil, err
	}
	return CategoryQuery{ListQuery: q.(ListQuery), Category: r.URL.Query().Get("category")}, nil
}

func decodeTaskQuery(overdue bool) func(context.Context, *http.Request) (any, error) {
	return func(_ context.Context, r *http.Request) (any, error) {
		v := r.URL.Query()
		var c validate.Collector
		q := TaskQuery{ListQuery: ListQuery{Street: v.Get("street"), Community: v.Get("community"), Status: v.Get("status"),
			After: v.Get("after"), Limit: intParam(&c, v, "limit", 50)}, ProjectID: v.Get("project"), Overdue: overdue}
		return q, c.Err()
	}
}
