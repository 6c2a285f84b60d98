package notification_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
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

func TestEvents_anEventDeliveredThreeTimesMakesOneMessage(t *testing.T) {
	h := newHarness(t)
	w := h.worker("qishan", "tashan")
	valid := true
	e := h.Publish(event.ReportStatusChanged, "qishan", uuid.NewString(), event.ReportStatusChangedData{
		ReportID: uuid.NewString(), Street: "qishan", Category: "safety_hazard", From: "resolved", To: "closed",
		Valid: &valid, WorkerID: w})
	h.Republish(event.ReportStatusChanged, e)
	h.Republish(event.ReportStatusChanged, e)
	h.Settled()
	items := h.inbox(w)
	if len(items) != 1 {
		t.Fatalf("%d messages for one event delivered three times", len(items))
	}
	if body := items[0]["body"].(string); !strings.Contains(body, "安全隐患") || !strings.Contains(body, "有效") {
		t.Fatalf("message: %v", items[0])
	}
	// Reading it: once read, the unread count drops; another worker cannot read it.
	id := items[0]["id"].(string)
	other := h.worker("qishan", "tashan")
	h.Settled()
	h.Must(404, "POST", "/v1/inbox/"+id+"/read", h.Worker(other), nil)
	r := h.Must(200, "POST", "/v1/inbox/"+id+"/read", h.Worker(w), nil)
	if r.Str("read_at") == "" {
		t.Fatalf("read: %s", r.Raw)
	}
	if r := h.Must(200, "GET", "/v1/inbox?unread=true", h.Worker(w), nil); len(r.Items()) != 0 || r.Num("unread") != 0 {
		t.Fatalf("unread after reading: %s", r.Raw)
	}
}

func TestEvents_eachTemplateReachesItsRecipient(t *testing.T) {
	h := newHarness(t)
	h.Publish(event.CommunityCreated, "qishan", "tashan", event.CommunityData{Code: "tashan", Name: "塔山社区", Street: "qishan"})
	station := uuid.NewString()
	h.Publish(event.StationOpened, "qishan", station, event.StationData{StationID: station, Name: "塔山暖新驿站",
		Street: "qishan", Community: "tashan", Lat: 37.54, Lng: 121.39})
	h.Publish(event.StationOpened, "qishan", uuid.NewString(), event.StationData{StationID: uuid.NewString(), Name: "奇山骑手之家",
		Street: "qishan", Community: "changsheng", Lat: 37.55, Lng: 121.40})
	w := h.worker("qishan", "tashan")
	h.Settled()
	h.Publish(event.WorkerCheckedIn, "qishan", w, event.CheckInData{WorkerID: w, Street: "qishan", Community: "tashan",
		Channel: "station", StationID: station, CheckedInAt: time.Now()})
	h.Publish(event.PointsEarned, "qishan", w, event.PointsData{WorkerID: w, Street: "qishan", Kind: "earn", Points: 25, Balance: 125})
	h.Publish(event.PointsEarned, "qishan", w, event.PointsData{WorkerID: w, Street: "qishan", Kind: "earn", Points: 0, Balance: 125, Capped: true})
	h.Publish(event.StarChanged, "qishan", w, event.StarChangedData{WorkerID: w, Street: "qishan", From: 0, To: 1, Hours: 100.5})
	lastMonth := time.Now().In(notification.Shanghai).AddDate(0, 0, -time.Now().In(notification.Shanghai).Day())
	h.Publish(event.PairingOverdue, "qishan", uuid.NewString(), event.PairingOverdueData{PairingID: uuid.NewString(),
		WorkerID: w, StaffSubject: "staff-li", Street: "qishan", Community: "tashan", Month: lastMonth.Format("2006-01")})
	// A month flagged late, by a registry catching up, is not worth a reminder.
	h.Publish(event.PairingOverdue, "qishan", uuid.NewString(), event.PairingOverdueData{PairingID: uuid.NewString(),
		WorkerID: w, StaffSubject: "staff-li", Street: "qishan", Community: "tashan", Month: lastMonth.AddDate(0, -3, 0).Format("2006-01")})
	h.Settled()
	got := map[string]string{}
	for _, it := range h.inbox(w) {
		got[it["template"].(string)] = it["body"].(string)
	}
	if len(got) != 3 || !strings.Contains(got["welcome"], "塔山社区") || !strings.Contains(got["welcome"], "塔山暖新驿站、奇山骑手之家") ||
		!strings.Contains(got["points.earned"], "25") || !strings.Contains(got["star.reached"], "100.5") {
		t.Fatalf("worker's messages: %v", got)
	}
	staff := h.Token(authStaff("staff-li"))
	if items := h.Must(200, "GET", "/v1/inbox", staff, nil).Items(); len(items) != 1 ||
		items[0].(map[string]any)["template"] != "pairing.overdue" {
		t.Fatalf("staff's messages: %v", items)
	}
}

