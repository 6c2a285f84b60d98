package registry_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
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
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/registry"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// harness is a registry wired as in main, on a fresh database, a unique
// NATS namespace and a running outbox relay, behind an httptest server.
type harness struct {
	t        testing.TB
	srv      *httptest.Server
	pool     *pgxpool.Pool
	js       jetstream.JetStream
	subjects event.Subjects
	key      ed25519.PrivateKey
	svc      *registry.Service
}

// newHarness starts the registry against natsURL ("" = the shared test server).
func newHarness(t testing.TB, natsURL string) *harness {
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
	reg := metrics.NewRegistry()
	metrics.RegisterPool(reg, pool)
	outbox.RegisterBacklog(reg, pool)
	log := slog.New(slog.DiscardHandler)
	svc := registry.NewService(registry.NewStore(pool, outbox.Writer{Subjects: subjects}, reg), box)
	srv := httptest.NewServer(registry.NewHTTPHandler(svc, auth.Verifier{Key: pub}, idempotency.Keys{Pool: pool}, reg, log,
		httpx.Check{Name: "postgres", Fn: pool.Ping}))

	relay := &outbox.Relay{Pool: pool, JS: js, Metrics: outbox.NewMetrics(reg), PollInterval: 200 * time.Millisecond, AckTimeout: 2 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); _ = relay.Run(ctx) }()
	importsDone := make(chan struct{})
	go func() { defer close(importsDone); svc.RunImports(ctx, log) }()
	t.Cleanup(func() {
		srv.Close()
		cancel()
		<-done
		<-importsDone
		nc.Close()
		pool.Close()
	})
	return &harness{t: t, srv: srv, pool: pool, js: js, subjects: subjects, key: key, svc: svc}
}

func randomKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// token signs a token for the given principal.
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

// response is a decoded answer.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// field returns the problem's first error field ("" when none).
func (r response) field() string {
	errs, _ := r.Body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	f, _ := errs[0].(map[string]any)["field"].(string)
	return f
}

func (r response) str(key string) string { s, _ := r.Body[key].(string); return s }

// do sends body (a string is sent as is, anything else as JSON).
func (h *harness) do(method, path, token string, body any) response {
	return h.doWith(method, path, token, body, nil)
}

// doWith is do with extra request headers.
func (h *harness) doWith(method, path, token string, body any, headers map[string]string) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return h.send(req)
}

// send sends a prepared request and decodes the answer.
func (h *harness) send(req *http.Request) response {
	h.t.Helper()
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

// must sends and fails the test unless the status is want.
func (h *harness) must(want int, method, path, token string, body any) response {
	h.t.Helper()
	r := h.do(method, path, token, body)
	if r.Status != want {
		h.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, want, r.Raw)
	}
	return r
}

// seedOrg creates two streets with communities:
// qishan (tashan, changsheng) and jianshelu (jianshelu).
func (h *harness) seedOrg() {
	h.t.Helper()
	d := h.district()
	h.must(201, "POST", "/v1/streets", d, map[string]any{"code": "qishan", "name": "奇山街道"})
	h.must(201, "POST", "/v1/streets", d, map[string]any{"code": "jianshelu", "name": "建设路街道"})
	h.must(201, "POST", "/v1/streets/qishan/communities", d, map[string]any{"code": "tashan", "name": "塔山社区"})
	h.must(201, "POST", "/v1/streets/qishan/communities", d, map[string]any{"code": "changsheng", "name": "长生社区"})
	h.must(201, "POST", "/v1/streets/jianshelu/communities", d, map[string]any{"code": "jianshelu", "name": "建设路社区"})
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
	r := h.must(201, "POST", "/v1/workers", h.district(), workerBody(serial, community))
	return r.str("id")
}

// streamEvent is one message read back from the registry stream.
type streamEvent struct {
	Subject string
	MsgID   string
	event.Envelope
}

// events returns every message in the registry stream, in stream order.
func (h *harness) events() []streamEvent {
	h.t.Helper()
	ctx := context.Background()
	st, err := h.js.Stream(ctx, h.subjects.Stream("registry"))
	if err != nil {
		h.t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []streamEvent
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			h.t.Fatal(err)
		}
		e, err := event.Parse(m.Data)
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, streamEvent{Subject: m.Subject, MsgID: m.Header.Get("Nats-Msg-Id"), Envelope: e})
	}
	return out
}

// settled waits until the outbox is empty and returns the stream's events.
func (h *harness) settled() []streamEvent {
	h.t.Helper()
	eventually(h.t, 15*time.Second, func() bool { return h.count("outbox") == 0 })
	return h.events()
}

func (h *harness) count(table string) int {
	h.t.Helper()
	var n int
	if err := h.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func ofType(evs []streamEvent, typ string) []streamEvent {
	var out []streamEvent
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// eventually polls cond until it holds or the deadline passes.
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
