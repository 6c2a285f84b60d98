package activity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/db"
)

const reportCols = `id, reporter_id, street, community, category, description, lat, lng, address, status, valid,
	due_at, created_at, updated_at, merged_into`

func scanReport(row pgx.Row) (Report, error) {
	var r Report
	err := row.Scan(&r.ID, &r.ReporterID, &r.Street, &r.Community, &r.Category, &r.Description, &r.Lat, &r.Lng,
		&r.Address, &r.Status, &r.Valid, &r.DueAt, &r.CreatedAt, &r.UpdatedAt, &r.MergedInto)
	r.Photos = []ReportPhoto{}
	return r, err
}

// distanceSQL is the haversine distance in metres from ($1, $2).
const distanceSQL = `(2 * 6371000 * asin(sqrt(
	power(sin(radians(lat - $1) / 2), 2) +
	cos(radians($1)) * cos(radians(lat)) * power(sin(radians(lng - $2) / 2), 2))))`

// openNearby answers the open reports (not closed, rejected or merged) of
// category within duplicateRadius of (lat, lng) created since since,
// nearest first: the likely duplicates of a new report, and what a rider
// is shown before sending one.
func openNearby(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, lat, lng float64, category string, since time.Time) ([]Nearby, error) {
	// A bounding box (1° of latitude is about 111 km) lets the index
	// narrow the rows before the exact distance.
	dLat := duplicateRadius / 111000 * 1.5
	rows, err := q.Query(ctx, `SELECT id, street, community, category, status, created_at, `+distanceSQL+` AS d FROM reports
		WHERE category = $3 AND status NOT IN ('closed', 'rejected', 'merged') AND created_at >= $4
		  AND lat BETWEEN $1 - $5 AND $1 + $5
		  AND `+distanceSQL+` <= $6
		ORDER BY d, id`, lat, lng, category, since, dLat, duplicateRadius)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Nearby, error) {
		var n Nearby
		err := row.Scan(&n.ID, &n.Street, &n.Community, &n.Category, &n.Status, &n.CreatedAt, &n.Distance)
		return n, err
	})
	if out == nil {
		out = []Nearby{}
	}
	return out, err
}

// NearbyReports answers the open reports of category close to (lat, lng)
// since since (openNearby).
func (s *Store) NearbyReports(ctx context.Context, lat, lng float64, category string, since time.Time) ([]Nearby, error) {
	out, err := openNearby(ctx, s.pool, lat, lng, category, since)
	if err != nil {
		return nil, fmt.Errorf("reports nearby: %w", err)
	}
	return out, nil
}

