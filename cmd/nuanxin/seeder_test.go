package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

// fakeRegistry answers the few calls the seed makes, like the registry
// would when some of the demo data is there already: the street, the
// enterprise (by credit code), the first station (by name and place) and
// the first worker (by ID number) exist.
type fakeRegistry struct {
	t        *testing.T
	verifier auth.Verifier

	mu             sync.Mutex
	workers        []map[string]any // bodies of POST /v1/workers that created a worker
	stationsOpened int
	checkIns       []string // "worker id channel station id role"
}

func (f *fakeRegistry) handler() http.Handler {
	mux := http.NewServeMux()
	conflict := func(w http.ResponseWriter, extra string) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusConflict)
		fmt.Fprintf(w, `{"title":"Conflict","status":409,"detail":"exists already"%s}`, extra)
	}
	mux.HandleFunc("POST /v1/streets", func(w http.ResponseWriter, r *http.Request) {
		conflict(w, "")
	})
	mux.HandleFunc("POST /v1/streets/{code}/communities", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"code":"tashan"}`)
	})
	mux.HandleFunc("POST /v1/enterprises", func(w http.ResponseWriter, r *http.Request) {
		conflict(w, "")
	})
	mux.HandleFunc("GET /v1/enterprises", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("community") != "tashan" {
			f.t.Errorf("enterprise lookup in community %q, want tashan", r.URL.Query().Get("community"))
		}
		fmt.Fprintf(w, `{"items":[{"id":"e-other","credit_code":"X"},{"id":"e-1","credit_code":%q}]}`, creditCode("91370602MA3C4R7K1"))
	})
	mux.HandleFunc("GET /v1/stations/nearby", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("lat") == "37.5405" { // where 烟小暖 is
			fmt.Fprint(w, `{"items":[{"id":"s-near","name":"其他驿站"},{"id":"s-existing","name":"烟小暖·暖新驿站"}]}`)
			return
		}
		fmt.Fprint(w, `{"items":[]}`)
	})
	mux.HandleFunc("POST /v1/stations", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.stationsOpened++
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"s-new"}`)
	})
	mux.HandleFunc("POST /v1/workers", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			f.t.Error(err)
		}
		if body["name"] == "王海涛" {
			conflict(w, `,"existing_worker_id":"w-existing"`)
			return
		}
		f.mu.Lock()
		f.workers = append(f.workers, body)
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":"w-new"}`)
	})
	mux.HandleFunc("POST /v1/workers/{id}/checkins", func(w http.ResponseWriter, r *http.Request) {
		p, err := f.verifier.Verify(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil {
			f.t.Errorf("check-in with a bad token: %v", err)
		}
		var body struct {
			Channel   string `json:"channel"`
			StationID string `json:"station_id"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			f.t.Error(err)
		}
		f.mu.Lock()
		f.checkIns = append(f.checkIns, fmt.Sprintf("%s %s %s %s:%s", r.PathValue("id"), body.Channel, body.StationID, p.Role, p.WorkerID))
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{}`)
	})
	return mux
}

func TestSeedTakesWhatExistsAndLinksTheRest(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeRegistry{t: t, verifier: auth.Verifier{Key: pub}}
	srv := httptest.NewServer(fake.handler())
	defer srv.Close()

	full := demo()
	d := demoData{
		Streets:     []demoStreet{{Code: "qishan", Name: "奇山街道", Communities: []demoCommunity{{Code: "tashan", Name: "塔山社区"}}}},
		Enterprises: full.Enterprises[:1], // zto-tashan, "already registered"
		Stations:    full.Stations[:2],    // yanxiaonuan "already open", tashan
		Workers: []demoWorker{
			{Name: "王海涛", Community: "tashan", CheckIn: checkIn{Channel: "online"}}, // "already registered"
			{Name: "刘洋", Community: "tashan", Enterprise: "zto-tashan", CheckIn: atStation("yanxiaonuan")},
		},
	}
	res, err := seedDemo(t.Context(), seedClients{Registry: newAPIClient(srv.URL), Points: nil}, key, d)
	if err != nil {
		t.Fatal(err)
	}
	want := seedResult{Streets: 1, Communities: 1, Enterprises: 1, Stations: 2, Workers: 2, CheckIns: 2}
	if res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	if len(fake.workers) != 1 || fake.workers[0]["enterprise_id"] != "e-1" {
		t.Errorf("created workers %v, want one with the id of the existing enterprise, e-1", fake.workers)
	}
	if fake.stationsOpened != 1 {
		t.Errorf("opened %d stations, want 1: the other is there already", fake.stationsOpened)
	}
	wantCheckIns := []string{
		"w-existing online  worker:w-existing",     // by the worker themself
		"w-new station s-existing district_admin:", // by staff at the station
	}
	if strings.Join(fake.checkIns, "\n") != strings.Join(wantCheckIns, "\n") {
		t.Errorf("check-ins:\n%s\nwant:\n%s", strings.Join(fake.checkIns, "\n"), strings.Join(wantCheckIns, "\n"))
	}
}

