package notification_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// TestDeliveries_sayWhyAPushHasNotGoneYet: the delivery log shows, for each
// pending push, when it goes and why not sooner — held for quiet hours
// (with no attempt made), being sent, or waiting to retry after a failure —
// so that a push held overnight is not taken for a lost one.
func TestDeliveries_sayWhyAPushHasNotGoneYet(t *testing.T) {
	h := newHarness(t)
	admin := h.StreetAdmin("qishan")
	shanghai := func(d, hh, mm int) time.Time { return nextYear(11, d, hh, mm, 0, 0) }
	// delivery is the one delivery on channel in the log, once ready says so.
	delivery := func(channel string, ready func(map[string]any) bool) map[string]any {
		t.Helper()
		var d map[string]any
		testenv.Eventually(t, 10*time.Second, func() bool {
			items := h.Must(200, "GET", "/v1/deliveries?channel="+channel, admin, nil).Items()
			if len(items) != 1 {
				return false
			}
			d = items[0].(map[string]any)
			return ready(d)
		})
		return d
	}
	check := func(d map[string]any, waiting any, attempts float64, next time.Time) {
		t.Helper()
		at, err := time.Parse(time.RFC3339Nano, d["next_attempt_at"].(string))
		if d["waiting"] != waiting || d["attempts"] != attempts || err != nil || !next.IsZero() && !at.Equal(next) {
			t.Fatalf("delivery %v, want waiting %v, attempts %v, next attempt at %s", d, waiting, attempts, next)
		}
	}

	// A webhook that fails; its first call is held until the test has seen it being sent.
	held, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			held <- struct{}{}
			<-release
		}
		http.Error(rw, "busy", http.StatusServiceUnavailable)
	}))
	defer hook.Close()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	rider := h.worker("qishan", "tashan")
	h.Must(200, "PUT", "/v1/preferences", h.Worker(rider), map[string]any{"webhook_url": hook.URL,
		"channels": map[string]any{"points": map[string]bool{"webhook": true}}})
	sleeper := h.worker("qishan", "tashan")
	h.Must(200, "PUT", "/v1/preferences", h.Worker(sleeper), map[string]any{
		"channels": map[string]any{"activity": map[string]bool{"sms": true}}})
	h.Settled()

	// Just before 22:00 the webhook is tried: while it is sent the log says so …
	h.clock.Set(shanghai(23, 21, 59).Add(59*time.Second + 990*time.Millisecond))
	h.Publish(event.PointsEarned, "qishan", rider, event.PointsData{WorkerID: rider, Street: "qishan", Kind: "earn", Points: 5, Balance: 5})
	<-held
	check(delivery("webhook", func(d map[string]any) bool { return d["waiting"] == "sending" }), "sending", 1, time.Time{})
	close(release)
	// … and once it failed, its retry falls in quiet hours: it waits for 07:00, with the error.
	d := delivery("webhook", func(d map[string]any) bool { return d["last_error"] != nil })
	check(d, "quiet_hours", 1, shanghai(24, 7, 0))
	if d["status"] != "pending" || d["last_error"] != "webhook answered 503 Service Unavailable" {
		t.Fatalf("delivery %v, want pending with the webhook's answer", d)
	}

	// At night a new push is held for the morning, untried.
	h.clock.Set(shanghai(23, 23, 30))
	activity := uuid.NewString()
	h.Publish(event.ActivityPublished, "qishan", activity, event.ActivityData{ActivityID: activity, Title: "冬季安全骑行培训",
		Street: "qishan", StartsAt: shanghai(25, 9, 0), EndsAt: shanghai(25, 11, 0)})
	d = delivery("sms", func(map[string]any) bool { return true })
	check(d, "quiet_hours", 0, shanghai(24, 7, 0))
	// The recipient sees the same on the message.
	inbox := h.inbox(sleeper)
	if len(inbox) != 1 {
		t.Fatalf("inbox %v", inbox)
	}
	msg := h.Must(200, "GET", "/v1/inbox/"+inbox[0]["id"].(string), h.Worker(sleeper), nil)
	if ds := msg.Body["deliveries"].([]any); len(ds) != 1 || ds[0].(map[string]any)["waiting"] != "quiet_hours" {
		t.Fatalf("message: %s", msg.Raw)
	}

	// Noon: the SMS has gone and no longer waits; the webhook failed again and waits to retry.
	h.clock.Set(shanghai(24, 12, 0))
	d = delivery("sms", func(d map[string]any) bool { return d["status"] == "delivered" })
	if _, ok := d["waiting"]; ok {
		t.Fatalf("a delivered push says it waits: %v", d)
	}
	d = delivery("webhook", func(d map[string]any) bool { return d["attempts"] == float64(2) && d["waiting"] != "sending" })
	check(d, "retry", 2, time.Time{})
	if at, _ := time.Parse(time.RFC3339Nano, d["next_attempt_at"].(string)); !at.After(shanghai(24, 12, 0)) {
		t.Fatalf("the retry is due at %s, not after the failure", at)
	}
}
