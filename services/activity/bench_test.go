package activity_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/nuanxin/nuanxin/pkg/ceiling"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// arrivals records when an event for each worker arrives from JetStream.
type arrivals struct {
	mu sync.Mutex
	at map[string]time.Time
}

func (a *arrivals) seen() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.at)
}

// watch subscribes to one event type's subject and records, per worker id
// in its data, when it first arrived.
func (h *harness) watch(b *testing.B, name event.Name) *arrivals {
	nc, err := nats.Connect(h.JS.Conn().ConnectedUrl())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	a := &arrivals{at: map[string]time.Time{}}
	if _, err := nc.Subscribe(h.Subjects.Filter(name), func(m *nats.Msg) {
		now := time.Now()
		e, err := event.Parse(m.Data)
		if err != nil {
			return
		}
		var d struct {
			WorkerID string `json:"worker_id"`
		}
		if e.Decode(&d) != nil {
			return
		}
		a.mu.Lock()
		if _, dup := a.at[d.WorkerID]; !dup {
			a.at[d.WorkerID] = now
		}
		a.mu.Unlock()
	}); err != nil {
		b.Fatal(err)
	}
	return a
}

// BenchmarkSignup_httpToJetStream measures riders signing up one after
// another: latency from the HTTP request to signup.created arriving from
// JetStream (stored, fsynced, acknowledged to the relay), and sign-ups/s.
func BenchmarkSignup_httpToJetStream(b *testing.B) {
	h := newHarness(b)
	activity := h.published(map[string]any{"capacity": nil})
	a := h.watch(b, event.SignupCreated)
	workers := make([]string, b.N)
	tokens := make([]string, b.N)
	for i := range workers {
		workers[i] = h.knownWorker("qishan", "tashan")
		tokens[i] = h.Worker(workers[i])
	}
	sent := make([]time.Time, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		sent[i] = time.Now()
		h.Must(201, "POST", "/v1/activities/"+activity+"/signups", tokens[i], nil)
	}
	testenv.Eventually(b, 30*time.Second, func() bool { return a.seen() >= b.N })
	elapsed := time.Since(start)
	b.StopTimer()
	ceiling.Beside(b, 1, reportLatency(b, a, workers, sent, elapsed, "signups/s"))
}

// BenchmarkAttendance_httpToJetStream measures riders checking out of an
// activity one after another: latency from the check-out request to
// attendance.recorded (what points credits) arriving from JetStream, and
// attendance events/s. Each rider checks in first, outside the timing.
func BenchmarkAttendance_httpToJetStream(b *testing.B) {
	h := newHarness(b)
	activity := h.published(map[string]any{"capacity": nil})
	if _, err := h.Pool.Exec(h.ctx, `UPDATE activities SET starts_at = now() - interval '1 hour', ends_at = now() + interval '2 hours' WHERE id = $1`, activity); err != nil {
		b.Fatal(err)
	}
	a := h.watch(b, event.AttendanceRecorded)
	atPlace := h.atPlace(activity)
	workers := make([]string, b.N)
	tokens := make([]string, b.N)
	for i := range workers {
		workers[i] = h.knownWorker("qishan", "tashan")
		tokens[i] = h.Worker(workers[i])
		h.Must(201, "POST", "/v1/activities/"+activity+"/attendance/check-in", tokens[i], atPlace)
	}
	sent := make([]time.Time, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		sent[i] = time.Now()
		h.Must(200, "POST", "/v1/activities/"+activity+"/attendance/check-out", tokens[i], atPlace)
	}
	testenv.Eventually(b, 30*time.Second, func() bool { return a.seen() >= b.N })
	elapsed := time.Since(start)
	b.StopTimer()
	ceiling.Beside(b, 1, reportLatency(b, a, workers, sent, elapsed, "attendance/s"))
}

// reportLatency reports per-second throughput and p50/p99 latency from each
// request to its event's arrival, and returns the throughput for the
// ceiling's ratio.
func reportLatency(b *testing.B, a *arrivals, workers []string, sent []time.Time, elapsed time.Duration, unit string) float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	lat := make([]float64, len(workers))
	for i, w := range workers {
		lat[i] = float64(a.at[w].Sub(sent[i]).Microseconds()) / 1000
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	b.ReportMetric(float64(len(workers))/elapsed.Seconds(), unit)
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
	return float64(len(workers)) / elapsed.Seconds()
}
