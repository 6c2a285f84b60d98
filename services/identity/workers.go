package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/event"
)

// The registry events the identity service learns workers from: who a
// mobile match signs in as, in which street, and whether they still may.
var workerEvents = []event.Name{event.WorkerRegistered, event.WorkerUpdated, event.WorkerLeft,
	event.WorkerConfirmed, event.WorkerRejected, event.WorkerTransferred}

// worker is a worker as sign-in knows them.
type worker struct {
	ID        uuid.UUID
	Street    string
	Community string
}

// ProjectWorker applies one registry event to the workers table, inside
// the consumer runner's transaction (with its inbox row, so a redelivered
// event changes nothing twice). An event older than the one already
// applied for the worker is ignored.
func ProjectWorker(ctx context.Context, tx pgx.Tx, e event.Envelope) error {
	name, err := e.Name()
	if err != nil {
		return consume.Permanent(err)
	}
	if name == event.WorkerTransferred {
		var d event.WorkerTransferredData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		// Both copies (old and new street) carry the same data. A worker
		// not yet known (their registration still to come) is left to it.
		_, err := tx.Exec(ctx, `UPDATE workers SET street = $2, community = $3, event_time = $4
			WHERE worker_id = $1 AND event_time <= $4`, d.WorkerID, d.ToStreet, d.ToCommunity, e.Time)
		return err
	}
	var d event.WorkerData
	if err := e.Decode(&d); err != nil {
		return consume.Permanent(err)
	}
	id, err := uuid.Parse(d.WorkerID)
	if err != nil || d.Street == "" || d.Community == "" {
		return consume.Permanent(fmt.Errorf("%s %s lacks worker id, street or community", e.Type, e.ID))
	}
	if d.MobileMatch == "" {
		// Published before the registry told mobile matches: the worker
		// cannot sign in by code until an event of theirs carries one.
		return nil
	}
	status := d.Status
	if status == "" {
		status = "active"
	}
	_, err = tx.Exec(ctx, `INSERT INTO workers (worker_id, mobile_match, street, community, status, event_time)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (worker_id) DO UPDATE SET mobile_match = EXCLUDED.mobile_match, street = EXCLUDED.street,
			community = EXCLUDED.community, status = EXCLUDED.status, event_time = EXCLUDED.event_time
		WHERE workers.event_time <= EXCLUDED.event_time`, id, d.MobileMatch, d.Street, d.Community, status, e.Time)
	return err
}

// WorkerConsumer is the durable consumer that keeps the workers table.
func WorkerConsumer(pool *pgxpool.Pool, js jetstream.JetStream, subjects event.Subjects, log *slog.Logger, m *consume.Metrics) *consume.Runner {
	filters := make([]string, len(workerEvents))
	for i, n := range workerEvents {
		filters[i] = subjects.Filter(n)
	}
	return &consume.Runner{
		Pool: pool, JS: js, Subjects: subjects, Logger: log, Metrics: m,
		Stream: subjects.Stream("registry"), Durable: "identity-workers", Filters: filters,
		Handle: ProjectWorker,
	}
}

// activeWorker is the worker a mobile match signs in as: the active one
// (of two with the same mobile, the one the registry told of last).
func activeWorker(ctx context.Context, tx pgx.Tx, match string) (worker, bool, error) {
	var w worker
	err := tx.QueryRow(ctx, `SELECT worker_id, street, community FROM workers
		WHERE mobile_match = $1 AND status = 'active' ORDER BY event_time DESC LIMIT 1`, match).Scan(&w.ID, &w.Street, &w.Community)
	if errors.Is(err, pgx.ErrNoRows) {
		return worker{}, false, nil
	}
	if err != nil {
		return worker{}, false, fmt.Errorf("find worker: %w", err)
	}
	return w, true, nil
}

// workerByID is a worker that may still sign in (status active).
func workerByID(ctx context.Context, tx pgx.Tx, id uuid.UUID) (worker, bool, error) {
	var w worker
	err := tx.QueryRow(ctx, `SELECT worker_id, street, community FROM workers WHERE worker_id = $1 AND status = 'active'`, id).
		Scan(&w.ID, &w.Street, &w.Community)
	if errors.Is(err, pgx.ErrNoRows) {
		return worker{}, false, nil
	}
	if err != nil {
		return worker{}, false, fmt.Errorf("read worker: %w", err)
	}
	return w, true, nil
}
