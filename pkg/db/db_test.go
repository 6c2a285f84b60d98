package db_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func open(t *testing.T, ctx context.Context, url, schema string) *pgxpool.Pool {
	t.Helper()
	pool, err := db.Open(ctx, url, schema)
	if err != nil {
		t.Fatalf("db.Open(%q): %v", schema, err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// sources are two migration sources; each file appends its own name to the
// applied table, so a file applied twice or out of order is visible.
func sources() []db.Source {
	first := fstest.MapFS{
		// Deliberately listed out of order: Migrate must sort by name.
		"0002_more.sql": {Data: []byte(`INSERT INTO applied (name) VALUES ('first/0002');`)},
		"0001_init.sql": {Data: []byte(`CREATE TABLE applied (seq serial PRIMARY KEY, name text NOT NULL);
			INSERT INTO applied (name) VALUES ('first/0001');`)},
		"README.md": {Data: []byte("not a migration")},
	}
	second := fstest.MapFS{
		"0001_other.sql": {Data: []byte(`INSERT INTO applied (name) VALUES ('second/0001');`)},
	}
	return []db.Source{{Name: "first", FS: first}, {Name: "second", FS: second}}
}

var wantApplied = []string{"first/0001", "first/0002", "second/0001"}

func appliedNames(t *testing.T, ctx context.Context, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(ctx, "SELECT name FROM applied ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func versions(t *testing.T, ctx context.Context, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestMigrate_appliesOnceAndInOrder(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, url, schema string) *pgxpool.Pool
	}{
		{"twice in a row", func(t *testing.T, ctx context.Context, url, schema string) *pgxpool.Pool {
			pool := open(t, ctx, url, schema)
			for i := range 2 {
				if err := db.Migrate(ctx, pool, schema, sources()...); err != nil {
					t.Fatalf("Migrate run %d: %v", i+1, err)
				}
			}
			return pool
		}},
		{"three instances starting at once", func(t *testing.T, ctx context.Context, url, schema string) *pgxpool.Pool {
			// Three replicas of a service start together: each opens its own
			// pool (creating the schema) and migrates.
			var wg sync.WaitGroup
			errs := make([]error, 3)
			pools := make([]*pgxpool.Pool, 3)
			for i := range 3 {
				wg.Go(func() {
					pool, err := db.Open(ctx, url, schema)
					if err != nil {
						errs[i] = fmt.Errorf("open: %w", err)
						return
					}
					pools[i] = pool
					errs[i] = db.Migrate(ctx, pool, schema, sources()...)
				})
			}
			wg.Wait()
			for _, p := range pools {
				if p != nil {
					t.Cleanup(p.Close)
				}
			}
			for i, err := range errs {
				if err != nil {
					t.Fatalf("instance %d: %v", i, err)
				}
			}
			return pools[0]
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			url := testenv.Postgres(t)
			pool := tc.run(t, ctx, url, "svc")

			if got := appliedNames(t, ctx, pool); !slices.Equal(got, wantApplied) {
				t.Errorf("migrations ran as %v, want each once in order %v", got, wantApplied)
			}
			wantVersions := []string{"first/0001_init", "first/0002_more", "second/0001_other"}
			if got := versions(t, ctx, pool); !slices.Equal(got, wantVersions) {
				t.Errorf("schema_migrations holds %v, want %v", got, wantVersions)
			}
			// The tables landed in the service's schema, not in public.
			var schema string
			if err := pool.QueryRow(ctx, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'applied'").Scan(&schema); err != nil {
				t.Fatal(err)
			}
			if schema != "svc" {
				t.Errorf("table applied is in schema %q, want svc", schema)
			}
		})
	}
}

func TestMigrate_appliesOnlyNewFiles(t *testing.T) {
	ctx := testCtx(t)
	pool := open(t, ctx, testenv.Postgres(t), "svc")
	srcs := sources()
	if err := db.Migrate(ctx, pool, "svc", srcs[0]); err != nil {
		t.Fatal(err)
	}
	// A later release adds a source and a file to the first one.
	first := srcs[0].FS.(fstest.MapFS)
	first["0003_later.sql"] = &fstest.MapFile{Data: []byte(`INSERT INTO applied (name) VALUES ('first/0003');`)}
	if err := db.Migrate(ctx, pool, "svc", srcs...); err != nil {
		t.Fatal(err)
	}
	want := []string{"first/0001", "first/0002", "first/0003", "second/0001"}
	if got := appliedNames(t, ctx, pool); !slices.Equal(got, want) {
		t.Errorf("migrations ran as %v, want %v", got, want)
	}
}

func TestMigrate_failedMigrationRollsBack(t *testing.T) {
	ctx := testCtx(t)
	pool := open(t, ctx, testenv.Postgres(t), "svc")
	bad := db.Source{Name: "bad", FS: fstest.MapFS{
		"0001_ok.sql": {Data: []byte(`CREATE TABLE kept (id int);`)},
		"0002_broken.sql": {Data: []byte(`CREATE TABLE half (id int);
			CREATE TABEL oops (id int);
			CREATE TABLE after (id int);`)},
		"0003_never.sql": {Data: []byte(`CREATE TABLE never (id int);`)},
	}}
	err := db.Migrate(ctx, pool, "svc", bad)
	if err == nil {
		t.Fatal("Migrate with a syntax error succeeded")
	}
	if !strings.Contains(err.Error(), "bad/0002_broken") {
		t.Errorf("error %q does not name the failing migration bad/0002_broken", err)
	}
	if got, want := versions(t, ctx, pool), []string{"bad/0001_ok"}; !slices.Equal(got, want) {
		t.Errorf("schema_migrations holds %v, want %v", got, want)
	}
	for table, want := range map[string]bool{"kept": true, "half": false, "after": false, "never": false} {
		var exists bool
		if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists != want {
			t.Errorf("table %s exists = %v, want %v", table, exists, want)
		}
	}

	// Once the file is fixed, the next start applies it and the rest.
	bad.FS.(fstest.MapFS)["0002_broken.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE half (id int);`)}
	if err := db.Migrate(ctx, pool, "svc", bad); err != nil {
		t.Fatalf("Migrate after the fix: %v", err)
	}
	if got, want := versions(t, ctx, pool), []string{"bad/0001_ok", "bad/0002_broken", "bad/0003_never"}; !slices.Equal(got, want) {
		t.Errorf("after the fix schema_migrations holds %v, want %v", got, want)
	}
}

func TestOpen_rejectsBadSchemaName(t *testing.T) {
	ctx := testCtx(t)
	url := testenv.Postgres(t)
	for _, schema := range []string{
		"",
		"Registry",
		"1registry",
		"reg-istry",
		"registry; DROP SCHEMA public",
		`"registry"`,
		"registry.outbox",
		strings.Repeat("a", 64),
	} {
		t.Run(schema, func(t *testing.T) {
			pool, err := db.Open(ctx, url, schema)
			if err == nil {
				pool.Close()
				t.Fatalf("Open accepted schema name %q", schema)
			}
			if !strings.Contains(err.Error(), "invalid schema name") {
				t.Errorf("error %q does not say the schema name is invalid", err)
			}
		})
	}

	// Nothing was created by the rejected calls, and a good name works.
	pool := open(t, ctx, url, "registry_2")
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_namespace
		WHERE nspname NOT LIKE 'pg\_%' AND nspname NOT IN ('public', 'information_schema', 'registry_2')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d unexpected schemas exist after rejected names", n)
	}
	var sp string
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&sp); err != nil {
		t.Fatal(err)
	}
	if sp != "registry_2" {
		t.Errorf("current_schema() = %q, want registry_2", sp)
	}
}

func TestInTx_rollsBackOnError(t *testing.T) {
	ctx := testCtx(t)
	pool := open(t, ctx, testenv.Postgres(t), "svc")
	if _, err := pool.Exec(ctx, "CREATE TABLE things (name text PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	tests := []struct {
		name    string
		fn      func(tx pgx.Tx) error
		wantErr error
		want    []string
	}{
		{"commit on nil", func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO things VALUES ('a'), ('b')")
			return err
		}, nil, []string{"a", "b"}},
		{"roll back on error after writes", func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO things VALUES ('c')"); err != nil {
				return err
			}
			return boom
		}, boom, []string{"a", "b"}},
		{"roll back on a failed statement", func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "INSERT INTO things VALUES ('d')"); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO things VALUES ('a')") // duplicate
			return err
		}, nil, []string{"a", "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := db.InTx(ctx, pool, tc.fn)
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("InTx error = %v, want %v", err, tc.wantErr)
			}
			if tc.name == "roll back on a failed statement" && !db.IsUniqueViolation(err, "") {
				t.Errorf("InTx error = %v, want the unique violation", err)
			}
			rows, qerr := pool.Query(ctx, "SELECT name FROM things ORDER BY name")
			if qerr != nil {
				t.Fatal(qerr)
			}
			got, qerr := pgx.CollectRows(rows, pgx.RowTo[string])
			if qerr != nil {
				t.Fatal(qerr)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("rows %v, want %v", got, tc.want)
			}
		})
	}
	// The pool is healthy after the rollbacks: every connection came back.
	if st := pool.Stat(); st.AcquiredConns() != 0 {
		t.Errorf("%d connections still acquired after InTx", st.AcquiredConns())
	}
}

