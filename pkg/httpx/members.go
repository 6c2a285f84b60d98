package httpx

import (
	"encoding"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/nuanxin/nuanxin/pkg/validate"
)

// memberErrors walks raw (one JSON value, known to be valid JSON) beside the
// Go type t it decodes into, and returns every member encoding/json refuses:
// unknown members and values of the wrong type, in the order they appear,
// each named by its path (segment.age, opening_hours[1].opne). encoding/json
// stops at the first such member; a client fixing a form wants them all.
//
// A number field may name its unit in a `unit` tag, for the messages:
// `json:"points" unit:"points"` is "must be a whole number of points".
func memberErrors(raw []byte, t reflect.Type) []validate.FieldError {
	var out []validate.FieldError
	checkValue(raw, t, "", "", &out)
	return out
}

// checkValue checks raw at path against t, whose values count unit ("" for
// none).
func checkValue(raw []byte, t reflect.Type, path, unit string, out *[]validate.FieldError) {
	if string(raw) == "null" {
		return // encoding/json leaves the value as it was: never an error
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case decodesItself(t):
		checkLeaf(raw, t, path, unit, out)
	case raw[0] == '{' && t.Kind() == reflect.Struct:
		fields := jsonFields(t)
		eachMember(raw, func(key string, _, val []byte) {
			f, known := lookup(fields, key)
			if !known {
				*out = append(*out, validate.FieldError{Field: join(path, key), Code: "unknown_field", Message: "is not a field of this request"})
				return
			}
			checkValue(val, f.Type, join(path, key), f.Tag.Get("unit"), out)
		})
	case raw[0] == '{' && t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
		eachMember(raw, func(key string, _, val []byte) { checkValue(val, t.Elem(), join(path, key), unit, out) })
	case raw[0] == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		eachElement(raw, func(i int, val []byte) { checkValue(val, t.Elem(), path+"["+strconv.Itoa(i)+"]", unit, out) })
	default:
		checkLeaf(raw, t, path, unit, out)
	}
}

// decodesItself reports whether values of t decode themselves (time.Time,
// uuid.UUID): their JSON is checked whole, by their own code.
func decodesItself(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(reflect.TypeFor[json.Unmarshaler]()) || p.Implements(reflect.TypeFor[encoding.TextUnmarshaler]())
}

// checkLeaf decodes raw into a fresh t as encoding/json would and, when that
// fails, says why in words a person filling in a form understands, without
// echoing the value (it may be personal data).
func checkLeaf(raw []byte, t reflect.Type, path, unit string, out *[]validate.FieldError) {
	err := json.Unmarshal(raw, reflect.New(t).Interface())
	if err == nil {
		return
	}
	if path == "" {
		path = "body"
	}
	fe := validate.FieldError{Field: path, Code: "wrong_type"}
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ):
		fe.Code, fe.Message = wrongType(raw, typ.Type, unit)
	case t == reflect.TypeFor[time.Time]():
		fe.Message = "must be a date and time such as 2026-11-23T09:00:00+08:00"
	default:
		fe.Code, fe.Message = validate.CodeInvalidFormat, "is not in the form this field takes"
	}
	*out = append(*out, fe)
}

// wrongType is the code and message for a JSON value raw that cannot go
// into a Go value of type t.
func wrongType(raw []byte, t reflect.Type, unit string) (code, msg string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	k := t.Kind()
	isInt := k >= reflect.Int && k <= reflect.Int64
	isUint := k >= reflect.Uint && k <= reflect.Uintptr
	if valueKind(raw) != "a number" || !(isInt || isUint || k == reflect.Float32 || k == reflect.Float64) {
		return "wrong_type", "must be " + expected(t, unit) + ", not " + valueKind(raw)
	}
	// A number into a number: a fraction into a whole number, or out of range.
	lit := string(raw)
	f, _ := strconv.ParseFloat(lit, 64) // ±Inf when too large
	if k == reflect.Float32 || k == reflect.Float64 {
		return validate.CodeOutOfRange, "is too large a number"
	}
	mantissa, _, _ := strings.Cut(strings.ToLower(lit), "e")
	if f != math.Trunc(f) || f == 0 && strings.ContainsAny(mantissa, "123456789") { // 1e-400 is no 0
		return "wrong_type", "must be a whole number" + of(unit)
	}
	lo, hi := "0", strconv.FormatUint(math.MaxUint64>>(64-t.Bits()), 10)
	if isInt {
		lo, hi = strconv.FormatInt(math.MinInt64>>(64-t.Bits()), 10), strconv.FormatInt(math.MaxInt64>>(64-t.Bits()), 10)
	}
	if plainInteger(lit) || isUint && f < 0 || outside(f, t) {
		return validate.CodeOutOfRange, "must be a whole number" + of(unit) + " between " + lo + " and " + hi
	}
	// 1.0 or 1e2: whole, in range, but encoding/json takes only digits.
	return "wrong_type", "must be a whole number" + of(unit) + " written without a decimal point or exponent"
}

func plainInteger(lit string) bool {
	for i, c := range lit {
		if !(c >= '0' && c <= '9' || c == '-' && i == 0) {
			return false
		}
	}
	return true
}

