package testenv_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// bus is a Bus on a fresh namespace with the registry's stream.
func bus(t *testing.T) *testenv.Bus {
	t.Helper()
	nc, err := nats.Connect(testenv.NATS(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	subjects := event.Subjects{Namespace: "t" + testenv.Unique()}
	if err := subjects.EnsureStreams(t.Context(), js, "registry", 1); err != nil {
		t.Fatal(err)
	}
	return &testenv.Bus{T: t, JS: js, Subjects: subjects}
}

func TestBusPublishesAndReadsBack(t *testing.T) {
	b := bus(t)
	w := b.Publish(event.WorkerRegistered, "qishan", "w1", event.WorkerData{WorkerID: "w1", Street: "qishan"})
	b.Publish(event.StreetCreated, "qishan", "qishan", map[string]string{"code": "qishan"})
	b.Republish(event.WorkerRegistered, w)

	msgs := b.Messages("registry")
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 3", len(msgs))
	}
	if msgs[0].ID != w.ID || msgs[2].ID != w.ID || msgs[0].MsgID == "" || msgs[0].MsgID == msgs[2].MsgID {
		t.Errorf("a republished event is the same event under a new message id: %+v", msgs)
	}
	if want := b.Subjects.For(event.WorkerRegistered, "qishan"); msgs[0].Subject != want {
		t.Errorf("subject %q, want %q", msgs[0].Subject, want)
	}
	if got := b.Events(event.WorkerRegistered); len(got) != 2 || got[0].Subject != "w1" {
		t.Errorf("worker.registered events: %+v", got)
	}
}

func TestBusPublishedWaitsForTheOutbox(t *testing.T) {
	b := bus(t)
	pool, err := pgxpool.New(t.Context(), testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(t.Context(), "CREATE TABLE outbox (id int); INSERT INTO outbox VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	b.Pool = pool
	// The "relay": publishes the row's event and deletes the row a little later.
	go func() {
		time.Sleep(200 * time.Millisecond)
		e, _ := event.New(event.StreetCreated, "qishan", "qishan", nil)
		raw, _ := json.Marshal(e)
		_, _ = b.JS.Publish(context.Background(), b.Subjects.For(event.StreetCreated, "qishan"), raw)
		_, _ = pool.Exec(context.Background(), "DELETE FROM outbox")
	}()
	if n := len(b.Published("registry")); n != 1 {
		t.Fatalf("%d messages once the outbox is empty, want 1", n)
	}
}

func TestBusSettledWaitsForConsumers(t *testing.T) {
	b := bus(t)
	r := &consume.Runner{Stream: b.Subjects.Stream("registry"), Durable: "d" + testenv.Unique()}
	c, err := b.JS.CreateOrUpdateConsumer(t.Context(), r.Stream, jetstream.ConsumerConfig{Durable: r.Durable, AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	b.Runners = []*consume.Runner{r}
	for range 3 {
		b.Publish(event.StreetCreated, "qishan", "qishan", nil)
	}
	var handled atomic.Int32
	go func() {
		time.Sleep(200 * time.Millisecond)
		batch, err := c.Fetch(3)
		if err != nil {
			return
		}
		for m := range batch.Messages() {
			handled.Add(1)
			_ = m.Ack()
		}
	}()
	b.Settled()
	if n := handled.Load(); n != 3 {
		t.Fatalf("settled after %d of 3 messages were handled", n)
	}
}
