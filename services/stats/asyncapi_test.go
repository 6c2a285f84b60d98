package stats_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/services/stats"
)

// The event documents say, for every event, what the statistics count of
// it (x-stats): the figures it feeds, or "ignored:" and why. They are held
// to the code: a counted event names only figures of the catalog, an
// ignored one is in stats.Ignored, and none goes without.
func TestAsyncAPI_saysWhatStatsCountsOfEveryEvent(t *testing.T) {
	docs, _ := filepath.Glob("../../docs/events/*.asyncapi.yaml")
	if len(docs) == 0 {
		t.Fatal("no event documents")
	}
	known := map[string]bool{}
	for _, m := range stats.Catalog {
		known[m.Name] = true
	}
	for _, r := range stats.Ratios {
		known[r.Name] = true
	}
	figureRe := regexp.MustCompile(`\b[a-z]+(_[a-z]+)+\b`)
	n := 0
	for _, f := range docs {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Channels map[string]struct {
				Address string `yaml:"address"`
				Stats   string `yaml:"x-stats"`
			} `yaml:"channels"`
		}
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for id, c := range doc.Channels {
			n++
			parts := strings.Split(c.Address, ".")
			if len(parts) != 5 {
				t.Errorf("%s: channel %s has address %q", filepath.Base(f), id, c.Address)
				continue
			}
			name := event.Name{Service: parts[1], Entity: parts[3], Verb: parts[4]}
			switch {
			case c.Stats == "":
				t.Errorf("%s: %s says nothing of statistics (x-stats)", filepath.Base(f), name.Type())
			case stats.Counts(name):
				if strings.HasPrefix(c.Stats, "ignored") {
					t.Errorf("%s: %s is counted, but x-stats says %q", filepath.Base(f), name.Type(), c.Stats)
				}
				for _, fig := range figureRe.FindAllString(c.Stats, -1) {
					if !known[fig] {
						t.Errorf("%s: %s's x-stats names %s, which is no figure", filepath.Base(f), name.Type(), fig)
					}
				}
			case stats.Ignored[name] != "":
				if !strings.HasPrefix(c.Stats, "ignored:") {
					t.Errorf("%s: %s is ignored, but x-stats says %q", filepath.Base(f), name.Type(), c.Stats)
				}
			default:
				t.Errorf("%s: %s is neither counted nor ignored by the stats service", filepath.Base(f), name.Type())
			}
		}
	}
	if n < 30 {
		t.Errorf("read %d channels", n)
	}
}
