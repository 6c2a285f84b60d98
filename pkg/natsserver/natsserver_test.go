package natsserver_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/natsserver"
)

func start(t *testing.T, storeDir string) *server.Server {
	t.Helper()
	s, err := natsserver.Start(natsserver.Options{StoreDir: storeDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func jetStream(t *testing.T, s *server.Server) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(natsserver.URL(s))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func TestMessagesSurviveRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	storeDir := t.TempDir()

	s := start(t, storeDir)
	js := jetStream(t, s)
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:     "ORDERS",
		Subjects: []string{"orders.>"},
		Storage:  jetstream.FileStorage,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "orders.created", []byte("order 1")); err != nil {
		t.Fatal(err)
	}
	s.Shutdown()
	s.WaitForShutdown()

	s = start(t, storeDir)
	stream, err := jetStream(t, s).Stream(ctx, "ORDERS")
	if err != nil {
		t.Fatal(err)
	}
	got, err := stream.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Data) != "order 1" {
		t.Errorf("got %q, want %q", got.Data, "order 1")
	}
}

func TestPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	begin := time.Now()
	s, err := natsserver.Start(natsserver.Options{Port: port, StoreDir: t.TempDir()})
	if err == nil {
		s.Shutdown()
		t.Fatal("Start succeeded on a port that is in use")
	}
	if !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("error %q does not say the address is in use", err)
	}
	if time.Since(begin) > 5*time.Second {
		t.Errorf("took %s to notice the port is taken", time.Since(begin))
	}
}
