package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/httpx"
)

// maxAnswer bounds an answer of identity or the registry read whole: they
// are small JSON objects.
const maxAnswer = 1 << 20

// Answer is a service's answer read whole. As an error it is a refusal
// passed to the browser as it is (a wrong password, a rate limit, a bad
// 报到 form): its status, body and the headers that say how to go on.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

func (a *Answer) Error() string { return fmt.Sprintf("the service answered %d", a.Status) }

// Write answers w with a.
func (a *Answer) Write(w http.ResponseWriter) {
	// The headers of a refusal the browser needs.
	for _, h := range []string{"Content-Type", "Retry-After", "Allow"} {
		if v := a.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.WriteHeader(a.Status)
	_, _ = w.Write(a.Body)
}

// request says how to call a service: what to send and with what.
type request struct {
	Service string // its name, for the metric and errors
	Method  string
	Path    string // from the service's base URL, e.g. /v1/sessions
	Body    any    // JSON-encoded; []byte is sent as it is; nil none
	Bearer  string // "" none
	// ClientIP is the browser's address, sent as X-Forwarded-For ("" none).
	ClientIP string
}

// call sends req and reads the answer whole. No answer at all (the
// service is down, timed out) is a fault.Unavailable, counted.
func (s *Service) call(ctx context.Context, req request) (*Answer, error) {
	base := s.cfg.Upstreams[req.Service]
	if base == nil {
		return nil, fmt.Errorf("no URL for the %s service", req.Service)
	}
	var body io.Reader
	switch b := req.Body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode: %w", req.Method, req.Path, err)
		}
		body = bytes.NewReader(raw)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, base.JoinPath(req.Path).String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.Path, err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("Accept", "application/json")
	if req.Bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+req.Bearer)
	}
	if id := httpx.RequestID(ctx); id != "" {
		hr.Header.Set("X-Request-Id", id)
	}
	if req.ClientIP != "" {
		hr.Header.Set("X-Forwarded-For", req.ClientIP)
	}
	res, err := s.client.Do(hr)
	if err != nil {
		return nil, s.unreachable(ctx, req.Service, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	if err != nil {
		return nil, s.unreachable(ctx, req.Service, err)
	}
	if len(raw) > maxAnswer {
		return nil, fmt.Errorf("%s %s: the answer is over %d bytes", req.Method, req.Path, maxAnswer)
	}
	return &Answer{Status: res.StatusCode, Header: res.Header, Body: raw}, nil
}

// unreachable counts and logs a service that did not answer, and is the
// 503 the browser is given. err names the URL, never a token.
func (s *Service) unreachable(ctx context.Context, service string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err() // the browser went away: no fault of the service
	}
	s.metrics.upstreamErrors.WithLabelValues(service).Inc()
	s.log.WarnContext(ctx, "service unreachable", "upstream", service, "err", err, "request_id", httpx.RequestID(ctx))
	return fault.Unavailablef(5*time.Second, "the %s service is not answering: try again in a moment", service)
}

// retryAfter is an answer's Retry-After, or its body's retry_after, in
// seconds (0 when it gives none).
func retryAfter(a *Answer) int {
	if n, err := strconv.Atoi(a.Header.Get("Retry-After")); err == nil && n > 0 {
		return n
	}
	var p struct {
		RetryAfter int `json:"retry_after"`
	}
	_ = json.Unmarshal(a.Body, &p)
	return max(p.RetryAfter, 0)
}

// reason is a refusal's problem "reason" ("" when it names none).
func reason(a *Answer) string {
	var p struct {
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(a.Body, &p)
	return p.Reason
}
