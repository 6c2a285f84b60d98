package activity_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func future(d time.Duration) string { return time.Now().Add(d).Format(time.RFC3339) }

// activityBody is a good activity changed by extra (testenv.With).
func activityBody(extra map[string]any) map[string]any {
	return testenv.With(map[string]any{"title": "外卖骑手安全培训", "kind": "safety_training", "description": "交通安全",
		"address": "奇山街道党群服务中心", "starts_at": future(48 * time.Hour), "ends_at": future(50 * time.Hour)}, extra)
}

// published creates and publishes an activity as the street admin of qishan.
func (h *harness) published(extra map[string]any) string {
	h.t.Helper()
	id := h.Must(201, "POST", "/v1/activities", h.StreetAdmin("qishan"), activityBody(extra)).Str("id")
	h.Must(200, "POST", "/v1/activities/"+id+"/publish", h.StreetAdmin("qishan"), nil)
	return id
}

func TestActivities_createPublishCancelByRoleAndScope(t *testing.T) {
	h := newHarness(t)
	wid := h.knownWorker("qishan", "tashan")

	h.Must(403, "POST", "/v1/activities", h.Worker(wid), activityBody(nil))
	r := h.Must(201, "POST", "/v1/activities", h.Staff("qishan", "tashan"), activityBody(map[string]any{"capacity": 30}))
	if r.Str("status") != "draft" || r.Str("street") != "qishan" || r.Str("community") != "tashan" {
		t.Fatalf("created: %s", r.Raw)
	}
	id := r.Str("id")
	// Outside the scope the activity does not exist.
	h.Must(404, "GET", "/v1/activities/"+id, h.StreetAdmin("zhifu"), nil)
	h.Must(404, "GET", "/v1/activities/"+id, h.Staff("qishan", "changsheng"), nil)
	h.Must(404, "POST", "/v1/activities/"+id+"/publish", h.StreetAdmin("zhifu"), nil)
	h.Must(403, "POST", "/v1/activities/"+id+"/publish", h.Worker(wid), nil)
	// A draft is invisible to workers.
	h.Must(404, "GET", "/v1/activities/"+id, h.Worker(wid), nil)

	h.Must(200, "POST", "/v1/activities/"+id+"/publish", h.StreetAdmin("qishan"), nil)
	h.Conflict("activity_not_draft", "POST", "/v1/activities/"+id+"/publish", h.StreetAdmin("qishan"), nil)
	h.Must(200, "GET", "/v1/activities/"+id, h.Worker(wid), nil)
	other := h.knownWorker("qishan", "changsheng")
	h.Must(404, "GET", "/v1/activities/"+id, h.Worker(other), nil)

	// District admin names the street; a street-wide activity reaches every community.
	wide := h.Must(201, "POST", "/v1/activities", h.District(), activityBody(map[string]any{"street": "qishan"})).Str("id")
	h.Must(200, "POST", "/v1/activities/"+wide+"/publish", h.District(), nil)
	list := h.Must(200, "GET", "/v1/activities", h.Worker(other), nil)
	if items := list.Body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != wide {
		t.Fatalf("worker of changsheng sees %s", list.Raw)
	}
	list = h.Must(200, "GET", "/v1/activities", h.Worker(wid), nil)
	if n := len(list.Body["items"].([]any)); n != 2 {
		t.Fatalf("worker of tashan sees %d activities: %s", n, list.Raw)
	}
	// Staff lists are scoped and paged.
	if n := len(h.Must(200, "GET", "/v1/activities", h.StreetAdmin("zhifu"), nil).Body["items"].([]any)); n != 0 {
		t.Fatalf("another street sees %d", n)
	}
	p1 := h.Must(200, "GET", "/v1/activities?limit=1", h.StreetAdmin("qishan"), nil)
	if len(p1.Body["items"].([]any)) != 1 || p1.Str("next") == "" {
		t.Fatalf("page 1: %s", p1.Raw)
	}
	p2 := h.Must(200, "GET", "/v1/activities?limit=1&after="+p1.Str("next"), h.StreetAdmin("qishan"), nil)
	if len(p2.Body["items"].([]any)) != 1 || p2.Str("next") != "" {
		t.Fatalf("page 2: %s", p2.Raw)
	}

	h.Must(422, "POST", "/v1/activities/"+id+"/cancel", h.StreetAdmin("qishan"), map[string]any{"reason": ""})
	c := h.Must(200, "POST", "/v1/activities/"+id+"/cancel", h.StreetAdmin("qishan"), map[string]any{"reason": "暴雨"})
	if c.Str("status") != "cancelled" || c.Str("cancel_reason") != "暴雨" {
		t.Fatalf("cancelled: %s", c.Raw)
	}
	h.Conflict("activity_cancelled", "POST", "/v1/activities/"+id+"/cancel", h.StreetAdmin("qishan"), map[string]any{"reason": "again"})
	h.Conflict("activity_not_draft", "POST", "/v1/activities/"+id+"/publish", h.StreetAdmin("qishan"), nil)

	if pub := h.Events(event.ActivityPublished); len(pub) != 2 {
		t.Fatalf("%d published events", len(pub))
	}
	canc := h.Events(event.ActivityCancelled)
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
			tok := h.StreetAdmin("qishan")
			switch tc.token {
			case "staff":
				tok = h.Staff("qishan", "tashan")
			case "district":
				tok = h.District()
			}
			r := h.Do("POST", "/v1/activities", tok, activityBody(tc.body))
			if r.Status != 422 || r.Field() != tc.field {
				t.Fatalf("status %d field %q, want 422 %q: %s", r.Status, r.Field(), tc.field, r.Raw)
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
		tokens[i] = h.Worker(h.knownWorker("qishan", []string{"tashan", "changsheng"}[i%2]))
	}
	statuses := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest("POST", h.URL+"/v1/activities/"+id+"/signups", nil)
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
	if ev := h.Events(event.SignupCreated); len(ev) != 50 {
		t.Fatalf("%d signup.created events", len(ev))
	}
	h.Conflict("activity_full", "POST", "/v1/activities/"+id+"/signups", h.Worker(h.knownWorker("qishan", "tashan")), nil)
}

