// Package ceiling measures the bare pipeline: the fastest this machine can
// carry a write from an HTTP request to a subscriber through the same kind
// of servers the services use, with nothing else in the way.
//
// One write is: an HTTP POST (a real net/http client and server on the
// loopback) → one Postgres transaction writing a business row and an
// outbox row → a minimal relay that publishes outbox rows to JetStream →
// a core NATS subscriber receiving the event. There is no validation,
// crypto, auth or logging. The services' write paths do all of that on top,
// so their throughput is read as a percentage of this one, measured in the
// same run on the same servers (see "Measuring speed" in DESIGN.md): the
// machines are shared and an absolute figure moves ±20 % between runs.
//
// The package is deliberately independent of pkg/outbox and pkg/consume:
// it is the reference they are measured against, so it must not inherit
// their costs or their bugs.
package ceiling

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// Result is one measurement of the bare pipeline.
type Result struct {
	Clients, Writes int
	// Elapsed runs from the first request sent to the last event received.
	Elapsed time.Duration
	// PerSecond is Writes / Elapsed.
	PerSecond float64
	// P50 and P99 are latencies from a POST being sent to its event
	// reaching the subscriber.
	P50, P99 time.Duration
}

// Config says where and how hard to measure.
type Config struct {
	// DatabaseURL is a Postgres database; Measure works in a schema of its
	// own there and drops it at the end.
	DatabaseURL string
	// NATSURL is a NATS server with JetStream; Measure creates a stream of
	// its own there and deletes it at the end.
	NATSURL string
	// Clients is how many HTTP clients send writes at once.
	Clients int
	// Writes is how many writes the clients send in all.
	Writes int
	// Lock makes every writer take one transaction-scoped advisory lock
	// before its outbox insert, and the relay read in id order: the scheme
	// that serialises writers to keep commit order, kept for reference.
	// Without it the relay orders by transaction id (see relay).
	Lock bool
}

// deliveryTimeout bounds the wait, after the last client finished, for the
// events still on their way; a healthy pipeline needs milliseconds.
const deliveryTimeout = 30 * time.Second

// Measure sends cfg.Writes writes through the bare pipeline from
// cfg.Clients concurrent clients and reports throughput and latency (POST
// sent → event received by the subscriber). It fails if any event is lost
// or delivered twice, or the outbox is not empty afterwards.
func Measure(ctx context.Context, cfg Config) (Result, error) {
	o, err := measure(ctx, cfg)
	if err != nil {
		return Result{}, err
	}
	if err := o.check(); err != nil {
		return Result{}, err
	}
	return o.result, nil
}

// observation is what one run saw: Measure checks it, and the tests assert
// on it directly.
type observation struct {
	result Result
	// deliveries[n] is how many times write n's event reached the
	// subscriber; exactly once each is right.
	deliveries []int
	// strays are messages on the subject that named no write.
	strays int
	// leftover is how many outbox rows remained after the relay's last
	// round.
	leftover int
}

// check says what is wrong with a run, if anything.
func (o observation) check() error {
	var errs []error
	for n, c := range o.deliveries {
		if c != 1 {
			errs = append(errs, fmt.Errorf("write %d: event received %d times", n, c))
		}
		if len(errs) == 5 {
			errs = append(errs, errors.New("…"))
			break
		}
	}
	if o.strays > 0 {
		errs = append(errs, fmt.Errorf("%d messages named no write", o.strays))
	}
	if o.leftover > 0 {
		errs = append(errs, fmt.Errorf("outbox holds %d rows after the relay finished", o.leftover))
	}
	if len(errs) > 0 {
		return fmt.Errorf("bare pipeline: %w", errors.Join(errs...))
	}
	return nil
}

