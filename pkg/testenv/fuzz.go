package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Caller is someone the route fuzz calls as: a name for the report and a
// token (API.District(), API.StreetAdmin("qishan"), ...).
type Caller struct {
	Name  string
	Token string
}

// The fixed tables of hostile values FuzzRoutes sends: the same values on
// every run, so a failure is reproduced by running the test again. Each is
// what a fuzzer or an attacker tried first (issue 10: a NUL byte in a code
// reached Postgres and answered 500).
var (
	// hostileText goes in query parameters, path parameters and, as a
	// JSON string, body members.
	hostileText = []string{
		"qi\x00shan",              // Postgres refuses NUL in text
		"\xff\xfe",                // not UTF-8
		strings.Repeat("长", 2500), // 7.5 KB of text, longer than any field
		"garbage",                 // a malformed id, cursor, date or number
		"QISHAN.>",                // a NATS wildcard where a code goes
	}
	// hostileNumber goes in query parameters too: a number no type holds.
	hostileNumber = "-1e999"
	// wrongTypes go in body members as raw JSON of another type than the
	// member's: a number where text goes, an array (with a NUL) where text
	// or an object goes; a string where a number goes is in hostileText.
	wrongTypes = []string{`-12345`, `["\u0000"]`}
)

// unknownParam is the parameter no route takes.
const unknownParam = "zz_unknown"

// FuzzRoutes sends hostile values to every operation of a service's OpenAPI
// document (spec, the list CheckDocumented holds to the routes served at
// api.URL): each value of the fixed tables in each query parameter, path
// parameter and JSON body member in turn (the operation's example body
// around it, when the document gives one), and a parameter the route does
// not take, as each of callers. Path parameters not under fuzz are ids:
// the one ids gives for the path up to the parameter ("/v1/workers/{id}"
// → a worker's id, so that a hostile body reaches the service), else the
// document's sample. It fails the test on any answer of 500 or
// more, on a 4xx that is not application/problem+json, on a NUL byte or
// text that is not UTF-8 taken (answered below 400), and on an unknown
// parameter that is not refused with 400 naming it. Requests go a few at a
// time; the test's own data (streets, workers, ...) should be in place
// before, so that good-looking values reach as far as they can.
func FuzzRoutes(t testing.TB, api API, spec string, ids map[string]string, callers ...Caller) {
	t.Helper()
	ops := operations(t, spec)
	for _, op := range ops {
		for name := range op.samples {
			at := strings.Index(op.path, "{"+name)
			end := at + strings.Index(op.path[at:], "}") + 1
			if id, ok := ids[op.path[:end]]; ok {
				op.samples[name] = id
			}
		}
	}
	if len(ops) == 0 {
		t.Fatalf("%s: no operations", spec)
	}
	var reqs []fuzzRequest
	for _, op := range ops {
		for _, c := range callers {
			reqs = append(reqs, op.hostile(c)...)
		}
	}
	// Four at a time: the service sees concurrent requests as in use, and
	// the run stays within a few seconds on a small machine.
	const workers = 4
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		fail = map[string]int{} // failures per operation, to report a few of each
		next = make(chan fuzzRequest)
	)
	for range workers {
		wg.Go(func() {
			for r := range next {
				if msg := r.send(api); msg != "" {
					mu.Lock()
					key := r.op.method + " " + r.op.path
					if fail[key]++; fail[key] <= 3 {
						t.Errorf("%s %s as %s, %s: %s", r.op.method, r.op.path, r.caller.Name, r.what, msg)
					}
					mu.Unlock()
				}
			}
		})
	}
	for _, r := range reqs {
		next <- r
	}
	close(next)
	wg.Wait()
	for key, n := range fail {
		if n > 3 {
			t.Errorf("%s: %d more failures", key, n-3)
		}
	}
	t.Logf("%d requests to %d operations", len(reqs), len(ops))
}

// operation is a documented operation, as far as the fuzz needs it.
type operation struct {
	method, path  string
	query, inPath []string          // parameter names
	body          []string          // JSON body members; nil when no JSON body
	example       map[string]any    // a good body, when the document gives one
	samples       map[string]string // path parameter values that name something
}

// fuzzRequest is one request of the fuzz.
type fuzzRequest struct {
	op      *operation
	caller  Caller
	what    string // what is hostile, for the report
	path    string // with path parameters filled in, escaped
	query   url.Values
	body    []byte // nil for none
	unknown bool   // the request carries unknownParam
	refuse  bool   // the hostile value holds NUL or is not UTF-8: no field takes it
}

