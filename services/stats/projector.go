package stats

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
)

// Projector turns the archive into figures: it applies archived events, a
// chunk per transaction, to the current generation of figures and, while
// a rebuild runs, to the next one, which replaces the current once it has
// caught up. One instance leads (an advisory lock); the others wait to
// take over.
type Projector struct {
	Pool *pgxpool.Pool
	Log  *slog.Logger
	// Wake is rung when events have been archived; without a ring the
	// projector looks every Poll (another instance may have archived).
	Wake    <-chan struct{}
	Poll    time.Duration // default 1s
	Chunk   int           // events per transaction; default 2,000
	Metrics *Metrics      // optional
}

// leaderKey is the projector's advisory lock (per database).
const leaderKey = 0x5354415453 // "STATS"

// Run leads when it can and projects until ctx ends.
func (p *Projector) Run(ctx context.Context) {
	if p.Poll <= 0 {
		p.Poll = time.Second
	}
	if p.Chunk <= 0 {
		p.Chunk = 2000
	}
	if p.Log == nil {
		p.Log = slog.New(slog.DiscardHandler)
	}
	for ctx.Err() == nil {
		if err := p.lead(ctx); err != nil && ctx.Err() == nil {
			p.Log.Warn("projector paused", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(p.Poll):
		}
	}
}

// lead holds the leader's lock on a connection of its own for as long as
// it projects.
func (p *Projector) lead(ctx context.Context) error {
	conn, err := p.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire: %w", err)
	}
	defer conn.Release()
	var leader bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", leaderKey).Scan(&leader); err != nil {
		return fmt.Errorf("leader lock: %w", err)
	}
	if !leader {
		return nil
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", leaderKey)
	}()
	for ctx.Err() == nil {
		busy, err := p.Round(ctx)
		if err != nil {
			return err
		}
		if busy {
			continue
		}
		select {
		case <-ctx.Done():
		case <-p.Wake:
		case <-time.After(p.Poll):
		}
		// Is the lock still ours (a broken connection loses it)?
		if err := conn.Ping(ctx); err != nil {
			return fmt.Errorf("leader connection: %w", err)
		}
	}
	return nil
}

// Round applies one chunk to the current generation and, while a rebuild
// runs, one to the generation being built, swapping it in once it has
// caught up. busy reports that there may be more to do at once.
func (p *Projector) Round(ctx context.Context) (busy bool, err error) {
	var g generations
	if err := db.InTx(ctx, p.Pool, func(tx pgx.Tx) error {
		g, err = readGenerations(ctx, tx, false)
		return err
	}); err != nil {
		return false, err
	}
	if g.CurrentVersion < FiguresVersion && g.Building == nil {
		// Figures that have counted nothing yet (a new database) are of
		// any version: this one.
		tag, err := p.Pool.Exec(ctx, `UPDATE state SET current_version = $1
			WHERE current_version < $1 AND building_gen IS NULL
			  AND (SELECT applied FROM progress WHERE gen = state.current_gen) = 0`, FiguresVersion)
		if err != nil {
			return false, fmt.Errorf("figures version: %w", err)
		}
		if tag.RowsAffected() == 1 {
			return true, nil
		}
		// Figures of an older version of this code: rebuilt by this one,
		// served as they are until then. (Never the other way: an older
		// instance still running during a rollout leaves them be.)
		p.Log.Info("figures are of an older version: rebuilding", "version", g.CurrentVersion, "to", FiguresVersion)
		if _, err := StartRebuild(ctx, p.Pool); err != nil && !errors.Is(err, ErrRebuilding) {
			return false, err
		}
		return true, nil
	}
	n, err := p.step(ctx, g.Current, p.Chunk)
	if err != nil {
		return false, err
	}
	busy = n == p.Chunk
	if g.Building == nil {
		return busy, nil
	}
	m, err := p.step(ctx, *g.Building, p.Chunk)
	if err != nil {
		return false, err
	}
	if m == p.Chunk {
		return true, nil
	}
	if busy { // the live figures are behind: the swap waits for a quiet round
		return true, nil
	}
	return true, p.swap(ctx)
}

