package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
)

// The reconciliation test's tools: calling the services as a client would,
// reading whole lists page by page, waiting until every event has reached
// the statistics, and tallying what the owning services' APIs say per area
// the way the statistics add up (a community's figure also counts in its
// street and the district).

// shanghai is the zone the district's days are counted in.
var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}()

// shanghaiDay is t's calendar day in Shanghai, YYYY-MM-DD.
func shanghaiDay(t time.Time) string { return t.In(shanghai).Format(time.DateOnly) }

// rig drives the running stack's APIs with dev tokens.
type rig struct {
	t        *testing.T
	ctx      context.Context
	key      ed25519.PrivateKey
	registry *apiClient
	activity *apiClient
	points   *apiClient
	notify   *apiClient
	stats    *apiClient
	district string // a district admin's token
}

// token issues a token for p, as `nuanxin token` does with the dev key.
func (r *rig) token(p auth.Principal) string {
	r.t.Helper()
	if p.Subject == "" {
		p.Subject = "reconcile-" + string(p.Role)
	}
	tok, err := auth.Issue(r.key, p, time.Hour)
	if err != nil {
		r.t.Fatal(err)
	}
	return tok
}

func (r *rig) streetAdmin(street string) string {
	return r.token(auth.Principal{Role: auth.StreetAdmin, Street: street})
}

func (r *rig) worker(id string) string {
	return r.token(auth.Principal{Role: auth.Worker, WorkerID: id, Subject: "reconcile-worker-" + id})
}

// must calls the API and fails the test on any error.
func (r *rig) must(c *apiClient, tok, method, path string, body, out any, headers ...string) {
	r.t.Helper()
	if err := c.doWith(r.ctx, tok, method, path, body, out, headers...); err != nil {
		r.t.Fatalf("%v", err)
	}
}

