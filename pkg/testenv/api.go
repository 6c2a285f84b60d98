package testenv

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

// API calls a service's HTTP API from a test, as the people who use it do:
// with a bearer token of some role and scope, signed by Key (the service
// verifies with its public half).
type API struct {
	T   testing.TB
	URL string // the server's base URL, e.g. an httptest.Server's
	Key ed25519.PrivateKey
}

// keepAlive is the client every API uses. Unlike http.DefaultClient, which
// keeps two idle connections per host, it keeps one for each of many
// clients at once, as that many people's browsers would: a benchmark of
// eight clients otherwise opens a new connection for most requests and
// measures that.
var keepAlive = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Transport: t}
}()

// Token signs a token for p, valid for an hour. A principal without a
// subject gets one named after its role.
func (a API) Token(p auth.Principal) string {
	a.T.Helper()
	if p.Subject == "" {
		p.Subject = string(p.Role) + "-test"
	}
	s, err := auth.Issue(a.Key, p, time.Hour)
	if err != nil {
		a.T.Fatal(err)
	}
	return s
}

// District is a district admin's token.
func (a API) District() string { return a.Token(auth.Principal{Role: auth.DistrictAdmin}) }

// StreetAdmin is the token of an admin of street.
func (a API) StreetAdmin(street string) string {
	return a.Token(auth.Principal{Role: auth.StreetAdmin, Street: street})
}

// Staff is the token of a community's staff member.
func (a API) Staff(street, community string) string {
	return a.Token(auth.Principal{Role: auth.CommunityStaff, Street: street, Community: community})
}

// Worker is a worker's own token.
func (a API) Worker(id string) string {
	return a.Token(auth.Principal{Role: auth.Worker, WorkerID: id, Subject: "worker-" + id})
}

// Response is an answer with its JSON body decoded (when it is JSON).
type Response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// Str returns a string member of the body ("" when absent).
func (r Response) Str(key string) string { s, _ := r.Body[key].(string); return s }

// Num returns a number member of the body (0 when absent).
func (r Response) Num(key string) float64 { n, _ := r.Body[key].(float64); return n }

// Items returns the items of a list answer.
func (r Response) Items() []any { items, _ := r.Body["items"].([]any); return items }

// Field returns the field of a problem's first error ("" when none).
func (r Response) Field() string {
	errs, _ := r.Body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	f, _ := errs[0].(map[string]any)["field"].(string)
	return f
}

// FieldOrReason is the field of a problem's first error or, on a 409, the
// problem's reason: what a table of refusals expects of each.
func (r Response) FieldOrReason() string {
	if r.Status == 409 {
		return r.Str("reason")
	}
	return r.Field()
}

// Do sends body (nil for none, a string as is, anything else as JSON) with
// the token and any headers given as name, value pairs.
func (a API) Do(method, path, token string, body any, headers ...string) Response {
	a.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			a.T.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.URL+path, rd)
	if err != nil {
		a.T.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return a.send(req, token, headers)
}

// Part is one part of a multipart/form-data body: a form field or, with a
// FileName, a file.
type Part struct {
	Name     string // the form field
	FileName string // "" for a plain field
	Data     []byte
}

// PostForm posts parts as multipart/form-data, as a browser's form does,
// with the token and any headers given as name, value pairs.
func (a API) PostForm(path, token string, parts []Part, headers ...string) Response {
	a.T.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.FileName != "" {
			w, err = mw.CreateFormFile(p.Name, p.FileName)
		} else {
			w, err = mw.CreateFormField(p.Name)
		}
		if err == nil {
			_, err = w.Write(p.Data)
		}
		if err != nil {
			a.T.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		a.T.Fatal(err)
	}
	req, err := http.NewRequest("POST", a.URL+path, &body)
	if err != nil {
		a.T.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return a.send(req, token, headers)
}

// send sends req with the token and headers, and decodes the answer.
func (a API) send(req *http.Request, token string, headers []string) Response {
	a.T.Helper()
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := keepAlive.Do(req)
	if err != nil {
		a.T.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		a.T.Fatal(err)
	}
	out := Response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

// Must is Do, failing the test unless the answer has status want.
func (a API) Must(want int, method, path, token string, body any, headers ...string) Response {
	a.T.Helper()
	r := a.Do(method, path, token, body, headers...)
	if r.Status != want {
		a.T.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Raw)
	}
	return r
}

// Conflict is Must for a 409 that names reason (the problem's "reason",
// what clients show their own words by).
func (a API) Conflict(reason, method, path, token string, body any, headers ...string) Response {
	a.T.Helper()
	r := a.Must(409, method, path, token, body, headers...)
	if got := r.Str("reason"); got != reason {
		a.T.Fatalf("%s %s: reason %q, want %q: %s", method, path, got, reason, r.Raw)
	}
	return r
}

// With is a copy of the JSON object base changed by extra: each member of
// extra replaces base's, and a nil one removes it. For bodies that differ
// from a good one in a member or two.
func With(base, extra map[string]any) map[string]any {
	b := make(map[string]any, len(base)+len(extra))
	for k, v := range base {
		b[k] = v
	}
	for k, v := range extra {
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
	}
	return b
}

// Eventually waits for cond, failing the test if it is still false after
// within. It polls: for conditions on state the test cannot be told about.
func Eventually(t testing.TB, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
