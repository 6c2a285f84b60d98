package activity_test

import (
	"testing"
	"time"
)

// A rider sees, on each activity, their own part in it — signed up, their
// check-in, check-out and hours — and lists their own activities with
// ?mine=true, cancelled ones and those of a community they have since left
// included.
func TestActivities_aRiderSeesTheirOwnPartAndListsTheirOwn(t *testing.T) {
	h := newHarness(t)
	wid := h.knownWorker("qishan", "tashan")
	w := h.Worker(wid)
	staff := h.StreetAdmin("qishan")
	signed := h.published(map[string]any{"title": "反诈培训", "community": "tashan"})
	attended := h.running(map[string]any{"title": "义诊", "community": "tashan"}, time.Hour, time.Hour)
	other := h.published(map[string]any{"title": "理发"})
	h.Must(201, "POST", "/v1/activities/"+signed+"/signups", w, nil)
	h.Must(201, "POST", "/v1/activities/"+attended+"/attendance/check-in", staff, map[string]any{"worker_id": wid, "at": ago(30 * time.Minute)})
	h.Must(200, "POST", "/v1/activities/"+attended+"/attendance/check-out", staff, map[string]any{"worker_id": wid, "at": ago(0)})

	mine := func(query string) map[string]map[string]any {
		t.Helper()
		out := map[string]map[string]any{}
		for _, it := range h.Must(200, "GET", "/v1/activities"+query, w, nil).Items() {
			a := it.(map[string]any)
			out[a["id"].(string)] = a["mine"].(map[string]any)
		}
		return out
	}
	all := mine("")
	if len(all) != 3 || all[signed]["signed_up"] != true || all[other]["signed_up"] != false || all[other]["attendance"] != nil {
		t.Fatalf("all: %v", all)
	}
	if at, ok := all[attended]["attendance"].(map[string]any); !ok || at["hours"] != 0.5 {
		t.Fatalf("attended: %v", all[attended])
	}
	if own := mine("?mine=true"); len(own) != 2 || own[other] != nil {
		t.Fatalf("mine: %v", own)
	}

	// Cancelled: still theirs, and they see it so.
	h.Must(200, "POST", "/v1/activities/"+signed+"/cancel", staff, map[string]any{"reason": "暴雨"})
	if own := h.Must(200, "GET", "/v1/activities?mine=true", w, nil).Items(); len(own) != 2 {
		t.Fatalf("mine after a cancellation: %v", own)
	}
	// They move to another community: what they took part in stays theirs.
	if _, err := h.Pool.Exec(h.ctx, "UPDATE workers SET community = 'changsheng' WHERE id = $1", wid); err != nil {
		t.Fatal(err)
	}
	if own := mine("?mine=true"); len(own) != 2 || own[attended] == nil {
		t.Fatalf("mine after moving: %v", own)
	}
	if r := h.Must(200, "GET", "/v1/activities/"+attended, w, nil); r.Body["mine"].(map[string]any)["attendance"] == nil {
		t.Fatalf("an activity attended before moving: %s", r.Raw)
	}
	h.Must(404, "GET", "/v1/activities/"+h.published(map[string]any{"community": "tashan"}), w, nil)

	// Staff have no activities of their own; a bad value is named.
	for _, tc := range []struct{ token, query string }{{staff, "?mine=true"}, {w, "?mine=perhaps"}} {
		if r := h.Do("GET", "/v1/activities"+tc.query, tc.token, nil); r.Status != 422 || r.Field() != "mine" {
			t.Fatalf("%s: %d %s", tc.query, r.Status, r.Raw)
		}
	}
	if r := h.Must(200, "GET", "/v1/activities/"+other, staff, nil); r.Body["mine"] != nil {
		t.Fatalf("staff see a part of their own: %s", r.Raw)
	}
}
