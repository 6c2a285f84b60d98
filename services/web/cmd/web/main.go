// Command web serves the street-office console and the riders' pages, and
// is their backend-for-frontend. It only wires: config, the database
// (schema web, its sessions), the HTTP server and the sessions' pruner.
//
// It does not use pkg/app's runtime: that connects to NATS, runs an outbox
// relay and creates a stream for the service, and web has no events; it
// needs no token verifier either (it holds tokens, the services check
// them). What it shares with every service — the pool and migrations, the
// HTTP server, health, metrics and logs — comes from the same packages.
//
//	web          run the service
//	web migrate  apply migrations and exit
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nuanxin/nuanxin/pkg/app"
	"github.com/nuanxin/nuanxin/pkg/clientip"
	"github.com/nuanxin/nuanxin/pkg/config"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/metrics"
	"github.com/nuanxin/nuanxin/services/web"
)

func service() app.Service {
	return app.Service{Name: "web", Schema: web.Schema, Migrations: web.Migrations(), DefaultAddr: "127.0.0.1:8080"}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("web stopped", "service", "web", "err", err)
		os.Exit(1)
	}
}

// upstreamEnv names the variable of each service's base URL.
func upstreamEnv(name string) string { return strings.ToUpper(name) + "_URL" }

func run(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "migrate" {
		return app.Migrate(ctx, service())
	}
	var env config.Env
	svcInfo := service()
	databaseURL := env.Required("DATABASE_URL")
	addr := env.String("HTTP_ADDR", svcInfo.DefaultAddr)
	var level slog.Level
	env.Check(level.UnmarshalText([]byte(env.String("LOG_LEVEL", "info"))) == nil, "LOG_LEVEL", "must be debug, info, warn or error")
	keyText := env.Required("WEB_SESSION_KEY")
	origin := env.Required("WEB_ORIGIN")
	tileURL := env.String("WEB_TILE_URL", "")
	trusted, err := clientip.ParseTrusted(env.String("WEB_TRUSTED_PROXIES", ""))
	env.Check(err == nil, "WEB_TRUSTED_PROXIES", "comma-separated CIDR prefixes, e.g. 10.0.0.0/8")
	idle := env.Duration("WEB_SESSION_IDLE", web.IdleTimeout)
	env.Check(idle >= time.Minute, "WEB_SESSION_IDLE", "at least 1m")
	maxBody := env.Bytes("WEB_MAX_BODY", web.MaxBody)
	env.Check(maxBody > 0, "WEB_MAX_BODY", "a positive size like 33MiB")
	if u, err := url.Parse(origin); origin != "" {
		env.Check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && (u.Path == "" && u.RawQuery == ""),
			"WEB_ORIGIN", "an origin: scheme://host[:port], nothing after")
	}
	tiles, err := web.TileOrigin(tileURL)
	env.Check(err == nil, "WEB_TILE_URL", "a tile URL template: https://host/path/{z}/{x}/{y}.png")
	upstreams := map[string]*url.URL{}
	for _, name := range web.ServiceNames() {
		key := upstreamEnv(name)
		var text string
		if name == "identity" || name == "registry" {
			text = env.Required(key)
		} else {
			text = env.String(key, "")
		}
		if text == "" {
			continue
		}
		u, err := url.Parse(text)
		env.Check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "", key, "a base URL like http://127.0.0.1:8081")
		upstreams[name] = u
	}
	if err := env.Err(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(keyText))
	if err != nil || len(key) != 32 {
		// Not err itself: its message may quote part of the key.
		return errors.New("configuration: WEB_SESSION_KEY must be 32 bytes in standard base64 (openssl rand -base64 32)")
	}

	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("service", "web")
	pool, err := db.Open(ctx, databaseURL, web.Schema)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, web.Schema, web.Migrations()...); err != nil {
		return err
	}
	reg := metrics.NewRegistry()
	metrics.RegisterPool(reg, pool)
	svc, err := web.NewService(pool, web.Config{Upstreams: upstreams, Origin: origin, TileURL: tileURL, TileOrigin: tiles, TrustedProxies: trusted, SessionKey: key,
		IdleTimeout: idle, MaxBody: maxBody}, reg, log)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	handler := web.NewHTTPHandler(svc, reg, log, httpx.Check{Name: "postgres", Fn: pool.Ping})
	return serve(ctx, addr, handler, log, func(ctx context.Context) { web.RunPruner(ctx, svc, 10*time.Minute, log) })
}

// serve runs the HTTP server and the jobs until ctx ends, then lets
// in-flight requests finish and stops the jobs.
func serve(ctx context.Context, addr string, handler http.Handler, log *slog.Logger, jobs ...func(context.Context)) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	jobCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, job := range jobs {
		wg.Go(func() { job(jobCtx) })
	}
	srv := httpx.NewServer(addr, handler)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	log.Info("web listening", "addr", addr)
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-serveErr:
		return fmt.Errorf("http server: %w", err)
	}
	shutCtx, shutCancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer shutCancel()
	err := srv.Shutdown(shutCtx)
	cancel()
	return err
}
