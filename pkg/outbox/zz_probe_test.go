package outbox_test

import (
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/natsserver"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func TestProbeCrashMidBatch(t *testing.T) {
	for it := range 12 {
		t.Run(fmt.Sprint(it), func(t *testing.T) {
			storeDir := t.TempDir()
			srv := testenv.NATSServer(t, 0, storeDir)
			port := srv.Addr().(*net.TCPAddr).Port
			e := setup(t, natsserver.URL(srv), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond), nats.RetryOnFailedConnect(true))
			w := outbox.Writer{Subjects: e.subj}
			// 3000 rows in one go
			tx, _ := e.pool.Begin(e.ctx)
			for range 3000 {
				if _, err := w.Add(e.ctx, tx, event.WorkerCheckedIn, "s01", "w", event.CheckInData{WorkerID: "w"}); err != nil {
					t.Fatal(err)
				}
			}
			tx.Commit(e.ctx)
			rows, _ := e.pool.Query(e.ctx, "SELECT event_id FROM outbox ORDER BY id")
			want, _ := pgx.CollectRows(rows, pgx.RowTo[string])
			run(t, &outbox.Relay{Pool: e.pool, JS: e.js, AckTimeout: 500 * time.Millisecond, PollInterval: 100 * time.Millisecond})
			time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
			srv.Shutdown()
			srv.WaitForShutdown()
			testenv.NATSServer(t, port, storeDir)
			eventually(t, 30*time.Second, "drain", func() bool { return e.outboxRows(t) == 0 })
			got := e.streamEventIDs(t)
			if !slices.Equal(got, want) {
				first := 0
				for first < len(got) && first < len(want) && got[first] == want[first] {
					first++
				}
				t.Errorf("ORDER VIOLATION: %d msgs, first difference at %d", len(got), first)
			} else {
				t.Logf("in order, %d", len(got))
			}
		})
	}
}
