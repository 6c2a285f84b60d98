package points_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/metrics"
	"github.com/nuanxin/nuanxin/pkg/outbox"
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
	t        testing.TB
	ctx      context.Context
	pool     *pgxpool.Pool
	js       jetstream.JetStream
	subjects event.Subjects
	reg      *prometheus.Registry
	runners  []*consume.Runner
}

func newHarness(t testing.TB, stars []int) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pool, err := db.Open(ctx, testenv.Postgres(t), points.Schema)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, pool, points.Schema, points.Migrations()...); err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(testenv.NATS(t), nats.ReconnectBufSize(-1))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	subjects := event.Subjects{Namespace: "t" + testenv.Unique()}
	for _, svc := range []string{"registry", "activity", "points"} {
		if err := subjects.EnsureStreams(ctx, js, svc, 1); err != nil {
			t.Fatal(err)
		}
	}
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	reg := metrics.NewRegistry()
	log := slog.New(slog.DiscardHandler)
	svc := points.NewService(points.NewStore(pool, outbox.Writer{Subjects: subjects}, reg), stars)
	srv := httptest.NewServer(points.NewHTTPHandler(svc, auth.Verifier{Key: pub}, idempotency.Keys{Pool: pool}, reg, log,
		httpx.Check{Name: "postgres", Fn: pool.Ping}))

	runners := svc.Consumers(pool, js, subjects, log, consume.NewMetrics(reg))
	relay := &outbox.Relay{Pool: pool, JS: js, PollInterval: 200 * time.Millisecond, AckTimeout: 2 * time.Second}
	done := make(chan struct{}, len(runners)+1)
	go func() { _ = relay.Run(ctx); done <- struct{}{} }()
	for _, r := range runners {
		r.Durable += "-" + testenv.Unique()
		r.Backoff = []time.Duration{100 * time.Millisecond}
		go func() { r.RunUntilDone(ctx); done <- struct{}{} }()
	}
	t.Cleanup(func() {
		srv.Close()
		cancel()
		for range len(runners) + 1 {
			<-done
		}
		nc.Close()
		pool.Close()
	})
	return &harness{API: testenv.API{T: t, URL: srv.URL, Key: key}, t: t, ctx: ctx, pool: pool, js: js, subjects: subjects, reg: reg,
		runners: runners}
}

// publish puts an event on its producer's stream, as that service's relay
// would, and returns it.
func (h *harness) publish(name event.Name, street, subject string, data any) event.Envelope {
	h.t.Helper()
	e, err := event.New(name, street, subject, data)
	if err != nil {
		h.t.Fatal(err)
	}
	h.republish(name, e)
	return e
}

// republish delivers an event again under a fresh message id, as a broker
// redelivery or a producer's retry would: the stream keeps both copies.
func (h *harness) republish(name event.Name, e event.Envelope) {
	h.t.Helper()
	raw, err := json.Marshal(e)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.js.Publish(h.ctx, h.subjects.For(name, e.Street), raw, jetstream.WithMsgID(uuid.NewString())); err != nil {
		h.t.Fatal(err)
	}
}

// openAccount registers a worker in the registry's stream and waits for
// the account to open.
func (h *harness) openAccount(street, community string) string {
	h.t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	h.publish(event.WorkerRegistered, street, id, event.WorkerData{WorkerID: id, Street: street, Community: community,
		Occupation: "food_delivery", PoliticalStatus: "masses", Status: "active"})
	h.eventually(func() bool { return h.count("SELECT count(*) FROM accounts WHERE worker_id = $1", id) == 1 })
	return id
}

// attendance publishes an attendance.recorded event for a service done at
// out, and returns it.
func (h *harness) attendance(worker, street, kind string, hours float64, volunteer bool, out time.Time) event.Envelope {
	h.t.Helper()
	return h.publish(event.AttendanceRecorded, street, uuid.NewString(), event.AttendanceData{
		ActivityID: uuid.NewString(), WorkerID: worker, Street: street, Kind: kind, Hours: hours,
		VolunteerService: volunteer, CheckedInAt: out.Add(-time.Duration(hours * float64(time.Hour))), CheckedOutAt: out})
}

// settled waits until both consumers have handled (and acknowledged)
// everything on their streams.
func (h *harness) settled() {
	h.t.Helper()
	h.eventually(func() bool {
		for _, r := range h.runners {
			c, err := h.js.Consumer(h.ctx, r.Stream, r.Durable)
			if err != nil {
				return false
			}
			info, err := c.Info(h.ctx)
			if err != nil || info.NumPending > 0 || info.NumAckPending > 0 {
				return false
			}
		}
		return true
	})
}

// fund gives a worker points by a district admin's adjustment.
func (h *harness) fund(worker string, pts int) {
	h.t.Helper()
	h.Must(201, "POST", "/v1/accounts/"+worker+"/adjustments", h.District(), map[string]any{"points": pts, "reason": "测试充值"})
}

func (h *harness) balance(worker string) int64 {
	h.t.Helper()
	var b int64
	if err := h.pool.QueryRow(h.ctx, "SELECT balance FROM accounts WHERE worker_id = $1", worker).Scan(&b); err != nil {
		h.t.Fatal(err)
	}
	return b
}

func (h *harness) count(sql string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.pool.QueryRow(h.ctx, sql, args...).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func (h *harness) eventually(cond func() bool) {
	h.t.Helper()
	testenv.Eventually(h.t, 15*time.Second, cond)
}

// events returns the points stream's events of one type, once the outbox
// is empty.
func (h *harness) events(name event.Name) []event.Envelope {
	h.t.Helper()
	h.eventually(func() bool { return h.count("SELECT count(*) FROM outbox") == 0 })
	st, err := h.js.Stream(h.ctx, h.subjects.Stream("points"))
	if err != nil {
		h.t.Fatal(err)
	}
	info, _ := st.Info(h.ctx)
	var out []event.Envelope
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(h.ctx, seq)
		if err != nil {
			h.t.Fatal(err)
		}
		e, _ := event.Parse(m.Data)
		if e.Type == name.Type() {
			out = append(out, e)
		}
	}
	return out
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
