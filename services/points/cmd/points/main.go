// Command points serves the volunteer-points API. It only wires: the
// process (pkg/app) plus what is the points service's own — the consumers
// that open accounts from registry events and credit activity events.
//
//	points          run the service
//	points migrate  apply migrations and exit
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/nuanxin/nuanxin/pkg/app"
	"github.com/nuanxin/nuanxin/pkg/config"
	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/services/points"
)

func service() app.Service {
	return app.Service{Name: "points", Schema: points.Schema, Migrations: points.Migrations(), DefaultAddr: "127.0.0.1:8083"}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("points stopped", "service", "points", "err", err)
		os.Exit(1)
	}
}

// starHours reads POINTS_STAR_HOURS, five ascending hour counts for one to
// five stars ("100,300,600,1000,1500" by default).
func starHours(s string) ([]int, error) {
	if s == "" {
		return points.DefaultStarHours, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) != 5 {
		return nil, fmt.Errorf("POINTS_STAR_HOURS: want five hour counts for one to five stars, got %q", s)
	}
	out := make([]int, 5)
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n <= 0 || (i > 0 && n <= out[i-1]) {
			return nil, fmt.Errorf("POINTS_STAR_HOURS: want five ascending positive whole numbers, got %q", s)
		}
		out[i] = n
	}
	return out, nil
}

func run(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "migrate" {
		return app.Migrate(ctx, service())
	}
	var env config.Env
	settings := app.LoadSettings(&env, service())
	stars, starErr := starHours(os.Getenv("POINTS_STAR_HOURS"))
	if err := env.Err(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if starErr != nil {
		return fmt.Errorf("configuration: %w", starErr)
	}
	rt, err := app.Start(ctx, service(), settings)
	if err != nil {
		return err
	}
	defer rt.Close()
	svc := points.NewService(points.NewStore(rt.Pool, rt.Outbox(), rt.Metrics), stars)
	// Thresholds may have changed since the last start.
	if n, err := svc.Restar(ctx); err != nil {
		return err
	} else if n > 0 {
		rt.Log.Info("star levels brought in line with POINTS_STAR_HOURS", "accounts", n)
	}
	handler := points.NewHTTPHandler(svc, rt.Verifier, idempotency.Keys{Pool: rt.Pool}, rt.Metrics, rt.Log, rt.Checks()...)
	var jobs []app.Job
	for _, c := range svc.Consumers(rt.Pool, rt.JS, rt.Subjects, rt.Log, consume.NewMetrics(rt.Metrics)) {
		jobs = append(jobs, c.RunUntilDone)
	}
	return rt.Serve(ctx, handler, jobs...)
}
