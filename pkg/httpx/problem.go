// Package httpx holds the HTTP conventions every nuanxin service shares:
// RFC 9457 problem+json errors (one mapping from error to status code),
// strict JSON decoding with a size limit, go-kit server options, request ids,
// access logs and the health endpoints.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Problem is an RFC 9457 problem details object. Errors lists the invalid
// fields of a request, so a client can point at each one.
type Problem struct {
	Type      string                `json:"type"`
	Title     string                `json:"title"`
	Status    int                   `json:"status"`
	Detail    string                `json:"detail,omitempty"`
	Instance  string                `json:"instance,omitempty"`
	RequestID string                `json:"request_id,omitempty"`
	Errors    []validate.FieldError `json:"errors,omitempty"`
	Extra     map[string]any        `json:"-"`
}

// MarshalJSON flattens Extra into the object, as RFC 9457 extension members.
func (p Problem) MarshalJSON() ([]byte, error) {
	type plain Problem
	b, err := json.Marshal(plain(p))
	if err != nil || len(p.Extra) == 0 {
		return b, err
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range p.Extra {
		if _, taken := m[k]; !taken {
			m[k] = v
		}
	}
	return json.Marshal(m)
}

// ProblemFor maps an error to its problem. This is the one place where
// domain errors become HTTP status codes.
func ProblemFor(err error) Problem {
	var (
		fields validate.Errors
		body   *BodyError
		query  *QueryError
		fe     *fault.Error
	)
	switch {
	case errors.As(err, &query):
		return Problem{Type: "urn:nuanxin:problem:bad-query", Title: "Query parameter rejected", Status: http.StatusBadRequest,
			Detail: query.Error(), Errors: query.Fields}
	case errors.As(err, &body):
		return Problem{Type: "urn:nuanxin:problem:bad-body", Title: "Request body rejected", Status: body.Status,
			Detail: body.Error(), Errors: body.Fields()}
	case errors.As(err, &fields):
		return Problem{Type: "urn:nuanxin:problem:validation", Title: "Invalid request", Status: http.StatusUnprocessableEntity,
			Detail: "One or more fields are invalid.", Errors: fields}
	case errors.As(err, &fe):
		p := Problem{Detail: fe.Message, Extra: fe.Details}
		switch fe.Kind {
		case fault.NotFound:
			p.Type, p.Title, p.Status = "urn:nuanxin:problem:not-found", "Not found", http.StatusNotFound
		case fault.Conflict:
			p.Type, p.Title, p.Status = "urn:nuanxin:problem:conflict", "Conflict", http.StatusConflict
		case fault.Forbidden:
			p.Type, p.Title, p.Status = "urn:nuanxin:problem:forbidden", "Forbidden", http.StatusForbidden
		case fault.Unauthenticated:
			p.Type, p.Title, p.Status = "urn:nuanxin:problem:unauthenticated", "Unauthenticated", http.StatusUnauthorized
		case fault.TooMany:
			p.Type, p.Title, p.Status = "urn:nuanxin:problem:too-many-requests", "Too many requests", http.StatusTooManyRequests
		case fault.Unavailable:
			p.Type, p.Title, p.Status = "urn:nuanxin:problem:unavailable", "Unavailable", http.StatusServiceUnavailable
		default:
			return internal()
		}
		return p
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return Problem{Type: "urn:nuanxin:problem:timeout", Title: "Request timed out or was cancelled", Status: http.StatusServiceUnavailable}
	default:
		return internal()
	}
}

func internal() Problem {
	return Problem{Type: "urn:nuanxin:problem:internal", Title: "Internal error", Status: http.StatusInternalServerError,
		Detail: "Something went wrong on our side; the request id helps operators find it."}
}

// WriteProblem writes p as application/problem+json.
func WriteProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	p.Instance = r.URL.Path
	p.RequestID = RequestID(r.Context())
	writeProblem(w, p)
}

// writeProblem writes p with the headers its status calls for: the
// authentication scheme with a 401, Retry-After with a 429 or 503.
func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	switch p.Status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="nuanxin"`)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		if secs, ok := p.Extra["retry_after"].(int64); ok {
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		}
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// ErrorEncoder returns a go-kit error encoder that answers problem+json and
// logs server-side failures with their request id.
func ErrorEncoder(log *slog.Logger) func(ctx context.Context, err error, w http.ResponseWriter) {
	return func(ctx context.Context, err error, w http.ResponseWriter) {
		p := ProblemFor(err)
		if p.Status >= 500 {
			log.ErrorContext(ctx, "request failed", "err", err, "request_id", RequestID(ctx))
		}
		p.Instance = pathFrom(ctx)
		p.RequestID = RequestID(ctx)
		writeProblem(w, p)
	}
}
