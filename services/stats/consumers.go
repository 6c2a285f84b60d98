package stats

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/places"
)

// Streams are the services whose streams the statistics read: everything
// on them is archived, whether or not a figure counts it yet, so a figure
// added later is rebuilt from the whole history.
var Streams = []string{"registry", "activity", "points", "notification"}

// Consumers are the durable consumers of the stats service: one per stream
// archiving every event (a fetched batch in one statement), and the places
// every service keeps for scope checks. wake is rung after each archived
// batch commits, for the projector.
func Consumers(pool *pgxpool.Pool, js jetstream.JetStream, subjects event.Subjects, log *slog.Logger, m *consume.Metrics, wake chan<- struct{}) []*consume.Runner {
	runners := []*consume.Runner{places.Consumer("stats-places", pool, js, subjects, log, m)}
	for _, service := range Streams {
		stream := subjects.Stream(service)
		runners = append(runners, &consume.Runner{
			Pool: pool, JS: js, Subjects: subjects, Logger: log, Metrics: m,
			Stream: stream, Durable: "stats-" + service, BatchSize: 512,
			HandleBatch: func(ctx context.Context, tx pgx.Tx, events []event.Envelope) error {
				if err := archive(ctx, tx, service, events); err != nil {
					return err
				}
				consume.AfterCommit(ctx, func() {
					select {
					case wake <- struct{}{}:
					default: // a ring is already waiting
					}
				})
				return nil
			},
		})
	}
	return runners
}