func TestBeforeCommit_hooksCommitWithTheWorkOrNotAtAll(t *testing.T) {
	ctx := testCtx(t)
	pool := open(t, ctx, testenv.Postgres(t), "svc")
	if _, err := pool.Exec(ctx, "CREATE TABLE things (name text PRIMARY KEY); CREATE TABLE marks (name text)"); err != nil {
		t.Fatal(err)
	}
	mark := func(name string) db.Hook {
		return func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO marks VALUES ($1)", name)
			return err
		}
	}
	boom := errors.New("boom")
	outer := db.BeforeCommit(ctx, mark("outer"))
	inner := db.BeforeCommit(outer, mark("inner"))
	_ = db.BeforeCommit(outer, mark("sibling")) // must not leak into inner's hooks
	failing := db.BeforeCommit(ctx, func(context.Context, pgx.Tx) error { return boom })
	tests := []struct {
		name    string
		ctx     context.Context
		fnErr   error
		wantErr error
		things  int
		marks   []string
	}{
		{"no hooks", ctx, nil, nil, 1, nil},
		{"hooks run in order, in the transaction", inner, nil, nil, 1, []string{"outer", "inner"}},
		{"the work fails: no hook runs", inner, boom, boom, 0, nil},
		{"a hook fails: the work rolls back", failing, nil, boom, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := pool.Exec(ctx, "TRUNCATE things, marks"); err != nil {
				t.Fatal(err)
			}
			err := db.InTx(tc.ctx, pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, "INSERT INTO things VALUES ('a')"); err != nil {
					return err
				}
				return tc.fnErr
			})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("InTx error = %v, want %v", err, tc.wantErr)
			}
			var things int
			_ = pool.QueryRow(ctx, "SELECT count(*) FROM things").Scan(&things)
			rows, qerr := pool.Query(ctx, "SELECT name FROM marks")
			if qerr != nil {
				t.Fatal(qerr)
			}
			marks, _ := pgx.CollectRows(rows, pgx.RowTo[string])
			if things != tc.things || !slices.Equal(marks, tc.marks) {
				t.Errorf("things %d marks %v, want %d %v", things, marks, tc.things, tc.marks)
			}
		})
	}
}

