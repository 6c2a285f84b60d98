package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// testStack is the whole stack as `nuanxin dev` runs it — its own
// Postgres, every service as a process on the dev ports, NATS from the
// test — with the demo data seeded.
type testStack struct {
	d    *devStack
	data string
	nats *server.Server
	sum  summary
	logs *lockedBuffer
}

// startTestStack starts the stack, or skips the test when the dev ports
// are taken (a make run going). The services inherit the test's
// environment, so t.Setenv before it configures them. At cleanup it fails
// the test if a service exited on its own, then stops everything.
func startTestStack(t *testing.T, ctx context.Context) *testStack {
	t.Helper()
	for _, svc := range devServices() {
		if err := checkPortFree(svc.Addr); err != nil {
			t.Skipf("the dev stack's ports are taken (a make run going?): %v", err)
		}
	}
	root, err := findRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testStack{data: postgresReachableTempDir(t), logs: &lockedBuffer{}}
	ts.nats = testenv.NATSServer(t, 0, "")
	t.Setenv("NATS_URL", ts.nats.ClientURL())
	t.Setenv("DATABASE_URL", "")
	ts.d = &devStack{
		opts: devOptions{root: root, dataDir: ts.data, seedsDir: filepath.Join(root, "..", "shared", "seeds"), pgPort: freePort(t)},
		log:  slog.New(slog.NewTextHandler(ts.logs, nil)),
		std:  stdio{in: strings.NewReader(""), out: ts.logs, err: ts.logs},
		// Room for every service's end (and a restarted one's), so the
		// reporting goroutines never block.
		exited: make(chan *process, 2*len(devServices())),
	}
	t.Cleanup(func() {
		if err := ts.d.stops.run(context.Background()); err != nil {
			t.Logf("stopping the stack: %v", err)
		}
	})
	if ts.sum, err = ts.d.start(ctx); err != nil {
		t.Fatalf("start the stack: %v\n%s", err, lastLines(ts.logs.String(), 40))
	}
	t.Cleanup(func() { // runs before the stop above
		select {
		case p := <-ts.d.exited:
			t.Errorf("%s exited during the test (%v):\n%s", p.svc.Name, p.waitErr, logTail(p.logPath, p.logStart, logTailLines))
		default:
		}
	})
	return ts
}