func TestSeedStopsAtTheFirstRejectedRequest(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprint(w, `{"title":"Invalid request","status":422,"detail":"One or more fields are invalid.",`+
			`"errors":[{"field":"code","code":"invalid_format","message":"must be 1-64 lowercase letters"}]}`)
	}))
	defer srv.Close()

	res, err := seedDemo(t.Context(), seedClients{Registry: newAPIClient(srv.URL), Points: newAPIClient(srv.URL)}, key, demo())
	if err == nil {
		t.Fatal("seed succeeded against a registry that rejects everything")
	}
	for _, want := range []string{"seed street qishan", "POST /v1/streets", "422", "code: must be 1-64 lowercase letters (invalid_format)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if res != (seedResult{}) {
		t.Errorf("result = %+v, want nothing counted", res)
	}
}

// fakePoints is the part of the points API the seed uses, with memory: the
// stores and items it was given. Every call must come with a street admin's
// token for the store's street.
type fakePoints struct {
	t        *testing.T
	verifier auth.Verifier

	mu     sync.Mutex
	stores []fakeStore
	calls  []string // "METHOD path", in order
	// unknownFor is how many more store lists are refused 401, as the
	// points service does while it has not learnt a street yet.
	unknownFor int
}

type fakeStore struct {
	ID, Street, Community, Name, Address string
	Items                                []demoItem
}

func (f *fakePoints) handler() http.Handler {
	mux := http.NewServeMux()
	// caller checks the token and returns the caller's street.
	caller := func(r *http.Request) string {
		f.mu.Lock()
		f.calls = append(f.calls, r.Method+" "+r.URL.RequestURI())
		f.mu.Unlock()
		p, err := f.verifier.Verify(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil || p.Role != auth.StreetAdmin || p.Street == "" {
			f.t.Errorf("%s %s with token %+v (%v), want a street admin's", r.Method, r.URL, p, err)
		}
		return p.Street
	}
	store := func(w http.ResponseWriter, r *http.Request, street string) *fakeStore {
		for i := range f.stores {
			if f.stores[i].ID == r.PathValue("id") && f.stores[i].Street == street {
				return &f.stores[i]
			}
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"title":"Not found","status":404,"detail":"store not found"}`)
		return nil
	}
	mux.HandleFunc("GET /v1/stores", func(w http.ResponseWriter, r *http.Request) {
		street := caller(r)
		if q := r.URL.Query().Get("street"); q != street {
			f.t.Errorf("GET /v1/stores?street=%s with the token of street %s", q, street)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.unknownFor > 0 {
			f.unknownFor--
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"title":"Unauthenticated","status":401,"detail":"invalid token: street %s is not one the registry created"}`, street)
			return
		}
		var items []map[string]string
		for _, st := range f.stores {
			if st.Street == street { // a street admin sees their street's, whatever they ask
				items = append(items, map[string]string{"id": st.ID, "street": st.Street, "community": st.Community, "name": st.Name})
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"items": items})
	})
	mux.HandleFunc("POST /v1/stores", func(w http.ResponseWriter, r *http.Request) {
		street := caller(r)
		var in map[string]string
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			f.t.Error(err)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		st := fakeStore{ID: fmt.Sprintf("store-%d", len(f.stores)+1), Street: street, Name: in["name"], Address: in["address"]}
		f.stores = append(f.stores, st)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"id": st.ID, "street": street, "name": st.Name})
	})
	mux.HandleFunc("GET /v1/stores/{id}/items", func(w http.ResponseWriter, r *http.Request) {
		street := caller(r)
		f.mu.Lock()
		defer f.mu.Unlock()
		if st := store(w, r, street); st != nil {
			json.NewEncoder(w).Encode(map[string]any{"items": st.Items})
		}
	})
	mux.HandleFunc("POST /v1/stores/{id}/items", func(w http.ResponseWriter, r *http.Request) {
		street := caller(r)
		var it demoItem
		if err := json.NewDecoder(r.Body).Decode(&it); err != nil {
			f.t.Error(err)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if st := store(w, r, street); st != nil {
			st.Items = append(st.Items, it)
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(it)
		}
	})
	return mux
}

