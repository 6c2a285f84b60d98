package notification_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/notification"
)

// workersDirect puts n active workers of a street and community straight
// into the projection (as registry events would), for fan-out at scale.
func (h *harness) workersDirect(n int, street, community, occupation string) {
	h.t.Helper()
	if _, err := h.Pool.Exec(h.ctx, `INSERT INTO workers (id, street, community, occupation, political_status, status, event_time)
		SELECT gen_random_uuid(), $2, $3, $4, 'masses', 'active', now() FROM generate_series(1, $1)`,
		n, street, community, occupation); err != nil {
		h.t.Fatal(err)
	}
}

var warmList = map[string]any{"template": "warm_service_list",
	"variables": map[string]string{"month": "12月", "items": "免费理发（每周三）、冬季义诊、头盔以旧换新"}}

func TestBroadcast_toASegmentReachesEachPersonOnce(t *testing.T) {
	h := newHarness(t)
	h.Publish(event.CommunityCreated, "qishan", "tashan", event.CommunityData{Code: "tashan", Name: "塔山社区", Street: "qishan"})
	h.workersDirect(30, "qishan", "tashan", "food_delivery")
	h.workersDirect(20, "qishan", "tashan", "courier")
	h.workersDirect(10, "qishan", "changsheng", "food_delivery")
	h.workersDirect(10, "zhifu", "baishi", "food_delivery")
	h.Settled()
	body := testenv.With(warmList, map[string]any{"segment": map[string]string{"community": "tashan", "occupation": "food_delivery"}})
	b := h.Must(201, "POST", "/v1/broadcasts", h.StreetAdmin("qishan"), body)
	id := b.Str("id")
	testenv.Eventually(t, 15*time.Second, func() bool {
		return h.Must(200, "GET", "/v1/broadcasts/"+id, h.StreetAdmin("qishan"), nil).Str("status") == "done"
	})
	r := h.Must(200, "GET", "/v1/broadcasts/"+id, h.StreetAdmin("qishan"), nil)
	if r.Num("total") != 30 || r.Num("sent") != 30 {
		t.Fatalf("progress: %s", r.Raw)
	}
	if n := h.count("SELECT count(DISTINCT recipient) FROM notifications WHERE broadcast_id = $1", id); n != 30 {
		t.Fatalf("%d recipients", n)
	}
	h.Must(404, "GET", "/v1/broadcasts/"+id, h.StreetAdmin("zhifu"), nil)
	h.Must(403, "GET", "/v1/broadcasts/"+id, h.Staff("qishan", "tashan"), nil)
	if items := h.Must(200, "GET", "/v1/broadcasts", h.StreetAdmin("qishan"), nil).Items(); len(items) != 1 {
		t.Fatalf("list: %v", items)
	}
}

