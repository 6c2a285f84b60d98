package stats_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/places"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/stats"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// harness is the stats service wired as in main — archiving consumers and
// the projector running — on a fresh database and a unique NATS namespace,
// behind an httptest server. The other services' events are published onto
// their real streams.
type harness struct {
	testenv.API
	testenv.Bus
	t   testing.TB
	ctx context.Context
	env *testenv.Service
	svc *stats.Service
}

// harnessOpts tune a harness.
type harnessOpts struct {
	chunk int       // events per projector transaction; 0: the default
	now   time.Time // the service's clock; zero: the real one
}

func newHarness(t testing.TB, opts ...harnessOpts) *harness {
	t.Helper()
	var o harnessOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	env := testenv.NewService(t, stats.Schema, stats.Migrations(), stats.Streams...)
	var now func() time.Time
	if !o.now.IsZero() {
		now = func() time.Time { return o.now }
	}
	svc := stats.NewService(env.Pool, now)
	srv := httptest.NewServer(stats.NewHTTPHandler(svc, auth.Verifier{Key: env.PublicKey, Places: places.NewKnown(env.Pool), Verified: &auth.Verified{}},
		idempotency.Keys{Pool: env.Pool}, env.Metrics, env.Log, httpx.Check{Name: "postgres", Fn: env.Pool.Ping}))
	t.Cleanup(srv.Close)
	wake := make(chan struct{}, 1)
	projector := &stats.Projector{Pool: env.Pool, Log: env.Log, Wake: wake, Poll: 50 * time.Millisecond, Chunk: o.chunk,
		Metrics: stats.NewMetrics(env.Metrics, env.Pool)}
	env.Go(projector.Run)
	runners := env.Consume(stats.Consumers(env.Pool, env.JS, env.Subjects, env.Log, consume.NewMetrics(env.Metrics), wake), 50*time.Millisecond)
	return &harness{t: t, ctx: env.Ctx, env: env, svc: svc, API: env.API(srv.URL), Bus: env.Bus(runners)}
}

// settle waits until every published event is archived and counted in the
// current figures, and no rebuild is running.
func (h *harness) settle() {
	h.t.Helper()
	h.Settled()
	testenv.Eventually(h.t, 30*time.Second, func() bool {
		st, err := stats.ReadStatus(h.ctx, h.env.Pool)
		if err != nil {
			h.t.Fatal(err)
		}
		return !st.Rebuilding && st.Applied == st.Archived
	})
}

// places publishes the streets and communities the tests use, as the
// registry does.
func (h *harness) places() {
	h.t.Helper()
	h.Publish(event.StreetCreated, "qishan", "qishan", event.StreetData{Code: "qishan", Name: "奇山街道"})
	h.Publish(event.StreetCreated, "zhifu", "zhifu", event.StreetData{Code: "zhifu", Name: "芝罘街道"})
	for _, c := range [][3]string{{"qishan", "jianshelu", "建设路社区"}, {"qishan", "tashan", "塔山社区"}, {"zhifu", "dongshan", "东山社区"}} {
		h.Publish(event.CommunityCreated, c[0], c[1], event.CommunityData{Street: c[0], Code: c[1], Name: c[2]})
	}
}

// overview asks for figures and returns them by metric.
func (h *harness) overview(token string, query string) figures {
	h.t.Helper()
	r := h.Must(200, "GET", "/v1/stats/overview?"+query, token, nil)
	return figuresOf(r.Body)
}

// figures are an overview's figures by metric.
type figures map[string]map[string]any

func figuresOf(body map[string]any) figures {
	out := figures{}
	list, _ := body["figures"].([]any)
	for _, f := range list {
		m := f.(map[string]any)
		out[m["metric"].(string)] = m
	}
	return out
}

// value is a figure's value, or one key's of it.
func (f figures) value(metric string, key ...string) float64 {
	m, ok := f[metric]
	if !ok {
		return -1
	}
	if len(key) == 0 || key[0] == "" {
		v, _ := m["value"].(float64)
		return v
	}
	by, _ := m["by"].([]any)
	for _, p := range by {
		part := p.(map[string]any)
		if part["key"] == key[0] {
			v, _ := part["value"].(float64)
			return v
		}
	}
	return 0
}

// dump lists every non-zero figure change of the current generation, daily
// and monthly, for comparing two ways of arriving at the figures.
func (h *harness) dump() []string {
	h.t.Helper()
	rows, err := h.env.Pool.Query(h.ctx, `
		SELECT 'd ' || metric || ' ' || key || ' ' || street || '/' || community || ' ' || day || ' ' || value FROM daily
		WHERE gen = (SELECT current_gen FROM state) AND value <> 0
		UNION ALL
		SELECT 'm ' || metric || ' ' || key || ' ' || street || '/' || community || ' ' || month || ' ' || value FROM monthly
		WHERE gen = (SELECT current_gen FROM state) AND value <> 0
		ORDER BY 1`)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// diff describes how two dumps differ ("" when equal).
func diff(a, b []string) string {
	in := func(list []string) map[string]int {
		m := map[string]int{}
		for _, s := range list {
			m[s]++
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for s, n := range ma {
		if mb[s] != n {
			out = append(out, "only in the first: "+s)
		}
	}
	for s, n := range mb {
		if ma[s] != n {
			out = append(out, "only in the second: "+s)
		}
	}
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("… %d more", len(out)-20))
	}
	return strings.Join(out, "\n")
}

func q(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}
