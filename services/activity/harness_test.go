package activity_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/metrics"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/pii"
	"github.com/nuanxin/nuanxin/pkg/places"
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
	photoDir := t.TempDir() // removed after the jobs stop
	env := testenv.NewService(t, activity.Schema, activity.Migrations(), "registry", "activity")
	metrics.RegisterPool(env.Metrics, env.Pool)
	bell := outbox.NewBell() // as app.Runtime wires them
	svc := activity.NewService(activity.NewStore(env.Pool, outbox.Writer{Subjects: env.Subjects, Bell: bell}))
	svc.SetPhotos(activity.DiskPhotos{Dir: photoDir})
	srv := httptest.NewServer(activity.NewHTTPHandler(svc, auth.Verifier{Key: env.PublicKey, Places: places.NewKnown(env.Pool), Verified: &auth.Verified{}}, idempotency.Keys{Pool: env.Pool}, env.Metrics, env.Log,
		httpx.Check{Name: "postgres", Fn: env.Pool.Ping}))
	t.Cleanup(srv.Close)

	relay := &outbox.Relay{Pool: env.Pool, JS: env.JS, Bell: bell, PollInterval: 200 * time.Millisecond, AckTimeout: 2 * time.Second}
	env.Go(func(ctx context.Context) { _ = relay.Run(ctx) })
	m := consume.NewMetrics(env.Metrics)
	runners := env.Consume([]*consume.Runner{activity.WorkerConsumer(env.Pool, env.JS, env.Subjects, env.Log, m),
		places.Consumer("activity-places", env.Pool, env.JS, env.Subjects, env.Log, m)})
	h := &harness{t: t, ctx: env.Ctx, dbURL: env.DatabaseURL, reg: env.Metrics, photoDir: photoDir,
		API: env.API(srv.URL), Bus: env.Bus(runners)}
	h.knownPlaces()
	return h
}

// knownPlaces puts the tests' streets and communities straight into the
// projection, as if registry events had told of them: for tests about
// what is placed there, not about the projection.
func (h *harness) knownPlaces() {
	h.t.Helper()
	if _, err := h.Pool.Exec(h.ctx, `INSERT INTO streets (code) VALUES ('qishan'), ('zhifu');
		INSERT INTO communities (street, code) VALUES ('qishan', 'tashan'), ('qishan', 'changsheng'), ('zhifu', 'baishi')`); err != nil {
		h.t.Fatal(err)
	}
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
	k3 := make([]byte, 32)
	rand.Read(k3)
	match, _ := pii.NewMobileMatchFromBase64(base64.StdEncoding.EncodeToString(k3))
	svc := registry.NewService(registry.NewStore(pool, outbox.Writer{Subjects: h.Subjects}, prometheus.NewRegistry()), box, match)
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
