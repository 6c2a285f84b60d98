package testenv

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// keptLines is how many of a service's last warnings a failed test shows.
const keptLines = 40

// FailureLog is a logger that keeps a service's warnings and errors and
// shows the last of them only if the test fails: a passing run stays
// quiet, and a failure under CI load says what the background jobs saw.
// It prints at cleanup, after the jobs have stopped, never from them (a
// test's log may not be written once the test has ended), so call it
// before starting them.
func FailureLog(t testing.TB) *slog.Logger {
	w := &lineRing{}
	t.Cleanup(func() {
		if t.Failed() {
			if lines := w.lines(); len(lines) > 0 {
				t.Logf("the service's last warnings:\n%s", strings.Join(lines, "\n"))
			}
		}
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// lineRing keeps the last keptLines lines written to it.
type lineRing struct {
	mu   sync.Mutex
	ring []string
}

func (r *lineRing) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n")) {
		r.ring = append(r.ring, string(line))
	}
	if over := len(r.ring) - keptLines; over > 0 {
		r.ring = append(r.ring[:0], r.ring[over:]...)
	}
	return len(p), nil
}

func (r *lineRing) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ring...)
}