// measure sets up the pipeline in fresh names, runs the writes, tears
// everything down (joining any teardown error into err) and returns what it
// saw.
func measure(ctx context.Context, cfg Config) (o observation, err error) {
	switch {
	case cfg.DatabaseURL == "" || cfg.NATSURL == "":
		return o, errors.New("bare pipeline: Config needs DatabaseURL and NATSURL")
	case cfg.Clients < 1 || cfg.Writes < 1:
		return o, fmt.Errorf("bare pipeline: Config needs at least one client and one write, got %d and %d", cfg.Clients, cfg.Writes)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Teardown runs in reverse order of setup, also after a failure
	// halfway; it uses its own context so a cancelled ctx still cleans up.
	var undo []func(context.Context) error
	defer func() {
		tctx, tcancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer tcancel()
		for _, f := range slices.Backward(undo) {
			err = errors.Join(err, f(tctx))
		}
		if err != nil {
			err = fmt.Errorf("bare pipeline: %w", err)
		}
	}()

	unique := testenv.Unique()
	schema := "ceiling_" + unique
	subject := "ceiling." + unique + ".item.created"

	pool, err := openSchema(ctx, cfg, schema)
	if err != nil {
		return o, err
	}
	undo = append(undo, func(ctx context.Context) error {
		defer pool.Close()
		if _, err := pool.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			return fmt.Errorf("drop schema %s: %w", schema, err)
		}
		return nil
	})

	// The relay's connection: it publishes and waits for the acks.
	pub, err := nats.Connect(cfg.NATSURL, nats.Name("ceiling relay"))
	if err != nil {
		return o, fmt.Errorf("connect relay to nats: %w", err)
	}
	undo = append(undo, func(context.Context) error { pub.Close(); return nil })
	js, err := jetstream.New(pub)
	if err != nil {
		return o, fmt.Errorf("jetstream: %w", err)
	}
	stream := "CEILING_" + strings.ToUpper(unique)
	// File storage and a duplicates window, as the services' streams have;
	// the server decides whether each write is fsynced before its ack.
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:       stream,
		Subjects:   []string{subject},
		Storage:    jetstream.FileStorage,
		Duplicates: 2 * time.Minute,
	}); err != nil {
		return o, fmt.Errorf("create stream %s: %w", stream, err)
	}
	undo = append(undo, func(ctx context.Context) error {
		if err := js.DeleteStream(ctx, stream); err != nil {
			return fmt.Errorf("delete stream %s: %w", stream, err)
		}
		return nil
	})

	// The subscriber, on a connection of its own as in another process.
	// Its connection's close, after a drain, says every message the server
	// sent it has been handled.
	arr := newArrivals(cfg.Writes)
	subClosed := make(chan struct{})
	subConn, err := nats.Connect(cfg.NATSURL, nats.Name("ceiling subscriber"),
		nats.ClosedHandler(func(*nats.Conn) { close(subClosed) }))
	if err != nil {
		return o, fmt.Errorf("connect subscriber to nats: %w", err)
	}
	undo = append(undo, func(context.Context) error { subConn.Close(); return nil })
	if _, err := subConn.Subscribe(subject, arr.record); err != nil {
		return o, fmt.Errorf("subscribe %s: %w", subject, err)
	}
	// The interest must reach the server before the first publish.
	if err := subConn.Flush(); err != nil {
		return o, fmt.Errorf("subscribe %s: %w", subject, err)
	}

	// The relay, woken by every commit.
	wake := make(chan struct{}, 1)
	stopRelay := make(chan struct{})
	relayDone := make(chan error, 1)
	r := &relay{pool: pool, js: js, lock: cfg.Lock, wake: wake, stop: stopRelay}
	go func() { relayDone <- r.run(ctx) }()
	relayStopped := false
	undo = append(undo, func(context.Context) error {
		if relayStopped {
			return nil
		}
		cancel() // a failed run: no final round, just stop
		<-relayDone
		return nil
	})

	// The HTTP server.
	srv, url, serveDone, err := serve(&writer{pool: pool, subject: subject, lock: cfg.Lock, lockKey: lockKey(schema), wake: wake})
	if err != nil {
		return o, err
	}
	undo = append(undo, func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		if serveErr := <-serveDone; !errors.Is(serveErr, http.ErrServerClosed) {
			err = errors.Join(err, fmt.Errorf("http server: %w", serveErr))
		}
		return err
	})

	// The run.
	start := time.Now()
	sent, err := send(ctx, url, cfg.Clients, cfg.Writes)
	if err != nil {
		return o, err
	}
	timeout := time.NewTimer(deliveryTimeout)
	defer timeout.Stop()
	select {
	case <-arr.all:
	case err := <-relayDone:
		relayStopped = true
		return o, fmt.Errorf("relay stopped early: %w", err)
	case <-timeout.C:
		// Not fatal: the count of deliveries says which were lost.
	case <-ctx.Done():
		return o, ctx.Err()
	}

	// Stop the relay after a last round, then drain the subscriber so that
	// anything published twice has been counted too.
	close(stopRelay)
	relayStopped = true
	if err := <-relayDone; err != nil {
		return o, err
	}
	if err := subConn.Drain(); err != nil {
		return o, fmt.Errorf("drain subscriber: %w", err)
	}
	select {
	case <-subClosed:
	case <-ctx.Done():
		return o, ctx.Err()
	}
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM outbox").Scan(&o.leftover); err != nil {
		return o, fmt.Errorf("count outbox rows: %w", err)
	}

	o.deliveries, o.strays = arr.count, arr.strays
	o.result = arr.result(cfg, start, sent)
	return o, nil
}

