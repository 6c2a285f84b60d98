package ceiling

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	// batchSize is how many outbox rows the relay publishes per round.
	batchSize = 256
	// pollInterval is the relay's fallback wake-up. Writers wake it after
	// each commit, but a row can stay out of reach after its wake-up while
	// an older transaction runs, in this database or another on the same
	// server (transaction ids are cluster-wide); no commit of ours wakes the
	// relay when that one ends.
	pollInterval = 10 * time.Millisecond
	// ackTimeout bounds the wait for JetStream's acks of one batch.
	ackTimeout = 10 * time.Second
)

// Without the lock, rows become visible in commit order, which is not id
// order: the relay must not publish a row while a transaction that could
// still add an earlier one is running. Each row records its transaction's
// id, and the relay reads only rows of transactions older than the oldest
// one still running (the snapshot's xmin): every such transaction has
// finished, so that set is complete and no later commit adds to it. Writers
// never wait for each other.
//
// (txid, id) is the order transactions took their ids (at their first
// write), not the order they committed. The bare pipeline has no entities,
// so any order will do here; a service relying on it for one entity's
// events needs each transaction to lock that entity no later than its
// first write, so that a later writer's id is always the larger.
const fetchByTxid = `
	SELECT id, event_id, subject, payload FROM outbox
	WHERE txid < pg_snapshot_xmin(pg_current_snapshot())
	ORDER BY txid, id LIMIT $1`

// With the lock, writers insert outbox rows one transaction at a time, each
// holding the lock until it commits, so committed rows always form a prefix
// in id order and the relay reads them all.
const fetchByID = `SELECT id, event_id, subject, payload FROM outbox ORDER BY id LIMIT $1`

// relay publishes outbox rows to JetStream and deletes the ones
// acknowledged. It is the whole of what a relay must do, and nothing more:
// one instance, no leader election, no retries (any error ends the
// measurement).
type relay struct {
	pool *pgxpool.Pool
	js   jetstream.JetStream
	lock bool
	wake <-chan struct{} // a commit happened
	stop <-chan struct{} // closed: one last round, then return
}

// outboxRow is one event waiting to be published.
type outboxRow struct {
	id      int64
	eventID string
	subject string
	payload []byte
}

// run relays until stop is closed (after a last round) or ctx ends.
func (r *relay) run(ctx context.Context) error {
	conn, err := r.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("relay: acquire connection: %w", err)
	}
	defer conn.Release()
	fetch := fetchByTxid
	if r.lock {
		fetch = fetchByID
	}
	poll := time.NewTicker(pollInterval)
	defer poll.Stop()
	for {
		if err := r.drain(ctx, conn, fetch); err != nil {
			return err
		}
		select {
		case <-r.wake:
		case <-poll.C:
		case <-r.stop:
			return r.drain(ctx, conn, fetch)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// drain publishes batches until fewer than a full batch are ready.
func (r *relay) drain(ctx context.Context, conn *pgxpool.Conn, fetch string) error {
	for {
		rows, err := readBatch(ctx, conn, fetch)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		if err := r.publish(ctx, rows); err != nil {
			return err
		}
		// Delete exactly what was published: with the transaction-id order
		// a smaller id may still be uncommitted, so "id <= last" would
		// delete an event never sent.
		ids := make([]int64, len(rows))
		for i, x := range rows {
			ids[i] = x.id
		}
		if _, err := conn.Exec(ctx, "DELETE FROM outbox WHERE id = ANY($1)", ids); err != nil {
			return fmt.Errorf("relay: delete published rows: %w", err)
		}
		if len(rows) < batchSize {
			return nil
		}
	}
}

func readBatch(ctx context.Context, conn *pgxpool.Conn, fetch string) ([]outboxRow, error) {
	rs, err := conn.Query(ctx, fetch, batchSize)
	if err != nil {
		return nil, fmt.Errorf("relay: read outbox: %w", err)
	}
	defer rs.Close()
	var rows []outboxRow
	for rs.Next() {
		var x outboxRow
		if err := rs.Scan(&x.id, &x.eventID, &x.subject, &x.payload); err != nil {
			return nil, fmt.Errorf("relay: read outbox: %w", err)
		}
		rows = append(rows, x)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("relay: read outbox: %w", err)
	}
	return rows, nil
}

// publish sends the whole batch without waiting (one connection keeps the
// messages in order), then waits until JetStream has acknowledged each.
// Nats-Msg-Id is the event id, so the stream would drop a row published
// again after a crash between ack and delete.
func (r *relay) publish(ctx context.Context, rows []outboxRow) error {
	acks := make([]jetstream.PubAckFuture, len(rows))
	for i, x := range rows {
		f, err := r.js.PublishMsgAsync(&nats.Msg{Subject: x.subject, Data: x.payload}, jetstream.WithMsgID(x.eventID))
		if err != nil {
			return fmt.Errorf("relay: publish event %s: %w", x.eventID, err)
		}
		acks[i] = f
	}
	timeout := time.NewTimer(ackTimeout)
	defer timeout.Stop()
	for i, f := range acks {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("relay: publish event %s: %w", rows[i].eventID, err)
		case <-timeout.C:
			return fmt.Errorf("relay: publish event %s: no ack within %s", rows[i].eventID, ackTimeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
