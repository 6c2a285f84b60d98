// Package db opens a pgx pool bound to one service's schema, applies that
// service's embedded migrations, and runs functions in transactions.
package db

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"regexp"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

var schemaRe = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// DefaultMaxConns is a pool's size when url sets no pool_max_conns. pgx
// would take the number of CPUs (at least 4); but a write spends most of
// its time waiting for the WAL flush, not on a CPU, and concurrent commits
// share one flush only if they have connections to wait on: with 4, eight
// clients registering workers ran at half the rate the machine allows.
const DefaultMaxConns = 16

// Open connects to url with every connection's search_path set to schema,
// so a service's SQL names its tables without a prefix and cannot reach
// another service's tables by accident. It creates the schema if missing.
func Open(ctx context.Context, url, schema string) (*pgxpool.Pool, error) {
	if !schemaRe.MatchString(schema) {
		return nil, fmt.Errorf("open database: invalid schema name %q", schema)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = DefaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// Create the schema only when it is missing: CREATE SCHEMA needs the
	// CREATE privilege on the whole database even when the schema exists,
	// and in production a service's role owns its schema and nothing more.
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	// Instances starting together race inside CREATE SCHEMA IF NOT EXISTS:
	// the loser gets a unique violation on pg_namespace, though the schema
	// it wanted now exists (the winner has committed).
	if !exists {
		if _, err := pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil && !IsUniqueViolation(err, "") {
			pool.Close()
			return nil, fmt.Errorf("create schema %s: %w", schema, err)
		}
	}
	return pool, nil
}

// InTx runs fn in a transaction, committing when it returns nil and rolling
// back otherwise, so a failure halfway leaves nothing half-written. What
// BeforeCommit put in ctx runs last in the same transaction; what
// AfterCommit registered on the transaction runs once it has committed.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	begun, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &hookedTx{Tx: begun}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	for _, hook := range hooksOf(ctx) {
		if err := hook(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, fn := range tx.after {
		fn(ctx, pool)
	}
	return nil
}

// InBatch is InTx for work that is a single batch of statements: fn gets a
// transaction whose only use is one SendBatch, and that batch is sent
// outside any BEGIN, so Postgres runs it as one implicit transaction (one
// Sync of the extended protocol) — committed at its end, or rolled back
// whole at its first failing statement — in one round trip instead of
// InTx's three (BEGIN, the batch, COMMIT). What fn arranges with
// AfterCommit runs once the batch has committed, as under InTx.
//
// Any other use of the transaction (Exec, Query, a second batch) would run
// outside the batch's transaction, so it fails; use InTx for work that
// reads before it writes. The hooks BeforeCommit put in ctx write in a
// transaction after fn's statements, so under such a ctx InBatch is InTx.
func InBatch(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	if len(hooksOf(ctx)) > 0 {
		return InTx(ctx, pool, fn)
	}
	one := &batchTx{pool: pool}
	tx := &hookedTx{Tx: one}
	err := fn(tx)
	if one.results != nil && !one.results.closed {
		// fn left the results open: reading them to the end is what
		// commits or fails the batch, and frees the connection.
		if cerr := one.results.Close(); err == nil {
			err = cerr
		}
	}
	// Once the batch has committed it cannot be undone, whatever fn said
	// after: the work arranged to follow a commit follows it.
	if one.results != nil && one.results.committed {
		for _, after := range tx.after {
			after(ctx, pool)
		}
	}
	return err
}

// errBatchOnly is what InBatch's transaction answers to anything but its
// one batch.
var errBatchOnly = errors.New("db.InBatch: the transaction is a single batch; use db.InTx for other statements")

// batchTx is the transaction InBatch hands to fn: one batch sent on the
// pool, outside any BEGIN, which Postgres runs as one implicit transaction.
type batchTx struct {
	pool    *pgxpool.Pool
	results *batchResults // nil until the batch is sent
}

func (t *batchTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if t.results != nil {
		return failedBatch{errBatchOnly}
	}
	t.results = &batchResults{BatchResults: t.pool.SendBatch(ctx, b)}
	return t.results
}

func (t *batchTx) Begin(context.Context) (pgx.Tx, error) { return nil, errBatchOnly }
func (t *batchTx) Commit(context.Context) error          { return errBatchOnly }
func (t *batchTx) Rollback(context.Context) error        { return errBatchOnly }
func (t *batchTx) CopyFrom(context.Context, pgx.Identifier, []string, pgx.CopyFromSource) (int64, error) {
	return 0, errBatchOnly
}
func (t *batchTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }
func (t *batchTx) Prepare(context.Context, string, string) (*pgconn.StatementDescription, error) {
	return nil, errBatchOnly
}
func (t *batchTx) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, errBatchOnly
}
func (t *batchTx) Query(context.Context, string, ...any) (pgx.Rows, error) { return nil, errBatchOnly }
func (t *batchTx) QueryRow(context.Context, string, ...any) pgx.Row        { return failedRow{errBatchOnly} }
func (t *batchTx) Conn() *pgx.Conn                                         { return nil }

