package consume_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
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
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const schema = "points"

var testTables = db.Source{Name: "test", FS: fstest.MapFS{
	"0001_effects.sql": {Data: []byte(`CREATE TABLE effects (
		seq      bigserial PRIMARY KEY,
		event_id text NOT NULL,
		attempt  int  NOT NULL,
		txid     text NOT NULL DEFAULT pg_current_xact_id()::text)`)},
}}

type env struct {
	ctx     context.Context
	pool    *pgxpool.Pool
	js      jetstream.JetStream
	subj    event.Subjects
	reg     *prometheus.Registry
	metrics *consume.Metrics // shared by every runner of the test
	durable string
	calls   atomic.Int64 // handler invocations
	lastSeq uint64       // stream sequence of the last message published
}

func setup(t *testing.T) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	e := &env{ctx: ctx, subj: event.Subjects{Namespace: "t" + testenv.Unique()}, reg: prometheus.NewRegistry(),
		durable: "points_" + testenv.Unique()}
	e.metrics = consume.NewMetrics(e.reg)
	pool, err := db.Open(ctx, testenv.Postgres(t), schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := db.Migrate(ctx, pool, schema, consume.Migrations(), testTables); err != nil {
		t.Fatal(err)
	}
	e.pool = pool
	nc, err := nats.Connect(testenv.NATS(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if e.js, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}
	if err := e.subj.EnsureStreams(ctx, e.js, "registry", 1); err != nil {
		t.Fatal(err)
	}
	return e
}

// start runs a consumer whose handler records an effect row and then calls
// fail with the event and the handler's call count (nil fail: succeed). It stops at the end of the test.
func (e *env) start(t *testing.T, maxDeliver int, fail func(ev event.Envelope, call int64) error) {
	t.Helper()
	e.run(t, e.runner(maxDeliver, fail))
}

// runner is the runner start runs, for a test to adjust before running it.
func (e *env) runner(maxDeliver int, fail func(ev event.Envelope, call int64) error) *consume.Runner {
	return &consume.Runner{
		Pool: e.pool, JS: e.js, Subjects: e.subj,
		Stream: e.subj.Stream("registry"), Durable: e.durable,
		Filters:    []string{e.subj.Filter(event.WorkerCheckedIn)},
		Metrics:    e.metrics,
		MaxDeliver: maxDeliver,
		Backoff:    []time.Duration{10 * time.Millisecond},
		Handle: func(ctx context.Context, tx pgx.Tx, ev event.Envelope) error {
			n := e.calls.Add(1)
			if _, err := tx.Exec(ctx, "INSERT INTO effects (event_id, attempt) VALUES ($1, $2)", ev.ID, n); err != nil {
				return err
			}
			if fail != nil {
				return fail(ev, n)
			}
			return nil
		},
	}
}

// run runs r until the end of the test, when it must stop as cancelled.
func (e *env) run(t *testing.T, r *consume.Runner) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Runner.Run returned %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Runner.Run did not return after its context was cancelled")
		}
	})
}

