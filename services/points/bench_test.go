package points_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/ceiling"
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

func (a *arrivals) hasAll(keys []string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.at) < len(keys) {
		return false
	}
	for _, k := range keys {
		if _, ok := a.at[k]; !ok {
			return false
		}
	}
	return true
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
	ceiling.Beside(b, 1, float64(b.N)/elapsed.Seconds())
}

// BenchmarkEarn_eventToLedger measures attendance earning points: latency
// from publishing attendance.recorded onto the activity stream to
// points.earned arriving from JetStream (the earnings consumer's delivery,
// inbox row, rule, daily cap, entry and outbox row in one transaction, the
// ack, the relay, JetStream's fsync), and earn events/s.
// Each event waits for the one before it to be credited, so the latency is
// the pipeline's own; BenchmarkEarn_burst10k measures a backlog draining.
func BenchmarkEarn_eventToLedger(b *testing.B) {
	b.Run("one_at_a_time", benchEarnOneAtATime)
}

func benchEarnOneAtATime(b *testing.B) {
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
		waitFor(b, a, ids[i])
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

// burstSize is how many attendance events the burst benchmarks publish at
// once: a district's riders checking out of a day's activities.
const burstSize = 10000

// BenchmarkEarn_burst10k leaves a backlog of 10,000 attendance.recorded
// events for 500 workers on the activity stream (stored before the
// earnings consumer starts), then starts the consumer and measures how fast the
// backlog drains: earnings/s until the last is credited in the ledger, and
// earned-events/s until the last points.earned has arrived from JetStream
// (the relay publishes them meanwhile). Each worker
// has 20 services over 4 days, of 1 to 6 hours, so about half of the
// worker-days reach the daily cap: the cap is computed, and sometimes cuts.
func BenchmarkEarn_burst10k(b *testing.B) {
	var credited, onStream time.Duration
	capped := 0
	for range b.N {
		// A harness each time: its earnings consumer starts on one backlog.
		b.StopTimer()
		h := newHarness(b, nil, holdEarnings{})
		ws := h.openAccounts(500, "qishan", "tashan")
		a := h.watch(b, event.PointsEarned, func(d event.PointsData) string { return d.CauseEventID })
		burst := h.attendanceBurst(b, ws, burstSize)
		burst.store(b)
		b.StartTimer()
		d := burst.drainAndWait(b, a)
		credited += d.credited
		onStream += d.onStream
		b.StopTimer()
		capped += h.count("SELECT count(*) FROM entries WHERE kind = 'earn' AND capped")
	}
	if capped == 0 {
		b.Fatal("no earning was capped: the burst does not exercise the daily cap")
	}
	rate := float64(burstSize*b.N) / credited.Seconds()
	b.ReportMetric(rate, "earnings/s")
	b.ReportMetric(float64(burstSize*b.N)/onStream.Seconds(), "earned-events/s")
	b.ReportMetric(0, "ns/op")
	// No clients here, but the machine's load moves this figure as much as
	// the code does: the bare pipeline with 8 clients, measured now, is what
	// it can be read against.
	ceiling.Beside(b, 8, rate)
}

// BenchmarkRedeem_8clientsDuringEarnBurst measures whether the counter keeps
// serving while a burst of attendance is credited. Eight clients redeem at
// the supermarket (each for a worker of their own, one piece of an item of
// its own at a time) for a few seconds alone, then again while a backlog of
// 10,000 attendance events (stored as in BenchmarkEarn_burst10k) is
// credited to 500 other workers. It reports the redemptions/s alone
// (solo-redeem/s) and during the burst (redeem/s), their ratio
// (pct-of-solo), and how fast the backlog was credited to the ledger
// meanwhile (earn/s); and the
// bare pipeline's rate with 8 clients beside the solo rate (pkg/ceiling).
func BenchmarkRedeem_8clientsDuringEarnBurst(b *testing.B) {
	const clients = 8
	var solo, during, earn float64
	for range b.N {
		// A harness each time: its earnings consumer starts on one backlog.
		b.StopTimer()
		h := newHarness(b, nil, holdEarnings{})
		ws := h.openAccounts(500, "qishan", "tashan")
		redeemers := h.openAccounts(clients, "qishan", "changsheng")
		for _, w := range redeemers {
			for range 5 {
				h.fund(w, points.MaxAdjust)
			}
		}
		// An item of its own for each client: the counters serve different
		// riders with different goods, not one shelf all at once.
		items := make([]string, clients)
		for i := range items {
			items[i] = h.item("qishan", "", 1, points.MaxStock)
		}
		a := h.watch(b, event.PointsEarned, func(d event.PointsData) string { return d.CauseEventID })
		counter := newCounter(h, items, redeemers)
		burst := h.attendanceBurst(b, ws, burstSize)
		burst.store(b)
		b.StartTimer()
		solo += counter.run(b, func() { time.Sleep(3 * time.Second) }) // a window, not a wait
		var drained drain
		during += counter.run(b, func() { drained = burst.drainAndWait(b, a) })
		earn += float64(burstSize) / drained.credited.Seconds()
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(solo/n, "solo-redeem/s")
	b.ReportMetric(during/n, "redeem/s")
	b.ReportMetric(100*during/solo, "pct-of-solo")
	b.ReportMetric(earn/n, "earn/s")
	b.ReportMetric(0, "ns/op")
	// The redemptions alone beside the bare pipeline with as many clients.
	ceiling.Beside(b, clients, solo/n)
}

// openAccounts registers n workers at once and waits for all their
// accounts to open.
func (h *harness) openAccounts(n int, street, community string) []string {
	h.t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7()).String()
		h.Publish(event.WorkerRegistered, street, ids[i], event.WorkerData{WorkerID: ids[i], Street: street,
			Community: community, Occupation: "food_delivery", PoliticalStatus: "masses", Status: "active"})
	}
	h.eventually(func() bool { return h.count("SELECT count(*) FROM accounts WHERE worker_id = ANY($1)", ids) == n })
	return ids
}

