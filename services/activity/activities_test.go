package activity_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/event"
)

func future(d time.Duration) string { return time.Now().Add(d).Format(time.RFC3339) }

func activityBody(extra map[string]any) map[string]any {
	b := map[string]any{"title": "外卖骑手安全培训", "kind": "safety_training", "description": "交通安全",
		"address": "奇山街道党群服务中心", "starts_at": future(48 * time.Hour), "ends_at": future(50 * time.Hour)}
	for k, v := range extra {
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
	}
	return b
}

// published creates and publishes an activity as the street admin of qishan.
func (h *harness) published(extra map[string]any) string {
	h.t.Helper()
	id := h.must(201, "POST", "/v1/activities", h.streetAdmin("qishan"), activityBody(extra)).str("id")
	h.must(200, "POST", "/v1/activities/"+id+"/publish", h.streetAdmin("qishan"), nil)
	return id
}

func TestActivities_createPublishCancelByRoleAndScope(t *testing.T) {
	h := newHarness(t)
	wid := h.knownWorker("qishan", "tashan")

	h.must(403, "POST", "/v1/activities", h.worker(wid), activityBody(nil))
	r := h.must(201, "POST", "/v1/activities", h.staff("qishan", "tashan"), activityBody(map[string]any{"capacity": 30}))
	if r.str("status") != "draft" || r.str("street") != "qishan" || r.str("community") != "tashan" {
		t.Fatalf("created: %s", r.Raw)
	}
	id := r.str("id")
	// Outside the scope the activity does not exist.
	h.must(404, "GET", "/v1/activities/"+id, h.streetAdmin("zhifu"), nil)
	h.must(404, "GET", "/v1/activities/"+id, h.staff("qishan", "changsheng"), nil)
	h.must(404, "POST", "/v1/activities/"+id+"/publish", h.streetAdmin("zhifu"), nil)
	h.must(403, "POST", "/v1/activities/"+id+"/publish", h.worker(wid), nil)
	// A draft is invisible to workers.
	h.must(404, "GET", "/v1/activities/"+id, h.worker(wid), nil)

	h.must(200, "POST", "/v1/activities/"+id+"/publish", h.streetAdmin("qishan"), nil)
	h.must(409, "POST", "/v1/activities/"+id+"/publish", h.streetAdmin("qishan"), nil)
	h.must(200, "GET", "/v1/activities/"+id, h.worker(wid), nil)
	other := h.knownWorker("qishan", "changsheng")
	h.must(404, "GET", "/v1/activities/"+id, h.worker(other), nil)

	// District admin names the street; a street-wide activity reaches every community.
	wide := h.must(201, "POST", "/v1/activities", h.district(), activityBody(map[string]any{"street": "qishan"})).str("id")
	h.must(200, "POST", "/v1/activities/"+wide+"/publish", h.district(), nil)
	list := h.must(200, "GET", "/v1/activities", h.worker(other), nil)
	if items := list.Body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != wide {
		t.Fatalf("worker of changsheng sees %s", list.Raw)
	}
	list = h.must(200, "GET", "/v1/activities", h.worker(wid), nil)
	if n := len(list.Body["items"].([]any)); n != 2 {
		t.Fatalf("worker of tashan sees %d activities: %s", n, list.Raw)
	}
	// Staff lists are scoped and paged.
	if n := len(h.must(200, "GET", "/v1/activities", h.streetAdmin("zhifu"), nil).Body["items"].([]any)); n != 0 {
		t.Fatalf("another street sees %d", n)
	}
	p1 := h.must(200, "GET", "/v1/activities?limit=1", h.streetAdmin("qishan"), nil)
	if len(p1.Body["items"].([]any)) != 1 || p1.str("next") == "" {
		t.Fatalf("page 1: %s", p1.Raw)
	}
	p2 := h.must(200, "GET", "/v1/activities?limit=1&after="+p1.str("next"), h.streetAdmin("qishan"), nil)
	if len(p2.Body["items"].([]any)) != 1 || p2.str("next") != "" {
		t.Fatalf("page 2: %s", p2.Raw)
	}

	h.must(422, "POST", "/v1/activities/"+id+"/cancel", h.streetAdmin("qishan"), map[string]any{"reason": ""})
	c := h.must(200, "POST", "/v1/activities/"+id+"/cancel", h.streetAdmin("qishan"), map[string]any{"reason": "暴雨"})
	if c.str("status") != "cancelled" || c.str("cancel_reason") != "暴雨" {
		t.Fatalf("cancelled: %s", c.Raw)
	}
	h.must(409, "POST", "/v1/activities/"+id+"/cancel", h.streetAdmin("qishan"), map[string]any{"reason": "again"})
	h.must(409, "POST", "/v1/activities/"+id+"/publish", h.streetAdmin("qishan"), nil)

	if pub := h.events(event.ActivityPublished.Type()); len(pub) != 2 {
		t.Fatalf("%d published events", len(pub))
	}
	canc := h.events(event.ActivityCancelled.Type())
	if len(canc) != 1 || canc[0].Subject != id {
		t.Fatalf("cancelled events: %+v", canc)
	}
}

