// Package app runs a nuanxin service process: the settings every service
// reads, the database pool bound to the service's schema and migrated, the
// NATS connection, the outbox relay, the service's background jobs and its
// HTTP server, and a graceful shutdown. A service's main only adds what is
// its own (its domain, its handler, its jobs).
package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/config"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/metrics"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/places"
)

// Service names what is being run.
type Service struct {
	Name        string      // "registry": the stream, the log field
	Schema      string      // its Postgres schema
	Migrations  []db.Source // applied at start
	DefaultAddr string      // HTTP_ADDR when unset, e.g. "127.0.0.1:8081"
}

// Settings are what every service reads from its environment.
type Settings struct {
	DatabaseURL string
	NATSURL     string
	Namespace   string
	Replicas    int
	// Streams are the byte limits of the service's stream and of the
	// dead-letter stream (NATS_STREAM_MAX_BYTES, NATS_DEADLETTER_MAX_BYTES).
	Streams   event.StreamLimits
	HTTPAddr  string
	PublicKey []byte // PEM
	// JWKSURL is the identity service's published keys
	// (AUTH_JWKS_URL): tokens are checked with the key their kid names,
	// and a rotated key is taken without a restart. PublicKey, when set
	// too, stays accepted (the development key).
	JWKSURL string
	// JWKSMaxAge is how long the published keys are used before they are
	// fetched again (AUTH_JWKS_MAX_AGE, default 5m): a retired key is
	// refused within it.
	JWKSMaxAge time.Duration
	LogLevel   slog.Level
}

// LoadSettings reads the common settings into env's error list; the caller
// reads its own settings from the same env and checks env.Err() once.
func LoadSettings(env *config.Env, svc Service) Settings {
	s := Settings{
		DatabaseURL: env.Required("DATABASE_URL"),
		NATSURL:     env.String("NATS_URL", nats.DefaultURL),
		Namespace:   env.String("NATS_NAMESPACE", event.DefaultNamespace),
		Replicas:    env.Int("NATS_REPLICAS", 1),
		Streams: event.StreamLimits{
			MaxBytes:           env.Bytes("NATS_STREAM_MAX_BYTES", event.DefaultStreamMaxBytes),
			DeadLetterMaxBytes: env.Bytes("NATS_DEADLETTER_MAX_BYTES", event.DefaultDeadLetterMaxBytes),
		},
		HTTPAddr: env.String("HTTP_ADDR", svc.DefaultAddr),
	}
	env.Check(s.LogLevel.UnmarshalText([]byte(env.String("LOG_LEVEL", "info"))) == nil, "LOG_LEVEL", "must be debug, info, warn or error")
	s.JWKSURL = env.String("AUTH_JWKS_URL", "")
	s.JWKSMaxAge = env.Duration("AUTH_JWKS_MAX_AGE", 5*time.Minute)
	env.Check(s.JWKSMaxAge >= time.Second && s.JWKSMaxAge <= time.Hour, "AUTH_JWKS_MAX_AGE", "between 1s and 1h")
	switch pemText, path := env.String("AUTH_PUBLIC_KEY", ""), env.String("AUTH_PUBLIC_KEY_FILE", ""); {
	case pemText != "":
		s.PublicKey = []byte(pemText)
	case path != "":
		b, err := os.ReadFile(path)
		env.Check(err == nil, "AUTH_PUBLIC_KEY_FILE", fmt.Sprintf("cannot be read: %v", err))
		s.PublicKey = b
	case s.JWKSURL == "":
		env.Required("AUTH_PUBLIC_KEY_FILE") // one of the three is needed: say so
	}
	return s
}

// Migrate applies the service's migrations and returns; it needs only
// DATABASE_URL, so a deploy job can run it without the other secrets.
func Migrate(ctx context.Context, svc Service) error {
	var env config.Env
	url := env.Required("DATABASE_URL")
	if err := env.Err(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	pool, err := db.Open(ctx, url, svc.Schema)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, svc.Schema, svc.Migrations...); err != nil {
		return err
	}
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Info("migrations applied", "service", svc.Name)
	return nil
}

// Runtime is a started service process: what its domain and handler use.
type Runtime struct {
	Service  Service
	Settings Settings
	Log      *slog.Logger
	Pool     *pgxpool.Pool
	NC       *nats.Conn
	JS       jetstream.JetStream
	Subjects event.Subjects
	Metrics  *prometheus.Registry
	Verifier auth.Verifier
	// Bell connects the service's outbox writers to its relay (Outbox).
	Bell *outbox.Bell
}

