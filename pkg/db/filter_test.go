package db_test

import (
	"fmt"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/db"
)

func TestFilter_numbersPlaceholdersAndSkipsEmptyFilters(t *testing.T) {
	var f db.Filter
	f.Eq("street", "qishan")
	f.Eq("community", "")
	f.Raw("status IN ('submitted', 'accepted')")
	f.Where("due_at < $%d", "2026-11-23")
	got := f.Page("0190a6c5", 50)
	want := " WHERE street = $1 AND status IN ('submitted', 'accepted') AND due_at < $2 AND id > $3 ORDER BY id LIMIT $4"
	if got != want || fmt.Sprint(f.Args) != "[qishan 2026-11-23 0190a6c5 51]" {
		t.Errorf("Page = %q %v", got, f.Args)
	}
	var empty db.Filter
	if got := empty.Page("", 10); got != " ORDER BY id LIMIT $1" || fmt.Sprint(empty.Args) != "[11]" {
		t.Errorf("empty Page = %q %v", got, empty.Args)
	}
}
