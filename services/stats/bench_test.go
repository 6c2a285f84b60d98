package stats_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/ceiling"
	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/places"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/stats"
)

// benchSize reads a benchmark's size from the environment (digits, "_"
// allowed), or def: STATS_BENCH_EVENTS=20000 smoke-runs the 1M benchmark.
func benchSize(b *testing.B, name string, def int) int {
	s := strings.ReplaceAll(os.Getenv(name), "_", "")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive number of events", name, os.Getenv(name))
	}
	return n
}

// BenchmarkConsume_burst leaves a backlog of 20,000 events of a district
// (STATS_BENCH_BURST to change it) on the four streams — stored before the
// stats consumers start, as after an outage — then starts the service as
// main wires it (four archiving consumers and the projector) and measures
// how fast the backlog is archived: events/s over all four streams, and
// each stream's own rate (its events over the time until its last one was
// archived: what its one consumer did, beside the other three). Also:
// projected-events/s, until the figures have applied everything.
func BenchmarkConsume_burst(b *testing.B) {
	n := benchSize(b, "STATS_BENCH_BURST", 20_000)
	var archived, projected time.Duration
	perStream := map[string]time.Duration{}
	counts := map[string]int{}
	for i := range b.N {
		b.StopTimer()
		env := testenv.NewService(b, stats.Schema, stats.Migrations(), stats.Streams...)
		want := storeBurst(b, env, district(uint64(100+i), n))
		for s, c := range want {
			counts[s] += c
		}
		wake := make(chan struct{}, 1)
		projector := &stats.Projector{Pool: env.Pool, Log: env.Log, Wake: wake, Poll: 50 * time.Millisecond}
		b.StartTimer()
		start := time.Now()
		env.Go(projector.Run)
		env.Consume(stats.Consumers(env.Pool, env.JS, env.Subjects, env.Log, consume.NewMetrics(env.Metrics), wake), 50*time.Millisecond)
		done := map[string]time.Duration{}
		testenv.Eventually(b, 5*time.Minute, func() bool {
			for s, c := range archivedPerStream(b, env.Ctx, env.Pool) {
				if _, ok := done[s]; !ok && c >= want[s] {
					done[s] = time.Since(start)
				}
			}
			return len(done) == len(want)
		})
		archived += time.Since(start)
		for s, d := range done {
			perStream[s] += d
		}
		testenv.Eventually(b, 5*time.Minute, func() bool {
			st, err := stats.ReadStatus(env.Ctx, env.Pool)
			if err != nil {
				b.Fatal(err)
			}
			return st.Applied == int64(n) && st.Archived == int64(n)
		})
		projected += time.Since(start)
		b.StopTimer()
	}
	rate := float64(n*b.N) / archived.Seconds()
	b.ReportMetric(rate, "events/s")
	for _, s := range stats.Streams {
		if perStream[s] > 0 {
			b.ReportMetric(float64(counts[s])/perStream[s].Seconds(), s+"-events/s")
		}
	}
	b.ReportMetric(float64(n*b.N)/projected.Seconds(), "projected-events/s")
	b.ReportMetric(0, "ns/op")
	b.Logf("burst of %d events per run: %v", n, counts)
	// No clients here, but the machine's load moves this figure as much as
	// the code does: the bare pipeline with 8 clients, measured now, is what
	// it can be read against.
	ceiling.Beside(b, 8, rate)
}

// storeBurst stores events on their streams in env's namespace, as their
// producers' relays would, and waits until JetStream has stored them all.
// It returns how many went on each stream.
func storeBurst(b *testing.B, env *testenv.Service, events iter.Seq[benchEvent]) map[string]int {
	b.Helper()
	// A JetStream context that keeps thousands of publishes in flight and
	// waits, rather than fails, while as many are unacknowledged.
	js, err := jetstream.New(env.JS.Conn(), jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		b.Fatal(err)
	}
	counts := map[string]int{}
	for e := range events {
		raw, err := json.Marshal(e.env)
		if err != nil {
			b.Fatal(err)
		}
		name, err := e.env.Name()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := js.PublishAsync(env.Subjects.For(name, e.env.Street), raw, jetstream.WithMsgID(e.env.ID),
			jetstream.WithStallWait(time.Minute)); err != nil {
			b.Fatal(err)
		}
		counts[e.stream]++
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(2 * time.Minute):
		b.Fatal("the burst was not stored within two minutes")
	}
	return counts
}