// step applies up to limit events to gen in one transaction.
func (p *Projector) step(ctx context.Context, gen, limit int) (int, error) {
	var n int
	err := db.InTx(ctx, p.Pool, func(tx pgx.Tx) error {
		var err error
		n, err = p.applyNext(ctx, tx, gen, limit)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("generation %d: %w", gen, err)
	}
	return n, nil
}

// applyNext applies, in tx, up to limit archived events gen has not.
func (p *Projector) applyNext(ctx context.Context, tx pgx.Tx, gen, limit int) (int, error) {
	rows, err := nextArchived(ctx, tx, gen, limit)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	start := time.Now()
	c := newChanges()
	c.missing = func(r ref) (*entity, error) {
		if err := loadEntities(ctx, tx, gen, c, []ref{r}); err != nil {
			return nil, err
		}
		return c.entities[r], nil
	}
	events := make([]decoded, 0, len(rows))
	var refs []ref
	skipped := 0
	for _, a := range rows {
		d, ok, err := decode(a.env)
		if err != nil || !ok {
			// An event no figure counts, or one that does not decode: the
			// producer's contract test is where a bad payload is caught;
			// here it must not stop every figure behind it.
			if err != nil {
				p.Log.Warn("archived event not counted", "event_id", a.env.ID, "type", a.env.Type, "err", err)
			}
			skipped++
			continue
		}
		events = append(events, d)
		refs = append(refs, refsOf(d)...)
	}
	if err := loadEntities(ctx, tx, gen, c, refs); err != nil {
		return 0, err
	}
	// What an event needs once others are loaded (an attendance's
	// community-level mark names its activity's community), in one more
	// query rather than one each.
	refs = refs[:0]
	published := map[string]*event.ActivityData{}
	for _, d := range events {
		if a, ok := d.data.(*event.ActivityData); ok && d.name == event.ActivityPublished {
			published[a.ActivityID] = a
		}
		refs = append(refs, c.laterRefs(d, published)...)
	}
	if err := loadEntities(ctx, tx, gen, c, refs); err != nil {
		return 0, err
	}
	for _, d := range events {
		if err := c.apply(d); err != nil {
			return 0, fmt.Errorf("apply %s %s: %w", d.env.Type, d.env.ID, err)
		}
	}
	if err := writeChanges(ctx, tx, gen, c); err != nil {
		return 0, err
	}
	last := rows[len(rows)-1]
	if _, err := tx.Exec(ctx, `UPDATE progress SET txid = $2::xid8, seq = $3, applied = applied + $4 WHERE gen = $1`,
		gen, last.txid, last.seq, len(rows)); err != nil {
		return 0, fmt.Errorf("progress: %w", err)
	}
	p.Metrics.applied(len(events), skipped, time.Since(start))
	return len(rows), nil
}

// swap puts the rebuilt generation in the current one's place, after
// applying, under the state row's lock, whatever it still lacks. The old
// generation's rows are deleted after.
func (p *Projector) swap(ctx context.Context) error {
	var old int
	err := db.InTx(ctx, p.Pool, func(tx pgx.Tx) error {
		g, err := readGenerations(ctx, tx, true)
		if err != nil || g.Building == nil {
			return err
		}
		for {
			n, err := p.applyNext(ctx, tx, *g.Building, p.Chunk)
			if err != nil {
				return err
			}
			if n < p.Chunk {
				break
			}
		}
		old = g.Current
		_, err = tx.Exec(ctx, `UPDATE state SET current_gen = building_gen, current_version = building_version,
			building_gen = NULL, building_version = NULL, building_since = NULL, last_rebuilt_at = now()`)
		return err
	})
	if err != nil {
		return fmt.Errorf("swap in the rebuilt figures: %w", err)
	}
	p.Log.Info("rebuilt figures in place", "old_generation", old)
	return dropGeneration(ctx, p.Pool, old)
}

// dropGeneration deletes a generation's rows.
func dropGeneration(ctx context.Context, pool *pgxpool.Pool, gen int) error {
	return db.InTx(ctx, pool, func(tx pgx.Tx) error {
		for _, t := range []string{"entities", "daily", "monthly", "progress"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+t+" WHERE gen = $1", gen); err != nil {
				return fmt.Errorf("drop generation %d from %s: %w", gen, t, err)
			}
		}
		return nil
	})
}

// ErrRebuilding is StartRebuild's answer while a rebuild runs.
var ErrRebuilding = errors.New("a rebuild is already running")

// StartRebuild starts rebuilding every figure from the archive into a new
// generation; the projector fills it beside the live one and swaps it in.
// It returns the new generation.
func StartRebuild(ctx context.Context, pool *pgxpool.Pool) (int, error) {
	var gen int
	err := db.InTx(ctx, pool, func(tx pgx.Tx) error {
		g, err := readGenerations(ctx, tx, true)
		if err != nil {
			return err
		}
		if g.Building != nil {
			return ErrRebuilding
		}
		gen = g.Current + 1
		// Leftovers of a generation of that number (an abandoned rebuild).
		for _, t := range []string{"entities", "daily", "monthly", "progress"} {
			if _, err := tx.Exec(ctx, "DELETE FROM "+t+" WHERE gen = $1", gen); err != nil {
				return fmt.Errorf("clear generation %d: %w", gen, err)
			}
		}
		if _, err := tx.Exec(ctx, "INSERT INTO progress (gen) VALUES ($1)", gen); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE state SET building_gen = $1, building_version = $2, building_since = now()`, gen, FiguresVersion)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("start rebuild: %w", err)
	}
	return gen, nil
}
