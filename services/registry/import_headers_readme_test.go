package registry

import (
	"os"
	"strings"
	"testing"
)

// README.md's clerk section lists every header the importer accepts, in a
// table row per field; a header added here and not there is a clerk's
// spreadsheet rejected for no reason they can look up.
func TestImportHeaders_allListedInTheREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	tables := []struct {
		kind    string
		columns []column
	}{
		{"workers", importWorkerColumns},
		{"enterprises", importEnterpriseColumns},
	}
	for _, tt := range tables {
		start := strings.Index(string(readme), "| `import "+tt.kind+"` field |")
		if start < 0 {
			t.Errorf("README.md has no table of the headers of import %s", tt.kind)
			continue
		}
		table := string(readme[start:])
		if end := strings.Index(table, "\n\n"); end >= 0 {
			table = table[:end]
		}
		for _, col := range tt.columns {
			var row string
			for line := range strings.SplitSeq(table, "\n") {
				if strings.Contains(line, "| "+col.headers[0]+",") {
					row = line
				}
			}
			for _, h := range col.headers {
				if !strings.Contains(row, " "+h+",") && !strings.HasSuffix(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(row), "|")), " "+h) {
					t.Errorf("import %s: header %q of %s is not in its README row %q", tt.kind, h, col.field, row)
				}
			}
		}
	}
}
