// Package testenv gives tests a real PostgreSQL and a real NATS JetStream.
//
// Each test binary (one per Go package) starts at most one private
// PostgreSQL cluster and one embedded NATS server, on random ports, and Main
// stops them when the tests finish. Set TEST_DATABASE_URL or TEST_NATS_URL to
// use existing servers instead. Every test gets its own database, and
// Unique names keep streams and subjects of different tests apart.
//
// Use it from a package's tests with
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
package testenv

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/nuanxin/nuanxin/pkg/natsserver"
	"github.com/nuanxin/nuanxin/pkg/pgcluster"
)

// timeout bounds each server start, database creation and shutdown.
const timeout = time.Minute

// shared is what this test binary started. It has to be package state:
// Postgres and NATS start the servers lazily, and Main must stop them.
var shared servers

// servers starts the shared servers at most once and remembers the outcome,
// including failure, so a missing PostgreSQL fails every test fast.
type servers struct {
	mu          sync.Mutex
	mainRunning bool // Main is running, so it will stop what we start

	pgDone   bool
	pgAdmin  string // URL of a database to run CREATE DATABASE in
	pgErr    error
	pgDir    string
	pgServer *pgcluster.Cluster

	natsDone   bool
	natsURL    string
	natsErr    error
	natsDir    string
	natsServer *server.Server
}

// Main runs the package's tests and stops anything testenv started. Use as:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
func Main(m *testing.M) {
	shared.mu.Lock()
	shared.mainRunning = true
	shared.mu.Unlock()

	code := m.Run()
	if err := shared.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// Postgres returns the URL of a fresh, empty database created for this test
// and dropped when the test ends.
//
// The server is TEST_DATABASE_URL if set (used as an admin connection to
// CREATE DATABASE); otherwise a private cluster (pgcluster, Fast) started
// once per test binary under a temporary directory and stopped by Main.
// Without either, the test fails with instructions.
func Postgres(t testing.TB) string {
	t.Helper()
	admin, err := shared.postgres()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	u, err := url.Parse(admin)
	if err != nil || u.Scheme == "" {
		t.Fatalf("testenv: TEST_DATABASE_URL must be a URL like postgres://user@host:5432/postgres, got %q", admin)
	}
	name := "t_" + Unique()
	u.Path, u.RawPath = "/"+name, ""
	ident := pgx.Identifier{name}.Sanitize()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := execAdmin(ctx, admin, "CREATE DATABASE "+ident); err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		// FORCE disconnects sessions (e.g. a pool the test forgot to close)
		// that would otherwise block the drop.
		if err := execAdmin(ctx, admin, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop database %s: %v", name, err)
		}
	})
	return u.String()
}

// NATS returns the URL of a NATS server with JetStream: TEST_NATS_URL if set,
// otherwise an embedded server started once per test binary on a random port
// with a temporary store directory, and stopped by Main.
func NATS(t testing.TB) string {
	t.Helper()
	u, err := shared.nats()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return u
}

// Environment variables naming the data directories of servers that
// TEST_DATABASE_URL and TEST_NATS_URL point at (nuanxin stack sets them for
// the servers it starts), so tests can inspect what lands on disk.
const (
	EnvPostgresData = "TEST_PG_DATA"
	EnvNATSStore    = "TEST_NATS_STORE"
)

// Dirs are where the test servers keep their data on disk.
type Dirs struct {
	// Postgres is the cluster's data directory: tables, pg_wal and the
	// server's log (postgres.log).
	Postgres string
	// NATS is the JetStream store directory.
	NATS string
}

// DataDirs returns the data directories of the servers Postgres and NATS
// use, for tests that check what reaches the disk. The private servers'
// are always known; for servers given by TEST_DATABASE_URL or
// TEST_NATS_URL they are TEST_PG_DATA and TEST_NATS_STORE, and without
// them there is nothing to look at, so the test is skipped (saying why).
func DataDirs(t testing.TB) Dirs {
	t.Helper()
	if _, err := shared.postgres(); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	if _, err := shared.nats(); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	shared.mu.Lock()
	d := Dirs{Postgres: shared.pgDir, NATS: shared.natsDir}
	shared.mu.Unlock()
	if d.Postgres == "" {
		d.Postgres = os.Getenv(EnvPostgresData)
	}
	if d.NATS == "" {
		d.NATS = os.Getenv(EnvNATSStore)
	}
	switch {
	case d.Postgres == "":
		t.Skipf("testenv: Postgres is TEST_DATABASE_URL and %s does not name its data directory, so there is none to inspect", EnvPostgresData)
	case d.NATS == "":
		t.Skipf("testenv: NATS is TEST_NATS_URL and %s does not name its store directory, so there is none to inspect", EnvNATSStore)
	}
	return d
}

