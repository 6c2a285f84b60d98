package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func TestEvents_printsTheNewestEventsOfAStream(t *testing.T) {
	srv := testenv.NATSServer(t, 0, "")
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	subjects := event.Subjects{}
	if err := subjects.EnsureStreams(ctx, js, "registry", 1); err != nil {
		t.Fatal(err)
	}
	for i, street := range []string{"qishan", "jianshelu", "qishan", "qishan"} {
		e, _ := event.New(event.WorkerCheckedIn, street, fmt.Sprintf("w%d", i), event.CheckInData{WorkerID: fmt.Sprintf("w%d", i)})
		raw, _ := json.Marshal(e)
		if _, err := js.Publish(ctx, subjects.For(event.WorkerCheckedIn, street), raw); err != nil {
			t.Fatal(err)
		}
	}

	cases := []struct {
		args []string
		want []string // subjects of the events printed, in order
	}{
		{[]string{"--last", "2"}, []string{`"subject": "w2"`, `"subject": "w3"`}},
		{[]string{"--last", "10", "--subject", "nuanxin.registry.jianshelu.>"}, []string{`"subject": "w1"`}},
		{[]string{"--last", "1", "--subject", "nuanxin.registry.qishan.>"}, []string{`"subject": "w3"`}},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		args := append([]string{"events", "--nats", srv.ClientURL()}, c.args...)
		if code := run(ctx, args, stdio{out: &out, err: &errb}, make(chan os.Signal)); code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, errb.String())
		}
		got := out.String()
		if n := strings.Count(got, "\n#") + 1; !strings.HasPrefix(got, "#") || n != len(c.want) {
			t.Errorf("%v printed %d events:\n%s", c.args, n, got)
			continue
		}
		pos := 0
		for _, w := range c.want {
			i := strings.Index(got[pos:], w)
			if i < 0 {
				t.Errorf("%v: %s missing or out of order in\n%s", c.args, w, got)
				break
			}
			pos += i
		}
		assertNoConsumers(t, js, "REGISTRY")
	}
}

func TestEvents_saysSoWhenThereAreNoEvents(t *testing.T) {
	srv := testenv.NATSServer(t, 0, "")
	js := jetStreamWithStreams(t, srv.ClientURL())
	publishCheckIns(t, js, "qishan")

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"an empty stream", []string{"--stream", "ACTIVITY"}, "no events on stream ACTIVITY\n"},
		{"a filter nothing matches", []string{"--subject", "nuanxin.registry.baishi.>"}, "no events on stream REGISTRY matching nuanxin.registry.baishi.>\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"events", "--nats", srv.ClientURL()}, c.args...)
			if code := run(t.Context(), args, stdio{out: &out, err: &errb}, make(chan os.Signal)); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if out.Len() != 0 || errb.String() != c.want {
				t.Errorf("stdout %q, stderr %q; want nothing and %q", out.String(), errb.String(), c.want)
			}
		})
	}
}

func TestEvents_followPrintsTheLastNThenNewOnesAndLeavesNoConsumer(t *testing.T) {
	srv := testenv.NATSServer(t, 0, "")
	js := jetStreamWithStreams(t, srv.ClientURL())
	publishCheckIns(t, js, "qishan", "qishan", "qishan")

	cases := []struct {
		name string
		last string
		want []string // subjects of the events printed, in order
	}{
		{"the newest one, then the new one", "1", []string{`"subject": "w2"`, `"subject": "new-1"`}},
		{"new ones only", "0", []string{`"subject": "new-2"`}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out lockedBuffer
			var errb bytes.Buffer
			signals := make(chan os.Signal, 1)
			code := make(chan int, 1)
			go func() {
				code <- run(t.Context(), []string{"events", "--nats", srv.ClientURL(), "--follow", "--last", c.last},
					stdio{out: &out, err: &errb}, signals)
			}()
			// Publish once the command is reading: its consumer exists.
			waitFor(t, "the command's consumer", func() bool { return consumerCount(t, js, "REGISTRY") == 1 })
			publishCheckIn(t, js, "qishan", fmt.Sprintf("new-%d", i+1))
			waitFor(t, "the new event printed", func() bool { return strings.Contains(out.String(), fmt.Sprintf(`"new-%d"`, i+1)) })

			signals <- os.Interrupt
			select {
			case got := <-code:
				if got != 0 {
					t.Fatalf("exit %d after Ctrl-C, want 0: %s", got, errb.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatal("--follow did not stop on Ctrl-C")
			}
			got := out.String()
			if n := strings.Count(got, "\n#") + 1; n != len(c.want) {
				t.Errorf("printed %d events, want %d:\n%s", n, len(c.want), got)
			}
			pos := 0
			for _, w := range c.want {
				i := strings.Index(got[pos:], w)
				if i < 0 {
					t.Errorf("%s missing or out of order in\n%s", w, got)
					break
				}
				pos += i
			}
			assertNoConsumers(t, js, "REGISTRY")
		})
	}
}

// jetStreamWithStreams connects to url and creates the streams.
func jetStreamWithStreams(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if err := (event.Subjects{}).EnsureStreams(t.Context(), js, "registry", 1); err != nil {
		t.Fatal(err)
	}
	if err := (event.Subjects{}).EnsureStreams(t.Context(), js, "activity", 1); err != nil {
		t.Fatal(err)
	}
	return js
}

// publishCheckIns publishes a check-in per street, of workers w0, w1, ….
func publishCheckIns(t *testing.T, js jetstream.JetStream, streets ...string) {
	t.Helper()
	for i, street := range streets {
		publishCheckIn(t, js, street, fmt.Sprintf("w%d", i))
	}
}

func publishCheckIn(t *testing.T, js jetstream.JetStream, street, worker string) {
	t.Helper()
	e, err := event.New(event.WorkerCheckedIn, street, worker, event.CheckInData{WorkerID: worker})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(t.Context(), (event.Subjects{}).For(event.WorkerCheckedIn, street), raw); err != nil {
		t.Fatal(err)
	}
}

func consumerCount(t *testing.T, js jetstream.JetStream, stream string) int {
	t.Helper()
	st, err := js.Stream(t.Context(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Consumers
}

// assertNoConsumers checks that the command left no consumer behind (the
// server would keep an abandoned one for minutes).
func assertNoConsumers(t *testing.T, js jetstream.JetStream, stream string) {
	t.Helper()
	if n := consumerCount(t, js, stream); n != 0 {
		t.Errorf("stream %s has %d consumers after the command ended, want 0", stream, n)
	}
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline (the machine may be busy).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedBuffer is a bytes.Buffer safe to read while a command writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