// Broadcasts an older version queued may meet a template since retired, or
// one that now wants another variable: each ends failed, saying why, and
// the broadcasts behind them still go out.
func TestBroadcast_thatCannotRenderEndsFailedAndTheNextStillGoesOut(t *testing.T) {
	h := newHarness(t)
	h.workersDirect(5, "qishan", "tashan", "food_delivery")
	h.Settled()
	queue := func(template, vars string) string {
		id := uuid.NewString()
		if _, err := h.Pool.Exec(h.ctx, `INSERT INTO broadcasts (id, street, segment, template, variables, cause, status,
				created_by, created_at) VALUES ($1, 'qishan', '{"street": "qishan"}', $2, $3, $4, 'pending', 'old-admin', now())`,
			id, template, vars, "broadcast:"+id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	retired := queue("winter_greeting", `{"year": "2026"}`)
	short := queue("warm_service_list", `{"month": "12月"}`) // no items
	good := h.Must(201, "POST", "/v1/broadcasts", h.StreetAdmin("qishan"), warmList).Str("id")
	status := func(id string) testenv.Response {
		return h.Must(200, "GET", "/v1/broadcasts/"+id, h.StreetAdmin("qishan"), nil)
	}
	testenv.Eventually(t, 15*time.Second, func() bool { return status(good).Str("status") == "done" })
	for id, why := range map[string]string{retired: "winter_greeting", short: "items"} {
		r := status(id)
		if r.Str("status") != "failed" || !strings.Contains(r.Str("error"), why) || r.Str("finished_at") == "" || r.Num("sent") != 0 {
			t.Errorf("broadcast %s: %s", id, r.Raw)
		}
	}
	if n := h.count("SELECT count(*) FROM notifications"); n != 5 {
		t.Fatalf("%d messages, want the good broadcast's 5", n)
	}
	testenv.Eventually(t, 10*time.Second, func() bool {
		return strings.Contains(string(h.Must(200, "GET", "/metrics", "", nil).Raw), "nuanxin_notification_broadcasts_failed_total 2")
	})
}

func TestBroadcast_badInputAnswersClearlyAndQueuesNothing(t *testing.T) {
	h := newHarness(t)
	h.Publish(event.CommunityCreated, "qishan", "tashan", event.CommunityData{Code: "tashan", Name: "塔山社区", Street: "qishan"})
	h.worker("qishan", "tashan")
	h.Settled()
	admin := h.StreetAdmin("qishan")
	cases := []struct {
		name   string
		token  string
		body   map[string]any
		status int
		field  string
	}{
		{"unknown community", admin, testenv.With(warmList, map[string]any{"segment": map[string]string{"community": "atlantis"}}), 422, "segment.community"},
		{"unknown occupation", admin, testenv.With(warmList, map[string]any{"segment": map[string]string{"occupation": "astronaut"}}), 422, "segment.occupation"},
		{"unknown segment key", admin, testenv.With(warmList, map[string]any{"segment": map[string]string{"age": "30"}}), 400, "segment.age"},
		{"a segment of no one", admin, testenv.With(warmList, map[string]any{"segment": map[string]string{"political_status": "party_member"}}), 422, "segment"},
		{"empty variable", admin, testenv.With(warmList, map[string]any{"variables": map[string]string{"month": "12月", "items": " "}}), 422, "variables.items"},
		{"missing variable", admin, testenv.With(warmList, map[string]any{"variables": map[string]string{"month": "12月"}}), 422, "variables.items"},
		{"unknown variable", admin, testenv.With(warmList, map[string]any{"variables": map[string]string{"month": "12月", "items": "x", "price": "1"}}), 422, "variables.price"},
		{"a template not for broadcasts", admin, testenv.With(warmList, map[string]any{"template": "points.earned"}), 422, "template"},
		{"another street", admin, testenv.With(warmList, map[string]any{"segment": map[string]string{"street": "zhifu"}}), 422, "segment.street"},
		{"district without street", h.District(), warmList, 422, "segment.street"},
		{"community staff", h.Staff("qishan", "tashan"), warmList, 403, ""},
		{"worker", h.Worker(uuid.NewString()), warmList, 403, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("POST", "/v1/broadcasts", tc.token, tc.body)
			if r.Status != tc.status || r.Field() != tc.field || r.Str("detail") == "" {
				t.Fatalf("status %d field %q, want %d %q: %s", r.Status, r.Field(), tc.status, tc.field, r.Raw)
			}
		})
	}
	if n := h.count("SELECT count(*) FROM broadcasts"); n != 0 {
		t.Fatalf("%d broadcasts queued", n)
	}
}

func TestPreferences_badInputAnswersClearlyAndChangesNothing(t *testing.T) {
	h := newHarness(t)
	w := h.Worker(uuid.NewString())
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"ftp webhook", map[string]any{"webhook_url": "ftp://example.org/x"}, "webhook_url"},
		{"not a URL", map[string]any{"webhook_url": "我的服务器"}, "webhook_url"},
		{"unknown channel", map[string]any{"channels": map[string]any{"activity": map[string]bool{"fax": true}}}, "channels.activity.fax"},
		{"unknown category", map[string]any{"channels": map[string]any{"gossip": map[string]bool{"sms": true}}}, "channels.gossip"},
		{"inbox off", map[string]any{"channels": map[string]any{"points": map[string]bool{"inbox": false}}}, "channels.points.inbox"},
		{"webhook without URL", map[string]any{"channels": map[string]any{"points": map[string]bool{"webhook": true}}}, "channels.points.webhook"},
		{"bad quiet hours", map[string]any{"quiet_hours": map[string]string{"start": "10pm", "end": "07:00"}}, "quiet_hours.start"},
		{"unknown language", map[string]any{"lang": "fr"}, "lang"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("PUT", "/v1/preferences", w, tc.body)
			if r.Status != 422 || r.Field() != tc.field {
				t.Fatalf("status %d field %q, want 422 %q: %s", r.Status, r.Field(), tc.field, r.Raw)
			}
		})
	}
	if n := h.count("SELECT count(*) FROM preferences"); n != 0 {
		t.Fatalf("%d preferences stored", n)
	}
	if r := h.Must(200, "GET", "/v1/preferences", w, nil); r.Body["quiet_hours"].(map[string]any)["start"] != "22:00" || r.Str("lang") != "zh-CN" {
		t.Fatalf("defaults: %s", r.Raw)
	}
}