func TestAfterCommit_runsOnceEachAfterTheCommitAndNeverOnRollback(t *testing.T) {
	ctx := testCtx(t)
	pool := open(t, ctx, testenv.Postgres(t), "svc")
	if _, err := pool.Exec(ctx, "CREATE TABLE things (name text PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	for _, tc := range []struct {
		name  string
		fnErr error
		want  []string // what ran, and what each saw committed
	}{
		{"committed: each key once, in order, the work visible", nil, []string{"wake saw 1", "count saw 1"}},
		{"rolled back: nothing runs", boom, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := pool.Exec(ctx, "TRUNCATE things"); err != nil {
				t.Fatal(err)
			}
			var ran []string
			after := func(name string) func(context.Context, *pgxpool.Pool) {
				return func(ctx context.Context, pool *pgxpool.Pool) {
					var n int
					// On the pool, outside the transaction: sees only what committed.
					if err := pool.QueryRow(ctx, "SELECT count(*) FROM things").Scan(&n); err != nil {
						t.Error(err)
					}
					ran = append(ran, fmt.Sprintf("%s saw %d", name, n))
				}
			}
			err := db.InTx(ctx, pool, func(tx pgx.Tx) error {
				for _, key := range []string{"wake", "count", "wake"} {
					if !db.AfterCommit(tx, key, after(key)) {
						t.Errorf("AfterCommit(%s) = false on InTx's transaction", key)
					}
				}
				if len(ran) != 0 {
					t.Errorf("ran %v before the commit", ran)
				}
				if _, err := tx.Exec(ctx, "INSERT INTO things VALUES ('a')"); err != nil {
					return err
				}
				return tc.fnErr
			})
			if !errors.Is(err, tc.fnErr) {
				t.Fatalf("InTx error = %v, want %v", err, tc.fnErr)
			}
			if !slices.Equal(ran, tc.want) {
				t.Errorf("ran %v, want %v", ran, tc.want)
			}
		})
	}
	t.Run("a transaction not begun by InTx arranges nothing", func(t *testing.T) {
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck // the test only asks
		if db.AfterCommit(tx, "wake", func(context.Context, *pgxpool.Pool) { t.Error("ran") }) {
			t.Error("AfterCommit = true for a transaction InTx did not begin")
		}
	})
}

