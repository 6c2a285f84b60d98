package activity_test

import (
	"net/url"
	"slices"
	"testing"
	"time"
)

// Activities filtered by the day they start (from, to: YYYY-MM-DD in
// Asia/Shanghai), both ends included, for staff and workers alike.
func TestActivities_fromAndToFilterByTheStartsShanghaiDay(t *testing.T) {
	h := newHarness(t)
	w := h.Worker(h.knownWorker("qishan", "tashan"))
	at := map[string]string{} // name → id
	for name, start := range map[string]string{
		"apr30late": "2026-04-30T23:59:59+08:00", // 15:59:59 UTC: still 30 April in Shanghai
		"may1":      "2026-05-01T00:00:00+08:00", // 30 April 16:00 UTC: already 1 May in Shanghai
		"may3late":  "2026-05-03T23:59:59+08:00",
		"may4":      "2026-05-04T00:00:00+08:00",
		"june":      "2026-06-15T10:00:00+08:00",
	} {
		id := h.published(nil)
		if _, err := h.Pool.Exec(h.ctx, "UPDATE activities SET starts_at = $2, ends_at = $2::timestamptz + interval '2 hours' WHERE id = $1",
			id, start); err != nil {
			t.Fatal(err)
		}
		at[name] = id
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"from=2026-05-01&to=2026-05-03", []string{"may1", "may3late"}},
		{"from=2026-05-01", []string{"may1", "may3late", "may4", "june"}},
		{"to=2026-04-30", []string{"apr30late"}},
		{"from=2026-05-04&to=2026-05-04", []string{"may4"}},
		{"from=2026-07-01", nil},
	}
	for _, tc := range tests {
		for who, token := range map[string]string{"staff": h.StreetAdmin("qishan"), "worker": w} {
			t.Run(who+" "+tc.query, func(t *testing.T) {
				var want, got []string
				for _, n := range tc.want {
					want = append(want, at[n])
				}
				for _, it := range h.Must(200, "GET", "/v1/activities?"+tc.query, token, nil).Items() {
					got = append(got, it.(map[string]any)["id"].(string))
				}
				slices.Sort(want)
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Fatalf("got %v, want %v (%v)", got, want, at)
				}
			})
		}
	}

	for _, tc := range []struct{ query, field string }{
		{"from=2026-13-01", "from"},
		{"from=2026/05/01", "from"},
		{"to=1%20May", "to"},
		{"from=2026-05-03&to=2026-05-01", "to"},
		{"from=2026-05-01&from=2026-05-02", "from"},
	} {
		t.Run("refuses "+tc.query, func(t *testing.T) {
			if r := h.Do("GET", "/v1/activities?"+tc.query, h.District(), nil); r.Status != 422 || r.Field() != tc.field {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
		})
	}
}

// The reports queue soonest due first (sort=due_at), paged by a cursor of
// due_at and id, so no report is missed or repeated across pages even when
// due times tie; open=true and category narrow it on the server.
func TestReports_sortedByDueAtPageWithoutGapsOrRepeats(t *testing.T) {
	h := newHarness(t)
	w := h.Worker(h.knownWorker("qishan", "tashan"))
	staff := h.StreetAdmin("qishan")
	base := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	var ids []string
	for i, tc := range []struct {
		category string
		due      time.Duration
		status   string
	}{
		{"fire_risk", 5 * time.Hour, "submitted"},
		{"traffic", time.Hour, "submitted"},
		{"traffic", time.Hour, "accepted"}, // the same due time as the one before
		{"dispute", -2 * time.Hour, "dispatched"},
		{"fire_risk", 3 * time.Hour, "closed"},
		{"facility", time.Hour, "submitted"}, // a third at that time
		{"other", 10 * time.Hour, "rejected"},
	} {
		id := h.Must(201, "POST", "/v1/reports", w, reportBody(map[string]any{"category": tc.category,
			"lat": 37.5 + float64(i)/100})).Str("id")
		if _, err := h.Pool.Exec(h.ctx, "UPDATE reports SET due_at = $2, status = $3 WHERE id = $1", id, base.Add(tc.due), tc.status); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	h.Must(201, "POST", "/v1/reports", h.Worker(h.knownWorker("zhifu", "baishi")), reportBody(nil)) // another street's

	ordered := func(where string, args ...any) []string {
		rows, err := h.Pool.Query(h.ctx, "SELECT id::text FROM reports WHERE street = 'qishan'"+where+" ORDER BY due_at, id", args...)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for rows.Next() {
			var id string
			_ = rows.Scan(&id)
			out = append(out, id)
		}
		return out
	}
	tests := []struct {
		name, path, token string
		want              []string
	}{
		{"all, staff", "/v1/reports?sort=due_at", staff, ordered("")},
		{"open only", "/v1/reports?sort=due_at&open=true", staff, ordered(" AND status IN ('submitted', 'accepted', 'dispatched')")},
		{"open fire risks", "/v1/reports?sort=due_at&open=true&category=fire_risk", staff, []string{ids[0]}},
		{"one status", "/v1/reports?sort=due_at&status=submitted", staff, ordered(" AND status = 'submitted'")},
		{"overdue", "/v1/reports/overdue?sort=due_at", staff, []string{ids[3]}},
		{"the district, one street", "/v1/reports?sort=due_at&street=qishan", h.District(), ordered("")},
		{"the reporter's own", "/v1/reports?sort=due_at", w, ordered("")},
	}
	for _, tc := range tests {
		for _, limit := range []string{"1", "2", "500"} {
			t.Run(tc.name+" by "+limit, func(t *testing.T) {
				var got []string
				for after := ""; ; {
					path := tc.path + "&limit=" + limit
					if after != "" {
						path += "&after=" + url.QueryEscape(after)
					}
					r := h.Must(200, "GET", path, tc.token, nil)
					for _, it := range r.Items() {
						got = append(got, it.(map[string]any)["id"].(string))
					}
					if after = r.Str("next"); after == "" {
						break
					}
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			})
		}
	}

	for _, tc := range []struct{ name, query, field string }{
		{"another order", "sort=created_at", "sort"},
		{"an id cursor for the due_at order", "sort=due_at&after=" + ids[0], "after"},
		{"a due_at cursor for the id order", "after=" + url.QueryEscape(base.Format(time.RFC3339Nano)+"_"+ids[0]), "after"},
		{"a cursor with a bad time", "sort=due_at&after=yesterday_" + ids[0], "after"},
		{"open with a closed status", "open=true&status=closed", "status"},
		{"an unknown category", "category=ufo", "category"},
		{"open not a boolean", "open=maybe", "open"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			if r := h.Do("GET", "/v1/reports?"+tc.query, staff, nil); r.Status != 422 || r.Field() != tc.field {
				t.Fatalf("%d %s", r.Status, r.Raw)
			}
		})
	}
}
