package testenv_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// fuzzSpec documents one list route with one query parameter and one
// create route with one body member.
const fuzzSpec = `openapi: 3.1.0
info: { title: t, version: "1" }
paths:
  /v1/things:
    get:
      parameters:
        - { name: street, in: query, schema: { type: string } }
      responses: { '200': { description: ok } }
    post:
      requestBody:
        content:
          application/json:
            schema: { type: object, properties: { name: { type: string } } }
            example: { name: 塔山 }
      responses: { '201': { description: ok } }
`

// recorder is a testing.TB that keeps the failures it is told of.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Logf(string, ...any) {}

// fuzzAgainst runs FuzzRoutes on fuzzSpec against handler and returns the
// failures it reported.
func fuzzAgainst(t *testing.T, handler http.HandlerFunc) []string {
	spec := filepath.Join(t.TempDir(), "api.yaml")
	if err := os.WriteFile(spec, []byte(fuzzSpec), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	rec := &recorder{TB: t}
	testenv.FuzzRoutes(rec, testenv.API{T: t, URL: srv.URL}, spec, nil, testenv.Caller{Name: "anyone", Token: "t"})
	return rec.errors
}

func problem(w http.ResponseWriter, status int, field string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"status":%d,"errors":[{"field":%q,"code":"x"}]}`, status, field)
}

func TestFuzzRoutes_passesAServiceThatRefusesWhatItCannotTake(t *testing.T) {
	errs := fuzzAgainst(t, func(w http.ResponseWriter, r *http.Request) {
		for name, vs := range r.URL.Query() {
			if name != "street" {
				problem(w, 400, name)
				return
			}
			if !utf8.ValidString(vs[0]) || strings.ContainsRune(vs[0], 0) || len(vs) > 1 {
				problem(w, 422, name)
				return
			}
		}
		if r.Method == "POST" {
			problem(w, 422, "name") // refuses every body but the good one: enough here
			return
		}
		w.WriteHeader(200)
	})
	if len(errs) != 0 {
		t.Fatalf("failures reported: %q", errs)
	}
}

func TestFuzzRoutes_reportsA500APlainTextErrorATakenNULAndAnIgnoredParameter(t *testing.T) {
	// At most three failures of each operation are reported one by one,
	// so each operation here fails in at most three ways.
	errs := fuzzAgainst(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			body, _ := io.ReadAll(r.Body)
			if bytes.Contains(body, []byte("garbage")) {
				http.Error(w, "bad name", 400) // text/plain
				return
			}
			problem(w, 422, "name")
			return
		}
		if strings.ContainsRune(r.URL.Query().Get("street"), 0) {
			w.WriteHeader(500) // what Postgres's "invalid byte sequence" became
			return
		}
		w.WriteHeader(200) // \xff\xfe taken, unknown parameters ignored
	})
	all := strings.Join(errs, "\n")
	for _, want := range []string{"status 500", "not application/problem+json", "not UTF-8 was taken", "want 400 naming zz_unknown"} {
		if !strings.Contains(all, want) {
			t.Errorf("no failure says %q; got:\n%s", want, all)
		}
	}
}
