package registry_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/metrics"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/pii"
	"github.com/nuanxin/nuanxin/pkg/places"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/registry"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// harness is a registry wired as in main, on a fresh database, a unique
// NATS namespace and a running outbox relay, behind an httptest server.
type harness struct {
	testenv.API
	testenv.Bus
	t   testing.TB
	svc *registry.Service
	// match is the service's pii.MobileMatch (a test key), to compute
	// what the events carry and what enrolment tokens name.
	match *pii.MobileMatch
}

// harnessOption changes how newHarness wires the service.
type harnessOption func(c *harnessConfig)

// harnessConfig is what options change: the import runner (nil: it runs
// none, the test starts its own) and the logger of the HTTP handler and the
// runner (default testenv.FailureLog).
type harnessConfig struct {
	runner *registry.ImportRunner
	log    *slog.Logger
}

// withImportRunner sets fields of the harness's import runner.
func withImportRunner(set func(*registry.ImportRunner)) harnessOption {
	return func(c *harnessConfig) {
		if c.runner != nil {
			set(c.runner)
		}
	}
}

// withoutImportRunner leaves running imports to the test.
func withoutImportRunner() harnessOption { return func(c *harnessConfig) { c.runner = nil } }

// withLog makes the service log to log, e.g. to look at every line it wrote.
func withLog(log *slog.Logger) harnessOption { return func(c *harnessConfig) { c.log = log } }

// newHarness starts the registry against natsURL ("" = the shared test server).
func newHarness(t testing.TB, natsURL string, opts ...harnessOption) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if natsURL == "" {
		natsURL = testenv.NATS(t)
	}
	pool, err := db.Open(ctx, testenv.Postgres(t), registry.Schema)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, pool, registry.Schema, registry.Migrations()...); err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(natsURL, nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond), nats.ReconnectBufSize(-1))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	subjects := event.Subjects{Namespace: "t" + testenv.Unique()}
	if err := subjects.EnsureStreams(ctx, js, "registry", 1); err != nil {
		t.Fatal(err)
	}
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	box, err := pii.NewBox(randomKey(), randomKey())
	if err != nil {
		t.Fatal(err)
	}
	match := newMobileMatch(t)
	reg := metrics.NewRegistry()
	metrics.RegisterPool(reg, pool)
	outbox.RegisterBacklog(reg, pool)
	cfg := harnessConfig{log: testenv.FailureLog(t), runner: &registry.ImportRunner{}}
	for _, o := range opts {
		o(&cfg)
	}
	log := cfg.log
	bell := outbox.NewBell() // as app.Runtime wires them
	svc := registry.NewService(registry.NewStore(pool, outbox.Writer{Subjects: subjects, Bell: bell}, reg), box, match)
	srv := httptest.NewServer(registry.NewHTTPHandler(svc, auth.Verifier{Key: pub, Places: places.NewKnown(pool), Verified: &auth.Verified{}}, idempotency.Keys{Pool: pool}, reg, log,
		httpx.Check{Name: "postgres", Fn: pool.Ping}))

	relay := &outbox.Relay{Pool: pool, JS: js, Metrics: outbox.NewMetrics(reg), Bell: bell, PollInterval: 200 * time.Millisecond, AckTimeout: 2 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = relay.Run(ctx) }()
	runner := cfg.runner
	if runner != nil {
		runner.Service = svc
		if runner.Log == nil {
			runner.Log = log
		}
	}
	importsDone := make(chan struct{})
	go func() {
		defer close(importsDone)
		if runner != nil {
			runner.Run(ctx)
		}
	}()
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		<-importsDone
		nc.Close()
		pool.Close()
	})
	return &harness{t: t, svc: svc, match: match,
		API: testenv.API{T: t, URL: srv.URL, Key: key},
		Bus: testenv.Bus{T: t, JS: js, Subjects: subjects, Pool: pool}}
}

// newMobileMatch is a pii.MobileMatch with a random key.
func newMobileMatch(t testing.TB) *pii.MobileMatch {
	t.Helper()
	m, err := pii.NewMobileMatchFromBase64(base64.StdEncoding.EncodeToString(randomKey()))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randomKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// seedOrg creates two streets with communities:
// qishan (tashan, changsheng) and jianshelu (jianshelu).
func (h *harness) seedOrg() {
	h.t.Helper()
	d := h.District()
	h.Must(201, "POST", "/v1/streets", d, map[string]any{"code": "qishan", "name": "奇山街道"})
	h.Must(201, "POST", "/v1/streets", d, map[string]any{"code": "jianshelu", "name": "建设路街道"})
	h.Must(201, "POST", "/v1/streets/qishan/communities", d, map[string]any{"code": "tashan", "name": "塔山社区"})
	h.Must(201, "POST", "/v1/streets/qishan/communities", d, map[string]any{"code": "changsheng", "name": "长生社区"})
	h.Must(201, "POST", "/v1/streets/jianshelu/communities", d, map[string]any{"code": "jianshelu", "name": "建设路社区"})
}

// idNumber builds a valid resident ID number, distinct for each serial below
// 20 million: Yantai Zhifu area code, a birth date between 1960 and 2014, a
// sequence number, and the MOD 11-2 check character.
func idNumber(serial int) string {
	born := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, serial%20000)
	first17 := fmt.Sprintf("370602%s%03d", born.Format("20060102"), (serial/20000)%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(first17[i]-'0') * w
	}
	return first17 + string("10X98765432"[sum%11])
}

// withWrongCheck changes the check character of a valid ID number.
func withWrongCheck(id string) string {
	last := id[17]
	for _, c := range "0123456789X" {
		if byte(c) != last {
			return id[:17] + string(c)
		}
	}
	return id
}

func mobile(serial int) string { return fmt.Sprintf("139%08d", serial) }

// workerBody is a valid registration in community.
func workerBody(serial int, community string) map[string]any {
	return map[string]any{
		"name": fmt.Sprintf("骑手%d", serial), "mobile": mobile(serial), "id_number": idNumber(serial),
		"occupation": "food_delivery", "community": community, "platform": "美团", "political_status": "masses",
	}
}

func (h *harness) registerWorker(serial int, community string) string {
	h.t.Helper()
	r := h.Must(201, "POST", "/v1/workers", h.District(), workerBody(serial, community))
	return r.Str("id")
}

func (h *harness) count(table string) int {
	h.t.Helper()
	var n int
	if err := h.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// ofType returns the messages of evs whose event has type typ.
func ofType(evs []testenv.Message, typ string) []testenv.Message {
	var out []testenv.Message
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}
