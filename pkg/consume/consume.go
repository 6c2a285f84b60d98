// Package consume runs a durable JetStream pull consumer whose handler
// commits its effects together with an inbox row, so every event has exactly
// one effect however often it is delivered.
//
// Batches. With fsync on, the commit is most of what handling an event
// costs, so the runner commits many events at once: it waits for one
// message, then takes whatever else has already arrived (up to BatchSize)
// without waiting for more. A lone event is handled as soon as it comes; a
// burst shares its commits, and so its fsyncs. One transaction records the
// inbox rows of the whole batch, runs the handler for each event not seen
// before, in stream order, and commits; only then is every message of the
// batch acknowledged, duplicates included. A crash between the commit and
// the acks is harmless: the messages come back and find their inbox rows.
// A BatchHandler gets the batch's new events at once instead, for work that
// is cheaper done for many events in one statement.
//
// Failures. One failing event must neither hold the others back nor be
// blamed for a failure that was not its own. When a handler fails, the
// transaction is rolled back and the events before the failing one commit
// again without it; an event that fails first in its transaction is settled
// alone: retried with backoff, or moved to a dead-letter subject when the
// error is Permanent or after MaxDeliver attempts. When a failure belongs to
// no one event (the database refused the commit), the rest of the batch is
// handled one event per transaction, as without batching. A message that is
// not an event at all is dead-lettered before its batch runs.
package consume

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations is the inbox table, to be listed in the service's db.Migrate.
func Migrations() db.Source {
	sub, _ := fs.Sub(migrations, "migrations")
	return db.Source{Name: "inbox", FS: sub}
}

// Handler applies one event inside tx. Returning an error rolls back tx and
// the event is retried; wrap it with Permanent when a retry cannot help.
// tx may carry other events of the same batch, handled before this one in
// stream order: a handler must neither commit nor roll back tx, and must
// return the error of a failed statement rather than swallow it (the
// transaction is aborted for everything after it).
type Handler func(ctx context.Context, tx pgx.Tx, e event.Envelope) error

// BatchHandler applies the events of one transaction at once, in stream
// order, for a handler that can do in a few statements what Handler would
// do in a few per event (lock all the accounts a batch credits, read what
// it needs with one query each). It gets only events not handled before.
// When one event is at fault it returns At(i, err), i being the event's
// index in events: the runner then commits the events before it without
// it, as with Handler. Any other error is no one event's.
type BatchHandler func(ctx context.Context, tx pgx.Tx, events []event.Envelope) error

// EventError is a BatchHandler's failure at one event of its batch.
type EventError struct {
	Index int // in the events the BatchHandler was given
	Err   error
}

func (e *EventError) Error() string { return fmt.Sprintf("event %d of the batch: %v", e.Index, e.Err) }
func (e *EventError) Unwrap() error { return e.Err }

// At says err is the fault of events[i] in a BatchHandler's batch.
func At(i int, err error) error { return &EventError{Index: i, Err: err} }

type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as one that no retry will fix (a malformed payload),
// so the message goes to the dead-letter subject at once.
func Permanent(err error) error { return permanentError{err} }

