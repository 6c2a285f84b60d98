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

	"github.com/nuanxin/nuanxin/pkg/validate"
)

// MaxBody is the default cap on a JSON request body. Registry requests are
// a few hundred bytes; 64 KiB leaves room and keeps abuse cheap.
const MaxBody = 64 << 10

// BodyError is a request body that could not be read as the expected JSON:
// malformed, too large, wrong content type, an unknown field or a value of
// the wrong type. Field names the offending member ("body" for the whole).
type BodyError struct {
	Status int
	Field  validate.FieldError
}

func (e *BodyError) Error() string { return e.Field.Field + ": " + e.Field.Message }

func bodyErr(status int, field, code, msg string) *BodyError {
	return &BodyError{Status: status, Field: validate.FieldError{Field: field, Code: code, Message: msg}}
}

// DecodeJSON reads exactly one JSON object into v, refusing unknown fields,
// values of the wrong type, trailing data and bodies over limit bytes
// (MaxBody when limit is 0). Errors name the offending field.
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
	// A body of null or a bare value would otherwise decode into an empty
	// request and fail later with less helpful errors.
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] != '{' && json.Valid(trimmed) {
		return bodyErr(http.StatusBadRequest, "body", "wrong_type", "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		be := jsonError(err, limit)
		if be.Field.Code == "unknown_field" {
			be.Field.Field = unknownFieldPath(raw, reflect.TypeOf(v), be.Field.Field)
		}
		return be
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return bodyErr(http.StatusBadRequest, "body", "malformed_json", "the body must hold a single JSON object")
	}
	return nil
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
		return bodyErr(http.StatusBadRequest, field, "wrong_type", fmt.Sprintf("must be a JSON %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return bodyErr(http.StatusBadRequest, name, "unknown_field", "is not a field of this request")
	default:
		return bodyErr(http.StatusBadRequest, "body", "malformed_json", err.Error())
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "float32", "float64", "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "number"
	case "slice", "array":
		return "array"
	default:
		return "object"
	}
}
