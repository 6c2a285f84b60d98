package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
// skips this on a machine without them, E2E_JOURNEYS=name runs only those
// whose names contain it. Screenshots are left in services/web/ui/e2e/out.
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
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	ts := startTestStack(t, ctx)
	env := append(os.Environ(), "BASE_URL=http://"+webAddr(t), "CHROMIUM="+chromiumPath(),
		"OUT_DIR="+filepath.Join(ui, "e2e", "out"))
	if r := ts.sum.Rider; r != nil {
		// A rider signs in with the code the dev SMS gateway logs.
		env = append(env, "RIDER_MOBILE="+r.Mobile, "IDENTITY_LOG="+r.CodeLog)
	}
	for _, l := range ts.sum.Logins {
		key := map[string]string{"district_admin": "DISTRICT", "street_admin": "STREET", "community_staff": "COMMUNITY"}[l.Role]
		if key != "" {
			env = append(env, key+"_USER="+l.Username, key+"_PASSWORD="+l.Password)
		}
	}
	// E2E_JOURNEYS=50 runs only the journeys whose names contain it.
	cmd := exec.CommandContext(ctx, "node", "e2e/run.mjs", os.Getenv("E2E_JOURNEYS"))
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
	noSecretsInLogs(t, ts)
}

// jwtPattern is a JSON Web Token's start: a header and a payload, both
// base64url JSON objects.
var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ`)

// noSecretsInLogs fails the test if a service logged a staff password (as
// printed, or as the journeys changed it), a token, or a session cookie's
// value, through everything the journeys did.
func noSecretsInLogs(t *testing.T, ts *testStack) {
	t.Helper()
	var secrets []string
	for _, l := range ts.sum.Logins {
		secrets = append(secrets, l.Password, l.Password+"-e2e")
	}
	for _, svc := range ts.sum.Services {
		b, err := os.ReadFile(svc.LogPath)
		if err != nil {
			t.Errorf("read %s's log: %v", svc.Name, err)
			continue
		}
		for _, s := range secrets {
			if s != "" && bytes.Contains(b, []byte(s)) {
				t.Errorf("%s's log holds a staff password", svc.Name)
			}
		}
		if m := jwtPattern.Find(b); m != nil {
			t.Errorf("%s's log holds a token (%s…)", svc.Name, m)
		}
		if bytes.Contains(b, []byte("nx_session=")) {
			t.Errorf("%s's log holds a session cookie", svc.Name)
		}
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
