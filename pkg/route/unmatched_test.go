package route_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/metrics"
	"github.com/nuanxin/nuanxin/pkg/route"
)

// TestHandler_answersWhatNoRouteTakesAsProblems: outside /v1 too, an
// unknown path is a problem+json 404 and a known path asked with another
// method a problem+json 405 that says which methods it takes.
func TestHandler_answersWhatNoRouteTakesAsProblems(t *testing.T) {
	reg := metrics.NewRegistry()
	srv := httptest.NewServer(route.Handler(func(mux *http.ServeMux) {
		mux.HandleFunc("GET /v1/ping", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("pong")) })
		mux.HandleFunc("POST /v1/ping", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("pong")) })
	}, reg, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		method, path string
		status       int
		typ, allow   string
	}{
		{"GET", "/nope", 404, "urn:nuanxin:problem:not-found", ""},
		{"GET", "/", 404, "urn:nuanxin:problem:not-found", ""},
		{"POST", "/v2/things", 404, "urn:nuanxin:problem:not-found", ""},
		{"DELETE", "/healthz", 405, "urn:nuanxin:problem:method-not-allowed", "GET, HEAD"},
		{"POST", "/metrics", 405, "urn:nuanxin:problem:method-not-allowed", "GET, HEAD"},
		{"PUT", "/v1/ping", 405, "urn:nuanxin:problem:method-not-allowed", "GET, HEAD, POST"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tc.status || res.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("got %d %s %s, want %d application/problem+json", res.StatusCode, res.Header.Get("Content-Type"), body, tc.status)
			}
			var p map[string]any
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if p["type"] != tc.typ || p["status"] != float64(tc.status) || p["instance"] != tc.path || p["request_id"] == "" {
				t.Errorf("problem %v, want type %s status %d instance %s and a request id", p, tc.typ, tc.status, tc.path)
			}
			if got := strings.Join(res.Header.Values("Allow"), ", "); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
		})
	}
	// A route is served as before, and what no route took is counted as unmatched.
	res, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(b), `nuanxin_http_requests_total{code="404",route="unmatched"} 3`) ||
		!strings.Contains(string(b), `nuanxin_http_requests_total{code="405",route="unmatched"} 3`) {
		t.Errorf("metrics do not count the unmatched requests:\n%s", b)
	}
}