// hostile is every request the fuzz sends to op as c.
func (op *operation) hostile(c Caller) []fuzzRequest {
	var out []fuzzRequest
	add := func(what string, path map[string]string, q url.Values, body []byte) {
		out = append(out, fuzzRequest{op: op, caller: c, what: what, path: op.fill(path), query: q, body: body,
			refuse: notText(path, q) || notTextBody(body)})
	}
	good := op.goodBody()
	for _, name := range op.query {
		for _, v := range slices.Concat(hostileText, []string{hostileNumber}) {
			add(fmt.Sprintf("query %s=%.20q", name, v), nil, url.Values{name: {v}}, good)
		}
		add("query "+name+" given twice", nil, url.Values{name: {"a", "b"}}, good)
	}
	for _, name := range op.inPath {
		for _, v := range hostileText {
			add(fmt.Sprintf("path {%s}=%.20q", name, v), map[string]string{name: v}, nil, good)
		}
	}
	for _, name := range op.body {
		for _, v := range hostileText {
			add(fmt.Sprintf("body %s=%.20q", name, v), nil, nil, op.bodyWith(name, jsonString(v)))
		}
		for _, raw := range wrongTypes {
			add(fmt.Sprintf("body %s=%s", name, raw), nil, nil, op.bodyWith(name, []byte(raw)))
		}
	}
	out = append(out, fuzzRequest{op: op, caller: c, what: "unknown parameter " + unknownParam, path: op.fill(nil),
		query: url.Values{unknownParam: {"1"}}, body: good, unknown: true})
	return out
}

// notText reports whether a path or query value holds NUL or is not UTF-8.
func notText(path map[string]string, q url.Values) bool {
	for _, v := range path {
		if !textOK(v) {
			return true
		}
	}
	for _, vs := range q {
		for _, v := range vs {
			if !textOK(v) {
				return true
			}
		}
	}
	return false
}

// notTextBody reports whether a body holds NUL (escaped) or is not UTF-8.
func notTextBody(b []byte) bool {
	return b != nil && (!utf8.Valid(b) || bytes.Contains(b, []byte(`\u0000`)))
}

