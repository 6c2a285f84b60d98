package points_test

import (
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/points"
)

// arrivals records when each awaited points event first arrives from
// JetStream, by a key taken from its data.
type arrivals struct {
	mu   sync.Mutex
	at   map[string]time.Time
	next chan struct{} // signalled on each new arrival
}

func (a *arrivals) seen() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.at)
}

func (a *arrivals) has(key string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.at[key]
	return ok
}

// watch subscribes to one points event type's subject and records, per
// key(data), when it first arrived.
func (h *harness) watch(b *testing.B, name event.Name, key func(event.PointsData) string) *arrivals {
	nc, err := nats.Connect(h.JS.Conn().ConnectedUrl())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	a := &arrivals{at: map[string]time.Time{}, next: make(chan struct{}, 1)}
	if _, err := nc.Subscribe(h.Subjects.Filter(name), func(m *nats.Msg) {
		now := time.Now()
		e, err := event.Parse(m.Data)
		if err != nil {
			return
		}
		var d event.PointsData
		if e.Decode(&d) != nil {
			return
		}
		a.mu.Lock()
		if _, dup := a.at[key(d)]; !dup {
			a.at[key(d)] = now
		}
		a.mu.Unlock()
		select {
		case a.next <- struct{}{}:
		default:
		}
	}); err != nil {
		b.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		b.Fatal(err)
	}
	return a
}

// BenchmarkRedeem_httpToJetStream measures a worker redeeming at the
// supermarket counter, one redemption after another: latency from
// POST /v1/redemptions to points.redeemed arriving from JetStream (the
// account and item locked, balance and stock taken, the entry, redemption
// and outbox row committed together, relayed, fsynced, acknowledged), and
// redemptions/s.
func BenchmarkRedeem_httpToJetStream(b *testing.B) {
	h := newHarness(b, nil)
	w := h.openAccount("qishan", "tashan")
	for left := b.N; left > 0; left -= points.MaxAdjust {
		h.fund(w, min(left, points.MaxAdjust))
	}
	item := h.item("qishan", "", 1, min(b.N, points.MaxStock))
	a := h.watch(b, event.PointsRedeemed, func(d event.PointsData) string { return d.RedemptionID })
	token := h.Worker(w)
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = uuid.NewString()
	}
	ids := make([]string, b.N)
	sent := make([]time.Time, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		sent[i] = time.Now()
		ids[i] = h.redeem(token, item, 1, keys[i], 201).Str("id")
	}
	testenv.Eventually(b, 30*time.Second, func() bool { return a.seen() >= b.N })
	elapsed := time.Since(start)
	b.StopTimer()
	reportLatency(b, a, ids, sent, elapsed, "redemptions/s")
}

// BenchmarkEarn_eventToLedger measures attendance earning points: latency
// from publishing attendance.recorded onto the activity stream to
// points.earned arriving from JetStream (the earnings consumer's delivery,
// inbox row, rule, daily cap, entry and outbox row in one transaction, the
// ack, the relay, JetStream's fsync), and earn events/s.
//
//   - one_at_a_time: each event waits for the one before it to be credited,
//     so the latency is the pipeline's own.
//   - burst: b.N riders check out of one activity at once; all events are
//     published as fast as JetStream stores them, so throughput is the
//     consumer's and latency includes the queue (it grows with b.N).
func BenchmarkEarn_eventToLedger(b *testing.B) {
	b.Run("one_at_a_time", func(b *testing.B) { benchEarn(b, false) })
	b.Run("burst", func(b *testing.B) { benchEarn(b, true) })
}

func benchEarn(b *testing.B, burst bool) {
	const workers = 16
	h := newHarness(b, nil)
	ws := make([]string, workers)
	for i := range ws {
		ws[i] = h.openAccount("qishan", "tashan")
	}
	a := h.watch(b, event.PointsEarned, func(d event.PointsData) string { return d.CauseEventID })
	// An hour of volunteer service each, on a day of its own, so no daily
	// cap cuts it: what is measured is a full credit.
	ids := make([]string, b.N)
	raws := make([][]byte, b.N)
	subject := h.Subjects.For(event.AttendanceRecorded, "qishan")
	now := time.Now()
	for i := range ids {
		out := now.Add(-time.Duration(i+1) * 24 * time.Hour)
		act := uuid.NewString()
		e, err := event.New(event.AttendanceRecorded, "qishan", act, event.AttendanceData{ActivityID: act,
			WorkerID: ws[i%workers], Street: "qishan", Kind: "volunteer_service", Hours: 1, VolunteerService: true,
			CheckedInAt: out.Add(-time.Hour), CheckedOutAt: out})
		if err != nil {
			b.Fatal(err)
		}
		if raws[i], err = json.Marshal(e); err != nil {
			b.Fatal(err)
		}
		ids[i] = e.ID
	}
	sent := make([]time.Time, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		sent[i] = time.Now()
		if _, err := h.JS.Publish(h.ctx, subject, raws[i], jetstream.WithMsgID(ids[i])); err != nil {
			b.Fatal(err)
		}
		if !burst {
			waitFor(b, a, ids[i])
		}
	}
	testenv.Eventually(b, 60*time.Second, func() bool { return a.seen() >= b.N })
	elapsed := time.Since(start)
	b.StopTimer()
	if n := h.count("SELECT count(*) FROM entries WHERE kind = 'earn' AND capped"); n != 0 {
		b.Fatalf("%d earnings capped", n)
	}
	reportLatency(b, a, ids, sent, elapsed, "earn-events/s")
}

// waitFor waits until the event keyed id has arrived.
func waitFor(b *testing.B, a *arrivals, id string) {
	deadline := time.After(10 * time.Second)
	for !a.has(id) {
		select {
		case <-a.next:
		case <-time.After(50 * time.Millisecond): // a signal taken by an earlier wait
		case <-deadline:
			b.Fatalf("points.earned for %s not seen within 10s", id)
		}
	}
}

// reportLatency reports per-second throughput and p50/p99 latency from each
// request or event sent to its points event's arrival.
func reportLatency(b *testing.B, a *arrivals, keys []string, sent []time.Time, elapsed time.Duration, unit string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	lat := make([]float64, len(keys))
	for i, k := range keys {
		at, ok := a.at[k]
		if !ok {
			b.Fatalf("no event for %s", k)
		}
		lat[i] = float64(at.Sub(sent[i]).Microseconds()) / 1000
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	b.ReportMetric(float64(len(keys))/elapsed.Seconds(), unit)
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}
