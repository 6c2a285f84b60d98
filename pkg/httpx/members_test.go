package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// adjustmentRequest has numbers of several kinds, as requests do.
type adjustmentRequest struct {
	Points  int       `json:"points"`
	Balance int64     `json:"balance"`
	Stars   int8      `json:"stars"`
	Hours   uint16    `json:"hours"`
	Rate    float32   `json:"rate"`
	At      time.Time `json:"at"`
	Reason  string    `json:"reason"`
	ID      uuid.UUID `json:"id"`
	Credit  *int64    `json:"credit" unit:"points"`
	ServHrs []float64 `json:"service_hours" unit:"hours"`
}

// problemOf decodes body into a fresh T and returns the problem a client
// would receive (nil when the body was accepted).
func problemOf[T any](t *testing.T, body string) *httpx.Problem {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/v1/accounts/a-1/adjustments", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	var v T
	if err := httpx.DecodeJSON(httptest.NewRecorder(), r, &v, 0); err != nil {
		p := httpx.ProblemFor(err)
		return &p
	}
	return nil
}

func TestDecodeJSON_saysAWholeNumberIsExpected(t *testing.T) {
	tests := []struct {
		name, body, field, code, message string
	}{
		{"a fraction of points", `{"points":1.5}`, "points", "wrong_type", "must be a whole number"},
		{"a negative fraction", `{"points":-0.25}`, "points", "wrong_type", "must be a whole number"},
		{"a tiny fraction", `{"points":1e-400}`, "points", "wrong_type", "must be a whole number"},
		{"an exponent beyond int", `{"points":1e20}`, "points", validate.CodeOutOfRange,
			"must be a whole number between -9223372036854775808 and 9223372036854775807"},
		{"digits beyond int64", `{"balance":9223372036854775808}`, "balance", validate.CodeOutOfRange,
			"must be a whole number between -9223372036854775808 and 9223372036854775807"},
		{"beyond float64 itself", `{"points":1e400}`, "points", validate.CodeOutOfRange,
			"must be a whole number between -9223372036854775808 and 9223372036854775807"},
		{"beyond int8", `{"stars":300}`, "stars", validate.CodeOutOfRange, "must be a whole number between -128 and 127"},
		{"below int8", `{"stars":-129}`, "stars", validate.CodeOutOfRange, "must be a whole number between -128 and 127"},
		{"negative for a uint", `{"hours":-1}`, "hours", validate.CodeOutOfRange, "must be a whole number between 0 and 65535"},
		{"whole but with a decimal point", `{"points":100.0}`, "points", "wrong_type",
			"must be a whole number written without a decimal point or exponent"},
		{"whole but with an exponent", `{"points":1e2}`, "points", "wrong_type",
			"must be a whole number written without a decimal point or exponent"},
		{"a string of digits", `{"points":"500"}`, "points", "wrong_type", "must be a whole number, not a string"},
		{"a boolean", `{"points":true}`, "points", "wrong_type", "must be a whole number, not a boolean"},
		{"a list", `{"points":[1]}`, "points", "wrong_type", "must be a whole number, not a list"},
		{"a float beyond float32", `{"rate":1e39}`, "rate", validate.CodeOutOfRange, "is too large a number"},
		{"a number for a string", `{"reason":13812345678}`, "reason", "wrong_type", "must be a string, not a number"},
		{"a fraction of a unit", `{"credit":1.5}`, "credit", "wrong_type", "must be a whole number of points"},
		{"too many of a unit", `{"credit":1e20}`, "credit", validate.CodeOutOfRange,
			"must be a whole number of points between -9223372036854775808 and 9223372036854775807"},
		{"text for a unit", `{"credit":"5"}`, "credit", "wrong_type", "must be a whole number of points, not a string"},
		{"a unit of a list's elements", `{"service_hours":[1,"2"]}`, "service_hours[1]", "wrong_type", "must be a number of hours, not a string"},
		{"not a time", `{"at":"tomorrow"}`, "at", "wrong_type", "must be a date and time such as 2026-11-23T09:00:00+08:00"},
		{"a number for a time", `{"at":1764493200}`, "at", "wrong_type", "must be a date and time such as 2026-11-23T09:00:00+08:00"},
		{"not an id", `{"id":"nope"}`, "id", validate.CodeInvalidFormat, "is not in the form this field takes"},
		{"a number for an id", `{"id":7}`, "id", "wrong_type", "must be a string, not a number"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := problemOf[adjustmentRequest](t, tc.body)
			if p == nil {
				t.Fatalf("accepted %s", tc.body)
			}
			if p.Status != http.StatusBadRequest || len(p.Errors) != 1 {
				t.Fatalf("status %d errors %+v, want 400 with one error", p.Status, p.Errors)
			}
			want := validate.FieldError{Field: tc.field, Code: tc.code, Message: tc.message}
			if p.Errors[0] != want {
				t.Errorf("error %+v, want %+v", p.Errors[0], want)
			}
			// What was sent is not echoed: it may be personal data.
			if strings.Contains(p.Detail, "13812345678") || strings.Contains(p.Errors[0].Message, "1.5") {
				t.Errorf("problem echoes the value: %+v", *p)
			}
		})
	}
}

