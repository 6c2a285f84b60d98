package registry_test

import (
	"strings"
	"testing"
	"time"
)

// The pairing lists count what their filters and the caller's scope select
// on all pages, as the worker list does: the same total on every page.
func TestPairings_listsCountAcrossPages(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	var tashan []string
	for i := range 3 {
		tashan = append(tashan, h.pair(h.registerWorker(i+1, "tashan")))
	}
	h.pair(h.registerWorker(4, "changsheng"))
	h.Must(201, "POST", "/v1/pairings", h.District(), map[string]any{
		"worker_id": h.registerWorker(9, "jianshelu"), "staff_subject": "grid-zhao", "staff_name": "赵网格"}).Str("id")
	h.Must(200, "POST", "/v1/pairings/"+tashan[0]+"/end", h.District(), map[string]any{"reason": "调岗"})
	// Overdue this month: the active pairings nobody reached yet.
	h.contact(tashan[1], time.Now().Add(-time.Minute))

	cases := []struct {
		name, path, token string
		pageSizes         []int // the items on each page
	}{
		{"all, by the district", "/v1/pairings", h.District(), []int{5}},
		{"a street's", "/v1/pairings", h.StreetAdmin("qishan"), []int{4}},
		{"a community's", "/v1/pairings", h.Staff("qishan", "tashan"), []int{3}},
		{"another street's", "/v1/pairings", h.StreetAdmin("jianshelu"), []int{1}},
		{"active", "/v1/pairings?status=active", h.District(), []int{4}},
		{"ended", "/v1/pairings?status=ended", h.District(), []int{1}},
		{"none", "/v1/pairings?status=ended", h.StreetAdmin("jianshelu"), []int{0}},
		{"by staff member", "/v1/pairings?staff_subject=grid-zhao", h.District(), []int{1}},
		{"by community and status", "/v1/pairings?community=tashan&status=active", h.District(), []int{2}},
		{"paged", "/v1/pairings?limit=2", h.District(), []int{2, 2, 1}},
		{"paged, full last page", "/v1/pairings?limit=2&street=qishan", h.District(), []int{2, 2}},
		{"overdue, all", "/v1/pairings/overdue", h.District(), []int{3}},
		{"overdue, a street's", "/v1/pairings/overdue", h.StreetAdmin("qishan"), []int{2}},
		{"overdue, a community's", "/v1/pairings/overdue", h.Staff("qishan", "tashan"), []int{1}},
		{"overdue, by staff member", "/v1/pairings/overdue?staff_subject=grid-li", h.District(), []int{2}},
		{"overdue, none", "/v1/pairings/overdue?staff_subject=grid-nobody", h.District(), []int{0}},
		{"overdue, paged", "/v1/pairings/overdue?limit=1", h.District(), []int{1, 1, 1}},
		{"overdue next month, paged", "/v1/pairings/overdue?limit=2&month=" + shanghaiMonth(time.Now()).AddDate(0, 1, 0).Format("2006-01"),
			h.District(), []int{2, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			total := 0
			for _, n := range c.pageSizes {
				total += n
			}
			sep := "?"
			if strings.Contains(c.path, "?") {
				sep = "&"
			}
			after, seen := "", map[string]bool{}
			for i, want := range c.pageSizes {
				path := c.path
				if after != "" {
					path += sep + "after=" + after
				}
				r := h.Must(200, "GET", path, c.token, nil)
				got, ok := r.Body["total"].(float64)
				if !ok || int(got) != total {
					t.Errorf("page %d: total = %v, want %d (%s)", i+1, r.Body["total"], total, r.Raw)
				}
				if n := len(ids(r)); n != want {
					t.Errorf("page %d: %d items, want %d", i+1, n, want)
				}
				for _, id := range ids(r) {
					if seen[id] {
						t.Errorf("page %d repeats %s", i+1, id)
					}
					seen[id] = true
				}
				after = r.Str("next")
				if last := i == len(c.pageSizes)-1; last != (after == "") {
					t.Fatalf("page %d: next = %q", i+1, after)
				}
			}
		})
	}
}