// outside reports whether the whole number f lies outside the range of the
// integer type t.
func outside(f float64, t reflect.Type) bool {
	bits := t.Bits()
	if t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uintptr {
		return f < 0 || f >= math.Ldexp(1, bits)
	}
	return f < -math.Ldexp(1, bits-1) || f >= math.Ldexp(1, bits-1)
}

// expected names what a Go type accepts, as a person would say it.
func expected(t reflect.Type, unit string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		return "a date and time"
	case reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()):
		return "a string" // an id, an address: text, whatever its Go kind
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number" + of(unit)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a whole number" + of(unit) + ", 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number" + of(unit)
	case reflect.Slice, reflect.Array:
		return "a list"
	default:
		return "an object"
	}
}

// of is " of points" for the unit points.
func of(unit string) string {
	if unit == "" {
		return ""
	}
	return " of " + unit
}

// valueKind names the kind of the JSON value raw.
func valueKind(raw []byte) string {
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

// textErrors names every string of raw (one JSON value, known to be valid
// JSON), member names included, that no field should take: one holding NUL,
// which Postgres text cannot store and which cuts strings short in C
// libraries, or text that is not Unicode, which encoding/json would quietly
// turn into U+FFFD (so it must be looked for in the raw bytes).
func textErrors(raw []byte) validate.Errors {
	var out validate.Errors
	checkText(raw, "", &out)
	return out
}

func checkText(raw []byte, path string, out *validate.Errors) {
	name := path
	if name == "" {
		name = "body"
	}
	switch raw[0] {
	case '"':
		if msg := badText(raw); msg != "" {
			*out = append(*out, validate.FieldError{Field: name, Code: validate.CodeInvalidFormat, Message: msg})
		}
	case '{':
		eachMember(raw, func(key string, rawKey, val []byte) {
			if msg := badText(rawKey); msg != "" {
				*out = append(*out, validate.FieldError{Field: name, Code: validate.CodeInvalidFormat, Message: "member names " + msg})
				return
			}
			checkText(val, join(path, key), out)
		})
	case '[':
		eachElement(raw, func(i int, val []byte) { checkText(val, path+"["+strconv.Itoa(i)+"]", out) })
	}
}

// badText says what is wrong with the JSON string literal lit (quotes
// included), or "".
func badText(lit []byte) string {
	if !utf8.Valid(lit) {
		return "must be UTF-8 text (was it sent in another encoding, such as GBK?)"
	}
	for i := 1; i < len(lit)-1; i++ {
		if lit[i] != '\\' {
			continue
		}
		i++ // the escaped character; a \\ is skipped whole
		if lit[i] != 'u' {
			continue
		}
		r := hex4(lit[i+1 : i+5])
		i += 4
		switch {
		case r == 0:
			return "must not contain a NUL character (\\u0000)"
		case utf16.IsSurrogate(r):
			// Only a high surrogate followed by a low one is a character.
			if r < 0xDC00 && i+6 < len(lit) && lit[i+1] == '\\' && lit[i+2] == 'u' {
				if lo := hex4(lit[i+3 : i+7]); lo >= 0xDC00 && lo <= 0xDFFF {
					i += 6
					continue
				}
			}
			return "must be Unicode text (it holds half of a surrogate pair)"
		}
	}
	return ""
}

func hex4(b []byte) rune {
	n, _ := strconv.ParseUint(string(b), 16, 32)
	return rune(n)
}

// eachMember calls fn with each member of the JSON object raw: its name,
// the name as written (quotes included) and its value.
func eachMember(raw []byte, fn func(key string, rawKey, val []byte)) {
	s := scanner{b: raw, i: 1}
	for {
		s.space()
		if s.b[s.i] == '}' {
			return
		}
		rawKey := s.value()
		var key string
		_ = json.Unmarshal(rawKey, &key)
		s.space()
		s.i++ // :
		s.space()
		fn(key, rawKey, s.value())
		s.space()
		if s.b[s.i] == '}' {
			return
		}
		s.i++ // ,
	}
}

// eachElement calls fn with each element of the JSON array raw.
func eachElement(raw []byte, fn func(i int, val []byte)) {
	s := scanner{b: raw, i: 1}
	for n := 0; ; n++ {
		s.space()
		if s.b[s.i] == ']' {
			return
		}
		fn(n, s.value())
		s.space()
		if s.b[s.i] == ']' {
			return
		}
		s.i++ // ,
	}
}

// scanner steps through JSON already known to be valid, so it checks
// nothing and only finds where each value ends.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\r' || s.b[s.i] == '\n') {
		s.i++
	}
}

// value returns the value starting at s.i and moves past it.
func (s *scanner) value() []byte {
	start := s.i
	switch s.b[s.i] {
	case '"':
		s.str()
	case '{', '[':
		for depth := 0; ; {
			switch s.b[s.i] {
			case '"':
				s.str()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				break
			}
		}
	default: // a number, true, false or null
		for s.i < len(s.b) && !strings.ContainsRune(",}] \t\r\n", rune(s.b[s.i])) {
			s.i++
		}
	}
	return s.b[start:s.i]
}

// str moves past the string starting at s.i.
func (s *scanner) str() {
	for s.i++; s.b[s.i] != '"'; s.i++ {
		if s.b[s.i] == '\\' {
			s.i++
		}
	}
	s.i++
}
