package route_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/metrics"
	"github.com/nuanxin/nuanxin/pkg/route"
)

type input struct {
	Name string `json:"name"`
}

// server mounts echo routes: the caller's subject and the decoded request.
func server(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	token, err := auth.Issue(priv, auth.Principal{Subject: "u1", Role: auth.DistrictAdmin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	// Keys without a pool: only a request with no key, or one the
	// middleware refuses before touching the database, may reach it.
	rt := route.New(mux, auth.Verifier{Key: pub}, idempotency.Keys{}, slog.New(slog.DiscardHandler))
	echo := route.Endpoint(func(_ context.Context, p auth.Principal, req any) (any, error) {
		return map[string]any{"sub": p.Subject, "req": req}, nil
	})
	rt.Handle("GET /things/{id}", echo, route.PathID("id", fault.NotFoundf("thing not found")))
	rt.Handle("POST /things", route.Endpoint(func(_ context.Context, _ auth.Principal, req any) (any, error) {
		return route.Created(req, nil)
	}), route.Body[input])
	rt.HandleOwnKey("POST /own", echo, route.None)
	rt.Handle("GET /list", echo, route.QueryCode("street"))
	rt.HandleWith("GET /text", echo, route.None, func(_ context.Context, w http.ResponseWriter, _ any) error {
		_, err := w.Write([]byte("plain"))
		return err
	})
	rt.NoRoute("/")
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, token
}

func call(t *testing.T, srv *httptest.Server, method, path, token, body string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestRouter(t *testing.T) {
	srv, token := server(t)
	id := uuid.NewString()
	longKey := strings.Repeat("k", 201)
	for _, tc := range []struct {
		name, method, path, token, body string
		header                          []string
		status                          int
		contains                        string
	}{
		{"no token", "GET", "/things/" + id, "", "", nil, 401, "bearer token"},
		{"path id", "GET", "/things/" + id, token, "", nil, 200, `"req":"` + id + `"`},
		{"not an id", "GET", "/things/nope", token, "", nil, 404, "thing not found"},
		{"created", "POST", "/things", token, `{"name":"a"}`, nil, 201, `{"name":"a"}`},
		{"bad body", "POST", "/things", token, `{"nope":1}`, nil, 400, "unknown_field"},
		{"POST behind the key middleware", "POST", "/things", token, `{"name":"a"}`, []string{idempotency.Header, longKey}, 422, "at most 200"},
		{"own key not wrapped", "POST", "/own", token, "", []string{idempotency.Header, longKey}, 200, `"sub":"u1"`},
		{"own encoder", "GET", "/text", token, "", nil, 200, "plain"},
		{"no route", "GET", "/elsewhere", "", "", nil, 404, "no such endpoint: GET /elsewhere"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, srv, tc.method, tc.path, tc.token, tc.body, tc.header...)
			if status != tc.status || !strings.Contains(body, tc.contains) {
				t.Fatalf("got %d %s, want %d containing %q", status, body, tc.status, tc.contains)
			}
		})
	}
}

// TestHandler: the service's routes, health, readiness and metrics behind
// one handler that gives every answer a request id and counts it by route.
func TestHandler(t *testing.T) {
	reg := metrics.NewRegistry()
	down := httpx.Check{Name: "postgres", Fn: func(context.Context) error { return errors.New("down") }}
	srv := httptest.NewServer(route.Handler(func(mux *http.ServeMux) {
		mux.HandleFunc("GET /v1/ping", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("pong")) })
	}, reg, slog.New(slog.DiscardHandler), down))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		path     string
		status   int
		contains string
	}{
		{"/v1/ping", 200, "pong"},
		{"/healthz", 200, `"status":"ok"`},
		{"/readyz", 503, `"postgres":"down"`},
		{"/metrics", 200, `nuanxin_http_requests_total{code="200",route="GET /v1/ping"} 1`},
	} {
		res, err := srv.Client().Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status || !strings.Contains(string(b), tc.contains) || res.Header.Get("X-Request-Id") == "" {
			t.Errorf("%s: got %d %s (request id %q), want %d containing %q", tc.path, res.StatusCode, b,
				res.Header.Get("X-Request-Id"), tc.status, tc.contains)
		}
	}
}

