package testenv_test

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func TestServiceWiresDatabaseStreamsAndKeys(t *testing.T) {
	t.Parallel()
	migrations := []db.Source{{Name: "things", FS: fstest.MapFS{"0001_things.sql": {Data: []byte("CREATE TABLE things (id int)")}}}}
	s := testenv.NewService(t, "things", migrations, "registry", "activity")

	var schema string
	if err := s.Pool.QueryRow(s.Ctx, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'things'").Scan(&schema); err != nil {
		t.Fatalf("the migration's table: %v", err)
	}
	if schema != "things" {
		t.Errorf("table in schema %q, want the service's", schema)
	}
	for _, producer := range []string{"registry", "activity"} {
		if _, err := s.JS.Stream(s.Ctx, s.Subjects.Stream(producer)); err != nil {
			t.Errorf("stream of %s: %v", producer, err)
		}
	}
	if !strings.HasPrefix(s.Subjects.Namespace, "t") || len(s.Subjects.Namespace) != 9 {
		t.Errorf("namespace %q, want a unique one", s.Subjects.Namespace)
	}
	if sig := ed25519.Sign(s.Key, []byte("x")); !ed25519.Verify(s.PublicKey, []byte("x"), sig) {
		t.Error("Key and PublicKey are not a pair")
	}
	if api := s.API("http://x"); api.URL != "http://x" || !api.Key.Equal(s.Key) {
		t.Errorf("API %+v, want the URL and Key", api)
	}
	if b := s.Bus(nil); b.Subjects != s.Subjects || b.Pool != s.Pool || b.JS != s.JS {
		t.Error("Bus not on the service's namespace, database and NATS")
	}
	if s.Metrics == nil || s.Log == nil {
		t.Error("no metrics registry or logger")
	}
}

func TestServiceStopsJobsAtCleanup(t *testing.T) {
	t.Parallel()
	var ctx context.Context
	stopped := make(chan struct{})
	t.Run("service", func(t *testing.T) {
		s := testenv.NewService(t, "jobs", nil)
		ctx = s.Ctx
		s.Go(func(ctx context.Context) {
			<-ctx.Done()
			time.Sleep(50 * time.Millisecond) // cleanup must wait for this
			close(stopped)
		})
	})
	select {
	case <-stopped:
	default:
		t.Fatal("cleanup did not wait for the job to return")
	}
	if ctx.Err() == nil {
		t.Error("Ctx not cancelled at cleanup")
	}
}

func TestServiceConsumeGivesRunnersTheirOwnDurables(t *testing.T) {
	t.Parallel()
	s := testenv.NewService(t, "consumer", []db.Source{consume.Migrations()}, "registry")
	runner := func() *consume.Runner {
		return &consume.Runner{Pool: s.Pool, JS: s.JS, Subjects: s.Subjects, Stream: s.Subjects.Stream("registry"),
			Durable: "svc-workers", Logger: s.Log}
	}
	a, b := runner(), runner()
	got := s.Consume([]*consume.Runner{a, b}, 10*time.Millisecond)
	if len(got) != 2 || got[0] != a || got[1] != b {
		t.Fatalf("Consume returned %v, want its runners", got)
	}
	if !strings.HasPrefix(a.Durable, "svc-workers-") || a.Durable == b.Durable {
		t.Errorf("durables %q and %q, want the name with different unique suffixes", a.Durable, b.Durable)
	}
	if len(a.Backoff) != 1 || a.Backoff[0] != 10*time.Millisecond {
		t.Errorf("backoff %v, want the one given", a.Backoff)
	}
	testenv.Eventually(t, 10*time.Second, func() bool {
		_, err := s.JS.Consumer(s.Ctx, a.Stream, a.Durable)
		return err == nil
	})

	c := runner()
	s.Consume([]*consume.Runner{c})
	if c.Backoff != nil {
		t.Errorf("backoff %v without one given, want the runner's own", c.Backoff)
	}
}
