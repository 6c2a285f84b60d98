package stats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nuanxin/nuanxin/pkg/event"
)

// archive stores a batch of events from stream in tx. An event archived
// before (the same id) is left as it was.
func archive(ctx context.Context, tx pgx.Tx, stream string, events []event.Envelope) error {
	ids, types, envs := make([]string, len(events)), make([]string, len(events)), make([][]byte, len(events))
	for i, e := range events {
		raw, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("archive %s: %w", e.ID, err)
		}
		ids[i], types[i], envs[i] = e.ID, e.Type, raw
	}
	// WITH ORDINALITY keeps the batch's order in seq: one stream's events
	// are applied in the order they were published.
	tag, err := tx.Exec(ctx, `INSERT INTO events (id, stream, type, envelope)
		SELECT id, $1, type, env::jsonb FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(id, type, env, n)
		ORDER BY n
		ON CONFLICT (id) DO NOTHING`, stream, ids, types, envs)
	if err != nil {
		return fmt.Errorf("archive %d events of %s: %w", len(events), stream, err)
	}
	if n := tag.RowsAffected(); n > 0 {
		if _, err := tx.Exec(ctx, `INSERT INTO archive_counts (stream, archived) VALUES ($1, $2)
			ON CONFLICT (stream) DO UPDATE SET archived = archive_counts.archived + EXCLUDED.archived`, stream, n); err != nil {
			return fmt.Errorf("count archived events of %s: %w", stream, err)
		}
	}
	return nil
}

// generations is the row of state: the generation queries read, and the
// one a rebuild is filling.
type generations struct {
	Current, CurrentVersion int
	Building, BuildingVer   *int
	BuildingSince, Rebuilt  *time.Time
}

func readGenerations(ctx context.Context, q pgx.Tx, lock bool) (generations, error) {
	sql := `SELECT current_gen, current_version, building_gen, building_version, building_since, last_rebuilt_at FROM state`
	if lock {
		sql += " FOR UPDATE"
	}
	var g generations
	err := q.QueryRow(ctx, sql).Scan(&g.Current, &g.CurrentVersion, &g.Building, &g.BuildingVer, &g.BuildingSince, &g.Rebuilt)
	if err != nil {
		return g, fmt.Errorf("read generations: %w", err)
	}
	return g, nil
}

// archived is one row of the archive.
type archived struct {
	seq  int64
	txid string
	env  event.Envelope
}