// Runner consumes one durable consumer of one stream.
type Runner struct {
	Pool        *pgxpool.Pool
	JS          jetstream.JetStream
	Subjects    event.Subjects
	Stream      string       // stream to consume, e.g. "REGISTRY"
	Durable     string       // consumer name, shared by all instances of the service
	Filters     []string     // subject filters; empty means the whole stream
	Handle      Handler      // one event at a time; or
	HandleBatch BatchHandler // the batch's events at once (Handle unset)
	Logger      *slog.Logger
	Metrics     *Metrics // optional

	MaxDeliver int             // attempts before dead-lettering; default 8
	Backoff    []time.Duration // delay before each retry; default 1s, 5s, 30s, 2m

	// BatchSize is the most messages handled in one transaction, and how
	// many the runner asks the server for at a time; default 64. 1 gives
	// one transaction per message.
	BatchSize int

	// Lanes, with Key, splits each batch by Key into that many parts
	// handled in transactions of their own at the same time: a handler
	// that spends its time on round trips then has several on the way.
	// Events with the same key always go to the same lane, in stream
	// order, so one entity's events keep their order; events of different
	// keys may commit in any order. Key should name the row the handler
	// locks (a worker's account), so that lanes never wait on each other.
	// Default 1: one transaction per batch.
	Lanes int
	Key   func(event.Envelope) string

	// AckWait is how long the server waits for a message's ack before it
	// delivers the message again; default 30s. Its clock starts when the
	// server sends the message to this instance, and a message may wait
	// there behind two batches (those of the client's prefetch and of the
	// runner's queue, see prefetch) before its own batch commits. So it
	// must comfortably exceed the time of some 3×BatchSize handler calls
	// and their commits. Too short, and messages come back while still
	// queued: harmless (the inbox makes them duplicates) but each counts as
	// an attempt. Too long, and a crashed instance's messages wait that
	// long before another instance gets them.
	AckWait time.Duration

	// beforeAck, when set (tests only), runs after a transaction has
	// committed and before its messages are acknowledged; an error there
	// stands for a crash: Run returns it and acks nothing more.
	beforeAck func(batch []jetstream.Msg) error
}

// withDefaults returns a copy of r with the defaults filled in. Run works on
// that copy and never writes r: whoever built the runner may go on reading
// its fields while it runs.
func (r *Runner) withDefaults() *Runner {
	c := *r
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = 8
	}
	if len(c.Backoff) == 0 {
		c.Backoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute}
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 64
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return &c
}

// prefetch is the most messages one instance holds unacknowledged: the
// client's outstanding pull (BatchSize), the runner's queue (BatchSize),
// one waiting in the delivery callback for room in the queue, and the
// batch being handled (BatchSize).
func (r *Runner) prefetch() int { return 3*r.BatchSize + 1 }

// Run creates or updates the durable consumer and handles messages until
// ctx is cancelled. It does not modify r.
func (r *Runner) Run(ctx context.Context) error {
	r = r.withDefaults()
	cfg := jetstream.ConsumerConfig{
		Durable:   r.Durable,
		AckPolicy: jetstream.AckExplicitPolicy,
		AckWait:   r.AckWait,
		// The runner counts attempts itself and dead-letters at MaxDeliver.
		// The server must not give up first: if storing the dead letter
		// fails, the message has to come back for another try.
		MaxDeliver:     -1,
		FilterSubjects: r.Filters,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		// Room for the prefetch of several instances sharing the consumer:
		// below one instance's, the server would cut its batches short.
		MaxAckPending: max(1000, r.prefetch()),
	}
	cons, err := r.JS.CreateOrUpdateConsumer(ctx, r.Stream, cfg)
	if err != nil {
		return fmt.Errorf("consumer %s on %s: %w", r.Durable, r.Stream, err)
	}

	// The client delivers messages on its own goroutine; queue hands them
	// to this one, holding the next batch while the current one commits.
	queue := make(chan jetstream.Msg, r.BatchSize)
	stop := make(chan struct{})
	deliver := func(msg jetstream.Msg) {
		select {
		case queue <- msg:
		case <-stop: // Run is returning; the message comes back after AckWait.
		}
	}
	warn := func(_ jetstream.ConsumeContext, err error) {
		r.Logger.Warn("consumer pull", "consumer", r.Durable, "err", err)
	}
	cc, err := cons.Consume(deliver, jetstream.PullMaxMessages(r.BatchSize), jetstream.ConsumeErrHandler(warn))
	if err != nil {
		return fmt.Errorf("consumer %s: %w", r.Durable, err)
	}
	closed := cc.Closed()
	done := make(chan struct{})
	var lagWatcher sync.WaitGroup
	lagWatcher.Go(func() { r.watchLag(ctx, cons, done) })
	defer func() {
		close(stop)
		cc.Stop()
		close(done)
		// The client closes its subscription once its goroutine has left
		// deliver: after that, and the lag watcher's end, nothing of this
		// Run is left running.
		select {
		case <-closed:
		case <-time.After(5 * time.Second):
			r.Logger.Warn("consumer subscription did not close", "consumer", r.Durable)
		}
		lagWatcher.Wait()
	}()

	r.Metrics.start(r.Durable)
	r.Logger.Info("consumer running", "consumer", r.Durable, "stream", r.Stream, "batch_size", r.BatchSize)
	for {
		batch, err := r.collect(ctx, queue, closed)
		if err != nil {
			return err
		}
		if err := r.handleLanes(ctx, batch); err != nil {
			return err
		}
	}
}