// archivedPerStream counts the archive's events per stream.
func archivedPerStream(b *testing.B, ctx context.Context, pool *pgxpool.Pool) map[string]int {
	rows, err := pool.Query(ctx, "SELECT stream, count(*) FROM events GROUP BY stream")
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var s string
		var c int
		if err := rows.Scan(&s, &c); err != nil {
			b.Fatal(err)
		}
		out[s] = c
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkRebuild_1M fills the archive with 1,000,000 events of a district
// of about 110,000 workers in 3 streets and 10 communities over twelve
// months (STATS_BENCH_EVENTS to change the count), then:
//
//   - rebuild: rebuilds every figure from it, from StartRebuild until the
//     projector has swapped the new generation in. events/s, seconds, the
//     rate over the first and the last tenth (does a chunk slow down as the
//     figures grow?), and the peak heap in use meanwhile (bounded by a
//     chunk, whatever the count). Target (issue 12): 1M in under 5 minutes.
//   - overview_district and series_district: GET /v1/stats/overview and
//     /v1/stats/series for the district over those figures, through HTTP,
//     one request at a time: p50 and p99. Target: p99 under 50 ms.
//
// The live generation is marked as having applied the whole archive before
// the rebuild (as it would have, event by event), so the rebuild's
// projector does only the rebuild's work.
func BenchmarkRebuild_1M(b *testing.B) {
	n := benchSize(b, "STATS_BENCH_EVENTS", 1_000_000)
	env := testenv.NewService(b, stats.Schema, stats.Migrations())
	filled := fillArchive(b, env, district(42, n))

	now := time.Date(2026, 11, 30, 12, 0, 0, 0, stats.Shanghai)
	svc := stats.NewService(env.Pool, func() time.Time { return now })
	srv := httptest.NewServer(stats.NewHTTPHandler(svc, auth.Verifier{Key: env.PublicKey, Places: places.NewKnown(env.Pool), Verified: &auth.Verified{}},
		idempotency.Keys{Pool: env.Pool}, env.Metrics, env.Log, httpx.Check{Name: "postgres", Fn: env.Pool.Ping}))
	b.Cleanup(srv.Close)
	token := env.API(srv.URL).District()

	rebuilt := false
	b.Run("rebuild", func(b *testing.B) {
		b.Log(filled)
		var took, first, last time.Duration
		var peak, before uint64
		for range b.N {
			r := rebuild(b, env, n)
			took, first, last = took+r.took, first+r.first, last+r.last
			peak, before = max(peak, r.peak), max(before, r.before)
		}
		rebuilt = true
		b.ReportMetric(float64(n*b.N)/took.Seconds(), "events/s")
		b.ReportMetric(took.Seconds()/float64(b.N), "s/rebuild")
		b.ReportMetric(float64(n/10*b.N)/first.Seconds(), "first-10pct-events/s")
		b.ReportMetric(float64(n/10*b.N)/last.Seconds(), "last-10pct-events/s")
		b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
		b.ReportMetric(float64(before)/1e6, "heap-before-MB")
		b.ReportMetric(float64(n), "events")
		b.ReportMetric(0, "ns/op")
	})
	figures := func(b *testing.B) {
		if !rebuilt { // the rebuild was left out (-bench …/overview)
			b.StopTimer()
			rebuild(b, env, n)
			rebuilt = true
			b.StartTimer()
		}
	}
	b.Run("overview_district", func(b *testing.B) {
		figures(b)
		latency(b, srv.URL+"/v1/stats/overview?scope=district", token, func(body []byte) {
			var o stats.Overview
			if err := json.Unmarshal(body, &o); err != nil {
				b.Fatal(err)
			}
			for _, f := range o.Figures {
				if f.Metric == "workers" {
					b.Logf("the district's workers as of %s: %v", o.At, f.Value)
					if f.Value == 0 {
						b.Fatal("the rebuilt figures count no worker")
					}
				}
			}
		})
	})
	b.Run("series_district", func(b *testing.B) {
		figures(b)
		latency(b, srv.URL+"/v1/stats/series?metric=workers&scope=district&from=2025-12&to=2026-11", token, func(body []byte) {
			var s stats.Series
			if err := json.Unmarshal(body, &s); err != nil {
				b.Fatal(err)
			}
			if len(s.Points) != 12 || s.Points[11].Value == 0 {
				b.Fatalf("series of workers: %+v", s.Points)
			}
			b.Logf("the district's workers at the end of %s: %v, of %s: %v", s.Points[0].Month, s.Points[0].Value,
				s.Points[11].Month, s.Points[11].Value)
		})
	})
}

// fillArchive writes events into the archive with COPY, 50,000 rows a
// transaction (each a txid of its own, as consumers' batches have), marks
// the live generation as having applied them all, and vacuums. It says
// what it filled.
func fillArchive(b *testing.B, env *testenv.Service, events iter.Seq[benchEvent]) string {
	b.Helper()
	start := time.Now()
	next, stop := iter.Pull(events)
	defer stop()
	const perCopy = 50_000
	for more := true; more; {
		rows := 0
		_, err := env.Pool.CopyFrom(env.Ctx, pgx.Identifier{"events"}, []string{"id", "stream", "type", "envelope"},
			pgx.CopyFromFunc(func() ([]any, error) {
				if rows == perCopy {
					return nil, nil
				}
				e, ok := next()
				if !ok {
					more = false
					return nil, nil
				}
				raw, err := json.Marshal(e.env)
				if err != nil {
					return nil, err
				}
				rows++
				return []any{e.env.ID, e.stream, e.env.Type, json.RawMessage(raw)}, nil
			}))
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, sql := range []string{
		// COPY went around archive(), which keeps these counts.
		`INSERT INTO archive_counts (stream, archived) SELECT stream, count(*) FROM events GROUP BY stream
		 ON CONFLICT (stream) DO UPDATE SET archived = EXCLUDED.archived`,
		`UPDATE progress p SET txid = l.txid, seq = l.seq, applied = (SELECT count(*) FROM events)
		 FROM (SELECT txid, seq FROM events ORDER BY txid DESC, seq DESC LIMIT 1) l
		 WHERE p.gen = (SELECT current_gen FROM state)`,
		`VACUUM ANALYZE events`,
	} {
		if _, err := env.Pool.Exec(env.Ctx, sql); err != nil {
			b.Fatal(err)
		}
	}
	return fmt.Sprintf("archive filled in %v (untimed): %v events per stream, %d workers registered", time.Since(start).Round(time.Millisecond),
		archivedPerStream(b, env.Ctx, env.Pool), count(b, env, `SELECT count(*) FROM events WHERE type = 'nuanxin.registry.worker.registered'`))
}

func count(b *testing.B, env *testenv.Service, sql string) int {
	var n int
	if err := env.Pool.QueryRow(env.Ctx, sql).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// rebuildRun is one rebuild's measurement.
type rebuildRun struct {
	took, first, last time.Duration // all of it, its first tenth, its last tenth
	peak, before      uint64        // heap in use: the most during it, and at its start
}

// rebuild times one rebuild of n archived events: from StartRebuild until
// the projector (as main runs it) has swapped the new generation in.
func rebuild(b *testing.B, env *testenv.Service, n int) rebuildRun {
	b.Helper()
	b.StopTimer()
	runtime.GC()
	var r rebuildRun
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.before = ms.HeapInuse
	var peak atomic.Uint64
	stopSampling, sampled := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	ctx, cancel := context.WithCancel(env.Ctx)
	projector := &stats.Projector{Pool: env.Pool, Log: env.Log, Poll: 5 * time.Millisecond}
	running := make(chan struct{})

	b.StartTimer()
	start := time.Now()
	gen, err := stats.StartRebuild(ctx, env.Pool)
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		defer close(running)
		projector.Run(ctx)
	}()
	var tenth, ninth, full time.Duration
	for {
		var building *int
		var applied int64
		if err := env.Pool.QueryRow(ctx, `SELECT s.building_gen, coalesce(p.applied, 0)
			FROM state s LEFT JOIN progress p ON p.gen = s.building_gen`).Scan(&building, &applied); err != nil {
			b.Fatal(err)
		}
		at := time.Since(start)
		if building == nil {
			if full == 0 {
				full = at
			}
			break
		}
		if tenth == 0 && applied >= int64(n/10) {
			tenth = at
		}
		if ninth == 0 && applied >= int64(n-n/10) {
			ninth = at
		}
		if full == 0 && applied >= int64(n) {
			full = at
		}
		if at > 30*time.Minute {
			b.Fatalf("the rebuild has applied %d of %d events in %v", applied, n, at)
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.took = time.Since(start)
	b.StopTimer()
	cancel()
	<-running
	close(stopSampling)
	<-sampled
	r.peak = peak.Load()
	r.first = max(tenth, time.Millisecond)
	r.last = max(full-ninth, time.Millisecond)

	st, err := stats.ReadStatus(env.Ctx, env.Pool)
	if err != nil {
		b.Fatal(err)
	}
	if st.Rebuilding || st.Generation != gen || st.Applied != st.Archived || st.Archived != int64(n) {
		b.Fatalf("after the rebuild: %+v, want generation %d with all %d events applied", st, gen, n)
	}
	b.Logf("rebuilt %d events in %v (first tenth %v, last tenth %v); peak heap %d MB",
		n, r.took.Round(time.Millisecond), tenth.Round(time.Millisecond), (full - ninth).Round(time.Millisecond), r.peak>>20)
	b.StartTimer()
	return r
}

// latency GETs url with token b.N times, one request at a time over a kept
// connection, and reports p50-ms and p99-ms (client and server share the
// process). check sees the first answer's body, untimed.
func latency(b *testing.B, url, token string, check func(body []byte)) {
	b.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	b.Cleanup(client.CloseIdleConnections)
	get := func() []byte {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("GET %s: %d %v %s", url, res.StatusCode, err, body)
		}
		return body
	}
	b.StopTimer()
	check(get()) // and warms the connection and the caches
	latencies := make([]time.Duration, 0, b.N)
	b.StartTimer()
	for range b.N {
		sent := time.Now()
		get()
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
