package notification_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/ceiling"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// BenchmarkBroadcast_fanOut sends a broadcast to 20,000 workers per
// iteration, from POST /v1/broadcasts until the job marks it done: every
// message is in its recipient's inbox by then.
func BenchmarkBroadcast_fanOut(b *testing.B) {
	h := newHarness(b)
	h.Publish(event.CommunityCreated, "qishan", "tashan", event.CommunityData{Code: "tashan", Name: "塔山社区", Street: "qishan"})
	const workers = 20000
	h.workersDirect(workers, "qishan", "tashan", "food_delivery")
	h.Settled()
	admin := h.StreetAdmin("qishan")
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		id := h.Must(201, "POST", "/v1/broadcasts", admin, warmList).Str("id")
		testenv.Eventually(b, 5*time.Minute, func() bool {
			return h.count("SELECT count(*) FROM broadcasts WHERE id = $1 AND status = 'done'", id) == 1
		})
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(workers*b.N)/elapsed.Seconds(), "messages/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkEvent_toInbox measures an event's way from JetStream to the
// recipient's inbox: publishing report.status_changed until its message is
// stored (what GET /v1/inbox then shows).
func BenchmarkEvent_toInbox(b *testing.B) {
	h := newHarness(b)
	w := h.worker("qishan", "tashan")
	h.Settled()
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		report := uuid.NewString()
		sent := time.Now()
		h.Publish(event.ReportStatusChanged, "qishan", report, event.ReportStatusChangedData{ReportID: report,
			Street: "qishan", Category: "traffic", From: "submitted", To: "accepted", WorkerID: w})
		for h.count("SELECT count(*) FROM notifications WHERE recipient = $1 AND created_at >= $2", "worker:"+w, sent.Add(-time.Millisecond)) == 0 {
			time.Sleep(200 * time.Microsecond)
		}
		latencies = append(latencies, time.Since(sent))
	}
	b.StopTimer()
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[min(len(latencies)-1, int(p*float64(len(latencies))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkEvent_toInbox_burst10k publishes 10,000 report.status_changed
// events (for 500 workers) onto the activity stream at once and measures
// from the first publish until the last message is in its recipient's
// inbox: events-to-inbox/s, the rate a backlog is turned into messages.
func BenchmarkEvent_toInbox_burst10k(b *testing.B) {
	const events, workers = 10000, 500
	h := newHarness(b)
	ws := make([]string, workers)
	for i := range ws {
		ws[i] = uuid.Must(uuid.NewV7()).String()
	}
	subject := h.Subjects.For(event.ReportStatusChanged, "qishan")
	// A JetStream context that keeps the whole burst in flight.
	js, err := jetstream.New(h.JS.Conn(), jetstream.WithPublishAsyncMaxPending(events))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		ids := make([]string, events)
		raws := make([][]byte, events)
		for i := range raws {
			report := uuid.NewString()
			e, err := event.New(event.ReportStatusChanged, "qishan", report, event.ReportStatusChangedData{ReportID: report,
				Street: "qishan", Category: "traffic", From: "submitted", To: "accepted", WorkerID: ws[i%workers]})
			if err != nil {
				b.Fatal(err)
			}
			if raws[i], err = json.Marshal(e); err != nil {
				b.Fatal(err)
			}
			ids[i] = e.ID
		}
		before := h.count("SELECT count(*) FROM notifications")
		b.StartTimer()
		start := time.Now()
		for i, raw := range raws {
			if _, err := js.PublishAsync(subject, raw, jetstream.WithMsgID(ids[i])); err != nil {
				b.Fatal(err)
			}
		}
		select {
		case <-js.PublishAsyncComplete():
		case <-time.After(time.Minute):
			b.Fatal("the burst was not stored within a minute")
		}
		testenv.Eventually(b, 3*time.Minute, func() bool {
			return h.count("SELECT count(*) FROM notifications") >= before+events
		})
		elapsed += time.Since(start)
	}
	b.StopTimer()
	rate := float64(events*b.N) / elapsed.Seconds()
	b.ReportMetric(rate, "events-to-inbox/s")
	b.ReportMetric(0, "ns/op")
	// No clients here, but the machine's load moves this figure as much as
	// the code does: the bare pipeline with 8 clients, measured now, is what
	// it can be read against.
	ceiling.Beside(b, 8, rate)
}
