package outbox_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"sort"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/natsserver"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const schema = "registry"

// testTables is the test's own migration source: a table the consumer's
// handler writes its effects to.
var testTables = db.Source{Name: "test", FS: fstest.MapFS{
	"0001_effects.sql": {Data: []byte(`CREATE TABLE effects (
		seq      bigserial PRIMARY KEY,
		event_id text NOT NULL)`)},
	// entities stand for a service's business rows (workers, accounts):
	// a write changes one, and so locks it, before adding its event.
	"0002_entities.sql": {Data: []byte(`CREATE TABLE entities (
		id      text PRIMARY KEY,
		version int  NOT NULL DEFAULT 0);
		CREATE TABLE other_writes (id bigserial PRIMARY KEY)`)},
}}

type env struct {
	ctx  context.Context
	url  string
	pool *pgxpool.Pool
	js   jetstream.JetStream
	subj event.Subjects
}

// setup gives a test a migrated database and a JetStream client in a
// namespace of its own, on the shared server or on natsURL if given.
func setup(t *testing.T, natsURL string, opts ...nats.Option) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	e := &env{ctx: ctx, url: testenv.Postgres(t), subj: event.Subjects{Namespace: "t" + testenv.Unique()}}
	e.pool = openPool(t, ctx, e.url)
	if natsURL == "" {
		natsURL = testenv.NATS(t)
	}
	e.js = connect(t, natsURL, opts...)
	if err := e.subj.EnsureStreams(ctx, e.js, "registry", 1); err != nil {
		t.Fatal(err)
	}
	return e
}

