package testenv

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/metrics"
)

// Service is what a service under test is wired to, as its main wires it:
// its own fresh, migrated database, NATS JetStream under a namespace of its
// own with the streams it needs, a key pair for tokens, a metrics registry
// and a logger that speaks only when the test fails. Background jobs
// started with Go (relay, consumers, ...) run until the test's cleanup.
type Service struct {
	T           testing.TB
	Ctx         context.Context // cancelled at cleanup, once the jobs are to stop
	DatabaseURL string          // the test's database, for a second service beside this one
	Pool        *pgxpool.Pool   // on the service's schema, migrated
	JS          jetstream.JetStream
	Subjects    event.Subjects // a unique namespace
	Key         ed25519.PrivateKey
	PublicKey   ed25519.PublicKey // for the service's auth.Verifier
	Metrics     *prometheus.Registry
	Log         *slog.Logger // warnings and errors, shown if the test fails

	jobs sync.WaitGroup
}

// NewService opens a fresh database (Postgres) on schema and applies
// migrations to it, connects to NATS and creates the streams of the named
// producing services in a unique namespace. At cleanup — after the test's
// own later cleanups, such as closing its HTTP server — it cancels Ctx,
// waits for every job started with Go, and closes the connections.
func NewService(t testing.TB, schema string, migrations []db.Source, streams ...string) *Service {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{T: t, Ctx: ctx, DatabaseURL: Postgres(t), Subjects: event.Subjects{Namespace: "t" + Unique()},
		Metrics: metrics.NewRegistry(), Log: FailureLog(t)}
	pool, err := db.Open(ctx, s.DatabaseURL, schema)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	nc, err := nats.Connect(NATS(t), nats.ReconnectBufSize(-1))
	if err != nil {
		cancel()
		pool.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		s.jobs.Wait()
		nc.Close()
		pool.Close()
	})
	s.Pool = pool
	if err := db.Migrate(ctx, pool, schema, migrations...); err != nil {
		t.Fatal(err)
	}
	if s.JS, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}
	for _, producer := range streams {
		if err := s.Subjects.EnsureStreams(ctx, s.JS, producer, 1); err != nil {
			t.Fatal(err)
		}
	}
	if s.PublicKey, s.Key, err = ed25519.GenerateKey(rand.Reader); err != nil {
		t.Fatal(err)
	}
	return s
}

// Go runs job in the background with Ctx until the test's cleanup, which
// waits for it to return.
func (s *Service) Go(job func(ctx context.Context)) {
	s.jobs.Go(func() { job(s.Ctx) })
}

// Consume runs runners in the background (Go, RunUntilDone), each under a
// durable name of its own — its name and a unique suffix — so that tests
// sharing a NATS server never share a consumer, and, when backoff is given,
// retrying after those delays rather than the production ones. It returns
// runners, for Bus.
func (s *Service) Consume(runners []*consume.Runner, backoff ...time.Duration) []*consume.Runner {
	for _, r := range runners {
		r.Durable += "-" + Unique()
		if len(backoff) > 0 {
			r.Backoff = backoff
		}
		s.Go(r.RunUntilDone)
	}
	return runners
}

// API calls the service's HTTP API at url with tokens signed by Key.
func (s *Service) API(url string) API { return API{T: s.T, URL: url, Key: s.Key} }

// Bus publishes and reads back events in the service's namespace, waits
// for runners, and for the service's outbox to empty.
func (s *Service) Bus(runners []*consume.Runner) Bus {
	return Bus{T: s.T, JS: s.JS, Subjects: s.Subjects, Pool: s.Pool, Runners: runners}
}
