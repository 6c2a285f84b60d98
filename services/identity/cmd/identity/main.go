// Command identity signs people in. It only wires: the process (pkg/app)
// plus what is the identity service's own — the signing key, the first
// district admin, the rider sign-in's key and SMS gateway, the places and
// workers consumers, and the pruner of the code limits' rows.
//
//	identity          run the service
//	identity migrate  apply migrations and exit
package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/nuanxin/nuanxin/pkg/app"
	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/clientip"
	"github.com/nuanxin/nuanxin/pkg/config"
	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/pii"
	"github.com/nuanxin/nuanxin/pkg/places"
	"github.com/nuanxin/nuanxin/services/identity"
)

func service() app.Service {
	return app.Service{Name: "identity", Schema: identity.Schema, Migrations: identity.Migrations(), DefaultAddr: "127.0.0.1:8086"}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("identity stopped", "service", "identity", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "migrate" {
		return app.Migrate(ctx, service())
	}
	var env config.Env
	settings := app.LoadSettings(&env, service())
	// The private half of the key every service verifies tokens with.
	keyFile := env.Required("AUTH_PRIVATE_KEY_FILE")
	// The first district admin, made once when there is no account at all;
	// the password must be changed at the first sign-in.
	bootUser, bootPassword := env.String("IDENTITY_BOOTSTRAP_ADMIN", ""), env.String("IDENTITY_BOOTSTRAP_PASSWORD", "")
	// During a key rotation: the previous key's public half, published
	// until its last tokens have expired (comma-separated PEM files).
	published := env.String("IDENTITY_PUBLISHED_KEY_FILES", "")
	env.Check((bootUser == "") == (bootPassword == ""), "IDENTITY_BOOTSTRAP_PASSWORD", "is set with IDENTITY_BOOTSTRAP_ADMIN, or neither")
	// Riders: the key shared with the registry that matches a mobile to a
	// worker, and the gateway codes go out through.
	matchKey := env.Required("MOBILE_MATCH_KEY")
	smsProvider := env.Required("IDENTITY_SMS_PROVIDER")
	env.Check(smsProvider == "log", "IDENTITY_SMS_PROVIDER",
		"must be log (codes printed to the service's log, for development); the real gateways come with the notification channels")
	// The BFF or load balancer in front, whose X-Forwarded-For is believed
	// (comma-separated CIDRs).
	proxies := env.String("IDENTITY_TRUSTED_PROXIES", "")
	accessTTL := env.Duration("IDENTITY_ACCESS_TTL", identity.AccessTTL)
	env.Check(accessTTL >= time.Second && accessTTL <= time.Hour, "IDENTITY_ACCESS_TTL", "between 1s and 1h")
	if err := env.Err(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	match, err := pii.NewMobileMatchFromBase64(matchKey)
	if err != nil {
		return fmt.Errorf("configuration: MOBILE_MATCH_KEY: %w", err)
	}
	trusted, err := clientip.ParseTrusted(proxies)
	if err != nil {
		return fmt.Errorf("configuration: IDENTITY_TRUSTED_PROXIES: %w", err)
	}
	pemText, err := os.ReadFile(keyFile)
	if err != nil {
		return fmt.Errorf("configuration: AUTH_PRIVATE_KEY_FILE: %w", err)
	}
	key, err := auth.ParsePrivateKey(pemText)
	if err != nil {
		return fmt.Errorf("configuration: AUTH_PRIVATE_KEY_FILE: %w", err)
	}
	rt, err := app.Start(ctx, service(), settings)
	if err != nil {
		return err
	}
	defer rt.Close()
	svc := identity.NewService(rt.Pool, key, rt.Outbox(), nil)
	svc.Match, svc.TrustedProxies, svc.AccessTTL = match, trusted, accessTTL
	svc.SMS = &identity.DevSMS{W: os.Stderr}
	rt.Log.Warn("IDENTITY_SMS_PROVIDER=log: one-time codes are printed to this log, for development only")
	svc.RegisterMetrics(rt.Metrics)
	for _, f := range strings.Split(published, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		pemText, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("configuration: IDENTITY_PUBLISHED_KEY_FILES: %w", err)
		}
		pub, err := auth.ParsePublicKey(pemText)
		if err != nil {
			return fmt.Errorf("configuration: IDENTITY_PUBLISHED_KEY_FILES: %s: %w", f, err)
		}
		svc.Published = append(svc.Published, pub)
	}
	if bootUser != "" {
		made, err := svc.Bootstrap(ctx, bootUser, bootPassword)
		if err != nil {
			return err
		}
		if made {
			rt.Log.Info("first district admin created; the password must be changed at the first sign-in", "username", bootUser)
		}
	}
	// Identity takes the tokens of the key it signs with and of those it
	// still publishes (a rotation), besides AUTH_PUBLIC_KEY_FILE's.
	verifier := rt.Verifier
	verifier.Keys = auth.StaticKeys(append([]ed25519.PublicKey{key.Public().(ed25519.PublicKey)}, svc.Published...)...)
	handler := identity.NewHTTPHandler(svc, verifier, idempotency.Keys{Pool: rt.Pool}, rt.Metrics, rt.Log, rt.Checks()...)
	consumeMetrics := consume.NewMetrics(rt.Metrics)
	placesConsumer := places.Consumer("identity-places", rt.Pool, rt.JS, rt.Subjects, rt.Log, consumeMetrics)
	workers := identity.WorkerConsumer(rt.Pool, rt.JS, rt.Subjects, rt.Log, consumeMetrics)
	return rt.Serve(ctx, handler, placesConsumer.RunUntilDone, workers.RunUntilDone,
		func(ctx context.Context) { identity.RunPruner(ctx, svc, time.Hour, rt.Log) })
}
