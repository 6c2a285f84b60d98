package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

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
	}
}
