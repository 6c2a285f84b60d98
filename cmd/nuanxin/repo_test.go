package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindRepoRoot(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "services", "registry", "cmd")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := findRepoRoot(deep); err == nil {
		t.Fatal("found a root without go.work")
	}
	if err := os.WriteFile(filepath.Join(root, "go.work"), []byte("go 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, start := range []string{root, deep} {
		got, err := findRepoRoot(start)
		if err != nil || got != root {
			t.Errorf("findRepoRoot(%s) = %s, %v; want %s", start, got, err, root)
		}
	}
}

func TestCleanupsRunLastFirstAndReportEveryFailure(t *testing.T) {
	var order []string
	var c cleanups
	for _, name := range []string{"dir", "postgres", "nats"} {
		c.add(func(ctx context.Context) error {
			order = append(order, name)
			if name != "postgres" {
				return errors.New(name + " failed")
			}
			return nil
		})
	}
	err := c.run(t.Context())
	if got := strings.Join(order, ","); got != "nats,postgres,dir" {
		t.Errorf("order = %s, want nats,postgres,dir", got)
	}
	if err == nil || !strings.Contains(err.Error(), "nats failed") || !strings.Contains(err.Error(), "dir failed") {
		t.Errorf("err = %v, want both failures", err)
	}
	if err := c.run(t.Context()); err != nil {
		t.Errorf("second run = %v, want nothing left to run", err)
	}
}