func TestEvents_aMessageIsInItsRecipientsLanguage(t *testing.T) {
	h := newHarness(t)
	english, chinese := h.worker("qishan", "tashan"), h.worker("qishan", "tashan")
	h.Settled()
	h.Must(200, "PUT", "/v1/preferences", h.Worker(english), map[string]any{"lang": "en", "channels": map[string]any{},
		"quiet_hours": map[string]string{"start": "22:00", "end": "07:00"}})
	for _, w := range []string{english, chinese} {
		h.Publish(event.PointsEarned, "qishan", w, event.PointsData{EntryID: uuid.NewString(), WorkerID: w, Street: "qishan",
			Kind: "earn", Points: 25, Balance: 125})
	}
	h.Settled()
	if items := h.inbox(english); len(items) != 1 || items[0]["title"] != "25 points earned" {
		t.Errorf("the English reader's messages: %v", items)
	}
	if items := h.inbox(chinese); len(items) != 1 || items[0]["title"] != "积分到账 25" {
		t.Errorf("the Chinese reader's messages: %v", items)
	}
}

func TestWebhook_failingThreeTimesThenAcceptedIsDeliveredOnce(t *testing.T) {
	h := newHarness(t)
	w := h.worker("qishan", "tashan")
	var calls atomic.Int32
	var mu sync.Mutex
	var bodies [][]byte
	var sigOK atomic.Bool
	var secret atomic.Value
	secret.Store("")
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
		sigOK.Store(r.Header.Get("X-Nuanxin-Signature") == notification.Sign(secret.Load().(string), r.Header.Get("X-Nuanxin-Timestamp"), b))
		if calls.Add(1) <= 3 {
			http.Error(rw, "busy", http.StatusServiceUnavailable)
			return
		}
		rw.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	prefs := h.Must(200, "PUT", "/v1/preferences", h.Worker(w), map[string]any{"webhook_url": hook.URL,
		"channels": map[string]any{"report": map[string]bool{"webhook": true, "inbox": true}}, "quiet_hours": map[string]string{"start": "00:00", "end": "00:00"}})
	secret.Store(prefs.Str("webhook_secret"))
	if !strings.HasPrefix(prefs.Str("webhook_secret"), "whsec_") {
		t.Fatalf("preferences: %s", prefs.Raw)
	}
	if again := h.Must(200, "GET", "/v1/preferences", h.Worker(w), nil); again.Str("webhook_secret") != "" || again.Body["webhook_secret_set"] != true {
		t.Fatalf("the secret is shown once: %s", again.Raw)
	}
	h.Settled()
	h.Publish(event.ReportSubmitted, "qishan", uuid.NewString(), event.ReportSubmittedData{ReportID: uuid.NewString(),
		Street: "qishan", Category: "fire_risk", DueAt: time.Now().Add(4 * time.Hour), WorkerID: w})
	h.Settled()
	testenv.Eventually(t, 15*time.Second, func() bool {
		return h.count("SELECT count(*) FROM deliveries WHERE status = 'delivered'") == 1
	})
	if n := calls.Load(); n != 4 {
		t.Fatalf("the webhook was called %d times, want 3 failures and 1 success", n)
	}
	if !sigOK.Load() {
		t.Fatal("the signature does not match the secret")
	}
	var attempts int
	var lastErr string
	_ = h.Pool.QueryRow(h.ctx, "SELECT attempts, last_error FROM deliveries").Scan(&attempts, &lastErr)
	if attempts != 4 || lastErr != "" {
		t.Fatalf("attempts %d, last error %q", attempts, lastErr)
	}
	var msg map[string]any
	_ = json.Unmarshal(bodies[3], &msg)
	if msg["category"] != "report" || !strings.Contains(msg["body"].(string), "消防隐患") {
		t.Fatalf("webhook body: %s", bodies[3])
	}
	ev := h.Events(event.NotificationDelivered)
	var d event.DeliveryData
	if len(ev) != 1 || json.Unmarshal(ev[0].Data, &d) != nil || d.Channel != "webhook" || d.Attempts != 4 {
		t.Fatalf("delivered events: %d %+v", len(ev), d)
	}
	time.Sleep(200 * time.Millisecond)
	if n := calls.Load(); n != 4 {
		t.Fatalf("the webhook was called again after success: %d", n)
	}
	// The recipient sees the delivery on the message; the street admin in the log.
	detail := h.Must(200, "GET", "/v1/inbox/"+d.NotificationID, h.Worker(w), nil)
	if ds := detail.Body["deliveries"].([]any); len(ds) != 1 || ds[0].(map[string]any)["status"] != "delivered" {
		t.Fatalf("message: %s", detail.Raw)
	}
	if items := h.Must(200, "GET", "/v1/deliveries?status=delivered", h.StreetAdmin("qishan"), nil).Items(); len(items) != 1 {
		t.Fatalf("log: %v", items)
	}
	if items := h.Must(200, "GET", "/v1/deliveries", h.StreetAdmin("zhifu"), nil).Items(); len(items) != 0 {
		t.Fatalf("another street's log: %v", items)
	}
	h.Must(403, "GET", "/v1/deliveries", h.Worker(w), nil)
	h.Must(404, "GET", "/v1/inbox/"+d.NotificationID, h.Worker(uuid.NewString()), nil)
}