// SubmitReport stores a new report, its photos' rows and its event, and
// returns the likely duplicates: open reports of the same category within
// duplicateRadius created since since.
func (s *Store) SubmitReport(ctx context.Context, r Report, since time.Time) ([]Duplicate, error) {
	dups := []Duplicate{}
	err := s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		near, err := openNearby(ctx, tx, r.Lat, r.Lng, r.Category, since)
		if err != nil {
			return nil, err
		}
		dups = make([]Duplicate, 0, len(near))
		for _, n := range near {
			dups = append(dups, Duplicate{ID: n.ID, Status: n.Status, Distance: n.Distance, CreatedAt: n.CreatedAt})
		}
		if _, err := tx.Exec(ctx, `INSERT INTO reports (id, reporter_id, street, community, category, description,
			lat, lng, address, status, due_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			r.ID, r.ReporterID, r.Street, r.Community, r.Category, r.Description, r.Lat, r.Lng, r.Address, r.Status,
			r.DueAt, r.CreatedAt, r.UpdatedAt); err != nil {
			return nil, err
		}
		for _, ph := range r.Photos {
			if _, err := tx.Exec(ctx, `INSERT INTO report_photos (report_id, n, content_type, size, path)
				VALUES ($1, $2, $3, $4, $5)`, r.ID, ph.N, ph.ContentType, ph.Size, ph.Path); err != nil {
				return nil, err
			}
		}
		return []pending{r.submittedEvent()}, nil
	})
	if err != nil {
		return nil, err
	}
	return dups, nil
}

// Report returns one report, without photos and transitions.
func (s *Store) Report(ctx context.Context, id uuid.UUID) (Report, bool, error) {
	r, err := scanReport(s.pool.QueryRow(ctx, "SELECT "+reportCols+" FROM reports WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Report{}, false, nil
	}
	if err != nil {
		return Report{}, false, fmt.Errorf("report %s: %w", id, err)
	}
	return r, true, nil
}

// ReportDetails adds a report's photos and transitions and, to a merged
// report, its primary's status.
func (s *Store) ReportDetails(ctx context.Context, r Report) (Report, error) {
	rows, err := s.pool.Query(ctx, "SELECT n, content_type, size, path FROM report_photos WHERE report_id = $1 ORDER BY n", r.ID)
	if err != nil {
		return Report{}, fmt.Errorf("photos of report %s: %w", r.ID, err)
	}
	r.Photos, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ReportPhoto, error) {
		var ph ReportPhoto
		err := row.Scan(&ph.N, &ph.ContentType, &ph.Size, &ph.Path)
		return ph, err
	})
	if err != nil {
		return Report{}, fmt.Errorf("photos of report %s: %w", r.ID, err)
	}
	rows, err = s.pool.Query(ctx, `SELECT from_status, to_status, actor_subject, actor_role, note, unit, person, at
		FROM report_transitions WHERE report_id = $1 ORDER BY at`, r.ID)
	if err != nil {
		return Report{}, fmt.Errorf("transitions of report %s: %w", r.ID, err)
	}
	r.Transitions, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (ReportTransition, error) {
		var t ReportTransition
		err := row.Scan(&t.From, &t.To, &t.ActorSubject, &t.ActorRole, &t.Note, &t.Unit, &t.Person, &t.At)
		return t, err
	})
	if err != nil {
		return Report{}, fmt.Errorf("transitions of report %s: %w", r.ID, err)
	}
	if r.MergedInto != nil {
		// Follow merges to the report still standing. A report is merged
		// only into one that is not merged, so there are no cycles; the
		// depth cap guards the query against a bug all the same.
		err := s.pool.QueryRow(ctx, `WITH RECURSIVE chain (id, status, merged_into, depth) AS (
				SELECT id, status, merged_into, 1 FROM reports WHERE id = $1
				UNION ALL
				SELECT r.id, r.status, r.merged_into, c.depth + 1 FROM reports r JOIN chain c ON r.id = c.merged_into
				WHERE c.depth < 32)
			SELECT status FROM chain ORDER BY depth DESC LIMIT 1`, *r.MergedInto).Scan(&r.PrimaryStatus)
		if err != nil {
			return Report{}, fmt.Errorf("primary of report %s: %w", r.ID, err)
		}
	}
	return r, nil
}

// ReportPhoto returns photo n of a report.
func (s *Store) ReportPhoto(ctx context.Context, id uuid.UUID, n int) (ReportPhoto, bool, error) {
	var ph ReportPhoto
	err := s.pool.QueryRow(ctx, "SELECT n, content_type, size, path FROM report_photos WHERE report_id = $1 AND n = $2", id, n).
		Scan(&ph.N, &ph.ContentType, &ph.Size, &ph.Path)
	if errors.Is(err, pgx.ErrNoRows) {
		return ReportPhoto{}, false, nil
	}
	if err != nil {
		return ReportPhoto{}, false, fmt.Errorf("photo %d of report %s: %w", n, id, err)
	}
	return ph, true, nil
}

// TransitionReport locks the report, lets change move it on, and stores the
// new status, the transition t (its From filled in) and the event together.
func (s *Store) TransitionReport(ctx context.Context, id uuid.UUID, t ReportTransition, change func(r *Report) (*pending, error)) (Report, error) {
	var r Report
	err := s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		var err error
		r, err = scanReport(tx.QueryRow(ctx, "SELECT "+reportCols+" FROM reports WHERE id = $1 FOR UPDATE", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errReportNotFound
		}
		if err != nil {
			return nil, err
		}
		t.From = r.Status
		ev, err := change(&r)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, "UPDATE reports SET status = $2, valid = $3, updated_at = $4 WHERE id = $1",
			r.ID, r.Status, r.Valid, r.UpdatedAt); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO report_transitions (report_id, from_status, to_status, actor_subject,
			actor_role, note, unit, person, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			r.ID, t.From, t.To, t.ActorSubject, t.ActorRole, t.Note, t.Unit, t.Person, t.At); err != nil {
			return nil, err
		}
		return []pending{*ev}, nil
	})
	if err != nil {
		return Report{}, err
	}
	return s.ReportDetails(ctx, r)
}

// MergeReport locks reports id and into and passes them to merge (nil for
// one that does not exist), which checks them and marks the first merged;
// it stores the merge, the transition t (its From filled in) and the event
// together.
func (s *Store) MergeReport(ctx context.Context, id, into uuid.UUID, t ReportTransition, merge func(dup, primary *Report) (*pending, error)) (Report, error) {
	var dup Report
	err := s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		// Lock in id order, so that two merges of the same pair in opposite
		// directions queue up instead of deadlocking (the second then finds
		// its primary merged).
		ids := []uuid.UUID{id, into}
		slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
		locked := map[uuid.UUID]*Report{}
		for _, k := range slices.Compact(ids) {
			r, err := scanReport(tx.QueryRow(ctx, "SELECT "+reportCols+" FROM reports WHERE id = $1 FOR UPDATE", k))
			if errors.Is(err, pgx.ErrNoRows) {
				continue
			}
			if err != nil {
				return nil, err
			}
			locked[k] = &r
		}
		// When id == into, both point at one row: merge refuses that before
		// changing anything.
		d, primary := locked[id], locked[into]
		if d != nil {
			t.From = d.Status
		}
		ev, err := merge(d, primary)
		if err != nil {
			return nil, err
		}
		dup = *d
		if _, err := tx.Exec(ctx, "UPDATE reports SET status = $2, merged_into = $3, updated_at = $4 WHERE id = $1",
			dup.ID, dup.Status, dup.MergedInto, dup.UpdatedAt); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO report_transitions (report_id, from_status, to_status, actor_subject,
			actor_role, note, unit, person, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			dup.ID, t.From, t.To, t.ActorSubject, t.ActorRole, t.Note, t.Unit, t.Person, t.At); err != nil {
			return nil, err
		}
		return []pending{*ev}, nil
	})
	if err != nil {
		return Report{}, err
	}
	return s.ReportDetails(ctx, dup)
}

// ListReports returns a page of reports ordered by id or, with Sort
// due_at, by due_at and id (keyset on both).
func (s *Store) ListReports(ctx context.Context, q ReportQuery) (Page[Report], error) {
	var f db.Filter
	f.Eq("street", q.Street)
	f.Eq("community", q.Community)
	f.Eq("reporter_id", q.ReporterID)
	f.Eq("status", q.Status)
	f.Eq("category", q.Category)
	if q.Overdue || q.Open {
		// reportOpen: a report in a final status (closed, rejected, merged)
		// is never overdue.
		f.Raw("status IN ('submitted', 'accepted', 'dispatched')")
	}
	if q.Overdue {
		f.Where("due_at < $%d", q.Now)
	}
	var sql string
	if q.Sort == ReportSortDueAt {
		if q.After != "" {
			f.Args = append(f.Args, q.afterDue, q.afterID)
			f.Raw(fmt.Sprintf("(due_at, id) > ($%d, $%d)", len(f.Args)-1, len(f.Args)))
		}
		clause := f.Clause()
		f.Args = append(f.Args, q.Limit+1)
		sql = "SELECT " + reportCols + " FROM reports" + clause + fmt.Sprintf(" ORDER BY due_at, id LIMIT $%d", len(f.Args))
	} else {
		sql = "SELECT " + reportCols + " FROM reports" + f.Page(q.After, q.Limit)
	}
	rows, err := s.pool.Query(ctx, sql, f.Args...)
	if err != nil {
		return Page[Report]{}, fmt.Errorf("list reports: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Report, error) { return scanReport(row) })
	if err != nil {
		return Page[Report]{}, fmt.Errorf("list reports: %w", err)
	}
	if items == nil {
		items = []Report{}
	}
	p := Page[Report]{Items: items}
	if len(items) > q.Limit {
		p.Items = items[:q.Limit]
		last := items[q.Limit-1]
		p.Next = last.ID.String()
		if q.Sort == ReportSortDueAt {
			p.Next = dueCursor(last)
		}
	}
	return p, nil
}
