package activity_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
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
	t        testing.TB
	ctx      context.Context
	srv      *httptest.Server
	pool     *pgxpool.Pool
	dbURL    string
	js       jetstream.JetStream
	subjects event.Subjects
	key      ed25519.PrivateKey
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
	return &harness{t: t, ctx: ctx, srv: srv, pool: pool, dbURL: url, js: js, subjects: subjects, key: key, reg: reg, photoDir: photoDir}
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
	svc := registry.NewService(registry.NewStore(pool, outbox.Writer{Subjects: h.subjects}, prometheus.NewRegistry()), box)
	relay := &outbox.Relay{Pool: pool, JS: h.js, PollInterval: 200 * time.Millisecond}
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
	if _, err := h.pool.Exec(h.ctx, `INSERT INTO workers (id, street, community, status, occupation, event_time)
		VALUES ($1, $2, $3, 'active', 'food_delivery', now())`, id, street, community); err != nil {
		h.t.Fatal(err)
	}
	return id
}

func (h *harness) token(p auth.Principal) string {
	h.t.Helper()
	if p.Subject == "" {
		p.Subject = string(p.Role) + "-test"
	}
	s, err := auth.Issue(h.key, p, time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) district() string { return h.token(auth.Principal{Role: auth.DistrictAdmin}) }
func (h *harness) streetAdmin(street string) string {
	return h.token(auth.Principal{Role: auth.StreetAdmin, Street: street})
}
func (h *harness) staff(street, community string) string {
	return h.token(auth.Principal{Role: auth.CommunityStaff, Street: street, Community: community})
}
func (h *harness) worker(id string) string {
	return h.token(auth.Principal{Role: auth.Worker, WorkerID: id})
}

type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

func (r response) str(key string) string { s, _ := r.Body[key].(string); return s }

func (r response) field() string {
	errs, _ := r.Body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	f, _ := errs[0].(map[string]any)["field"].(string)
	return f
}

// do sends body (a string as is, anything else as JSON).
func (h *harness) do(method, path, token string, body any) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, h.srv.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	_ = json.Unmarshal(raw, &out.Body)
	return out
}

func (h *harness) must(want int, method, path, token string, body any) response {
	h.t.Helper()
	r := h.do(method, path, token, body)
	if r.Status != want {
		h.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Raw)
	}
	return r
}

func (h *harness) count(sql string, args ...any) int {
	h.t.Helper()
	var n int
	if err := h.pool.QueryRow(h.ctx, sql, args...).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// events returns the activity stream's events of one type, waiting until
// the outbox is empty.
func (h *harness) events(typ string) []event.Envelope {
	h.t.Helper()
	eventually(h.t, 15*time.Second, func() bool { return h.count("SELECT count(*) FROM outbox") == 0 })
	st, err := h.js.Stream(h.ctx, h.subjects.Stream("activity"))
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
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func eventually(t testing.TB, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