func TestWebhook_failingEveryTimeEndsFailed(t *testing.T) {
	h := newHarness(t)
	w := h.worker("qishan", "tashan")
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(rw, "gone", http.StatusInternalServerError)
	}))
	defer hook.Close()
	h.Must(200, "PUT", "/v1/preferences", h.Worker(w), map[string]any{"webhook_url": hook.URL,
		"channels": map[string]any{"points": map[string]bool{"webhook": true}}, "quiet_hours": map[string]string{"start": "00:00", "end": "00:00"}})
	h.Settled()
	h.Publish(event.PointsRedeemed, "qishan", w, event.PointsData{WorkerID: w, Street: "qishan", Kind: "redeem", Points: -30, Balance: 70})
	testenv.Eventually(t, 15*time.Second, func() bool { return h.count("SELECT count(*) FROM deliveries WHERE status = 'failed'") == 1 })
	if n := calls.Load(); n != 5 {
		t.Fatalf("%d calls, want 5 attempts", n)
	}
	// The dispatcher counts an outcome just after recording it: wait for the count.
	for _, line := range []string{`nuanxin_notification_pushes_total{channel="webhook",outcome="retry"} 4`,
		`nuanxin_notification_pushes_total{channel="webhook",outcome="failed"} 1`, "nuanxin_notification_deliveries_due 0"} {
		testenv.Eventually(t, 10*time.Second, func() bool {
			return strings.Contains(string(h.Must(200, "GET", "/metrics", "", nil).Raw), line)
		})
	}
	ev := h.Events(event.NotificationFailed)
	var d event.DeliveryData
	if len(ev) != 1 || json.Unmarshal(ev[0].Data, &d) != nil || !strings.Contains(d.Error, "500") {
		t.Fatalf("failed events: %d %+v", len(ev), d)
	}
	// The inbox has the message all the same.
	if items := h.inbox(w); len(items) != 1 {
		t.Fatalf("inbox: %v", items)
	}
}

