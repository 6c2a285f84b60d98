// Command stats serves the district's figures. It only wires: the process
// (pkg/app) plus what is the stats service's own — the consumers that
// archive the other services' events and the projector that turns the
// archive into figures.
//
//	stats          run the service
//	stats migrate  apply migrations and exit
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/nuanxin/nuanxin/pkg/app"
	"github.com/nuanxin/nuanxin/pkg/config"
	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/services/stats"
)

func service() app.Service {
	return app.Service{Name: "stats", Schema: stats.Schema, Migrations: stats.Migrations(), DefaultAddr: "127.0.0.1:8085"}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("stats stopped", "service", "stats", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "migrate" {
		return app.Migrate(ctx, service())
	}
	var env config.Env
	settings := app.LoadSettings(&env, service())
	if err := env.Err(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	rt, err := app.Start(ctx, service(), settings)
	if err != nil {
		return err
	}
	defer rt.Close()
	svc := stats.NewService(rt.Pool, nil)
	handler := stats.NewHTTPHandler(svc, rt.Verifier, idempotency.Keys{Pool: rt.Pool}, rt.Metrics, rt.Log, rt.Checks()...)
	wake := make(chan struct{}, 1)
	projector := &stats.Projector{Pool: rt.Pool, Log: rt.Log, Wake: wake, Metrics: stats.NewMetrics(rt.Metrics, rt.Pool)}
	stats.RegisterFigureGauges(rt.Metrics, rt.Pool)
	jobs := []app.Job{projector.Run}
	for _, c := range stats.Consumers(rt.Pool, rt.JS, rt.Subjects, rt.Log, consume.NewMetrics(rt.Metrics), wake) {
		jobs = append(jobs, c.RunUntilDone)
	}
	return rt.Serve(ctx, handler, jobs...)
}
