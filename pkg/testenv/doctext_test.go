package testenv_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// A plain (unquoted) scalar in a YAML flow mapping ends at the first ", "
// and the rest becomes a key of its own, so
// `{ type: string, description: The old street on one copy, the new street on the other }`
// parses without error as the description "The old street on one copy"
// plus a key "the new street on the other" with no value. Likewise " #"
// starts a comment anywhere, so an unquoted "see #12" loses "#12" and what
// follows. Nothing in OpenAPI or AsyncAPI is a key without a value, and the
// documents put their comments on lines of their own, so either shape is
// text that was lost. make lint's linters see the stray key only where the
// schema forbids unknown keys (not in an example or an x- extension), and
// never the lost comment; this test sees both everywhere, in make test too.
func TestDocs_noTextIsCutAtACommaOrAHash(t *testing.T) {
	api, _ := filepath.Glob("../../docs/api/*.yaml")
	events, _ := filepath.Glob("../../docs/events/*.yaml")
	files := append(api, events...)
	if len(api) == 0 || len(events) == 0 {
		t.Fatalf("found %d API and %d event documents", len(api), len(events))
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for _, p := range cutText(&doc) {
			t.Errorf("%s:%s; quote the text or write the mapping in block style", filepath.Base(f), p)
		}
	}
}

// The detector itself, on the shapes it must and must not report.
func TestCutText_reportsKeysWithoutValuesAndTrailingComments(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		cuts       int
	}{
		{"comma in a flow mapping", "a: { type: string, description: one, two }", 1},
		{"comma then colon", "a: { description: one, and two: three }", 1},
		{"two commas", "a: { description: one, two, three }", 2},
		{"comma in a flow mapping in a flow sequence", "allOf: [{ description: one, two }]", 1},
		{"hash in a block scalar", "description: see #12 for more", 1},
		{"quoted comma", `a: { type: string, description: "one, two" }`, 0},
		{"comma in block style", "a:\n  description: one, two", 0},
		{"comma in a flow sequence", "enum: [one, two]", 0},
		{"explicit null", "a: { default: null, example: ~ }", 0},
		{"empty flow mapping", "a: {}", 0},
		{"comment on a line of its own", "# heading\na: 1\n  # note\nb: 2", 0},
		{"quoted key with a space in a flow mapping", `a: { "x y": 1 }`, 0},
		{"key with a space in block style", "examples:\n  two words: 1", 0},
		{"hash without a space", "a: { $ref: '#/x', b: c#d }", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var doc yaml.Node
			if err := yaml.Unmarshal([]byte(c.yaml), &doc); err != nil {
				t.Fatal(err)
			}
			if got := cutText(&doc); len(got) != c.cuts {
				t.Errorf("got %d cuts %q, want %d", len(got), got, c.cuts)
			}
		})
	}
}

// cutText lists, as "line: what", every place under n where text was lost.
func cutText(n *yaml.Node) []string {
	var cuts []string
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			// An implicit null: no value at all, not `null` or `~`.
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" && v.Value == "" {
				cuts = append(cuts, fmt.Sprintf("%d: %q is a key without a value, probably the rest of a text cut at a comma", k.Line, k.Value))
			} else if n.Style&yaml.FlowStyle != 0 && k.Style == 0 && strings.Contains(k.Value, " ") {
				// `{ description: one, two: three }`: no OpenAPI or
				// AsyncAPI key has a space, cut text often does.
				cuts = append(cuts, fmt.Sprintf("%d: %q is a key with a space, probably the rest of a text cut at a comma", k.Line, k.Value))
			}
			if v.Kind == yaml.ScalarNode && v.Style == 0 && v.LineComment != "" {
				cuts = append(cuts, fmt.Sprintf("%d: %q is followed by the comment %q, probably the rest of a text cut at \" #\"", v.Line, v.Value, v.LineComment))
			}
		}
	}
	for _, c := range n.Content {
		cuts = append(cuts, cutText(c)...)
	}
	return cuts
}
