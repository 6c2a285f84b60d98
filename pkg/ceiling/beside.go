package ceiling

import (
	"testing"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// maxBesideWrites caps one measurement by Beside: about a second and a half
// at the rates this machine reaches, long enough to steady, short enough to
// repeat beside every benchmark.
const maxBesideWrites = 3000

// Beside measures the bare pipeline now, with clients concurrent clients, on the
// servers the test environment gives (testenv.Postgres(b), testenv.NATS(b)), and reports on b
// "ceiling-writes/s" and "pct-of-ceiling" (100*perSecond/ceiling). It stops/restarts b's timer around itself.
//
// Call it at the end of a write-path benchmark with the writes per second
// just measured: the ratio is the figure to read, since the ceiling moves
// with the machine's load as much as the service does. It uses the
// lock-free scheme (Config.Lock false) and fails b if the pipeline fails.
func Beside(b *testing.B, clients int, perSecond float64) Result {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	r, err := Measure(b.Context(), Config{
		DatabaseURL: testenv.Postgres(b),
		NATSURL:     testenv.NATS(b),
		Clients:     clients,
		Writes:      min(1000*clients, maxBesideWrites),
	})
	if err != nil {
		b.Fatalf("ceiling: %v", err)
	}
	b.ReportMetric(r.PerSecond, "ceiling-writes/s")
	b.ReportMetric(100*perSecond/r.PerSecond, "pct-of-ceiling")
	return r
}