// Outbox is the writer a service adds its events with: its relay hears of
// them from the process's Bell rather than a NOTIFY while it leads.
func (rt *Runtime) Outbox() outbox.Writer {
	return outbox.Writer{Subjects: rt.Subjects, Bell: rt.Bell}
}

// Start opens and migrates the database and connects to NATS. The process
// starts even when NATS is down: writes go to the outbox, and the relay
// publishes them once the broker is back.
func Start(ctx context.Context, svc Service, s Settings) (*Runtime, error) {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: s.LogLevel})).With("service", svc.Name)
	var key ed25519.PublicKey
	if len(s.PublicKey) > 0 {
		var err error
		if key, err = auth.ParsePublicKey(s.PublicKey); err != nil {
			return nil, fmt.Errorf("auth public key: %w", err)
		}
	}
	var keys *auth.KeySet
	if s.JWKSURL != "" {
		keys = &auth.KeySet{URL: s.JWKSURL, MaxAge: s.JWKSMaxAge, MinRefresh: min(10*time.Second, s.JWKSMaxAge)}
	}
	pool, err := db.Open(ctx, s.DatabaseURL, svc.Schema)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx, pool, svc.Schema, svc.Migrations...); err != nil {
		pool.Close()
		return nil, err
	}
	// No reconnect buffer: a publish that cannot be sent must fail, not be
	// sent after later ones (the relay's order).
	nc, err := nats.Connect(s.NATSURL, nats.Name(svc.Name), nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1), nats.ReconnectWait(time.Second), nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("nats disconnected", "err", err) }),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("nats reconnected") }))
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("nats: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		pool.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	reg := metrics.NewRegistry()
	metrics.RegisterPool(reg, pool)
	outbox.RegisterBacklog(reg, pool)
	subjects := event.Subjects{Namespace: s.Namespace}
	outbox.RegisterStreamUsage(reg, js, subjects.Stream(svc.Name), subjects.DeadLetterStream())
	return &Runtime{Service: svc, Settings: s, Log: log, Pool: pool, NC: nc, JS: js,
		Subjects: subjects, Metrics: reg, Bell: outbox.NewBell(),
		// Every service's schema has the streets and communities the
		// registry created (its own tables, or pkg/places' projection):
		// a token naming another is refused.
		Verifier: auth.Verifier{Key: key, Keys: keys, Places: places.NewKnown(pool), Log: log, Verified: &auth.Verified{}}}, nil
}

// Close releases the connections.
func (rt *Runtime) Close() {
	rt.NC.Close()
	rt.Pool.Close()
}

// Checks are the readiness checks: Postgres answers and NATS is connected.
func (rt *Runtime) Checks() []httpx.Check {
	return []httpx.Check{
		{Name: "postgres", Fn: rt.Pool.Ping},
		{Name: "nats", Fn: func(context.Context) error {
			if !rt.NC.IsConnected() {
				return errors.New(strings.ToLower(rt.NC.Status().String()))
			}
			return nil
		}},
	}
}

// Job is a background loop owned by the process: it runs until ctx ends.
type Job func(ctx context.Context)

// Serve runs the outbox relay, the jobs and the HTTP server until ctx is
// cancelled (SIGINT/SIGTERM), then stops taking requests, lets in-flight
// ones finish, and stops the jobs and the relay.
func (rt *Runtime) Serve(ctx context.Context, handler http.Handler, jobs ...Job) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()

	wg.Go(func() { rt.relay(runCtx) })
	for _, job := range jobs {
		wg.Go(func() { job(runCtx) })
	}

	srv := httpx.NewServer(rt.Settings.HTTPAddr, handler)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	rt.Log.Info(rt.Service.Name+" listening", "addr", rt.Settings.HTTPAddr, "nats", rt.Settings.NATSURL)

	select {
	case <-ctx.Done():
		rt.Log.Info("shutting down")
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	}
	shutCtx, shutCancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer shutCancel()
	err := srv.Shutdown(shutCtx)
	cancel() // stop the jobs and the relay after in-flight requests have committed
	return err
}

// relay ensures the service's streams (retrying while NATS is unreachable)
// and then runs the outbox relay.
func (rt *Runtime) relay(ctx context.Context) {
	for ctx.Err() == nil {
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := rt.Subjects.EnsureStreamsWith(sctx, rt.JS, rt.Service.Name, rt.Settings.Replicas, rt.Settings.Streams)
		cancel()
		if err == nil {
			break
		}
		rt.Log.Warn("streams not ready, retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
	r := &outbox.Relay{Pool: rt.Pool, JS: rt.JS, Logger: rt.Log, Metrics: outbox.NewMetrics(rt.Metrics), Bell: rt.Bell}
	_ = r.Run(ctx)
}
