package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	kithttp "github.com/go-kit/kit/transport/http"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	pathKey
)

// RequestID returns the request id stored by the RequestID middleware.
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

func pathFrom(ctx context.Context) string {
	s, _ := ctx.Value(pathKey).(string)
	return s
}

// ServerOptions are the go-kit options every endpoint uses: problem+json
// errors, and the request path in the context for the problem's instance.
func ServerOptions(log *slog.Logger) []kithttp.ServerOption {
	return []kithttp.ServerOption{
		kithttp.ServerErrorEncoder(ErrorEncoder(log)),
		kithttp.ServerBefore(func(ctx context.Context, r *http.Request) context.Context {
			return context.WithValue(ctx, pathKey, r.URL.Path)
		}),
	}
}

// StatusCoder lets a response choose its status code (201 for a create).
type StatusCoder interface{ StatusCode() int }

type created struct{ v any }

func (c created) StatusCode() int              { return http.StatusCreated }
func (c created) MarshalJSON() ([]byte, error) { return json.Marshal(c.v) }

// Created wraps a response so it is answered with 201 Created.
func Created(v any) any { return created{v} }

// Headerer lets a response add headers (Location for a created resource).
type Headerer interface{ Headers() http.Header }

// EncodeJSON is the go-kit response encoder for JSON bodies.
func EncodeJSON(_ context.Context, w http.ResponseWriter, resp any) error {
	if h, ok := resp.(Headerer); ok {
		for k, vs := range h.Headers() {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if sc, ok := resp.(StatusCoder); ok {
		w.WriteHeader(sc.StatusCode())
	}
	return json.NewEncoder(w).Encode(resp)
}

// Middleware wraps every request with a request id, panic recovery and one
// structured access-log line.
func Middleware(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		rec := &StatusRecorder{ResponseWriter: w, Status: http.StatusOK}
		start := time.Now()
		defer func() {
			p := recover()
			if p != nil && p != http.ErrAbortHandler {
				log.Error("panic serving request", "panic", p, "request_id", id, "path", r.URL.Path)
				if !rec.Wrote {
					WriteProblem(rec, r, internal())
				}
			}
			log.Info("http request", "method", r.Method, "route", r.Pattern, "path", r.URL.Path,
				"status", rec.Status, "duration_ms", float64(time.Since(start).Microseconds())/1000, "request_id", id,
				"aborted", p == http.ErrAbortHandler)
			if p == http.ErrAbortHandler {
				// The handler cut a streamed body short (it failed after sending
				// part of it): let net/http drop the connection, so the client
				// sees an incomplete response instead of a clean end.
				panic(p)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// StatusRecorder remembers the status code written through it.
type StatusRecorder struct {
	http.ResponseWriter
	Status int
	Wrote  bool
}

// WriteHeader records the status.
func (s *StatusRecorder) WriteHeader(code int) {
	if !s.Wrote {
		s.Status, s.Wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *StatusRecorder) Write(b []byte) (int, error) {
	s.Wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *StatusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// Check is one readiness check (database ping, broker connected).
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Health mounts GET /healthz (the process is up) and GET /readyz (every
// check passes within two seconds) on mux.
func Health(mux *http.ServeMux, checks ...Check) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		res := map[string]string{}
		ok := true
		for _, c := range checks {
			if err := c.Fn(ctx); err != nil {
				res[c.Name] = err.Error()
				ok = false
			} else {
				res[c.Name] = "ok"
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ready": ok, "checks": res})
	})
}

// MaxHeaderBytes bounds a request's header block. Go's default is 1 MB,
// which every connection may make the server hold while reading; real
// requests send well under 8 KiB (a token is about 300 bytes, refused over
// auth.MaxTokenBytes with a 401 problem). Beyond this net/http itself
// answers 431 in text/plain before any handler runs: that answer cannot be
// made problem+json without replacing net/http's connection handling.
const MaxHeaderBytes = 64 << 10

// NewServer is the HTTP server every service runs: handler on addr, with
// timeouts that a slow or stalled client cannot stretch and a bound on
// header size.
func NewServer(addr string, handler http.Handler) *http.Server {
	return &http.Server{Addr: addr, Handler: handler, ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: MaxHeaderBytes}
}