func TestActivities_badInputNamesTheFieldAndWritesNothing(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name  string
		token string
		body  map[string]any
		field string
	}{
		{"no title", "", map[string]any{"title": ""}, "title"},
		{"long title", "", map[string]any{"title": strings.Repeat("字", 101)}, "title"},
		{"unknown kind", "", map[string]any{"kind": "party"}, "kind"},
		{"bad start", "", map[string]any{"starts_at": "tomorrow"}, "starts_at"},
		{"bad end", "", map[string]any{"ends_at": "2026-13-01"}, "ends_at"},
		{"end before start", "", map[string]any{"ends_at": future(47 * time.Hour)}, "ends_at"},
		{"start in the past", "", map[string]any{"starts_at": future(-time.Hour)}, "starts_at"},
		{"longer than 7 days", "", map[string]any{"ends_at": future(48*time.Hour + 8*24*time.Hour)}, "ends_at"},
		{"capacity 0", "", map[string]any{"capacity": 0}, "capacity"},
		{"capacity negative", "", map[string]any{"capacity": -3}, "capacity"},
		{"no place", "", map[string]any{"address": nil}, "address"},
		{"bad station", "", map[string]any{"station_id": "x"}, "station_id"},
		{"other community", "staff", map[string]any{"community": "changsheng"}, "community"},
		{"other street", "", map[string]any{"street": "zhifu"}, "street"},
		{"district without street", "district", nil, "street"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := h.streetAdmin("qishan")
			switch tc.token {
			case "staff":
				tok = h.staff("qishan", "tashan")
			case "district":
				tok = h.district()
			}
			r := h.do("POST", "/v1/activities", tok, activityBody(tc.body))
			if r.Status != 422 || r.field() != tc.field {
				t.Fatalf("status %d field %q, want 422 %q: %s", r.Status, r.field(), tc.field, r.Raw)
			}
		})
	}
	if n := h.count("SELECT count(*) FROM activities"); n != 0 {
		t.Fatalf("%d activities written", n)
	}
	if n := h.count("SELECT count(*) FROM outbox"); n != 0 {
		t.Fatalf("%d events written", n)
	}
}

func TestSignups_capacityHoldsUnderConcurrency(t *testing.T) {
	h := newHarness(t)
	id := h.published(map[string]any{"capacity": 50})
	const n = 200
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = h.worker(h.knownWorker("qishan", []string{"tashan", "changsheng"}[i%2]))
	}
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest("POST", h.srv.URL+"/v1/activities/"+id+"/signups", nil)
			req.Header.Set("Authorization", "Bearer "+tokens[i])
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	got := map[int]int{}
	for _, s := range statuses {
		got[s]++
	}
	if got[201] != 50 || got[409] != 150 {
		t.Fatalf("statuses %v, want 50×201 and 150×409", got)
	}
	if c := h.count("SELECT count(*) FROM signups WHERE activity_id = $1", id); c != 50 {
		t.Fatalf("%d signups", c)
	}
	if c := h.count("SELECT signed_up FROM activities WHERE id = $1", id); c != 50 {
		t.Fatalf("signed_up = %d", c)
	}
	if ev := h.events(event.SignupCreated.Type()); len(ev) != 50 {
		t.Fatalf("%d signup.created events", len(ev))
	}
	r := h.do("POST", "/v1/activities/"+id+"/signups", h.worker(h.knownWorker("qishan", "tashan")), nil)
	if r.Status != 409 || r.str("detail") != "the activity is full" {
		t.Fatalf("full: %d %s", r.Status, r.Raw)
	}
}

func TestSignups_lifecycle(t *testing.T) {
	h := newHarness(t)
	id := h.published(map[string]any{"capacity": 2})
	wid := h.knownWorker("qishan", "tashan")
	w := h.worker(wid)

	h.must(403, "POST", "/v1/activities/"+id+"/signups", h.streetAdmin("qishan"), nil)
	h.must(404, "POST", "/v1/activities/"+id+"/signups", h.worker("0190d5e5-0000-7000-8000-000000000000"), nil)
	h.must(404, "POST", "/v1/activities/"+id+"/signups", h.worker(h.knownWorker("zhifu", "x")), nil)
	h.must(409, "POST", "/v1/activities/"+id+"/signups/withdraw", w, nil)

	h.must(201, "POST", "/v1/activities/"+id+"/signups", w, nil)
	again := h.must(200, "POST", "/v1/activities/"+id+"/signups", w, nil)
	if again.str("status") != "signed_up" || again.str("worker_id") != wid {
		t.Fatalf("again: %s", again.Raw)
	}
	h.must(200, "POST", "/v1/activities/"+id+"/signups/withdraw", w, nil)
	h.must(409, "POST", "/v1/activities/"+id+"/signups/withdraw", w, nil)
	if c := h.count("SELECT signed_up FROM activities WHERE id = $1", id); c != 0 {
		t.Fatalf("signed_up = %d after withdrawal", c)
	}
	h.must(201, "POST", "/v1/activities/"+id+"/signups", w, nil)
	if c := h.count("SELECT signed_up FROM activities WHERE id = $1", id); c != 1 {
		t.Fatalf("signed_up = %d after re-sign-up", c)
	}
	list := h.must(200, "GET", "/v1/activities/"+id+"/signups", h.streetAdmin("qishan"), nil)
	if n := len(list.Body["items"].([]any)); n != 1 {
		t.Fatalf("%d signups listed", n)
	}
	h.must(404, "GET", "/v1/activities/"+id+"/signups", h.streetAdmin("zhifu"), nil)
	h.must(403, "GET", "/v1/activities/"+id+"/signups", w, nil)

	if ev := h.events(event.SignupCreated.Type()); len(ev) != 2 {
		t.Fatalf("%d signup.created events", len(ev))
	}
	if ev := h.events(event.SignupWithdrawn.Type()); len(ev) != 1 {
		t.Fatalf("%d signup.withdrawn events", len(ev))
	}

	h.must(200, "POST", "/v1/activities/"+id+"/cancel", h.streetAdmin("qishan"), map[string]any{"reason": "台风"})
	r := h.must(409, "POST", "/v1/activities/"+id+"/signups", h.worker(h.knownWorker("qishan", "tashan")), nil)
	if r.str("detail") != "the activity is cancelled" {
		t.Fatalf("cancelled: %s", r.Raw)
	}
}
