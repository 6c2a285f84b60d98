package testenv

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"
)

// publicPaths are served without a token (route.Handler mounts them).
var publicPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// routePattern is a route as the transports mount it: "METHOD /path".
var routePattern = regexp.MustCompile(`"(GET|POST|PUT|PATCH|DELETE) (/[^"]*)"`)

// pathParam is a path template's parameter, {id} or {rest...}.
var pathParam = regexp.MustCompile(`\{[^}]*\}`)

// CheckDocumented holds a service's OpenAPI document (spec) and its routes
// to each other, so neither drifts: every operation the document lists is
// served at baseURL (an API path, asked without a token, answers 401 — it
// exists and is behind the token check; a public one answers anything but
// 404 or 405), and every route the Go files of sourceDir mount (tests
// aside) is in the document. Path parameters match whatever their names,
// and a route ending in "/" (a subtree) matches the paths under it.
func CheckDocumented(t testing.TB, baseURL, spec, sourceDir string) {
	t.Helper()
	raw, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", spec, err)
	}
	var documented []string // "METHOD /path/{}"
	for path, ops := range doc.Paths {
		var shared []param
		if n, ok := ops["parameters"]; ok {
			_ = n.Decode(&shared) // a $ref decodes to an unnamed param
		}
		for method, op := range ops {
			m := strings.ToUpper(method)
			if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, m) {
				continue // description, parameters
			}
			documented = append(documented, m+" "+pathParam.ReplaceAllString(path, "{}"))
			var own struct {
				Parameters []param `yaml:"parameters"`
				// security: [] marks an operation that takes no token
				// (signing in, the public keys).
				Security *[]any `yaml:"security"`
			}
			_ = op.Decode(&own)
			open := publicPaths[path] || own.Security != nil && len(*own.Security) == 0
			url := baseURL + pathParam.ReplaceAllStringFunc(path, func(p string) string {
				return sample(strings.Trim(p, "{}"), append(own.Parameters, shared...))
			})
			if got := statusWithoutToken(t, m, url); open {
				if got == http.StatusNotFound || got == http.StatusMethodNotAllowed {
					t.Errorf("%s %s is documented but answers %d", m, path, got)
				}
			} else if got != http.StatusUnauthorized {
				t.Errorf("%s %s is documented, but without a token it answers %d, not 401", m, path, got)
			}
		}
	}

	files, err := filepath.Glob(filepath.Join(sourceDir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	mounted := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range routePattern.FindAllStringSubmatch(string(src), -1) {
			mounted++
			route := m[1] + " " + pathParam.ReplaceAllString(m[2], "{}")
			if !covered(route, documented) {
				t.Errorf("%s (%s) is served but not in %s", m[1]+" "+m[2], filepath.Base(f), filepath.Base(spec))
			}
		}
	}
	if mounted == 0 {
		t.Fatalf("no routes found in %s", sourceDir)
	}
}

// param is a parameter of an operation, as far as sample needs it.
type param struct {
	Name    string `yaml:"name"`
	In      string `yaml:"in"`
	Example any    `yaml:"example"`
	Schema  struct {
		Enum []any `yaml:"enum"`
	} `yaml:"schema"`
}

// sample is a value for a path parameter: its first allowed value or its
// example if the document gives one (a roster's kind), else an id.
func sample(name string, params []param) string {
	for _, p := range params {
		if p.In != "path" || p.Name != name {
			continue
		}
		if len(p.Schema.Enum) > 0 {
			return fmt.Sprint(p.Schema.Enum[0])
		}
		if p.Example != nil {
			return fmt.Sprint(p.Example)
		}
	}
	return uuid.NewString()
}

// covered reports whether a mounted route is among the documented ones.
func covered(route string, documented []string) bool {
	for _, d := range documented {
		if d == route || (strings.HasSuffix(route, "/") && strings.HasPrefix(d, route)) {
			return true
		}
	}
	return false
}

// statusWithoutToken is the status a request without a token gets.
func statusWithoutToken(t testing.TB, method, url string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
