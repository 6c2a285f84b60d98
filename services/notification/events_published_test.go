package notification_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/notification"
)

// published is what the service has published of one event type, with the
// data decoded, in stream order; each event's subject and street are
// checked, and its data held to an allow list of members (no title, body,
// name, mobile or recipient) and searched for what must not travel.
func published[D any](h *harness, name event.Name, subject func(D) string, forbidden ...string) []D {
	h.t.Helper()
	allowed := map[string]bool{}
	var zero D
	for i, typ := 0, reflect.TypeOf(zero); i < typ.NumField(); i++ {
		allowed[strings.Split(typ.Field(i).Tag.Get("json"), ",")[0]] = true
	}
	var out []D
	for _, m := range h.Published("notification") {
		if m.Type != name.Type() {
			continue
		}
		var members map[string]any
		if err := json.Unmarshal(m.Data, &members); err != nil {
			h.t.Fatal(err)
		}
		for k := range members {
			if !allowed[k] {
				h.t.Errorf("%s carries %q: %s", m.Type, k, m.Data)
			}
		}
		for _, f := range append(forbidden, "worker:", "staff:", "title", "body", "name", "mobile") {
			if strings.Contains(string(m.Data), f) {
				h.t.Errorf("%s carries %q: %s", m.Type, f, m.Data)
			}
		}
		var d D
		if err := json.Unmarshal(m.Data, &d); err != nil {
			h.t.Fatal(err)
		}
		if m.Street != members["street"] || m.Subject != h.Subjects.For(name, m.Street) || m.Envelope.Subject != subject(d) {
			h.t.Errorf("%s published on %s (street %q, subject %q): %s", m.Type, m.Subject, m.Street, m.Envelope.Subject, m.Data)
		}
		out = append(out, d)
	}
	return out
}

func inboxStored(h *harness, forbidden ...string) []event.InboxStoredData {
	h.t.Helper()
	return published(h, event.InboxStored, func(d event.InboxStoredData) string { return d.Category }, forbidden...)
}

func broadcastsSent(h *harness, forbidden ...string) []event.BroadcastSentData {
	h.t.Helper()
	return published(h, event.BroadcastSent, func(d event.BroadcastSentData) string { return d.BroadcastID }, forbidden...)
}

// withoutAt checks each summary has its time and drops it, for comparing.
func withoutAt(t *testing.T, ds []event.InboxStoredData) []event.InboxStoredData {
	t.Helper()
	out := make([]event.InboxStoredData, len(ds))
	for i, d := range ds {
		if d.At.IsZero() || time.Since(d.At) > time.Hour {
			t.Errorf("summary at %v", d.At)
		}
		d.At = time.Time{}
		out[i] = d
	}
	return out
}