func TestQuietHours_deferPushesToTheMorningAndReleaseThem(t *testing.T) {
	h := newHarness(t)
	w := h.worker("qishan", "tashan")
	h.Must(200, "PUT", "/v1/preferences", h.Worker(w), map[string]any{
		"channels": map[string]any{"activity": map[string]bool{"sms": true}, "notice": map[string]bool{"sms": true}}})
	h.Settled()
	night := nextYear(11, 23, 23, 30, 0, 0)
	h.clock.Set(night)
	act := uuid.NewString()
	h.Publish(event.ActivityPublished, "qishan", act, event.ActivityData{ActivityID: act, Title: "冬季安全骑行培训",
		Street: "qishan", StartsAt: night.Add(48 * time.Hour), EndsAt: night.Add(50 * time.Hour)})
	h.Settled()
	testenv.Eventually(t, 10*time.Second, func() bool { return len(h.inbox(w)) == 1 })
	// The inbox has it now; the SMS waits for 07:00.
	var at time.Time
	if err := h.Pool.QueryRow(h.ctx, "SELECT next_attempt_at FROM deliveries WHERE channel = 'sms'").Scan(&at); err != nil {
		t.Fatal(err)
	}
	if want := nextYear(11, 24, 7, 0, 0, 0); !at.Equal(want) {
		t.Fatalf("the SMS waits until %s, want %s", at.In(notification.Shanghai), want)
	}
	time.Sleep(200 * time.Millisecond)
	if n := h.sms.count(); n != 0 {
		t.Fatalf("%d SMS sent in quiet hours", n)
	}
	// An urgent broadcast goes at once even at night.
	h.Must(201, "POST", "/v1/broadcasts", h.StreetAdmin("qishan"), map[string]any{"template": "policy_notice", "urgent": true,
		"variables": map[string]string{"title": "寒潮预警", "content": "今夜有寒潮，请注意防寒保暖，合理安排配送。"}})
	testenv.Eventually(t, 10*time.Second, func() bool { return h.sms.count() == 1 })
	// Morning: the deferred one is released.
	h.clock.Set(nextYear(11, 24, 7, 0, 1, 0))
	testenv.Eventually(t, 10*time.Second, func() bool { return h.sms.count() == 2 })
}

func TestQuietHours_deliverAt(t *testing.T) {
	at := func(d, hh, mm int) time.Time { return time.Date(2026, 11, d, hh, mm, 0, 0, notification.Shanghai) }
	cases := []struct {
		name   string
		q      notification.QuietHours
		now    time.Time
		urgent bool
		want   time.Time
	}{
		{"evening inside", notification.DefaultQuietHours, at(23, 22, 0), false, at(24, 7, 0)},
		{"after midnight inside", notification.DefaultQuietHours, at(24, 3, 15), false, at(24, 7, 0)},
		{"at the end", notification.DefaultQuietHours, at(24, 7, 0), false, at(24, 7, 0)},
		{"day", notification.DefaultQuietHours, at(24, 12, 0), false, at(24, 12, 0)},
		{"urgent at night", notification.DefaultQuietHours, at(23, 23, 0), true, at(23, 23, 0)},
		{"a nap window", notification.QuietHours{Start: "13:00", End: "14:30"}, at(24, 13, 10), false, at(24, 14, 30)},
		{"none", notification.QuietHours{Start: "00:00", End: "00:00"}, at(24, 2, 0), false, at(24, 2, 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.q.DeliverAt(tc.now, tc.urgent); !got.Equal(tc.want) {
				t.Fatalf("got %s, want %s", got.In(notification.Shanghai), tc.want)
			}
		})
	}
}

