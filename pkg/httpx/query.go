package httpx

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/validate"
)

// MaxQueryText is the longest free-text query parameter (a search term, a
// staff subject) in characters; cursors and codes are shorter still.
const MaxQueryText = 200

// maxCursor caps an opaque paging cursor: every cursor the services hand
// out (an id, a time and an id) is well under it.
const maxCursor = 200

// Query reads a request's query parameters, each by the name a route
// accepts, checking every value as what it is (a code, an id, a number)
// before it can reach SQL, and collecting every error by parameter name.
// What a route's decoder reads is what the route accepts: a parameter it
// never reads is unknown, and Err refuses it (400), as DecodeJSON refuses
// an unknown body member, rather than let a misspelt filter be silently
// ignored. route.Router gives every decoder one (QueryFrom) and applies
// the same rule to the decoders that read none. A decoder reads every
// parameter it takes before it calls Err.
//
// A Query is not safe for concurrent use.
type Query struct {
	v    url.Values
	read map[string]bool
	c    validate.Collector
}

// NewQuery is a reader of r's query parameters.
func NewQuery(r *http.Request) *Query {
	return &Query{v: r.URL.Query(), read: map[string]bool{}}
}

type queryKey struct{}

// WithQuery is ctx carrying q, for QueryFrom.
func WithQuery(ctx context.Context, q *Query) context.Context {
	return context.WithValue(ctx, queryKey{}, q)
}

// QueryFrom is the Query the router put in ctx for r, or a new one.
func QueryFrom(ctx context.Context, r *http.Request) *Query {
	if q, ok := ctx.Value(queryKey{}).(*Query); ok {
		return q
	}
	return NewQuery(r)
}

// raw marks name as accepted and returns its value ("" when absent). A
// parameter given twice is refused: which of the two a filter would use
// is a guess the server should not make.
func (q *Query) raw(name string) string {
	q.read[name] = true
	vs := q.v[name]
	if len(vs) > 1 {
		q.c.Add(name, "repeated", "give this parameter once")
		return ""
	}
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// Text reads free text (valid UTF-8, no control characters such as NUL,
// at most MaxQueryText characters), trimmed; "" when absent.
func (q *Query) Text(name string) string {
	s := q.raw(name)
	if s == "" {
		return ""
	}
	return q.c.Text(name, s, 0, MaxQueryText)
}

// Code reads a code (validate.Code): a street, a community, a status or
// another machine token; "" when absent.
func (q *Query) Code(name string) string {
	return q.c.OptionalCode(name, q.raw(name))
}

// OneOf reads a token that must be one of allowed; "" when absent.
func (q *Query) OneOf(name string, allowed []string) string {
	s := q.raw(name)
	if s == "" {
		return ""
	}
	return q.c.OneOf(name, s, allowed)
}

// ID reads an id (a UUID) as its canonical text; "" when absent.
func (q *Query) ID(name string) string {
	s := q.raw(name)
	if s == "" {
		return ""
	}
	id, err := uuid.Parse(s)
	if !q.c.Check(err == nil, name, validate.CodeInvalidFormat, "must be an id") {
		return ""
	}
	return id.String()
}

// IDs reads a comma-separated list of at most max ids (repeats counted
// once), in the order given; nil when absent. A list is longer than free
// text may be (100 ids are some 3,700 characters), so it has its own
// bound: max ids.
func (q *Query) IDs(name string, max int) []uuid.UUID {
	s := q.raw(name)
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > max {
		q.c.Add(name, validate.CodeOutOfRange, "must name at most "+strconv.Itoa(max)+" ids")
		return nil
	}
	out := make([]uuid.UUID, 0, len(parts))
	for _, part := range parts {
		id, err := uuid.Parse(strings.TrimSpace(part))
		if !q.c.Check(err == nil, name, validate.CodeInvalidFormat, "must be ids separated by commas") {
			return nil
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// Cursor reads an opaque paging cursor, the next of a previous page. Its
// shape is the service's to check (it alone knows what it hands out); here
// it is held to printable ASCII of a sane length, so nothing else gets that
// far.
func (q *Query) Cursor(name string) string {
	s := q.raw(name)
	if s == "" {
		return ""
	}
	ok := len(s) <= maxCursor && !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' })
	if !q.c.Check(ok, name, validate.CodeInvalidFormat, "must be the next cursor of a previous page") {
		return ""
	}
	return s
}

// Int reads a whole number, def when absent.
func (q *Query) Int(name string, def int) int {
	s := q.raw(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	q.c.Check(err == nil, name, validate.CodeInvalidFormat, "must be a whole number")
	return n
}

// Float reads a number; given reports whether the parameter was there (and
// a number).
func (q *Query) Float(name string, def float64) (v float64, given bool) {
	s := q.raw(name)
	if s == "" {
		return def, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if !q.c.Check(err == nil, name, validate.CodeInvalidFormat, "must be a number") {
		return def, false
	}
	return f, true
}

// Bool reads true or false (also 1/0, t/f as strconv.ParseBool); false
// when absent.
func (q *Query) Bool(name string) bool {
	s := q.raw(name)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	q.c.Check(err == nil, name, validate.CodeInvalidFormat, "must be true or false")
	return b
}

// Err is the query's first problem: the parameters no read accepted (a
// *QueryError, 400), else every invalid value (validate.Errors, 422), else
// nil.
func (q *Query) Err() error {
	if unknown := q.Unknown(); unknown != nil {
		return unknown
	}
	return q.c.Err()
}

// Unknown is a *QueryError naming, in order, every parameter given that no
// read accepted, or nil.
func (q *Query) Unknown() error {
	var names []string
	for name := range q.v {
		if !q.read[name] {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	e := &QueryError{}
	for _, n := range names {
		e.Fields = append(e.Fields, validate.FieldError{Field: printable(n), Code: "unknown_parameter",
			Message: "is not a parameter of this request"})
	}
	return e
}

// printable is a parameter name fit to echo back in a problem: the name
// is the client's own, but it may hold bytes that are not text.
func printable(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '\uFFFD'
		}
		return r
	}, name)
	if len(name) > MaxQueryText {
		name = name[:MaxQueryText]
		name = strings.ToValidUTF8(name, "")
	}
	return name
}

// QueryError is a query string naming parameters the route does not take.
type QueryError struct {
	Fields []validate.FieldError
}

func (e *QueryError) Error() string {
	names := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		names[i] = f.Field
	}
	return "unknown query parameters: " + strings.Join(names, ", ")
}
