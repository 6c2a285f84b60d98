package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConsole_journeys runs the console's browser journeys
// (services/web/ui/e2e/journeys) in Debian's Chromium against the whole
// stack as `make run` starts it, demo data and all: each journey signs in
// through the sign-in page and does what a clerk does, failing on any
// console error or refused request. `make test` builds the UI and installs
// Chromium first (tools/browser/ensure-chromium); NUANXIN_BROWSER_TESTS=off
// skips this on a machine without them. Screenshots are left in
// services/web/ui/e2e/out.
func TestConsole_journeys(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole stack and a browser")
	}
	if os.Getenv("NUANXIN_BROWSER_TESTS") == "off" {
		t.Skip("NUANXIN_BROWSER_TESTS=off")
	}
	root, err := findRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	ui := filepath.Join(root, "services", "web", "ui")
	for _, need := range []struct{ path, fix string }{
		{filepath.Join(root, "services", "web", "dist", "app", "index.html"), "build the console first: make ui"},
		{filepath.Join(ui, "node_modules", "playwright-core"), "install the UI's packages: make ui"},
		{chromiumPath(), "install Chromium: tools/browser/ensure-chromium (Debian's chromium package)"},
	} {
		if _, err := os.Stat(need.path); err != nil {
			t.Fatalf("%v: %s (or NUANXIN_BROWSER_TESTS=off to skip)", err, need.fix)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	ts := startTestStack(t, ctx)
	env := append(os.Environ(), "BASE_URL=http://"+webAddr(t), "CHROMIUM="+chromiumPath(),
		"OUT_DIR="+filepath.Join(ui, "e2e", "out"))
	for _, l := range ts.sum.Logins {
		key := map[string]string{"district_admin": "DISTRICT", "street_admin": "STREET", "community_staff": "COMMUNITY"}[l.Role]
		if key != "" {
			env = append(env, key+"_USER="+l.Username, key+"_PASSWORD="+l.Password)
		}
	}
	cmd := exec.CommandContext(ctx, "node", "e2e/run.mjs")
	cmd.Dir = ui
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	t.Logf("journeys:\n%s", out)
	if err != nil {
		t.Fatalf("the console's journeys failed (%v); screenshots in %s; the services' logs:\n%s", err,
			filepath.Join(ui, "e2e", "out"), lastLines(ts.logs.String(), 30))
	}
	if !strings.Contains(string(out), "ok ") {
		t.Fatal("no journey ran")
	}
}

// chromiumPath is the browser the journeys drive: $CHROMIUM, or Debian's.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// webAddr is the web service's address in the dev stack.
func webAddr(t *testing.T) string {
	for _, s := range devServices() {
		if s.Name == "web" {
			return s.Addr
		}
	}
	t.Fatal("the dev stack has no web service")
	return ""
}
