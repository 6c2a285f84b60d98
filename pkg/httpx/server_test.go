package httpx_test

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/httpx"
)

// TestNewServer_boundsHeaders: an oversized token still reaches the
// handler (whose auth middleware answers it with a 401 problem), while a
// header block far beyond any real request's is refused by the server
// itself rather than read up to Go's default megabyte.
func TestNewServer_boundsHeaders(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpx.NewServer(ln.Addr().String(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	for _, tc := range []struct {
		name   string
		bytes  int
		status int
	}{
		{"a 10 KB token reaches the handler", 10_000, http.StatusNoContent},
		{"a 60 KB token reaches the handler", 60_000, http.StatusNoContent},
		{"a 100 KB token is refused by the server", 100_000, http.StatusRequestHeaderFieldsTooLarge},
		{"a 900 KB token is refused by the server", 900_000, http.StatusRequestHeaderFieldsTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/v1/workers", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+strings.Repeat("a", tc.bytes))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
}
