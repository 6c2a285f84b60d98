package notification

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/outbox"
)

// What the service publishes of its inbox: not an event per message (a
// broadcast to 20,000 riders would be 20,000 events) but a summary per
// transaction — how many messages it newly stored per street, category and
// cause (inbox.stored) — and, for a broadcast, one broadcast.sent as it is
// marked done. Both go through the outbox in the transaction that stores
// the messages, so they are published if and only if the messages are.

// storedKey is what one inbox.stored summary counts.
type storedKey struct {
	street, category, cause, broadcast string
}

// stored tallies the messages a transaction stores, for its inbox.stored
// summaries.
type stored struct {
	keys   []storedKey // in the order first seen
	counts map[storedKey]int
	at     time.Time // the last store's time
}

// causeKind is the kind of a message's cause: "event", "broadcast" or
// "reminder" ("event:<id>" → "event").
func causeKind(cause string) string {
	kind, _, _ := strings.Cut(cause, ":")
	return kind
}

// add counts n messages of a street and category stored at at for cause
// (the message's, "event:<id>"), through broadcast ("" if none).
func (c *stored) add(street, category, cause, broadcast string, n int, at time.Time) {
	if n <= 0 {
		return
	}
	k := storedKey{street: street, category: category, cause: causeKind(cause), broadcast: broadcast}
	if c.counts == nil {
		c.counts = map[storedKey]int{}
	}
	if _, ok := c.counts[k]; !ok {
		c.keys = append(c.keys, k)
	}
	c.counts[k] += n
	if at.After(c.at) {
		c.at = at
	}
}

// drafts are the inbox.stored events of what was counted. The subject is
// the category.
func (c *stored) drafts() []outbox.Draft {
	out := make([]outbox.Draft, 0, len(c.keys))
	for _, k := range c.keys {
		out = append(out, outbox.Draft{Name: event.InboxStored, Street: k.street, Subject: k.category,
			Data: event.InboxStoredData{Street: k.street, Category: k.category, Count: c.counts[k], Cause: k.cause,
				BroadcastID: k.broadcast, At: c.at}})
	}
	return out
}

type storedCtxKey struct{}

// tallying returns a ctx under which the messages send stores are counted
// in c instead of summarised one by one: whoever runs the transaction adds
// c's summaries (publishStored) before it commits.
func tallying(ctx context.Context, c *stored) context.Context {
	return context.WithValue(ctx, storedCtxKey{}, c)
}

// noteStored records that messages were stored in tx: in the ctx's tally
// when there is one, else as an inbox.stored of their own, at once.
func (s *Store) noteStored(ctx context.Context, tx pgx.Tx, street, category, cause, broadcast string, n int, at time.Time) error {
	if c, ok := ctx.Value(storedCtxKey{}).(*stored); ok {
		c.add(street, category, cause, broadcast, n, at)
		return nil
	}
	var c stored
	c.add(street, category, cause, broadcast, n, at)
	return s.publishStored(ctx, tx, &c)
}

// publishStored adds c's inbox.stored summaries to the outbox in tx.
func (s *Store) publishStored(ctx context.Context, tx pgx.Tx, c *stored) error {
	_, err := s.outbox.AddAll(ctx, tx, c.drafts())
	return err
}

// summarising runs h for each event of a consumer's batch in its one
// transaction, tallying the messages they store, and adds the batch's
// inbox.stored summaries before the commit: a burst of 64 events for one
// street's reports is one summary, not 64.
func (s *Service) summarising(h consume.Handler) consume.BatchHandler {
	return func(ctx context.Context, tx pgx.Tx, events []event.Envelope) error {
		var c stored
		tctx := tallying(ctx, &c)
		for i, e := range events {
			if err := h(tctx, tx, e); err != nil {
				return consume.At(i, err)
			}
		}
		return s.store.publishStored(ctx, tx, &c)
	}
}