// Each event that stores a message publishes its inbox.stored summary —
// how many, of which street and category, for what kind of cause — with
// no one's name and no text; an event that stores nothing publishes none.
func TestInboxStored_summarisesTheMessagesAnEventStores(t *testing.T) {
	h := newHarness(t)
	w, v := uuid.NewString(), uuid.NewString()
	h.Settled()
	for _, tc := range []struct {
		name string
		do   func(t *testing.T)
		want []event.InboxStoredData
	}{
		{"a report's new status tells its reporter", func(t *testing.T) {
			report := uuid.NewString()
			h.Publish(event.ReportStatusChanged, "qishan", report, event.ReportStatusChangedData{ReportID: report,
				Street: "qishan", Category: "fire_risk", From: "submitted", To: "accepted", WorkerID: w})
		}, []event.InboxStoredData{{Street: "qishan", Category: "report", Count: 1, Cause: "event"}}},
		{"a redemption in another street", func(t *testing.T) {
			h.Publish(event.PointsRedeemed, "zhifu", v, event.PointsData{WorkerID: v, Street: "zhifu", Kind: "redeem", Points: -30, Balance: 70})
		}, []event.InboxStoredData{{Street: "zhifu", Category: "points", Count: 1, Cause: "event"}}},
		{"a new star", func(t *testing.T) {
			h.Publish(event.StarChanged, "qishan", w, event.StarChangedData{WorkerID: w, Street: "qishan", From: 1, To: 2, Hours: 50})
		}, []event.InboxStoredData{{Street: "qishan", Category: "points", Count: 1, Cause: "event"}}},
		{"a capped earning stores nothing and publishes nothing", func(t *testing.T) {
			h.Publish(event.PointsEarned, "qishan", w, event.PointsData{WorkerID: w, Street: "qishan", Kind: "earn", Points: 0, Balance: 70})
		}, nil},
		{"a task due tomorrow reminds its owner", func(t *testing.T) {
			task := uuid.NewString()
			h.Publish(event.TaskCreated, "qishan", task, event.TaskData{TaskID: task, ProjectID: uuid.NewString(), Street: "qishan",
				Unit: "铁塔能源", PersonSubject: "unit-wang", Deadline: time.Now().Add(10 * time.Hour), Status: "open"})
			h.Settled()
			for range 2 { // a reminder is sent, and summarised, once
				if err := (notification.Reminders{Service: h.svc, Log: h.log}).Once(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
		}, []event.InboxStoredData{{Street: "qishan", Category: "task", Count: 1, Cause: "reminder"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(inboxStored(h))
			tc.do(t)
			h.Settled()
			got := withoutAt(t, inboxStored(h, w, v, "unit-wang")[before:])
			if !reflect.DeepEqual(got, tc.want) && len(got)+len(tc.want) > 0 {
				t.Fatalf("inbox.stored:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// An event delivered again stores nothing new, and so publishes no second
// summary: whether the consumer's inbox catches it, or (its row gone) the
// message's unique cause does.
func TestInboxStored_aRedeliveredEventPublishesNoSecondSummary(t *testing.T) {
	for _, tc := range []struct {
		name        string
		forgetInbox bool
	}{
		{"caught by the consumer's inbox", false},
		{"caught by the message's unique cause", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			w, report := uuid.NewString(), uuid.NewString()
			e := h.Publish(event.ReportSubmitted, "qishan", report, event.ReportSubmittedData{ReportID: report, Street: "qishan",
				Category: "traffic", DueAt: time.Now().Add(72 * time.Hour), WorkerID: w})
			h.Settled()
			if got := inboxStored(h); len(got) != 1 || got[0].Count != 1 {
				t.Fatalf("first delivery: %+v", got)
			}
			if tc.forgetInbox {
				if _, err := h.Pool.Exec(h.ctx, "DELETE FROM inbox WHERE event_id = $1", e.ID); err != nil {
					t.Fatal(err)
				}
			}
			h.Republish(event.ReportSubmitted, e)
			h.Settled()
			if tc.forgetInbox {
				// The handler ran again this time: it must have found the message.
				testenv.Eventually(t, 10*time.Second, func() bool {
					return h.count("SELECT count(*) FROM inbox WHERE event_id = $1", e.ID) == 1
				})
			}
			if got := inboxStored(h); len(got) != 1 {
				t.Fatalf("after the redelivery: %+v", got)
			}
			if n := h.count("SELECT count(*) FROM notifications WHERE recipient = $1", "worker:"+w); n != 1 {
				t.Fatalf("%d messages", n)
			}
		})
	}
}

// A burst of events is summarised per consumer batch, not per event: 40
// messages of one street and category stored while the first waited make
// a couple of summaries, whose counts add up to 40.
func TestInboxStored_aBurstIsSummarisedPerBatchNotPerEvent(t *testing.T) {
	h := newHarness(t)
	h.Settled()
	// Hold inserts back, so that the burst queues behind its first event.
	tx, err := h.Pool.Begin(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background()) //nolint:errcheck // a no-op after Commit
	if _, err := tx.Exec(h.ctx, "LOCK TABLE notifications IN SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	const events = 40
	workers := []string{uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()}
	for i := range events {
		report := uuid.NewString()
		h.Publish(event.ReportStatusChanged, "qishan", report, event.ReportStatusChangedData{ReportID: report,
			Street: "qishan", Category: "traffic", From: "submitted", To: "accepted", WorkerID: workers[i%len(workers)]})
	}
	time.Sleep(time.Second) // for the consumer to take the burst in
	if err := tx.Commit(h.ctx); err != nil {
		t.Fatal(err)
	}
	h.Settled()
	got := inboxStored(h, workers...)
	total := 0
	for _, d := range got {
		if d.Street != "qishan" || d.Category != "report" || d.Cause != "event" || d.BroadcastID != "" {
			t.Errorf("summary %+v", d)
		}
		total += d.Count
	}
	if total != events || len(got) > 3 {
		t.Fatalf("%d summaries of %d messages, want at most 3 of %d: %+v", len(got), total, events, got)
	}
}

// A broadcast publishes inbox.stored once per batch it fans out — adding
// up to everyone it reached — and one broadcast.sent, as it is marked
// done, with its audience and reach; neither carries the message's text.
func TestBroadcastSent_onceWithItsReachAndTheInboxSummariesAddUp(t *testing.T) {
	for _, tc := range []struct {
		name      string
		workers   int
		send      func(h *harness) // queues the broadcast
		template  string
		category  string
		cause     string
		batches   int      // inbox.stored summaries (the job's batch is 1,000)
		forbidden []string // text of the message
	}{
		{"a street admin's notice to 2,300 riders of a community", 2300, func(h *harness) {
			body := testenv.With(warmList, map[string]any{"segment": map[string]string{"community": "tashan"}})
			h.Must(201, "POST", "/v1/broadcasts", h.StreetAdmin("qishan"), body)
		}, "warm_service_list", "notice", "broadcast", 3, []string{"免费理发", "12月"}},
		{"an activity published to its community's riders", 7, func(h *harness) {
			act := uuid.NewString()
			start := time.Now().Add(72 * time.Hour)
			h.Publish(event.ActivityPublished, "qishan", act, event.ActivityData{ActivityID: act, Title: "冬季安全骑行培训",
				Address: "塔山暖新驿站", Street: "qishan", Community: "tashan", StartsAt: start, EndsAt: start.Add(2 * time.Hour)})
		}, "activity.published", "activity", "event", 1, []string{"冬季安全骑行培训", "塔山暖新驿站"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.Publish(event.CommunityCreated, "qishan", "tashan", event.CommunityData{Code: "tashan", Name: "塔山社区", Street: "qishan"})
			h.workersDirect(tc.workers, "qishan", "tashan", "food_delivery")
			h.workersDirect(5, "qishan", "changsheng", "food_delivery") // outside the segment
			h.Settled()
			tc.send(h)
			h.Settled()
			testenv.Eventually(t, time.Minute, func() bool {
				return h.count("SELECT count(*) FROM broadcasts WHERE status = 'done'") == 1
			})
			var id string
			if err := h.Pool.QueryRow(h.ctx, "SELECT id::text FROM broadcasts").Scan(&id); err != nil {
				t.Fatal(err)
			}
			forbidden := append(tc.forbidden, "塔山社区", "changsheng")
			sent := broadcastsSent(h, forbidden...)
			if len(sent) != 1 {
				t.Fatalf("broadcast.sent: %+v", sent)
			}
			s := sent[0]
			if s.BroadcastID != id || s.Street != "qishan" || s.Community != "tashan" || s.Template != tc.template ||
				s.Category != tc.category || s.Cause != tc.cause || s.Audience != tc.workers || s.Reach != tc.workers {
				t.Fatalf("broadcast.sent %+v", s)
			}
			if s.StartedAt.IsZero() || s.FinishedAt.Before(s.StartedAt) || time.Since(s.StartedAt) > time.Hour {
				t.Fatalf("broadcast.sent from %v to %v", s.StartedAt, s.FinishedAt)
			}
			total := 0
			got := inboxStored(h, forbidden...)
			for _, d := range got {
				if d.Street != "qishan" || d.Category != tc.category || d.Cause != tc.cause || d.BroadcastID != id {
					t.Errorf("summary %+v", d)
				}
				total += d.Count
			}
			if total != tc.workers || len(got) != tc.batches {
				t.Fatalf("%d summaries of %d messages, want %d of %d", len(got), total, tc.batches, tc.workers)
			}
			// The summaries precede broadcast.sent on the stream.
			var types []string
			for _, m := range h.Published("notification") {
				types = append(types, m.Type)
			}
			if types[len(types)-1] != event.BroadcastSent.Type() {
				t.Fatalf("stream order: %v", types)
			}
		})
	}
}