func TestDecodeJSON_reportsEveryWrongType(t *testing.T) {
	p := problemOf[enterpriseRequest](t, `{"name":42,"employees":1.5,"nickname":"x","address":{"street":1},
		"opening_hours":[{"open":"08:00"},{"open":9}],"tags":["a",2,"b",false],"channels":{"points":{"sms":"yes"}},"has_party_org":true}`)
	if p == nil {
		t.Fatal("accepted")
	}
	if p.Status != http.StatusBadRequest || p.Type != "urn:nuanxin:problem:bad-body" {
		t.Errorf("status %d type %s, want 400 bad-body", p.Status, p.Type)
	}
	want := []struct{ field, code string }{
		{"name", "wrong_type"},
		{"employees", "wrong_type"},
		{"nickname", "unknown_field"},
		{"address.street", "wrong_type"},
		{"opening_hours[1].open", "wrong_type"},
		{"tags[1]", "wrong_type"},
		{"tags[3]", "wrong_type"},
		{"channels.points.sms", "wrong_type"},
	}
	if len(p.Errors) != len(want) {
		t.Fatalf("errors %+v, want %d", p.Errors, len(want))
	}
	for i, w := range want {
		if fe := p.Errors[i]; fe.Field != w.field || fe.Code != w.code || fe.Message == "" {
			t.Errorf("error %d: %+v, want field %s code %s", i, fe, w.field, w.code)
		}
	}
	if !strings.Contains(p.Detail, "and 7 more") {
		t.Errorf("detail %q does not say more fields are at fault", p.Detail)
	}
}

