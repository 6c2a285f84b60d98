package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
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
	"github.com/nuanxin/nuanxin/services/identity"
	"github.com/nuanxin/nuanxin/services/registry"
	"github.com/nuanxin/nuanxin/services/web"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// origin is the web service's own origin in the tests.
const origin = "https://console.nuanxin.test"

const (
	bootPassword = "given-at-bootstrap-7"
	newPassword  = "Warm-district-head-42"
)

// clock is a settable time for the web service.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fakeSMS is the SMS gateway: it keeps the codes it was asked to send.
type fakeSMS struct {
	mu   sync.Mutex
	sent map[string]string // mobile: the last code
}

func (f *fakeSMS) SendCode(_ context.Context, mobile, code string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sent == nil {
		f.sent = map[string]string{}
	}
	f.sent[mobile] = code
	return nil
}

func (f *fakeSMS) last(mobile string) string { f.mu.Lock(); defer f.mu.Unlock(); return f.sent[mobile] }

// syncBuffer is a bytes.Buffer safe for concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// probe is a service behind the proxy that tells what it was sent: the
// method, path, query, headers and the body's size and digest.
type probe struct {
	mu   sync.Mutex
	last *http.Request
	size int64
}

func (p *probe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, _ := io.Copy(io.Discard, r.Body)
	p.mu.Lock()
	p.last, p.size = r.Clone(context.Background()), n
	p.mu.Unlock()
	if r.URL.Path == "/v1/download" {
		// A download larger than any buffer: it must stream through.
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Set-Cookie", "upstream=1")
		chunk := bytes.Repeat([]byte("x"), 64<<10)
		for range 64 { // 4 MiB
			_, _ = w.Write(chunk)
		}
		return
	}
	if strings.HasPrefix(r.URL.Path, "/v1/cached/") {
		// An answer that asks to be cached, as /v1/cached/{type}/{cache-control}
		// says (an item's photo asks "private, max-age=…, immutable").
		kind, cc, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v1/cached/"), "/")
		w.Header().Set("Cache-Control", cc)
		if kind == "not-modified" { // the photo the browser holds is current
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", strings.Replace(kind, "-", "/", 1))
		_, _ = w.Write([]byte("\xff\xd8\xff"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "query": r.URL.RawQuery, "size": n})
}

func (p *probe) request() (*http.Request, int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last, p.size
}

// stack is the web service in front of the real identity and registry
// services — each on its own schema of one fresh database, sharing a NATS
// namespace, the registry's relay publishing and identity's worker
// consumer reading — and a probe standing in for the stats service.
type stack struct {
	t        *testing.T
	web      testenv.API // the browser's side: no bearer tokens
	registry testenv.API // the registry directly, for the tests' set-up
	identity *identity.Service
	svc      *web.Service
	idPool   *pgxpool.Pool
	webPool  *pgxpool.Pool
	clock    *clock
	sms      *fakeSMS
	probe    *probe
	metrics  *prometheus.Registry
	logs     *syncBuffer // everything the web service logged, at every level
}

// newStack starts the stack; options change the web service's Config.
func newStack(t *testing.T, options ...func(*web.Config)) *stack {
	t.Helper()
	env := testenv.NewService(t, identity.Schema, identity.Migrations(), "registry", "identity")
	matchKey := make([]byte, 32)
	_, _ = rand.Read(matchKey)
	match, err := pii.NewMobileMatchFromBase64(base64.StdEncoding.EncodeToString(matchKey))
	if err != nil {
		t.Fatal(err)
	}

	// Identity, as its main wires it, trusting the web service's address.
	idBell := outbox.NewBell()
	idSvc := identity.NewService(env.Pool, env.Key, outbox.Writer{Subjects: env.Subjects, Bell: idBell}, nil)
	sms := &fakeSMS{}
	idSvc.Match, idSvc.SMS = match, sms
	idSvc.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	idRelay := &outbox.Relay{Pool: env.Pool, JS: env.JS, Bell: idBell, PollInterval: 100 * time.Millisecond, AckTimeout: 2 * time.Second, Logger: env.Log}
	env.Go(func(ctx context.Context) { _ = idRelay.Run(ctx) })
	env.Consume([]*consume.Runner{identity.WorkerConsumer(env.Pool, env.JS, env.Subjects, env.Log, consume.NewMetrics(env.Metrics))})
	idSrv := httptest.NewServer(identity.NewHTTPHandler(idSvc, auth.Verifier{Key: env.PublicKey, Places: places.NewKnown(env.Pool), Verified: &auth.Verified{}},
		idempotency.Keys{Pool: env.Pool}, env.Metrics, env.Log, httpx.Check{Name: "postgres", Fn: env.Pool.Ping}))
	t.Cleanup(idSrv.Close)
	if _, err := env.Pool.Exec(env.Ctx, `INSERT INTO streets (code, name) VALUES ('qishan', '奇山街道');
		INSERT INTO communities (street, code, name) VALUES ('qishan', 'tashan', '塔山社区')`); err != nil {
		t.Fatal(err)
	}
	if made, err := idSvc.Bootstrap(env.Ctx, "admin", bootPassword); err != nil || !made {
		t.Fatalf("bootstrap: %v %v", made, err)
	}

	// The registry, taking identity's tokens and enrolment tokens.
	regPool := openPool(t, env, registry.Schema, registry.Migrations()...)
	box, err := pii.NewBox(randomKey(), randomKey())
	if err != nil {
		t.Fatal(err)
	}
	regMetrics := metrics.NewRegistry()
	regBell := outbox.NewBell()
	regSvc := registry.NewService(registry.NewStore(regPool, outbox.Writer{Subjects: env.Subjects, Bell: regBell}, regMetrics), box, match)
	regRelay := &outbox.Relay{Pool: regPool, JS: env.JS, Bell: regBell, PollInterval: 100 * time.Millisecond, AckTimeout: 2 * time.Second, Logger: env.Log}
	env.Go(func(ctx context.Context) { _ = regRelay.Run(ctx) })
	regSrv := httptest.NewServer(registry.NewHTTPHandler(regSvc, auth.Verifier{Key: env.PublicKey, Places: places.NewKnown(regPool), Verified: &auth.Verified{}},
		idempotency.Keys{Pool: regPool}, regMetrics, env.Log, httpx.Check{Name: "postgres", Fn: regPool.Ping}))
	t.Cleanup(regSrv.Close)
	regAPI := env.API(regSrv.URL)
	d := regAPI.District()
	regAPI.Must(201, "POST", "/v1/streets", d, map[string]any{"code": "qishan", "name": "奇山街道"})
	regAPI.Must(201, "POST", "/v1/streets/qishan/communities", d, map[string]any{"code": "tashan", "name": "塔山社区"})

	// The web service, its clock the tests' to move.
	pr := &probe{}
	probeSrv := httptest.NewServer(pr)
	t.Cleanup(probeSrv.Close)
	webPool := openPool(t, env, web.Schema, web.Migrations()...)
	clk := &clock{now: time.Now().UTC()}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := metrics.NewRegistry()
	cfg := web.Config{
		Upstreams: map[string]*url.URL{"identity": mustURL(t, idSrv.URL), "registry": mustURL(t, regSrv.URL), "stats": mustURL(t, probeSrv.URL)},
		Origin:    origin,
		TileURL:   "https://tiles.example.test/{z}/{x}/{y}.png", TileOrigin: "https://tiles.example.test",
		SessionKey: randomKey(),
	}
	for _, o := range options {
		o(&cfg)
	}
	svc, err := web.NewService(webPool, cfg, reg, log)
	if err != nil {
		t.Fatal(err)
	}
	svc.Now = clk.Now
	webSrv := httptest.NewServer(web.NewHTTPHandler(svc, reg, log, httpx.Check{Name: "postgres", Fn: webPool.Ping}))
	t.Cleanup(webSrv.Close)
	return &stack{t: t, web: testenv.API{T: t, URL: webSrv.URL}, registry: regAPI, identity: idSvc, svc: svc, idPool: env.Pool, webPool: webPool,
		clock: clk, sms: sms, probe: pr, metrics: reg, logs: logs}
}

// openPool opens a pool on schema in env's database, migrated.
func openPool(t *testing.T, env *testenv.Service, schema string, migrations ...db.Source) *pgxpool.Pool {
	t.Helper()
	pool, err := db.Open(env.Ctx, env.DatabaseURL, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := db.Migrate(env.Ctx, pool, schema, migrations...); err != nil {
		t.Fatal(err)
	}
	return pool
}

func randomKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// browser is a signed-in browser: its cookie and the CSRF token its page
// was given.
type browser struct {
	cookie string
	csrf   string
}

// headers are what the browser's script sends on a write: the cookie, the
// CSRF token and its own origin.
func (b browser) headers(extra ...string) []string {
	return append([]string{"Cookie", web.CookieName + "=" + b.cookie, "X-CSRF-Token", b.csrf, "Origin", origin}, extra...)
}

// read is what a page's GET sends: the cookie only.
func (b browser) read() []string { return []string{"Cookie", web.CookieName + "=" + b.cookie} }

// sessionCookie is the nx_session cookie an answer set (nil none).
func sessionCookie(r testenv.Response) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == web.CookieName {
			return c
		}
	}
	return nil
}

// signedIn is the browser an answer signed in.
func (s *stack) signedIn(r testenv.Response) browser {
	s.t.Helper()
	c := sessionCookie(r)
	if c == nil || c.Value == "" || r.Str("csrf_token") == "" {
		s.t.Fatalf("no session in %d %s (Set-Cookie %q)", r.Status, r.Raw, r.Header.Values("Set-Cookie"))
	}
	return browser{cookie: c.Value, csrf: r.Str("csrf_token")}
}

// admin signs the bootstrap admin in through the web service, changing
// the password the first time.
func (s *stack) admin() browser {
	s.t.Helper()
	r := s.web.Do("POST", "/api/session", "", map[string]any{"username": "admin", "password": bootPassword, "new_password": newPassword})
	if r.Status == 401 {
		r = s.web.Do("POST", "/api/session", "", map[string]any{"username": "admin", "password": newPassword})
	}
	if r.Status != 201 {
		s.t.Fatalf("admin sign-in: %d %s", r.Status, r.Raw)
	}
	return s.signedIn(r)
}

// counter is the value of one of the web service's counters.
func (s *stack) counter(name string, labels ...string) float64 {
	s.t.Helper()
	mfs, err := s.metrics.Gather()
	if err != nil {
		s.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// idNumber builds a valid resident ID number for serial: Yantai Zhifu's
// area code, a birth date, a sequence number, the MOD 11-2 check character.
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

// rawHas reports whether any of the answer's body or headers contains s.
func rawHas(r testenv.Response, s string) bool {
	if strings.Contains(string(r.Raw), s) {
		return true
	}
	for _, vs := range r.Header {
		for _, v := range vs {
			if strings.Contains(v, s) {
				return true
			}
		}
	}
	return false
}
