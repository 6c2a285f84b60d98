package activity_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
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
	"github.com/nuanxin/nuanxin/pkg/pii"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/activity"
	"github.com/nuanxin/nuanxin/services/registry"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// harness is the activity service wired as in main — its relay and its
// worker projection consumer running — on a fresh database and a unique
// NATS namespace, behind an httptest server. The registry's stream exists
// so the projection consumer can start; registry() adds a real registry.
type harness struct {
	testenv.API
	testenv.Bus
	t        testing.TB
	ctx      context.Context
	dbURL    string
	reg      *prometheus.Registry
	photoDir string
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	url := testenv.Postgres(t)
	pool, err := db.Open(ctx, url, activity.Schema)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, pool, activity.Schema, activity.Migrations()...); err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(testenv.NATS(t), nats.ReconnectBufSize(-1))
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	subjects := event.Subjects{Namespace: "t" + testenv.Unique()}
	for _, svc := range []string{"registry", "activity"} {
		if err := subjects.EnsureStreams(ctx, js, svc, 1); err != nil {
			t.Fatal(err)
		}
	}
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	reg := metrics.NewRegistry()
	metrics.RegisterPool(reg, pool)
	log := slog.New(slog.DiscardHandler)
	svc := activity.NewService(activity.NewStore(pool, outbox.Writer{Subjects: subjects}))
	photoDir := t.TempDir()
	svc.SetPhotos(activity.DiskPhotos{Dir: photoDir})
	srv := httptest.NewServer(activity.NewHTTPHandler(svc, auth.Verifier{Key: pub}, idempotency.Keys{Pool: pool}, reg, log,
		httpx.Check{Name: "postgres", Fn: pool.Ping}))

	consumer := activity.WorkerConsumer(pool, js, subjects, log, consume.NewMetrics(reg))
	consumer.Durable = "activity-workers-" + testenv.Unique()
	relay := &outbox.Relay{Pool: pool, JS: js, PollInterval: 200 * time.Millisecond, AckTimeout: 2 * time.Second}
	done := make(chan struct{}, 2)
	go func() { _ = relay.Run(ctx); done <- struct{}{} }()
	go func() { consumer.RunUntilDone(ctx); done <- struct{}{} }()
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		<-done
		nc.Close()
		pool.Close()
	})
	return &harness{t: t, ctx: ctx, dbURL: url, reg: reg, photoDir: photoDir,
		API: testenv.API{T: t, URL: srv.URL, Key: key},
		Bus: testenv.Bus{T: t, JS: js, Subjects: subjects, Pool: pool, Runners: []*consume.Runner{consumer}}}
}

// registryService starts a real registry on the same database (its own
// schema) and namespace, with its relay, so its events feed the projection.
func (h *harness) registryService() *registry.Service {
	h.t.Helper()
	pool, err := db.Open(h.ctx, h.dbURL, registry.Schema)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := db.Migrate(h.ctx, pool, registry.Schema, registry.Migrations()...); err != nil {
		h.t.Fatal(err)
	}
	k1, k2 := make([]byte, 32), make([]byte, 32)
	rand.Read(k1)
	rand.Read(k2)
	box, _ := pii.NewBox(k1, k2)
	svc := registry.NewService(registry.NewStore(pool, outbox.Writer{Subjects: h.Subjects}, prometheus.NewRegistry()), box)
	relay := &outbox.Relay{Pool: pool, JS: h.JS, PollInterval: 200 * time.Millisecond}
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan struct{})
	go func() { _ = relay.Run(ctx); close(done) }()
	h.t.Cleanup(func() { cancel(); <-done; pool.Close() })
	return svc
}

// knownWorker puts a worker straight into the projection, as if registry
// events had arrived: for tests about activities, not about the projection.
func (h *harness) knownWorker(street, community string) string {
	h.t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	if _, err := h.Pool.Exec(h.ctx, `INSERT INTO workers (id, street, community, status, occupation, event_time)
		VALUES ($1, $2, $3, 'active', 'food_delivery', now())`, id, street, community); err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *harness) count(sql string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.Pool.QueryRow(h.ctx, sql, args...).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}
