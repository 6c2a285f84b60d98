package points_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/places"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/points"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// harness is the points service wired as in main — its relay and both
// consumers running — on a fresh database and a unique NATS namespace,
// behind an httptest server. Registry and activity events are published
// onto their real streams as those services would.
type harness struct {
	testenv.API
	testenv.Bus
	t   testing.TB
	ctx context.Context
	reg *prometheus.Registry

	env  *testenv.Service
	held *consume.Runner // the earnings consumer, when held back (holdEarnings)
}

// holdEarnings is a harness option: the earnings consumer is not started
// until startEarnings, so events published before it wait on the stream.
type holdEarnings struct{}

func newHarness(t testing.TB, stars []int, opts ...holdEarnings) *harness {
	t.Helper()
	env := testenv.NewService(t, points.Schema, points.Migrations(), "registry", "activity", "points")
	bell := outbox.NewBell() // as app.Runtime wires them
	svc := points.NewService(points.NewStore(env.Pool, outbox.Writer{Subjects: env.Subjects, Bell: bell}, env.Metrics), stars)
	srv := httptest.NewServer(points.NewHTTPHandler(svc, auth.Verifier{Key: env.PublicKey, Places: places.NewKnown(env.Pool), Verified: &auth.Verified{}}, idempotency.Keys{Pool: env.Pool}, env.Metrics, env.Log,
		httpx.Check{Name: "postgres", Fn: env.Pool.Ping}))
	t.Cleanup(srv.Close)

	relay := &outbox.Relay{Pool: env.Pool, JS: env.JS, Bell: bell, PollInterval: 200 * time.Millisecond, AckTimeout: 2 * time.Second}
	env.Go(func(ctx context.Context) { _ = relay.Run(ctx) })
	all := svc.Consumers(env.Pool, env.JS, env.Subjects, env.Log, consume.NewMetrics(env.Metrics))
	var held *consume.Runner
	start := all
	if len(opts) > 0 {
		start = nil
		for _, r := range all {
			if r.Durable == "points-earnings" {
				held = r
			} else {
				start = append(start, r)
			}
		}
	}
	env.Consume(start, 100*time.Millisecond)
	h := &harness{t: t, ctx: env.Ctx, reg: env.Metrics, API: env.API(srv.URL), Bus: env.Bus(all), env: env, held: held}
	h.knownPlaces()
	return h
}

// startEarnings starts the earnings consumer a holdEarnings harness held
// back.
func (h *harness) startEarnings() {
	h.t.Helper()
	if h.held == nil {
		h.t.Fatal("startEarnings: the earnings consumer was not held back")
	}
	h.env.Consume([]*consume.Runner{h.held}, 100*time.Millisecond)
	h.held = nil
}

// knownPlaces puts the tests' streets and communities straight into the
// projection, as if registry events had told of them: tokens of a place
// the registry never created are refused.
func (h *harness) knownPlaces() {
	h.t.Helper()
	if _, err := h.Pool.Exec(h.ctx, `INSERT INTO streets (code) VALUES ('qishan'), ('zhifu');
		INSERT INTO communities (street, code) VALUES ('qishan', 'tashan'), ('qishan', 'changsheng'), ('zhifu', 'baishi')`); err != nil {
		h.t.Fatal(err)
	}
}

// openAccount registers a worker in the registry's stream and waits for
// the account to open.
func (h *harness) openAccount(street, community string) string {
	h.t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	h.Publish(event.WorkerRegistered, street, id, event.WorkerData{WorkerID: id, Street: street, Community: community,
		Occupation: "food_delivery", PoliticalStatus: "masses", Status: "active"})
	h.eventually(func() bool { return h.count("SELECT count(*) FROM accounts WHERE worker_id = $1", id) == 1 })
	return id
}

// attendance publishes an attendance.recorded event for a service done at
// out, and returns it.
func (h *harness) attendance(worker, street, kind string, hours float64, volunteer bool, out time.Time) event.Envelope {
	h.t.Helper()
	return h.Publish(event.AttendanceRecorded, street, uuid.NewString(), event.AttendanceData{
		ActivityID: uuid.NewString(), WorkerID: worker, Street: street, Kind: kind, Hours: hours,
		VolunteerService: volunteer, CheckedInAt: out.Add(-time.Duration(hours * float64(time.Hour))), CheckedOutAt: out})
}

// fund gives a worker points by a district admin's adjustment.
func (h *harness) fund(worker string, pts int) {
	h.t.Helper()
	h.Must(201, "POST", "/v1/accounts/"+worker+"/adjustments", h.District(), map[string]any{"points": pts, "reason": "测试充值"})
}

func (h *harness) balance(worker string) int64 {
	h.t.Helper()
	var b int64
	if err := h.Pool.QueryRow(h.ctx, "SELECT balance FROM accounts WHERE worker_id = $1", worker).Scan(&b); err != nil {
		h.t.Fatal(err)
	}
	return b
}

func (h *harness) count(sql string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.Pool.QueryRow(h.ctx, sql, args...).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func (h *harness) eventually(cond func() bool) {
	h.t.Helper()
	testenv.Eventually(h.t, 15*time.Second, cond)
}

// checkLedger asks the service to check its invariant and fails on any
// mismatch.
func (h *harness) checkLedger() {
	h.t.Helper()
	r := h.Must(200, "GET", "/v1/ledger/check", h.District(), nil)
	if r.Body["ok"] != true {
		h.t.Fatalf("ledger check: %s", r.Raw)
	}
}
