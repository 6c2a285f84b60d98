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

// Draft is an event to be written: what happened, in which street, to which
// entity, with what data.
type Draft struct {
	Name    event.Name
	Street  string
	Subject string
	Data    any
}

// Add builds the event and stores it in tx. See AddAll.
func (w Writer) Add(ctx context.Context, tx pgx.Tx, name event.Name, street, subject string, data any) (event.Envelope, error) {
	evs, err := w.AddAll(ctx, tx, []Draft{{Name: name, Street: street, Subject: subject, Data: data}})
	if err != nil {
		return event.Envelope{}, err
	}
	return evs[0], nil
}

// AddAll builds the events and stores them in tx, in order, in one round
// trip. It also takes a transaction-level advisory lock, held until commit,
// which serialises the outbox writes of one service: rows then become
// visible in id order, so the relay can never skip past a row whose
// transaction has not committed yet (ids alone are assigned at insert, not
// at commit). NOTIFY wakes the relay once the commit is done.
func (w Writer) AddAll(ctx context.Context, tx pgx.Tx, drafts []Draft) ([]event.Envelope, error) {
	if len(drafts) == 0 {
		return nil, nil
	}
	out := make([]event.Envelope, 0, len(drafts))
	batch := &pgx.Batch{}
	batch.Queue("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.outbox'))")
	for _, d := range drafts {
		e, err := event.New(d.Name, d.Street, d.Subject, d.Data)
		if err != nil {
			return nil, err
		}
		payload, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("marshal event %s: %w", e.Type, err)
		}
		batch.Queue("INSERT INTO outbox (event_id, subject, payload) VALUES ($1, $2, $3)",
			e.ID, w.Subjects.For(d.Name, d.Street), payload)
		out = append(out, e)
	}
	batch.Queue("SELECT pg_notify('outbox_' || current_schema(), '')")
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return nil, fmt.Errorf("outbox add %d events: %w", len(drafts), err)
	}
	return out, nil
}