// mustOnceKnown is must, asked again while the service answers 404: it
// learns workers and places from the registry's events, which may still be
// on their way.
func (r *rig) mustOnceKnown(c *apiClient, tok, method, path string, body, out any, headers ...string) {
	r.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		err := c.doWith(r.ctx, tok, method, path, body, out, headers...)
		var ae *apiError
		if err == nil {
			return
		}
		if !errors.As(err, &ae) || ae.Status != http.StatusNotFound || time.Now().After(deadline) {
			r.t.Fatalf("%v", err)
		}
		select {
		case <-r.ctx.Done():
			r.t.Fatalf("%v (%v)", err, r.ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// listPage is a page of any of the services' lists.
type listPage[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

// listAll reads every page of path, passing each page's next as cursor
// (after, or before for the ledger's entries and the delivery log).
func listAll[T any](r *rig, c *apiClient, tok, path, cursor string) []T {
	r.t.Helper()
	var all []T
	next := ""
	for range 10000 {
		p := path
		sep := "?"
		if strings.Contains(p, "?") {
			sep = "&"
		}
		p += sep + "limit=500"
		if next != "" {
			p += "&" + cursor + "=" + url.QueryEscape(next)
		}
		var page listPage[T]
		r.must(c, tok, http.MethodGet, p, nil, &page)
		all = append(all, page.Items...)
		if page.Next == "" {
			return all
		}
		next = page.Next
	}
	r.t.Fatalf("%s: no end of pages", path)
	return nil
}

// statsStreams are the streams the statistics archive.
var statsStreams = []string{"registry", "activity", "points", "notification"}

// rebuildState is GET /v1/stats/rebuild.
type rebuildState struct {
	Archived   int64 `json:"archived_events"`
	Applied    int64 `json:"applied_events"`
	Rebuilding bool  `json:"rebuilding"`
}

// waitForStatsToCatchUp polls until everything published has reached the
// figures: every durable consumer of the four streams has nothing pending
// or unacknowledged (so the points service has credited every attendance
// and report and published its entries), the stats service has archived
// as many events as the streams hold and applied all of them, and that
// holds on two reads a second apart with the streams not grown between
// them (an outbox publishes a moment after its commit).
func waitForStatsToCatchUp(r *rig, natsURL string, within time.Duration) rebuildState {
	r.t.Helper()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		r.t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		r.t.Fatal(err)
	}
	deadline := time.Now().Add(within)
	var lastTotal int64 = -1
	var why string
	for {
		total, busy, err := streamsState(r.ctx, js)
		var st rebuildState
		if err == nil {
			err = r.stats.do(r.ctx, r.district, http.MethodGet, "/v1/stats/rebuild", nil, &st)
		}
		switch {
		case err != nil:
			why = err.Error()
		case busy != "":
			why = busy
		case st.Rebuilding || st.Archived != total || st.Applied != st.Archived:
			why = fmt.Sprintf("streams hold %d events; stats archived %d, applied %d, rebuilding %v",
				total, st.Archived, st.Applied, st.Rebuilding)
		case total != lastTotal:
			why = fmt.Sprintf("streams hold %d events, %d a second ago", total, lastTotal)
		default:
			return st
		}
		if err == nil && busy == "" {
			lastTotal = total
		} else {
			lastTotal = -1
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the statistics did not catch up within %s: %s", within, why)
		}
		select {
		case <-r.ctx.Done():
			r.t.Fatalf("waiting for the statistics: %v (%s)", r.ctx.Err(), why)
		case <-time.After(time.Second):
		}
	}
}

// streamsState sums the messages of the four streams and says which
// consumer, if any, still has messages to handle.
func streamsState(ctx context.Context, js jetstream.JetStream) (int64, string, error) {
	var total int64
	for _, svc := range statsStreams {
		name := event.Subjects{}.Stream(svc)
		st, err := js.Stream(ctx, name)
		if err != nil {
			return 0, "", fmt.Errorf("stream %s: %w", name, err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			return 0, "", fmt.Errorf("stream %s: %w", name, err)
		}
		total += int64(info.State.Msgs)
		consumers := st.ListConsumers(ctx)
		for ci := range consumers.Info() {
			if ci.NumPending > 0 || ci.NumAckPending > 0 {
				return 0, fmt.Sprintf("consumer %s of %s has %d pending, %d unacknowledged",
					ci.Name, name, ci.NumPending, ci.NumAckPending), nil
			}
		}
		if err := consumers.Err(); err != nil {
			return 0, "", fmt.Errorf("consumers of %s: %w", name, err)
		}
	}
	return total, "", nil
}

// area is the district, a street or a community, as the statistics scope
// their figures.
type area struct{ street, community string }

func (a area) String() string {
	switch {
	case a.street == "":
		return "the district"
	case a.community == "":
		return "street " + a.street
	}
	return "community " + a.community + " (" + a.street + ")"
}

// query is the area as the overview's parameters.
func (a area) query() string {
	switch {
	case a.street == "":
		return "scope=district"
	case a.community == "":
		return "scope=street&code=" + url.QueryEscape(a.street)
	}
	return "scope=community&code=" + url.QueryEscape(a.community)
}

// areasOf is where something of a street and community counts: the
// district, the street (if any) and the community (if any).
func areasOf(street, community string) []area {
	out := []area{{}}
	if street != "" {
		out = append(out, area{street, ""})
		if community != "" {
			out = append(out, area{street, community})
		}
	}
	return out
}

// tally is what the owning services' APIs say, per area, metric and key
// ("" for a figure without a breakdown).
type tally struct {
	values   map[area]map[string]map[string]float64
	distinct map[area]map[string]map[string]bool // area → metric → worker
}

func newTally() *tally {
	return &tally{values: map[area]map[string]map[string]float64{}, distinct: map[area]map[string]map[string]bool{}}
}

func (t *tally) add(metric, key, street, community string, v float64) {
	for _, a := range areasOf(street, community) {
		if t.values[a] == nil {
			t.values[a] = map[string]map[string]float64{}
		}
		if t.values[a][metric] == nil {
			t.values[a][metric] = map[string]float64{}
		}
		t.values[a][metric][key] += v
	}
}

// addDistinct counts who once per area.
func (t *tally) addDistinct(metric, who, street, community string) {
	for _, a := range areasOf(street, community) {
		if t.distinct[a] == nil {
			t.distinct[a] = map[string]map[string]bool{}
		}
		if t.distinct[a][metric] == nil {
			t.distinct[a][metric] = map[string]bool{}
		}
		t.distinct[a][metric][who] = true
	}
}

// get is the tally of a metric in an area, by key.
func (t *tally) get(a area, metric string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range t.values[a][metric] {
		out[k] = v
	}
	if n := len(t.distinct[a][metric]); n > 0 {
		out[""] += float64(n)
	}
	return out
}

// statsFigure is one figure of GET /v1/stats/overview.
type statsFigure struct {
	Metric  string   `json:"metric"`
	Kind    string   `json:"kind"`
	Dim     string   `json:"dim"`
	Overlap bool     `json:"overlap"`
	Value   float64  `json:"value"`
	Total   *float64 `json:"total"`
	By      []struct {
		Key   string   `json:"key"`
		Value float64  `json:"value"`
		Total *float64 `json:"total"`
	} `json:"by"`
}

// asOf is what a figure says as of the overview's date: a stock's level, a
// flow's total up to the date, a distinct count's month.
func asOf(kind string, value float64, total *float64) float64 {
	if kind == "flow" && total != nil {
		return *total
	}
	return value
}

// reconciled is one figure the test holds to an owning service's API, with
// how that API's answer is named in a failure.
type reconciled struct {
	metric string
	source string // "the registry lists", "the points ledger sums"...
}

// compareFigures holds every figure in want to what the statistics say of
// area a, key by key; it returns how many numbers it compared.
func compareFigures(t *testing.T, a area, figures []statsFigure, want *tally, metrics []reconciled) int {
	t.Helper()
	byName := map[string]statsFigure{}
	for _, f := range figures {
		byName[f.Metric] = f
	}
	round := func(v float64) float64 { return math.Round(v*100) / 100 }
	n := 0
	for _, m := range metrics {
		f, ok := byName[m.metric]
		if !ok {
			t.Errorf("stats has no figure %s", m.metric)
			continue
		}
		exp := want.get(a, m.metric)
		if f.Dim == "" {
			got, w := round(asOf(f.Kind, f.Value, f.Total)), round(exp[""])
			n++
			if got != w {
				t.Errorf("stats says %s of %s = %v, %s %v", m.metric, a, got, m.source, w)
			}
			continue
		}
		got := map[string]float64{}
		for _, p := range f.By {
			got[p.Key] = round(asOf(f.Kind, p.Value, p.Total))
		}
		keys := []string{}
		for k := range got {
			keys = append(keys, k)
		}
		var sum float64
		for k, v := range exp {
			sum += v
			if _, ok := got[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		if !f.Overlap {
			n++
			if g, w := round(asOf(f.Kind, f.Value, f.Total)), round(sum); g != w {
				t.Errorf("stats says %s of %s = %v, %s %v", m.metric, a, g, m.source, w)
			}
		}
		for _, k := range keys {
			n++
			if g, w := got[k], round(exp[k]); g != w {
				t.Errorf("stats says %s[%s] of %s = %v, %s %v", m.metric, k, a, g, m.source, w)
			}
		}
	}
	return n
}

// mustJSON is v as JSON, for logs.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
