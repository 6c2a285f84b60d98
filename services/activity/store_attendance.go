package activity

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

const attendanceCols = `activity_id, worker_id, checked_in_at, checked_out_at, hours::float8, recorded_by,
	corrected, correction_reason, updated_at`

func scanAttendance(row pgx.Row) (Attendance, error) {
	var r Attendance
	err := row.Scan(&r.ActivityID, &r.WorkerID, &r.CheckedInAt, &r.CheckedOutAt, &r.Hours, &r.RecordedBy,
		&r.Corrected, &r.CorrectionReason, &r.UpdatedAt)
	return r, err
}

// attendanceChange is what a use case decides: the row to store (nil:
// nothing), a correction to keep and an event to publish.
type attendanceChange struct {
	row        *Attendance
	correction *correction
	event      *pending
}

// ChangeAttendance loads the activity, whether the worker is signed up and
// the worker's attendance (nil if none), lets decide choose the change, and
// stores it with its event, in one transaction. Changes to one worker's
// attendance at one activity are serialised by an advisory lock, so a
// concurrent check-in or check-out sees the other's result.
func (s *Store) ChangeAttendance(ctx context.Context, id, wid uuid.UUID,
	decide func(a Activity, signedUp bool, cur *Attendance) (attendanceChange, error)) error {
	return s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
			"attendance:"+id.String()+":"+wid.String()); err != nil {
			return nil, err
		}
		a, err := scanActivity(tx.QueryRow(ctx, "SELECT "+activityCols+" FROM activities WHERE id = $1", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errActivityNotFound
		}
		if err != nil {
			return nil, err
		}
		var signedUp bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM signups
			WHERE activity_id = $1 AND worker_id = $2 AND status = 'signed_up')`, id, wid).Scan(&signedUp); err != nil {
			return nil, err
		}
		var cur *Attendance
		r, err := scanAttendance(tx.QueryRow(ctx, "SELECT "+attendanceCols+
			" FROM attendance WHERE activity_id = $1 AND worker_id = $2 FOR UPDATE", id, wid))
		switch {
		case err == nil:
			cur = &r
		case !errors.Is(err, pgx.ErrNoRows):
			return nil, err
		}
		ch, err := decide(a, signedUp, cur)
		if err != nil {
			return nil, err
		}
		if ch.row != nil {
			n := ch.row
			if _, err := tx.Exec(ctx, `INSERT INTO attendance (activity_id, worker_id, checked_in_at, checked_out_at,
				hours, recorded_by, corrected, correction_reason, updated_at)
				VALUES ($1, $2, $3, $4, $5::float8, $6, $7, $8, $9)
				ON CONFLICT (activity_id, worker_id) DO UPDATE SET checked_in_at = EXCLUDED.checked_in_at,
					checked_out_at = EXCLUDED.checked_out_at, hours = EXCLUDED.hours, recorded_by = EXCLUDED.recorded_by,
					corrected = EXCLUDED.corrected, correction_reason = EXCLUDED.correction_reason,
					updated_at = EXCLUDED.updated_at`,
				n.ActivityID, n.WorkerID, n.CheckedInAt, n.CheckedOutAt, n.Hours, n.RecordedBy, n.Corrected,
				n.CorrectionReason, n.UpdatedAt); err != nil {
				return nil, fmt.Errorf("store attendance: %w", err)
			}
		}
		if c := ch.correction; c != nil {
			if _, err := tx.Exec(ctx, `INSERT INTO attendance_corrections (id, activity_id, worker_id, corrected_by,
				corrected_at, reason, old_checked_in_at, old_checked_out_at, old_hours, new_checked_in_at,
				new_checked_out_at, new_hours)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::float8, $10, $11, $12::float8)`,
				c.ID, id, wid, c.By, c.At, c.Reason, c.Old.CheckedInAt, c.Old.CheckedOutAt, c.Old.Hours,
				c.New.CheckedInAt, c.New.CheckedOutAt, c.New.Hours); err != nil {
				return nil, fmt.Errorf("store correction: %w", err)
			}
		}
		if ch.event == nil {
			return nil, nil
		}
		return []pending{*ch.event}, nil
	})
}

// Attendance returns an activity's attendance in check-in order.
func (s *Store) Attendance(ctx context.Context, id uuid.UUID) ([]Attendance, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+attendanceCols+
		" FROM attendance WHERE activity_id = $1 ORDER BY checked_in_at, worker_id", id)
	if err != nil {
		return nil, fmt.Errorf("attendance of %s: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Attendance, error) { return scanAttendance(r) })
	if err != nil {
		return nil, fmt.Errorf("attendance of %s: %w", id, err)
	}
	return out, nil
}