func TestIsUniqueViolation(t *testing.T) {
	ctx := testCtx(t)
	pool := open(t, ctx, testenv.Postgres(t), "svc")
	if _, err := pool.Exec(ctx, `CREATE TABLE workers (
		id text CONSTRAINT workers_pkey PRIMARY KEY,
		mobile text CONSTRAINT workers_mobile_key UNIQUE,
		age int CHECK (age > 0))`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "INSERT INTO workers VALUES ('w1', '13800000000', 30)"); err != nil {
		t.Fatal(err)
	}
	insert := func(id, mobile string, age int) error {
		_, err := pool.Exec(ctx, "INSERT INTO workers VALUES ($1, $2, $3)", id, mobile, age)
		return err
	}
	dupMobile := insert("w2", "13800000000", 30)
	dupID := insert("w1", "13900000000", 30)
	check := insert("w3", "13700000000", -1)

	tests := []struct {
		name       string
		err        error
		constraint string
		want       bool
	}{
		{"any constraint", dupMobile, "", true},
		{"the named constraint", dupMobile, "workers_mobile_key", true},
		{"another constraint", dupMobile, "workers_pkey", false},
		{"primary key", dupID, "workers_pkey", true},
		{"wrapped", fmt.Errorf("create worker: %w", dupMobile), "workers_mobile_key", true},
		{"check violation", check, "", false},
		{"plain error", errors.New("duplicate key value violates unique constraint"), "", false},
		{"nil", nil, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := db.IsUniqueViolation(tc.err, tc.constraint); got != tc.want {
				t.Errorf("IsUniqueViolation(%v, %q) = %v, want %v", tc.err, tc.constraint, got, tc.want)
			}
		})
	}
}

func TestLockKey_isStablePerName(t *testing.T) {
	if db.LockKey("registry.outbox.relay") != db.LockKey("registry.outbox.relay") {
		t.Error("LockKey is not deterministic")
	}
	if db.LockKey("registry.outbox.relay") == db.LockKey("points.outbox.relay") {
		t.Error("LockKey gives two services the same lock")
	}
}

