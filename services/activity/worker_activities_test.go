package activity_test

import (
	"slices"
	"testing"
	"time"
)

// A worker's activities (GET /v1/workers/{worker_id}/activities): the
// activities they signed up for (withdrawn too) or attended, newest start
// first, each with their sign-up and attendance; staff see those of their
// scope of a worker of their scope, the worker all their own, and anyone
// else 404 — one street office never sees another's rows.
func TestWorkerActivities_signUpsAndAttendanceByScope(t *testing.T) {
	h := newHarness(t)
	wid := h.knownWorker("qishan", "tashan")
	w := h.Worker(wid)
	staff := h.StreetAdmin("qishan")

	// withdrawn: tashan's, signed up then withdrawn; wide: street-wide,
	// signed up; attended: tashan's, checked in and out by staff without a
	// sign-up; elsewhere: zhifu's, from before the worker moved to qishan.
	withdrawn := h.published(map[string]any{"community": "tashan", "starts_at": future(48 * time.Hour), "ends_at": future(49 * time.Hour)})
	h.Must(201, "POST", "/v1/activities/"+withdrawn+"/signups", w, nil)
	h.Must(200, "POST", "/v1/activities/"+withdrawn+"/signups/withdraw", w, nil)
	wide := h.published(map[string]any{"starts_at": future(72 * time.Hour), "ends_at": future(73 * time.Hour)})
	h.Must(201, "POST", "/v1/activities/"+wide+"/signups", w, nil)
	attended := h.running(map[string]any{"community": "tashan"}, time.Hour, time.Hour)
	h.Must(201, "POST", "/v1/activities/"+attended+"/attendance/check-in", staff, map[string]any{"worker_id": wid, "at": ago(30 * time.Minute)})
	h.Must(200, "POST", "/v1/activities/"+attended+"/attendance/check-out", staff, map[string]any{"worker_id": wid, "at": ago(0)})
	elsewhere := h.Must(201, "POST", "/v1/activities", h.District(), activityBody(map[string]any{"street": "zhifu",
		"starts_at": future(24 * time.Hour), "ends_at": future(25 * time.Hour)})).Str("id")
	h.Must(200, "POST", "/v1/activities/"+elsewhere+"/publish", h.District(), nil)
	if _, err := h.Pool.Exec(h.ctx, `INSERT INTO signups (activity_id, worker_id, status, created_at) VALUES ($1, $2, 'signed_up', now())`,
		elsewhere, wid); err != nil {
		t.Fatal(err)
	}
	h.published(map[string]any{"community": "tashan"}) // not theirs
	path := "/v1/workers/" + wid + "/activities"

	tests := []struct {
		name, token string
		want        []string // newest start first
	}{
		{"the worker, all their own", w, []string{wide, withdrawn, elsewhere, attended}},
		{"the district admin", h.District(), []string{wide, withdrawn, elsewhere, attended}},
		{"their street admin: their street's", staff, []string{wide, withdrawn, attended}},
		{"their community's staff: the community's and street-wide", h.Staff("qishan", "tashan"), []string{wide, withdrawn, attended}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			// One at a time, to show the cursor pages without gaps or repeats.
			for after := ""; ; {
				q := "?limit=1"
				if after != "" {
					q += "&after=" + after
				}
				r := h.Must(200, "GET", path+q, tc.token, nil)
				for _, it := range r.Items() {
					got = append(got, it.(map[string]any)["activity"].(map[string]any)["id"].(string))
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

	byID := map[string]map[string]any{}
	for _, it := range h.Must(200, "GET", path, w, nil).Items() {
		m := it.(map[string]any)
		a := m["activity"].(map[string]any)
		if _, leaked := a["checkin_code"]; leaked {
			t.Fatalf("the check-in code is in the list: %v", a)
		}
		byID[a["id"].(string)] = m
	}
	if su := byID[withdrawn]["signup"].(map[string]any); su["status"] != "withdrawn" || su["withdrawn_at"] == nil || byID[withdrawn]["attendance"] != nil {
		t.Fatalf("withdrawn: %v", byID[withdrawn])
	}
	if su := byID[wide]["signup"].(map[string]any); su["status"] != "signed_up" {
		t.Fatalf("signed up: %v", byID[wide])
	}
	at, ok := byID[attended]["attendance"].(map[string]any)
	if !ok || at["hours"] != 0.5 || at["checked_in_at"] == nil || at["checked_out_at"] == nil || byID[attended]["signup"] != nil {
		t.Fatalf("attended: %v", byID[attended])
	}

	refused := []struct {
		name, token, path string
		status            int
		field             string
	}{
		{"another street's admin", h.StreetAdmin("zhifu"), path, 404, ""},
		{"another community's staff", h.Staff("qishan", "changsheng"), path, 404, ""},
		{"another worker", h.Worker(h.knownWorker("qishan", "tashan")), path, 404, ""},
		{"a worker nobody knows", h.District(), "/v1/workers/0196b0c1-7a2e-7c3d-8e4f-5a6b7c8d9e0f/activities", 404, ""},
		{"not a worker id", h.District(), "/v1/workers/nope/activities", 404, ""},
		{"a limit out of range", staff, path + "?limit=0", 422, "limit"},
		{"a malformed cursor", staff, path + "?after=" + wid, 422, "after"},
		{"an unknown parameter", staff, path + "?status=published", 400, "status"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("GET", tc.path, tc.token, nil)
			if r.Status != tc.status || r.Field() != tc.field {
				t.Fatalf("status %d, field %q; want %d naming %q: %s", r.Status, r.Field(), tc.status, tc.field, r.Raw)
			}
		})
	}
}
