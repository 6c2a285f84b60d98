package httpx_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

type enterpriseRequest struct {
	Name        string   `json:"name"`
	HasPartyOrg bool     `json:"has_party_org"`
	Employees   int      `json:"employees"`
	Tags        []string `json:"tags"`
	Address     struct {
		Street string `json:"street"`
	} `json:"address"`
	Hours []struct {
		Open string `json:"open"`
	} `json:"opening_hours"`
	Channels map[string]struct {
		SMS bool `json:"sms"`
	} `json:"channels"`
}

// decode runs DecodeJSON the way a handler does and returns the problem a
// client would receive (nil when the body was accepted).
func decode(t *testing.T, contentType, body string, limit int64) (enterpriseRequest, *httpx.Problem) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/v1/enterprises", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	var v enterpriseRequest
	err := httpx.DecodeJSON(w, r, &v, limit)
	if err == nil {
		return v, nil
	}
	var be *httpx.BodyError
	if !errors.As(err, &be) {
		t.Fatalf("DecodeJSON error %T %v is not a *BodyError", err, err)
	}
	p := httpx.ProblemFor(err)
	return v, &p
}

func TestDecodeJSON_accepts(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		want                    enterpriseRequest
	}{
		{"object", "application/json", `{"name":"顺丰","has_party_org":true,"employees":12,"tags":["a"]}`,
			enterpriseRequest{Name: "顺丰", HasPartyOrg: true, Employees: 12, Tags: []string{"a"}}},
		{"charset parameter", "application/json; charset=utf-8", `{"name":"x"}`, enterpriseRequest{Name: "x"}},
		{"+json media type", "application/merge-patch+json", `{"name":"x"}`, enterpriseRequest{Name: "x"}},
		{"no content type", "", `{"name":"x"}`, enterpriseRequest{Name: "x"}},
		{"surrounding whitespace", "application/json", "\n  {\"name\":\"x\"}  \n", enterpriseRequest{Name: "x"}},
		{"nested object", "application/json", `{"address":{"street":"s01"}}`,
			enterpriseRequest{Address: struct {
				Street string `json:"street"`
			}{"s01"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, p := decode(t, tc.contentType, tc.body, 0)
			if p != nil {
				t.Fatalf("rejected: %+v", *p)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("decoded %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeJSON_rejects(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		limit                   int64
		status                  int
		field, code             string
	}{
		{"malformed", "application/json", `{"name": "x",}`, 0, 400, "body", "malformed_json"},
		{"not JSON at all", "application/json", `name=x`, 0, 400, "body", "malformed_json"},
		{"truncated", "application/json", `{"name": "x"`, 0, 400, "body", "malformed_json"},
		{"empty body", "application/json", ``, 0, 400, "body", "required"},
		{"only whitespace", "application/json", "  \n", 0, 400, "body", "required"},
		{"unknown field", "application/json", `{"name":"x","nickname":"y"}`, 0, 400, "nickname", "unknown_field"},
		{"unknown field of an object", "application/json", `{"address":{"stret":"x"}}`, 0, 400, "address.stret", "unknown_field"},
		{"unknown field in a list", "application/json", `{"opening_hours":[{"open":"08:00"},{"opne":"09:00"}]}`, 0, 400,
			"opening_hours[1].opne", "unknown_field"},
		{"unknown field under a map key", "application/json", `{"channels":{"points":{"fax":true}}}`, 0, 400,
			"channels.points.fax", "unknown_field"},
		{"wrong type of a nested field", "application/json", `{"address":{"street":1}}`, 0, 400, "address.street", "wrong_type"},
		{"string for a bool", "application/json", `{"has_party_org":"yes"}`, 0, 400, "has_party_org", "wrong_type"},
		{"number for a string", "application/json", `{"name":42}`, 0, 400, "name", "wrong_type"},
		{"object for a list", "application/json", `{"tags":{"a":1}}`, 0, 400, "tags", "wrong_type"},
		{"array for the body", "application/json", `[{"name":"x"}]`, 0, 400, "body", "wrong_type"},
		{"null for the body", "application/json", `null`, 0, 400, "body", "wrong_type"},
		{"a bare string for the body", "application/json", `"hello"`, 0, 400, "body", "wrong_type"},
		{"trailing garbage", "application/json", `{"name":"x"} garbage`, 0, 400, "body", "malformed_json"},
		{"two objects", "application/json", `{"name":"x"}{"name":"y"}`, 0, 400, "body", "malformed_json"},
		{"over the limit", "application/json", `{"name":"` + strings.Repeat("x", 200) + `"}`, 100, 413, "body", "too_large"},
		{"over the default limit", "application/json", `{"name":"` + strings.Repeat("x", httpx.MaxBody) + `"}`, 0, 413, "body", "too_large"},
		{"trailing data over the limit", "application/json", `{"name":"x"}` + strings.Repeat(" ", 200) + "x", 100, 413, "body", "too_large"},
		{"text/plain", "text/plain", `{"name":"x"}`, 0, 415, "body", "unsupported_media_type"},
		{"form", "application/x-www-form-urlencoded", `name=x`, 0, 415, "body", "unsupported_media_type"},
		{"unparsable content type", "application/json; =", `{"name":"x"}`, 0, 415, "body", "unsupported_media_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, p := decode(t, tc.contentType, tc.body, tc.limit)
			if p == nil {
				t.Fatalf("accepted %q", tc.body)
			}
			if p.Status != tc.status {
				t.Errorf("status %d, want %d", p.Status, tc.status)
			}
			if len(p.Errors) != 1 {
				t.Fatalf("errors %+v, want exactly one", p.Errors)
			}
			fe := p.Errors[0]
			if fe.Field != tc.field || fe.Code != tc.code {
				t.Errorf("error %+v, want field %q code %q", fe, tc.field, tc.code)
			}
			if fe.Message == "" {
				t.Error("error has no message for a human")
			}
		})
	}
}

// A value of the wrong type is named in the message, without echoing what
// was sent (the body may carry personal data).
func TestDecodeJSON_wrongTypeMessage(t *testing.T) {
	_, p := decode(t, "application/json", `{"has_party_org":"13812345678"}`, 0)
	if p == nil {
		t.Fatal("accepted")
	}
	msg := p.Errors[0].Message
	if !strings.Contains(msg, "boolean") {
		t.Errorf("message %q does not say a boolean is expected", msg)
	}
	if strings.Contains(msg, "13812345678") || strings.Contains(p.Detail, "13812345678") {
		t.Errorf("problem %+v echoes the submitted value", *p)
	}
}

func problemJSON(t *testing.T, p httpx.Problem) map[string]any {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/v1/workers/w-1", nil)
	w := httptest.NewRecorder()
	httpx.WriteProblem(w, r, p)
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	if w.Code != p.Status {
		t.Errorf("written status %d, problem status %d", w.Code, p.Status)
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	return m
}

func TestProblemFor_mapsErrorsToStatus(t *testing.T) {
	secret := "pq: password authentication failed for user svc at 10.0.0.7"
	tests := []struct {
		name    string
		err     error
		status  int
		typ     string
		detail  string         // "" means: must not be the error's text
		members map[string]any // extension members expected in the JSON
		fields  []validate.FieldError
	}{
		{name: "validation", err: validate.Errors{
			{Field: "mobile", Code: validate.CodeInvalidFormat, Message: "must be 11 digits"},
			{Field: "name", Code: validate.CodeRequired, Message: "is required"},
		}, status: 422, typ: "urn:nuanxin:problem:validation", detail: "One or more fields are invalid.",
			fields: []validate.FieldError{
				{Field: "mobile", Code: validate.CodeInvalidFormat, Message: "must be 11 digits"},
				{Field: "name", Code: validate.CodeRequired, Message: "is required"},
			}},
		{name: "wrapped validation", err: fmt.Errorf("register: %w", validate.Errors{{Field: "mobile", Code: "required", Message: "is required"}}),
			status: 422, typ: "urn:nuanxin:problem:validation", detail: "One or more fields are invalid.",
			fields: []validate.FieldError{{Field: "mobile", Code: "required", Message: "is required"}}},
		{name: "not found", err: fault.NotFoundf("worker %s not found", "w-1"), status: 404,
			typ: "urn:nuanxin:problem:not-found", detail: "worker w-1 not found"},
		{name: "conflict with details", err: fault.ConflictReason("worker_exists", "a worker with this ID number exists").(*fault.Error).With("worker_id", "w-7").With("street", "s01"),
			status: 409, typ: "urn:nuanxin:problem:conflict", detail: "a worker with this ID number exists",
			members: map[string]any{"reason": "worker_exists", "worker_id": "w-7", "street": "s01"}},
		{name: "details cannot overwrite standard members", err: (&fault.Error{Kind: fault.Conflict, Message: "dup"}).With("status", 200).With("title", "x"),
			status: 409, typ: "urn:nuanxin:problem:conflict", detail: "dup", members: map[string]any{"status": float64(409), "title": "Conflict"}},
		{name: "wrapped forbidden", err: fmt.Errorf("redeem: %w", fault.Forbiddenf("workers cannot approve")), status: 403,
			typ: "urn:nuanxin:problem:forbidden", detail: "workers cannot approve"},
		{name: "unauthenticated", err: &fault.Error{Kind: fault.Unauthenticated, Message: "token expired"}, status: 401,
			typ: "urn:nuanxin:problem:unauthenticated", detail: "token expired"},
		{name: "too many", err: fault.TooManyf(1500*time.Millisecond, "wait before the next code"), status: 429,
			typ: "urn:nuanxin:problem:too-many-requests", detail: "wait before the next code", members: map[string]any{"retry_after": float64(2)}},
		{name: "internal fault", err: &fault.Error{Kind: fault.Internal, Message: secret}, status: 500, typ: "urn:nuanxin:problem:internal"},
		{name: "unknown error", err: errors.New(secret), status: 500, typ: "urn:nuanxin:problem:internal"},
		{name: "timeout", err: fmt.Errorf("query: %w", context.DeadlineExceeded), status: 503, typ: "urn:nuanxin:problem:timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := httpx.ProblemFor(tc.err)
			if p.Status != tc.status || p.Type != tc.typ {
				t.Errorf("status %d type %q, want %d %q", p.Status, p.Type, tc.status, tc.typ)
			}
			m := problemJSON(t, p)
			if m["status"] != float64(tc.status) || m["type"] != tc.typ || m["title"] == "" || m["title"] == nil {
				t.Errorf("JSON %v lacks status %d, type %s or a title", m, tc.status, tc.typ)
			}
			if m["instance"] != "/v1/workers/w-1" {
				t.Errorf("instance %v, want the request path", m["instance"])
			}
			if tc.detail != "" && m["detail"] != tc.detail {
				t.Errorf("detail %v, want %q", m["detail"], tc.detail)
			}
			if body, _ := json.Marshal(m); strings.Contains(string(body), "password") || strings.Contains(string(body), "10.0.0.7") {
				t.Errorf("problem leaks the internal error: %s", body)
			}
			for k, want := range tc.members {
				if m[k] != want {
					t.Errorf("member %s = %v, want %v", k, m[k], want)
				}
			}
			if tc.fields != nil {
				b, _ := json.Marshal(m["errors"])
				var got []validate.FieldError
				if err := json.Unmarshal(b, &got); err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.fields) {
					t.Errorf("errors %+v, want %+v", got, tc.fields)
				}
			} else if _, ok := m["errors"]; ok {
				t.Errorf("unexpected errors member %v", m["errors"])
			}
		})
	}
}

func TestWriteProblem_tooManyAndUnavailableSayWhenToRetry(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		after  string
	}{
		{fault.TooManyf(59*time.Second+time.Millisecond, "one code a minute"), 429, "60"},
		{fault.Unavailablef(30*time.Second, "the SMS gateway did not take the code"), 503, "30"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/v1/otp", nil)
		w := httptest.NewRecorder()
		httpx.WriteProblem(w, r, httpx.ProblemFor(tc.err))
		if w.Code != tc.status || w.Header().Get("Retry-After") != tc.after {
			t.Errorf("answered %d with Retry-After %q, want %d and %s", w.Code, w.Header().Get("Retry-After"), tc.status, tc.after)
		}
	}
}

func TestWriteProblem_unauthorizedChallenges(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
	w := httptest.NewRecorder()
	httpx.WriteProblem(w, r, httpx.ProblemFor(&fault.Error{Kind: fault.Unauthenticated, Message: "no token"}))
	if w.Code != 401 || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("status %d, WWW-Authenticate %q; want 401 with a Bearer challenge", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

func TestMiddleware_setsRequestIDAndRecoversPanic(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, httpx.RequestID(r.Context()))
	})
	mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		panic("database password is hunter2")
	})
	var logs syncLog
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	srv := httptest.NewServer(httpx.Middleware(log, mux))
	defer srv.Close()

	get := func(path, reqID string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if reqID != "" {
			req.Header.Set("X-Request-Id", reqID)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	t.Run("generates an id", func(t *testing.T) {
		resp1, body1 := get("/ok", "")
		resp2, _ := get("/ok", "")
		id := resp1.Header.Get("X-Request-Id")
		if len(id) != 16 {
			t.Errorf("generated request id %q, want 16 hex characters", id)
		}
		if body1 != id {
			t.Errorf("handler saw request id %q, response header %q", body1, id)
		}
		if resp2.Header.Get("X-Request-Id") == id {
			t.Error("two requests got the same generated id")
		}
	})
	t.Run("keeps the caller's id", func(t *testing.T) {
		resp, body := get("/ok", "abc-123")
		if resp.Header.Get("X-Request-Id") != "abc-123" || body != "abc-123" {
			t.Errorf("request id header %q, handler saw %q, want abc-123", resp.Header.Get("X-Request-Id"), body)
		}
	})
	t.Run("replaces an overlong id", func(t *testing.T) {
		long := strings.Repeat("x", 65)
		resp, _ := get("/ok", long)
		if id := resp.Header.Get("X-Request-Id"); id == long || id == "" {
			t.Errorf("request id %q, want a fresh one", id)
		}
	})
	t.Run("recovers a panic", func(t *testing.T) {
		resp, body := get("/panic", "req-panic")
		if resp.StatusCode != 500 {
			t.Errorf("status %d, want 500", resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("Content-Type %q", ct)
		}
		var p map[string]any
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		if p["request_id"] != "req-panic" || p["status"] != float64(500) {
			t.Errorf("problem %v, want status 500 and request_id req-panic", p)
		}
		if strings.Contains(body, "hunter2") {
			t.Errorf("panic value leaked to the client: %s", body)
		}
		// The server is still serving.
		if resp, _ := get("/ok", ""); resp.StatusCode != 200 {
			t.Errorf("after the panic /ok answers %d", resp.StatusCode)
		}
	})
	t.Run("logs each request", func(t *testing.T) {
		out := logs.String()
		if !strings.Contains(out, `"request_id":"req-panic"`) || !strings.Contains(out, `"status":500`) {
			t.Errorf("access log lacks the panicking request:\n%s", out)
		}
		if !strings.Contains(out, `"route":"GET /ok"`) {
			t.Errorf("access log lacks the route pattern:\n%s", out)
		}
	})
}

// A handler that fails halfway through a streamed body panics with
// http.ErrAbortHandler; the client must see the body cut short, not a
// clean end that would pass the first half off as the whole.
func TestMiddleware_abortHandlerCutsTheResponse(t *testing.T) {
	srv := httptest.NewServer(httpx.Middleware(slog.New(slog.DiscardHandler), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first half,")
		_ = http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler)
	})))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatalf("body %q read to a clean end, want an error", body)
	}
	if string(body) != "first half," {
		t.Errorf("body %q, want the first half only", body)
	}
}

