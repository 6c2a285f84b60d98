package main

import (
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDevArgs(t *testing.T) {
	root, err := findRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantData string
		wantPort int
		wantErr  string
	}{
		{name: "defaults: .data at the repository root, port 5433", wantData: filepath.Join(root, ".data"), wantPort: 5433},
		{name: "flags override", args: []string{"--data", "/tmp/x", "--pg-port", "6543"}, wantData: "/tmp/x", wantPort: 6543},
		{name: "a relative data directory is made absolute", args: []string{"--data", "rel"}, wantData: mustAbs(t, "rel"), wantPort: 5433},
		{name: "port out of range", args: []string{"--pg-port", "0"}, wantErr: "--pg-port 0 is not a port"},
		{name: "stray argument", args: []string{"now"}, wantErr: `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := parseDevArgs(tt.args, stdio{err: io.Discard})
			if tt.wantErr != "" {
				var ee *exitError
				if !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %v, want a usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if opts.root != root || opts.dataDir != tt.wantData || opts.pgPort != tt.wantPort {
				t.Errorf("got root %s, data %s, port %d; want %s, %s, %d", opts.root, opts.dataDir, opts.pgPort, root, tt.wantData, tt.wantPort)
			}
		})
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func TestCheckPortFreeSaysWhenAPortIsTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	err = checkPortFree(addr)
	if err == nil || err.Error() != addr+" is already in use" {
		t.Errorf("checkPortFree(taken) = %v, want %q", err, addr+" is already in use")
	}
	l.Close()
	if err := checkPortFree(addr); err != nil {
		t.Errorf("checkPortFree(free) = %v", err)
	}
}
