package registry

import (
	"context"
	"net/http"
	"strings"

	"github.com/go-kit/kit/endpoint"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/route"
)

// mountSelfRegistration mounts riders' self-registration: two open routes
// (no access token) that take an enrolment token instead, and the clerks'
// queue and decisions behind the usual token check.
func mountSelfRegistration(rt route.Router, svc *Service) {
	v := rt.Verifier
	rt.HandleOpen("POST /v1/self-registrations", func(ctx context.Context, req any) (any, error) {
		r := req.(selfRegistrationRequest)
		reg, created, err := svc.SelfRegister(ctx, r.enrolment, r.in)
		if err != nil {
			return nil, err
		}
		return selfRegistrationResponse{reg, created}, nil
	}, decodeSelfRegistration(v))
	rt.HandleOpen("GET /v1/self-registrations/places", func(ctx context.Context, _ any) (any, error) {
		streets, err := svc.Places(ctx)
		return map[string]any{"streets": streets}, err
	}, decodeEnrolmentOnly(v))

	rt.Handle("GET /v1/self-registrations", call(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListSelfRegistrations(ctx, p, req.(SelfRegistrationQuery))
	}), decodeListSelfRegistrations)
	rt.Handle("POST /v1/workers/{id}/confirm", call(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[DecisionInput])
		return svc.ConfirmWorker(ctx, p, r.ID, r.In)
	}), route.PathIDAndBody[DecisionInput]("id", errWorkerNotFound))
	rt.Handle("POST /v1/workers/{id}/reject", call(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[DecisionInput])
		return svc.RejectWorker(ctx, p, r.ID, r.In)
	}), route.PathIDAndBody[DecisionInput]("id", errWorkerNotFound))
}

func call(c route.Call) endpoint.Endpoint { return route.Endpoint(c) }

// selfRegistrationRequest is a registration with the enrolment it comes with.
type selfRegistrationRequest struct {
	enrolment auth.Enrolment
	in        SelfRegistrationInput
}

// selfRegistrationResponse answers 201 for a new registration and 200 for
// one the mobile already had.
type selfRegistrationResponse struct {
	SelfRegistration
	created bool
}

func (r selfRegistrationResponse) StatusCode() int {
	if r.created {
		return http.StatusCreated
	}
	return http.StatusOK
}

// enrolmentOf checks the request's bearer token as an enrolment token
// before anything reads the body: missing, forged, expired, or an access
// token, it is 401.
func enrolmentOf(v auth.Verifier, r *http.Request) (auth.Enrolment, error) {
	h := r.Header.Get("Authorization")
	if len(h) < 8 || !strings.EqualFold(h[:7], "bearer ") {
		return auth.Enrolment{}, &fault.Error{Kind: fault.Unauthenticated, Message: "an enrolment token is required (Authorization: Bearer)"}
	}
	enr, err := v.VerifyEnrolment(strings.TrimSpace(h[7:]))
	if err != nil {
		return auth.Enrolment{}, &fault.Error{Kind: fault.Unauthenticated, Message: err.Error()}
	}
	return enr, nil
}

// noQuery refuses any query parameter (these routes take none) first, as
// every route does, before the enrolment token is looked at.
func noQuery(ctx context.Context, r *http.Request) error {
	return httpx.QueryFrom(ctx, r).Unknown()
}

func decodeSelfRegistration(v auth.Verifier) func(context.Context, *http.Request) (any, error) {
	return func(ctx context.Context, r *http.Request) (any, error) {
		if err := noQuery(ctx, r); err != nil {
			return nil, err
		}
		enr, err := enrolmentOf(v, r)
		if err != nil {
			return nil, err
		}
		var in SelfRegistrationInput
		if err := httpx.DecodeJSON(nil, r, &in, 0); err != nil {
			return nil, err
		}
		return selfRegistrationRequest{enrolment: enr, in: in}, nil
	}
}

func decodeEnrolmentOnly(v auth.Verifier) func(context.Context, *http.Request) (any, error) {
	return func(ctx context.Context, r *http.Request) (any, error) {
		if err := noQuery(ctx, r); err != nil {
			return nil, err
		}
		return enrolmentOf(v, r)
	}
}

func decodeListSelfRegistrations(ctx context.Context, r *http.Request) (any, error) {
	q := httpx.QueryFrom(ctx, r)
	out := SelfRegistrationQuery{ListQuery: list(q), Confirmation: q.Code("confirmation")}
	return out, q.Err()
}
