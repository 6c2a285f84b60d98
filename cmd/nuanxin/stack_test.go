package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runCLI runs the CLI in-process, as main would, and returns its exit code
// and stderr.
func runCLI(t *testing.T, signals chan os.Signal, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, stdio{in: strings.NewReader(""), out: &stdout, err: &stderr}, signals)
	return code, stderr.String()
}

func TestStackUsesGivenServersAndPassesTheExitCodeThrough(t *testing.T) {
	t.Setenv("TEST_DATABASE_URL", "postgres://given/db")
	t.Setenv("TEST_NATS_URL", "nats://given:4222")
	tests := []struct {
		name   string
		script string
		want   int
	}{
		{"command sees the given URLs", `test "$TEST_DATABASE_URL" = postgres://given/db && test "$TEST_NATS_URL" = nats://given:4222`, 0},
		{"failing command's code", "exit 3", 3},
		{"command killed by a signal", "kill -TERM $$", 128 + int(syscall.SIGTERM)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stderr := runCLI(t, nil, "stack", "--", "sh", "-c", tt.script)
			if code != tt.want {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
			if !strings.Contains(stderr, "postgres from TEST_DATABASE_URL, nats from TEST_NATS_URL") {
				t.Errorf("stderr = %q, want one line saying which servers are used", stderr)
			}
		})
	}
}

func TestStackWithoutCommandIsAUsageError(t *testing.T) {
	code, stderr := runCLI(t, nil, "stack")
	if code != 2 || !strings.Contains(stderr, "no command given") {
		t.Errorf("exit code %d, stderr %q; want 2 and the reason", code, stderr)
	}
}

func TestStackForwardsSignalsToTheCommand(t *testing.T) {
	t.Setenv("TEST_DATABASE_URL", "postgres://given/db")
	t.Setenv("TEST_NATS_URL", "nats://given:4222")
	ready := filepath.Join(t.TempDir(), "ready")
	t.Setenv("READY_FILE", ready)

	signals := make(chan os.Signal, 1)
	result := make(chan int, 1)
	go func() {
		code, _ := runCLI(t, signals, "stack", "--", "sh", "-c",
			`trap 'exit 7' TERM; touch "$READY_FILE"; while :; do sleep 0.05; done`)
		result <- code
	}()
	waitForFile(t, ready)
	signals <- syscall.SIGTERM

	select {
	case code := <-result:
		if code != 7 {
			t.Errorf("exit code = %d, want 7 from the command's TERM trap", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the command did not stop: SIGTERM was not forwarded")
	}
}

// TestStackProvisionsServersAndRemovesThem runs real servers: a PostgreSQL
// cluster (system binaries) and an embedded NATS server.
func TestStackProvisionsServersAndRemovesThem(t *testing.T) {
	// Empty counts as unset, so the stack must start its own servers.
	t.Setenv("TEST_DATABASE_URL", "")
	t.Setenv("TEST_NATS_URL", "")
	tests := []struct {
		name   string
		script string
		want   int
	}{
		{"command sees both URLs", `test -n "$TEST_DATABASE_URL" && test -n "$TEST_NATS_URL"`, 0},
		{"command sees both data directories", `test -f "$TEST_PG_DATA/PG_VERSION" && test -d "$TEST_NATS_STORE"`, 0},
		{"failing command's code", `test -n "$TEST_DATABASE_URL" && exit 3`, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := postgresReachableTempDir(t)
			code, stderr := runCLI(t, nil, "stack", "--data", parent, "--", "sh", "-c", tt.script)
			if code != tt.want {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
			if !strings.Contains(stderr, "started postgres") || !strings.Contains(stderr, "started nats") {
				t.Errorf("stderr = %q, want a line saying what was started", stderr)
			}
			if left, _ := os.ReadDir(parent); len(left) != 0 {
				t.Errorf("temporary directories left behind: %v", left)
			}
			if pids := processesMentioning(t, parent); len(pids) != 0 {
				t.Errorf("processes still running from %s: %v", parent, pids)
			}
		})
	}
}

// postgresReachableTempDir is a fresh directory the postgres user can enter
// (t.TempDir is 0700, and PostgreSQL refuses to run as root, so when we are
// root it runs as postgres).
func postgresReachableTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "nuanxin-stack-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// processesMentioning lists the pids whose command line contains s (the
// postmaster's has its data directory).
func processesMentioning(t *testing.T, s string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []string
	for _, e := range entries {
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) {
			pids = append(pids, e.Name()+": "+string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
	}
	return pids
}

func waitForFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
