package points

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// earning is what crediting one earning event reads from the ledger.
type earning struct {
	account  *Account // locked for the rest of the transaction
	credited bool     // the event's cause is in the ledger already
	// last is the latest earning for the event's ref (nil: none yet): what
	// a corrected attendance reverses, and what says a report is credited.
	last *Entry
	rule Rule
	// dayEarned is what the worker earned on the service day so far, less
	// what was reversed: what the daily cap leaves room beside.
	dayEarned int64
}

// earningQuery says what an earning event needs read: its worker, cause
// and ref, and the street, time and Shanghai day of the service.
type earningQuery struct {
	workerID uuid.UUID
	cause    string
	ref      string
	street   string
	at       time.Time
	day      time.Time
}

// lockEarning locks the account an earning credits and reads, in the same
// round trip, everything crediting it needs. The statements are pipelined:
// Postgres runs them in order, so the reads after the lock see every entry
// committed before the lock was granted (each statement takes its own
// snapshot at read committed), as separate round trips would. An account
// not opened yet is errAccountNotFound.
func (s *Store) lockEarning(ctx context.Context, b *Book, q earningQuery) (earning, error) {
	batch := &pgx.Batch{}
	batch.Queue(lockAccountSQL, q.workerID)
	batch.Queue("SELECT EXISTS (SELECT 1 FROM entries WHERE cause = $1)", q.cause)
	batch.Queue("SELECT "+entryCols+` FROM entries WHERE worker_id = $1 AND ref = $2 AND kind = 'earn'
		ORDER BY seq DESC LIMIT 1`, q.workerID, q.ref)
	batch.Queue(ruleAtSQL, q.street, q.at)
	batch.Queue(`SELECT coalesce(sum(points), 0) FROM entries
		WHERE worker_id = $1 AND service_day = $2 AND kind IN ('earn', 'reverse')`, q.workerID, q.day)
	res := b.tx.SendBatch(ctx, batch)
	defer res.Close()

	var v earning
	a, err := scanAccount(res.QueryRow())
	if errors.Is(err, pgx.ErrNoRows) {
		return v, errAccountNotFound
	}
	if err != nil {
		return v, fmt.Errorf("lock account %s: %w", q.workerID, err)
	}
	v.account = &a
	if err := res.QueryRow().Scan(&v.credited); err != nil {
		return v, fmt.Errorf("cause %s: %w", q.cause, err)
	}
	last, err := scanEntry(res.QueryRow())
	switch {
	case err == nil:
		v.last = &last
	case !errors.Is(err, pgx.ErrNoRows):
		return v, fmt.Errorf("earning for %s: %w", q.ref, err)
	}
	if v.rule, err = scanRuleAt(res.QueryRow(), q.street); err != nil {
		return v, fmt.Errorf("rule of %s at %s: %w", q.street, q.at, err)
	}
	if err := res.QueryRow().Scan(&v.dayEarned); err != nil {
		return v, fmt.Errorf("earned on %s: %w", q.day.Format(time.DateOnly), err)
	}
	return v, res.Close()
}

// EntryByCause returns the entry a cause made, if any.
func (s *Store) EntryByCause(ctx context.Context, tx pgx.Tx, cause string) (Entry, bool, error) {
	e, err := scanEntry(tx.QueryRow(ctx, "SELECT "+entryCols+" FROM entries WHERE cause = $1", cause))
	if errors.Is(err, pgx.ErrNoRows) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("entry of %s: %w", cause, err)
	}
	return e, true, nil
}

// checks are the ledger's invariants as queries: each returns the rows
// that break one (kind, id, detail), for a street ($1, ” for all).
var checks = []string{
	// A balance or hours that is not the sum of the account's entries.
	`SELECT 'account', a.worker_id::text, format('balance %s, entries sum to %s; hours×100 %s, entries sum to %s',
			a.balance, coalesce(e.points, 0), a.centihours, coalesce(e.centi, 0))
		FROM accounts a LEFT JOIN (SELECT worker_id, sum(points) AS points, sum(centihours) AS centi
			FROM entries GROUP BY worker_id) e USING (worker_id)
		WHERE ($1 = '' OR a.street = $1)
		  AND (a.balance <> coalesce(e.points, 0) OR a.centihours <> coalesce(e.centi, 0) OR a.balance < 0)`,
	// An entry whose balance after is not the running sum of its account.
	`SELECT 'entry', id::text, format('balance after %s, running sum %s', balance_after, running)
		FROM (SELECT e.id, e.balance_after, sum(e.points) OVER (PARTITION BY e.worker_id ORDER BY e.seq) AS running
			FROM entries e JOIN accounts a USING (worker_id) WHERE ($1 = '' OR a.street = $1)) x
		WHERE balance_after <> running OR balance_after < 0`,
	// Stock below zero, or not what was stocked less what is taken.
	`SELECT 'item', i.id::text, format('stock %s, stocked %s, taken by redemptions %s', i.stock, i.stocked, coalesce(r.q, 0))
		FROM items i JOIN stores st ON st.id = i.store_id
		LEFT JOIN (SELECT item_id, sum(quantity) AS q FROM redemptions WHERE status <> 'cancelled' GROUP BY item_id) r
			ON r.item_id = i.id
		WHERE ($1 = '' OR st.street = $1) AND (i.stock < 0 OR i.stock <> i.stocked - coalesce(r.q, 0))`,
}

// Check runs the invariants in one snapshot and counts what it checked.
func (s *Store) Check(ctx context.Context, street string) (CheckReport, error) {
	r := CheckReport{Mismatches: []Mismatch{}}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return r, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read-only
	for _, q := range checks {
		rows, err := tx.Query(ctx, q+" LIMIT 100", street)
		if err != nil {
			return r, err
		}
		found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Mismatch, error) {
			var m Mismatch
			err := row.Scan(&m.Kind, &m.ID, &m.Detail)
			return m, err
		})
		if err != nil {
			return r, err
		}
		r.Mismatches = append(r.Mismatches, found...)
	}
	err = tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM accounts WHERE $1 = '' OR street = $1),
		(SELECT count(*) FROM entries e JOIN accounts a USING (worker_id) WHERE $1 = '' OR a.street = $1),
		(SELECT count(*) FROM items i JOIN stores st ON st.id = i.store_id WHERE $1 = '' OR st.street = $1)`, street).
		Scan(&r.Accounts, &r.Entries, &r.Items)
	return r, err
}
