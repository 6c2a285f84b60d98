// Package fault holds the typed errors a domain returns. The HTTP transport
// maps each Kind to a status code in one place (httpx.ErrorEncoder), so the
// domain never speaks HTTP.
package fault

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Kind classifies a domain error.
type Kind int

// The kinds of domain error.
const (
	// Internal is the zero Kind: anything not classified is a server fault.
	Internal Kind = iota
	// NotFound: the row does not exist or lies outside the caller's scope
	// (the two are indistinguishable on purpose).
	NotFound
	// Conflict: the request clashes with existing state (a duplicate, an
	// illegal state transition). Every Conflict names its reason in
	// Details["reason"] (see ConflictReason).
	Conflict
	// Forbidden: the caller's role may not do this at all.
	Forbidden
	// Unauthenticated: no valid credentials.
	Unauthenticated
	// TooMany: the caller must wait before trying again (a rate limit, a
	// locked account); Details["retry_after"] is how many seconds.
	TooMany
	// Unavailable: something the request needs outside the service (an
	// SMS gateway) failed; nothing was done, and trying again later may
	// work. Details["retry_after"] is how many seconds.
	Unavailable
)

// Error is a domain error of some Kind. Details are extra members of the
// problem+json answer (e.g. the id of the existing worker on a conflict).
type Error struct {
	Kind    Kind
	Message string
	Details map[string]any
}

func (e *Error) Error() string { return e.Message }

// NotFoundf builds a NotFound error.
func NotFoundf(format string, args ...any) error {
	return &Error{Kind: NotFound, Message: fmt.Sprintf(format, args...)}
}

// ConflictReason builds a Conflict error that also names its reason, a
// code answered as the problem's "reason" member (e.g. "activity_full"): a
// client shows its own words by the reason, never by matching the message.
func ConflictReason(reason, format string, args ...any) error {
	return &Error{Kind: Conflict, Message: fmt.Sprintf(format, args...), Details: map[string]any{"reason": reason}}
}

// Forbiddenf builds a Forbidden error.
func Forbiddenf(format string, args ...any) error {
	return &Error{Kind: Forbidden, Message: fmt.Sprintf(format, args...)}
}

// TooManyf builds a TooMany error that may be retried after wait.
func TooManyf(wait time.Duration, format string, args ...any) error {
	secs := int64(math.Ceil(wait.Seconds()))
	return &Error{Kind: TooMany, Message: fmt.Sprintf(format, args...), Details: map[string]any{"retry_after": max(secs, 1)}}
}

// Unavailablef is an Unavailable error: try again after wait.
func Unavailablef(wait time.Duration, format string, args ...any) error {
	secs := int64(math.Ceil(wait.Seconds()))
	return &Error{Kind: Unavailable, Message: fmt.Sprintf(format, args...), Details: map[string]any{"retry_after": max(secs, 1)}}
}

// With returns a copy of e with one more detail.
func (e *Error) With(key string, value any) *Error {
	d := make(map[string]any, len(e.Details)+1)
	for k, v := range e.Details {
		d[k] = v
	}
	d[key] = value
	return &Error{Kind: e.Kind, Message: e.Message, Details: d}
}

// KindOf returns the Kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return Internal
}
