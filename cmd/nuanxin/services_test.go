package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDevServicesAreDistinctAndExist(t *testing.T) {
	root, err := findRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	names, addrs := map[string]bool{}, map[string]bool{}
	for _, svc := range devServices() {
		if names[svc.Name] || addrs[svc.Addr] {
			t.Errorf("service %s: name or address %s used twice", svc.Name, svc.Addr)
		}
		names[svc.Name], addrs[svc.Addr] = true, true
		if !strings.HasPrefix(svc.Addr, "127.0.0.1:") {
			t.Errorf("service %s listens on %s, want 127.0.0.1 only", svc.Name, svc.Addr)
		}
		if fi, err := os.Stat(filepath.Join(root, svc.Package)); err != nil || !fi.IsDir() {
			t.Errorf("service %s: package directory %s: %v", svc.Name, svc.Package, err)
		}
	}
	if devServices()[0].Name != "registry" || devServices()[0].URL() != "http://127.0.0.1:8081" {
		t.Errorf("the first service must be the registry on 127.0.0.1:8081 (the seed and the tokens use it), got %+v", devServices()[0])
	}
}

func TestServiceEnvTellsTheServiceAboutTheStack(t *testing.T) {
	svc := service{Name: "points", Addr: "127.0.0.1:8083", Env: []string{"REGISTRY_URL=http://127.0.0.1:8081"}}
	st := stackInfo{
		DatabaseURL:   "postgres://nuanxin@127.0.0.1:5433/nuanxin?sslmode=disable",
		NATSURL:       "nats://127.0.0.1:4222",
		PublicKeyFile: "/repo/.data/dev-jwt.pub",
		PII:           piiKeys{Enc: "ZW5j", Hash: "aGFzaA=="},
	}
	got := serviceEnv(svc, st)
	for _, want := range []string{
		"DATABASE_URL=postgres://nuanxin@127.0.0.1:5433/nuanxin?sslmode=disable",
		"NATS_URL=nats://127.0.0.1:4222",
		"HTTP_ADDR=127.0.0.1:8083",
		"AUTH_PUBLIC_KEY_FILE=/repo/.data/dev-jwt.pub",
		"PII_ENC_KEY=ZW5j",
		"PII_HASH_KEY=aGFzaA==",
		"LOG_LEVEL=info",
		"NATS_STREAM_MAX_BYTES=256MiB",
		"NATS_DEADLETTER_MAX_BYTES=64MiB",
		"REGISTRY_URL=http://127.0.0.1:8081",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("env lacks %s; got %q", want, got)
		}
	}
}

func TestLastLines(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"empty", "", 3, ""},
		{"fewer lines than asked", "a\nb\n", 3, "a\nb"},
		{"exactly as many", "a\nb\nc\n", 3, "a\nb\nc"},
		{"keeps the last ones", "a\nb\nc\nd\n", 2, "c\nd"},
		{"no trailing newline", "a\nb\nc", 1, "c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lastLines(tt.in, tt.n); got != tt.want {
				t.Errorf("lastLines(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
		})
	}
}

func TestLogTailShowsOnlyThisRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "svc.log")
	old := "old run\n"
	if err := os.WriteFile(path, []byte(old+"new 1\nnew 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := logTail(path, int64(len(old)), 30); got != "new 1\nnew 2" {
		t.Errorf("logTail = %q", got)
	}
}