// burst is a set of attendance events ready to publish.
type burst struct {
	h     *harness
	ids   []string // event ids, the key of their points.earned
	raws  [][]byte
	topic string
}

// attendanceBurst builds n attendance events spread over workers: each
// worker's k-th service is on day k/5 before today, for 1 to 6 hours.
func (h *harness) attendanceBurst(b *testing.B, workers []string, n int) *burst {
	bu := &burst{h: h, ids: make([]string, n), raws: make([][]byte, n), topic: h.Subjects.For(event.AttendanceRecorded, "qishan")}
	today := time.Now().Truncate(24 * time.Hour)
	for i := range n {
		w, k := workers[i%len(workers)], i/len(workers)
		out := today.Add(-time.Duration(k/5+1)*24*time.Hour + time.Duration(k%5)*time.Hour)
		hours := float64(1 + (i*7)%6)
		act := uuid.NewString()
		e, err := event.New(event.AttendanceRecorded, "qishan", act, event.AttendanceData{ActivityID: act, WorkerID: w,
			Street: "qishan", Kind: "volunteer_service", Hours: hours, VolunteerService: true,
			CheckedInAt: out.Add(-time.Duration(hours * float64(time.Hour))), CheckedOutAt: out})
		if err != nil {
			b.Fatal(err)
		}
		if bu.raws[i], err = json.Marshal(e); err != nil {
			b.Fatal(err)
		}
		bu.ids[i] = e.ID
	}
	return bu
}

// drain is how a stored burst was credited: the time from the earnings
// consumer's start to the last entry in the ledger, and to the last
// points.earned arriving from JetStream.
type drain struct{ credited, onStream time.Duration }

// store publishes the burst and waits until JetStream has stored all of
// it, before the harness's earnings consumer (held back) starts: the
// backlog a burst of attendance leaves. Storing is JetStream's work (an
// fsync per message), not the points service's, and is not timed.
func (bu *burst) store(b *testing.B) {
	// A JetStream context that keeps the whole burst in flight.
	js, err := jetstream.New(bu.h.JS.Conn(), jetstream.WithPublishAsyncMaxPending(len(bu.raws)))
	if err != nil {
		b.Fatal(err)
	}
	for i, raw := range bu.raws {
		if _, err := js.PublishAsync(bu.topic, raw, jetstream.WithMsgID(bu.ids[i])); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("the burst was not stored within a minute")
	}
}

// drainAndWait starts the earnings consumer on the stored burst and waits
// until every event is credited and its points.earned has arrived.
func (bu *burst) drainAndWait(b *testing.B, a *arrivals) drain {
	before := bu.h.count("SELECT count(*) FROM entries WHERE kind = 'earn'")
	start := time.Now()
	bu.h.startEarnings()
	var d drain
	testenv.Eventually(b, 3*time.Minute, func() bool {
		return bu.h.count("SELECT count(*) FROM entries WHERE kind = 'earn'") >= before+len(bu.ids)
	})
	d.credited = time.Since(start)
	testenv.Eventually(b, 3*time.Minute, func() bool { return a.hasAll(bu.ids) })
	a.mu.Lock()
	defer a.mu.Unlock()
	var last time.Time
	for _, id := range bu.ids {
		if a.at[id].After(last) {
			last = a.at[id]
		}
	}
	d.onStream = last.Sub(start)
	return d
}

// counter is clients redeeming at the supermarket, each for a worker of
// its own (tokens[i]) and an item of its own (items[i]), one piece at a
// time over a connection of its own.
type counter struct {
	url    string
	items  []string
	tokens []string
	client *http.Client
}

func newCounter(h *harness, items, workers []string) *counter {
	c := &counter{url: h.URL + "/v1/redemptions", items: items,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(workers)}}}
	for _, w := range workers {
		c.tokens = append(c.tokens, h.Worker(w))
	}
	return c
}

// run has every client redeem until during returns, and returns the
// redemptions/s accepted meanwhile.
func (c *counter) run(b *testing.B, during func()) float64 {
	ctx, stop := context.WithCancel(context.Background())
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, len(c.tokens))
	start := time.Now()
	for i, token := range c.tokens {
		wg.Go(func() {
			for ctx.Err() == nil {
				if err := c.redeem(token, c.items[i]); err != nil {
					errs <- err
					return
				}
				done.Add(1)
			}
		})
	}
	during()
	elapsed := time.Since(start)
	stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return float64(done.Load()) / elapsed.Seconds()
}

func (c *counter) redeem(token, item string) error {
	req, err := http.NewRequest("POST", c.url, bytes.NewReader([]byte(`{"item_id":"`+item+`","quantity":1}`)))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", uuid.NewString())
	res, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		return fmt.Errorf("redeem: status %d: %s", res.StatusCode, body)
	}
	return nil
}
