package testenv

import (
	"fmt"
	"testing"
)

func TestLineRing_keepsTheLastLines(t *testing.T) {
	var r lineRing
	for i := range keptLines + 5 {
		fmt.Fprintf(&r, "line %d\n", i)
	}
	fmt.Fprint(&r, "two\nlines\n")
	got := r.lines()
	if len(got) != keptLines || got[0] != "line 7" || got[len(got)-2] != "two" || got[len(got)-1] != "lines" {
		t.Fatalf("kept %d lines: first %q, last %q", len(got), got[0], got[len(got)-1])
	}
}
