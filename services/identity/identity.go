// Package identity is the sign-in service: staff accounts with passwords
// (argon2id, a policy, lockout with backoff, a forced change on first use),
// short-lived access tokens every service verifies, and refresh tokens
// that rotate on every use — a reused one revokes its whole family, the
// sign of a stolen token. Its public keys are published as a JWKS.
//
// Riders sign in with their mobile and a one-time code sent by SMS: as the
// worker the registry knows by that mobile (learnt from its events as a
// keyed match, never the number), or, a mobile it does not know, with an
// enrolment token for the 报到 form the registry records.
package identity

import (
	"context"
	"crypto/ed25519"
	"embed"
	"fmt"
	"io/fs"
	"net/netip"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/pii"
	"github.com/nuanxin/nuanxin/pkg/places"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Schema is the Postgres schema the identity service owns.
const Schema = "identity"

// Migrations lists what db.Migrate applies: the platform's tables, the
// places, then the service's own.
func Migrations() []db.Source {
	own, _ := fs.Sub(migrationFiles, "migrations")
	return []db.Source{outbox.Migrations(), consume.Migrations(), idempotency.Migrations(), places.Migrations(),
		{Name: "identity", FS: own}}
}

// Lifetimes of what a sign-in hands out.
const (
	AccessTTL  = 15 * time.Minute
	RefreshTTL = 30 * 24 * time.Hour
)

// Lockout: after this many wrong passwords in a row an account is locked,
// for lockBase, doubling with every further failure up to lockMax.
const (
	lockAfter = 5
	lockBase  = time.Minute
	lockMax   = time.Hour
)

// Service signs people in and manages staff accounts.
type Service struct {
	pool   *pgxpool.Pool
	places places.Checker
	key    ed25519.PrivateKey
	outbox outbox.Writer
	now    func() time.Time
	// Match and SMS are what rider sign-in needs: the key shared with the
	// registry that turns a mobile into the match its events carry, and
	// the gateway codes are sent through. Unset, riders are answered 503.
	Match *pii.MobileMatch
	SMS   SMS
	// TrustedProxies are the addresses (the web BFF, a load balancer)
	// whose X-Forwarded-For names the client, for the per-address limits.
	TrustedProxies []netip.Prefix
	codeKey        []byte
	metrics        metrics
	hashing        chan struct{} // hashSlot's slots
	// AccessTTL, when set, is the access tokens' lifetime instead of the
	// default AccessTTL (IDENTITY_ACCESS_TTL; tests shorten it).
	AccessTTL time.Duration
	// Published are the public keys the JWKS lists besides the signing
	// key's: during a rotation, the previous key, whose tokens are still
	// valid; once they have expired it is dropped, and every service
	// refuses tokens of it (auth.KeySet).
	Published []ed25519.PublicKey
}

func (s *Service) accessTTL() time.Duration {
	if s.AccessTTL > 0 {
		return s.AccessTTL
	}
	return AccessTTL
}

// JWKS is the keys every service verifies tokens with: the signing key's
// first, then the published ones.
func (s *Service) JWKS() []auth.JWK {
	keys := []auth.JWK{auth.PublicJWK(s.key.Public().(ed25519.PublicKey))}
	for _, k := range s.Published {
		keys = append(keys, auth.PublicJWK(k))
	}
	return keys
}

// NewService is the service on pool, signing tokens with key and adding
// its audit events with w; now is the clock (nil: the real one).
func NewService(pool *pgxpool.Pool, key ed25519.PrivateKey, w outbox.Writer, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{pool: pool, places: places.Checker{Pool: pool}, key: key, outbox: w, now: now,
		codeKey: codeKeyOf(key), metrics: newMetrics(), hashing: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

// hashSlot waits for one of the slots that bound the argon2id hashes
// computed at once to the cores, and returns its release. A hash takes
// 19 MiB and a core's 20 ms: more at once than cores only share the cores
// and thrash the caches, and a burst of sign-ins would take 19 MiB each,
// past a container's memory limit. A sign-in waits here before it opens
// its transaction, so a queue of them holds no connection or row lock.
func (s *Service) hashSlot(ctx context.Context) (func(), error) {
	select {
	case s.hashing <- struct{}{}:
		return func() { <-s.hashing }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait to hash a password: %w", ctx.Err())
	}
}

// audit adds an account's audit event to tx. d's account fields are
// filled from a (nil for a sign-in of no account).
func (s *Service) audit(ctx context.Context, tx pgx.Tx, name event.Name, a *Account, d event.AccountData) error {
	subject := ""
	if a != nil {
		d.AccountID, d.Role, d.Street, d.Community = a.ID.String(), string(a.Role), a.Street, a.Community
		subject = d.AccountID
	}
	if _, err := s.outbox.Add(ctx, tx, name, d.Street, subject, d); err != nil {
		return fmt.Errorf("audit %s: %w", name.Type(), err)
	}
	return nil
}