// posts lists the POSTs the fake received since the last call.
func (f *fakePoints) posts() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, "POST ") {
			out = append(out, c)
		}
	}
	f.calls = nil
	return out
}

// state returns a copy of the stores and how many calls were made since
// the last posts.
func (f *fakePoints) state() ([]fakeStore, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	stores := make([]fakeStore, len(f.stores))
	for i, st := range f.stores {
		st.Items = slices.Clone(st.Items)
		stores[i] = st
	}
	return stores, len(f.calls)
}

func newFakePoints(t *testing.T) (*fakePoints, *apiClient, ed25519.PrivateKey) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakePoints{t: t, verifier: auth.Verifier{Key: pub}}
	srv := httptest.NewServer(fake.handler())
	t.Cleanup(srv.Close)
	return fake, newAPIClient(srv.URL), key
}

func TestSeedOpensAPointsSupermarketPerStreetOnce(t *testing.T) {
	fake, points, key := newFakePoints(t)
	d := demoData{Stores: demo().Stores}
	var items int
	for _, st := range d.Stores {
		items += len(st.Items)
	}
	want := seedResult{Stores: len(d.Stores), Items: items}

	res, err := seedDemo(t.Context(), seedClients{Registry: nil, Points: points}, key, d)
	if err != nil {
		t.Fatal(err)
	}
	if res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	if got := fake.posts(); len(got) != len(d.Stores)+items {
		t.Errorf("first seed sent %d POSTs, want %d stores and %d items:\n%s", len(got), len(d.Stores), items, strings.Join(got, "\n"))
	}
	stores, _ := fake.state()
	for i, st := range d.Stores {
		got := stores[i]
		if got.Street != st.Street || got.Name != st.Name || got.Address != st.Address || !slices.Equal(got.Items, st.Items) {
			t.Errorf("store %d = %+v, want %+v", i, got, st)
		}
	}

	// Again: every store is found by its name, every item by its name.
	res, err = seedDemo(t.Context(), seedClients{Registry: nil, Points: points}, key, d)
	if err != nil {
		t.Fatal(err)
	}
	if res != want {
		t.Errorf("second seed: result = %+v, want %+v", res, want)
	}
	if got := fake.posts(); len(got) != 0 {
		t.Errorf("second seed created again:\n%s", strings.Join(got, "\n"))
	}
	if stores, _ := fake.state(); len(stores) != len(d.Stores) {
		t.Errorf("%d stores after two seeds, want %d", len(stores), len(d.Stores))
	}
}

