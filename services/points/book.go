package points

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
)

// Book is one transaction's hold on the ledger: it locks accounts and posts
// entries to them. Post is the only code that changes a balance.
type Book struct {
	ctx   context.Context
	tx    pgx.Tx
	stars []int
	// writes are the posts' statements, sent with the events' outbox rows
	// when the Book is done (Store.inBook), in one round trip.
	writes *pgx.Batch
	events []pending
	// What was posted, for the metrics once the transaction commits.
	posted      []posted
	starChanges int
}

type posted struct {
	kind   string
	points int64
}

// pending is an event written to the outbox with the transaction.
type pending struct {
	name    event.Name
	street  string
	subject string
	data    any
}

// lockAccountSQL locks and reads the account of worker $1.
const lockAccountSQL = "SELECT " + accountCols + " FROM accounts WHERE worker_id = $1 FOR UPDATE"

// Lock locks a worker's account for the rest of the transaction. Every
// transaction that posts locks the account first, then any item: one order,
// so no deadlock.
func (b *Book) Lock(workerID uuid.UUID) (*Account, error) {
	a, err := scanAccount(b.tx.QueryRow(b.ctx, lockAccountSQL, workerID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errAccountNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("lock account %s: %w", workerID, err)
	}
	return &a, nil
}

// errInsufficient is a debit larger than the balance.
type errInsufficient struct{ balance, need int64 }

func (e errInsufficient) Error() string {
	return fmt.Sprintf("the balance is %d points; this needs %d", e.balance, e.need)
}

// Post appends e to the locked account a: it sets the entry's balance after
// and the account's balance, hours and star, and queues the entry's event
// (and star.changed when the level moves). A debit beyond the balance is
// refused with a Conflict at once. The entry and the account's new balance
// are written when the Book is done, with the events (Store.inBook); a
// cause already in the ledger then fails the transaction with
// errCauseTaken, so a caller that may replay a cause looks it up first.
func (b *Book) Post(a *Account, e *Entry, name event.Name, at time.Time) error {
	if a.Balance+e.Points < 0 {
		ins := errInsufficient{a.Balance, -e.Points}
		return &fault.Error{Kind: fault.Conflict, Message: ins.Error(),
			Details: map[string]any{"reason": "insufficient_balance", "balance": a.Balance}}
	}
	if a.CentiHours+e.CentiHours < 0 {
		return fmt.Errorf("post %s: hours would go below zero", e.Cause)
	}
	if e.ID == uuid.Nil {
		e.ID = newID()
	}
	e.WorkerID, e.At = a.WorkerID, at
	e.BalanceAfter = a.Balance + e.Points
	if e.Street == "" {
		e.Street, e.Community = a.Street, a.Community
	}
	centi := a.CentiHours + e.CentiHours
	star := starFor(centi, b.stars)
	// The entry and the account's new balance in one statement: the
	// account is updated only if the entry was inserted.
	b.writes.Queue(`WITH entry AS (
			INSERT INTO entries (id, worker_id, street, community, kind, points, centihours, balance_after, cause,
				cause_event_id, ref, reverses, redemption_id, rule_id, service_day, capped, reason, actor, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
			ON CONFLICT (cause) DO NOTHING RETURNING seq),
		account AS (
			UPDATE accounts SET balance = $8, centihours = $20, star = $21, updated_at = $19
			WHERE worker_id = $2 AND EXISTS (SELECT 1 FROM entry))
		SELECT seq FROM entry`,
		e.ID, e.WorkerID, e.Street, e.Community, e.Kind, e.Points, e.CentiHours, e.BalanceAfter, e.Cause,
		e.CauseEventID, e.Ref, e.Reverses, e.RedemptionID, e.RuleID, e.ServiceDay, e.Capped, e.Reason, e.Actor, e.At,
		centi, star).
		QueryRow(func(row pgx.Row) error {
			err := row.Scan(&e.Seq)
			if errors.Is(err, pgx.ErrNoRows) {
				return errCauseTaken
			}
			if err != nil {
				return fmt.Errorf("post %s: %w", e.Cause, err)
			}
			return nil
		})
	from := a.Star
	a.Balance, a.CentiHours, a.Star, a.UpdatedAt = e.BalanceAfter, centi, star, at
	e.Hours = hours(e.CentiHours)
	d := event.PointsData{EntryID: e.ID.String(), WorkerID: a.WorkerID.String(), Street: e.Street, Community: e.Community,
		Kind: e.Kind, Points: e.Points, Hours: e.Hours, Balance: e.BalanceAfter, CauseEventID: e.CauseEventID,
		Reason: e.Reason, Capped: e.Capped, At: at}
	if e.RedemptionID != nil {
		d.RedemptionID = e.RedemptionID.String()
	}
	if e.item != nil {
		d.ItemID, d.Item, d.Quantity = e.item.id.String(), e.item.name, e.item.quantity
	}
	b.events = append(b.events, pending{name, e.Street, a.WorkerID.String(), d})
	b.posted = append(b.posted, posted{e.Kind, e.Points})
	if a.Star != from {
		b.starChanges++
		b.events = append(b.events, pending{event.StarChanged, a.Street, a.WorkerID.String(), event.StarChangedData{
			WorkerID: a.WorkerID.String(), Street: a.Street, Community: a.Community, From: from, To: a.Star,
			Hours: hours(a.CentiHours)}})
	}
	return nil
}

// errCauseTaken is a cause already in the ledger.
var errCauseTaken = errors.New("this cause is already in the ledger")
