package httpx_test

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// read reads a list's parameters from the query string raw, as a route's
// decoder does, and returns the query's error.
func read(raw string) (*httpx.Query, error) {
	q := httpx.NewQuery(httptest.NewRequest("GET", "/v1/things?"+raw, nil))
	q.Code("street")
	q.Text("name")
	q.ID("worker_id")
	q.Cursor("after")
	q.Int("limit", 50)
	q.Bool("open")
	q.IDs("ids", 3)
	return q, q.Err()
}

func TestQuery_checksEachValueAsWhatItIs(t *testing.T) {
	tests := []struct {
		name, raw string
		field     string // "" for none
		code      string
	}{
		{"good values", "street=qishan&name=%E5%A1%94%E5%B1%B1&worker_id=01a1a44b-8772-72e8-b54e-e781cc75f636&after=abc~12&limit=7&open=true", "", ""},
		{"nothing given", "", "", ""},
		{"a NUL byte in a code", "street=%00nul", "street", validate.CodeInvalidFormat},
		{"invalid UTF-8 in a code", "street=%FF%FE", "street", validate.CodeInvalidFormat},
		{"an upper-case code", "street=Qishan", "street", validate.CodeInvalidFormat},
		{"a NUL byte in text", "name=a%00b", "name", validate.CodeInvalidFormat},
		{"invalid UTF-8 in text", "name=%FF%FE", "name", validate.CodeInvalidFormat},
		{"text too long", "name=" + strings.Repeat("a", 201), "name", validate.CodeTooLong},
		{"not an id", "worker_id=w1", "worker_id", validate.CodeInvalidFormat},
		{"a cursor with a NUL byte", "after=a%00", "after", validate.CodeInvalidFormat},
		{"not a number", "limit=x", "limit", validate.CodeInvalidFormat},
		{"not a boolean", "open=yes", "open", validate.CodeInvalidFormat},
		{"given twice", "street=qishan&street=zhifu", "street", "repeated"},
		{"ids", "ids=01a1a44b-8772-72e8-b54e-e781cc75f636,01a1a44b-8772-72e8-b54e-e781cc75f636,%2001a1a44b-8772-72e8-b54e-e781cc75f637", "", ""},
		{"more ids than allowed", "ids=" + strings.Repeat("01a1a44b-8772-72e8-b54e-e781cc75f636,", 3) + "01a1a44b-8772-72e8-b54e-e781cc75f636", "ids", validate.CodeOutOfRange},
		{"not ids", "ids=01a1a44b-8772-72e8-b54e-e781cc75f636,w1", "ids", validate.CodeInvalidFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := read(tc.raw)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			var fields validate.Errors
			if !errors.As(err, &fields) || fields[0].Field != tc.field || fields[0].Code != tc.code {
				t.Fatalf("error %#v, want %s on %s", err, tc.code, tc.field)
			}
			if p := httpx.ProblemFor(err); p.Status != 422 {
				t.Errorf("status %d, want 422", p.Status)
			}
		})
	}
}

func TestQuery_refusesEveryParameterNoReadAccepted(t *testing.T) {
	_, err := read("street=qishan&cursor=garbage&%00=1&limit=x")
	var unknown *httpx.QueryError
	if !errors.As(err, &unknown) {
		t.Fatalf("error %v, want a *httpx.QueryError before the invalid limit", err)
	}
	if len(unknown.Fields) != 2 || unknown.Fields[0].Field != "\uFFFD" || unknown.Fields[1].Field != "cursor" ||
		unknown.Fields[1].Code != "unknown_parameter" {
		t.Errorf("fields %v, want the NUL name made printable, then cursor", unknown.Fields)
	}
	p := httpx.ProblemFor(err)
	if p.Status != 400 || p.Type != "urn:nuanxin:problem:bad-query" || len(p.Errors) != 2 {
		t.Errorf("problem %+v, want 400 bad-query naming both", p)
	}
}
