package registry_test

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/nuanxin/nuanxin/pkg/ceiling"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/natsserver"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// arrivals records when each worker's registered event reaches a subscriber
// on the registry stream's subject, keyed by worker id.
type arrivals struct {
	mu   sync.Mutex
	at   map[string]time.Time
	sub  *nats.Subscription
	seen atomic.Int64
}

func (h *harness) watchRegistrations(b *testing.B) *arrivals {
	nc, err := nats.Connect(h.JS.Conn().ConnectedUrl())
	if err != nil {
		b.Fatal(err)
	}
	a := &arrivals{at: map[string]time.Time{}}
	a.sub, err = nc.Subscribe(h.Subjects.Filter(event.WorkerRegistered), func(m *nats.Msg) {
		now := time.Now()
		e, err := event.Parse(m.Data)
		if err != nil {
			return
		}
		a.mu.Lock()
		if _, dup := a.at[e.Subject]; !dup {
			a.at[e.Subject] = now
			a.seen.Add(1)
		}
		a.mu.Unlock()
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	return a
}

// BenchmarkRegisterWorker_httpToJetStream measures one clerk registering
// workers one after another: the latency from sending the HTTP request to
// the event arriving from JetStream (which stores it, fsynced, before the
// relay's ack), and the writes per second that gives.
func BenchmarkRegisterWorker_httpToJetStream(b *testing.B) {
	benchSequential(b, "")
}

// BenchmarkRegisterWorker_httpToJetStream_lazySync is the same against a
// NATS server that does not fsync before acknowledging (the nats-server
// default): the difference is what sync_interval: always costs. Its
// ceiling is still measured on the test environment's NATS, which fsyncs,
// so its pct-of-ceiling may pass 100.
func BenchmarkRegisterWorker_httpToJetStream_lazySync(b *testing.B) {
	srv, err := natsserver.Start(natsserver.Options{StoreDir: b.TempDir(), UnsafeLazySync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	benchSequential(b, srv.ClientURL())
}

func benchSequential(b *testing.B, natsURL string) {
	h := newHarness(b, natsURL)
	h.seedOrg()
	a := h.watchRegistrations(b)
	token := h.District()
	sent := map[string]time.Time{}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		r := h.Must(201, "POST", "/v1/workers", token, workerBody(1_000_000+i, "tashan"))
		sent[r.Str("id")] = t0
	}
	testenv.Eventually(b, 30*time.Second, func() bool { return a.seen.Load() >= int64(b.N) })
	elapsed := time.Since(start)
	b.StopTimer()
	ceiling.Beside(b, 1, report(b, a, sent, elapsed))
}

// BenchmarkRegisterWorker_parallel measures throughput with 8 clerks (HTTP
// clients) at once, end to end to JetStream.
func BenchmarkRegisterWorker_parallel(b *testing.B) {
	h := newHarness(b, "")
	h.seedOrg()
	a := h.watchRegistrations(b)
	token := h.District()
	var mu sync.Mutex
	sent := map[string]time.Time{}
	var serial atomic.Int64
	serial.Store(2_000_000)
	const perProc = 4
	b.SetParallelism(perProc) // 4 × GOMAXPROCS(2) = 8 concurrent clients
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			t0 := time.Now()
			r := h.Do("POST", "/v1/workers", token, workerBody(int(serial.Add(1)), "tashan"))
			if r.Status != 201 {
				b.Errorf("status %d: %s", r.Status, r.Raw)
				return
			}
			mu.Lock()
			sent[r.Str("id")] = t0
			mu.Unlock()
		}
	})
	testenv.Eventually(b, 60*time.Second, func() bool { return a.seen.Load() >= int64(len(sent)) })
	elapsed := time.Since(start)
	b.StopTimer()
	ceiling.Beside(b, perProc*runtime.GOMAXPROCS(0), report(b, a, sent, elapsed))
}

// report reports throughput and latency from each request to its event's
// arrival, and returns the writes per second for the ceiling's ratio.
func report(b *testing.B, a *arrivals, sent map[string]time.Time, elapsed time.Duration) float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	lat := make([]float64, 0, len(sent))
	for id, t0 := range sent {
		at, ok := a.at[id]
		if !ok {
			b.Fatalf("no event for worker %s", id)
		}
		lat = append(lat, float64(at.Sub(t0).Microseconds())/1000)
	}
	if len(lat) == 0 {
		b.Fatal("no request completed")
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	b.ReportMetric(float64(len(sent))/elapsed.Seconds(), "writes/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op") // ns/op is dominated by the wait for the stream; the figures above say it better
	if testing.Verbose() {
		fmt.Printf("n=%d writes/s=%.0f p50=%.2fms p99=%.2fms\n", len(sent), float64(len(sent))/elapsed.Seconds(), pct(0.5), pct(0.99))
	}
	return float64(len(sent)) / elapsed.Seconds()
}
