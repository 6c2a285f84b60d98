// Command activity serves the activity API. It only wires: the process
// (pkg/app) plus what is the activity service's own — the consumer that
// keeps its projection of registry's workers.
//
//	activity          run the service
//	activity migrate  apply migrations and exit
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
	"github.com/nuanxin/nuanxin/pkg/places"
	"github.com/nuanxin/nuanxin/services/activity"
)

func service() app.Service {
	return app.Service{Name: "activity", Schema: activity.Schema, Migrations: activity.Migrations(), DefaultAddr: "127.0.0.1:8082"}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("activity stopped", "service", "activity", "err", err)
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
	svc := activity.NewService(activity.NewStore(rt.Pool, rt.Outbox()))
	photoDir := os.Getenv("PHOTO_DIR")
	if photoDir == "" {
		photoDir = ".data/photos"
	}
	svc.SetPhotos(activity.DiskPhotos{Dir: photoDir})
	handler := activity.NewHTTPHandler(svc, rt.Verifier, idempotency.Keys{Pool: rt.Pool}, rt.Metrics, rt.Log, rt.Checks()...)
	m := consume.NewMetrics(rt.Metrics)
	workers := activity.WorkerConsumer(rt.Pool, rt.JS, rt.Subjects, rt.Log, m)
	known := places.Consumer("activity-places", rt.Pool, rt.JS, rt.Subjects, rt.Log, m)
	return rt.Serve(ctx, handler, workers.RunUntilDone, known.RunUntilDone)
}
