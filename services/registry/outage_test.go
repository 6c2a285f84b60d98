package registry_test

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// With NATS stopped, registrations still succeed (the outbox keeps their
// events); when NATS is back every event reaches the stream exactly once,
// in commit order.
func TestOutage_workersRegisteredWhileNATSIsDownAllArriveOnceInOrder(t *testing.T) {
	dir, err := os.MkdirTemp("", "nats-outage-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ns := testenv.NATSServer(t, 0, dir)
	port := ns.Addr().(*net.TCPAddr).Port
	h := newHarness(t, ns.ClientURL())
	h.seedOrg()
	h.Published("registry")

	ns.Shutdown()
	ns.WaitForShutdown()

	var ids []string
	for i := range 100 {
		ids = append(ids, h.registerWorker(100+i, []string{"tashan", "changsheng", "jianshelu"}[i%3]))
	}
	if n := h.count("outbox"); n != 100 {
		t.Fatalf("outbox holds %d events while NATS is down, want 100", n)
	}

	testenv.NATSServer(t, port, dir)
	evs := ofType(h.Published("registry"), "nuanxin.registry.worker.registered")
	if len(evs) != 100 {
		t.Fatalf("worker.registered events = %d, want exactly 100", len(evs))
	}
	seen := map[string]bool{}
	for i, e := range evs {
		if e.Envelope.Subject != ids[i] {
			t.Fatalf("event %d is for worker %s, want %s (commit order)", i, e.Envelope.Subject, ids[i])
		}
		if seen[e.ID] {
			t.Fatalf("event %s stored twice", e.ID)
		}
		seen[e.ID] = true
	}
}

func TestOperations_healthReadinessAndMetricsMove(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	h.Must(200, "GET", "/healthz", "", nil)
	h.Must(200, "GET", "/readyz", "", nil)
	h.registerWorker(1, "tashan")
	h.Published("registry")

	testenv.Eventually(t, 20*time.Second, func() bool {
		body := string(h.Must(200, "GET", "/metrics", "", nil).Raw)
		return strings.Contains(body, `nuanxin_http_requests_total{code="201",route="POST /v1/workers"} 1`) &&
			strings.Contains(body, `nuanxin_registry_events_total{street="qishan",type="nuanxin.registry.worker.registered"} 1`) &&
			strings.Contains(body, "nuanxin_outbox_published_total 6") &&
			strings.Contains(body, "nuanxin_outbox_backlog 0") &&
			strings.Contains(body, `nuanxin_db_pool_connections{state="idle"}`)
	})
}
