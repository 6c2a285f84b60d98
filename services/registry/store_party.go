package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// lockWorker reads a worker FOR UPDATE, so that changes of one worker
// happen one after the other.
func lockWorker(ctx context.Context, tx pgx.Tx, id uuid.UUID) (Worker, error) {
	w, err := scanWorker(tx.QueryRow(ctx, "SELECT "+workerCols+" FROM workers WHERE id = $1 FOR UPDATE", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Worker{}, errWorkerNotFound
	}
	return w, err
}

// StepStatus locks the worker, reads the dates a new step is checked
// against, lets fn decide, and stores the worker's new status, the step and
// its event in one transaction.
func (s *Store) StepStatus(ctx context.Context, id uuid.UUID, fn func(*Worker, stepHistory) (*statusChange, error)) error {
	err := s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		w, err := lockWorker(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		// Step dates never decrease, so the latest step into probation is
		// the one with the greatest date.
		var h stepHistory
		err = tx.QueryRow(ctx, `SELECT max(effective_on), max(effective_on) FILTER (WHERE to_status = 'probationary_member')
			FROM worker_status_steps WHERE worker_id = $1`, id).Scan(&h.last, &h.probationSince)
		if err != nil {
			return nil, err
		}
		ch, err := fn(&w, h)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE workers SET political_status = $2, mobile_party_member = $3, updated_at = $4
			WHERE id = $1`, w.ID, w.PoliticalStatus, w.MobilePartyMember, w.UpdatedAt); err != nil {
			return nil, err
		}
		st := ch.step
		if _, err := tx.Exec(ctx, `INSERT INTO worker_status_steps (id, worker_id, from_status, to_status, effective_on,
			party_org, note, actor_subject, street, community, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			st.ID, st.WorkerID, st.From, st.To, st.EffectiveOn, st.PartyOrg, st.Note, st.ActorSubject,
			st.Street, st.Community, st.RecordedAt); err != nil {
			return nil, err
		}
		return []pending{ch.event}, nil
	})
	return wrap("step political status", err)
}

// StatusSteps returns a worker's steps, oldest first.
func (s *Store) StatusSteps(ctx context.Context, workerID uuid.UUID) ([]StatusStep, error) {
	items, err := collect(ctx, s.pool, `SELECT id, worker_id, from_status, to_status, effective_on, party_org, note,
			actor_subject, street, community, recorded_at
		FROM worker_status_steps WHERE worker_id = $1 ORDER BY effective_on, recorded_at, id`,
		[]any{workerID}, func(row pgx.Row) (StatusStep, error) {
			var st StatusStep
			var on time.Time
			err := row.Scan(&st.ID, &st.WorkerID, &st.From, &st.To, &on, &st.PartyOrg, &st.Note,
				&st.ActorSubject, &st.Street, &st.Community, &st.RecordedAt)
			st.EffectiveOn = on.Format(dateLayout)
			return st, err
		})
	if err != nil {
		return nil, fmt.Errorf("status steps: %w", err)
	}
	if items == nil {
		items = []StatusStep{}
	}
	return items, nil
}

// TransferWorker locks the worker, hands fn the date of its latest
// transfer, and stores the moved worker, the transfer and its events in one
// transaction.
func (s *Store) TransferWorker(ctx context.Context, id uuid.UUID, fn func(*Worker, *time.Time) (*transferChange, error)) error {
	err := s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		w, err := lockWorker(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		var last *time.Time
		if err := tx.QueryRow(ctx, "SELECT max(effective_on) FROM worker_transfers WHERE worker_id = $1", id).Scan(&last); err != nil {
			return nil, err
		}
		ch, err := fn(&w, last)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE workers SET street = $2, community = $3, enterprise_id = $4, updated_at = $5
			WHERE id = $1`, w.ID, w.Street, w.Community, w.EnterpriseID, w.UpdatedAt); err != nil {
			return nil, err
		}
		t := ch.transfer
		if _, err := tx.Exec(ctx, `INSERT INTO worker_transfers (id, worker_id, from_street, from_community,
			to_street, to_community, reason, effective_on, actor_subject, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			t.ID, t.WorkerID, t.FromStreet, t.FromCommunity, t.ToStreet, t.ToCommunity, t.Reason, t.EffectiveOn,
			t.ActorSubject, t.RecordedAt); err != nil {
			return nil, err
		}
		return ch.events, nil
	})
	return wrap("transfer worker", err)
}

// Transfers returns a worker's transfers, oldest first.
func (s *Store) Transfers(ctx context.Context, workerID uuid.UUID) ([]Transfer, error) {
	items, err := collect(ctx, s.pool, `SELECT id, worker_id, from_street, from_community, to_street, to_community,
			reason, effective_on, actor_subject, recorded_at
		FROM worker_transfers WHERE worker_id = $1 ORDER BY effective_on, recorded_at, id`,
		[]any{workerID}, func(row pgx.Row) (Transfer, error) {
			var t Transfer
			var on time.Time
			err := row.Scan(&t.ID, &t.WorkerID, &t.FromStreet, &t.FromCommunity, &t.ToStreet, &t.ToCommunity,
				&t.Reason, &on, &t.ActorSubject, &t.RecordedAt)
			t.EffectiveOn = on.Format(dateLayout)
			return t, err
		})
	if err != nil {
		return nil, fmt.Errorf("transfers: %w", err)
	}
	if items == nil {
		items = []Transfer{}
	}
	return items, nil
}