// The points service learns streets from the registry's events: right after
// the registry created them it may still refuse a street admin's token.
func TestSeedWaitsForThePointsServiceToLearnTheStreet(t *testing.T) {
	fake, points, key := newFakePoints(t)
	st := demo().Stores[0]
	fake.unknownFor = 3

	res, err := seedDemo(t.Context(), seedClients{Registry: nil, Points: points}, key, demoData{Stores: []demoStore{st}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stores != 1 || res.Items != len(st.Items) {
		t.Errorf("result = %+v, want the store and its %d items", res, len(st.Items))
	}
	if stores, _ := fake.state(); len(stores) != 1 {
		t.Errorf("%d stores, want 1", len(stores))
	}
}

func TestSeedCompletesAStoreOfAnEarlierSeedThatStoppedHalfway(t *testing.T) {
	fake, points, key := newFakePoints(t)
	st := demo().Stores[0]
	fake.stores = []fakeStore{
		// Another store of the street with the same name, for one community: not the demo's.
		{ID: "community-store", Street: st.Street, Community: "tashan", Name: st.Name},
		{ID: "earlier", Street: st.Street, Name: st.Name, Items: st.Items[:2]},
	}
	res, err := seedDemo(t.Context(), seedClients{Registry: nil, Points: points}, key, demoData{Stores: []demoStore{st}})
	if err != nil {
		t.Fatal(err)
	}
	if want := (seedResult{Stores: 1, Items: len(st.Items)}); res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	var want []string
	for range st.Items[2:] {
		want = append(want, "POST /v1/stores/earlier/items")
	}
	if got := fake.posts(); !slices.Equal(got, want) {
		t.Errorf("POSTs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if stores, _ := fake.state(); !slices.Equal(stores[1].Items, st.Items) {
		t.Errorf("shelf = %v, want %v", stores[1].Items, st.Items)
	}
}

func TestSeedSaysWhichStoreAndItemThePointsServiceRefused(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/stores":
			fmt.Fprint(w, `{"items":[]}`)
		case r.Method == http.MethodPost && r.URL.Path == "/v1/stores":
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id":"s-1"}`)
		case r.Method == http.MethodGet:
			fmt.Fprint(w, `{"items":[]}`)
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			fmt.Fprint(w, `{"title":"Invalid request","status":422,"detail":"One or more fields are invalid.",`+
				`"errors":[{"field":"price","code":"out_of_range","message":"must be between 1 and 100000"}]}`)
		}
	}))
	defer srv.Close()

	st := demo().Stores[0]
	res, err := seedDemo(t.Context(), seedClients{Registry: nil, Points: newAPIClient(srv.URL)}, key, demoData{Stores: []demoStore{st}})
	if err == nil {
		t.Fatal("seed succeeded against a points service that refuses every item")
	}
	for _, want := range []string{"seed points supermarket " + st.Name + " of street qishan", "item " + st.Items[0].Name,
		"POST /v1/stores/s-1/items", "422", "price: must be between 1 and 100000 (out_of_range)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if res != (seedResult{}) {
		t.Errorf("result = %+v, want nothing counted", res)
	}
}

// A data directory seeded before the points service existed gets the
// supermarkets alone, once.
func TestDevSeedAddsOnlyTheSupermarketsToAnEarlierSeed(t *testing.T) {
	fake, points, key := newFakePoints(t)
	registry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the registry was called again: %s %s", r.Method, r.URL)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer registry.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, seededMarker), []byte("earlier\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &devStack{opts: devOptions{dataDir: dir, seedsDir: filepath.Join(dir, "none")}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}

	msg, err := d.seed(t.Context(), seedClients{Registry: newAPIClient(registry.URL), Points: points}, key)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(msg, "seeded on an earlier run") || !strings.Contains(msg, fmt.Sprintf("%d points supermarkets", len(demo().Stores))) {
		t.Errorf("message %q", msg)
	}
	if stores, _ := fake.state(); len(stores) != len(demo().Stores) {
		t.Errorf("%d stores opened, want %d", len(stores), len(demo().Stores))
	}
	fake.posts()

	msg, err = d.seed(t.Context(), seedClients{Registry: newAPIClient(registry.URL), Points: points}, key)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(msg, "seeded on an earlier run") {
		t.Errorf("second run: %q", msg)
	}
	if _, calls := fake.state(); calls != 0 {
		t.Errorf("second run called the points service %d times", calls)
	}
}

// fakeNotification keeps the workers' notification preferences as the
// notification service would: set once a worker PUTs them.
type fakeNotification struct {
	t        *testing.T
	verifier auth.Verifier

	mu   sync.Mutex
	set  map[string]bool // worker id → has set their preferences
	puts []string        // "worker id: body" of each PUT
}

