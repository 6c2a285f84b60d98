package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	res, err := seedDemo(t.Context(), newAPIClient(srv.URL), key, d)
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

	res, err := seedDemo(t.Context(), newAPIClient(srv.URL), key, demo())
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