func openPool(t *testing.T, ctx context.Context, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := db.Open(ctx, url, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := db.Migrate(ctx, pool, schema, outbox.Migrations(), consume.Migrations(), testTables); err != nil {
		t.Fatal(err)
	}
	return pool
}

func connect(t *testing.T, url string, opts ...nats.Option) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// written is one event as the test wrote it: its outbox row id and event id.
type written struct {
	rowID   int64
	eventID string
}

// write commits one event in its own transaction. pause runs between the
// insert and the commit, to let other writers interleave.
func (e *env) write(t *testing.T, i int, pause func()) written {
	t.Helper()
	w := outbox.Writer{Subjects: e.subj}
	var out written
	err := db.InTx(e.ctx, e.pool, func(tx pgx.Tx) error {
		ev, err := w.Add(e.ctx, tx, event.WorkerCheckedIn, "s01", "w-1", event.CheckInData{WorkerID: "w-1", Street: "s01", Channel: "online"})
		if err != nil {
			return err
		}
		out.eventID = ev.ID
		if err := tx.QueryRow(e.ctx, "SELECT id FROM outbox WHERE event_id = $1", ev.ID).Scan(&out.rowID); err != nil {
			return err
		}
		if pause != nil {
			pause()
		}
		return nil
	})
	if err != nil {
		t.Errorf("write event %d: %v", i, err)
	}
	return out
}

// byRowID returns the event ids in outbox row id order.
func byRowID(ws []written) []string {
	ws = slices.Clone(ws)
	sort.Slice(ws, func(i, j int) bool { return ws[i].rowID < ws[j].rowID })
	ids := make([]string, len(ws))
	for i, w := range ws {
		ids[i] = w.eventID
	}
	return ids
}

func (e *env) outboxRows(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.pool.QueryRow(e.ctx, "SELECT count(*) FROM outbox").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) streamCount(t *testing.T) uint64 {
	t.Helper()
	s, err := e.js.Stream(e.ctx, e.subj.Stream("registry"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// streamEventIDs reads the stream in order and returns the CloudEvent id of
// each message, checking that its Nats-Msg-Id is that id.
func (e *env) streamEventIDs(t *testing.T) []string {
	t.Helper()
	s, err := e.js.Stream(e.ctx, e.subj.Stream("registry"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(e.ctx, seq)
		if err != nil {
			t.Fatalf("get message %d: %v", seq, err)
		}
		ev, err := event.Parse(m.Data)
		if err != nil {
			t.Fatalf("message %d is not a CloudEvent: %v", seq, err)
		}
		if got := m.Header.Get(jetstream.MsgIDHeader); got != ev.ID {
			t.Errorf("message %d: Nats-Msg-Id %q, want the event id %q", seq, got, ev.ID)
		}
		if got := m.Header.Get("Content-Type"); got != event.ContentType {
			t.Errorf("message %d: Content-Type %q, want %q", seq, got, event.ContentType)
		}
		if want := e.subj.For(event.WorkerCheckedIn, "s01"); m.Subject != want {
			t.Errorf("message %d: subject %q, want %q", seq, m.Subject, want)
		}
		ids = append(ids, ev.ID)
	}
	return ids
}

// run starts r in the background; the returned stop cancels it and waits.
func run(t *testing.T, r *outbox.Relay) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Relay.Run returned %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("Relay.Run did not return after its context was cancelled")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// gauge reads an unlabelled metric from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		switch {
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("metric %s not found", name)
	return 0
}

func TestWriter_rollbackLeavesNoEvent(t *testing.T) {
	e := setup(t, "")
	run(t, &outbox.Relay{Pool: e.pool, JS: e.js, PollInterval: 200 * time.Millisecond})

	w := outbox.Writer{Subjects: e.subj}
	failed := errors.New("business rule violated")
	var rolledBack string
	err := db.InTx(e.ctx, e.pool, func(tx pgx.Tx) error {
		ev, err := w.Add(e.ctx, tx, event.WorkerCheckedIn, "s01", "w-1", event.CheckInData{WorkerID: "w-1"})
		if err != nil {
			return err
		}
		rolledBack = ev.ID
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("InTx = %v, want the business error", err)
	}
	// A later committed event is the marker: once it is on the stream, the
	// relay has looked past the point where the rolled-back one would be.
	marker := e.write(t, 1, nil)
	eventually(t, 10*time.Second, "the marker event was not published", func() bool { return e.streamCount(t) >= 1 })
	eventually(t, 10*time.Second, "the outbox is not empty", func() bool { return e.outboxRows(t) == 0 })

	got := e.streamEventIDs(t)
	if !slices.Equal(got, []string{marker.eventID}) {
		t.Errorf("stream holds %v, want only the committed event %s (rolled back: %s)", got, marker.eventID, rolledBack)
	}
}

func TestRelay_brokerDown_writesSucceedAndEventsArriveOnce(t *testing.T) {
	storeDir := t.TempDir()
	srv := testenv.NATSServer(t, 0, storeDir)
	port := srv.Addr().(*net.TCPAddr).Port
	e := setup(t, natsserver.URL(srv), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond), nats.RetryOnFailedConnect(true))

	srv.Shutdown()
	srv.WaitForShutdown()

	reg := prometheus.NewRegistry()
	outbox.RegisterBacklog(reg, e.pool)
	run(t, &outbox.Relay{Pool: e.pool, JS: e.js, Metrics: outbox.NewMetrics(reg),
		PollInterval: 200 * time.Millisecond, AckTimeout: 500 * time.Millisecond, BatchSize: 32})

	// Every business write succeeds while the broker is down.
	var all []written
	for i := range 100 {
		all = append(all, e.write(t, i, nil))
	}
	if t.Failed() {
		t.FailNow()
	}
	eventually(t, 10*time.Second, "the relay reported no failed publish during the outage", func() bool {
		return gauge(t, reg, "nuanxin_outbox_publish_failures_total") >= 1
	})
	if n := e.outboxRows(t); n != 100 {
		t.Fatalf("outbox holds %d rows during the outage, want 100", n)
	}
	if n := gauge(t, reg, "nuanxin_outbox_backlog"); n != 100 {
		t.Errorf("backlog gauge %v during the outage, want 100", n)
	}

	testenv.NATSServer(t, port, storeDir)

	eventually(t, 10*time.Second, "the outbox did not drain after the broker came back", func() bool { return e.outboxRows(t) == 0 })
	got := e.streamEventIDs(t)
	if len(got) != 100 {
		t.Fatalf("stream holds %d messages, want 100", len(got))
	}
	if !slices.Equal(got, byRowID(all)) {
		t.Errorf("stream order differs from commit order:\n got %v\nwant %v", got, byRowID(all))
	}
	if n := gauge(t, reg, "nuanxin_outbox_backlog"); n != 0 {
		t.Errorf("backlog gauge %v after draining, want 0", n)
	}
}

func TestRelay_crashAfterAckBeforeDelete_noDoubleEffect(t *testing.T) {
	e := setup(t, "")
	var all []written
	for i := range 20 {
		all = append(all, e.write(t, i, nil))
	}

	// Relay #1 "crashes" after JetStream acknowledged its batch and before
	// it deleted the rows.
	crashed := make(chan struct{})
	var once sync.Once
	r1 := &outbox.Relay{Pool: e.pool, JS: e.js}
	outbox.SetAfterPublish(r1, func() error {
		once.Do(func() { close(crashed) })
		return errors.New("simulated crash")
	})
	stop1 := run(t, r1)
	select {
	case <-crashed:
	case <-time.After(10 * time.Second):
		t.Fatal("relay #1 never published")
	}
	stop1()
	if n := e.outboxRows(t); n != 20 {
		t.Fatalf("after the crash the outbox holds %d rows, want all 20", n)
	}
	if n := e.streamCount(t); n != 20 {
		t.Fatalf("after the crash the stream holds %d messages, want 20", n)
	}

	// Relay #2 republishes all 20; the stream's duplicate window drops them.
	run(t, &outbox.Relay{Pool: e.pool, JS: e.js, PollInterval: 200 * time.Millisecond})
	eventually(t, 10*time.Second, "relay #2 did not drain the outbox", func() bool { return e.outboxRows(t) == 0 })
	got := e.streamEventIDs(t)
	if !slices.Equal(got, byRowID(all)) {
		t.Fatalf("stream holds %d messages %v, want the 20 events once each in order", len(got), got)
	}

	// A consumer applies each event once.
	durable := "effects_" + testenv.Unique()
	runner := &consume.Runner{
		Pool: e.pool, JS: e.js, Subjects: e.subj, Stream: e.subj.Stream("registry"), Durable: durable,
		Backoff: []time.Duration{10 * time.Millisecond},
		Handle: func(ctx context.Context, tx pgx.Tx, ev event.Envelope) error {
			_, err := tx.Exec(ctx, "INSERT INTO effects (event_id) VALUES ($1)", ev.ID)
			return err
		},
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx) }()
	defer func() { cancel(); <-done }()

	effects := func() (total, distinct int) {
		if err := e.pool.QueryRow(e.ctx, "SELECT count(*), count(DISTINCT event_id) FROM effects").Scan(&total, &distinct); err != nil {
			t.Fatal(err)
		}
		return
	}
	eventually(t, 10*time.Second, "the consumer did not apply 20 events", func() bool { n, _ := effects(); return n >= 20 })
	if total, distinct := effects(); total != 20 || distinct != 20 {
		t.Errorf("%d effects for %d distinct events, want 20 and 20", total, distinct)
	}
	var inbox int
	if err := e.pool.QueryRow(e.ctx, "SELECT count(*) FROM inbox WHERE consumer = $1", durable).Scan(&inbox); err != nil {
		t.Fatal(err)
	}
	if inbox != 20 {
		t.Errorf("inbox holds %d rows, want 20", inbox)
	}
}

func TestRelay_oneLeader(t *testing.T) {
	e := setup(t, "")
	// Two instances of the service: each its own pool, NATS connection and
	// metrics registry.
	type instance struct {
		reg  *prometheus.Registry
		stop func()
	}
	var inst [2]instance
	for i := range inst {
		reg := prometheus.NewRegistry()
		pool := openPool(t, e.ctx, e.url)
		js := connect(t, testenv.NATS(t))
		inst[i] = instance{reg: reg, stop: run(t, &outbox.Relay{Pool: pool, JS: js, Metrics: outbox.NewMetrics(reg), PollInterval: 100 * time.Millisecond})}
	}
	leaderGauge := func(i int) float64 { return gauge(t, inst[i].reg, "nuanxin_outbox_relay_leader") }
	published := func(i int) float64 { return gauge(t, inst[i].reg, "nuanxin_outbox_published_total") }

	eventually(t, 10*time.Second, "no relay became leader", func() bool { return leaderGauge(0)+leaderGauge(1) == 1 })
	leader := 0
	if leaderGauge(1) == 1 {
		leader = 1
	}
	standby := 1 - leader

	var all []written
	for i := range 10 {
		all = append(all, e.write(t, i, nil))
	}
	eventually(t, 10*time.Second, "the leader did not publish", func() bool { return e.outboxRows(t) == 0 })
	// The standby has seen several of its poll intervals and stayed standby.
	for range 5 {
		if leaderGauge(0)+leaderGauge(1) != 1 {
			t.Fatalf("leader gauges %v and %v, want exactly one 1", leaderGauge(0), leaderGauge(1))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if published(leader) != 10 || published(standby) != 0 {
		t.Errorf("published: leader %v, standby %v; want 10 and 0", published(leader), published(standby))
	}

	// The leader goes away; the standby takes over and publishes new events.
	inst[leader].stop()
	if leaderGauge(leader) != 0 {
		t.Errorf("stopped relay still reports leader = %v", leaderGauge(leader))
	}
	eventually(t, 10*time.Second, "the standby did not take over", func() bool { return leaderGauge(standby) == 1 })
	for i := range 5 {
		all = append(all, e.write(t, 10+i, nil))
	}
	eventually(t, 10*time.Second, "the new leader did not publish", func() bool { return e.outboxRows(t) == 0 })
	if published(standby) != 5 {
		t.Errorf("new leader published %v events, want 5", published(standby))
	}
	if got := e.streamEventIDs(t); !slices.Equal(got, byRowID(all)) {
		t.Errorf("stream holds %v, want the 15 events once each in order", got)
	}
}
