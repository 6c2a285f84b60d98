package notification

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/db"
)

// Reminders looks ahead for what people should hear about before it
// happens: an activity starting within a day, to those signed up; a task due
// within a day, to its owner. Each is reminded once (the row is marked in
// the same transaction, and the message's cause is unique), however many
// instances run it.
type Reminders struct {
	Service *Service
	Log     *slog.Logger
	Every   time.Duration // default 1 minute
	Ahead   time.Duration // default 24 hours
}

// Run reminds until ctx ends.
func (r Reminders) Run(ctx context.Context) {
	if r.Every <= 0 {
		r.Every = time.Minute
	}
	for ctx.Err() == nil {
		if err := r.Once(ctx); err != nil && ctx.Err() == nil {
			r.Log.Warn("reminders", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(r.Every):
		}
	}
}

// Once sends the reminders due now, in one transaction with the
// inbox.stored summaries of the messages it stores.
func (r Reminders) Once(ctx context.Context) error {
	if r.Ahead <= 0 {
		r.Ahead = 24 * time.Hour
	}
	s := r.Service
	now := s.now()
	return db.InTx(ctx, s.store.pool, func(tx pgx.Tx) error {
		var tally stored
		ctx := tallying(ctx, &tally)
		rows, err := tx.Query(ctx, `UPDATE activities SET reminded = true
			WHERE id IN (SELECT id FROM activities WHERE status = 'published' AND NOT reminded
				AND starts_at > $1 AND starts_at <= $2 FOR UPDATE SKIP LOCKED)
			RETURNING id, title, address, street, starts_at`, now, now.Add(r.Ahead))
		if err != nil {
			return fmt.Errorf("activities to remind: %w", err)
		}
		type due struct {
			id                     uuid.UUID
			title, address, street string
			start                  time.Time
		}
		acts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (due, error) {
			var d due
			err := row.Scan(&d.id, &d.title, &d.address, &d.street, &d.start)
			return d, err
		})
		if err != nil {
			return err
		}
		for _, a := range acts {
			b := systemBroadcast(a.street, Segment{Street: a.street, ActivityID: a.id.String()}, "activity.tomorrow",
				activityVars(a.title, a.address, a.start), "reminder:activity:"+a.id.String(), now)
			if err := s.store.addBroadcast(ctx, tx, b); err != nil {
				return err
			}
		}
		rows, err = tx.Query(ctx, `UPDATE tasks SET reminded = true
			WHERE id IN (SELECT id FROM tasks WHERE status IN ('open', 'in_progress') AND NOT reminded
				AND person_subject <> '' AND deadline > $1 AND deadline <= $2 FOR UPDATE SKIP LOCKED)
			RETURNING id, street, person_subject, deadline`, now, now.Add(r.Ahead))
		if err != nil {
			return fmt.Errorf("tasks to remind: %w", err)
		}
		type task struct {
			id              uuid.UUID
			street, subject string
			deadline        time.Time
		}
		tasks, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (task, error) {
			var t task
			err := row.Scan(&t.id, &t.street, &t.subject, &t.deadline)
			return t, err
		})
		if err != nil {
			return err
		}
		for _, t := range tasks {
			if err := s.send(ctx, tx, t.street, StaffRecipient(t.subject), "task.deadline", map[string]string{
				"task": shortID(t.id.String()), "deadline": when(t.deadline)}, "reminder:task:"+t.id.String(), false); err != nil {
				return err
			}
		}
		return s.store.publishStored(ctx, tx, &tally)
	})
}