func TestInBatch_commitsTheWholeBatchOrNothingAndRunsAfterCommitWorkOnlyOnCommit(t *testing.T) {
	ctx := testCtx(t)
	pool := open(t, ctx, testenv.Postgres(t), "svc")
	// code's uniqueness is checked only at commit, to show that a failure
	// the commit itself finds is reported and rolls the batch back too.
	if _, err := pool.Exec(ctx, `CREATE TABLE things (name text PRIMARY KEY,
			code text CONSTRAINT things_code_key UNIQUE DEFERRABLE INITIALLY DEFERRED);
		CREATE TABLE marks (name text)`); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	mark := db.BeforeCommit(ctx, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO marks VALUES ('hook')")
		return err
	})
	failingHook := db.BeforeCommit(ctx, func(context.Context, pgx.Tx) error { return boom })

	var ran []string // what the after-commit work saw committed
	afterCommit := func(tx pgx.Tx) {
		db.AfterCommit(tx, "count", func(ctx context.Context, pool *pgxpool.Pool) {
			var n int
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM things").Scan(&n); err != nil {
				t.Error(err)
			}
			ran = append(ran, fmt.Sprintf("saw %d", n))
		})
	}
	// send arranges the after-commit work, then sends stmts as the batch.
	send := func(stmts ...string) func(pgx.Tx) error {
		return func(tx pgx.Tx) error {
			afterCommit(tx)
			b := &pgx.Batch{}
			for _, s := range stmts {
				b.Queue(s)
			}
			return tx.SendBatch(ctx, b).Close()
		}
	}
	isUnique := func(constraint string) func(error) bool {
		return func(err error) bool { return db.IsUniqueViolation(err, constraint) }
	}
	isErr := func(want error) func(error) bool { return func(err error) bool { return errors.Is(err, want) } }
	failed := func(err error) bool { return err != nil }

	tests := []struct {
		name   string
		ctx    context.Context
		fn     func(pgx.Tx) error
		errOK  func(error) bool // nil: no error wanted
		things []string
		marks  []string
		ran    []string
	}{
		{"every statement commits, then the after-commit work runs",
			ctx, send("INSERT INTO things VALUES ('a', 'x')", "INSERT INTO things VALUES ('b', 'y')"),
			nil, []string{"a", "b"}, nil, []string{"saw 2"}},
		{"a failing second statement leaves no first row and runs nothing",
			ctx, send("INSERT INTO things VALUES ('a', 'x')", "INSERT INTO things VALUES ('a', 'y')"),
			isUnique("things_pkey"), nil, nil, nil},
		{"a failure found at commit rolls the whole batch back and runs nothing",
			ctx, send("INSERT INTO things VALUES ('a', 'x')", "INSERT INTO things VALUES ('b', 'x')"),
			isUnique("things_code_key"), nil, nil, nil},
		{"fn failing before it sends writes nothing and runs nothing",
			ctx, func(tx pgx.Tx) error { afterCommit(tx); return boom },
			isErr(boom), nil, nil, nil},
		{"a statement outside the batch is refused",
			ctx, func(tx pgx.Tx) error {
				afterCommit(tx)
				_, err := tx.Exec(ctx, "INSERT INTO things VALUES ('a', 'x')")
				return err
			},
			failed, nil, nil, nil},
		{"under BeforeCommit hooks the hook's write commits with the batch",
			mark, send("INSERT INTO things VALUES ('a', 'x')"),
			nil, []string{"a"}, []string{"hook"}, []string{"saw 1"}},
		{"under BeforeCommit hooks a failing hook rolls the batch back",
			failingHook, send("INSERT INTO things VALUES ('a', 'x')"),
			isErr(boom), nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := pool.Exec(ctx, "TRUNCATE things, marks"); err != nil {
				t.Fatal(err)
			}
			ran = nil
			err := db.InBatch(tc.ctx, pool, tc.fn)
			switch {
			case tc.errOK == nil && err != nil:
				t.Fatalf("InBatch error = %v, want none", err)
			case tc.errOK != nil && !tc.errOK(err):
				t.Fatalf("InBatch error = %v, not the one wanted", err)
			}
			rows, err := pool.Query(ctx, "SELECT name FROM things ORDER BY name")
			if err != nil {
				t.Fatal(err)
			}
			things, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			rows, err = pool.Query(ctx, "SELECT name FROM marks")
			if err != nil {
				t.Fatal(err)
			}
			marks, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(things, tc.things) || !slices.Equal(marks, tc.marks) || !slices.Equal(ran, tc.ran) {
				t.Errorf("things %v marks %v after-commit %v, want %v %v %v", things, marks, ran, tc.things, tc.marks, tc.ran)
			}
			// Rows the batch wrote were written by one transaction.
			var xids int
			if err := pool.QueryRow(ctx, "SELECT count(DISTINCT xmin::text) FROM things").Scan(&xids); err != nil {
				t.Fatal(err)
			}
			if len(things) > 0 && xids != 1 {
				t.Errorf("the rows were written by %d transactions, want 1", xids)
			}
		})
	}
	// Every connection came back, whatever failed.
	if st := pool.Stat(); st.AcquiredConns() != 0 {
		t.Errorf("%d connections still acquired after InBatch", st.AcquiredConns())
	}
}
