package registry

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/db"
)

// pairingSelect reads pairings (alias p) with their worker's name and
// current street and community (alias w) and the latest contact before lastBefore, an SQL
// expression ('infinity' for the latest of all).
func pairingSelect(lastBefore string) string {
	return `SELECT p.id, p.worker_id, w.name AS worker_name, w.street, w.community, p.staff_subject, p.staff_name, p.note,
			p.created_by, p.created_at, p.ended_at, p.ended_by, p.end_reason,
			(SELECT max(c.contacted_at) FROM pairing_contacts c
				WHERE c.pairing_id = p.id AND c.contacted_at < ` + lastBefore + `) AS last_contact_at
		FROM pairings p JOIN workers w ON w.id = p.worker_id`
}

// allContacts makes pairingSelect report the latest contact of all.
const allContacts = "'infinity'"

// dueWithoutContact holds for a pairing (p, with its worker w) that was due
// a contact in the month [$1, $2) and had none: made before the month's
// end, and neither ended nor its worker gone before then.
const dueWithoutContact = `p.created_at < $2
	AND (p.ended_at IS NULL OR p.ended_at >= $2)
	AND (w.status = 'active' OR w.left_at >= $2)
	AND NOT EXISTS (SELECT 1 FROM pairing_contacts c
		WHERE c.pairing_id = p.id AND c.contacted_at >= $1 AND c.contacted_at < $2)`

func scanPairing(row pgx.Row) (Pairing, error) {
	var p Pairing
	err := row.Scan(&p.ID, &p.WorkerID, &p.WorkerName, &p.Street, &p.Community, &p.StaffSubject, &p.StaffName, &p.Note,
		&p.CreatedBy, &p.CreatedAt, &p.EndedAt, &p.EndedBy, &p.EndReason, &p.LastContactAt)
	p.Status = PairingActive
	if p.EndedAt != nil {
		p.Status = PairingEnded
	}
	return p, err
}

