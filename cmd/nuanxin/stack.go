package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/nuanxin/nuanxin/pkg/natsserver"
	"github.com/nuanxin/nuanxin/pkg/pgcluster"
)

// stopTimeout bounds how long stopping Postgres or NATS may take.
const stopTimeout = 30 * time.Second

// runStack runs a command (usually the test suite) with a real Postgres and a
// real NATS server: TEST_DATABASE_URL and TEST_NATS_URL if they are set, else
// fresh temporary ones that are removed afterwards. It returns the command's
// exit code as an *exitError.
func runStack(ctx context.Context, args []string, std stdio, signals <-chan os.Signal) error {
	flags := flag.NewFlagSet("nuanxin stack", flag.ContinueOnError)
	parent := flags.String("data", os.TempDir(), "directory in which to create the temporary Postgres and NATS directories")
	fast := flags.Bool("fast", true, "run Postgres without fsync (tests); --fast=false for benchmarks that must pay for durability")
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), "Usage: nuanxin stack [--data DIR] -- COMMAND ARGS...")
		flags.PrintDefaults()
	}
	if err := parseFlags(flags, args, std.err); err != nil {
		return err
	}
	command := flags.Args()
	if len(command) == 0 {
		return usageErrorf("no command given: nuanxin stack -- COMMAND ARGS...")
	}

	var stops cleanups
	defer func() {
		// Cleanup must happen even after Ctrl-C, so it gets its own context.
		if err := stops.run(context.Background()); err != nil {
			fmt.Fprintf(std.err, "nuanxin stack: cleanup: %v\n", err)
		}
	}()

	// Ctrl-C while the servers start abandons the start.
	startCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopWatching := cancelOnSignal(signals, cancel)
	servers, err := startTestServers(startCtx, *parent, *fast, &stops)
	stopWatching()
	if err != nil {
		if startCtx.Err() != nil {
			return &exitError{code: 130, err: errors.New("interrupted while starting the servers")}
		}
		return err
	}
	fmt.Fprintf(std.err, "nuanxin stack: %s; running %s\n", strings.Join(servers.started, ", "), strings.Join(command, " "))

	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = std.in, std.out, std.err
	cmd.Env = append(os.Environ(),
		"TEST_DATABASE_URL="+servers.databaseURL,
		"TEST_NATS_URL="+servers.natsURL,
	)
	// The data directories of the servers started here, so tests can look
	// at what lands on disk (testenv.DataDirs); servers given by URL keep
	// whatever TEST_PG_DATA / TEST_NATS_STORE the caller set.
	if servers.pgDir != "" {
		cmd.Env = append(cmd.Env, "TEST_PG_DATA="+servers.pgDir)
	}
	if servers.natsDir != "" {
		cmd.Env = append(cmd.Env, "TEST_NATS_STORE="+servers.natsDir)
	}
	code, err := runForwardingSignals(cmd, signals)
	if err != nil {
		return err
	}
	if err := stops.run(context.Background()); err != nil {
		return &exitError{code: max(code, 1), err: fmt.Errorf("cleanup: %w", err)}
	}
	return &exitError{code: code}
}

// testServers is what startTestServers provided.
type testServers struct {
	databaseURL string
	natsURL     string
	pgDir       string   // the data directory of a Postgres started here
	natsDir     string   // the store directory of a NATS started here
	started     []string // for the one line saying what is used
}

// startTestServers uses TEST_DATABASE_URL and TEST_NATS_URL when set (an
// empty value counts as unset) and otherwise starts a throwaway Postgres and
// NATS under fresh directories in parent. Everything started is registered
// in stops, including removing the directories.
func startTestServers(ctx context.Context, parent string, fast bool, stops *cleanups) (testServers, error) {
	var s testServers

	if url := os.Getenv("TEST_DATABASE_URL"); url != "" {
		s.databaseURL = url
		s.started = append(s.started, "postgres from TEST_DATABASE_URL")
	} else {
		dir, err := tempDir(parent, "nuanxin-test-pg-", stops)
		if err != nil {
			return s, err
		}
		cluster, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Fast: fast})
		if err != nil {
			if errors.Is(err, pgcluster.ErrNoBinaries) {
				// The message says what to install; the wrapping adds nothing.
				return s, noBinariesError(err)
			}
			return s, err
		}
		stops.add(cluster.Stop)
		s.databaseURL, s.pgDir = cluster.URL("nuanxin"), dir
		s.started = append(s.started, fmt.Sprintf("started postgres on 127.0.0.1:%d in %s", cluster.Port(), dir))
	}

	if url := os.Getenv("TEST_NATS_URL"); url != "" {
		s.natsURL = url
		s.started = append(s.started, "nats from TEST_NATS_URL")
	} else {
		dir, err := tempDir(parent, "nuanxin-test-nats-", stops)
		if err != nil {
			return s, err
		}
		srv, err := natsserver.Start(natsserver.Options{StoreDir: dir})
		if err != nil {
			return s, err
		}
		stops.add(func(context.Context) error {
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil
		})
		s.natsURL, s.natsDir = natsserver.URL(srv), dir
		s.started = append(s.started, "started nats at "+s.natsURL)
	}
	return s, nil
}

// noBinariesError returns the innermost error of a pgcluster.ErrNoBinaries
// chain, whose own message says where it looked and what to install; the
// "start postgres:" context around it adds nothing.
func noBinariesError(err error) error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if u, ok := e.(interface{ Unwrap() error }); ok && u.Unwrap() == pgcluster.ErrNoBinaries {
			return e
		}
	}
	return err
}

// tempDir makes a fresh directory under parent and registers its removal.
func tempDir(parent, prefix string, stops *cleanups) (string, error) {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("create temporary directory: %w", err)
	}
	dir, err := os.MkdirTemp(parent, prefix)
	if err != nil {
		return "", fmt.Errorf("create temporary directory: %w", err)
	}
	stops.add(func(context.Context) error {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("remove %s: %w", dir, err)
		}
		return nil
	})
	return dir, nil
}

// runForwardingSignals starts cmd, passes every signal that arrives on to it
// and returns its exit code once it ends: its own, or 128+N if signal N
// killed it, as shells report it.
func runForwardingSignals(cmd *exec.Cmd, signals <-chan os.Signal) (int, error) {
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("run %s: %w", cmd.Path, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait() // the exit status is read from cmd.ProcessState below
		close(exited)
	}()
	for {
		select {
		case sig := <-signals:
			_ = cmd.Process.Signal(sig) // fails only if it has just exited
		case <-exited:
			return exitStatus(cmd.ProcessState), nil
		}
	}
}

// exitStatus is the shell's view of how a process ended.
func exitStatus(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
