// Command notification serves the notification API. It only wires: the
// process (pkg/app) plus what is the notification service's own — the
// consumers that turn events into messages, the broadcast fan-out, the
// reminders and the dispatcher that pushes deliveries.
//
//	notification          run the service
//	notification migrate  apply migrations and exit
package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/nuanxin/nuanxin/pkg/app"
	"github.com/nuanxin/nuanxin/pkg/config"
	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/pii"
	"github.com/nuanxin/nuanxin/services/notification"
)

func service() app.Service {
	return app.Service{Name: "notification", Schema: notification.Schema, Migrations: notification.Migrations(),
		DefaultAddr: "127.0.0.1:8084"}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("notification stopped", "service", "notification", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "migrate" {
		return app.Migrate(ctx, service())
	}
	var env config.Env
	settings := app.LoadSettings(&env, service())
	// The keys that seal webhook signing secrets (pkg/pii), the
	// notification service's own.
	encKey, hashKey := env.Required("PII_ENC_KEY"), env.Required("PII_HASH_KEY")
	// Webhooks to private addresses only where every user is trusted: the
	// local stack and tests.
	allowPrivate, err := strconv.ParseBool(cmp.Or(os.Getenv("NOTIFICATION_WEBHOOK_ALLOW_PRIVATE"), "false"))
	if err != nil {
		return fmt.Errorf("configuration: NOTIFICATION_WEBHOOK_ALLOW_PRIVATE: want true or false: %w", err)
	}
	if err := env.Err(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	box, err := pii.NewBoxFromBase64(encKey, hashKey)
	if err != nil {
		return fmt.Errorf("pii keys: %w", err)
	}
	rt, err := app.Start(ctx, service(), settings)
	if err != nil {
		return err
	}
	defer rt.Close()
	store := notification.NewStore(rt.Pool, rt.Outbox(), box)
	if n, err := store.SealLegacySecrets(ctx); err != nil {
		return err
	} else if n > 0 {
		rt.Log.Info("sealed webhook secrets stored in the clear", "count", n)
	}
	svc := notification.NewService(store, nil)
	handler := notification.NewHTTPHandler(svc, rt.Verifier, idempotency.Keys{Pool: rt.Pool}, rt.Metrics, rt.Log, rt.Checks()...)
	// SMS and WeChat go to a logging provider: no outside calls from here.
	// A real gateway is a notification.Provider in its place.
	logOnly := notification.LogProvider{Log: rt.Log}
	metrics := notification.NewMetrics(rt.Metrics, rt.Pool)
	dispatcher := &notification.Dispatcher{Store: store, Log: rt.Log, Metrics: metrics, Senders: map[string]notification.Provider{
		"sms": logOnly, "wechat": logOnly, "webhook": notification.NewWebhook(5*time.Second, allowPrivate)}}
	jobs := []app.Job{
		dispatcher.Run,
		notification.BroadcastJob{Service: svc, Log: rt.Log, Metrics: metrics}.Run,
		notification.Reminders{Service: svc, Log: rt.Log}.Run,
	}
	for _, c := range svc.Consumers(rt.Pool, rt.JS, rt.Subjects, rt.Log, consume.NewMetrics(rt.Metrics)) {
		jobs = append(jobs, c.RunUntilDone)
	}
	return rt.Serve(ctx, handler, jobs...)
}
