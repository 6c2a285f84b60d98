package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/nuanxin/nuanxin/pkg/validate"
)

// MaxBody is the default cap on a JSON request body. Registry requests are
// a few hundred bytes; 64 KiB leaves room and keeps abuse cheap.
const MaxBody = 64 << 10

// BodyError is a request body that could not be read as the expected JSON:
// malformed, too large, wrong content type, an unknown field or a value of
// the wrong type. Field names the offending member ("body" for the whole);
// More the other members at fault, when there are several (every value of
// the wrong type is named at once, not only the first).
type BodyError struct {
	Status int
	Field  validate.FieldError
	More   []validate.FieldError
}

func (e *BodyError) Error() string {
	msg := e.Field.Field + ": " + e.Field.Message
	if len(e.More) > 0 {
		msg += fmt.Sprintf(" (and %d more)", len(e.More))
	}
	return msg
}

// Fields are all the members at fault: Field, then More.
func (e *BodyError) Fields() []validate.FieldError {
	return append([]validate.FieldError{e.Field}, e.More...)
}

func bodyErr(status int, field, code, msg string) *BodyError {
	return &BodyError{Status: status, Field: validate.FieldError{Field: field, Code: code, Message: msg}}
}

// DecodeJSON reads exactly one JSON object into v, refusing unknown fields,
// values of the wrong type, trailing data and bodies over limit bytes
// (MaxBody when limit is 0): a *BodyError naming every offending member by
// its path. As a safety net for every body, a string holding NUL or text
// that is not Unicode (in a value or a member name) is refused as well, as
// validate.Errors naming each such member: the JSON was read, but no field
// takes such a value.
func DecodeJSON(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if limit <= 0 {
		limit = MaxBody
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return bodyErr(http.StatusUnsupportedMediaType, "body", "unsupported_media_type", "the body must be application/json")
		}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return jsonError(err, limit)
	}
	return decode(raw, v, limit)
}

// DecodeJSONPart is DecodeJSON for JSON already read from elsewhere, such
// as the part called name of a multipart body: the same checks, with the
// part as a whole named name and its members by their paths, as the
// request's validation names them ("report"; "lat", "address.street").
func DecodeJSONPart(raw []byte, v any, name string) error {
	err := decode(raw, v, int64(len(raw)))
	// Only an error about the whole ("body") is renamed; it comes alone.
	var be *BodyError
	if errors.As(err, &be) && be.Field.Field == "body" {
		be.Field.Field = name
	}
	return err
}

// decode is DecodeJSON once the body is read.
func decode(raw []byte, v any, limit int64) error {
	// A body of null or a bare value would otherwise decode into an empty
	// request and fail later with less helpful errors.
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] != '{' && json.Valid(trimmed) {
		return bodyErr(http.StatusBadRequest, "body", "wrong_type", "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if readWhole(err) {
			// The object was valid JSON but did not fit v: name every
			// member that did not, not only the first encoding/json met.
			first := bytes.TrimLeft(raw[:dec.InputOffset()], " \t\r\n")
			if fields := memberErrors(first, reflect.TypeOf(v)); len(fields) > 0 {
				return &BodyError{Status: http.StatusBadRequest, Field: fields[0], More: fields[1:]}
			}
		}
		return jsonError(err, limit)
	}
	end := dec.InputOffset()
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return bodyErr(http.StatusBadRequest, "body", "malformed_json", "the body must hold a single JSON object")
	}
	// encoding/json takes a NUL and turns bytes that are not UTF-8 into
	// U+FFFD without a word: look for both in the raw body, and only walk
	// it when one may be there.
	if first := raw[:end]; !utf8.Valid(first) || bytes.Contains(first, []byte(`\u0000`)) ||
		bytes.Contains(first, []byte(`\ud`)) || bytes.Contains(first, []byte(`\uD`)) {
		if errs := textErrors(bytes.TrimLeft(first, " \t\r\n")); len(errs) > 0 {
			return errs
		}
	}
	return nil
}

// readWhole reports whether the decoder read a whole, well-formed JSON value
// before err: a member did not fit the Go value (wrong type, unknown, or
// refused by the type's own UnmarshalJSON).
func readWhole(err error) bool {
	var syntax *json.SyntaxError
	return !errors.As(err, &syntax) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF)
}

func jsonError(err error, limit int64) *BodyError {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		tooBig *http.MaxBytesError
	)
	switch {
	case errors.As(err, &tooBig):
		return bodyErr(http.StatusRequestEntityTooLarge, "body", "too_large", fmt.Sprintf("the body must not exceed %d bytes", limit))
	case errors.As(err, &syntax):
		return bodyErr(http.StatusBadRequest, "body", "malformed_json", fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))
	case errors.Is(err, io.EOF):
		return bodyErr(http.StatusBadRequest, "body", "required", "the body is empty; a JSON object is expected")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return bodyErr(http.StatusBadRequest, "body", "malformed_json", "the JSON ends too early")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return bodyErr(http.StatusBadRequest, field, "wrong_type", "must be "+expected(typ.Type, ""))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return bodyErr(http.StatusBadRequest, name, "unknown_field", "is not a field of this request")
	default:
		return bodyErr(http.StatusBadRequest, "body", "malformed_json", err.Error())
	}
}
