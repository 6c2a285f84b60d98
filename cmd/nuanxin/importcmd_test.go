package main

import (
	"strings"
	"testing"
)

func TestProgressLine_drawsShareDoneAndCounts(t *testing.T) {
	cases := []struct {
		job  importJob
		bar  string
		rest string
	}{
		{importJob{TotalRows: 100, Processed: 0}, strings.Repeat(".", 30), "0/100 行"},
		{importJob{TotalRows: 100, Processed: 50, Created: 40, Rejected: 10}, strings.Repeat("#", 15) + strings.Repeat(".", 15), "50/100 行  新增 40  更新 0  未变 0  拒绝 10"},
		{importJob{TotalRows: 3, Processed: 3, Updated: 3}, strings.Repeat("#", 30), "3/3 行  新增 0  更新 3"},
		{importJob{TotalRows: 0}, strings.Repeat(".", 30), "0/0 行"},
	}
	for _, c := range cases {
		got := progressLine(c.job)
		if !strings.Contains(got, "["+c.bar+"]") || !strings.Contains(got, c.rest) {
			t.Errorf("progressLine(%+v) = %q", c.job, got)
		}
	}
}

func TestImportArgs_needKindAndFileFirst(t *testing.T) {
	cases := []struct {
		args []string
		ok   bool
	}{
		{[]string{"workers", "a.xlsx"}, true},
		{[]string{"enterprises", "b.csv", "--token", "x"}, true},
		{[]string{"workers"}, false},
		{[]string{"--token", "x", "workers", "a.xlsx"}, false},
		{[]string{"stations", "a.xlsx"}, false},
	}
	for _, c := range cases {
		_, _, _, err := importArgs(c.args)
		if (err == nil) != c.ok {
			t.Errorf("importArgs(%v) err = %v", c.args, err)
		}
	}
}
