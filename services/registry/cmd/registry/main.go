// Command registry serves the registry API. It only wires: the process
// (pkg/app: settings, database, NATS, relay, HTTP, shutdown) plus what is the
// registry's own — personal-data keys and the mobile match key, the spreadsheet import worker and the
// monthly pairing check.
//
//	registry          run the service
//	registry migrate  apply migrations and exit
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nuanxin/nuanxin/pkg/app"
	"github.com/nuanxin/nuanxin/pkg/config"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/pii"
	"github.com/nuanxin/nuanxin/services/registry"
)

func service() app.Service {
	return app.Service{Name: "registry", Schema: registry.Schema, Migrations: registry.Migrations(), DefaultAddr: "127.0.0.1:8081"}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("registry stopped", "service", "registry", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "migrate" {
		return app.Migrate(ctx, service())
	}
	var env config.Env
	settings := app.LoadSettings(&env, service())
	encKey, hashKey := env.Required("PII_ENC_KEY"), env.Required("PII_HASH_KEY")
	// The key of the mobile match that worker events carry, shared with
	// the identity service only (pii.MobileMatch).
	matchKey := env.Required("MOBILE_MATCH_KEY")
	overdueEvery := env.Duration("PAIRING_OVERDUE_EVERY", time.Hour)
	env.Check(overdueEvery > 0, "PAIRING_OVERDUE_EVERY", "must be a positive duration like 1h")
	if err := env.Err(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	box, err := pii.NewBoxFromBase64(encKey, hashKey)
	if err != nil {
		return fmt.Errorf("pii keys: %w", err)
	}
	match, err := pii.NewMobileMatchFromBase64(matchKey)
	if err != nil {
		return fmt.Errorf("MOBILE_MATCH_KEY: %w", err)
	}

	rt, err := app.Start(ctx, service(), settings)
	if err != nil {
		return err
	}
	defer rt.Close()
	svc := registry.NewService(registry.NewStore(rt.Pool, rt.Outbox(), rt.Metrics), box, match)
	handler := registry.NewHTTPHandler(svc, rt.Verifier, idempotency.Keys{Pool: rt.Pool}, rt.Metrics, rt.Log, rt.Checks()...)
	return rt.Serve(ctx, handler,
		// Spreadsheet imports run in the background; every instance takes jobs.
		registry.ImportRunner{Service: svc, Log: rt.Log}.Run,
		// Pairings without a contact in a month that has ended (up to twelve
		// back) are flagged on every instance; a flag table makes each
		// overdue event happen once per pairing and month.
		func(ctx context.Context) { registry.RunOverdueJob(ctx, svc, overdueEvery, rt.Log) },
		// Workers registered before worker events carried the mobile's
		// match are told once, so their riders can sign in by code.
		func(ctx context.Context) { registry.RunTellMobileMatches(ctx, svc, rt.Log) },
	)
}
