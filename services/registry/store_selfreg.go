package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/fault"
)

// errMobileRegistered refuses a self-registration whose mobile belongs to a
// worker a clerk registered: that rider signs in, they do not register.
var errMobileRegistered = fault.ConflictReason("mobile_registered", "already registered: sign in again")

// errIDNumberRegistered refuses a self-registration whose ID number is in
// the ledger. Unlike staff, the rider is not told whose it is.
var errIDNumberRegistered = fault.ConflictReason("id_number_registered", "a worker with this ID number is already registered; ask your community to update your mobile")

// SelfRegister stores a self-registered worker and their online check-in
// with the events, in one transaction, unless a worker with the same
// mobile is there: a self-registration is returned as it is (created
// false), an active worker registered by staff is a conflict. The partial
// unique index on the mobile of self-registered workers settles two
// registrations at the same moment: the second finds the first.
func (s *Store) SelfRegister(ctx context.Context, w Worker, ci CheckIn, idHash, mobileHash []byte, evs []pending) (Worker, bool, error) {
	var existing *Worker
	err := s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		found, err := selfRegisteredByMobile(ctx, tx, mobileHash)
		if err != nil || found != nil {
			existing = found
			return nil, err
		}
		b := &pgx.Batch{}
		b.Queue(insertWorkerSQL, insertWorkerArgs(w, idHash, mobileHash)...)
		b.Queue(`INSERT INTO checkins (id, worker_id, street, community, channel, station_id, checked_in_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			ci.ID, ci.WorkerID, ci.Street, ci.Community, ci.Channel, ci.StationID, ci.CheckedInAt)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, err
		}
		return evs, nil
	})
	switch {
	case err == nil && existing != nil:
		return *existing, false, nil
	case err == nil:
		return w, true, nil
	case db.IsUniqueViolation(err, "workers_self_registered_mobile"), db.IsUniqueViolation(err, "workers_id_number_unique"):
		// Registered at the same moment by another request of the rider's
		// (which of the two unique indexes notices first is Postgres's
		// choice), or the ID number is someone else's.
		found, ferr := selfRegisteredByMobile(ctx, s.pool, mobileHash)
		switch {
		case ferr != nil:
			return Worker{}, false, fmt.Errorf("self-register: %w", ferr)
		case found != nil:
			return *found, false, nil
		case db.IsUniqueViolation(err, "workers_id_number_unique"):
			return Worker{}, false, errIDNumberRegistered
		}
		return Worker{}, false, fmt.Errorf("self-register: the mobile's registration vanished")
	case errors.Is(err, errMobileRegistered):
		return Worker{}, false, err
	}
	return Worker{}, false, fmt.Errorf("self-register: %w", err)
}

// selfRegisteredByMobile finds the self-registration of a mobile (nil if
// none), or errMobileRegistered when an active worker entered by staff
// has it.
func selfRegisteredByMobile(ctx context.Context, q querier, mobileHash []byte) (*Worker, error) {
	ws, err := collect(ctx, q, "SELECT "+workerCols+` FROM workers WHERE mobile_hash = $1
		AND (self_registered OR status = 'active') ORDER BY self_registered DESC, id`, []any{mobileHash}, scanWorker)
	if err != nil {
		return nil, err
	}
	switch {
	case len(ws) == 0:
		return nil, nil
	case ws[0].SelfRegistered:
		return &ws[0], nil
	}
	return nil, errMobileRegistered
}
