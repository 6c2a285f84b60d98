package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	// eventsConsumerBackstop is how long the server keeps the command's
	// consumer once nobody pulls from it. The command deletes its consumer
	// when it ends; this only cleans up after a process that was killed.
	eventsConsumerBackstop = 30 * time.Second
	// eventsReadWait bounds the wait for a message that the stream's state
	// said was there (it may have aged out meanwhile), so the command ends.
	eventsReadWait = 10 * time.Second
)

// runEvents prints the last events of a stream, and with --follow keeps
// printing new ones until interrupted, like tail -f: the quickest way to see
// what a service published. It reads through an ordered consumer that it
// deletes when it ends, so it leaves nothing on the server.
func runEvents(ctx context.Context, args []string, std stdio, signals <-chan os.Signal) error {
	fs := flag.NewFlagSet("nuanxin events", flag.ContinueOnError)
	var (
		url     = fs.String("nats", envOr("NATS_URL", nats.DefaultURL), "NATS server")
		stream  = fs.String("stream", "REGISTRY", "stream to read")
		last    = fs.Int("last", 10, "how many of the newest events to print (with --follow: before the new ones; 0 for new ones only)")
		subject = fs.String("subject", "", `only events on this subject filter, e.g. "nuanxin.registry.qishan.>"`)
		follow  = fs.Bool("follow", false, "like tail -f: print the newest --last events, then new ones as they arrive, until Ctrl-C")
	)
	if err := parseFlags(fs, args, std.err); err != nil {
		return err
	}
	if *last < 0 {
		return usageErrorf("--last must not be negative")
	}
	nc, err := nats.Connect(*url, nats.Timeout(3*time.Second))
	if err != nil {
		return fmt.Errorf("connect to %s: %w", *url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer cancelOnSignal(signals, cancel)()

	st, err := js.Stream(ctx, *stream)
	if err != nil {
		return fmt.Errorf("stream %s: %w", *stream, err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(*subject))
	if err != nil {
		return fmt.Errorf("stream %s: %w", *stream, err)
	}
	plan := planEventsRead(info.State, *subject, uint64(*last))
	if plan.matching == 0 {
		// Silence would read as "the command is broken".
		what := "no events on stream " + *stream
		if *subject != "" {
			what += " matching " + *subject
		}
		if !*follow {
			fmt.Fprintln(std.err, what)
			return nil
		}
		fmt.Fprintln(std.err, what+" yet; waiting for new ones (Ctrl-C to stop)")
	}
	if !*follow && plan.want == 0 {
		return nil
	}

	cfg := jetstream.OrderedConsumerConfig{
		DeliverPolicy:     jetstream.DeliverNewPolicy,
		InactiveThreshold: eventsConsumerBackstop,
	}
	if *subject != "" {
		cfg.FilterSubjects = []string{*subject}
	}
	if plan.want > 0 {
		cfg.DeliverPolicy = jetstream.DeliverAllPolicy
		if plan.startSeq > 0 {
			cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
			cfg.OptStartSeq = plan.startSeq
		}
	}
	cons, err := js.OrderedConsumer(ctx, *stream, cfg)
	if err != nil {
		return fmt.Errorf("read %s: %w", *stream, err)
	}
	msgs, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("read %s: %w", *stream, err)
	}
	defer deleteOrderedConsumer(js, *stream, cons)
	defer msgs.Stop()

	skip, printed := plan.skip, uint64(0)
	for {
		msg, err := nextEvent(ctx, msgs, *follow)
		switch {
		case ctx.Err() != nil:
			return nil // Ctrl-C: the normal end of --follow
		case errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded):
			return nil // the rest aged out of the stream meanwhile
		case err != nil:
			return fmt.Errorf("read %s: %w", *stream, err)
		}
		md, _ := msg.Metadata()
		if skip > 0 {
			skip--
		} else {
			printEvent(std.out, msg, md)
			printed++
		}
		if *follow {
			continue
		}
		if printed >= plan.want || (md != nil && md.NumPending == 0) {
			return nil
		}
	}
}

// eventsRead is where reading starts so that the newest `want` matching
// events are printed.
type eventsRead struct {
	matching uint64 // events on the stream that match the filter
	want     uint64 // how many of them to print before following
	startSeq uint64 // the stream sequence to start at, 0 for the first
	skip     uint64 // matching events to pass over before printing
}

// planEventsRead works out where to start. Without a filter and without
// holes in the stream the start sequence is exact; otherwise reading starts
// at the beginning and skips what is too old, which costs a pass over the
// stream but never prints too few.
func planEventsRead(state jetstream.StreamState, subject string, last uint64) eventsRead {
	p := eventsRead{matching: state.Msgs}
	if subject != "" {
		p.matching = 0
		for _, n := range state.Subjects {
			p.matching += n
		}
	}
	p.want = min(last, p.matching)
	if p.want == 0 {
		return p
	}
	if subject == "" && state.NumDeleted == 0 {
		p.startSeq = state.LastSeq - p.want + 1
		return p
	}
	p.skip = p.matching - p.want
	return p
}

// nextEvent waits for the next message: until ctx ends with --follow, else
// for a bounded time, as the stream said the message was there.
func nextEvent(ctx context.Context, msgs jetstream.MessagesContext, follow bool) (jetstream.Msg, error) {
	if follow {
		return msgs.Next(jetstream.NextContext(ctx))
	}
	wait, cancel := context.WithTimeout(ctx, eventsReadWait)
	defer cancel()
	return msgs.Next(jetstream.NextContext(wait))
}

// printEvent writes one event: its stream sequence and subject, then the
// envelope indented.
func printEvent(w io.Writer, msg jetstream.Msg, md *jetstream.MsgMetadata) {
	var pretty bytes.Buffer
	if json.Indent(&pretty, msg.Data(), "  ", "  ") != nil {
		pretty.Reset()
		pretty.Write(msg.Data())
	}
	seq := uint64(0)
	if md != nil {
		seq = md.Sequence.Stream
	}
	fmt.Fprintf(w, "#%d %s\n  %s\n", seq, msg.Subject(), pretty.String())
}

// deleteOrderedConsumer removes the consumer the ordered consumer uses now,
// so the command leaves nothing on the server (the library would leave it
// until its inactivity threshold). It runs on its own deadline, as the
// command's context is usually cancelled by then.
func deleteOrderedConsumer(js jetstream.JetStream, stream string, cons jetstream.Consumer) {
	info := cons.CachedInfo()
	if info == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Not found means the server cleaned it up already; any other failure
	// leaves it to the inactivity threshold, which is short.
	_ = js.DeleteConsumer(ctx, stream, info.Name)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
