package registry

import (
	"context"

	"github.com/go-kit/kit/endpoint"
	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/route"
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
	CloseEnterprise  endpoint.Endpoint
	RegisterWorker   endpoint.Endpoint
	ListWorkers      endpoint.Endpoint
	GetWorker        endpoint.Endpoint
	WorkerPII        endpoint.Endpoint
	UpdateWorker     endpoint.Endpoint
	LeaveWorker      endpoint.Endpoint
	CheckIn          endpoint.Endpoint
	CheckIns         endpoint.Endpoint
	OpenStation      endpoint.Endpoint
	NearbyStations   endpoint.Endpoint
	ListStations     endpoint.Endpoint
	GetStation       endpoint.Endpoint
	UpdateStation    endpoint.Endpoint
	CloseStation     endpoint.Endpoint
}

// createCommunityRequest carries a path code beside a body. Requests with
// a path id arrive as a uuid.UUID or, with a body, a route.WithID.
type createCommunityRequest struct {
	Street string
	In     CommunityInput
}

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

// MakeEndpoints wires each use case of the ledger to an endpoint.
func MakeEndpoints(svc *Service) Endpoints {
	return Endpoints{
		CreateStreet: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return route.Created(svc.CreateStreet(ctx, p, req.(StreetInput)))
		}),
		CreateCommunity: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			r := req.(createCommunityRequest)
			return route.Created(svc.CreateCommunity(ctx, p, r.Street, r.In))
		}),
		Org: route.Endpoint(func(ctx context.Context, p auth.Principal, _ any) (any, error) {
			streets, err := svc.Org(ctx, p)
			return map[string]any{"streets": streets}, err
		}),
		Vocabulary: route.Endpoint(func(context.Context, auth.Principal, any) (any, error) {
			return Vocabulary(), nil
		}),
		CreateEnterprise: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return route.Created(svc.RegisterEnterprise(ctx, p, req.(EnterpriseInput)))
		}),
		ListEnterprises: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return svc.ListEnterprises(ctx, p, req.(EnterpriseQuery))
		}),
		GetEnterprise: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return svc.GetEnterprise(ctx, p, req.(uuid.UUID))
		}),
		UpdateEnterprise: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			r := req.(route.WithID[EnterprisePatch])
			return svc.UpdateEnterprise(ctx, p, r.ID, r.In)
		}),
		CloseEnterprise: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			r := req.(route.WithID[CloseInput])
			return svc.CloseEnterprise(ctx, p, r.ID, r.In)
		}),
		RegisterWorker: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return route.Created(svc.RegisterWorker(ctx, p, req.(WorkerInput)))
		}),
		ListWorkers: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return svc.ListWorkers(ctx, p, req.(WorkerQuery))
		}),
		GetWorker: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return svc.GetWorker(ctx, p, req.(uuid.UUID))
		}),
		WorkerPII: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return svc.WorkerPII(ctx, p, req.(uuid.UUID), httpx.RequestID(ctx))
		}),
		UpdateWorker: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			r := req.(route.WithID[WorkerPatch])
			return svc.UpdateWorker(ctx, p, r.ID, r.In)
		}),
		LeaveWorker: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			r := req.(route.WithID[LeaveInput])
			return svc.LeaveWorker(ctx, p, r.ID, r.In)
		}),
		CheckIn: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			r := req.(route.WithID[CheckInInput])
			ci, isNew, err := svc.CheckIn(ctx, p, r.ID, r.In)
			if err != nil {
				return nil, err
			}
			return checkInResponse{CheckIn: ci, created: isNew}, nil
		}),
		CheckIns: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return route.Items(svc.CheckIns(ctx, p, req.(uuid.UUID)))
		}),
		OpenStation: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return route.Created(svc.OpenStation(ctx, p, req.(StationInput)))
		}),
		NearbyStations: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return route.Items(svc.NearbyStations(ctx, p, req.(NearbyQuery)))
		}),
		ListStations: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return svc.ListStations(ctx, p, req.(StationQuery))
		}),
		GetStation: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			return svc.GetStation(ctx, p, req.(uuid.UUID))
		}),
		UpdateStation: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			r := req.(route.WithID[StationPatch])
			return svc.UpdateStation(ctx, p, r.ID, r.In)
		}),
		CloseStation: route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
			r := req.(route.WithID[StationCloseInput])
			return svc.CloseStation(ctx, p, r.ID, r.In)
		}),
	}
}