func TestHealth(t *testing.T) {
	mux := http.NewServeMux()
	dbErr := errors.New("connection refused")
	var failing bool
	httpx.Health(mux,
		httpx.Check{Name: "postgres", Fn: func(context.Context) error {
			if failing {
				return dbErr
			}
			return nil
		}},
		httpx.Check{Name: "nats", Fn: func(context.Context) error { return nil }},
	)
	do := func(path string) (int, map[string]any) {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		var m map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s body %q: %v", path, w.Body.String(), err)
		}
		return w.Code, m
	}
	if code, _ := do("/healthz"); code != 200 {
		t.Errorf("/healthz %d", code)
	}
	if code, m := do("/readyz"); code != 200 || m["ready"] != true {
		t.Errorf("/readyz %d %v, want 200 ready", code, m)
	}
	failing = true
	code, m := do("/readyz")
	checks, _ := m["checks"].(map[string]any)
	if code != 503 || m["ready"] != false || checks["postgres"] != "connection refused" || checks["nats"] != "ok" {
		t.Errorf("/readyz with postgres down: %d %v", code, m)
	}
	if code, _ := do("/healthz"); code != 200 {
		t.Errorf("/healthz with postgres down: %d, want 200 (the process is up)", code)
	}
}

// syncLog lets the server's goroutines and the test share a log buffer.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncLog) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncLog) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