// CreatePairing reads the worker FOR SHARE (so they cannot leave or move
// meanwhile), lets fn decide on the pairing, and stores it with its event.
// The partial unique index on active pairings decides duplicates, so two
// clerks pairing the same worker at the same moment cannot both succeed.
func (s *Store) CreatePairing(ctx context.Context, workerID uuid.UUID, fn func(w Worker, found bool) (Pairing, pending, error)) error {
	err := s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		w, err := scanWorker(tx.QueryRow(ctx, "SELECT "+workerCols+" FROM workers WHERE id = $1 FOR SHARE", workerID))
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("read worker: %w", err)
		}
		pr, ev, err := fn(w, err == nil)
		if err != nil {
			return nil, err
		}
		_, err = tx.Exec(ctx, `INSERT INTO pairings (id, worker_id, staff_subject, staff_name, note, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			pr.ID, pr.WorkerID, pr.StaffSubject, pr.StaffName, pr.Note, pr.CreatedBy, pr.CreatedAt)
		return []pending{ev}, err
	})
	if db.IsUniqueViolation(err, "pairings_one_active_per_worker") {
		var existing uuid.UUID
		if qerr := s.pool.QueryRow(ctx, "SELECT id FROM pairings WHERE worker_id = $1 AND ended_at IS NULL", workerID).
			Scan(&existing); qerr != nil {
			return fmt.Errorf("find active pairing: %w", qerr)
		}
		return ErrActivePairing{ExistingID: existing}
	}
	return err
}

// Pairing returns one pairing with its latest contact.
func (s *Store) Pairing(ctx context.Context, id uuid.UUID) (Pairing, bool, error) {
	p, err := scanPairing(s.pool.QueryRow(ctx, pairingSelect(allContacts)+" WHERE p.id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Pairing{}, false, nil
	}
	if err != nil {
		return Pairing{}, false, fmt.Errorf("pairing %s: %w", id, err)
	}
	return p, true, nil
}

// ListPairings returns a page of pairings, by id, with the total.
func (s *Store) ListPairings(ctx context.Context, q PairingQuery) (Page[Pairing], error) {
	filter := func(f *db.Filter) {
		f.Eq("staff_subject", q.StaffSubject)
		f.Eq("worker_id", q.WorkerID)
		switch q.Status {
		case PairingActive:
			f.Raw("ended_at IS NULL")
		case PairingEnded:
			f.Raw("ended_at IS NOT NULL")
		}
	}
	page, err := listCounted(ctx, s.pool, "("+pairingSelect(allContacts)+") p", "*", q.ListQuery, filter, scanPairing,
		func(p Pairing) uuid.UUID { return p.ID })
	if err != nil {
		return Page[Pairing]{}, fmt.Errorf("list pairings: %w", err)
	}
	return page, nil
}

// OverduePairings returns a page of the pairings due a contact in m that
// had none, each with its latest contact before m's end, with the total.
func (s *Store) OverduePairings(ctx context.Context, q OverdueQuery, m month) (Page[Pairing], error) {
	filter := func(f *db.Filter) {
		f.Args = append(f.Args, m.Start, m.End) // $1, $2 in pairingSelect and dueWithoutContact
		f.Eq("staff_subject", q.StaffSubject)
	}
	table := "(" + pairingSelect("$2") + " WHERE " + dueWithoutContact + ") p"
	page, err := listCounted(ctx, s.pool, table, "*", q.ListQuery, filter, scanPairing,
		func(p Pairing) uuid.UUID { return p.ID })
	if err != nil {
		return Page[Pairing]{}, fmt.Errorf("overdue pairings %s: %w", m, err)
	}
	return page, nil
}

// UnflaggedOverdue returns every pairing due a contact in m that had none
// and has not been flagged for m yet, by id.
func (s *Store) UnflaggedOverdue(ctx context.Context, m month) ([]Pairing, error) {
	sql := pairingSelect("$2") + " WHERE " + dueWithoutContact + `
		AND NOT EXISTS (SELECT 1 FROM pairing_overdue_flags f WHERE f.pairing_id = p.id AND f.month = $3::date)
		ORDER BY p.id`
	items, err := collect(ctx, s.pool, sql, []any{m.Start, m.End, m.Start.Format(time.DateOnly)}, scanPairing)
	if err != nil {
		return nil, fmt.Errorf("unflagged overdue pairings %s: %w", m, err)
	}
	return items, nil
}

// FlagOverdue flags the pairing overdue for m and writes the event ev
// builds (from the latest contact before m's end), in one transaction. The
// insert re-checks that the pairing is still without a contact in m, and the
// flag's primary key lets only one of any concurrent callers through:
// flagged is false when there was nothing (left) to flag.
func (s *Store) FlagOverdue(ctx context.Context, id uuid.UUID, m month, now time.Time, ev func(lastContact *time.Time) pending) (flagged bool, err error) {
	err = s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		var last *time.Time
		err := tx.QueryRow(ctx, `
			INSERT INTO pairing_overdue_flags (pairing_id, month, last_contact_at, flagged_at)
			SELECT p.id, $4::date,
				(SELECT max(c.contacted_at) FROM pairing_contacts c WHERE c.pairing_id = p.id AND c.contacted_at < $2), $5
			FROM pairings p JOIN workers w ON w.id = p.worker_id
			WHERE p.id = $3 AND `+dueWithoutContact+`
			ON CONFLICT (pairing_id, month) DO NOTHING
			RETURNING last_contact_at`, m.Start, m.End, id, m.Start.Format(time.DateOnly), now).Scan(&last)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, nil // flagged already, or contacted meanwhile
		}
		if err != nil {
			return nil, err
		}
		flagged = true
		return []pending{ev(last)}, nil
	})
	if err != nil {
		return false, fmt.Errorf("flag pairing %s overdue for %s: %w", id, m, err)
	}
	return flagged, nil
}

// lockPairing reads a pairing in tx with the given row lock on the pairing
// and a share lock on its worker (so the worker cannot move meanwhile).
func lockPairing(ctx context.Context, tx pgx.Tx, id uuid.UUID, pairingLock string) (Pairing, error) {
	p, err := scanPairing(tx.QueryRow(ctx, pairingSelect(allContacts)+" WHERE p.id = $1 "+pairingLock+" OF p FOR SHARE OF w", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Pairing{}, errPairingNotFound
	}
	return p, err
}

// EndPairing locks the pairing, lets fn end it, and stores the end with
// the event fn returns.
func (s *Store) EndPairing(ctx context.Context, id uuid.UUID, fn func(*Pairing) (pending, error)) error {
	return s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		p, err := lockPairing(ctx, tx, id, "FOR UPDATE")
		if err != nil {
			return nil, err
		}
		ev, err := fn(&p)
		if err != nil {
			return nil, err
		}
		_, err = tx.Exec(ctx, "UPDATE pairings SET ended_at = $2, ended_by = $3, end_reason = $4 WHERE id = $1",
			p.ID, p.EndedAt, p.EndedBy, p.EndReason)
		return []pending{ev}, err
	})
}

// CreatePairingContact reads the pairing FOR SHARE (so it cannot end meanwhile),
// lets fn build the contact, and stores it with its event.
func (s *Store) CreatePairingContact(ctx context.Context, pairingID uuid.UUID, fn func(Pairing) (PairingContact, pending, error)) error {
	return s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		p, err := lockPairing(ctx, tx, pairingID, "FOR SHARE")
		if err != nil {
			return nil, err
		}
		ct, ev, err := fn(p)
		if err != nil {
			return nil, err
		}
		_, err = tx.Exec(ctx, `INSERT INTO pairing_contacts (id, pairing_id, contacted_at, method, note, recorded_by, recorded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			ct.ID, ct.PairingID, ct.ContactedAt, ct.Method, ct.Note, ct.RecordedBy, ct.RecordedAt)
		return []pending{ev}, err
	})
}

// PairingContacts returns a pairing's contacts, newest first.
func (s *Store) PairingContacts(ctx context.Context, pairingID uuid.UUID) ([]PairingContact, error) {
	items, err := collect(ctx, s.pool, `
		SELECT id, pairing_id, contacted_at, method, note, recorded_by, recorded_at
		FROM pairing_contacts WHERE pairing_id = $1 ORDER BY contacted_at DESC, id DESC`,
		[]any{pairingID}, func(row pgx.Row) (PairingContact, error) {
			var c PairingContact
			err := row.Scan(&c.ID, &c.PairingID, &c.ContactedAt, &c.Method, &c.Note, &c.RecordedBy, &c.RecordedAt)
			return c, err
		})
	if err != nil {
		return nil, fmt.Errorf("contacts of pairing %s: %w", pairingID, err)
	}
	if items == nil {
		items = []PairingContact{}
	}
	return items, nil
}
