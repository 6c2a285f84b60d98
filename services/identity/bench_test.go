package identity_test

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/ceiling"
	"github.com/nuanxin/nuanxin/services/identity"
)

// BenchmarkPasswordSignIn_parallel measures staff sign-ins per second with
// the argon2id parameters of passwords.go (19 MiB, t=2, p=1), four clients
// per core, through HTTP to the session written with its audit event. A
// sign-in is one hash: the hash rate on all cores, measured right after
// in the same run, bounds it ("hashes/s", "pct-of-hash-rate"); the bare
// pipeline's ceiling is reported beside it as for every write path.
func BenchmarkPasswordSignIn_parallel(b *testing.B) {
	h := newHarness(b)
	district := h.admin()
	const accounts = 8
	passwords := make([]string, accounts)
	for i := range accounts {
		name := fmt.Sprintf("bench.staff%d", i)
		_, pw := h.create(district, map[string]any{"username": name, "role": "community_staff", "street": "qishan", "community": "tashan"})
		passwords[i] = fmt.Sprintf("Bench-staff-password-%d", i)
		h.Must(201, "POST", "/v1/sessions", "", map[string]any{"username": name, "password": pw, "new_password": passwords[i]})
	}
	var next atomic.Int64
	lat := latencies{}
	const perProc = 4
	b.SetParallelism(perProc)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1)) % accounts
			t0 := time.Now()
			r := h.Do("POST", "/v1/sessions", "", map[string]any{"username": fmt.Sprintf("bench.staff%d", i), "password": passwords[i]})
			if r.Status != 201 {
				b.Errorf("sign-in: %d %s", r.Status, r.Raw)
				return
			}
			lat.add(time.Since(t0))
		}
	})
	perSecond := float64(b.N) / time.Since(start).Seconds()
	b.StopTimer()
	b.ReportMetric(perSecond, "sign-ins/s")
	lat.report(b)
	hashes := hashRate(b, runtime.GOMAXPROCS(0))
	b.ReportMetric(hashes, "hashes/s")
	b.ReportMetric(100*perSecond/hashes, "pct-of-hash-rate")
	ceiling.Beside(b, perProc*runtime.GOMAXPROCS(0), perSecond)
}

// hashRate is argon2id hashes a second with clients goroutines hashing at
// once for about two seconds — one per core is the most this machine
// hashes (more share the cores and the memory bandwidth, 19 MiB each):
// the bound of password sign-ins.
func hashRate(b *testing.B, clients int) float64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(2 * time.Second)
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if _, err := identity.HashPasswordForBench("Bench-staff-password-0"); err != nil {
					b.Error(err)
					return
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

// BenchmarkCodeSignIn measures a rider's sign-in with a one-time code, one
// client: the check of the code (its keyed hash compared in constant time,
// the limits' counts) and the session of a worker the registry told of.
// The codes are sent before the timer starts, each mobile its own (a code
// a minute per mobile) and from an address of its own (30 an hour each).
func BenchmarkCodeSignIn(b *testing.B) {
	h := newHarness(b)
	mobiles := make([]string, b.N)
	codes := make([]string, b.N)
	ips := make([]string, b.N)
	for i := range b.N {
		mobiles[i] = fmt.Sprintf("136%08d", i)
		ips[i] = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		if _, err := h.env.Pool.Exec(h.env.Ctx, `INSERT INTO workers (worker_id, mobile_match, street, community, status, event_time)
			VALUES ($1, $2, 'qishan', 'tashan', 'active', now())`, uuid.New(), h.match.Of(mobiles[i])); err != nil {
			b.Fatal(err)
		}
		codes[i] = h.riderCode(mobiles[i], ips[i])
	}
	lat := latencies{}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		t0 := time.Now()
		if r := h.codeSignIn(mobiles[i], codes[i], ips[i]); r.Status != 201 {
			b.Fatalf("sign-in: %d %s", r.Status, r.Raw)
		}
		lat.add(time.Since(t0))
	}
	perSecond := float64(b.N) / time.Since(start).Seconds()
	b.StopTimer()
	b.ReportMetric(perSecond, "sign-ins/s")
	lat.report(b)
	ceiling.Beside(b, 1, perSecond)
}

// latencies collects request times from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) { l.mu.Lock(); l.d = append(l.d, d); l.mu.Unlock() }

// report reports p50 and p99 in milliseconds.
func (l *latencies) report(b *testing.B) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	at := func(q float64) float64 { return float64(l.d[int(q*float64(len(l.d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
