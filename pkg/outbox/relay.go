package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
)

// Relay moves events from the outbox table to JetStream. Each round it reads
// the committed rows in id order, publishes them in that order and deletes
// exactly those it published. A row whose transaction commits later, with
// a smaller id than rows already published, is published in a later round:
// it belongs to another entity (Writer.AddAll says why), and nothing waits
// for a long transaction to end.
//
// Several instances
// of a service may run one each: a session advisory lock elects one active
// relay, the others wait as standbys and take over if its connection drops.
//
// Give the relay a NATS connection with the reconnect buffer switched off
// (nats.ReconnectBufSize(-1)): a publish that cannot be sent must fail, not
// wait in the client to be sent after later ones.
type Relay struct {
	Pool    *pgxpool.Pool
	JS      jetstream.JetStream
	Logger  *slog.Logger
	Metrics *Metrics // optional
	Bell    *Bell    // optional: the writers of this process ring it instead of sending a NOTIFY

	BatchSize    int           // rows per round trip; default 256
	PollInterval time.Duration // fallback wake-up if a NOTIFY is missed; default 2s
	AckTimeout   time.Duration // how long a batch waits for JetStream acks; default 10s

	// afterPublish, when set (tests only), runs after a batch is acknowledged
	// and before its rows are deleted; an error there stands for a crash.
	afterPublish func() error
}

type row struct {
	id      int64
	eventID string
	subject string
	payload []byte
	created time.Time
}

// withDefaults returns a copy of r with the defaults filled in; Run works on
// the copy and never writes r, so its builder may read r while it runs.
func (r *Relay) withDefaults() *Relay {
	c := *r
	if c.BatchSize <= 0 {
		c.BatchSize = 256
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return &c
}

// Run relays until ctx is cancelled. Errors (database or broker down) are
// logged and retried with backoff; Run returns only ctx's error.
func (r *Relay) Run(ctx context.Context) error {
	r = r.withDefaults()
	backoff := 100 * time.Millisecond
	for {
		err := r.lead(ctx)
		if ctx.Err() != nil {
			r.Metrics.setLeader(false)
			return ctx.Err()
		}
		r.Metrics.setLeader(false)
		if err != nil {
			r.Logger.Warn("outbox relay paused", "err", err, "retry_in", backoff)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		if err != nil {
			backoff = min(backoff*2, 5*time.Second)
		} else {
			backoff = 100 * time.Millisecond
		}
	}
}

// lead holds one connection: it takes the leader lock, listens for new rows
// and drains the table until something fails. Returning nil means "not the
// leader right now".
func (r *Relay) lead(ctx context.Context) error {
	pooled, err := r.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	// The connection will carry a session lock and LISTEN: take it out of
	// the pool for good, so it is closed rather than handed to someone else.
	pg := pooled.Hijack()
	defer pg.Close(context.WithoutCancel(ctx))

	var schema string
	if err := pg.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Errorf("current schema: %w", err)
	}
	var leader bool
	if err := pg.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", db.LockKey(schema+".outbox.relay")).Scan(&leader); err != nil {
		return fmt.Errorf("leader lock: %w", err)
	}
	if !leader {
		// A standby: look again in a little while.
		select {
		case <-ctx.Done():
		case <-time.After(r.PollInterval):
		}
		return nil
	}
	r.Metrics.setLeader(true)
	if _, err := pg.Exec(ctx, "LISTEN outbox_"+schema); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	r.Logger.Info("outbox relay active", "schema", schema)
	r.Bell.listen(true)
	defer r.Bell.listen(false)

	for {
		if err := r.drain(ctx, pg); err != nil {
			return err
		}
		if err := r.wait(ctx, pg); err != nil {
			return err
		}
	}
}

// wait returns when a NOTIFY arrives, the bell rings (at once if it rang
// during the drain) or PollInterval passes.
func (r *Relay) wait(ctx context.Context, pg *pgx.Conn) error {
	wait, cancel := context.WithTimeout(ctx, r.PollInterval)
	defer cancel()
	select {
	case <-r.Bell.rings():
		return nil
	default:
	}
	rang := make(chan struct{})
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-r.Bell.rings():
			close(rang)
			cancel()
		case <-stop:
		}
	}()
	_, err := pg.WaitForNotification(wait)
	select {
	case <-rang:
		// Cancelled by the ring; a notification that came in meanwhile is
		// read on the next wait.
		return ctx.Err()
	default:
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("wait for notification: %w", err)
	}
	return nil
}

// drain publishes batches until the table is empty.
func (r *Relay) drain(ctx context.Context, pg *pgx.Conn) error {
	for {
		rows, err := fetch(ctx, pg, r.BatchSize)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		acked, pubErr := r.publish(ctx, rows)
		if acked > 0 && r.afterPublish != nil {
			if err := r.afterPublish(); err != nil {
				return err
			}
		}
		if acked > 0 {
			// Exactly the rows published: a row with a smaller id whose
			// transaction had not committed when they were read is still
			// to come, and must stay.
			ids := make([]int64, acked)
			for i, x := range rows[:acked] {
				ids[i] = x.id
			}
			if _, err := pg.Exec(ctx, "DELETE FROM outbox WHERE id = ANY($1)", ids); err != nil {
				return fmt.Errorf("delete relayed rows: %w", err)
			}
			r.Metrics.published(rows[:acked])
		}
		if pubErr != nil {
			r.Metrics.publishFailed()
			return pubErr
		}
		if len(rows) < r.BatchSize {
			return nil
		}
	}
}

func fetch(ctx context.Context, pg *pgx.Conn, limit int) ([]row, error) {
	rs, err := pg.Query(ctx, "SELECT id, event_id, subject, payload, created_at FROM outbox ORDER BY id LIMIT $1", limit)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var x row
		if err := rs.Scan(&x.id, &x.eventID, &x.subject, &x.payload, &x.created); err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		out = append(out, x)
	}
	return out, rs.Err()
}

// publish sends the batch asynchronously (one connection keeps them in
// order) and waits for the acks in order. It returns how many rows, from the
// start of the batch, JetStream has acknowledged: only those may be deleted.
// Nats-Msg-Id is the event id, so a republished row (after a crash between
// ack and delete) is dropped by the stream's duplicate window.
func (r *Relay) publish(ctx context.Context, rows []row) (int, error) {
	futures := make([]jetstream.PubAckFuture, 0, len(rows))
	var sendErr error
	for _, x := range rows {
		// Publishing while disconnected would park the tail of the batch in
		// the client's reconnect buffer, to be flushed after the head was
		// lost: out of order. Stop instead; the next round starts from the
		// first unacknowledged row.
		if st := r.JS.Conn().Status(); st != nats.CONNECTED {
			sendErr = fmt.Errorf("publish %s: nats connection %s", x.eventID, st)
			break
		}
		msg := &nats.Msg{Subject: x.subject, Data: x.payload, Header: nats.Header{}}
		msg.Header.Set("Content-Type", event.ContentType)
		f, err := r.JS.PublishMsgAsync(msg, jetstream.WithMsgID(x.eventID))
		if err != nil {
			sendErr = fmt.Errorf("publish %s: %w", x.eventID, err)
			break
		}
		futures = append(futures, f)
	}
	timeout := time.NewTimer(r.AckTimeout)
	defer timeout.Stop()
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return i, fmt.Errorf("publish %s: %w", rows[i].eventID, err)
		case <-timeout.C:
			return i, fmt.Errorf("publish %s: no ack within %s", rows[i].eventID, r.AckTimeout)
		case <-ctx.Done():
			return i, ctx.Err()
		}
	}
	return len(futures), sendErr
}
