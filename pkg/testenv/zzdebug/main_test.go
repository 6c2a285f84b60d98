package zzdebug

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestRestart(t *testing.T) {
	for i := 0; i < 20; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		storeDir := t.TempDir()
		s := testenv.NATSServer(t, 0, storeDir)
		nc, err := nats.Connect(s.ClientURL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { t.Logf("%d disconnected %v", i, err) }),
			nats.ReconnectHandler(func(_ *nats.Conn) { t.Logf("%d reconnected", i) }),
			nats.ClosedHandler(func(_ *nats.Conn) { t.Logf("%d closed", i) }),
		)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := jetstream.New(nc)
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "OUTAGE", Subjects: []string{"outage.>"}}); err != nil {
			t.Fatal(err)
		}
		port := s.Addr().(*net.TCPAddr).Port
		s.Shutdown()
		s.WaitForShutdown()
		t.Logf("%d shut down", i)
		testenv.NATSServer(t, port, storeDir)
		t.Logf("%d restarted, status %v", i, nc.Status())
		_, err = js.Stream(ctx, "OUTAGE")
		t.Logf("%d stream: %v status %v", i, err, nc.Status())
		cancel()
		nc.Close()
	}
}