func TestEndpointNeedsACaller(t *testing.T) {
	ep := route.Endpoint(func(context.Context, auth.Principal, any) (any, error) { return "ran", nil })
	_, err := ep(context.Background(), nil)
	var f *fault.Error
	if !errors.As(err, &f) || f.Kind != fault.Unauthenticated {
		t.Fatalf("got %v, want an Unauthenticated fault", err)
	}
	got, err := ep(auth.WithPrincipal(context.Background(), auth.Principal{Subject: "u"}), nil)
	if err != nil || got != "ran" {
		t.Fatalf("got %v, %v", got, err)
	}
}

func TestPathIDWith(t *testing.T) {
	notFound := fault.NotFoundf("thing not found")
	id := uuid.New()
	request := func(body string) *http.Request {
		r := httptest.NewRequest("POST", "/things/"+id.String(), strings.NewReader(body))
		r.SetPathValue("id", id.String())
		return r
	}
	got, err := route.PathIDWith[input]("id", notFound)(context.Background(), request(""))
	if err != nil || got != (route.WithID[input]{ID: id}) {
		t.Fatalf("empty body: got %v, %v; want the zero input", got, err)
	}
	got, err = route.PathIDWith[input]("id", notFound)(context.Background(), request(`{"name":"a"}`))
	if err != nil || got != (route.WithID[input]{ID: id, In: input{Name: "a"}}) {
		t.Fatalf("body: got %v, %v", got, err)
	}
	_, err = route.PathIDAndBody[input]("id", notFound)(context.Background(), request(""))
	var be *httpx.BodyError
	if !errors.As(err, &be) || be.Field.Code != "required" {
		t.Fatalf("required body: got %v, want a body error", err)
	}
	bad := request("")
	bad.SetPathValue("id", "nope")
	if _, err := route.PathIDAndBody[input]("id", notFound)(context.Background(), bad); err != notFound {
		t.Fatalf("not an id: got %v, want %v", err, notFound)
	}
}

func TestRouter_refusesQueryParametersTheRouteDoesNotRead(t *testing.T) {
	srv, token := server(t)
	id := uuid.NewString()
	tests := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"a route that reads none", "GET", "/things/" + id + "?fields=all", "", 400, "fields"},
		{"every unknown one is named", "GET", "/things/" + id + "?b=1&a=2", "", 400, "a"},
		{"a route with a body", "POST", "/things?dry_run=true", `{"name":"x"}`, 400, "dry_run"},
		{"a route with its own key", "POST", "/own?x=1", "", 400, "x"},
		{"its own error comes first", "GET", "/things/nope?fields=all", "", 404, ""},
		{"the route's parameter", "GET", "/list?street=qishan", "", 200, ""},
		{"the route's parameter, malformed", "GET", "/list?street=%00", "", 422, "street"},
		{"beside the route's parameter", "GET", "/list?street=qishan&streeet=qishan", "", 400, "streeet"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, srv, tc.method, tc.path, token, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			var p httpx.Problem
			_ = json.Unmarshal([]byte(body), &p)
			if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field) {
				t.Errorf("errors %v, want the first on %s", p.Errors, tc.field)
			}
		})
	}
}

func TestItems(t *testing.T) {
	got, err := route.Items[string](nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if string(b) != `{"items":[]}` {
		t.Fatalf("got %s, want an empty list", b)
	}
	boom := errors.New("boom")
	if got, err := route.Items([]string{"a"}, boom); got != nil || err != boom {
		t.Fatalf("got %v, %v; want the error alone", got, err)
	}
}
