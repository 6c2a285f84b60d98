package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

// seedResult counts what the seed sent, created or found already there.
type seedResult struct {
	Streets, Communities, Enterprises, Stations, Workers, CheckIns int
	Stores, Items                                                  int // points supermarkets and their items
	Reports                                                        int // riders' reports
	NoticeSMS                                                      int // workers who take notices by SMS
}

func (r seedResult) String() string {
	out := fmt.Sprintf("%d street offices, %d communities, %d enterprises, %d stations, %d workers, %d check-ins, "+
		"%d points supermarkets with %d items, %d riders' reports",
		r.Streets, r.Communities, r.Enterprises, r.Stations, r.Workers, r.CheckIns, r.Stores, r.Items, r.Reports)
	if r.NoticeSMS > 0 {
		out += fmt.Sprintf(", %d workers taking notices by SMS", r.NoticeSMS)
	}
	return out
}

// seedClients are the services the seed talks to.
type seedClients struct {
	Registry, Points, Activity *apiClient
	Notification               *apiClient // nil: no worker's notification preferences are set
}

// seeder puts demo data into the registry and the points service through
// their HTTP APIs, so that validation runs and events are published as for
// any client.
type seeder struct {
	api      *apiClient         // the registry
	points   *apiClient         // the points service
	activity *apiClient         // the activity service
	notify   *apiClient         // the notification service
	key      ed25519.PrivateKey // signs the seed's tokens

	district    string            // district admin token
	enterprises map[string]string // demo key -> enterprise id
	stations    map[string]string // demo key -> station id
	workers     map[string]string // ID number -> worker id
}

// seedDemo creates d in the registry, then opens d's points supermarkets on
// the points service. It creates as a district admin; the online check-ins
// are made by each worker with their own token, as the mini-program would,
// and each supermarket by its street's admin. What exists already (409
// Conflict, or a row found by its name) is taken as it is, so a seed that
// stopped halfway can simply run again.
func seedDemo(ctx context.Context, c seedClients, key ed25519.PrivateKey, d demoData) (seedResult, error) {
	s := &seeder{api: c.Registry, points: c.Points, activity: c.Activity, notify: c.Notification, key: key,
		enterprises: map[string]string{}, stations: map[string]string{}, workers: map[string]string{}}
	var err error
	if s.district, err = s.token(auth.Principal{Role: auth.DistrictAdmin}); err != nil {
		return seedResult{}, err
	}
	var r seedResult
	for _, st := range d.Streets {
		if err := s.create(ctx, "/v1/streets", st); err != nil {
			return r, fmt.Errorf("seed street %s: %w", st.Code, err)
		}
		r.Streets++
		for _, c := range st.Communities {
			if err := s.create(ctx, "/v1/streets/"+url.PathEscape(st.Code)+"/communities", c); err != nil {
				return r, fmt.Errorf("seed community %s: %w", c.Code, err)
			}
			r.Communities++
		}
	}
	for _, e := range d.Enterprises {
		if err := s.enterprise(ctx, e); err != nil {
			return r, fmt.Errorf("seed enterprise %s: %w", e.Key, err)
		}
		r.Enterprises++
	}
	for _, st := range d.Stations {
		if err := s.station(ctx, st); err != nil {
			return r, fmt.Errorf("seed station %s: %w", st.Key, err)
		}
		r.Stations++
	}
	for _, w := range d.Workers {
		id, err := s.worker(ctx, w)
		if err != nil {
			return r, fmt.Errorf("seed worker %s: %w", w.Name, err)
		}
		r.Workers++
		s.workers[w.IDNumber] = id
		if w.CheckIn.Channel == "" {
			continue
		}
		if err := s.checkIn(ctx, id, w.CheckIn); err != nil {
			return r, fmt.Errorf("seed check-in of worker %s: %w", w.Name, err)
		}
		r.CheckIns++
	}
	for _, st := range d.Stores {
		items, err := s.store(ctx, st)
		if err != nil {
			return r, fmt.Errorf("seed points supermarket %s of street %s: %w", st.Name, st.Street, err)
		}
		r.Stores++
		r.Items += items
	}
	for i, rep := range d.Reports {
		if err := s.report(ctx, i, rep); err != nil {
			return r, fmt.Errorf("seed report %d (%s): %w", i+1, rep.Description, err)
		}
		r.Reports++
	}
	if s.notify == nil {
		return r, nil
	}
	for _, idNumber := range d.NoticeSMS {
		if err := s.noticeSMS(ctx, idNumber); err != nil {
			return r, fmt.Errorf("seed SMS for the notices of worker %s: %w", idNumber, err)
		}
		r.NoticeSMS++
	}
	return r, nil
}