func TestDecodeJSON_refusesNULAndTextThatIsNotUnicode(t *testing.T) {
	tests := []struct {
		name, body string
		fields     []string // the members named; none: the body is accepted
	}{
		{"NUL in a value", `{"name":"顺丰\u0000"}`, []string{"name"}},
		{"NUL in a nested value", `{"address":{"street":"\u0000s01"}}`, []string{"address.street"}},
		{"NUL in a list", `{"tags":["a","b\u0000"]}`, []string{"tags[1]"}},
		{"NUL in a member name", `{"channels":{"po\u0000ints":{"sms":true}}}`, []string{"channels"}},
		{"GBK bytes", "{\"name\":\"\xcb\xb3\xb7\xe1\"}", []string{"name"}},
		{"a stray continuation byte", "{\"address\":{\"street\":\"s\x8001\"}}", []string{"address.street"}},
		{"a lone high surrogate", `{"name":"\ud83d"}`, []string{"name"}},
		{"a lone low surrogate", `{"name":"\uDE00x"}`, []string{"name"}},
		{"a high surrogate before a letter", `{"name":"\ud83d\u0041"}`, []string{"name"}},
		{"every one of them", `{"name":"\u0000","tags":["\udc00"],"address":{"street":"\u0000"}}`,
			[]string{"name", "tags[0]", "address.street"}},

		{"Chinese escaped", `{"name":"\u987a\u4e30"}`, nil},
		{"a surrogate pair", `{"name":"\ud83d\ude00 \uD83D\uDE00"}`, nil},
		{"an escaped backslash before u0000", `{"name":"C:\\u0000"}`, nil},
		{"a replacement character sent as such", `{"name":"\ufffd�"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := problemOf[enterpriseRequest](t, tc.body)
			if tc.fields == nil {
				if p != nil {
					t.Fatalf("refused: %+v", *p)
				}
				return
			}
			if p == nil {
				t.Fatalf("accepted %q", tc.body)
			}
			if p.Status != http.StatusUnprocessableEntity || p.Type != "urn:nuanxin:problem:validation" {
				t.Errorf("status %d type %s, want 422 validation", p.Status, p.Type)
			}
			if len(p.Errors) != len(tc.fields) {
				t.Fatalf("errors %+v, want %v", p.Errors, tc.fields)
			}
			for i, f := range tc.fields {
				if fe := p.Errors[i]; fe.Field != f || fe.Code != validate.CodeInvalidFormat || fe.Message == "" {
					t.Errorf("error %+v, want field %s code %s", fe, f, validate.CodeInvalidFormat)
				}
			}
		})
	}
}

// A JSON part of a multipart body gets the same checks; the part as a
// whole is named by its name.
func TestDecodeJSONPart_checksAPartAsABody(t *testing.T) {
	tests := []struct {
		name, raw string
		status    int
		fields    []string
	}{
		{"accepted", `{"name":"顺丰","employees":3}`, 0, nil},
		{"wrong types and an unknown member", `{"employees":1.5,"nick":"x","address":{"street":1}}`, 400,
			[]string{"employees", "nick", "address.street"}},
		{"not an object", `[1]`, 400, []string{"report"}},
		{"malformed", `{"name":`, 400, []string{"report"}},
		{"NUL in a value", `{"tags":["\u0000"]}`, 422, []string{"tags[0]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v enterpriseRequest
			err := httpx.DecodeJSONPart([]byte(tc.raw), &v, "report")
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			p := httpx.ProblemFor(err)
			if p.Status != tc.status || len(p.Errors) != len(tc.fields) {
				t.Fatalf("status %d errors %+v, want %d naming %v", p.Status, p.Errors, tc.status, tc.fields)
			}
			for i, f := range tc.fields {
				if p.Errors[i].Field != f {
					t.Errorf("error %+v, want field %s", p.Errors[i], f)
				}
			}
		})
	}
}

// The walks behind DecodeJSON's errors step through bodies without
// checking them again: whatever a client sends, DecodeJSON answers an
// error or a value, never a panic.
func FuzzDecodeJSON_answersEveryBody(f *testing.F) {
	for _, seed := range []string{`{"name":"x"}`, `{"employees":1.5,"tags":["a",2]}`, `{"name":"\u0000"}`,
		"{\"name\":\"\xff\"}", `{"address":{"street":[{}]},"channels":{"a":{"sms":"no"}}}`, `{"opening_hours":[{"open":1},null]}`,
		`{"name":"\ud83d\ude00\\u0000"}`, `[{"a":1}]`, `{"tags":[1e400,-0.0,"\"]"]}`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/v1/enterprises", strings.NewReader(body))
		var v enterpriseRequest
		if err := httpx.DecodeJSON(httptest.NewRecorder(), r, &v, 0); err != nil {
			if p := httpx.ProblemFor(err); p.Status >= 500 || len(p.Errors) == 0 {
				t.Fatalf("body %q: problem %+v", body, p)
			}
		}
	})
}
