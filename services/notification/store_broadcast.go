package notification

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/outbox"
)

const broadcastCols = `id, street, segment, template, variables, urgent, cause, status, total, sent, cursor, lease_until,
	created_by, created_at, finished_at, error`

// scanBroadcast reads a broadcast; lease and cursor come back for the job.
func scanBroadcast(row pgx.Row) (Broadcast, *uuid.UUID, *time.Time, error) {
	var b Broadcast
	var seg, vars []byte
	var cursor *uuid.UUID
	var lease *time.Time
	err := row.Scan(&b.ID, &b.Street, &seg, &b.Template, &vars, &b.Urgent, &b.cause, &b.Status, &b.Total, &b.Sent,
		&cursor, &lease, &b.CreatedBy, &b.CreatedAt, &b.FinishedAt, &b.Error)
	if err != nil {
		return b, nil, nil, err
	}
	if err := json.Unmarshal(seg, &b.Segment); err != nil {
		return b, nil, nil, err
	}
	err = json.Unmarshal(vars, &b.Variables)
	return b, cursor, lease, err
}

// addBroadcast queues a broadcast inside tx; a cause queued already (an
// event delivered again) is skipped.
func (s *Store) addBroadcast(ctx context.Context, tx pgx.Tx, b Broadcast) error {
	_, err := tx.Exec(ctx, `INSERT INTO broadcasts (id, street, segment, template, variables, urgent, cause, status,
			created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9) ON CONFLICT (cause) DO NOTHING`,
		b.ID, b.Street, b.Segment, b.Template, b.Variables, b.Urgent, b.cause, b.CreatedBy, b.CreatedAt)
	if err != nil {
		return fmt.Errorf("queue broadcast: %w", err)
	}
	return nil
}

// AddBroadcast queues a broadcast.
func (s *Store) AddBroadcast(ctx context.Context, b Broadcast) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error { return s.addBroadcast(ctx, tx, b) })
}