// batchResults notes whether the batch committed: its results read to the
// end (Close) without an error means Postgres reached the Sync and
// committed the implicit transaction.
type batchResults struct {
	pgx.BatchResults
	closed, committed bool
}

func (r *batchResults) Close() error {
	if r.closed {
		return r.BatchResults.Close()
	}
	r.closed = true
	err := r.BatchResults.Close()
	r.committed = err == nil
	return err
}

// failedBatch is the results of a batch that was not sent.
type failedBatch struct{ err error }

func (b failedBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b failedBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b failedBatch) QueryRow() pgx.Row                { return failedRow{b.err} }
func (b failedBatch) Close() error                     { return b.err }
func (b failedBatch) Tx() pgx.Tx                       { return nil }

// failedRow is a row whose query did not run.
type failedRow struct{ err error }

func (r failedRow) Scan(...any) error { return r.err }

// hookedTx is the transaction InTx hands to fn: a pgx.Tx that also keeps
// what is to run after its commit.
type hookedTx struct {
	pgx.Tx
	after []func(context.Context, *pgxpool.Pool)
	keys  map[string]bool
}

// AfterCommit arranges for fn to run once tx has committed, with the pool tx
// came from. key names the work: registered again under the same key, it
// still runs once. It reports false, and arranges nothing, when tx was not
// begun by InTx (the consume runner uses InTx too).
//
// It is for what must not run inside the transaction, such as a NOTIFY:
// Postgres holds a cluster-wide lock from just before a notifying
// transaction's commit to its end, so every committing writer would queue
// behind the others' WAL flush. fn does not run if the transaction rolls
// back; an error it meets is its own to handle, the commit being done.
func AfterCommit(tx pgx.Tx, key string, fn func(ctx context.Context, pool *pgxpool.Pool)) bool {
	h, ok := tx.(*hookedTx)
	if !ok {
		return false
	}
	if !h.keys[key] {
		if h.keys == nil {
			h.keys = map[string]bool{}
		}
		h.keys[key] = true
		h.after = append(h.after, fn)
	}
	return true
}

// Hook is work that must commit with whatever a transaction commits.
type Hook func(ctx context.Context, tx pgx.Tx) error

type hooksKey struct{}

// BeforeCommit returns a ctx under which every transaction InTx commits
// also runs hook, just before its commit: a record that the work of a
// request was done, say, which must never exist without the work nor the
// work without it. Code far from the caller (a service, its store) needs
// no change to carry it.
func BeforeCommit(ctx context.Context, hook Hook) context.Context {
	prev := hooksOf(ctx)
	hooks := append(prev[:len(prev):len(prev)], hook) // never into prev's array, which an outer ctx holds
	return context.WithValue(ctx, hooksKey{}, hooks)
}

func hooksOf(ctx context.Context) []Hook {
	hooks, _ := ctx.Value(hooksKey{}).([]Hook)
	return hooks
}

// Source is a named set of migrations: *.sql files applied in name order.
// Platform packages (outbox, consume) ship their own sources, so a service
// lists them beside its own.
type Source struct {
	Name string
	FS   fs.FS
}

// LockKey turns a name into a bigint for pg_advisory_lock, so that every
// lock a service takes is named rather than a magic number.
func LockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// Migrate applies every migration not yet recorded in schema_migrations,
// each in its own transaction. An advisory lock makes concurrent starts of
// the same service wait for each other instead of racing.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string, sources ...Source) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	key := LockKey(schema + ".migrate")
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key) //nolint:errcheck

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    text PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, src := range sources {
		names, err := fs.Glob(src.FS, "*.sql")
		if err != nil {
			return fmt.Errorf("migrate %s: %w", src.Name, err)
		}
		sort.Strings(names)
		for _, name := range names {
			if err := applyOne(ctx, conn.Conn(), src, name); err != nil {
				return err
			}
		}
	}
	return nil
}

func applyOne(ctx context.Context, conn *pgx.Conn, src Source, name string) error {
	version := src.Name + "/" + strings.TrimSuffix(name, ".sql")
	var done bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", version).Scan(&done); err != nil {
		return fmt.Errorf("migrate %s: %w", version, err)
	}
	if done {
		return nil
	}
	body, err := fs.ReadFile(src.FS, name)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", version, err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", version, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, string(body)); err != nil {
		return fmt.Errorf("migrate %s: %w", version, err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version) VALUES ($1)", version); err != nil {
		return fmt.Errorf("migrate %s: %w", version, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", version, err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique-constraint violation,
// optionally of the named constraint.
func IsUniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		return false
	}
	return constraint == "" || pe.ConstraintName == constraint
}
