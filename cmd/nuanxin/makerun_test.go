package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// TestMakeRun_ctrlCAfterACleanStopExits0 runs `make run` the way a terminal
// does: in a process group of its own, every process in it getting SIGINT on
// Ctrl-C. After a clean stop the CLI exits 0, so make reports no error
// (through `go run`, which exits 1 whenever it is interrupted, whatever its
// program returns, every Ctrl-C ended in "make: *** [...] Error 1").
// It starts the real stack: its own Postgres, the four services, NATS from
// the test; demo data is marked as seeded, as this is about stopping.
func TestMakeRun_ctrlCAfterACleanStopExits0(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	for _, svc := range devServices() {
		if err := checkPortFree(svc.Addr); err != nil {
			t.Skipf("the dev stack's ports are taken (a make run going?): %v", err)
		}
	}
	root, err := findRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	data := postgresReachableTempDir(t)
	for _, marker := range []string{seededMarker, seededPointsMarker} {
		if err := os.WriteFile(filepath.Join(data, marker), []byte("test\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	nats := testenv.NATSServer(t, 0, "")

	cmd := exec.Command("make", "--no-print-directory", "-C", root, "run",
		"NUANXIN_BIN="+filepath.Join(data, "nuanxin"),
		"DEV_FLAGS=--data "+data+" --pg-port "+strconv.Itoa(freePort(t)))
	// Not a sub-make of whatever make runs the tests (make test): its
	// flags and jobserver are not for this one.
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return name == "MAKEFLAGS" || name == "MFLAGS" || name == "MAKELEVEL"
	})
	cmd.Env = append(env, "NATS_URL="+nats.ClientURL(), "DATABASE_URL=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// Whatever happened, nothing of the group outlives the test.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})

	// Ready when the summary is out; building the services takes a while on
	// a busy machine.
	deadline := time.After(8 * time.Minute)
	for !strings.Contains(out.String(), "\nTry:") {
		select {
		case err := <-exited:
			t.Fatalf("make run ended before the stack was up (%v):\n%s", err, out.String())
		case <-deadline:
			t.Fatalf("the stack was not up after 8 minutes:\n%s", out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}

	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		// GNU make, interrupted, waits for its recipe and then dies of the
		// same signal (a shell shows 130): that is make's own way and says
		// nothing about the recipe. A recipe that failed shows as
		// "make: *** [Makefile:…: run] Error 1" and an exit code.
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
				t.Errorf("make run exited with %v after Ctrl-C, want 0 (or make's own death by SIGINT):\n%s", ee, lastLines(out.String(), 15))
			}
		case err != nil:
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("make run did not stop within 2 minutes of Ctrl-C:\n%s", lastLines(out.String(), 15))
	}
	got := out.String()
	if !strings.Contains(got, "\nstopped\n") || strings.Contains(got, "***") {
		t.Errorf("want a clean stop (\"stopped\") and no make error:\n%s", lastLines(got, 15))
	}
	for _, svc := range devServices() {
		if err := checkPortFree(svc.Addr); err != nil {
			t.Errorf("after the stop: %v", err)
		}
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
