package activity

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/event"
)

// The registry events the worker projection follows. A rejected
// self-registration (worker.rejected) is a departure: the worker is out.
var projected = []event.Name{event.WorkerRegistered, event.WorkerUpdated, event.WorkerLeft, event.WorkerRejected, event.WorkerTransferred}

// ProjectWorker applies one registry event to the local projection of
// workers, inside the consumer runner's transaction (so, with its inbox row,
// a redelivered event changes nothing twice). An older event than the one
// already applied for the worker is ignored.
func ProjectWorker(ctx context.Context, tx pgx.Tx, e event.Envelope) error {
	name, err := e.Name()
	if err != nil {
		return consume.Permanent(err)
	}
	var id, street, community, status, occupation string
	switch name {
	case event.WorkerRegistered, event.WorkerUpdated, event.WorkerLeft, event.WorkerRejected:
		var d event.WorkerData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		id, street, community, status, occupation = d.WorkerID, d.Street, d.Community, d.Status, d.Occupation
	case event.WorkerTransferred:
		var d event.WorkerTransferredData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		// Both copies (old and new street) carry the same data: applying
		// either, or both, gives the same row. Seen before the registration,
		// it makes the row; the older registration then changes nothing.
		_, err := tx.Exec(ctx, `INSERT INTO workers (id, street, community, status, occupation, event_time)
			VALUES ($1, $2, $3, 'active', '', $4)
			ON CONFLICT (id) DO UPDATE SET street = EXCLUDED.street, community = EXCLUDED.community,
				event_time = EXCLUDED.event_time
			WHERE workers.event_time <= EXCLUDED.event_time`, d.WorkerID, d.ToStreet, d.ToCommunity, e.Time)
		return err
	default:
		return nil // not ours to project
	}
	if id == "" || street == "" || community == "" {
		return consume.Permanent(fmt.Errorf("%s %s lacks worker id, street or community", e.Type, e.ID))
	}
	switch status {
	case "", "active":
		status = "active"
	default: // left, or rejected: no longer in the ledger
		status = "left"
	}
	_, err = tx.Exec(ctx, `INSERT INTO workers (id, street, community, status, occupation, event_time)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET street = EXCLUDED.street, community = EXCLUDED.community,
			status = EXCLUDED.status, occupation = EXCLUDED.occupation, event_time = EXCLUDED.event_time
		WHERE workers.event_time <= EXCLUDED.event_time`, id, street, community, status, occupation, e.Time)
	return err
}

// WorkerConsumer is the durable consumer that keeps the projection.
func WorkerConsumer(pool *pgxpool.Pool, js jetstream.JetStream, subjects event.Subjects, log *slog.Logger, m *consume.Metrics) *consume.Runner {
	filters := make([]string, len(projected))
	for i, n := range projected {
		filters[i] = subjects.Filter(n)
	}
	return &consume.Runner{
		Pool: pool, JS: js, Subjects: subjects, Logger: log, Metrics: m,
		Stream: subjects.Stream("registry"), Durable: "activity-workers", Filters: filters,
		Handle: ProjectWorker,
	}
}