// openSchema opens a pool whose connections work in schema, creates the
// schema's two tables and opens every connection the run will use, so no
// write pays for a connection setup.
func openSchema(ctx context.Context, cfg Config, schema string) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	pc.ConnConfig.RuntimeParams["search_path"] = schema
	// One connection per client, so none waits for another's transaction,
	// and one for the relay.
	pc.MaxConns = int32(cfg.Clients + 1)
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// The outbox index serves the relay's order: (txid, id) without the
	// lock; the primary key with it.
	if _, err := pool.Exec(ctx, `
		CREATE SCHEMA `+schema+`;
		CREATE TABLE `+schema+`.items (
			id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			body       text NOT NULL,
			created_at timestamptz NOT NULL DEFAULT now()
		);
		CREATE TABLE `+schema+`.outbox (
			id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
			txid     xid8 NOT NULL DEFAULT pg_current_xact_id(),
			event_id text NOT NULL,
			subject  text NOT NULL,
			payload  bytea NOT NULL
		);
		CREATE INDEX outbox_order ON `+schema+`.outbox (txid, id);`); err != nil {
		pool.Close()
		return nil, fmt.Errorf("create schema %s: %w", schema, err)
	}
	held := make([]*pgxpool.Conn, 0, pc.MaxConns)
	defer func() {
		for _, c := range held {
			c.Release()
		}
	}()
	for range pc.MaxConns {
		c, err := pool.Acquire(ctx)
		if err != nil {
			// The schema stays; the caller has no pool to drop it with,
			// so drop it here.
			_, _ = pool.Exec(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE")
			pool.Close()
			return nil, fmt.Errorf("open database connections: %w", err)
		}
		held = append(held, c)
	}
	return pool, nil
}

// lockKey is the advisory lock the Lock variant's writers queue on, one per
// schema so two measurements never share it.
func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte(schema + ".outbox"))
	return int64(h.Sum64())
}

// writer is the HTTP handler: every POST is one write.
type writer struct {
	pool    *pgxpool.Pool
	subject string
	lock    bool
	lockKey int64
	wake    chan<- struct{}
}

