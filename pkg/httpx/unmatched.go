package httpx

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/nuanxin/nuanxin/pkg/fault"
)

// Unmatched serves mux, answering what no pattern of mux takes as
// problem+json like every other error: 404, or 405 with the Allow header
// when the path is known but not the method. http.ServeMux answers those
// in plain text itself.
func Unmatched(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r) // a route, or the mux's redirect to a clean path
			return
		}
		// Let the mux say which it is (it alone knows the methods a path
		// takes), into a writer that keeps only its status and headers.
		probe := &headerOnly{header: http.Header{}}
		mux.ServeHTTP(probe, r)
		if probe.status != http.StatusMethodNotAllowed {
			WriteProblem(w, r, ProblemFor(fault.NotFoundf("no such endpoint: %s %s", r.Method, r.URL.Path)))
			return
		}
		allow := probe.header.Values("Allow")
		w.Header()["Allow"] = allow
		WriteProblem(w, r, Problem{Type: "urn:nuanxin:problem:method-not-allowed", Title: "Method not allowed",
			Status: http.StatusMethodNotAllowed,
			Detail: fmt.Sprintf("%s does not take %s; it takes %s", r.URL.Path, r.Method, strings.Join(allow, ", "))})
	})
}

// headerOnly is a ResponseWriter that keeps the status and headers written
// to it and drops the body.
type headerOnly struct {
	header http.Header
	status int
}

func (h *headerOnly) Header() http.Header { return h.header }

func (h *headerOnly) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}

func (h *headerOnly) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return len(b), nil
}
