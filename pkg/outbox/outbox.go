// Package outbox implements the transactional outbox: Writer.Add stores an
// event in the same transaction as the business write that caused it, and
// Relay publishes stored events to JetStream, in commit order, removing each
// only after JetStream has acknowledged it. A broker outage therefore never
// fails or loses a business write; it only delays the events.
package outbox

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations is the outbox table, to be listed in the service's db.Migrate.
func Migrations() db.Source {
	sub, _ := fs.Sub(migrations, "migrations")
	return db.Source{Name: "outbox", FS: sub}
}

// Writer adds events to the outbox of the schema the transaction runs in.
type Writer struct {
	Subjects event.Subjects
}

// Add builds the event and stores it in tx. It also takes a transaction-level
// advisory lock, held until commit, which serialises the outbox writes of one
// service: rows then become visible in id order, so the relay can never skip
// past a row whose transaction has not committed yet (ids alone are assigned
// at insert, not at commit). NOTIFY wakes the relay once the commit is done.
func (w Writer) Add(ctx context.Context, tx pgx.Tx, name event.Name, street, subject string, data any) (event.Envelope, error) {
	e, err := event.New(name, street, subject, data)
	if err != nil {
		return event.Envelope{}, err
	}
	payload, err := json.Marshal(e)
	if err != nil {
		return event.Envelope{}, fmt.Errorf("marshal event %s: %w", e.Type, err)
	}
	batch := &pgx.Batch{}
	batch.Queue("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.outbox'))")
	batch.Queue("INSERT INTO outbox (event_id, subject, payload) VALUES ($1, $2, $3)",
		e.ID, w.Subjects.For(name, street), payload)
	batch.Queue("SELECT pg_notify('outbox_' || current_schema(), '')")
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return event.Envelope{}, fmt.Errorf("outbox add %s: %w", e.Type, err)
	}
	return e, nil
}
