package ceiling

import (
	"fmt"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// BenchmarkBarePipeline measures the machine's ceiling for a write: HTTP →
// transaction with an outbox row → relay → JetStream → subscriber, with one
// and eight clients, without a global lock (transaction-id order) and with
// one (the advisory-lock scheme), so the lock's cost shows in the same run.
// Each b.N iteration is a whole measurement; run it with -benchtime=1x.
func BenchmarkBarePipeline(b *testing.B) {
	for _, lock := range []bool{false, true} {
		for _, clients := range []int{1, 8} {
			name := fmt.Sprintf("clients=%d", clients)
			if lock {
				name = "lock/" + name
			}
			b.Run(name, func(b *testing.B) {
				db, nats := testenv.Postgres(b), testenv.NATS(b)
				var r Result
				for b.Loop() {
					var err error
					r, err = Measure(b.Context(), Config{
						DatabaseURL: db, NATSURL: nats,
						Clients: clients, Writes: min(1000*clients, maxBesideWrites),
						Lock: lock,
					})
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(r.PerSecond, "writes/s")
				b.ReportMetric(float64(r.P50.Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(r.P99.Microseconds())/1000, "p99-ms")
				b.ReportMetric(0, "ns/op") // one op is a whole measurement; the figures above say it
			})
		}
	}
}

// TestMeasure_deliversEveryWriteOnce checks the pipeline is what it claims
// to be: every write's event reaches the subscriber exactly once, and the
// relay leaves nothing behind in the outbox, with either ordering scheme.
func TestMeasure_deliversEveryWriteOnce(t *testing.T) {
	for _, lock := range []bool{false, true} {
		t.Run(fmt.Sprintf("lock=%v", lock), func(t *testing.T) {
			cfg := Config{DatabaseURL: testenv.Postgres(t), NATSURL: testenv.NATS(t), Clients: 4, Writes: 200, Lock: lock}
			o, err := measure(t.Context(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			for n, c := range o.deliveries {
				if c != 1 {
					t.Errorf("write %d: event received %d times, want once", n, c)
				}
			}
			if len(o.deliveries) != cfg.Writes {
				t.Errorf("counted %d writes, want %d", len(o.deliveries), cfg.Writes)
			}
			if o.strays != 0 {
				t.Errorf("%d messages named no write", o.strays)
			}
			if o.leftover != 0 {
				t.Errorf("outbox holds %d rows after the run, want none", o.leftover)
			}
			r := o.result
			if r.Writes != cfg.Writes || r.Clients != cfg.Clients || r.PerSecond <= 0 || r.P50 <= 0 || r.P99 < r.P50 {
				t.Errorf("result %+v does not describe the run", r)
			}
		})
	}
}