func textOK(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// fill is op's path with the given path parameters and samples for the rest.
func (op *operation) fill(given map[string]string) string {
	return pathParam.ReplaceAllStringFunc(op.path, func(p string) string {
		name := strings.TrimSuffix(strings.Trim(p, "{}"), "...")
		if v, ok := given[name]; ok {
			return url.PathEscape(v)
		}
		return url.PathEscape(op.samples[name])
	})
}

// goodBody is the document's example body, {} when it gives none, nil when
// the operation takes no JSON body.
func (op *operation) goodBody() []byte {
	if op.body == nil {
		return nil
	}
	b, err := json.Marshal(op.example)
	if err != nil || op.example == nil {
		return []byte("{}")
	}
	return b
}

// bodyWith is the good body with member set to raw JSON. Written by hand,
// not marshalled: encoding/json would turn invalid UTF-8 into U+FFFD.
func (op *operation) bodyWith(member string, raw []byte) []byte {
	var buf bytes.Buffer
	buf.WriteByte('{')
	keys := make([]string, 0, len(op.example))
	for k := range op.example {
		if k != member {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := json.Marshal(op.example[k])
		if err != nil {
			continue
		}
		buf.Write(jsonString(k))
		buf.WriteByte(':')
		buf.Write(v)
		buf.WriteByte(',')
	}
	buf.Write(jsonString(member))
	buf.WriteByte(':')
	buf.Write(raw)
	buf.WriteByte('}')
	return buf.Bytes()
}

// jsonString is s as a JSON string, its bytes kept as they are (a NUL as
// \u0000, invalid UTF-8 raw).
func jsonString(s string) []byte {
	var b bytes.Buffer
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.Bytes()
}

// send sends r and says what is wrong with the answer ("" when nothing).
func (r fuzzRequest) send(api API) string {
	u := api.URL + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(api.T.Context(), r.op.method, u, body)
	if err != nil {
		return err.Error()
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+r.caller.Token)
	if r.op.method == http.MethodPost {
		req.Header.Set("Idempotency-Key", "fuzz-"+Unique())
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
	ct := res.Header.Get("Content-Type")
	switch {
	case res.StatusCode >= 500:
		return fmt.Sprintf("status %d: %.300s", res.StatusCode, raw)
	case res.StatusCode >= 400 && !strings.HasPrefix(ct, "application/problem+json"):
		return fmt.Sprintf("status %d as %q, not application/problem+json: %.200s", res.StatusCode, ct, raw)
	case r.refuse && res.StatusCode < 400:
		return fmt.Sprintf("status %d: a NUL byte or text that is not UTF-8 was taken: %.200s", res.StatusCode, raw)
	case r.unknown:
		var p struct {
			Errors []struct{ Field, Code string }
		}
		_ = json.Unmarshal(raw, &p)
		named := slices.ContainsFunc(p.Errors, func(e struct{ Field, Code string }) bool { return e.Field == unknownParam })
		if res.StatusCode != http.StatusBadRequest || !named {
			return fmt.Sprintf("status %d, want 400 naming %s: %.300s", res.StatusCode, unknownParam, raw)
		}
	}
	return ""
}

// operations reads spec's operations: parameters (its own and its path's,
// $refs followed) and JSON body members (the schema's properties, $ref and
// allOf followed) with an example body.
func operations(t testing.TB, spec string) []*operation {
	t.Helper()
	raw, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", spec, err)
	}
	d := openapiDoc{root: doc}
	paths, _ := doc["paths"].(map[string]any)
	var ops []*operation
	for path, item := range paths {
		item := d.resolve(item)
		if publicPaths[path] {
			continue
		}
		shared, _ := item["parameters"].([]any)
		for method, o := range item {
			m := strings.ToUpper(method)
			if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, m) {
				continue
			}
			o := d.resolve(o)
			op := &operation{method: m, path: path, samples: map[string]string{}}
			own, _ := o["parameters"].([]any)
			for _, p := range append(own, shared...) {
				p := d.resolve(p)
				name, _ := p["name"].(string)
				switch p["in"] {
				case "query":
					if !slices.Contains(op.query, name) {
						op.query = append(op.query, name)
					}
				case "path":
					if !slices.Contains(op.inPath, name) {
						op.inPath = append(op.inPath, name)
						op.samples[name] = d.pathSample(p)
					}
				}
			}
			for _, name := range pathParam.FindAllString(path, -1) {
				name = strings.TrimSuffix(strings.Trim(name, "{}"), "...")
				if _, ok := op.samples[name]; !ok {
					op.inPath = append(op.inPath, name)
					op.samples[name] = d.pathSample(nil)
				}
			}
			d.jsonBody(op, o)
			slices.Sort(op.query)
			slices.Sort(op.inPath)
			ops = append(ops, op)
		}
	}
	slices.SortFunc(ops, func(a, b *operation) int { return strings.Compare(a.method+" "+a.path, b.method+" "+b.path) })
	return ops
}

// openapiDoc is a parsed OpenAPI document, for following $refs.
type openapiDoc struct{ root map[string]any }

// resolve follows v's $ref (local ones, "#/components/..."), if any.
func (d openapiDoc) resolve(v any) map[string]any {
	for range 10 {
		m, _ := v.(map[string]any)
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		var cur any = d.root
		for _, seg := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cm, _ := cur.(map[string]any)
			cur = cm[seg]
		}
		v = cur
	}
	return nil
}

// pathSample is a value for a path parameter that names something the
// route knows by its shape: its first allowed value or example, else an id
// (nothing has it: the route answers 404 once it looked).
func (d openapiDoc) pathSample(p map[string]any) string {
	if p != nil {
		schema := d.resolve(p["schema"])
		if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
			return fmt.Sprint(enum[0])
		}
		if ex, ok := p["example"]; ok {
			return fmt.Sprint(ex)
		}
	}
	return "0190c6b2-6f1e-7c3a-9d2e-5f8a1b2c3d4e"
}

// jsonBody fills op's body members and example from o's requestBody, when
// it takes JSON.
func (d openapiDoc) jsonBody(op *operation, o map[string]any) {
	rb := d.resolve(o["requestBody"])
	content, _ := rb["content"].(map[string]any)
	media := d.resolve(content["application/json"])
	if media == nil {
		return
	}
	op.body = d.members(media["schema"], 0)
	if op.body == nil {
		op.body = []string{}
	}
	slices.Sort(op.body)
	if ex, ok := media["example"].(map[string]any); ok {
		op.example = ex
		return
	}
	examples, _ := media["examples"].(map[string]any)
	names := make([]string, 0, len(examples))
	for n := range examples {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if ex, ok := d.resolve(examples[n])["value"].(map[string]any); ok {
			op.example = ex
			return
		}
	}
}

// members are the property names of a schema, through $ref and allOf.
func (d openapiDoc) members(schema any, depth int) []string {
	s := d.resolve(schema)
	if s == nil || depth > 5 {
		return nil
	}
	var out []string
	props, _ := s["properties"].(map[string]any)
	for name := range props {
		out = append(out, name)
	}
	all, _ := s["allOf"].([]any)
	for _, sub := range all {
		for _, name := range d.members(sub, depth+1) {
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}