func newEvent(t *testing.T, worker string) (event.Envelope, []byte) {
	t.Helper()
	ev, err := event.New(event.WorkerCheckedIn, "s01", worker, event.CheckInData{WorkerID: worker, Street: "s01", Channel: "online"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return ev, b
}

// publish stores data on the event's subject with the given Nats-Msg-Id.
func (e *env) publish(t *testing.T, data []byte, msgID string) {
	t.Helper()
	msg := &nats.Msg{Subject: e.subj.For(event.WorkerCheckedIn, "s01"), Data: data, Header: nats.Header{}}
	msg.Header.Set("Content-Type", event.ContentType)
	ack, err := e.js.PublishMsg(e.ctx, msg, jetstream.WithMsgID(msgID))
	if err != nil {
		t.Fatal(err)
	}
	if ack.Duplicate {
		t.Fatalf("message %s was dropped as a duplicate", msgID)
	}
	e.lastSeq = ack.Sequence
}

// settled waits until the consumer has settled everything published: no
// message left to deliver or awaiting its ack, and its ack floor at the
// last one.
func (e *env) settled(t *testing.T) {
	t.Helper()
	// Generous: on a loaded 2-core CI machine, beside the whole-stack
	// tests, a burst handled one transaction at a time has taken over 30 s.
	// Where it stood is in the failure, to tell a stall from slowness.
	var last string
	eventually(t, 90*time.Second, "the consumer did not settle every message", func() bool {
		cons, err := e.js.Consumer(e.ctx, e.subj.Stream("registry"), e.durable)
		if err != nil {
			return false // not created yet
		}
		info, err := cons.Info(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		last = fmt.Sprintf("pending %d, ack pending %d, ack floor %d of %d, redelivered %d",
			info.NumPending, info.NumAckPending, info.AckFloor.Stream, e.lastSeq, info.NumRedelivered)
		return info.NumPending == 0 && info.NumAckPending == 0 && info.AckFloor.Stream >= e.lastSeq
	}, &last)
}

// count runs a count(*) query.
func (e *env) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := e.pool.QueryRow(e.ctx, sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// metric reads one series of a consumer metric (0 if it has no samples):
// a counter's or gauge's value, a histogram's number of observations.
func (e *env) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"consumer": e.durable}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if got[k] != v {
					continue next
				}
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			if m.GetHistogram() != nil {
				return float64(m.GetHistogram().GetSampleCount())
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// deadLetter waits for the consumer's dead letter and returns it.
func (e *env) deadLetter(t *testing.T) *jetstream.RawStreamMsg {
	t.Helper()
	s, err := e.js.Stream(e.ctx, e.subj.DeadLetterStream())
	if err != nil {
		t.Fatal(err)
	}
	var msg *jetstream.RawStreamMsg
	eventually(t, 10*time.Second, "no dead letter on "+e.subj.DeadLetter(e.durable), func() bool {
		msg, err = s.GetLastMsgForSubject(e.ctx, e.subj.DeadLetter(e.durable))
		if err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
			t.Fatal(err)
		}
		return err == nil
	})
	return msg
}

func (e *env) deadLetterCount(t *testing.T) uint64 {
	t.Helper()
	s, err := e.js.Stream(e.ctx, e.subj.DeadLetterStream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(e.ctx, jetstream.WithSubjectFilter(e.subj.DeadLetter(e.durable)))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// eventually polls cond until it holds, failing after d with what (and
// where things stood, if a state is given).
func eventually(t *testing.T, d time.Duration, what string, cond func() bool, state ...*string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			if len(state) > 0 {
				t.Fatalf("after %s: %s (%s)", d, what, *state[0])
			}
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRunner_redeliveredEventHasOneEffect(t *testing.T) {
	e := setup(t)
	ev, data := newEvent(t, "w-1")
	// Five copies of one event that the stream keeps apart (as after a
	// relay republished outside the duplicate window).
	for i := range 5 {
		e.publish(t, data, ev.ID+"-copy-"+string(rune('a'+i)))
	}
	e.start(t, 0, nil)

	settled := func() float64 {
		return e.metric(t, "nuanxin_consumer_messages_total", "outcome", "handled") +
			e.metric(t, "nuanxin_consumer_messages_total", "outcome", "duplicate")
	}
	eventually(t, 10*time.Second, "the five copies were not all settled", func() bool { return settled() == 5 })

	if n := e.count(t, "SELECT count(*) FROM effects"); n != 1 {
		t.Errorf("%d effects, want 1", n)
	}
	if n := e.count(t, "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2 AND event_type = $3",
		e.durable, ev.ID, "nuanxin.registry.worker.checked_in"); n != 1 {
		t.Errorf("inbox rows for the event: %d, want 1", n)
	}
	if got := e.metric(t, "nuanxin_consumer_messages_total", "outcome", "duplicate"); got != 4 {
		t.Errorf("duplicates metric %v, want 4", got)
	}
	if got := e.metric(t, "nuanxin_consumer_messages_total", "outcome", "handled"); got != 1 {
		t.Errorf("handled metric %v, want 1", got)
	}
	if got := e.metric(t, "nuanxin_consumer_dead_letters_total", "consumer", e.durable); got != 0 {
		t.Errorf("dead letters %v, want 0", got)
	}
}

func TestRunner_retriesTransientFailure(t *testing.T) {
	e := setup(t)
	ev, data := newEvent(t, "w-1")
	e.publish(t, data, ev.ID)
	e.start(t, 0, func(_ event.Envelope, call int64) error {
		if call <= 2 {
			return errors.New("projection not ready")
		}
		return nil
	})

	eventually(t, 10*time.Second, "the event was not handled", func() bool {
		return e.metric(t, "nuanxin_consumer_messages_total", "outcome", "handled") == 1
	})
	// The failed attempts wrote their effect rows too, and their
	// transactions were rolled back: only the third attempt's row is left.
	var attempt, n int
	if err := e.pool.QueryRow(e.ctx, "SELECT count(*), max(attempt) FROM effects WHERE event_id = $1", ev.ID).Scan(&n, &attempt); err != nil {
		t.Fatal(err)
	}
	if n != 1 || attempt != 3 {
		t.Errorf("%d effects, last from attempt %d; want 1 from attempt 3", n, attempt)
	}
	if got := e.calls.Load(); got != 3 {
		t.Errorf("handler called %d times, want 3", got)
	}
	if got := e.metric(t, "nuanxin_consumer_redeliveries_total"); got < 2 {
		t.Errorf("redeliveries metric %v, want at least 2", got)
	}
	if got := e.metric(t, "nuanxin_consumer_messages_total", "outcome", "retry"); got != 2 {
		t.Errorf("retry metric %v, want 2", got)
	}
	if n := e.count(t, "SELECT count(*) FROM inbox"); n != 1 {
		t.Errorf("inbox rows %d, want 1", n)
	}
}

func TestRunner_permanentErrorGoesToDeadLetter(t *testing.T) {
	e := setup(t)
	bad, badData := newEvent(t, "w-bad")
	good, goodData := newEvent(t, "w-good")
	e.publish(t, badData, bad.ID)
	e.publish(t, goodData, good.ID)
	e.start(t, 0, func(ev event.Envelope, _ int64) error {
		if ev.Subject == "w-bad" {
			return consume.Permanent(errors.New("worker w-bad is unknown to this service"))
		}
		return nil
	})

	dl := e.deadLetter(t)
	if got := dl.Header.Get("Nuanxin-Error"); got != "worker w-bad is unknown to this service" {
		t.Errorf("Nuanxin-Error %q, want the handler's error", got)
	}
	if got, want := dl.Header.Get("Nuanxin-Original-Subject"), e.subj.For(event.WorkerCheckedIn, "s01"); got != want {
		t.Errorf("Nuanxin-Original-Subject %q, want %q", got, want)
	}
	if got := dl.Header.Get("Nuanxin-Consumer"); got != e.durable {
		t.Errorf("Nuanxin-Consumer %q, want %q", got, e.durable)
	}
	if string(dl.Data) != string(badData) {
		t.Errorf("dead letter data %s, want the original event %s", dl.Data, badData)
	}
	// The poison message does not block the next one.
	eventually(t, 10*time.Second, "the good event after the bad one was not handled", func() bool {
		return e.count(t, "SELECT count(*) FROM effects WHERE event_id = $1", good.ID) == 1
	})
	if n := e.count(t, "SELECT count(*) FROM effects WHERE event_id = $1", bad.ID); n != 0 {
		t.Errorf("the dead-lettered event left %d effects, want 0", n)
	}
	if n := e.count(t, "SELECT count(*) FROM inbox WHERE event_id = $1", bad.ID); n != 0 {
		t.Errorf("the dead-lettered event is in the inbox (%d rows), so a replay would be skipped", n)
	}
	if got := e.metric(t, "nuanxin_consumer_dead_letters_total"); got != 1 {
		t.Errorf("dead-letter metric %v, want 1", got)
	}
	if got := e.calls.Load(); got != 2 {
		t.Errorf("handler called %d times, want 2 (a permanent error is not retried)", got)
	}
}

func TestRunner_maxDeliverGoesToDeadLetter(t *testing.T) {
	e := setup(t)
	ev, data := newEvent(t, "w-1")
	e.publish(t, data, ev.ID)
	e.start(t, 3, func(event.Envelope, int64) error { return errors.New("points service overloaded") })

	dl := e.deadLetter(t)
	if got := dl.Header.Get("Nuanxin-Error"); got != "points service overloaded" {
		t.Errorf("Nuanxin-Error %q, want the last failure", got)
	}
	if got := e.calls.Load(); got != 3 {
		t.Errorf("handler called %d times before dead-lettering, want 3", got)
	}
	if n := e.count(t, "SELECT count(*) FROM effects"); n != 0 {
		t.Errorf("%d effects left by failed attempts, want 0", n)
	}
	if got := e.metric(t, "nuanxin_consumer_dead_letters_total"); got != 1 {
		t.Errorf("dead-letter metric %v, want 1", got)
	}
	if got := e.metric(t, "nuanxin_consumer_messages_total", "outcome", "retry"); got != 2 {
		t.Errorf("retry metric %v, want 2", got)
	}
	// The message was settled (terminated), not left for redelivery.
	cons, err := e.js.Consumer(e.ctx, e.subj.Stream("registry"), e.durable)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the dead-lettered message is still pending", func() bool {
		info, err := cons.Info(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.NumAckPending == 0 && info.NumPending == 0
	})
	if n := e.deadLetterCount(t); n != 1 {
		t.Errorf("%d dead letters, want 1", n)
	}
}

func TestRunner_malformedEventDeadLettered(t *testing.T) {
	tests := []struct {
		name, data, wantErr string
	}{
		{"not JSON", "this is not an event", "parse event"},
		{"wrong specversion", `{"specversion":"0.3","id":"x","source":"/nuanxin/registry","type":"nuanxin.registry.worker.checked_in"}`, "specversion"},
		{"no id", `{"specversion":"1.0","source":"/nuanxin/registry","type":"nuanxin.registry.worker.checked_in"}`, "required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			e.publish(t, []byte(tc.data), "bad-"+testenv.Unique())
			good, goodData := newEvent(t, "w-good")
			e.publish(t, goodData, good.ID)
			e.start(t, 0, nil)

			dl := e.deadLetter(t)
			if string(dl.Data) != tc.data {
				t.Errorf("dead letter data %q, want the original bytes %q", dl.Data, tc.data)
			}
			if got := dl.Header.Get("Nuanxin-Error"); !strings.Contains(got, tc.wantErr) {
				t.Errorf("Nuanxin-Error %q does not mention %q", got, tc.wantErr)
			}
			eventually(t, 10*time.Second, "the good event after the malformed one was not handled", func() bool {
				return e.count(t, "SELECT count(*) FROM effects WHERE event_id = $1", good.ID) == 1
			})
			if got := e.calls.Load(); got != 1 {
				t.Errorf("handler called %d times, want 1 (only for the good event)", got)
			}
			if got := e.metric(t, "nuanxin_consumer_dead_letters_total"); got != 1 {
				t.Errorf("dead-letter metric %v, want 1", got)
			}
		})
	}
}

func TestRunner_afterCommitRunsOnceAfterTheCommittedAttempt(t *testing.T) {
	e := setup(t)
	ev, data := newEvent(t, "w-1")
	e.publish(t, data, ev.ID)
	var ran, committedBefore atomic.Int64
	r := &consume.Runner{Pool: e.pool, JS: e.js, Subjects: e.subj, Stream: e.subj.Stream("registry"), Durable: e.durable,
		Backoff: []time.Duration{10 * time.Millisecond},
		Handle: func(ctx context.Context, tx pgx.Tx, ev event.Envelope) error {
			consume.AfterCommit(ctx, func() {
				ran.Add(1)
				// The hook sees the committed inbox row.
				committedBefore.Store(int64(e.count(t, "SELECT count(*) FROM inbox WHERE event_id = $1", ev.ID)))
			})
			if e.calls.Add(1) <= 2 {
				return errors.New("not yet")
			}
			return nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	eventually(t, 10*time.Second, "the hook did not run", func() bool { return ran.Load() == 1 })
	time.Sleep(100 * time.Millisecond)
	if got := ran.Load(); got != 1 || e.calls.Load() != 3 || committedBefore.Load() != 1 {
		t.Fatalf("hook ran %d times over %d attempts (inbox row seen: %d); want once, after the third commits",
			got, e.calls.Load(), committedBefore.Load())
	}
}

// lockedBuffer is a log destination safe to read while a runner writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestRunner_runUntilDoneRestartsUntilTheStreamIsThere(t *testing.T) {
	e := setup(t)
	// A namespace whose streams do not exist yet: Run fails at once.
	e.subj = event.Subjects{Namespace: "t" + testenv.Unique()}
	var logs lockedBuffer
	r := &consume.Runner{Pool: e.pool, JS: e.js, Subjects: e.subj, Stream: e.subj.Stream("registry"), Durable: e.durable,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Handle: func(context.Context, pgx.Tx, event.Envelope) error { e.calls.Add(1); return nil }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.RunUntilDone(ctx); close(done) }()

	eventually(t, 5*time.Second, "no warning that the consumer paused", func() bool {
		return strings.Contains(logs.String(), "consumer paused") && strings.Contains(logs.String(), "consumer="+e.durable)
	})
	if err := e.subj.EnsureStreams(e.ctx, e.js, "registry", 1); err != nil {
		t.Fatal(err)
	}
	ev, data := newEvent(t, "w-1")
	e.publish(t, data, ev.ID)
	eventually(t, 3*consume.RestartPause+5*time.Second, "the event was not handled after the restart", func() bool { return e.calls.Load() == 1 })

	paused := strings.Count(logs.String(), "consumer paused")
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunUntilDone did not return after its context was cancelled")
	}
	if n := strings.Count(logs.String(), "consumer paused"); n != paused {
		t.Error("the cancellation was logged as a pause")
	}
}
