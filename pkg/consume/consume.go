// Package consume runs a durable JetStream pull consumer whose handler
// commits its effects together with an inbox row, so every event has exactly
// one effect however often it is delivered. Failures are retried with
// backoff; a message that still fails after MaxDeliver attempts, or fails
// permanently, is moved to a dead-letter subject.
package consume

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
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
type Handler func(ctx context.Context, tx pgx.Tx, e event.Envelope) error

type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Permanent marks err as one that no retry will fix (a malformed payload),
// so the message goes to the dead-letter subject at once.
func Permanent(err error) error { return permanentError{err} }

// Runner consumes one durable consumer of one stream.
type Runner struct {
	Pool     *pgxpool.Pool
	JS       jetstream.JetStream
	Subjects event.Subjects
	Stream   string   // stream to consume, e.g. "REGISTRY"
	Durable  string   // consumer name, shared by all instances of the service
	Filters  []string // subject filters; empty means the whole stream
	Handle   Handler
	Logger   *slog.Logger
	Metrics  *Metrics // optional

	MaxDeliver int             // attempts before dead-lettering; default 8
	Backoff    []time.Duration // delay before each retry; default 1s, 5s, 30s, 2m
	AckWait    time.Duration   // default 30s
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
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return &c
}

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
		MaxAckPending:  1000,
	}
	cons, err := r.JS.CreateOrUpdateConsumer(ctx, r.Stream, cfg)
	if err != nil {
		return fmt.Errorf("consumer %s on %s: %w", r.Durable, r.Stream, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(64))
	if err != nil {
		return fmt.Errorf("consumer %s: %w", r.Durable, err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			it.Stop()
		case <-done:
		}
	}()
	go r.watchLag(ctx, cons, done)

	r.Metrics.start(r.Durable)
	r.Logger.Info("consumer running", "consumer", r.Durable, "stream", r.Stream)
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return fmt.Errorf("consumer %s: iterator closed", r.Durable)
			}
			r.Logger.Warn("consumer next", "consumer", r.Durable, "err", err)
			continue
		}
		r.process(ctx, msg)
	}
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

// process handles one message and settles it with exactly one of Ack,
// NakWithDelay or Term.
func (r *Runner) process(ctx context.Context, msg jetstream.Msg) {
	start := time.Now()
	attempt := uint64(1)
	if md, err := msg.Metadata(); err == nil {
		attempt = md.NumDelivered
	}
	if attempt > 1 {
		r.Metrics.redelivered(r.Durable)
	}
	e, err := event.Parse(msg.Data())
	if err != nil {
		r.deadLetter(ctx, msg, "", Permanent(err))
		return
	}
	log := r.Logger.With("consumer", r.Durable, "event_id", e.ID, "event_type", e.Type, "attempt", attempt)

	dup, err := r.apply(ctx, e)
	switch {
	case err == nil:
		if err := msg.Ack(); err != nil {
			// The effect is committed; a redelivery will find the inbox row.
			log.Warn("ack failed", "err", err)
		}
		outcome := "handled"
		if dup {
			outcome = "duplicate"
		}
		r.Metrics.handled(r.Durable, outcome, time.Since(start))
	case isPermanent(err) || int(attempt) >= r.MaxDeliver:
		log.Error("event dead-lettered", "err", err)
		r.deadLetter(ctx, msg, e.ID, err)
	default:
		delay := r.Backoff[min(int(attempt)-1, len(r.Backoff)-1)]
		log.Warn("event failed, will retry", "err", err, "retry_in", delay)
		r.Metrics.handled(r.Durable, "retry", time.Since(start))
		_ = msg.NakWithDelay(delay)
	}
}

// apply runs the handler and records the inbox row in one transaction.
// It reports dup=true when the event had already been handled.
func (r *Runner) apply(ctx context.Context, e event.Envelope) (dup bool, err error) {
	hooks := &commitHooks{}
	ctx = context.WithValue(ctx, hooksKey{}, hooks)
	defer func() {
		if err == nil {
			for _, fn := range hooks.fns {
				fn()
			}
		}
	}()
	err = db.InTx(ctx, r.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx,
			"INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
			r.Durable, e.ID, e.Type)
		if err != nil {
			return fmt.Errorf("inbox: %w", err)
		}
		if tag.RowsAffected() == 0 {
			dup = true
			return nil
		}
		return r.Handle(ctx, tx, e)
	})
	return dup, err
}

type commitHooks struct{ fns []func() }

type hooksKey struct{}

// AfterCommit runs fn once the handler's transaction has committed — for
// what must not happen if it rolls back, such as counting a business metric.
// Outside a handler it runs fn at once.
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
