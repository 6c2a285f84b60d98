// Package validate checks and normalises the fields of incoming requests.
//
// HTTP handlers use a Collector to check every field of a request, then turn
// the collected Errors into an RFC 9457 problem+json response, so a client
// learns about all invalid fields at once instead of one per round trip.
//
// Each check also exists as a standalone function (ResidentID, Mobile, ...)
// that returns the normalised value or a *ValueError.
//
// Messages never echo the submitted value: many fields hold personal data
// (PIPL), and error messages end up in logs and client screens.
package validate

import (
	"errors"
	"slices"
	"strings"
)

// Machine-readable codes carried by FieldError.Code and ValueError.Code.
// Clients may switch on them, so treat them as part of the API.
const (
	CodeRequired              = "required"
	CodeInvalidLength         = "invalid_length"
	CodeInvalidFormat         = "invalid_format"
	CodeInvalidDate           = "invalid_date"
	CodeInvalidCheckCharacter = "invalid_check_character"
	CodeOutOfRange            = "out_of_range"
	CodeTooShort              = "too_short"
	CodeTooLong               = "too_long"
	CodeUnknownValue          = "unknown_value"
)

// ValueError explains why a single value is invalid.
// The standalone check functions return it; Collector copies its Code and
// Message into a FieldError.
type ValueError struct {
	Code    string // one of the Code* constants
	Message string // clear English reason, without the submitted value
}

// Error returns the message.
func (e *ValueError) Error() string { return e.Message }

// invalid is shorthand for building a *ValueError.
func invalid(code, message string) *ValueError {
	return &ValueError{Code: code, Message: message}
}

// FieldError describes one invalid field of a request.
type FieldError struct {
	Field   string `json:"field"`   // JSON name of the field, e.g. "id_number", or "body" / "lat"
	Code    string `json:"code"`    // machine-readable, one of the Code* constants
	Message string `json:"message"` // clear English sentence for a human
}

// Errors is a list of field errors, in the order they were found.
// It implements error so a handler can return it like any other error and
// recover it later with errors.As.
type Errors []FieldError

// Error lists every field error, e.g.
// "invalid fields: id_number: ...; mobile: ...".
func (e Errors) Error() string {
	if len(e) == 0 {
		return "invalid fields: none"
	}
	parts := make([]string, len(e))
	for i, fe := range e {
		parts[i] = fe.Field + ": " + fe.Message
	}
	return "invalid fields: " + strings.Join(parts, "; ")
}

// Collector accumulates field errors while checking a request.
// The zero value is ready to use; a Collector is not safe for concurrent use.
type Collector struct {
	errs Errors
}

// Add records an error for field.
func (c *Collector) Add(field, code, message string) {
	c.errs = append(c.errs, FieldError{Field: field, Code: code, Message: message})
}

// Check adds the error when ok is false and reports ok.
func (c *Collector) Check(ok bool, field, code, message string) bool {
	if !ok {
		c.Add(field, code, message)
	}
	return ok
}

// Has reports whether an error was recorded for field.
func (c *Collector) Has(field string) bool {
	for _, fe := range c.errs {
		if fe.Field == field {
			return true
		}
	}
	return false
}

// Err returns nil when nothing was added, else the collected Errors (as error).
func (c *Collector) Err() error {
	if len(c.errs) == 0 {
		// Return a literal nil: a nil Errors inside an error interface
		// would not compare equal to nil.
		return nil
	}
	// Clone so later Adds cannot change an error already handed out.
	return slices.Clone(c.errs)
}

// addErr records err for field. A *ValueError keeps its code; any other
// error (not expected from this package) is reported as invalid_format.
func (c *Collector) addErr(field string, err error) {
	var ve *ValueError
	if errors.As(err, &ve) {
		c.Add(field, ve.Code, ve.Message)
		return
	}
	c.Add(field, CodeInvalidFormat, err.Error())
}

// keep returns value when err is nil and records err otherwise, so every
// Collector helper returns "" for an invalid field.
func (c *Collector) keep(field, value string, err error) string {
	if err != nil {
		c.addErr(field, err)
		return ""
	}
	return value
}

// ResidentID checks a required resident ID number (see ResidentID) and
// returns it normalised, or "" after recording the error.
func (c *Collector) ResidentID(field, s string) string {
	v, err := ResidentID(s)
	return c.keep(field, v, err)
}

// Mobile checks a required mainland mobile number (see Mobile) and returns
// its 11 digits, or "" after recording the error.
func (c *Collector) Mobile(field, s string) string {
	v, err := Mobile(s)
	return c.keep(field, v, err)
}

// CreditCode checks a required unified social credit code (see CreditCode)
// and returns it normalised, or "" after recording the error.
func (c *Collector) CreditCode(field, s string) string {
	v, err := CreditCode(s)
	return c.keep(field, v, err)
}

// Text checks free text (see Text) and returns it trimmed, or "" after
// recording the error. min 0 makes the field optional.
func (c *Collector) Text(field, s string, min, max int) string {
	v, err := Text(s, min, max)
	return c.keep(field, v, err)
}

// OneOf checks that value is one of allowed (see OneOf) and returns it, or
// "" after recording the error.
func (c *Collector) OneOf(field, value string, allowed []string) string {
	v, err := OneOf(value, allowed)
	return c.keep(field, v, err)
}

// LatLng checks a coordinate pair (see LatLng) and reports whether it is
// valid. A bad latitude is recorded on latField, a bad longitude on
// lngField; missing coordinates (0, 0) are recorded on both, because
// neither field holds a real value.
func (c *Collector) LatLng(latField, lngField string, lat, lng float64) bool {
	ok := true
	if err := checkLat(lat); err != nil {
		c.addErr(latField, err)
		ok = false
	}
	if err := checkLng(lng); err != nil {
		c.addErr(lngField, err)
		ok = false
	}
	if ok && isNullIsland(lat, lng) {
		c.addErr(latField, errMissingCoordinates())
		c.addErr(lngField, errMissingCoordinates())
		ok = false
	}
	return ok
}