func TestSignups_lifecycle(t *testing.T) {
	h := newHarness(t)
	id := h.published(map[string]any{"capacity": 2})
	wid := h.knownWorker("qishan", "tashan")
	w := h.Worker(wid)

	h.Must(403, "POST", "/v1/activities/"+id+"/signups", h.StreetAdmin("qishan"), nil)
	h.Must(404, "POST", "/v1/activities/"+id+"/signups", h.Worker("0190d5e5-0000-7000-8000-000000000000"), nil)
	h.Must(404, "POST", "/v1/activities/"+id+"/signups", h.Worker(h.knownWorker("zhifu", "x")), nil)
	h.Conflict("not_signed_up", "POST", "/v1/activities/"+id+"/signups/withdraw", w, nil)

	h.Must(201, "POST", "/v1/activities/"+id+"/signups", w, nil)
	again := h.Must(200, "POST", "/v1/activities/"+id+"/signups", w, nil)
	if again.Str("status") != "signed_up" || again.Str("worker_id") != wid {
		t.Fatalf("again: %s", again.Raw)
	}
	h.Must(200, "POST", "/v1/activities/"+id+"/signups/withdraw", w, nil)
	h.Conflict("not_signed_up", "POST", "/v1/activities/"+id+"/signups/withdraw", w, nil)
	if c := h.count("SELECT signed_up FROM activities WHERE id = $1", id); c != 0 {
		t.Fatalf("signed_up = %d after withdrawal", c)
	}
	h.Must(201, "POST", "/v1/activities/"+id+"/signups", w, nil)
	if c := h.count("SELECT signed_up FROM activities WHERE id = $1", id); c != 1 {
		t.Fatalf("signed_up = %d after re-sign-up", c)
	}
	list := h.Must(200, "GET", "/v1/activities/"+id+"/signups", h.StreetAdmin("qishan"), nil)
	if n := len(list.Body["items"].([]any)); n != 1 {
		t.Fatalf("%d signups listed", n)
	}
	h.Must(404, "GET", "/v1/activities/"+id+"/signups", h.StreetAdmin("zhifu"), nil)
	h.Must(403, "GET", "/v1/activities/"+id+"/signups", w, nil)

	if ev := h.Events(event.SignupCreated); len(ev) != 2 {
		t.Fatalf("%d signup.created events", len(ev))
	}
	if ev := h.Events(event.SignupWithdrawn); len(ev) != 1 {
		t.Fatalf("%d signup.withdrawn events", len(ev))
	}

	h.Must(200, "POST", "/v1/activities/"+id+"/cancel", h.StreetAdmin("qishan"), map[string]any{"reason": "台风"})
	r := h.Conflict("activity_cancelled", "POST", "/v1/activities/"+id+"/signups", h.Worker(h.knownWorker("qishan", "tashan")), nil)
	if r.Str("detail") != "the activity is cancelled" {
		t.Fatalf("cancelled: %s", r.Raw)
	}
}
