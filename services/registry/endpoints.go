package registry

import (
	"context"

	"github.com/go-kit/kit/endpoint"
	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/httpx"
)

// Endpoints are the registry's go-kit endpoints, one per use case. The
// transport authenticates every request first (auth.Verifier.Middleware),
// so inside an endpoint the caller is known.
type Endpoints struct {
	CreateStreet     endpoint.Endpoint
	CreateCommunity  endpoint.Endpoint
	Org              endpoint.Endpoint
	Vocabulary       endpoint.Endpoint
	CreateEnterprise endpoint.Endpoint
	ListEnterprises  endpoint.Endpoint
	GetEnterprise    endpoint.Endpoint
	UpdateEnterprise endpoint.Endpoint
	RegisterWorker   endpoint.Endpoint
	ListWorkers      endpoint.Endpoint
	GetWorker        endpoint.Endpoint
	WorkerPII        endpoint.Endpoint
	UpdateWorker     endpoint.Endpoint
	LeaveWorker      endpoint.Endpoint
	CheckIn          endpoint.Endpoint
	OpenStation      endpoint.Endpoint
	NearbyStations   endpoint.Endpoint
}

// Requests that carry a path id or a path code beside a body.
type (
	idRequest              struct{ ID uuid.UUID }
	createCommunityRequest struct {
		Street string
		In     CommunityInput
	}
	updateEnterpriseRequest struct {
		ID uuid.UUID
		In EnterprisePatch
	}
	updateWorkerRequest struct {
		ID uuid.UUID
		In WorkerPatch
	}
	leaveRequest struct {
		ID uuid.UUID
		In LeaveInput
	}
	checkInRequest struct {
		ID uuid.UUID
		In CheckInInput
	}
)

// checkInResponse answers 201 for a new check-in and 200 for a repeat.
type checkInResponse struct {
	CheckIn
	created bool
}

func (r checkInResponse) StatusCode() int {
	if r.created {
		return 201
	}
	return 200
}

// call is a use case as an endpoint sees it: the caller and the request.
type call func(ctx context.Context, p auth.Principal, req any) (any, error)

// mk adapts a call to a go-kit endpoint, fetching the caller that the
// transport's auth middleware stored.
func mk(c call) endpoint.Endpoint {
	return func(ctx context.Context, req any) (any, error) {
		p, ok := auth.FromContext(ctx)
		if !ok {
			return nil, &fault.Error{Kind: fault.Unauthenticated, Message: "not signed in"}
		}
		return c(ctx, p, req)
	}
}

// created answers 201 with v.
func created(v any, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return httpx.Created(v), nil
}

// MakeEndpoints wires each use case of the ledger to an endpoint.
func MakeEndpoints(svc *Service) Endpoints {
	return Endpoints{
		CreateStreet: mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return created(svc.CreateStreet(ctx, p, req.(StreetInput)))
		}),
		CreateCommunity: mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			r := req.(createCommunityRequest)
			return created(svc.CreateCommunity(ctx, p, r.Street, r.In))
		}),
		Org: mk(func(ctx context.Context, p auth.Principal, _ any) (any, error) {
			streets, err := svc.Org(ctx, p)
			return map[string]any{"streets": streets}, err
		}),
		Vocabulary: mk(func(context.Context, auth.Principal, any) (any, error) {
			return Vocabulary(), nil
		}),
		CreateEnterprise: mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return created(svc.RegisterEnterprise(ctx, p, req.(EnterpriseInput)))
		}),
		ListEnterprises: mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return svc.ListEnterprises(ctx, p, req.(EnterpriseQuery))
		}),
		GetEnterprise: mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return svc.GetEnterprise(ctx, p, req.(idRequest).ID)
		}),
		UpdateEnterprise: mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			r := req.(updateEnterpriseRequest)
			return svc.UpdateEnterprise(ctx, p, r.ID, r.In)
		}),
		RegisterWorker: mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return created(svc.RegisterWorker(ctx, p, req.(WorkerInput)))
		}),
		ListWorkers: mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return svc.ListWorkers(ctx, p, req.(WorkerQuery))
		}),
		GetWorker: mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return svc.GetWorker(ctx, p, req.(idRequest).ID)
		}),
		WorkerPII: mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return svc.WorkerPII(ctx, p, req.(idRequest).ID, httpx.RequestID(ctx))
		}),
		UpdateWorker: mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			r := req.(updateWorkerRequest)
			return svc.UpdateWorker(ctx, p, r.ID, r.In)
		}),
		LeaveWorker: mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			r := req.(leaveRequest)
			return svc.LeaveWorker(ctx, p, r.ID, r.In)
		}),
		CheckIn: mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			r := req.(checkInRequest)
			ci, isNew, err := svc.CheckIn(ctx, p, r.ID, r.In)
			if err != nil {
				return nil, err
			}
			return checkInResponse{CheckIn: ci, created: isNew}, nil
		}),
		OpenStation: mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return created(svc.OpenStation(ctx, p, req.(StationInput)))
		}),
		NearbyStations: mk(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			items, err := svc.NearbyStations(ctx, p, req.(NearbyQuery))
			return map[string]any{"items": items}, err
		}),
	}
}