// nextArchived reads up to limit events gen has not applied, in the order
// they are applied: by archiving transaction, then seq. Only transactions
// older than every one still running are read, so no row can commit later
// behind the point read up to (docs/decisions.md).
func nextArchived(ctx context.Context, tx pgx.Tx, gen, limit int) ([]archived, error) {
	// The place is read first and given as constants: against a joined
	// row the planner cannot start the index scan at it.
	var txid string
	var seq int64
	if err := tx.QueryRow(ctx, "SELECT txid::text, seq FROM progress WHERE gen = $1", gen).Scan(&txid, &seq); err != nil {
		return nil, fmt.Errorf("read progress of generation %d: %w", gen, err)
	}
	// ORDER BY names the table's columns: the output's txid is text, and
	// text does not sort as transaction ids do.
	rows, err := tx.Query(ctx, `SELECT e.seq, e.txid::text AS txid_text, e.envelope FROM events e
		WHERE (e.txid, e.seq) > ($1::xid8, $2) AND e.txid < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY e.txid, e.seq LIMIT $3`, txid, seq, limit)
	if err != nil {
		return nil, fmt.Errorf("read archive: %w", err)
	}
	var out []archived
	for rows.Next() {
		var a archived
		var raw []byte
		if err := rows.Scan(&a.seq, &a.txid, &raw); err != nil {
			return nil, fmt.Errorf("read archive: %w", err)
		}
		if err := json.Unmarshal(raw, &a.env); err != nil {
			return nil, fmt.Errorf("archived event %d: %w", a.seq, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// loadEntities reads the entities refs names in gen into c.
func loadEntities(ctx context.Context, tx pgx.Tx, gen int, c *changes, refs []ref) error {
	if len(refs) == 0 {
		return nil
	}
	kinds, ids := make([]string, 0, len(refs)), make([]string, 0, len(refs))
	for _, r := range refs {
		if _, ok := c.entities[r]; ok {
			continue
		}
		c.entities[r] = nil // unless found
		kinds, ids = append(kinds, r.kind), append(ids, r.id)
	}
	// One primary-key lookup per ref (LATERAL): joined as sets, the
	// planner scanned the generation's every entity for each chunk.
	rows, err := tx.Query(ctx, `SELECT r.kind, r.id, e.state FROM unnest($2::text[], $3::text[]) AS r(kind, id)
		CROSS JOIN LATERAL (SELECT state FROM entities WHERE gen = $1 AND kind = r.kind AND id = r.id) e`, gen, kinds, ids)
	if err != nil {
		return fmt.Errorf("load entities: %w", err)
	}
	for rows.Next() {
		var r ref
		var raw []byte
		if err := rows.Scan(&r.kind, &r.id, &raw); err != nil {
			return fmt.Errorf("load entities: %w", err)
		}
		var e entity
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("entity %s %s: %w", r.kind, r.id, err)
		}
		c.entities[r] = &e
	}
	return rows.Err()
}

// writeChanges stores what c changed in gen: its entities, and its deltas
// added to the daily and monthly figures.
func writeChanges(ctx context.Context, tx pgx.Tx, gen int, c *changes) error {
	var kinds, ids, streets, communities []string
	var states [][]byte
	var goneKinds, goneIDs []string
	for r := range c.dirty {
		e := c.entities[r]
		if e == nil {
			goneKinds, goneIDs = append(goneKinds, r.kind), append(goneIDs, r.id)
			continue
		}
		raw, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("entity %s %s: %w", r.kind, r.id, err)
		}
		kinds, ids, streets, communities = append(kinds, r.kind), append(ids, r.id), append(streets, e.Street), append(communities, e.Community)
		states = append(states, raw)
	}
	b := &pgx.Batch{}
	if len(kinds) > 0 {
		b.Queue(`INSERT INTO entities (gen, kind, id, street, community, state)
			SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[]::jsonb[])
			ON CONFLICT (gen, kind, id) DO UPDATE SET street = EXCLUDED.street, community = EXCLUDED.community, state = EXCLUDED.state`,
			gen, kinds, ids, streets, communities, bytesToText(states))
	}
	if len(goneKinds) > 0 {
		b.Queue(`DELETE FROM entities WHERE ctid IN (SELECT e.ctid FROM unnest($2::text[], $3::text[]) AS r(kind, id)
			CROSS JOIN LATERAL (SELECT ctid FROM entities WHERE gen = $1 AND kind = r.kind AND id = r.id) e)`, gen, goneKinds, goneIDs)
	}
	queueCells(b, "daily", "day", gen, c.deltas, func(d time.Time) time.Time { return d })
	queueCells(b, "monthly", "month", gen, c.deltas, func(d time.Time) time.Time {
		return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
	})
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("write figures: %w", err)
	}
	return nil
}

// queueCells adds deltas, summed per period, to table's figures.
func queueCells(b *pgx.Batch, table, column string, gen int, deltas map[cell]int64, period func(time.Time) time.Time) {
	sums := map[cell]int64{}
	for k, v := range deltas {
		k.day = period(k.day)
		sums[k] += v
	}
	var metrics, keys, streets, communities []string
	var days []time.Time
	var values []int64
	for k, v := range sums {
		if v == 0 {
			continue
		}
		metrics, keys, streets, communities = append(metrics, k.metric), append(keys, k.key), append(streets, k.street), append(communities, k.community)
		days, values = append(days, k.day), append(values, v)
	}
	if len(metrics) == 0 {
		return
	}
	b.Queue(`INSERT INTO `+table+` (gen, metric, key, street, community, `+column+`, value)
		SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::date[], $7::bigint[])
		ON CONFLICT (gen, street, community, `+column+`, metric, key) DO UPDATE SET value = `+table+`.value + EXCLUDED.value`,
		gen, metrics, keys, streets, communities, days, values)
}

func bytesToText(b [][]byte) []string {
	out := make([]string, len(b))
	for i, x := range b {
		out[i] = string(x)
	}
	return out
}

// errNoRows reports whether err is pgx's "no rows".
func errNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// readTx runs fn in a read-only transaction that sees one snapshot: an
// overview's figures all as of the same moment, whatever the projector
// commits meanwhile.
func readTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}
