package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// runEvents prints the last events of a stream, and with --follow keeps
// printing new ones until interrupted: the quickest way to see what a
// service published.
func runEvents(ctx context.Context, args []string, std stdio, signals <-chan os.Signal) error {
	fs := flag.NewFlagSet("nuanxin events", flag.ContinueOnError)
	var (
		url     = fs.String("nats", envOr("NATS_URL", nats.DefaultURL), "NATS server")
		stream  = fs.String("stream", "REGISTRY", "stream to read")
		last    = fs.Int("last", 10, "how many of the newest events to print")
		subject = fs.String("subject", "", `only events on this subject filter, e.g. "nuanxin.registry.qishan.>"`)
		follow  = fs.Bool("follow", false, "keep printing new events until Ctrl-C")
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
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-signals:
			cancel()
		case <-ctx.Done():
		}
	}()

	st, err := js.Stream(ctx, *stream)
	if err != nil {
		return fmt.Errorf("stream %s: %w", *stream, err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(*subject))
	if err != nil {
		return fmt.Errorf("stream %s: %w", *stream, err)
	}
	// Start far enough back to find `last` matching messages: with a filter
	// every message may not match, so count matching ones per subject.
	matching := info.State.Msgs
	if *subject != "" {
		matching = 0
		for _, n := range info.State.Subjects {
			matching += n
		}
	}
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverNewPolicy}
	if *subject != "" {
		cfg.FilterSubjects = []string{*subject}
	}
	skip := uint64(0)
	if *last > 0 && matching > 0 {
		cfg.DeliverPolicy = jetstream.DeliverAllPolicy
		if matching > uint64(*last) {
			skip = matching - uint64(*last)
		}
	}
	cons, err := js.OrderedConsumer(ctx, *stream, cfg)
	if err != nil {
		return fmt.Errorf("read %s: %w", *stream, err)
	}
	printed := uint64(0)
	for ctx.Err() == nil {
		// Short waits: in --follow mode the loop looks at ctx between them.
		msg, err := cons.Next(jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if !*follow {
				return nil
			}
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		md, _ := msg.Metadata()
		var pretty bytes.Buffer
		if json.Indent(&pretty, msg.Data(), "  ", "  ") != nil {
			pretty.Reset()
			pretty.Write(msg.Data())
		}
		seq := uint64(0)
		if md != nil {
			seq = md.Sequence.Stream
		}
		fmt.Fprintf(std.out, "#%d %s\n  %s\n", seq, msg.Subject(), pretty.String())
		printed++
		if !*follow && printed >= uint64(*last) {
			return nil
		}
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