func TestTemplates_renderInBothLanguagesAndRefuseEmptyVariables(t *testing.T) {
	for _, tpl := range notification.Templates() {
		vars := map[string]string{}
		for _, v := range tpl.Vars {
			vars[v] = "值" + v
		}
		for _, lang := range []string{"zh-CN", "en"} {
			m, err := tpl.Render(lang, vars)
			if err != nil || m.Title == "" || m.Body == "" || strings.Contains(m.Body, "<no value>") {
				t.Errorf("%s in %s: %+v %v", tpl.Key, lang, m, err)
			}
		}
	}
	h := newHarness(t)
	staff := h.Staff("qishan", "tashan")
	r := h.Must(200, "POST", "/v1/templates/warm_service_list/preview", staff,
		map[string]any{"variables": map[string]string{"month": "12月", "items": "免费理发、义诊"}, "lang": "en"})
	if r.Str("title") != "Warm services for 12月" {
		t.Fatalf("preview: %s", r.Raw)
	}
	if r := h.Do("POST", "/v1/templates/warm_service_list/preview", staff, map[string]any{"variables": map[string]string{"month": "", "items": "x"}}); r.Status != 422 || r.Field() != "variables.month" {
		t.Fatalf("empty variable: %d %s", r.Status, r.Raw)
	}
	h.Must(404, "POST", "/v1/templates/nope/preview", staff, map[string]any{})
	h.Must(403, "GET", "/v1/templates", h.Worker(uuid.NewString()), nil)
}

func TestWebhook_refusesPrivateAddressesUnlessAllowed(t *testing.T) {
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(http.StatusNoContent) }))
	defer hook.Close()
	push := notification.Push{NotificationID: uuid.New(), Channel: "webhook", WebhookURL: hook.URL, WebhookSecret: "s"}
	err := notification.NewWebhook(time.Second, false).Send(t.Context(), push)
	if err == nil || !strings.Contains(err.Error(), "not public") {
		t.Fatalf("a loopback webhook was called: %v", err)
	}
	if err := notification.NewWebhook(time.Second, true).Send(t.Context(), push); err != nil {
		t.Fatalf("allowed: %v", err)
	}
	// Addresses that are not loopback but not public either are refused
	// before any connection is made.
	for _, host := range []string{"10.0.0.8", "192.168.1.1", "169.254.169.254", "100.100.100.200", "[fd00::1]", "0.0.0.0"} {
		push.WebhookURL = "http://" + host + ":80/hook"
		if err := notification.NewWebhook(time.Second, false).Send(t.Context(), push); err == nil || !strings.Contains(err.Error(), "not public") {
			t.Errorf("%s: %v", host, err)
		}
	}
}

func TestDeliveries_theLogPagesThroughTiesWithoutSkipping(t *testing.T) {
	h := newHarness(t)
	// A broadcast's batch makes deliveries that share one time.
	h.workersDirect(7, "qishan", "tashan", "food_delivery")
	if _, err := h.Pool.Exec(h.ctx, `INSERT INTO preferences (recipient, channels, updated_at)
		SELECT 'worker:' || id, '{"notice": ["sms", "wechat"]}', now() FROM workers`); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(nextYear(11, 24, 12, 0, 0, 0))
	h.Must(201, "POST", "/v1/broadcasts", h.StreetAdmin("qishan"), testenv.With(warmList, map[string]any{"urgent": true}))
	testenv.Eventually(t, 15*time.Second, func() bool { return h.count("SELECT count(*) FROM deliveries WHERE status = 'delivered'") == 14 })
	seen := map[string]bool{}
	next := ""
	for page := 0; page < 10; page++ {
		r := h.Must(200, "GET", "/v1/deliveries?limit=3&before="+url.QueryEscape(next), h.StreetAdmin("qishan"), nil)
		for _, it := range r.Items() {
			d := it.(map[string]any)
			key := d["notification_id"].(string) + "/" + d["channel"].(string)
			if seen[key] {
				t.Fatalf("%s listed twice", key)
			}
			seen[key] = true
		}
		if next = r.Str("next"); next == "" {
			break
		}
	}
	if len(seen) != 14 {
		t.Fatalf("%d of 14 deliveries listed", len(seen))
	}
	if r := h.Do("GET", "/v1/deliveries?before=yesterday", h.StreetAdmin("qishan"), nil); r.Status != 422 || r.Field() != "before" {
		t.Fatalf("bad cursor: %d %s", r.Status, r.Raw)
	}
}

