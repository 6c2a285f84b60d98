package consume_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/event"
)

// publishBurst publishes n events of worker (one subject) and returns
// their ids in stream order.
func (e *env) publishBurst(t *testing.T, worker string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ev, data := newEvent(t, worker)
		e.publish(t, data, ev.ID)
		ids[i] = ev.ID
	}
	return ids
}

// applied returns the ids of the events whose effects were written, in the
// order they were written.
func (e *env) applied(t *testing.T) []string {
	t.Helper()
	rows, err := e.pool.Query(e.ctx, "SELECT event_id FROM effects ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// assertOneEffectEach fails unless each of ids has exactly one effect row
// and nothing else has any.
func (e *env) assertOneEffectEach(t *testing.T, ids []string) {
	t.Helper()
	n := map[string]int{}
	for _, id := range e.applied(t) {
		n[id]++
	}
	for _, id := range ids {
		if n[id] != 1 {
			t.Errorf("event %s has %d effects, want 1", id, n[id])
		}
		delete(n, id)
	}
	for id, c := range n {
		t.Errorf("event %s, which should have none, has %d effects", id, c)
	}
}

func TestRunner_burstIsHandledOnceEachInFewerTransactions(t *testing.T) {
	const events = 200
	tests := []struct {
		name      string
		batchSize int // 0: the default, 64
		oneByOne  bool
	}{
		{name: "default batch size", batchSize: 0},
		{name: "batches of 7", batchSize: 7},
		{name: "batch size 1 is one transaction per event", batchSize: 1, oneByOne: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			ids := e.publishBurst(t, "w-1", events)
			r := e.runner(0, nil)
			r.BatchSize = tc.batchSize
			e.run(t, r)
			e.settled(t)

			e.assertOneEffectEach(t, ids)
			if n := e.count(t, "SELECT count(*) FROM inbox WHERE consumer = $1", e.durable); n != events {
				t.Errorf("%d inbox rows, want %d", n, events)
			}
			if got := e.metric(t, "nuanxin_consumer_messages_total", "outcome", "handled"); got != events {
				t.Errorf("handled metric %v, want %d", got, events)
			}
			txs := e.count(t, "SELECT count(DISTINCT txid) FROM effects")
			batches := int(e.metric(t, "nuanxin_consumer_batch_messages"))
			size := cmpOr(tc.batchSize, 64)
			if tc.oneByOne {
				if txs != events {
					t.Errorf("%d events committed in %d transactions, want one each", events, txs)
				}
				return
			}
			if txs >= events || txs < (events+size-1)/size {
				t.Errorf("%d events committed in %d transactions, want fewer, and batches of at most %d", events, txs, size)
			}
			if batches >= events || batches != txs {
				t.Errorf("batch metric counts %d batches for %d transactions and %d events", batches, txs, events)
			}
		})
	}
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func TestRunner_poisonMessageInABatchIsSettledAloneAndTheOthersOnce(t *testing.T) {
	tests := []struct {
		name        string
		maxDeliver  int
		err         error
		wantRetries float64
	}{
		{"transient failure, dead-lettered after MaxDeliver", 3, errors.New("points service overloaded"), 2},
		{"permanent failure, dead-lettered at once", 0, consume.Permanent(errors.New("worker unknown")), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			good := e.publishBurst(t, "w-good", 15)
			poison, data := newEvent(t, "w-poison")
			e.publish(t, data, poison.ID)
			good = append(good, e.publishBurst(t, "w-good", 15)...)

			var mu sync.Mutex
			afterCommit := map[string]int{} // event id: AfterCommit hooks run
			r := e.runner(tc.maxDeliver, func(ev event.Envelope, _ int64) error {
				if ev.Subject == "w-poison" {
					return tc.err
				}
				return nil
			})
			handle := r.Handle
			r.Handle = func(ctx context.Context, tx pgx.Tx, ev event.Envelope) error {
				consume.AfterCommit(ctx, func() {
					mu.Lock()
					defer mu.Unlock()
					afterCommit[ev.ID]++
				})
				return handle(ctx, tx, ev)
			}
			e.run(t, r)

			dl := e.deadLetter(t)
			if got := dl.Header.Get("Nuanxin-Error"); got != tc.err.Error() {
				t.Errorf("Nuanxin-Error %q, want %q", got, tc.err)
			}
			e.settled(t)

			e.assertOneEffectEach(t, good)
			if n := e.count(t, "SELECT count(*) FROM inbox WHERE event_id = $1", poison.ID); n != 0 {
				t.Errorf("the poison event is in the inbox (%d rows), so a replay would be skipped", n)
			}
			if got := e.metric(t, "nuanxin_consumer_messages_total", "outcome", "retry"); got != tc.wantRetries {
				t.Errorf("retry metric %v, want %v: the poison event alone is retried", got, tc.wantRetries)
			}
			if got := e.metric(t, "nuanxin_consumer_messages_total", "outcome", "handled"); got != float64(len(good)) {
				t.Errorf("handled metric %v, want %d", got, len(good))
			}
			if got := e.metric(t, "nuanxin_consumer_dead_letters_total"); got != 1 {
				t.Errorf("dead-letter metric %v, want 1", got)
			}
			if n := e.deadLetterCount(t); n != 1 {
				t.Errorf("%d dead letters, want 1", n)
			}
			if txs := e.count(t, "SELECT count(DISTINCT txid) FROM effects"); txs >= len(good) {
				t.Errorf("the %d good events took %d transactions: they were not batched", len(good), txs)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range good {
				if afterCommit[id] != 1 {
					t.Errorf("AfterCommit hook of %s ran %d times, want once", id, afterCommit[id])
				}
			}
			if n := afterCommit[poison.ID]; n != 0 {
				t.Errorf("AfterCommit hook of the poison event ran %d times, want never", n)
			}
		})
	}
}

func TestRunner_swallowedStatementErrorSpoilsOnlyItsOwnEvent(t *testing.T) {
	e := setup(t)
	good := e.publishBurst(t, "w-good", 10)
	bad, data := newEvent(t, "w-swallow")
	e.publish(t, data, bad.ID)
	good = append(good, e.publishBurst(t, "w-good", 10)...)
	r := e.runner(2, nil)
	handle := r.Handle
	r.Handle = func(ctx context.Context, tx pgx.Tx, ev event.Envelope) error {
		if err := handle(ctx, tx, ev); err != nil {
			return err
		}
		if ev.Subject == "w-swallow" {
			// A handler bug: the failed statement aborts the transaction,
			// and the handler carries on as if nothing happened.
			_, _ = tx.Exec(ctx, "SELECT 1/0")
		}
		return nil
	}
	e.run(t, r)

	dl := e.deadLetter(t)
	if got := dl.Header.Get("Nuanxin-Error"); got == "" {
		t.Error("the dead letter does not say why")
	}
	e.settled(t)
	e.assertOneEffectEach(t, good)
	if got := e.metric(t, "nuanxin_consumer_messages_total", "outcome", "retry"); got != 1 {
		t.Errorf("retry metric %v, want 1 (the spoiling event's first attempt)", got)
	}
	if got := e.metric(t, "nuanxin_consumer_dead_letters_total"); got != 1 {
		t.Errorf("dead-letter metric %v, want 1", got)
	}
}

var errCrash = errors.New("crash between commit and ack")

func TestRunner_crashBetweenCommitAndAckHasNoSecondEffect(t *testing.T) {
	tests := []struct {
		name  string
		acked func(batch int) int // how many of the batch are acked before the crash
	}{
		{"crash before any ack", func(int) int { return 0 }},
		{"crash after acking the first half", func(batch int) int { return batch / 2 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			ids := e.publishBurst(t, "w-1", 60)

			// The first runner crashes after committing its first batch of
			// more than one message, having acked some of it.
			var crashed []string // event ids of the crashed batch
			first := e.runner(0, nil)
			first.AckWait = time.Second // redelivery comes fast
			consume.SetBeforeAck(first, func(batch []jetstream.Msg) error {
				if len(batch) < 2 {
					return nil
				}
				for _, msg := range batch[:tc.acked(len(batch))] {
					if err := msg.Ack(); err != nil {
						return fmt.Errorf("ack: %w", err)
					}
				}
				for _, msg := range batch {
					ev, err := event.Parse(msg.Data())
					if err != nil {
						return err
					}
					crashed = append(crashed, ev.ID)
				}
				return errCrash
			})
			done := make(chan error, 1)
			go func() { done <- first.Run(context.Background()) }()
			select {
			case err := <-done:
				if !errors.Is(err, errCrash) {
					t.Fatalf("the first runner returned %v, want the crash", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the first runner never crashed: no batch of more than one message")
			}
			// The crashed batch committed, and its effects are there.
			if n := e.count(t, "SELECT count(*) FROM effects WHERE event_id = ANY($1)", crashed); n != len(crashed) {
				t.Fatalf("the crashed batch of %d committed %d effects", len(crashed), n)
			}
			unacked := len(crashed) - tc.acked(len(crashed))

			second := e.runner(0, nil)
			second.AckWait = time.Second
			e.run(t, second)
			e.settled(t)

			e.assertOneEffectEach(t, ids)
			if got := e.metric(t, "nuanxin_consumer_messages_total", "outcome", "duplicate"); got < float64(unacked) {
				t.Errorf("%v duplicates, want the %d unacked messages of the crashed batch redelivered as duplicates", got, unacked)
			}
			// The crashed batch was committed but never counted; every other
			// event was handled once, by one runner or the other.
			if got, want := e.metric(t, "nuanxin_consumer_messages_total", "outcome", "handled"), len(ids)-len(crashed); got != float64(want) {
				t.Errorf("handled metric %v, want %d", got, want)
			}
		})
	}
}

func TestRunner_appliesOneSubjectInStreamOrderWithinAndAcrossBatches(t *testing.T) {
	e := setup(t)
	ids := e.publishBurst(t, "w-1", 150)
	r := e.runner(0, nil)
	r.BatchSize = 16
	e.run(t, r)
	e.settled(t)

	applied := e.applied(t)
	if !slices.Equal(applied, ids) {
		t.Errorf("events applied in this order:\n%v\nwant stream order:\n%v", applied, ids)
	}
	if txs := e.count(t, "SELECT count(DISTINCT txid) FROM effects"); txs < 150/16 || txs >= 150 {
		t.Errorf("%d transactions for 150 events in batches of at most 16: want several, each of several events", txs)
	}
}

// With lanes, a batch is split by key into transactions that run at once:
// each event still has one effect, and each key's events (one worker's)
// are applied in stream order, whatever the other lanes do.
func TestRunner_lanesKeepEachKeysOrderAndHandleEachEventOnce(t *testing.T) {
	e := setup(t)
	workers := []string{"w-1", "w-2", "w-3", "w-4", "w-5"}
	byWorker := map[string][]string{}
	var all []string
	for i := range 200 {
		w := workers[i%len(workers)]
		ev, data := newEvent(t, w)
		e.publish(t, data, ev.ID)
		byWorker[w] = append(byWorker[w], ev.ID)
		all = append(all, ev.ID)
	}
	r := e.runner(0, nil)
	r.BatchSize, r.Lanes = 32, 3
	r.Key = func(ev event.Envelope) string { return ev.Subject }
	e.run(t, r)
	e.settled(t)

	e.assertOneEffectEach(t, all)
	applied := e.applied(t)
	worker := map[string]string{}
	for w, ids := range byWorker {
		for _, id := range ids {
			worker[id] = w
		}
	}
	got := map[string][]string{}
	for _, id := range applied {
		got[worker[id]] = append(got[worker[id]], id)
	}
	for _, w := range workers {
		if !slices.Equal(got[w], byWorker[w]) {
			t.Errorf("%s's events applied in this order:\n%v\nwant stream order:\n%v", w, got[w], byWorker[w])
		}
	}
}

// batchRunner is e.runner with a BatchHandler instead: it writes the
// effects of all its events in one statement, unless one of them is
// poison, when it names that one with consume.At.
func (e *env) batchRunner(maxDeliver int, poison func(ev event.Envelope) error) (r *consume.Runner, biggest func() int) {
	r = e.runner(maxDeliver, nil)
	r.Handle = nil
	var mu sync.Mutex
	most := 0
	r.HandleBatch = func(ctx context.Context, tx pgx.Tx, evs []event.Envelope) error {
		mu.Lock()
		most = max(most, len(evs))
		mu.Unlock()
		ids := make([]string, len(evs))
		for i, ev := range evs {
			if err := poison(ev); err != nil {
				return consume.At(i, err)
			}
			ids[i] = ev.ID
		}
		_, err := tx.Exec(ctx, `INSERT INTO effects (event_id, attempt)
			SELECT id, 1 FROM unnest($1::text[]) WITH ORDINALITY AS e(id, n) ORDER BY n`, ids)
		return err
	}
	return r, func() int { mu.Lock(); defer mu.Unlock(); return most }
}

func TestRunner_batchHandlerFaultAtOneEventIsSettledAloneAndTheOthersOnceInOrder(t *testing.T) {
	tests := []struct {
		name        string
		maxDeliver  int
		err         error
		wantRetries float64
	}{
		{"transient failure, dead-lettered after MaxDeliver", 3, errors.New("account not opened yet"), 2},
		{"permanent failure, dead-lettered at once", 0, consume.Permanent(errors.New("malformed payload")), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			good := e.publishBurst(t, "w-good", 20)
			poison, data := newEvent(t, "w-poison")
			e.publish(t, data, poison.ID)
			good = append(good, e.publishBurst(t, "w-good", 20)...)

			r, biggest := e.batchRunner(tc.maxDeliver, func(ev event.Envelope) error {
				if ev.Subject == "w-poison" {
					return tc.err
				}
				return nil
			})
			e.run(t, r)

			dl := e.deadLetter(t)
			if got := dl.Header.Get("Nuanxin-Error"); got != tc.err.Error() {
				t.Errorf("Nuanxin-Error %q, want the event's own error %q", got, tc.err)
			}
			e.settled(t)

			e.assertOneEffectEach(t, good)
			if got := e.applied(t); !slices.Equal(got, good) {
				t.Errorf("effects applied in the order\n%v\nwant the stream's\n%v", got, good)
			}
			if n := e.count(t, "SELECT count(*) FROM inbox WHERE event_id = $1", poison.ID); n != 0 {
				t.Errorf("the poison event is in the inbox (%d rows), so a replay would be skipped", n)
			}
			if got := e.metric(t, "nuanxin_consumer_messages_total", "outcome", "retry"); got != tc.wantRetries {
				t.Errorf("retry metric %v, want %v: the poison event alone is retried", got, tc.wantRetries)
			}
			if n := e.deadLetterCount(t); n != 1 {
				t.Errorf("%d dead letters, want 1", n)
			}
			if txs := e.count(t, "SELECT count(DISTINCT txid) FROM effects"); txs >= len(good) || biggest() < 2 {
				t.Errorf("the %d good events took %d transactions, the biggest call %d events: they were not batched",
					len(good), txs, biggest())
			}
		})
	}
}
