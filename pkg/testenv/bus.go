package testenv

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/event"
)

// Bus is a test's hold on the JetStream streams of one namespace around a
// service under test: it publishes events as their producers' relays would,
// waits until the service's consumers have handled them, and reads back
// what the service published through its outbox. Use it by pointer once it
// has published.
type Bus struct {
	T        testing.TB
	JS       jetstream.JetStream
	Subjects event.Subjects
	Pool     *pgxpool.Pool     // the service's database, whose outbox Published waits to empty (nil: none)
	Runners  []*consume.Runner // the service's consumers, which Settled waits for

	mu   sync.Mutex
	last map[string]map[string]uint64 // stream, subject: sequence of the last message published there
}

// settleWithin bounds each wait of a Bus.
const settleWithin = 20 * time.Second

// Publish puts an event on its producer's stream, as that service's relay
// would, and returns it.
func (b *Bus) Publish(name event.Name, street, subject string, data any) event.Envelope {
	b.T.Helper()
	e, err := event.New(name, street, subject, data)
	if err != nil {
		b.T.Fatal(err)
	}
	b.Republish(name, e)
	return e
}

// Republish delivers an event again under a fresh message id, as a broker
// redelivery or a producer's retry would: the stream keeps both copies.
func (b *Bus) Republish(name event.Name, e event.Envelope) {
	b.T.Helper()
	raw, err := json.Marshal(e)
	if err != nil {
		b.T.Fatal(err)
	}
	subject := b.Subjects.For(name, e.Street)
	ack, err := b.JS.Publish(b.T.Context(), subject, raw, jetstream.WithMsgID(uuid.NewString()))
	if err != nil {
		b.T.Fatal(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == nil {
		b.last = map[string]map[string]uint64{}
	}
	if b.last[ack.Stream] == nil {
		b.last[ack.Stream] = map[string]uint64{}
	}
	b.last[ack.Stream][subject] = max(b.last[ack.Stream][subject], ack.Sequence)
}

// Settled waits until every one of Runners has handled and acknowledged
// everything on its stream: nothing pending, nothing unacknowledged, and
// its ack floor past the last message Publish put there for it. (A
// consumer learns of a new message a moment after the stream stored it, so
// right after a publish it may report nothing pending.)
func (b *Bus) Settled() {
	b.T.Helper()
	ctx := b.T.Context()
	Eventually(b.T, settleWithin, func() bool {
		for _, r := range b.Runners {
			c, err := b.JS.Consumer(ctx, r.Stream, r.Durable)
			if err != nil {
				return false
			}
			info, err := c.Info(ctx)
			if err != nil || info.NumPending > 0 || info.NumAckPending > 0 || info.AckFloor.Stream < b.lastFor(r) {
				return false
			}
		}
		return true
	})
}

// lastFor is the sequence of the last message Publish put on r's stream
// that r consumes (0: none).
func (b *Bus) lastFor(r *consume.Runner) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	var seq uint64
	for subject, s := range b.last[r.Stream] {
		consumed := len(r.Filters) == 0
		for _, f := range r.Filters {
			consumed = consumed || server.SubjectMatchesFilter(subject, f)
		}
		if consumed {
			seq = max(seq, s)
		}
	}
	return seq
}

// Message is one message of a stream: the event, the subject it was
// published on and its Nats-Msg-Id.
type Message struct {
	Subject string
	MsgID   string
	event.Envelope
}

// Messages returns every message now on service's stream, in stream order.
func (b *Bus) Messages(service string) []Message {
	b.T.Helper()
	ctx := b.T.Context()
	st, err := b.JS.Stream(ctx, b.Subjects.Stream(service))
	if err != nil {
		b.T.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		b.T.Fatal(err)
	}
	var out []Message
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			b.T.Fatal(err)
		}
		e, err := event.Parse(m.Data)
		if err != nil {
			b.T.Fatalf("message %d on %s: %v", seq, m.Subject, err)
		}
		out = append(out, Message{Subject: m.Subject, MsgID: m.Header.Get(jetstream.MsgIDHeader), Envelope: e})
	}
	return out
}

// Published waits until the outbox in Pool is empty, so that everything the
// service wrote is on its stream, and returns service's stream's messages.
func (b *Bus) Published(service string) []Message {
	b.T.Helper()
	if b.Pool != nil {
		ctx := b.T.Context()
		Eventually(b.T, settleWithin, func() bool {
			var n int
			if err := b.Pool.QueryRow(ctx, "SELECT count(*) FROM outbox").Scan(&n); err != nil {
				b.T.Fatal(err)
			}
			return n == 0
		})
	}
	return b.Messages(service)
}

// Events returns the events of type name that its service published, once
// its outbox is empty (Published).
func (b *Bus) Events(name event.Name) []event.Envelope {
	b.T.Helper()
	var out []event.Envelope
	for _, m := range b.Published(name.Service) {
		if m.Type == name.Type() {
			out = append(out, m.Envelope)
		}
	}
	return out
}