// Broadcast returns one broadcast.
func (s *Store) Broadcast(ctx context.Context, id uuid.UUID) (Broadcast, bool, error) {
	b, _, _, err := scanBroadcast(s.pool.QueryRow(ctx, "SELECT "+broadcastCols+" FROM broadcasts WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Broadcast{}, false, nil
	}
	if err != nil {
		return Broadcast{}, false, fmt.Errorf("broadcast %s: %w", id, err)
	}
	return b, true, nil
}

// Broadcasts lists the latest broadcasts of a street ("" for all).
func (s *Store) Broadcasts(ctx context.Context, street string, limit int) ([]Broadcast, error) {
	var f db.Filter
	f.Eq("street", street)
	f.Args = append(f.Args, limit)
	rows, err := s.pool.Query(ctx, fmt.Sprintf("SELECT %s FROM broadcasts%s ORDER BY created_at DESC LIMIT $%d",
		broadcastCols, f.Clause(), len(f.Args)), f.Args...)
	if err != nil {
		return nil, fmt.Errorf("list broadcasts: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Broadcast, error) {
		b, _, _, err := scanBroadcast(row)
		return b, err
	})
	if list == nil {
		list = []Broadcast{}
	}
	return list, err
}

// claimBroadcast leases the oldest broadcast not ended whose lease (if
// any) has run out; the first claim marks when its fan-out started.
func (s *Store) claimBroadcast(ctx context.Context, now time.Time, lease time.Duration) (leased, bool, error) {
	b, cursor, until, err := scanBroadcast(s.pool.QueryRow(ctx, `UPDATE broadcasts SET status = 'running', lease_until = $2,
			started_at = coalesce(started_at, $1)
		WHERE id = (SELECT id FROM broadcasts WHERE status IN ('pending', 'running') AND (lease_until IS NULL OR lease_until < $1)
			ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING `+broadcastCols, now, now.Add(lease)))
	if errors.Is(err, pgx.ErrNoRows) {
		return leased{}, false, nil
	}
	if err != nil {
		return leased{}, false, fmt.Errorf("claim broadcast: %w", err)
	}
	return leased{Broadcast: b, cursor: cursor, lease: *until}, true, nil
}

// failBroadcast ends a leased broadcast as failed, saying why; those it
// reached already keep their messages. Another instance holding it by now
// makes it errLeaseLost.
func (s *Store) failBroadcast(ctx context.Context, b leased, reason string, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE broadcasts SET status = 'failed', error = $3, finished_at = $4, lease_until = NULL
		WHERE id = $1 AND lease_until = $2`, b.ID, b.lease, reason, now)
	if err != nil {
		return fmt.Errorf("fail broadcast %s: %w", b.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return errLeaseLost
	}
	return nil
}

// leased is a broadcast held by this instance until lease.
type leased struct {
	Broadcast
	cursor *uuid.UUID
	lease  time.Time
}

// fanOut sends the next batch of a leased broadcast in one transaction —
// the messages, their deliveries, the broadcast's progress and the batch's
// inbox.stored summary, and with the last batch broadcast.sent — and
// reports whether the broadcast is done. It fails with errLeaseLost if
// another instance has taken the broadcast over.
func (s *Store) fanOut(ctx context.Context, b *leased, category string, zh, en Message, batch int, now time.Time, lease time.Duration) (bool, error) {
	done := false
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		next := now.Add(lease)
		tag, err := tx.Exec(ctx, "UPDATE broadcasts SET lease_until = $3 WHERE id = $1 AND lease_until = $2", b.ID, b.lease, next)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return errLeaseLost
		}
		where, args := segmentSQL(b.Segment, 1)
		if b.Total == nil {
			var total int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM workers w WHERE "+where, args...).Scan(&total); err != nil {
				return err
			}
			b.Total = &total
		}
		if b.cursor != nil {
			args = append(args, *b.cursor)
			where += fmt.Sprintf(" AND w.id > $%d", len(args))
		}
		args = append(args, batch)
		rows, err := tx.Query(ctx, fmt.Sprintf("SELECT w.id FROM workers w WHERE %s ORDER BY w.id LIMIT $%d", where, len(args)), args...)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			return err
		}
		recipients := make([]Recipient, len(ids))
		for i, id := range ids {
			recipients[i] = WorkerRecipient(id.String())
		}
		prefs, err := preferences(ctx, tx, recipients)
		if err != nil {
			return err
		}
		ns := make([]Notification, len(ids))
		for i, r := range recipients {
			m := zh
			if prefs[r].Lang == "en" {
				m = en
			}
			ns[i] = Notification{ID: newID(), Recipient: r, Street: b.Street, Category: category, Template: b.Template, Title: m.Title,
				Body: m.Body, Urgent: b.Urgent, BroadcastID: &b.ID, cause: b.cause}
		}
		n, err := insert(ctx, tx, ns, prefs, now)
		if err != nil {
			return err
		}
		b.Sent += n
		if len(ids) > 0 {
			b.cursor = &ids[len(ids)-1]
		}
		done = len(ids) < batch
		var finished *time.Time
		status := "running"
		if done {
			status, finished = "done", &now
		}
		var started time.Time
		if err := tx.QueryRow(ctx, `UPDATE broadcasts SET sent = $2, cursor = $3, total = $4, status = $5, finished_at = $6
			WHERE id = $1 RETURNING coalesce(started_at, created_at)`, b.ID, b.Sent, b.cursor, b.Total, status, finished).
			Scan(&started); err != nil {
			return err
		}
		var tally stored
		tally.add(b.Street, category, b.cause, b.ID.String(), n, now)
		drafts := tally.drafts()
		if done {
			drafts = append(drafts, outbox.Draft{Name: event.BroadcastSent, Street: b.Street, Subject: b.ID.String(),
				Data: event.BroadcastSentData{BroadcastID: b.ID.String(), Street: b.Street, Community: b.Segment.Community,
					Category: category, Template: b.Template, Cause: causeKind(b.cause), Audience: *b.Total, Reach: b.Sent,
					StartedAt: started, FinishedAt: now}})
		}
		if _, err := s.outbox.AddAll(ctx, tx, drafts); err != nil {
			return err
		}
		b.lease = next
		return nil
	})
	return done, err
}

// audience counts the active workers of a segment.
func (s *Store) audience(ctx context.Context, seg Segment) (int, error) {
	where, args := segmentSQL(seg, 1)
	var n int
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM workers w WHERE "+where, args...).Scan(&n)
	return n, err
}

// communityKnown reports whether registry events have named a community of
// a street.
func (s *Store) communityKnown(ctx context.Context, street, community string) (bool, error) {
	var known bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM communities WHERE street = $1 AND code = $2)
		OR EXISTS (SELECT 1 FROM workers WHERE street = $1 AND community = $2)`, street, community).Scan(&known)
	return known, err
}

// communityName is a community's name, or its code when unknown.
func (s *Store) communityName(ctx context.Context, q querier, street, code string) (string, error) {
	var name string
	err := q.QueryRow(ctx, "SELECT name FROM communities WHERE street = $1 AND code = $2", street, code).Scan(&name)
	if errors.Is(err, pgx.ErrNoRows) {
		return code, nil
	}
	return name, err
}

// nearestStations names up to n stations of a street, nearest first to the
// station checked in at (or those of the community first).
func (s *Store) nearestStations(ctx context.Context, q querier, street, community, stationID string, n int) ([]string, error) {
	var at *uuid.UUID
	if id, err := uuid.Parse(stationID); err == nil {
		at = &id
	}
	rows, err := q.Query(ctx, `WITH here AS (SELECT lat, lng FROM stations WHERE id = $3)
		SELECT s.name FROM stations s LEFT JOIN here ON true
		WHERE s.street = $1
		ORDER BY CASE WHEN here.lat IS NULL THEN (s.community <> $2)::int ELSE 0 END,
			coalesce(power(s.lat - here.lat, 2) + power((s.lng - here.lng) * cos(radians(here.lat)), 2), 0), s.name
		LIMIT $4`, street, community, at, n)
	if err != nil {
		return nil, fmt.Errorf("nearest stations: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}