func TestReminders_activityTomorrowToThoseSignedUpAndCancellations(t *testing.T) {
	h := newHarness(t)
	signed, withdrew, other := h.worker("qishan", "tashan"), h.worker("qishan", "tashan"), h.worker("qishan", "tashan")
	// The workers are on the registry stream, the activity on another: no
	// order holds between them, and a notice fanned out first finds no one.
	h.Settled()
	act := uuid.NewString()
	start := time.Now().Add(20 * time.Hour)
	h.Publish(event.ActivityPublished, "qishan", act, event.ActivityData{ActivityID: act, Title: "理发进驿站",
		Address: "塔山暖新驿站", Street: "qishan", Community: "tashan", StartsAt: start, EndsAt: start.Add(2 * time.Hour)})
	for _, w := range []string{signed, withdrew} {
		h.Publish(event.SignupCreated, "qishan", act, event.SignupData{ActivityID: act, WorkerID: w, Street: "qishan"})
	}
	h.Publish(event.SignupWithdrawn, "qishan", act, event.SignupData{ActivityID: act, WorkerID: withdrew, Street: "qishan"})
	task := uuid.NewString()
	h.Publish(event.TaskCreated, "qishan", task, event.TaskData{TaskID: task, ProjectID: uuid.NewString(), Street: "qishan",
		Unit: "铁塔能源", PersonSubject: "unit-wang", Deadline: time.Now().Add(10 * time.Hour), Status: "open"})
	h.Settled()
	testenv.Eventually(t, 10*time.Second, func() bool { return len(h.inbox(other)) == 1 }) // the published notice
	reminders := notification.Reminders{Service: h.svc, Log: h.log}
	for range 2 { // run twice: a reminder is sent once
		if err := reminders.Once(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	templates := func(w string) map[string]int {
		out := map[string]int{}
		for _, it := range h.inbox(w) {
			out[it["template"].(string)]++
		}
		return out
	}
	testenv.Eventually(t, 10*time.Second, func() bool { return templates(signed)["activity.tomorrow"] == 1 })
	if got := templates(withdrew); got["activity.tomorrow"] != 0 {
		t.Fatalf("a withdrawn worker was reminded: %v", got)
	}
	if got := templates(other); got["activity.tomorrow"] != 0 || got["activity.published"] != 1 {
		t.Fatalf("a worker not signed up: %v", got)
	}
	owner := h.Token(authStaff("unit-wang"))
	if items := h.Must(200, "GET", "/v1/inbox", owner, nil).Items(); len(items) != 1 || items[0].(map[string]any)["template"] != "task.deadline" {
		t.Fatalf("task owner's messages: %v", items)
	}
	// The activity is cancelled: those signed up hear of it.
	h.Publish(event.ActivityCancelled, "qishan", act, event.ActivityData{ActivityID: act, Title: "理发进驿站",
		Street: "qishan", Community: "tashan", StartsAt: start, EndsAt: start.Add(2 * time.Hour)})
	h.Settled()
	testenv.Eventually(t, 10*time.Second, func() bool { return templates(signed)["activity.cancelled"] == 1 })
	if got := templates(other); got["activity.cancelled"] != 0 {
		t.Fatalf("a worker not signed up heard of the cancellation: %v", got)
	}
}

// The scale: a broadcast to 100,000 workers ends with exactly one
// inbox message each, while two instances of the job share the work and
// the heap stays small (the fan-out runs in SQL, a batch at a time).
func TestBroadcast_to100000WorkersGivesExactlyOneMessageEachWithBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 workers")
	}
	h := newHarness(t)
	h.Publish(event.CommunityCreated, "qishan", "tashan", event.CommunityData{Code: "tashan", Name: "塔山社区", Street: "qishan"})
	h.workersDirect(100000, "qishan", "tashan", "food_delivery")
	h.Settled()
	// A second instance of the fan-out job, as with two replicas.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go notification.BroadcastJob{Service: h.svc, Log: h.log, Idle: 20 * time.Millisecond}.Run(ctx)

	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	id := h.Must(201, "POST", "/v1/broadcasts", h.StreetAdmin("qishan"), warmList).Str("id")
	testenv.Eventually(t, 5*time.Minute, func() bool {
		return h.count("SELECT count(*) FROM broadcasts WHERE id = $1 AND status = 'done'", id) == 1
	})
	close(stop)
	wg.Wait()
	if n := h.count("SELECT count(*) FROM notifications WHERE broadcast_id = $1", id); n != 100000 {
		t.Fatalf("%d messages", n)
	}
	if n := h.count("SELECT count(*) FROM (SELECT recipient FROM notifications WHERE broadcast_id = $1 GROUP BY recipient HAVING count(*) > 1) d", id); n != 0 {
		t.Fatalf("%d people reached twice", n)
	}
	if n := h.count("SELECT sent FROM broadcasts WHERE id = $1", id); n != 100000 {
		t.Fatalf("sent %d", n)
	}
	// The whole test process — server, both jobs, client — under 200 MB of
	// heap while 100,000 messages went out (the data itself is ~30 MB).
	if p := peak.Load(); p > 200<<20 {
		t.Fatalf("peak heap %d MB", p>>20)
	}
	t.Logf("peak heap %d MB", peak.Load()>>20)
}
