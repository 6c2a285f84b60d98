package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// findRepoRoot returns the directory holding go.work, starting at dir and
// walking up, so the CLI works from any directory inside the repository.
func findRepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for start := dir; ; {
		_, err := os.Stat(filepath.Join(dir, "go.work"))
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("find repository root: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find repository root: no go.work in %s or any parent; run nuanxin inside the repository", start)
		}
		dir = parent
	}
}

// defaultDataDir is the .data directory at the repository root, or .data in
// the working directory when we are not inside the repository.
func defaultDataDir() string {
	if root, err := findRepoRoot("."); err == nil {
		return filepath.Join(root, ".data")
	}
	return ".data"
}

// cleanups are stop functions of things a command started. run calls them
// in reverse order (what started last stops first) and reports every
// failure.
type cleanups []func(context.Context) error

// add registers f to run at cleanup.
func (c *cleanups) add(f func(context.Context) error) { *c = append(*c, f) }

// run calls every registered function, last first, and forgets them.
func (c *cleanups) run(ctx context.Context) error {
	var errs []error
	for i := len(*c) - 1; i >= 0; i-- {
		if err := (*c)[i](ctx); err != nil {
			errs = append(errs, err)
		}
	}
	*c = nil
	return errors.Join(errs...)
}

// cancelOnSignal calls cancel when the first signal arrives, for the phases
// of a command that must stop early on Ctrl-C. The returned stop ends the
// watching; signals arriving after it stay in the channel for whoever reads
// it next.
func cancelOnSignal(signals <-chan os.Signal, cancel context.CancelFunc) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		select {
		case <-signals:
			cancel()
		case <-done:
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
