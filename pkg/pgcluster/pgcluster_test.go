package pgcluster_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/pgcluster"
)

// dataDir returns a fresh directory for a cluster. Not t.TempDir: that one
// sits in a 0700 directory the postgres user cannot enter when we run as root.
func dataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgcluster-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func start(t *testing.T, dir string) *pgcluster.Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return c
}

func connect(t *testing.T, c *pgcluster.Cluster) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), c.URL("nuanxin"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestDataSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := dataDir(t)

	c := start(t, dir)
	if !strings.Contains(c.URL("x"), ":"+strconv.Itoa(c.Port())+"/x?") {
		t.Errorf("URL %q does not use port %d", c.URL("x"), c.Port())
	}
	conn := connect(t, c)
	if _, err := conn.Exec(ctx, "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('kept')"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}

	c = start(t, dir)
	var body string
	if err := connect(t, c).QueryRow(ctx, "SELECT body FROM notes").Scan(&body); err != nil {
		t.Fatal(err)
	}
	if body != "kept" {
		t.Errorf("got %q, want %q", body, "kept")
	}
}

func TestRefusesDirWithLiveCluster(t *testing.T) {
	dir := dataDir(t)
	c := start(t, dir)

	_, err := pgcluster.Start(context.Background(), pgcluster.Options{Dir: dir, Fast: true})
	if err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("second Start on %s: got %v, want an 'already running' error", dir, err)
	}
	// The first cluster must be untouched.
	if err := connect(t, c).Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestRemovesStaleLockFile(t *testing.T) {
	dir := dataDir(t)
	c := start(t, dir)
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	// A finished process's pid stands in for a postmaster that crashed.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dir, "postmaster.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(dead.Process.Pid)+"\n"+dir+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	c = start(t, dir)
	if err := connect(t, c).Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestNoBinaries(t *testing.T) {
	_, err := pgcluster.Start(context.Background(), pgcluster.Options{Dir: dataDir(t), BinDir: t.TempDir()})
	if !errors.Is(err, pgcluster.ErrNoBinaries) {
		t.Fatalf("got %v, want ErrNoBinaries", err)
	}
	for _, want := range []string{"looked in", "apt-get install postgresql-15", "DATABASE_URL"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestUnreachableDirIsExplained(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root switches to another user for postgres")
	}
	// t.TempDir's parent is mode 0700 and owned by root.
	_, err := pgcluster.Start(context.Background(), pgcluster.Options{Dir: filepath.Join(t.TempDir(), "pg")})
	if err == nil || !strings.Contains(err.Error(), "cannot enter") {
		t.Fatalf("got %v, want a 'cannot enter' error", err)
	}
}
