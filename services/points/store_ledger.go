package points

import (
	"cmp"
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

// earnings is what crediting a batch of earning events reads from the
// ledger, kept up to date as the batch posts: a later event of the batch
// sees the earlier ones' entries as it would see them in the ledger.
type earnings struct {
	accounts  map[uuid.UUID]*Account // locked for the rest of the transaction
	causes    map[string]bool        // causes in the ledger
	last      map[workerRef]*Entry   // the latest earning of each worker and ref read
	rules     map[string][]Rule      // each street's rules, oldest first
	dayEarned map[workerDay]int64    // earned less reversed, each worker and day read
}

type workerRef struct {
	worker uuid.UUID
	ref    string
}

type workerDay struct {
	worker uuid.UUID
	day    string // YYYY-MM-DD
}

func dayKey(worker uuid.UUID, day time.Time) workerDay {
	return workerDay{worker, day.Format(time.DateOnly)}
}

// lockEarnings locks the accounts a batch of earnings credits, in worker
// id order (so two batches never deadlock), and reads everything crediting
// them needs, in one round trip whatever the batch's size. The statements
// are pipelined: Postgres runs them in order, so the reads after the lock
// see every entry committed before the locks were granted (each statement
// takes its own snapshot at read committed). An account missing from
// accounts is one not opened yet.
func (s *Store) lockEarnings(ctx context.Context, b *Book, qs []earningQuery) (*earnings, error) {
	v := &earnings{accounts: map[uuid.UUID]*Account{}, causes: map[string]bool{}, last: map[workerRef]*Entry{},
		rules: map[string][]Rule{}, dayEarned: map[workerDay]int64{}}
	var workers, refWorkers, dayWorkers []uuid.UUID
	var causes, refs, streets []string
	var days []time.Time
	seen := map[any]bool{}
	once := func(k any) bool {
		if seen[k] {
			return false
		}
		seen[k] = true
		return true
	}
	for _, q := range qs {
		if once(q.workerID) {
			workers = append(workers, q.workerID)
		}
		causes = append(causes, q.cause)
		if once(workerRef{q.workerID, q.ref}) {
			refWorkers, refs = append(refWorkers, q.workerID), append(refs, q.ref)
		}
		if once("street:" + q.street) {
			streets = append(streets, q.street)
		}
		if once(dayKey(q.workerID, q.day)) {
			dayWorkers, days = append(dayWorkers, q.workerID), append(days, q.day)
		}
	}

	batch := &pgx.Batch{}
	batch.Queue("SELECT "+accountCols+" FROM accounts WHERE worker_id = ANY($1) ORDER BY worker_id FOR UPDATE", workers)
	batch.Queue("SELECT cause FROM entries WHERE cause = ANY($1)", causes)
	batch.Queue(`SELECT e.* FROM unnest($1::uuid[], $2::text[]) AS q(worker_id, ref)
		CROSS JOIN LATERAL (SELECT `+entryCols+` FROM entries
			WHERE worker_id = q.worker_id AND ref = q.ref AND kind = 'earn' ORDER BY seq DESC LIMIT 1) e`, refWorkers, refs)
	batch.Queue("SELECT "+ruleCols+" FROM rules WHERE street = ANY($1) ORDER BY street, effective_from", streets)
	batch.Queue(`SELECT worker_id, service_day, sum(points) FROM entries
		WHERE (worker_id, service_day) IN (SELECT * FROM unnest($1::uuid[], $2::date[]))
		  AND kind IN ('earn', 'reverse')
		GROUP BY worker_id, service_day`, dayWorkers, days)
	res := b.tx.SendBatch(ctx, batch)
	defer res.Close()

	each := func(what string, scan func(pgx.Rows) error) error {
		rows, err := res.Query()
		if err == nil {
			for rows.Next() && err == nil {
				err = scan(rows)
			}
			rows.Close()
			err = cmp.Or(err, rows.Err())
		}
		if err != nil {
			return fmt.Errorf("earnings: %s: %w", what, err)
		}
		return nil
	}
	err := each("lock accounts", func(row pgx.Rows) error {
		a, err := scanAccount(row)
		v.accounts[a.WorkerID] = &a
		return err
	})
	if err == nil {
		err = each("causes", func(row pgx.Rows) error {
			var c string
			err := row.Scan(&c)
			v.causes[c] = true
			return err
		})
	}
	if err == nil {
		err = each("earnings by ref", func(row pgx.Rows) error {
			e, err := scanEntry(row)
			v.last[workerRef{e.WorkerID, e.Ref}] = &e
			return err
		})
	}
	if err == nil {
		err = each("rules", func(row pgx.Rows) error {
			r, err := scanRule(row)
			v.rules[r.Street] = append(v.rules[r.Street], r)
			return err
		})
	}
	if err == nil {
		err = each("earned by day", func(row pgx.Rows) error {
			var w uuid.UUID
			var day time.Time
			var sum int64
			err := row.Scan(&w, &day, &sum)
			v.dayEarned[dayKey(w, day)] = sum
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	return v, res.Close()
}

// earning returns what crediting q needs, the batch's posts so far
// included; errAccountNotFound when q's account is not open yet.
func (v *earnings) earning(q earningQuery) (earning, error) {
	a, ok := v.accounts[q.workerID]
	if !ok {
		return earning{}, errAccountNotFound
	}
	return earning{account: a, credited: v.causes[q.cause], last: v.last[workerRef{q.workerID, q.ref}],
		rule: ruleAt(v.rules[q.street], q.street, q.at), dayEarned: v.dayEarned[dayKey(q.workerID, q.day)]}, nil
}

// record notes e, just posted, for the batch's later events.
func (v *earnings) record(e *Entry) {
	v.causes[e.Cause] = true
	if e.Kind == KindEarn {
		v.last[workerRef{e.WorkerID, e.Ref}] = e
	}
	if (e.Kind == KindEarn || e.Kind == KindReverse) && e.ServiceDay != nil {
		v.dayEarned[dayKey(e.WorkerID, *e.ServiceDay)] += e.Points
	}
}

// ruleAt is the rule of rules (a street's, oldest first) in effect at t,
// or the street's default rule.
func ruleAt(rules []Rule, street string, t time.Time) Rule {
	for i := len(rules) - 1; i >= 0; i-- {
		if !rules[i].EffectiveFrom.After(t) {
			return rules[i]
		}
	}
	return DefaultRule(street)
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