// ServeHTTP stores the body as a business row and, in the same
// transaction, as the payload of an outbox row; the event id is the row's
// id. The body is taken as it comes: checking it is not the pipeline's cost.
func (wr *writer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<10))
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	var id int64
	err = pgx.BeginFunc(ctx, wr.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "INSERT INTO items (body) VALUES ($1) RETURNING id", string(body)).Scan(&id); err != nil {
			return fmt.Errorf("insert item: %w", err)
		}
		if wr.lock {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", wr.lockKey); err != nil {
				return fmt.Errorf("outbox lock: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, "INSERT INTO outbox (event_id, subject, payload) VALUES ($1, $2, $3)",
			strconv.FormatInt(id, 10), wr.subject, body); err != nil {
			return fmt.Errorf("insert outbox row: %w", err)
		}
		return nil
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// Wake the relay without waiting: one pending wake-up covers any
	// number of commits, since the relay reads everything committed.
	select {
	case wr.wake <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprint(w, id)
}

// serve starts h on a free loopback port. The caller shuts srv down; done
// then yields Serve's error (http.ErrServerClosed when all went well).
func serve(h http.Handler) (srv *http.Server, url string, done <-chan error, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, fmt.Errorf("listen: %w", err)
	}
	srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	return srv, "http://" + ln.Addr().String() + "/items", served, nil
}

// send runs clients concurrent HTTP clients that POST writes 0…writes-1
// between them, the body being the write's number, and returns when each
// was sent. The first failure stops them all.
func send(ctx context.Context, url string, clients, writes int) ([]time.Time, error) {
	// Keep one connection per client alive, as a service's callers would.
	transport := &http.Transport{MaxIdleConnsPerHost: clients, DisableCompression: true}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: time.Minute}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sent := make([]time.Time, writes)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				n := int(next.Add(1) - 1)
				if n >= writes || ctx.Err() != nil {
					return
				}
				sent[n] = time.Now()
				if err := post(ctx, client, url, n); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return sent, nil
}

// post sends write n and expects 201 Created.
func post(ctx context.Context, client *http.Client, url string, n int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(strconv.Itoa(n)))
	if err != nil {
		return fmt.Errorf("write %d: %w", n, err)
	}
	req.Header.Set("Content-Type", "text/plain")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("write %d: %w", n, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body) // read to the end so the connection is reused
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("write %d: status %d: %s", n, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// arrivals records, for each write, when and how often its event reached
// the subscriber. record runs on the subscription's goroutine; the rest
// reads it after the subscriber's connection has drained and closed.
type arrivals struct {
	mu       sync.Mutex
	first    []time.Time // first arrival of write n's event
	count    []int
	strays   int
	distinct int
	last     time.Time     // when the last write's event first arrived
	all      chan struct{} // closed when every write's event has arrived
}

func newArrivals(writes int) *arrivals {
	return &arrivals{first: make([]time.Time, writes), count: make([]int, writes), all: make(chan struct{})}
}

// record takes one event; its payload is the write's number.
func (a *arrivals) record(m *nats.Msg) {
	now := time.Now()
	n, err := strconv.Atoi(string(m.Data))
	a.mu.Lock()
	defer a.mu.Unlock()
	if err != nil || n < 0 || n >= len(a.count) {
		a.strays++
		return
	}
	a.count[n]++
	if a.count[n] > 1 {
		return
	}
	a.first[n] = now
	a.distinct++
	if a.distinct == len(a.count) {
		a.last = now
		close(a.all)
	}
}

// result turns the arrivals into throughput and latency. Writes whose event
// never arrived are left out of the latencies; check reports them.
func (a *arrivals) result(cfg Config, start time.Time, sent []time.Time) Result {
	a.mu.Lock()
	defer a.mu.Unlock()
	lat := make([]time.Duration, 0, len(sent))
	end := a.last
	for n, at := range a.first {
		if at.IsZero() {
			continue
		}
		lat = append(lat, at.Sub(sent[n]))
		if at.After(end) {
			end = at
		}
	}
	r := Result{Clients: cfg.Clients, Writes: cfg.Writes}
	if len(lat) == 0 {
		return r
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	r.Elapsed = end.Sub(start)
	r.PerSecond = float64(len(lat)) / r.Elapsed.Seconds()
	r.P50, r.P99 = pct(0.50), pct(0.99)
	return r
}
