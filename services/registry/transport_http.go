package registry

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/route"
)

// RegisterRoutes mounts the registry's /v1 API on mux with the services'
// conventions (package route); each area of the API mounts its routes from
// its own file. A path id comes with a JSON body that must be there
// (route.PathIDAndBody), even where every member of the body is optional.
func RegisterRoutes(mux *http.ServeMux, svc *Service, v auth.Verifier, keys idempotency.Keys, log *slog.Logger) {
	rt := route.New(mux, v, keys, log)
	mountLedger(rt, MakeEndpoints(svc))
	mountRosters(rt, svc)
	mountImports(rt, svc)
	mountPairing(rt, svc)
	mountParty(rt, svc)
	mountSelfRegistration(rt, svc)

	rt.NoRoute("/v1/")
}

// mountLedger mounts the org tree, enterprises, workers, check-ins and stations.
func mountLedger(rt route.Router, eps Endpoints) {
	handle := rt.Handle
	handle("POST /v1/streets", eps.CreateStreet, route.Body[StreetInput])
	handle("POST /v1/streets/{code}/communities", eps.CreateCommunity, decodeCreateCommunity)
	handle("GET /v1/org", eps.Org, route.None)
	handle("GET /v1/vocabulary", eps.Vocabulary, route.None)

	handle("POST /v1/enterprises", eps.CreateEnterprise, route.Body[EnterpriseInput])
	handle("GET /v1/enterprises", eps.ListEnterprises, decodeListEnterprises)
	handle("GET /v1/enterprises/{id}", eps.GetEnterprise, enterpriseID)
	handle("PATCH /v1/enterprises/{id}", eps.UpdateEnterprise, route.PathIDAndBody[EnterprisePatch]("id", errEnterpriseNotFound))
	handle("POST /v1/enterprises/{id}/close", eps.CloseEnterprise, route.PathIDAndBody[CloseInput]("id", errEnterpriseNotFound))

	handle("POST /v1/workers", eps.RegisterWorker, route.Body[WorkerInput])
	handle("GET /v1/workers", eps.ListWorkers, decodeListWorkers)
	handle("GET /v1/workers/{id}", eps.GetWorker, workerID)
	handle("GET /v1/workers/{id}/pii", eps.WorkerPII, workerID)
	handle("PATCH /v1/workers/{id}", eps.UpdateWorker, route.PathIDAndBody[WorkerPatch]("id", errWorkerNotFound))
	handle("POST /v1/workers/{id}/leave", eps.LeaveWorker, route.PathIDAndBody[LeaveInput]("id", errWorkerNotFound))
	handle("POST /v1/workers/{id}/checkins", eps.CheckIn, route.PathIDAndBody[CheckInInput]("id", errWorkerNotFound))
	handle("GET /v1/workers/{id}/checkins", eps.CheckIns, workerID)

	handle("POST /v1/stations", eps.OpenStation, route.Body[StationInput])
	handle("GET /v1/stations", eps.ListStations, decodeListStations)
	handle("GET /v1/stations/nearby", eps.NearbyStations, decodeNearby)
	handle("GET /v1/stations/{id}", eps.GetStation, stationID)
	handle("PATCH /v1/stations/{id}", eps.UpdateStation, route.PathIDAndBody[StationPatch]("id", errStationNotFound))
	handle("POST /v1/stations/{id}/close", eps.CloseStation, route.PathIDAndBody[StationCloseInput]("id", errStationNotFound))
}

// Decoders of the path ids the registry's routes name.
var (
	enterpriseID = route.PathID("id", errEnterpriseNotFound)
	workerID     = route.PathID("id", errWorkerNotFound)
	stationID    = route.PathID("id", errStationNotFound)
	importID     = route.PathID("id", errImportNotFound)
	pairingID    = route.PathID("id", errPairingNotFound)
)

func decodeCreateCommunity(_ context.Context, r *http.Request) (any, error) {
	var in CommunityInput
	if err := httpx.DecodeJSON(nil, r, &in, 0); err != nil {
		return nil, err
	}
	return createCommunityRequest{Street: r.PathValue("code"), In: in}, nil
}

// list reads what every list takes: a street and a community (codes), and
// a page (limit, after).
func list(q *httpx.Query) ListQuery {
	return ListQuery{Street: q.Code("street"), Community: q.Code("community"), Limit: q.Int("limit", 50), After: q.Cursor("after")}
}

func decodeListEnterprises(ctx context.Context, r *http.Request) (any, error) {
	q := httpx.QueryFrom(ctx, r)
	out := EnterpriseQuery{ListQuery: list(q), Kind: q.Code("kind"), Status: q.Code("status"),
		HasPartyOrg: optionalBool(q, "has_party_org"), Q: q.Text("q")}
	return out, q.Err()
}

func decodeListWorkers(ctx context.Context, r *http.Request) (any, error) {
	q := httpx.QueryFrom(ctx, r)
	out := WorkerQuery{ListQuery: list(q), Occupation: q.Code("occupation"), PoliticalStatus: q.Code("political_status"),
		Status: q.Code("status"), EnterpriseID: q.ID("enterprise_id"), Confirmation: q.Code("confirmation"),
		Platform: q.Text("platform"), MobilePartyMember: optionalBool(q, "mobile_party_member"), Q: q.Text("q"),
		MobileTail: q.Text("mobile_tail"), Mobile: q.Text("mobile"), IDs: q.IDs("ids", maxWorkerIDs)}
	return out, q.Err()
}

func decodeListStations(ctx context.Context, r *http.Request) (any, error) {
	q := httpx.QueryFrom(ctx, r)
	out := StationQuery{ListQuery: list(q), Status: q.Code("status"), Kind: q.Code("kind"),
		Facility: q.Code("facility"), Q: q.Text("q")}
	return out, q.Err()
}

// optionalBool reads a filter that is true, false or absent (nil).
func optionalBool(q *httpx.Query, name string) *bool {
	switch q.OneOf(name, []string{"true", "false"}) {
	case "true":
		return new(true)
	case "false":
		return new(false)
	}
	return nil
}

func decodeNearby(ctx context.Context, r *http.Request) (any, error) {
	q := httpx.QueryFrom(ctx, r)
	var n NearbyQuery
	n.Lat, n.LatGiven = q.Float("lat", 0)
	n.Lng, n.LngGiven = q.Float("lng", 0)
	n.RadiusM, _ = q.Float("radius_m", 3000)
	n.Facility = q.Code("facility")
	n.OpenNow = q.Bool("open_now")
	n.Limit = q.Int("limit", 20)
	return n, q.Err()
}

// NewHTTPHandler is the registry's whole HTTP surface: the /v1 API, health
// and readiness, and /metrics, wrapped in access logging and per-route
// metrics.
func NewHTTPHandler(svc *Service, v auth.Verifier, keys idempotency.Keys, reg *prometheus.Registry, log *slog.Logger, checks ...httpx.Check) http.Handler {
	return route.Handler(func(mux *http.ServeMux) { RegisterRoutes(mux, svc, v, keys, log) }, reg, log, checks...)
}