func TestQuietHours_aRetryThatWouldFallInThemWaitsForTheMorning(t *testing.T) {
	h := newHarness(t)
	w := h.worker("qishan", "tashan")
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(rw, "busy", http.StatusServiceUnavailable)
			return
		}
		rw.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	h.Must(200, "PUT", "/v1/preferences", h.Worker(w), map[string]any{"webhook_url": hook.URL,
		"channels": map[string]any{"points": map[string]bool{"webhook": true}}})
	h.Settled()
	// A moment before 22:00: the first try goes, fails, and its retry would fall after 22:00.
	h.clock.Set(nextYear(11, 23, 21, 59, 59, 990000000))
	h.Publish(event.PointsEarned, "qishan", w, event.PointsData{WorkerID: w, Street: "qishan", Kind: "earn", Points: 5, Balance: 5})
	testenv.Eventually(t, 10*time.Second, func() bool { return calls.Load() == 1 })
	testenv.Eventually(t, 10*time.Second, func() bool {
		var at time.Time
		_ = h.Pool.QueryRow(h.ctx, "SELECT next_attempt_at FROM deliveries WHERE last_error <> ''").Scan(&at)
		return at.Equal(nextYear(11, 24, 7, 0, 0, 0))
	})
	time.Sleep(100 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d calls in quiet hours", n)
	}
	h.clock.Set(nextYear(11, 24, 7, 0, 1, 0))
	testenv.Eventually(t, 10*time.Second, func() bool { return h.count("SELECT count(*) FROM deliveries WHERE status = 'delivered'") == 1 })
}

func TestInbox_readAll_marksUpToTheNewestSeenAndLeavesLaterOnesUnread(t *testing.T) {
	h := newHarness(t)
	w, other := h.worker("qishan", "tashan"), h.worker("qishan", "tashan")
	h.Settled()
	report := func(worker string) {
		h.Publish(event.ReportStatusChanged, "qishan", uuid.NewString(), event.ReportStatusChangedData{
			ReportID: uuid.NewString(), Street: "qishan", Category: "traffic", From: "submitted", To: "accepted", WorkerID: worker})
	}
	report(w)
	report(w)
	report(other)
	h.Settled()
	seen := h.inbox(w) // what the rider has on screen, newest first
	if len(seen) != 2 {
		t.Fatalf("%d messages before the third", len(seen))
	}
	report(w) // comes after the rider looked
	h.Settled()

	r := h.Must(200, "POST", "/v1/inbox/read", h.Worker(w), map[string]any{"through": seen[0]["seq"]})
	if r.Num("marked") != 2 || r.Num("unread") != 1 {
		t.Fatalf("read all: %s", r.Raw)
	}
	unread := h.Must(200, "GET", "/v1/inbox?unread=true", h.Worker(w), nil).Items()
	if len(unread) != 1 || unread[0].(map[string]any)["seq"].(float64) <= seen[0]["seq"].(float64) {
		t.Fatalf("unread after reading all: %v (the newest seen was %v)", unread, seen[0]["seq"])
	}
	// Another's messages are theirs to read, whatever the seq named.
	if r := h.Must(200, "GET", "/v1/inbox?unread=true", h.Worker(other), nil); r.Num("unread") != 1 {
		t.Fatalf("another worker's unread: %s", r.Raw)
	}
	// Again: nothing more to mark, and the first read_at stays.
	if r := h.Must(200, "POST", "/v1/inbox/read", h.Worker(w), map[string]any{"through": seen[0]["seq"]}); r.Num("marked") != 0 || r.Num("unread") != 1 {
		t.Fatalf("read all again: %s", r.Raw)
	}
}

func TestInbox_readAll_namesAMissingThrough(t *testing.T) {
	h := newHarness(t)
	w := h.worker("qishan", "tashan")
	for _, body := range []map[string]any{{}, {"through": 0}, {"through": -3}} {
		if r := h.Must(422, "POST", "/v1/inbox/read", h.Worker(w), body); r.Field() != "through" {
			t.Fatalf("%v: %s", body, r.Raw)
		}
	}
}
