package activity

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/places"
)

// Store holds the activity service's queries. Every write commits together
// with the outbox rows of its events.
type Store struct {
	pool   *pgxpool.Pool
	outbox outbox.Writer
	places places.Checker
}

// NewStore returns a store over pool (search_path: the activity schema).
func NewStore(pool *pgxpool.Pool, w outbox.Writer) *Store {
	return &Store{pool: pool, outbox: w, places: places.Checker{Pool: pool}}
}

// write runs fn in a transaction and adds the events fn returns to the
// outbox in the same transaction.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) ([]pending, error)) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		evs, err := fn(tx)
		if err != nil {
			return err
		}
		drafts := make([]outbox.Draft, len(evs))
		for i, e := range evs {
			drafts[i] = outbox.Draft{Name: e.name, Street: e.street, Subject: e.subject, Data: e.data}
		}
		_, err = s.outbox.AddAll(ctx, tx, drafts)
		return err
	})
}

// Worker returns the projected worker.
func (s *Store) Worker(ctx context.Context, id uuid.UUID) (Worker, bool, error) {
	var w Worker
	err := s.pool.QueryRow(ctx, "SELECT id, street, community, status, occupation FROM workers WHERE id = $1", id).
		Scan(&w.ID, &w.Street, &w.Community, &w.Status, &w.Occupation)
	if errors.Is(err, pgx.ErrNoRows) {
		return Worker{}, false, nil
	}
	if err != nil {
		return Worker{}, false, fmt.Errorf("worker %s: %w", id, err)
	}
	return w, true, nil
}

// listPage runs a list query built with db.Filter.Page (limit+1 rows, by id)
// and returns one page: the extra row only says there is a next one.
func listPage[T any](ctx context.Context, pool *pgxpool.Pool, sql string, args []any, limit int,
	scan func(pgx.Row) (T, error), id func(T) uuid.UUID) (Page[T], error) {
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return Page[T]{}, err
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (T, error) { return scan(row) })
	if err != nil {
		return Page[T]{}, err
	}
	p := Page[T]{Items: items}
	if p.Items == nil {
		p.Items = []T{}
	}
	if len(items) > limit {
		p.Items = items[:limit]
		p.Next = id(items[limit-1]).String()
	}
	return p, nil
}