func (f *fakeNotification) handler() http.Handler {
	mux := http.NewServeMux()
	worker := func(r *http.Request) string {
		p, err := f.verifier.Verify(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil || p.Role != auth.Worker || p.WorkerID == "" {
			f.t.Errorf("preferences with a token not a worker's: %+v %v", p, err)
		}
		return p.WorkerID
	}
	mux.HandleFunc("GET /v1/preferences", func(w http.ResponseWriter, r *http.Request) {
		id := worker(r)
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.set[id] {
			fmt.Fprint(w, `{"lang":"zh-CN","channels":{"notice":["wechat"]},"updated_at":"2026-11-23T08:58:28Z"}`)
			return
		}
		fmt.Fprint(w, `{"lang":"zh-CN","channels":{}}`)
	})
	mux.HandleFunc("PUT /v1/preferences", func(w http.ResponseWriter, r *http.Request) {
		id := worker(r)
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		defer f.mu.Unlock()
		f.set[id] = true
		f.puts = append(f.puts, id+": "+strings.TrimSpace(string(body)))
		fmt.Fprint(w, `{}`)
	})
	return mux
}

func (f *fakeNotification) taken() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.puts
	f.puts = nil
	return out
}

// A few demo workers take notices by SMS, set as each of them would; what a
// worker set already (an earlier seed, or themselves) is left as it is.
func TestSeedTurnsOnSMSForNoticesOnceAndLeavesWhatWorkersChose(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	registry := httptest.NewServer((&fakeRegistry{t: t, verifier: auth.Verifier{Key: pub}}).handler())
	defer registry.Close()
	notify := &fakeNotification{t: t, verifier: auth.Verifier{Key: pub}, set: map[string]bool{}}
	srv := httptest.NewServer(notify.handler())
	defer srv.Close()
	d := demoData{
		Workers: []demoWorker{
			{Name: "王海涛", IDNumber: "A", Community: "tashan"}, // registered already: w-existing
			{Name: "刘洋", IDNumber: "B", Community: "tashan"},  // w-new
		},
		NoticeSMS: []string{"A", "B"},
	}
	clients := seedClients{Registry: newAPIClient(registry.URL), Notification: newAPIClient(srv.URL)}

	res, err := seedDemo(t.Context(), clients, key, d)
	if err != nil {
		t.Fatal(err)
	}
	if res.NoticeSMS != 2 {
		t.Errorf("result %+v, want 2 workers taking notices by SMS", res)
	}
	want := []string{`w-existing: {"channels":{"notice":{"sms":true}}}`, `w-new: {"channels":{"notice":{"sms":true}}}`}
	if got := notify.taken(); !slices.Equal(got, want) {
		t.Errorf("PUTs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Again: both have their preferences; nothing is sent.
	if res, err = seedDemo(t.Context(), clients, key, d); err != nil || res.NoticeSMS != 2 {
		t.Fatalf("second seed: %+v %v", res, err)
	}
	if got := notify.taken(); len(got) != 0 {
		t.Errorf("second seed set preferences again:\n%s", strings.Join(got, "\n"))
	}

	// Without a notification service, the step is left out.
	if res, err = seedDemo(t.Context(), seedClients{Registry: newAPIClient(registry.URL)}, key, d); err != nil || res.NoticeSMS != 0 {
		t.Fatalf("without a notification service: %+v %v", res, err)
	}

	// A worker the demo does not have is a clear error.
	d.NoticeSMS = []string{"Z"}
	if _, err := seedDemo(t.Context(), clients, key, d); err == nil || !strings.Contains(err.Error(), "no demo worker") {
		t.Errorf("unknown worker: %v", err)
	}
}

// The demo's SMS takers are demo workers, some in 塔山社区 (where the
// broadcast journey sends its notice) and some in another street.
func TestDemoNoticeSMSTakersAreDemoWorkers(t *testing.T) {
	d := demo()
	community := map[string]string{}
	for _, w := range d.Workers {
		community[w.IDNumber] = w.Community
	}
	in := map[string]int{}
	for _, id := range d.NoticeSMS {
		c, ok := community[id]
		if !ok {
			t.Fatalf("%s is not a demo worker", id)
		}
		in[c]++
	}
	if len(d.NoticeSMS) == 0 || in["tashan"] == 0 || in["tashan"] == len(d.NoticeSMS) {
		t.Errorf("SMS takers by community: %v", in)
	}
}
