package event_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func TestEnsureStreams_givesEachStreamItsByteLimit(t *testing.T) {
	tests := []struct {
		name         string
		limits       event.StreamLimits
		existing     bool // the streams exist already, from before they had a byte limit
		wantMaxBytes int64
		wantDLBytes  int64
	}{
		{name: "none given: no byte limit (tests)", wantMaxBytes: -1, wantDLBytes: -1},
		{name: "the services' defaults", limits: event.StreamLimits{MaxBytes: event.DefaultStreamMaxBytes, DeadLetterMaxBytes: event.DefaultDeadLetterMaxBytes},
			wantMaxBytes: event.DefaultStreamMaxBytes, wantDLBytes: event.DefaultDeadLetterMaxBytes},
		{name: "configured", limits: event.StreamLimits{MaxBytes: 64 << 20, DeadLetterMaxBytes: 8 << 20},
			wantMaxBytes: 64 << 20, wantDLBytes: 8 << 20},
		{name: "existing unlimited streams take the limits", existing: true,
			limits:       event.StreamLimits{MaxBytes: 64 << 20, DeadLetterMaxBytes: 8 << 20},
			wantMaxBytes: 64 << 20, wantDLBytes: 8 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			js := jetStream(t)
			s := event.Subjects{}
			if tt.existing {
				for _, cfg := range []jetstream.StreamConfig{s.StreamConfig("registry", 1), s.DeadLetterStreamConfig(1, event.StreamLimits{})} {
					cfg.MaxBytes, cfg.Discard = -1, jetstream.DiscardOld
					if _, err := js.CreateStream(t.Context(), cfg); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := s.EnsureStreamsWith(t.Context(), js, "registry", 1, tt.limits); err != nil {
				t.Fatal(err)
			}
			for stream, want := range map[string]int64{"REGISTRY": tt.wantMaxBytes, s.DeadLetterStream(): tt.wantDLBytes} {
				info := streamInfo(t, js, stream)
				if info.Config.MaxBytes != want || info.Config.Discard != jetstream.DiscardNew {
					t.Errorf("%s: max bytes %d, discard %s; want %d and %s", stream, info.Config.MaxBytes, info.Config.Discard, want, jetstream.DiscardNew)
				}
				if info.Config.MaxAge == 0 {
					t.Errorf("%s lost its age limit", stream)
				}
			}
		})
	}
}

// JetStream reserves each stream's byte limit in the server's store and
// refuses a stream that does not fit: the four services' streams and the
// dead-letter stream, at the default limits, fit the max_file_store of
// deploy/nats (24 GB), with room to raise one of them.
func TestEnsureStreams_theDefaultLimitsFitTheDeployedServer(t *testing.T) {
	const maxFileStore = 24e9 // deploy/nats/nats-server.conf, single.conf
	srv, err := server.NewServer(&server.Options{Port: -1, JetStream: true, StoreDir: t.TempDir(), JetStreamMaxStore: maxFileStore, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	limits := event.StreamLimits{MaxBytes: event.DefaultStreamMaxBytes, DeadLetterMaxBytes: event.DefaultDeadLetterMaxBytes}
	for _, svc := range []string{"registry", "activity", "points", "notification"} {
		if err := (event.Subjects{}).EnsureStreamsWith(t.Context(), js, svc, 1, limits); err != nil {
			t.Fatalf("%s at the default limits: %v", svc, err)
		}
	}
	limits.MaxBytes += 4 << 30
	if err := (event.Subjects{}).EnsureStreamsWith(t.Context(), js, "registry", 1, limits); err != nil {
		t.Errorf("raising one stream's limit by 4 GiB: %v", err)
	}
}

// A full stream refuses the new event (the outbox keeps it and retries)
// and keeps every old one, which consumers may not have read yet.
func TestEnsureStreams_aFullStreamRefusesNewEventsAndKeepsTheOld(t *testing.T) {
	js := jetStream(t)
	s := event.Subjects{}
	const limit = 16 << 10
	if err := s.EnsureStreamsWith(t.Context(), js, "registry", 1, event.StreamLimits{MaxBytes: limit}); err != nil {
		t.Fatal(err)
	}
	payload := []byte(strings.Repeat("x", 1000))
	var refused error
	for i := 0; i < 2*limit/len(payload) && refused == nil; i++ {
		_, refused = js.Publish(t.Context(), s.For(event.WorkerCheckedIn, "qishan"), payload)
	}
	var apiErr *jetstream.APIError
	if !errors.As(refused, &apiErr) || !strings.Contains(strings.ToLower(apiErr.Description), "maximum bytes") {
		t.Fatalf("publishing past the limit: %v, want a refusal for maximum bytes", refused)
	}
	info := streamInfo(t, js, "REGISTRY")
	if info.State.FirstSeq != 1 || info.State.Bytes > limit {
		t.Errorf("first sequence %d, %d bytes: want the oldest event (1) kept and at most %d bytes", info.State.FirstSeq, info.State.Bytes, limit)
	}
}

// jetStream connects to a NATS server of the test's own.
func jetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	srv := testenv.NATSServer(t, 0, "")
	nc, err := nats.Connect(srv.ClientURL())
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

func streamInfo(t *testing.T, js jetstream.JetStream, name string) *jetstream.StreamInfo {
	t.Helper()
	st, err := js.Stream(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info
}
