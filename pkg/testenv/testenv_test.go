package testenv_test

import (
	"context"
	"net"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestPostgresGivesSeparateEmptyDatabases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	names := map[string]bool{}
	for range 2 {
		conn, err := pgx.Connect(ctx, testenv.Postgres(t))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)

		var name string
		var tables int
		err = conn.QueryRow(ctx, `SELECT current_database(),
			(SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public')`).Scan(&name, &tables)
		if err != nil {
			t.Fatal(err)
		}
		if tables != 0 {
			t.Errorf("database %s has %d tables, want none", name, tables)
		}
		names[name] = true
		// Leave something behind; the other database must not see it.
		if _, err := conn.Exec(ctx, "CREATE TABLE leftover (id int)"); err != nil {
			t.Fatal(err)
		}
	}
	if len(names) != 2 {
		t.Errorf("got databases %v, want two different ones", names)
	}
}

func TestNATSSupportsJetStream(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc, err := nats.Connect(testenv.NATS(t))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	name := "S_" + testenv.Unique()
	_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{name + ".>"}})
	if err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(ctx, name+".hello", []byte("hi"))
	if err != nil {
		t.Fatal(err)
	}
	if ack.Stream != name {
		t.Errorf("ack from stream %q, want %q", ack.Stream, name)
	}
}

func TestNATSServerRestartsOnSamePortWithData(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	storeDir := t.TempDir()

	s := testenv.NATSServer(t, 0, storeDir)
	nc, err := nats.Connect(s.ClientURL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "OUTAGE", Subjects: []string{"outage.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "outage.before", []byte("1")); err != nil {
		t.Fatal(err)
	}

	port := s.Addr().(*net.TCPAddr).Port
	s.Shutdown()
	s.WaitForShutdown()
	testenv.NATSServer(t, port, storeDir)

	// The client reconnects by itself and the stream kept its message. A
	// request sent before the client noticed the old server was gone is
	// lost, so ask again until one is answered.
	var stream jetstream.Stream
	deadline := time.Now().Add(20 * time.Second)
	for {
		actx, cancel := context.WithTimeout(ctx, time.Second)
		stream, err = js.Stream(actx, "OUTAGE")
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
	if n := stream.CachedInfo().State.Msgs; n != 1 {
		t.Errorf("stream has %d messages after restart, want 1", n)
	}
}

func TestUnique(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9]{8}$`)
	seen := map[string]bool{}
	for range 1000 {
		u := testenv.Unique()
		if !valid.MatchString(u) {
			t.Fatalf("Unique() = %q, want 8 lowercase letters or digits", u)
		}
		if seen[u] {
			t.Fatalf("Unique() repeated %q", u)
		}
		seen[u] = true
	}
}

func TestWith(t *testing.T) {
	base := map[string]any{"a": 1, "b": "x"}
	got := testenv.With(base, map[string]any{"b": "y", "a": nil, "c": true})
	if want := (map[string]any{"b": "y", "c": true}); !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if want := (map[string]any{"a": 1, "b": "x"}); !reflect.DeepEqual(base, want) {
		t.Errorf("base changed to %v", base)
	}
}
