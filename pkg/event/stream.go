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

// How long the streams keep messages.
const (
	StreamMaxAge     = 365 * 24 * time.Hour
	DeadLetterMaxAge = 90 * 24 * time.Hour
)

// Default byte limits of the streams, as services apply them
// (NATS_STREAM_MAX_BYTES and NATS_DEADLETTER_MAX_BYTES override them).
//
// A stored event is about 1 KB: the CloudEvents envelope with its ids,
// type, time and street is some 350 bytes, the data 100–600 bytes, and
// JetStream adds the subject, the Nats-Msg-Id header and its record
// framing (~120 bytes). A district serves tens of thousands of workers;
// with 30,000 of them, a year of each stream is about:
//   - REGISTRY: census rounds (only changed rows emit), check-ins,
//     transfers, party steps, monthly pairing contacts: ~0.2 million
//     events, ~0.2 GB;
//   - ACTIVITY and POINTS: an attendance or report a month per worker and
//     a points entry for each: ~0.4–0.5 million events each, ~0.5 GB;
//   - NOTIFICATION: a delivered/failed event per push (the inbox alone
//     publishes nothing): if a fifth of the workers took four pushes a
//     week, ~1.2 million events, ~1.2 GB.
//
// 4 GiB is three times the busiest of these, so the age limit (365 days)
// bounds a stream first; the byte limit guards against a runaway producer
// or a bigger district, and the alert at 80 % says which to raise before
// it bites. JetStream reserves a stream's byte limit in the server's
// max_file_store when the stream is created and refuses a stream that does
// not fit, so every server must have room for the sum of the limits of the
// streams it holds: 4 × 4 GiB + 512 MiB = 16.5 GiB, inside the 24 GB of
// deploy/nats.
//
// Dead letters are rare (a poison message is a bug to fix, not traffic):
// 512 MiB is half a million of them.
const (
	DefaultStreamMaxBytes     int64 = 4 << 30
	DefaultDeadLetterMaxBytes int64 = 512 << 20
)

// StreamLimits bound what the streams keep, beside their age limits. When
// a stream is full it refuses new messages (jetstream.DiscardNew) rather
// than dropping old ones that consumers may not have read: the outbox
// keeps unacknowledged events, so nothing is lost, and the backlog shows
// (docs/decisions.md, "Full streams refuse new events"). A zero limit is
// no byte limit, as tests want (JetStream reserves a limit's bytes on the
// server); services always set theirs (app.Settings).
type StreamLimits struct {
	MaxBytes           int64 // each service's stream
	DeadLetterMaxBytes int64 // the shared dead-letter stream
}

// maxBytes is n as JetStream's MaxBytes: -1 for no limit.
func maxBytes(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}

// StreamConfig is the stream of one producing service without a byte
// limit (see StreamConfigWith).
func (s Subjects) StreamConfig(service string, replicas int) jetstream.StreamConfig {
	return s.StreamConfigWith(service, replicas, StreamLimits{})
}

// StreamConfigWith is the stream of one producing service: file storage
// (with the server's sync_interval: always, an acknowledged message is on
// disk), the duplicates window, the configured number of replicas, and its
// age and byte limits.
func (s Subjects) StreamConfigWith(service string, replicas int, limits StreamLimits) jetstream.StreamConfig {
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
		MaxAge:      StreamMaxAge,
		MaxBytes:    maxBytes(limits.MaxBytes),
		Discard:     jetstream.DiscardNew,
	}
}

// DeadLetterStreamConfig is the stream that keeps dead letters, shared by
// every service (each ensures it; they must agree on its limits).
func (s Subjects) DeadLetterStreamConfig(replicas int, limits StreamLimits) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        s.DeadLetterStream(),
		Description: "messages a consumer gave up on, for an operator to inspect and replay",
		Subjects:    []string{s.ns() + ".deadletter.>"},
		Storage:     jetstream.FileStorage,
		Replicas:    max(replicas, 1),
		MaxAge:      DeadLetterMaxAge,
		MaxBytes:    maxBytes(limits.DeadLetterMaxBytes),
		// A dead letter that cannot be stored stays on its own stream for
		// redelivery (consume.Runner), so refusing it loses nothing.
		Discard: jetstream.DiscardNew,
	}
}

// EnsureStreams creates or updates the service's stream and the shared
// dead-letter stream without byte limits (tests; services use
// EnsureStreamsWith and their settings).
func (s Subjects) EnsureStreams(ctx context.Context, js jetstream.JetStream, service string, replicas int) error {
	return s.EnsureStreamsWith(ctx, js, service, replicas, StreamLimits{})
}

// EnsureStreamsWith creates or updates the service's stream and the shared
// dead-letter stream with the given limits; an existing stream takes the
// new limits.
func (s Subjects) EnsureStreamsWith(ctx context.Context, js jetstream.JetStream, service string, replicas int, limits StreamLimits) error {
	for _, cfg := range []jetstream.StreamConfig{s.StreamConfigWith(service, replicas, limits), s.DeadLetterStreamConfig(replicas, limits)} {
		if _, err := js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("ensure stream %s: %w", cfg.Name, err)
		}
	}
	return nil
}
