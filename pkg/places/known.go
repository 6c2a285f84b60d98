package places

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Known answers whether a street, or a community of a street, is one the
// registry created, for auth.Verifier.Places: every request's token is
// checked, so a place found once is remembered in memory and the next
// request for it touches no database. A place not found is not remembered:
// it is looked up again (one primary-key lookup) each time, so a place the
// registry creates later is accepted as soon as the service has it.
// Places are never deleted, so what is remembered stays true. Nothing is
// remembered but what the database holds, so the memory used is bounded
// by the district's own streets and communities, not by what tokens name.
//
// It reads the streets and communities tables of Pool's schema: the
// projection of this package in activity, points and notification, and
// the registry's own tables (which have the same names and columns).
type Known struct {
	pool *pgxpool.Pool

	mu   sync.RWMutex
	seen map[place]struct{}
}

// place is a street (community "") or a community of a street.
type place struct{ street, community string }

// NewKnown checks places against pool's schema.
func NewKnown(pool *pgxpool.Pool) *Known {
	return &Known{pool: pool, seen: map[place]struct{}{}}
}

// Known reports whether street (community "") or community of street is a
// place the registry created.
func (k *Known) Known(ctx context.Context, street, community string) (bool, error) {
	p := place{street, community}
	k.mu.RLock()
	_, ok := k.seen[p]
	k.mu.RUnlock()
	if ok {
		return true, nil
	}
	var known bool
	var err error
	if community == "" {
		err = k.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM streets WHERE code = $1)", street).Scan(&known)
	} else {
		err = k.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM communities WHERE street = $1 AND code = $2)",
			street, community).Scan(&known)
	}
	if err != nil {
		return false, fmt.Errorf("place %s/%s known: %w", street, community, err)
	}
	if known {
		k.mu.Lock()
		k.seen[p] = struct{}{}
		k.mu.Unlock()
	}
	return known, nil
}
