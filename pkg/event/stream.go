package event

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DuplicateWindow is how long JetStream remembers Nats-Msg-Id values. A relay
// that dies after publishing but before deleting its outbox rows republishes
// them on restart; within this window the stream drops those copies. Consumers
// still keep an inbox, so a copy outside the window has no second effect.
const DuplicateWindow = 10 * time.Minute

// StreamConfig is the stream of one producing service: file storage (with
// the server's sync_interval: always, an acknowledged message is on disk),
// the duplicates window, and the configured number of replicas.
func (s Subjects) StreamConfig(service string, replicas int) jetstream.StreamConfig {
	if replicas < 1 {
		replicas = 1
	}
	return jetstream.StreamConfig{
		Name:        s.Stream(service),
		Description: "events published by the " + service + " service",
		Subjects:    []string{s.Service(service)},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Duplicates:  DuplicateWindow,
		Replicas:    replicas,
		MaxAge:      365 * 24 * time.Hour,
	}
}

// EnsureStreams creates or updates the service's stream and the shared
// dead-letter stream.
func (s Subjects) EnsureStreams(ctx context.Context, js jetstream.JetStream, service string, replicas int) error {
	if _, err := js.CreateOrUpdateStream(ctx, s.StreamConfig(service, replicas)); err != nil {
		return fmt.Errorf("ensure stream %s: %w", s.Stream(service), err)
	}
	dl := jetstream.StreamConfig{
		Name:        s.DeadLetterStream(),
		Description: "messages a consumer gave up on, for an operator to inspect and replay",
		Subjects:    []string{s.ns() + ".deadletter.>"},
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
		MaxAge:      90 * 24 * time.Hour,
	}
	if _, err := js.CreateOrUpdateStream(ctx, dl); err != nil {
		return fmt.Errorf("ensure stream %s: %w", dl.Name, err)
	}
	return nil
}
