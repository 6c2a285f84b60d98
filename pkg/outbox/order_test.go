package outbox_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/outbox"
)

// change is one committed write to an entity: the version it gave the
// entity and the event it added.
type change struct {
	entity  string
	version int
	eventID string
}

// changeEntity bumps entity's version — locking its row — and adds the
// event of that change, in tx.
func (e *env) changeEntity(tx pgx.Tx, entity string) (change, error) {
	c := change{entity: entity}
	if err := tx.QueryRow(e.ctx, `INSERT INTO entities (id, version) VALUES ($1, 1)
		ON CONFLICT (id) DO UPDATE SET version = entities.version + 1 RETURNING version`, entity).Scan(&c.version); err != nil {
		return c, err
	}
	ev, err := outbox.Writer{Subjects: e.subj}.Add(e.ctx, tx, event.WorkerCheckedIn, "s01", entity,
		event.CheckInData{WorkerID: entity, Street: "s01", Channel: "online"})
	c.eventID = ev.ID
	return c, err
}

// versionsOnStream maps the stream, in order, back to each entity's
// versions as the writers committed them.
func versionsOnStream(t *testing.T, stream []string, all []change) map[string][]int {
	t.Helper()
	byEvent := map[string]change{}
	for _, c := range all {
		byEvent[c.eventID] = c
	}
	got := map[string][]int{}
	for _, id := range stream {
		c, ok := byEvent[id]
		if !ok {
			t.Fatalf("stream holds event %s that no committed write added", id)
		}
		got[c.entity] = append(got[c.entity], c.version)
	}
	return got
}

