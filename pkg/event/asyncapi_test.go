package event_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The event reference (docs/events/*.asyncapi.yaml) and the catalog are
// held to each other: statistics subscribers read the documents, so an
// event the services publish must be there, and one documented must exist.
func TestAsyncAPI_documentsEveryEventOfTheCatalogAndNoOther(t *testing.T) {
	nameRe := regexp.MustCompile(`Name\{"([a-z_]+)", "([a-z_]+)", "([a-z_]+)"\}`)
	sources, _ := filepath.Glob("catalog_*.go")
	var catalog []string
	for _, f := range sources {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range nameRe.FindAllStringSubmatch(string(src), -1) {
			catalog = append(catalog, m[1]+" "+m[2]+"."+m[3])
		}
	}
	docs, _ := filepath.Glob("../../docs/events/*.asyncapi.yaml")
	var documented []string
	for _, f := range docs {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Channels map[string]struct {
				Address string `yaml:"address"`
			} `yaml:"channels"`
		}
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for id, c := range doc.Channels {
			// nuanxin.<service>.{street}.<entity>.<action>
			parts := strings.Split(c.Address, ".")
			if len(parts) != 5 || parts[0] != "nuanxin" || parts[2] != "{street}" {
				t.Errorf("%s: channel %s has address %q, not nuanxin.<service>.{street}.<entity>.<action>", filepath.Base(f), id, c.Address)
				continue
			}
			documented = append(documented, parts[1]+" "+parts[3]+"."+parts[4])
		}
	}
	if len(catalog) == 0 || len(docs) == 0 {
		t.Fatalf("found %d events in the catalog and %d documents", len(catalog), len(docs))
	}
	for _, e := range catalog {
		if !slices.Contains(documented, e) {
			t.Errorf("%s is in the catalog but not documented", e)
		}
	}
	for _, e := range documented {
		if !slices.Contains(catalog, e) {
			t.Errorf("%s is documented but not in the catalog", e)
		}
	}
}