// NATSServer starts a dedicated embedded server for tests that must stop and
// restart the broker (outage tests). Port 0 picks a random port; to restart
// on the same one, pass s.Addr().(*net.TCPAddr).Port. storeDir lets a restart
// keep its data; "" means a new temporary directory. The server is shut down
// at test cleanup if still running.
func NATSServer(t testing.TB, port int, storeDir string) *server.Server {
	t.Helper()
	if storeDir == "" {
		storeDir = t.TempDir()
	}
	s, err := natsserver.Start(natsserver.Options{Port: port, StoreDir: storeDir})
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() {
		s.Shutdown() // does nothing if the test already shut it down
		s.WaitForShutdown()
	})
	return s
}

// uniqueAlphabet is valid in the names of databases, streams, consumers and
// subjects alike.
const uniqueAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// Unique returns a short random token (8 lowercase letters and digits) for
// names of streams, consumers, subjects and databases, so tests sharing a
// server never collide.
func Unique() string {
	b := make([]byte, 8)
	for i := range b {
		b[i] = uniqueAlphabet[rand.IntN(len(uniqueAlphabet))]
	}
	return string(b)
}

// errNoMain explains the missing TestMain; without it, nothing would stop
// the servers testenv starts.
var errNoMain = errors.New("this package's tests need func TestMain(m *testing.M) { testenv.Main(m) } so the servers testenv starts are stopped")

// postgres returns the admin URL, starting the private cluster on first use.
func (s *servers) postgres() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.mainRunning {
		return "", errNoMain
	}
	if s.pgDone {
		return s.pgAdmin, s.pgErr
	}
	s.pgDone = true
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		s.pgAdmin = u
		return u, nil
	}

	// Not t.TempDir: the cluster outlives single tests, and /tmp itself is
	// enterable by the postgres user that the server runs as under root.
	dir, err := os.MkdirTemp("", "nuanxin-test-pg-")
	if err != nil {
		s.pgErr = fmt.Errorf("create postgres directory: %w", err)
		return "", s.pgErr
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Fast: true})
	if err != nil {
		os.RemoveAll(dir)
		if errors.Is(err, pgcluster.ErrNoBinaries) {
			err = fmt.Errorf("%w (for tests: set TEST_DATABASE_URL)", err)
		}
		s.pgErr = err
		return "", err
	}
	s.pgDir, s.pgServer, s.pgAdmin = dir, c, c.URL("postgres")
	return s.pgAdmin, nil
}

// nats returns the NATS URL, starting the embedded server on first use.
func (s *servers) nats() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.mainRunning {
		return "", errNoMain
	}
	if s.natsDone {
		return s.natsURL, s.natsErr
	}
	s.natsDone = true
	if u := os.Getenv("TEST_NATS_URL"); u != "" {
		s.natsURL = u
		return u, nil
	}

	dir, err := os.MkdirTemp("", "nuanxin-test-nats-")
	if err != nil {
		s.natsErr = fmt.Errorf("create nats store directory: %w", err)
		return "", s.natsErr
	}
	ns, err := natsserver.Start(natsserver.Options{StoreDir: dir})
	if err != nil {
		os.RemoveAll(dir)
		s.natsErr = err
		return "", err
	}
	s.natsDir, s.natsServer, s.natsURL = dir, ns, natsserver.URL(ns)
	return s.natsURL, nil
}

// stop stops the servers and removes their directories.
func (s *servers) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	if s.pgServer != nil {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		errs = append(errs, s.pgServer.Stop(ctx))
		errs = append(errs, os.RemoveAll(s.pgDir))
		s.pgServer = nil
	}
	if s.natsServer != nil {
		s.natsServer.Shutdown()
		s.natsServer.WaitForShutdown()
		errs = append(errs, os.RemoveAll(s.natsDir))
		s.natsServer = nil
	}
	return errors.Join(errs...)
}

// execAdmin runs one statement on a new connection to the admin URL.
func execAdmin(ctx context.Context, adminURL, sql string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return err
	}
	return nil
}