// handleLanes handles batch in one transaction, or split into Lanes by
// Key, each in its own at once; it returns when every lane is settled.
func (r *Runner) handleLanes(ctx context.Context, batch []jetstream.Msg) error {
	if r.Lanes <= 1 || r.Key == nil || len(batch) == 1 {
		return r.handleBatch(ctx, batch)
	}
	lanes := make([][]jetstream.Msg, r.Lanes)
	for _, msg := range batch {
		lane := 0 // a message that is not an event: its lane dead-letters it
		if e, err := event.Parse(msg.Data()); err == nil {
			h := fnv.New32a()
			_, _ = h.Write([]byte(r.Key(e)))
			lane = int(h.Sum32() % uint32(r.Lanes))
		}
		lanes[lane] = append(lanes[lane], msg)
	}
	errs := make([]error, len(lanes))
	var wg sync.WaitGroup
	for i, part := range lanes {
		if len(part) > 0 {
			wg.Go(func() { errs[i] = r.handleBatch(ctx, part) })
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}

// collect waits for one message, then takes whatever else is already in
// queue, up to BatchSize, without waiting for more: a lone message is
// handled at once, while a burst shares one transaction.
func (r *Runner) collect(ctx context.Context, queue <-chan jetstream.Msg, closed <-chan struct{}) ([]jetstream.Msg, error) {
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var first jetstream.Msg
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-closed:
		return nil, fmt.Errorf("consumer %s on %s: subscription closed (consumer deleted or connection closed)", r.Durable, r.Stream)
	case first = <-queue:
	}
	batch := []jetstream.Msg{first}
	for len(batch) < r.BatchSize {
		select {
		case msg := <-queue:
			batch = append(batch, msg)
		default:
			return batch, nil
		}
	}
	return batch, nil
}

// RestartPause is how long RunUntilDone waits before starting a runner
// again.
const RestartPause = 2 * time.Second

// RunUntilDone runs r until ctx ends, starting it again after RestartPause
// whenever Run returns before then (before the producer has created its
// stream, or when NATS is away), with a warning in the log.
func (r *Runner) RunUntilDone(ctx context.Context) {
	r = r.withDefaults()
	for ctx.Err() == nil {
		if err := r.Run(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Warn("consumer paused", "consumer", r.Durable, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(RestartPause):
		}
	}
}

// delivery is one message the runner took, with its event.
type delivery struct {
	msg     jetstream.Msg
	event   event.Envelope
	attempt int       // this delivery's number, from the server: 1 the first time
	taken   time.Time // when the runner took it, for the duration metric
	dup     bool      // the event was in the inbox already (set by apply)
}

// handleBatch settles every message of batch with exactly one of Ack,
// NakWithDelay or Term (through the dead letter). It returns an error only
// when the runner must stop: ctx ended, or the test hook beforeAck failed.
func (r *Runner) handleBatch(ctx context.Context, batch []jetstream.Msg) error {
	r.Metrics.batch(r.Durable, len(batch))
	taken := time.Now()
	ds := make([]delivery, 0, len(batch))
	for _, msg := range batch {
		attempt := 1
		if md, err := msg.Metadata(); err == nil {
			attempt = int(md.NumDelivered)
		}
		if attempt > 1 {
			r.Metrics.redelivered(r.Durable)
		}
		e, err := event.Parse(msg.Data())
		if err != nil {
			r.deadLetter(ctx, msg, "", Permanent(err))
			continue
		}
		ds = append(ds, delivery{msg: msg, event: e, attempt: attempt, taken: taken})
	}

	// Each round commits a prefix of ds or settles its first delivery, so
	// ds shrinks every round; a failed transaction only shortens the
	// prefix tried next.
	oneByOne := false
	for len(ds) > 0 {
		n := len(ds)
		if oneByOne {
			n = 1
		}
		for {
			failedAt, err := r.apply(ctx, ds[:n])
			if err == nil {
				if err := r.acknowledge(ds[:n]); err != nil {
					return err
				}
				break
			}
			if ctx.Err() != nil {
				// Shutting down: hand what is left to another instance now
				// rather than after AckWait.
				for _, d := range ds {
					_ = d.msg.Nak()
				}
				return ctx.Err()
			}
			if failedAt > 0 {
				// The events before the failing one commit without it. It
				// then comes first in its transaction, where a failure is
				// its own.
				r.Logger.Debug("batch failed; committing the events before the failing one",
					"consumer", r.Durable, "event_id", ds[failedAt].event.ID, "committing", failedAt, "err", err)
				n = failedAt
				continue
			}
			if failedAt < 0 && n > 1 {
				// No one event failed (the commit did, say): from here on
				// one transaction per event, as without batching.
				r.Logger.Warn("batch failed; handling its events one by one", "consumer", r.Durable, "err", err)
				oneByOne, n = true, 1
				continue
			}
			// ds[0] failed alone or first in its transaction.
			r.failed(ctx, ds[0], err)
			n = 1
			break
		}
		ds = ds[n:]
	}
	return nil
}

// apply runs one transaction for ds: their inbox rows, then the handler for
// each event not yet in the inbox, in stream order, then the commit, after
// which it runs the AfterCommit hooks. When a handler fails it returns its
// index in ds; failedAt is -1 when the failure is no one event's (the
// database's, or the commit's).
func (r *Runner) apply(ctx context.Context, ds []delivery) (failedAt int, err error) {
	hooks := &commitHooks{}
	ctx = context.WithValue(ctx, hooksKey{}, hooks)
	failedAt = -1
	err = db.InTx(ctx, r.Pool, func(tx pgx.Tx) error {
		fresh, err := r.recordInbox(ctx, tx, ds)
		if err != nil {
			return err
		}
		var events []event.Envelope // the fresh ones, for HandleBatch
		var at []int                // their indexes in ds
		for i := range ds {
			ds[i].dup = !fresh[i]
			if ds[i].dup {
				continue
			}
			if r.HandleBatch != nil {
				events, at = append(events, ds[i].event), append(at, i)
				continue
			}
			if err := r.Handle(ctx, tx, ds[i].event); err != nil {
				failedAt = i
				return err
			}
		}
		if len(events) == 0 {
			return nil
		}
		err = r.HandleBatch(ctx, tx, events)
		if ee := (*EventError)(nil); errors.As(err, &ee) && ee.Index >= 0 && ee.Index < len(at) {
			// The event's own error, for its retry or dead letter.
			failedAt, err = at[ee.Index], ee.Err
		}
		return err
	})
	if err != nil {
		return failedAt, err
	}
	for _, fn := range hooks.fns {
		fn()
	}
	return -1, nil
}

// recordInbox inserts the inbox rows of ds in one statement and reports
// which deliveries are fresh: the first copy of an event not handled
// before. Events already in the inbox, and further copies in ds, are
// duplicates, to be skipped.
func (r *Runner) recordInbox(ctx context.Context, tx pgx.Tx, ds []delivery) ([]bool, error) {
	ids := make([]string, len(ds))
	types := make([]string, len(ds))
	for i, d := range ds {
		ids[i], types[i] = d.event.ID, d.event.Type
	}
	rows, err := tx.Query(ctx, `INSERT INTO inbox (consumer, event_id, event_type)
		SELECT $1, e.id, e.type FROM unnest($2::text[], $3::text[]) AS e(id, type)
		ON CONFLICT DO NOTHING RETURNING event_id`, r.Durable, ids, types)
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	isNew := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		isNew[id] = true
	}
	fresh := make([]bool, len(ds))
	for i, d := range ds {
		fresh[i] = isNew[d.event.ID]
		delete(isNew, d.event.ID) // a later copy is a duplicate
	}
	return fresh, nil
}

// acknowledge acks ds, whose transaction has committed, and counts them. A
// failed ack is only logged: the effects are committed, and a redelivery
// will find the inbox rows.
func (r *Runner) acknowledge(ds []delivery) error {
	if r.beforeAck != nil {
		msgs := make([]jetstream.Msg, len(ds))
		for i, d := range ds {
			msgs[i] = d.msg
		}
		if err := r.beforeAck(msgs); err != nil {
			return fmt.Errorf("consumer %s: before ack: %w", r.Durable, err)
		}
	}
	for _, d := range ds {
		if err := d.msg.Ack(); err != nil {
			r.Logger.Warn("ack failed", "consumer", r.Durable, "event_id", d.event.ID, "err", err)
		}
		outcome := "handled"
		if d.dup {
			outcome = "duplicate"
		}
		r.Metrics.handled(r.Durable, outcome, time.Since(d.taken))
	}
	return nil
}

// failed settles d after its handler failed with err in a transaction of
// its own (or first in one): a dead letter when err is Permanent or this
// was the last attempt, else a retry after the backoff.
func (r *Runner) failed(ctx context.Context, d delivery, err error) {
	log := r.Logger.With("consumer", r.Durable, "event_id", d.event.ID, "event_type", d.event.Type, "attempt", d.attempt)
	if isPermanent(err) || d.attempt >= r.MaxDeliver {
		log.Error("event dead-lettered", "err", err)
		r.deadLetter(ctx, d.msg, d.event.ID, err)
		return
	}
	delay := r.Backoff[min(d.attempt-1, len(r.Backoff)-1)]
	log.Warn("event failed, will retry", "err", err, "retry_in", delay)
	r.Metrics.handled(r.Durable, "retry", time.Since(d.taken))
	_ = d.msg.NakWithDelay(delay)
}

type commitHooks struct{ fns []func() }

type hooksKey struct{}

// AfterCommit runs fn once the handler's transaction (its batch's) has
// committed, and not at all if it rolls back — for what must not happen
// twice or in vain, such as counting a business metric. Outside a handler
// it runs fn at once.
func AfterCommit(ctx context.Context, fn func()) {
	if h, ok := ctx.Value(hooksKey{}).(*commitHooks); ok {
		h.fns = append(h.fns, fn)
		return
	}
	fn()
}

func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// deadLetter copies the message to the dead-letter subject with the reason,
// then terminates it. If the copy cannot be stored the message is left to be
// redelivered: it is never dropped silently.
func (r *Runner) deadLetter(ctx context.Context, msg jetstream.Msg, eventID string, cause error) {
	dl := &nats.Msg{Subject: r.Subjects.DeadLetter(r.Durable), Data: msg.Data(), Header: nats.Header{}}
	dl.Header.Set("Nuanxin-Original-Subject", msg.Subject())
	dl.Header.Set("Nuanxin-Consumer", r.Durable)
	dl.Header.Set("Nuanxin-Error", cause.Error())
	opts := []jetstream.PublishOpt{}
	if eventID != "" {
		opts = append(opts, jetstream.WithMsgID(r.Durable+":"+eventID))
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := r.JS.PublishMsg(pctx, dl, opts...); err != nil {
		r.Logger.Error("dead-letter publish failed; message stays for redelivery", "consumer", r.Durable, "err", err)
		_ = msg.NakWithDelay(r.Backoff[len(r.Backoff)-1])
		return
	}
	_ = msg.TermWithReason(cause.Error())
	r.Metrics.deadLettered(r.Durable)
}

// watchLag samples the consumer's pending count for the lag gauge.
func (r *Runner) watchLag(ctx context.Context, cons jetstream.Consumer, done <-chan struct{}) {
	if r.Metrics == nil {
		return
	}
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case <-t.C:
			ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
			info, err := cons.Info(ictx)
			cancel()
			if err == nil {
				r.Metrics.lag(r.Durable, info.NumPending, uint64(info.NumAckPending))
			}
		}
	}
}