// noticeSMS turns SMS on for notices, as the worker with that ID number
// (PUT /v1/preferences with their own token) — unless they have set their
// preferences already (updated_at), by an earlier seed or themselves: what
// a worker chose is theirs, and a seed run again sends nothing.
func (s *seeder) noticeSMS(ctx context.Context, idNumber string) error {
	id, ok := s.workers[idNumber]
	if !ok {
		return fmt.Errorf("no demo worker with that ID number")
	}
	token, err := s.token(auth.Principal{Role: auth.Worker, WorkerID: id})
	if err != nil {
		return err
	}
	var cur struct {
		UpdatedAt string `json:"updated_at"`
	}
	if err := s.notify.do(ctx, token, http.MethodGet, "/v1/preferences", nil, &cur); err != nil {
		return err
	}
	if cur.UpdatedAt != "" {
		return nil
	}
	body := map[string]any{"channels": map[string]map[string]bool{"notice": {"sms": true}}}
	return s.notify.do(ctx, token, http.MethodPut, "/v1/preferences", body, nil)
}

// report submits a rider's report as that rider, with an Idempotency-Key
// of its place in the demo, so a seed run again sends it once. The
// activity service learns of a worker from the registry's events a moment
// after the registration: until then it answers 404, and the seed waits.
func (s *seeder) report(ctx context.Context, i int, rep demoReport) error {
	id, ok := s.workers[rep.Worker]
	if !ok {
		return fmt.Errorf("no demo worker with that ID number")
	}
	token, err := s.token(auth.Principal{Role: auth.Worker, WorkerID: id})
	if err != nil {
		return err
	}
	if s.activity == nil {
		return errors.New("no activity service to send it to")
	}
	key := fmt.Sprintf("nuanxin-seed-report-%d", i+1)
	deadline := time.Now().Add(time.Minute)
	for {
		err := s.activity.doWith(ctx, token, http.MethodPost, "/v1/reports", rep, nil, "Idempotency-Key", key)
		var ae *apiError
		if !errors.As(err, &ae) || ae.Status != http.StatusNotFound || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// token issues a short-lived token for the seed's own calls.
func (s *seeder) token(p auth.Principal) (string, error) {
	p.Subject = "nuanxin-seed"
	return auth.Issue(s.key, p, time.Hour)
}

// create POSTs body as the district admin; a 409 counts as success.
func (s *seeder) create(ctx context.Context, path string, body any) error {
	err := s.api.do(ctx, s.district, http.MethodPost, path, body, nil)
	if _, exists := isConflict(err); exists {
		return nil
	}
	return err
}

// enterprise registers e and remembers its id. Its credit code is unique, so
// on a 409 the existing one is looked up by it.
func (s *seeder) enterprise(ctx context.Context, e demoEnterprise) error {
	var created struct {
		ID string `json:"id"`
	}
	err := s.api.do(ctx, s.district, http.MethodPost, "/v1/enterprises", e, &created)
	if _, exists := isConflict(err); exists {
		created.ID, err = s.findEnterprise(ctx, e)
	}
	if err != nil {
		return err
	}
	s.enterprises[e.Key] = created.ID
	return nil
}

// findEnterprise looks up the id of an enterprise registered earlier.
func (s *seeder) findEnterprise(ctx context.Context, e demoEnterprise) (string, error) {
	var page struct {
		Items []struct {
			ID         string `json:"id"`
			CreditCode string `json:"credit_code"`
		} `json:"items"`
	}
	path := "/v1/enterprises?limit=500&community=" + url.QueryEscape(e.Community)
	if err := s.api.do(ctx, s.district, http.MethodGet, path, nil, &page); err != nil {
		return "", err
	}
	for _, it := range page.Items {
		if it.CreditCode == e.CreditCode {
			return it.ID, nil
		}
	}
	return "", fmt.Errorf("registry says credit code %s exists, but it is not among the enterprises of community %s", e.CreditCode, e.Community)
}

// station opens st and remembers its id. Stations have no unique key the
// registry enforces, so a station of that name at that spot, from an
// earlier seed, is taken instead of opening a second one.
func (s *seeder) station(ctx context.Context, st demoStation) error {
	var page struct {
		Items []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	path := fmt.Sprintf("/v1/stations/nearby?lat=%v&lng=%v&radius_m=100&limit=100", st.Lat, st.Lng)
	if err := s.api.do(ctx, s.district, http.MethodGet, path, nil, &page); err != nil {
		return err
	}
	for _, it := range page.Items {
		if it.Name == st.Name {
			s.stations[st.Key] = it.ID
			return nil
		}
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := s.api.do(ctx, s.district, http.MethodPost, "/v1/stations", st, &created); err != nil {
		return err
	}
	s.stations[st.Key] = created.ID
	return nil
}

// worker registers w and returns its id; on a 409 (ID number registered
// already) the id of the existing worker, which the answer names.
func (s *seeder) worker(ctx context.Context, w demoWorker) (string, error) {
	if w.Enterprise != "" {
		id, ok := s.enterprises[w.Enterprise]
		if !ok {
			return "", fmt.Errorf("unknown demo enterprise %q", w.Enterprise)
		}
		w.EnterpriseID = id
	}
	var created struct {
		ID string `json:"id"`
	}
	err := s.api.do(ctx, s.district, http.MethodPost, "/v1/workers", w, &created)
	if conflict, exists := isConflict(err); exists {
		if conflict.Problem.ExistingWorkerID == "" {
			return "", fmt.Errorf("%w (and no existing_worker_id in the answer)", err)
		}
		return conflict.Problem.ExistingWorkerID, nil
	}
	if err != nil {
		return "", err
	}
	return created.ID, nil
}

// checkInRequest is POST /v1/workers/{id}/checkins. The community is left
// out: it defaults to the worker's own.
type checkInRequest struct {
	Channel   string `json:"channel"`
	StationID string `json:"station_id,omitempty"`
}

// checkIn records a worker's check-in with their community: online by the
// worker themself, at a station by staff. Checking in twice is harmless.
func (s *seeder) checkIn(ctx context.Context, workerID string, c checkIn) error {
	body := checkInRequest{Channel: c.Channel}
	token := s.district
	if c.Channel == "station" {
		id, ok := s.stations[c.Station]
		if !ok {
			return fmt.Errorf("unknown demo station %q", c.Station)
		}
		body.StationID = id
	} else {
		var err error
		if token, err = s.token(auth.Principal{Role: auth.Worker, WorkerID: workerID}); err != nil {
			return err
		}
	}
	err := s.api.do(ctx, token, http.MethodPost, "/v1/workers/"+url.PathEscape(workerID)+"/checkins", body, nil)
	if _, exists := isConflict(err); exists {
		return nil
	}
	return err
}

// store opens a points supermarket as its street's admin and puts its items
// on the shelf; it returns how many items the shelf has of st's. Stores have
// no key the points service enforces, so a store of that name in the street,
// from an earlier seed, is taken instead of opening a second one, and only
// the items it lacks (by name) are added.
func (s *seeder) store(ctx context.Context, st demoStore) (int, error) {
	token, err := s.token(auth.Principal{Role: auth.StreetAdmin, Street: st.Street})
	if err != nil {
		return 0, err
	}
	id, err := s.findStoreOnceKnown(ctx, token, st)
	if err != nil {
		return 0, err
	}
	if id == "" {
		var created struct {
			ID string `json:"id"`
		}
		if err := s.points.do(ctx, token, http.MethodPost, "/v1/stores", st, &created); err != nil {
			return 0, err
		}
		id = created.ID
	}
	path := "/v1/stores/" + url.PathEscape(id) + "/items"
	var shelf struct {
		Items []struct {
			Name string `json:"name"`
		} `json:"items"`
	}
	if err := s.points.do(ctx, token, http.MethodGet, path, nil, &shelf); err != nil {
		return 0, err
	}
	onShelf := map[string]bool{}
	for _, it := range shelf.Items {
		onShelf[it.Name] = true
	}
	for _, it := range st.Items {
		if onShelf[it.Name] {
			continue
		}
		if err := s.points.do(ctx, token, http.MethodPost, path, it, nil); err != nil {
			return 0, fmt.Errorf("item %s: %w", it.Name, err)
		}
	}
	return len(st.Items), nil
}

// placesWait is how long the seed waits for the points service to learn a
// street the registry just created.
const placesWait = time.Minute

// findStoreOnceKnown is findStore, asked again while the points service
// refuses the street admin's token (401): it learns streets from the
// registry's events, which may not have reached it yet on a busy machine.
func (s *seeder) findStoreOnceKnown(ctx context.Context, token string, st demoStore) (string, error) {
	deadline := time.Now().Add(placesWait)
	for {
		id, err := s.findStore(ctx, token, st)
		var ae *apiError
		if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized || time.Now().After(deadline) {
			return id, err
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// findStore returns the id of the street's store named like st, or "".
func (s *seeder) findStore(ctx context.Context, token string, st demoStore) (string, error) {
	var list struct {
		Items []struct {
			ID        string `json:"id"`
			Name      string `json:"name"`
			Community string `json:"community"`
		} `json:"items"`
	}
	path := "/v1/stores?street=" + url.QueryEscape(st.Street)
	if err := s.points.do(ctx, token, http.MethodGet, path, nil, &list); err != nil {
		return "", err
	}
	for _, it := range list.Items {
		if it.Name == st.Name && it.Community == "" {
			return it.ID, nil
		}
	}
	return "", nil
}