// Eight writers, each changing one of three entities at a time, linger at
// random between the change, the event and the commit, so rows with smaller
// ids often commit after the relay has published larger ones. No lock
// serialises the writers; each entity's events must still reach the stream
// in the order of its versions, each exactly once.
func TestRelay_keepsEachEntitysOrderUnderConcurrentWriters(t *testing.T) {
	e := setup(t, "")
	run(t, &outbox.Relay{Pool: e.pool, JS: e.js, PollInterval: 200 * time.Millisecond, BatchSize: 7})

	entities := []string{"w-1", "w-2", "w-3"}
	var (
		mu  sync.Mutex
		all []change
		wg  sync.WaitGroup
	)
	linger := func() { time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond) }
	for g := range 8 {
		wg.Go(func() {
			for i := range 15 {
				var c change
				err := db.InTx(e.ctx, e.pool, func(tx pgx.Tx) error {
					linger()
					var err error
					if c, err = e.changeEntity(tx, entities[(g+i)%len(entities)]); err != nil {
						return err
					}
					linger()
					return nil
				})
				if err != nil {
					t.Errorf("writer %d, write %d: %v", g, i, err)
					return
				}
				mu.Lock()
				all = append(all, c)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	eventually(t, 10*time.Second, "the outbox is not empty", func() bool { return e.outboxRows(t) == 0 })
	stream := e.streamEventIDs(t)
	if len(stream) != len(all) {
		t.Fatalf("stream holds %d messages, want the %d committed events", len(stream), len(all))
	}
	got := versionsOnStream(t, stream, all)
	total := 0
	for _, entity := range entities {
		versions := got[entity]
		total += len(versions)
		want := make([]int, len(versions))
		for i := range want {
			want[i] = i + 1
		}
		if !slices.Equal(versions, want) {
			t.Errorf("%s's events reached the stream as versions %v, want %v", entity, versions, want)
		}
	}
	if total != 120 {
		t.Errorf("%d events on the stream, want 120", total)
	}
}

// The case that rules out ordering the outbox by transaction id (xid8): a
// transaction that got its id first — it wrote something else — and only
// then waited for an entity another transaction held. Its event comes
// second, and so must be published second.
func TestRelay_publishesAnEntitysEventsInLockOrderWhateverTheTransactionIDs(t *testing.T) {
	e := setup(t, "")
	run(t, &outbox.Relay{Pool: e.pool, JS: e.js, PollInterval: 200 * time.Millisecond})
	if err := db.InTx(e.ctx, e.pool, func(tx pgx.Tx) error { _, err := e.changeEntity(tx, "w-1"); return err }); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the first event was not relayed", func() bool { return e.outboxRows(t) == 0 })

	// B takes a transaction id first, by a write of its own.
	b, err := e.pool.Begin(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Rollback(context.WithoutCancel(e.ctx)) //nolint:errcheck // a no-op after Commit
	var bXID, aXID uint64
	if err := b.QueryRow(e.ctx, "INSERT INTO other_writes DEFAULT VALUES RETURNING pg_current_xact_id()::text::bigint").Scan(&bXID); err != nil {
		t.Fatal(err)
	}
	// A, later, changes w-1 and holds it.
	a, err := e.pool.Begin(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Rollback(context.WithoutCancel(e.ctx)) //nolint:errcheck // a no-op after Commit
	first, err := e.changeEntity(a, "w-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.QueryRow(e.ctx, "SELECT pg_current_xact_id()::text::bigint").Scan(&aXID); err != nil {
		t.Fatal(err)
	}
	if bXID >= aXID {
		t.Fatalf("B's transaction id %d is not older than A's %d; the case needs it older", bXID, aXID)
	}
	// B now changes w-1 too: it waits for A's lock.
	bDone := make(chan error, 1)
	var second change
	go func() {
		var err error
		second, err = e.changeEntity(b, "w-1")
		if err == nil {
			err = b.Commit(e.ctx)
		}
		bDone <- err
	}()
	eventually(t, 10*time.Second, "B never waited for A's lock on w-1", func() bool {
		var waiting bool
		if err := e.pool.QueryRow(e.ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		return waiting
	})
	if err := a.Commit(e.ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-bDone; err != nil {
		t.Fatal(err)
	}

	eventually(t, 10*time.Second, "the outbox is not empty", func() bool { return e.outboxRows(t) == 0 })
	stream := e.streamEventIDs(t)
	if want := []string{first.eventID, second.eventID}; !slices.Equal(stream[1:], want) {
		t.Errorf("after the first event, the stream holds %v; want A's change (version %d) then B's (version %d): %v",
			stream[1:], first.version, second.version, want)
	}
}

// A transaction left open does not hold back the events of others: they
// are published while it runs, and its own event once it commits — each
// exactly once.
func TestRelay_doesNotWaitForAnOpenTransaction(t *testing.T) {
	e := setup(t, "")
	run(t, &outbox.Relay{Pool: e.pool, JS: e.js, PollInterval: 200 * time.Millisecond})

	slow, err := e.pool.Begin(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback(context.WithoutCancel(e.ctx)) //nolint:errcheck // a no-op after Commit
	late, err := e.changeEntity(slow, "w-slow")
	if err != nil {
		t.Fatal(err)
	}
	var others []string
	for i := range 5 {
		err := db.InTx(e.ctx, e.pool, func(tx pgx.Tx) error {
			c, err := e.changeEntity(tx, fmt.Sprintf("w-%d", i))
			others = append(others, c.eventID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "the others' events were held back by the open transaction", func() bool {
		return e.streamCount(t) == 5
	})
	if err := slow.Commit(e.ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the outbox is not empty", func() bool { return e.outboxRows(t) == 0 })
	if got, want := e.streamEventIDs(t), append(others, late.eventID); !slices.Equal(got, want) {
		t.Errorf("stream holds %v, want the five others then the late one %v", got, want)
	}
}

// The relay learns of new rows after the commit: by the process's bell
// when it leads and listens here, else by a NOTIFY (sent after the commit
// for a transaction begun by db.InTx, inside any other). Every way, it
// publishes at once, long before its next poll.
func TestWriter_wakesTheRelayWithoutWaitingForAPoll(t *testing.T) {
	mine, another := outbox.NewBell(), outbox.NewBell() // two processes' bells
	for _, tc := range []struct {
		name              string
		writerBell, relay *outbox.Bell
		inTx              bool
	}{
		{"bell shared with the relay", mine, mine, true},
		{"NOTIFY after the commit: no bell", nil, nil, true},
		{"NOTIFY after the commit: the relay of another process leads", mine, another, true},
		{"NOTIFY inside a transaction not begun by InTx", mine, mine, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, "")
			stop := run(t, &outbox.Relay{Pool: e.pool, JS: e.js, Bell: tc.relay, PollInterval: time.Hour})
			defer stop() // before the next case's relay takes the bell
			w := outbox.Writer{Subjects: e.subj, Bell: tc.writerBell}
			add := func(tx pgx.Tx) error {
				_, err := w.Add(e.ctx, tx, event.WorkerCheckedIn, "s01", "w-1", event.CheckInData{WorkerID: "w-1", Street: "s01"})
				return err
			}
			for i := range 3 {
				if tc.inTx {
					if err := db.InTx(e.ctx, e.pool, add); err != nil {
						t.Fatal(err)
					}
				} else if err := pgx.BeginFunc(e.ctx, e.pool, add); err != nil {
					t.Fatal(err)
				}
				eventually(t, 10*time.Second, fmt.Sprintf("write %d was not relayed", i+1), func() bool {
					return e.streamCount(t) == uint64(i+1)
				})
			}
		})
	}
}
