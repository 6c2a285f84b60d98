package points

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/places"
)

// Store holds the points service's queries. Every write commits together
// with the outbox rows of its events.
type Store struct {
	pool    *pgxpool.Pool
	outbox  outbox.Writer
	metrics *ledgerMetrics
	places  places.Checker
}

// NewStore returns a store over pool (search_path: the points schema) that
// counts the ledger's entries in reg (nil: not counted).
func NewStore(pool *pgxpool.Pool, w outbox.Writer, reg prometheus.Registerer) *Store {
	return &Store{pool: pool, outbox: w, metrics: newMetrics(reg), places: places.Checker{Pool: pool}}
}

// inBook runs fn with a Book over tx, then writes what it posted and the
// events it queued to the outbox, in one round trip. The caller counts the
// Book once the transaction has committed.
func (s *Store) inBook(ctx context.Context, tx pgx.Tx, stars []int, fn func(b *Book) error) (*Book, error) {
	b := &Book{ctx: ctx, tx: tx, stars: stars, writes: &pgx.Batch{}}
	if err := fn(b); err != nil {
		return nil, err
	}
	drafts := make([]outbox.Draft, len(b.events))
	for i, e := range b.events {
		drafts[i] = outbox.Draft{Name: e.name, Street: e.street, Subject: e.subject, Data: e.data}
	}
	_, err := s.outbox.AddAllWith(ctx, tx, b.writes, drafts)
	return b, err
}

// write runs fn in a new transaction with a Book.
func (s *Store) write(ctx context.Context, stars []int, fn func(b *Book) error) error {
	var b *Book
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) (err error) {
		b, err = s.inBook(ctx, tx, stars, fn)
		return err
	})
	if err == nil {
		s.metrics.count(b)
	}
	return err
}

const accountCols = "worker_id, street, community, status, balance, centihours, star, opened_at, updated_at"

func scanAccount(row pgx.Row) (Account, error) {
	var a Account
	err := row.Scan(&a.WorkerID, &a.Street, &a.Community, &a.Status, &a.Balance, &a.CentiHours, &a.Star, &a.OpenedAt, &a.UpdatedAt)
	a.Hours = hours(a.CentiHours)
	return a, err
}

// Account returns one account.
func (s *Store) Account(ctx context.Context, workerID uuid.UUID) (Account, bool, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, "SELECT "+accountCols+" FROM accounts WHERE worker_id = $1", workerID))
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, false, nil
	}
	if err != nil {
		return Account{}, false, fmt.Errorf("account %s: %w", workerID, err)
	}
	return a, true, nil
}

const entryCols = `seq, id, worker_id, street, community, kind, points, centihours, balance_after, cause, cause_event_id,
	ref, reverses, redemption_id, rule_id, service_day, capped, reason, actor, at`

func scanEntry(row pgx.Row) (Entry, error) {
	var e Entry
	err := row.Scan(&e.Seq, &e.ID, &e.WorkerID, &e.Street, &e.Community, &e.Kind, &e.Points, &e.CentiHours,
		&e.BalanceAfter, &e.Cause, &e.CauseEventID, &e.Ref, &e.Reverses, &e.RedemptionID, &e.RuleID, &e.ServiceDay,
		&e.Capped, &e.Reason, &e.Actor, &e.At)
	e.Hours = hours(e.CentiHours)
	return e, err
}

// Entries returns an account's entries newest first, before seq (0: from
// the newest), at most limit, and whether there are more.
func (s *Store) Entries(ctx context.Context, workerID uuid.UUID, before int64, limit int) ([]Entry, bool, error) {
	var f db.Filter
	f.Where("worker_id = $%d", workerID)
	if before > 0 {
		f.Where("seq < $%d", before)
	}
	f.Args = append(f.Args, limit+1)
	rows, err := s.pool.Query(ctx, fmt.Sprintf("SELECT %s FROM entries%s ORDER BY seq DESC LIMIT $%d", entryCols, f.Clause(), len(f.Args)), f.Args...)
	if err != nil {
		return nil, false, fmt.Errorf("entries of %s: %w", workerID, err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Entry, error) { return scanEntry(row) })
	if err != nil {
		return nil, false, fmt.Errorf("entries of %s: %w", workerID, err)
	}
	if len(items) > limit {
		return items[:limit], true, nil
	}
	if items == nil {
		items = []Entry{}
	}
	return items, false, nil
}
