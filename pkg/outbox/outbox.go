// Package outbox implements the transactional outbox: Writer.Add stores an
// event in the same transaction as the business write that caused it, and
// Relay publishes stored events to JetStream — each entity's events in the
// order they happened — removing each only after JetStream has acknowledged
// it. A broker outage therefore never fails or loses a business write; it
// only delays the events.
package outbox

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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
	// Bell, when set, wakes this process's relay after a commit without a
	// NOTIFY (see Bell); without it the writer always sends the NOTIFY.
	Bell *Bell
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
// trip.
//
// Writers take no lock: each row's id comes from a sequence at insert, and
// the relay publishes the committed rows it sees in id order (see Relay).
// An entity's events therefore reach the stream in the order they happened
// as long as each is added after the statement that changed — and so
// locked — the entity's row: a later transaction on the same entity waits
// for that lock, so its row gets a larger id and commits later.
//
// The relay is woken after the commit — by the Bell when this process's
// relay leads, else by a NOTIFY — never from inside the transaction:
// Postgres serialises the commits of notifying transactions (a
// cluster-wide lock held through the WAL flush), which would make every
// write of the service queue behind the others. Only a transaction begun by
// db.InTx can wait for its commit; any other gets the NOTIFY inside.
func (w Writer) AddAll(ctx context.Context, tx pgx.Tx, drafts []Draft) ([]event.Envelope, error) {
	if len(drafts) == 0 {
		return nil, nil
	}
	return w.AddAllWith(ctx, tx, &pgx.Batch{}, drafts)
}

// AddAllWith is AddAll sending batch's statements — the business write the
// events record — ahead of the events' inserts, all in one round trip. The
// first statement to fail fails the whole call with its error, so a
// caller can still tell a unique violation from other errors.
func (w Writer) AddAllWith(ctx context.Context, tx pgx.Tx, batch *pgx.Batch, drafts []Draft) ([]event.Envelope, error) {
	out := make([]event.Envelope, 0, len(drafts))
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
	if len(drafts) > 0 && !db.AfterCommit(tx, "outbox.wake", w.wakeRelay) {
		batch.Queue(notify)
	}
	if batch.Len() == 0 {
		return nil, nil
	}
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return nil, fmt.Errorf("outbox add %d events: %w", len(drafts), err)
	}
	return out, nil
}

// notify wakes the relay of the schema the statement runs in.
const notify = "SELECT pg_notify('outbox_' || current_schema(), '')"

// wakeRelay runs once the events' transaction has committed: it rings the
// bell, or sends the NOTIFY. If the NOTIFY fails the events are not lost:
// the relay also polls (Relay.PollInterval).
func (w Writer) wakeRelay(ctx context.Context, pool *pgxpool.Pool) {
	if !w.Bell.ring() {
		_, _ = pool.Exec(ctx, notify)
	}
}
