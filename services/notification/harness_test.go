package notification_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/pii"
	"github.com/nuanxin/nuanxin/pkg/places"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/notification"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// clock is a settable time for the service and its dispatcher.
type clock struct {
	mu  sync.Mutex
	now time.Time // zero: the real time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() {
		return time.Now().UTC().Truncate(time.Microsecond)
	}
	return c.now
}

func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t.UTC(); c.mu.Unlock() }

// nextYear is a time in Shanghai a year ahead of the real one, for tests that
// set the clock: it moves forward from the real time the harness starts
// with, never back. Set back, a dispatcher round that read the real time
// just before could claim a push held until a past night's morning as
// long due, and send it in quiet hours.
func nextYear(month time.Month, day, hour, min, sec, nsec int) time.Time {
	return time.Date(time.Now().Year()+1, month, day, hour, min, sec, nsec, notification.Shanghai)
}

// harness is the notification service wired as in main — relay, consumers,
// broadcast job and dispatcher running, with fast retries — on a fresh
// database and a unique NATS namespace, behind an httptest server. Other
// services' events are published onto their real streams.
type harness struct {
	testenv.API
	testenv.Bus
	t     testing.TB
	ctx   context.Context
	svc   *notification.Service
	store *notification.Store
	clock *clock
	sms   *recording
	log   *slog.Logger // the service's: shown if the test fails
}

// recording is a provider that remembers what it sent.
type recording struct {
	mu   sync.Mutex
	sent []notification.Push
}

func (r *recording) Send(_ context.Context, p notification.Push) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, p)
	return nil
}

func (r *recording) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.sent) }

func newHarness(t testing.TB) *harness {
	t.Helper()
	env := testenv.NewService(t, notification.Schema, notification.Migrations(), "registry", "activity", "points", "notification")
	clk := &clock{}
	box, err := pii.NewBox([]byte(strings.Repeat("e", pii.KeySize)), []byte(strings.Repeat("h", pii.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	bell := outbox.NewBell() // as app.Runtime wires them
	store := notification.NewStore(env.Pool, outbox.Writer{Subjects: env.Subjects, Bell: bell}, box)
	svc := notification.NewService(store, clk.Now)
	srv := httptest.NewServer(notification.NewHTTPHandler(svc, auth.Verifier{Key: env.PublicKey, Places: places.NewKnown(env.Pool), Verified: &auth.Verified{}}, idempotency.Keys{Pool: env.Pool}, env.Metrics, env.Log,
		httpx.Check{Name: "postgres", Fn: env.Pool.Ping}))
	t.Cleanup(srv.Close)
	sms := &recording{}
	metrics := notification.NewMetrics(env.Metrics, env.Pool)
	dispatcher := &notification.Dispatcher{Store: store, Log: env.Log, Now: clk.Now, Metrics: metrics,
		RetryBase: 20 * time.Millisecond, Poll: 20 * time.Millisecond, Senders: map[string]notification.Provider{"sms": sms, "wechat": sms,
			"webhook": notification.NewWebhook(2*time.Second, true)}}
	relay := &outbox.Relay{Pool: env.Pool, JS: env.JS, Bell: bell, PollInterval: 100 * time.Millisecond, AckTimeout: 2 * time.Second}
	env.Go(func(ctx context.Context) { _ = relay.Run(ctx) })
	env.Go(dispatcher.Run)
	env.Go(notification.BroadcastJob{Service: svc, Log: env.Log, Metrics: metrics, Idle: 20 * time.Millisecond}.Run)
	runners := env.Consume(svc.Consumers(env.Pool, env.JS, env.Subjects, env.Log, consume.NewMetrics(env.Metrics)), 50*time.Millisecond)
	h := &harness{t: t, ctx: env.Ctx, svc: svc, store: store, clock: clk, sms: sms, log: env.Log, API: env.API(srv.URL), Bus: env.Bus(runners)}
	h.knownPlaces()
	return h
}

// knownPlaces puts the tests' streets and communities straight into the
// projection, as if registry events had told of them (with the names the
// tests' events give them): tokens of a place the registry never created
// are refused.
func (h *harness) knownPlaces() {
	h.t.Helper()
	if _, err := h.Pool.Exec(h.ctx, `INSERT INTO streets (code) VALUES ('qishan'), ('zhifu');
		INSERT INTO communities (street, code, name) VALUES ('qishan', 'tashan', '塔山社区')`); err != nil {
		h.t.Fatal(err)
	}
}

// worker registers a worker through a registry event and returns the id.
func (h *harness) worker(street, community string) string {
	h.t.Helper()
	id := uuid.Must(uuid.NewV7()).String()
	h.Publish(event.WorkerRegistered, street, id, event.WorkerData{WorkerID: id, Street: street, Community: community,
		Occupation: "food_delivery", PoliticalStatus: "masses", Status: "active"})
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

// inbox returns a worker's inbox items.
func (h *harness) inbox(worker string) []map[string]any {
	h.t.Helper()
	var out []map[string]any
	for _, it := range h.Must(200, "GET", "/v1/inbox", h.Worker(worker), nil).Items() {
		out = append(out, it.(map[string]any))
	}
	return out
}

// authStaff is a community staff member of qishan/tashan with a subject.
func authStaff(subject string) auth.Principal {
	return auth.Principal{Role: auth.CommunityStaff, Street: "qishan", Community: "tashan", Subject: subject}
}
