// Command registry serves the registry API. It only wires: configuration
// from the environment, the database (migrated at start), NATS, the outbox
// relay, the HTTP server, and a graceful shutdown on SIGINT/SIGTERM.
//
//	registry          run the service
//	registry migrate  apply migrations and exit
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/config"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/metrics"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/pii"
	"github.com/nuanxin/nuanxin/services/registry"
)

// settings is everything the registry reads from its environment.
type settings struct {
	DatabaseURL  string
	NATSURL      string
	Namespace    string
	Replicas     int
	HTTPAddr     string
	PublicKeyPEM []byte
	PIIEncKey    string
	PIIHashKey   string
	LogLevel     slog.Level
	OverdueEvery time.Duration // how often overdue pairing contacts are looked for
}

func loadSettings() (settings, error) {
	var env config.Env
	s := settings{
		DatabaseURL: env.Required("DATABASE_URL"),
		NATSURL:     env.String("NATS_URL", nats.DefaultURL),
		Namespace:   env.String("NATS_NAMESPACE", event.DefaultNamespace),
		Replicas:    env.Int("NATS_REPLICAS", 1),
		HTTPAddr:    env.String("HTTP_ADDR", "127.0.0.1:8081"),
		PIIEncKey:   env.Required("PII_ENC_KEY"),
		PIIHashKey:  env.Required("PII_HASH_KEY"),
	}
	if err := s.LogLevel.UnmarshalText([]byte(env.String("LOG_LEVEL", "info"))); err != nil {
		return s, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	s.OverdueEvery = env.Duration("PAIRING_OVERDUE_EVERY", time.Hour)
	env.Check(s.OverdueEvery > 0, "PAIRING_OVERDUE_EVERY", "must be a positive duration like 1h")
	if pemText := env.String("AUTH_PUBLIC_KEY", ""); pemText != "" {
		s.PublicKeyPEM = []byte(pemText)
	} else if path := env.Required("AUTH_PUBLIC_KEY_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return s, fmt.Errorf("AUTH_PUBLIC_KEY_FILE: %w", err)
		}
		s.PublicKeyPEM = b
	}
	return s, env.Err()
}

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("service", "registry")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		log.Error("registry stopped", "err", err)
		os.Exit(1)
	}
}

// migrate applies the migrations and stops; it needs only the database, so
// a deploy job can run it without the service's other secrets.
func migrate(ctx context.Context) error {
	var env config.Env
	url := env.Required("DATABASE_URL")
	if err := env.Err(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	pool, err := db.Open(ctx, url, registry.Schema)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, registry.Schema, registry.Migrations()...); err != nil {
		return err
	}
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Info("migrations applied", "service", "registry")
	return nil
}

func run(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "migrate" {
		return migrate(ctx)
	}
	cfg, err := loadSettings()
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel})).With("service", "registry")

	pool, err := db.Open(ctx, cfg.DatabaseURL, registry.Schema)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, registry.Schema, registry.Migrations()...); err != nil {
		return err
	}

	pubKey, err := auth.ParsePublicKey(cfg.PublicKeyPEM)
	if err != nil {
		return fmt.Errorf("auth public key: %w", err)
	}
	box, err := pii.NewBoxFromBase64(cfg.PIIEncKey, cfg.PIIHashKey)
	if err != nil {
		return fmt.Errorf("pii keys: %w", err)
	}

	// The service starts even when NATS is down: writes go to the outbox
	// and the relay publishes them once the broker is back.
	nc, err := nats.Connect(cfg.NATSURL, nats.Name("registry"), nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1), nats.ReconnectWait(time.Second), nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("nats disconnected", "err", err) }),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("nats reconnected") }))
	if err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	subjects := event.Subjects{Namespace: cfg.Namespace}

	reg := metrics.NewRegistry()
	metrics.RegisterPool(reg, pool)
	outbox.RegisterBacklog(reg, pool)
	svc := registry.NewService(registry.NewStore(pool, outbox.Writer{Subjects: subjects}, reg), box)
	handler := registry.NewHTTPHandler(svc, auth.Verifier{Key: pubKey}, idempotency.Keys{Pool: pool}, reg, log,
		httpx.Check{Name: "postgres", Fn: pool.Ping},
		httpx.Check{Name: "nats", Fn: func(context.Context) error {
			if !nc.IsConnected() {
				return errors.New(strings.ToLower(nc.Status().String()))
			}
			return nil
		}})

	var wg sync.WaitGroup
	defer wg.Wait()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	wg.Go(func() {
		// Streams must exist before the relay publishes; keep trying while
		// NATS is unreachable.
		for runCtx.Err() == nil {
			sctx, scancel := context.WithTimeout(runCtx, 5*time.Second)
			err := subjects.EnsureStreams(sctx, js, "registry", cfg.Replicas)
			scancel()
			if err == nil {
				break
			}
			log.Warn("streams not ready, retrying", "err", err)
			select {
			case <-runCtx.Done():
			case <-time.After(2 * time.Second):
			}
		}
		relay := &outbox.Relay{Pool: pool, JS: js, Logger: log, Metrics: outbox.NewMetrics(reg)}
		_ = relay.Run(runCtx)
	})

	// Spreadsheet imports run in the background; every instance takes jobs.
	wg.Go(func() { svc.RunImports(runCtx, log) })
	// Pairings without a contact last month are flagged on every instance;
	// a flag table makes each overdue event happen once.
	wg.Go(func() { registry.RunOverdueJob(runCtx, svc, cfg.OverdueEvery, log) })

	srv := &http.Server{Addr: cfg.HTTPAddr, Handler: handler, ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	log.Info("registry listening", "addr", cfg.HTTPAddr, "nats", cfg.NATSURL)

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-serveErr:
		cancel()
		return fmt.Errorf("http server: %w", err)
	}
	shutCtx, shutCancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer shutCancel()
	err = srv.Shutdown(shutCtx)
	cancel() // stop the relay after in-flight requests have committed
	return err
}
