// Package auth verifies bearer JWTs and says what their holder may see,
// manage and create where.
//
// A token names a role and a scope: a district admin sees the whole
// district, a street admin one street office, community staff one community,
// a worker only themself. Tokens are signed with Ed25519 (EdDSA); services
// hold only the public key.
package auth

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Role is what a caller is.
type Role string

// The roles, from widest to narrowest scope.
const (
	DistrictAdmin  Role = "district_admin"
	StreetAdmin    Role = "street_admin"
	CommunityStaff Role = "community_staff"
	Worker         Role = "worker"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case DistrictAdmin, StreetAdmin, CommunityStaff, Worker:
		return true
	}
	return false
}

// Principal is the authenticated caller: who they are and how far they see.
type Principal struct {
	Subject   string `json:"sub"`
	Role      Role   `json:"role"`
	Street    string `json:"street,omitempty"`    // street_admin, community_staff (and a worker's own street)
	Community string `json:"community,omitempty"` // community_staff
	WorkerID  string `json:"worker_id,omitempty"` // worker
}

// Check reports whether the principal names who they are (audit records
// need an actor) and whether their role carries the scope it needs.
func (p Principal) Check() error {
	if p.Subject == "" {
		return errors.New("a token needs a subject (sub): who holds it")
	}
	// Scopes are compared with codes and looked up in SQL: a street or
	// community that is not a code (a NUL byte, invalid UTF-8) is refused
	// here rather than failing a query.
	if p.Street != "" && !event.ValidToken(p.Street) {
		return fmt.Errorf("street %q is not a street code: lower-case letters, digits, - or _, at most 64", p.Street)
	}
	if p.Community != "" && !event.ValidToken(p.Community) {
		return fmt.Errorf("community %q is not a community code: lower-case letters, digits, - or _, at most 64", p.Community)
	}
	switch p.Role {
	case DistrictAdmin:
		return nil
	case StreetAdmin:
		if p.Street == "" {
			return errors.New("a street_admin token needs a street")
		}
	case CommunityStaff:
		if p.Street == "" || p.Community == "" {
			return errors.New("a community_staff token needs a street and a community")
		}
	case Worker:
		if p.WorkerID == "" {
			return errors.New("a worker token needs a worker_id")
		}
	default:
		return fmt.Errorf("unknown role %q", p.Role)
	}
	return nil
}

// IsStaff reports whether the caller works for the district, a street office
// or a community (as opposed to a worker).
func (p Principal) IsStaff() bool {
	return p.Role == DistrictAdmin || p.Role == StreetAdmin || p.Role == CommunityStaff
}

// AtLeastStreetAdmin reports whether the caller is a street or district admin.
func (p Principal) AtLeastStreetAdmin() bool {
	return p.Role == DistrictAdmin || p.Role == StreetAdmin
}

// SeesStreet reports whether the caller's scope covers the whole street.
func (p Principal) SeesStreet(street string) bool {
	switch p.Role {
	case DistrictAdmin:
		return true
	case StreetAdmin:
		return p.Street == street
	}
	return false
}

// SeesCommunity reports whether the caller's scope covers the community
// (of the given street).
func (p Principal) SeesCommunity(street, community string) bool {
	if p.SeesStreet(street) {
		return true
	}
	return p.Role == CommunityStaff && p.Street == street && p.Community == community
}

// Manages reports whether staff p looks after something placed in street
// and community: a street-wide one (community "") needs the whole street.
// A worker manages nothing.
func (p Principal) Manages(street, community string) bool {
	if !p.IsStaff() {
		return false
	}
	if community == "" {
		return p.SeesStreet(street)
	}
	return p.SeesCommunity(street, community)
}

// Place decides the street and community of something staff create (an
// activity, a need, a store) from what they asked for and their scope: a
// district admin names the street, a street admin gets their own street and
// community staff their own community. What lies outside the scope, or is
// not a code, is added to c as a field error.
func (p Principal) Place(c *validate.Collector, street, community string) (string, string) {
	street, community = strings.TrimSpace(street), strings.TrimSpace(community)
	switch p.Role {
	case DistrictAdmin:
		c.Check(street != "", "street", validate.CodeRequired, "is required for a district admin")
	case StreetAdmin:
		c.Check(street == "" || street == p.Street, "street", validate.CodeUnknownValue, "must be your own street")
		street = p.Street
	case CommunityStaff:
		c.Check(street == "" || street == p.Street, "street", validate.CodeUnknownValue, "must be your own street")
		c.Check(community == "" || community == p.Community, "community", validate.CodeUnknownValue, "must be your own community")
		street, community = p.Street, p.Community
	}
	// Codes name NATS subject tokens and scopes: lower-case letters,
	// digits, - and _, at most 64.
	c.Check(street == "" || event.ValidToken(street), "street", validate.CodeInvalidFormat,
		"must be a street code: lower-case letters, digits, - or _, at most 64")
	c.Check(community == "" || event.ValidToken(community), "community", validate.CodeInvalidFormat,
		"must be a community code: lower-case letters, digits, - or _, at most 64")
	return street, community
}

type claims struct {
	jwt.RegisteredClaims
	Role      Role   `json:"role"`
	Street    string `json:"street,omitempty"`
	Community string `json:"community,omitempty"`
	WorkerID  string `json:"worker_id,omitempty"`
	// Purpose is set on a token for one thing only (an enrolment): such a
	// token is no access token, and Verify refuses it.
	Purpose     string `json:"purpose,omitempty"`
	MobileMatch string `json:"mobile_match,omitempty"` // an enrolment's
}

// Issuer is the token issuer name in every nuanxin token.
const Issuer = "nuanxin"

// MaxTokenBytes is the longest token Verify reads. Ours are about 300
// bytes (a header, six short claims and a 64-byte signature, base64url);
// 4 KiB leaves room for a few more claims and refuses, before any decoding,
// a token whose only use is to make every request decode kilobytes of
// base64 and JSON.
const MaxTokenBytes = 4 << 10

// Leeway is the clock skew tolerated between the issuer and a service: a
// token is still good this long after its exp, and already good this long
// before its iat or nbf.
const Leeway = 30 * time.Second

// Issue signs a token for p, valid for ttl.
func Issue(key ed25519.PrivateKey, p Principal, ttl time.Duration) (string, error) {
	if err := p.Check(); err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	now := time.Now()
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: Issuer, Subject: p.Subject,
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Role: p.Role, Street: p.Street, Community: p.Community, WorkerID: p.WorkerID,
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	// kid names the key, so a verifier holding several (a rotation) knows
	// which one to check with (JWK).
	t.Header["kid"] = KeyID(key.Public().(ed25519.PublicKey))
	s, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("issue token: %w", err)
	}
	return s, nil
}

// Places says whether a street, or a community of a street, is one the
// registry created. Verifier.Middleware asks it about the street and
// community of every request's token, so its answer must be cheap
// (places.Known keeps the places it has seen in memory).
type Places interface {
	Known(ctx context.Context, street, community string) (bool, error)
}

// Verifier checks tokens against a public key, or the keys of a KeySet.
type Verifier struct {
	Key ed25519.PublicKey
	// Keys, when set, are the identity service's published keys: a token
	// is checked with the key its kid names. Key stays accepted beside
	// them (the development key of `nuanxin token`), for a token naming
	// it or no key at all.
	Keys *KeySet
	// Places, when set, makes Middleware refuse a token whose street or
	// community the registry never created (a token is signed by whoever
	// holds the key, and `nuanxin token` checks nothing). Every service
	// sets it (pkg/app); nil checks no place, for tests of other things.
	Places Places
	// Log, when set, records why places could not be checked (the
	// request is answered 500).
	Log *slog.Logger
	// Verified, when set, remembers the tokens Verify has accepted, so a
	// client's every next request skips the signature check (see
	// Verified). Every service sets it (pkg/app).
	Verified *Verified
}

// Verify parses and checks a token: size, signature, algorithm, issuer,
// the JSON type of every claim it knows, expiry, issue and not-before
// times (Leeway either way), and that its role carries its scope.
func (v Verifier) Verify(token string) (Principal, error) {
	if len(token) > MaxTokenBytes {
		return Principal{}, fmt.Errorf("invalid token: %d bytes, more than %d", len(token), MaxTokenBytes)
	}
	now := time.Now()
	// A remembered token is good while its key still is: a key the
	// identity service has retired takes its tokens with it.
	if ok, hit := v.Verified.get(token, now); hit && v.stillPublished(ok.kid) {
		return ok.p, nil
	}
	var c claims
	parsed, err := jwt.ParseWithClaims(token, &c, v.keyFor,
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(Issuer), jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		return Principal{}, fmt.Errorf("invalid token: %w", err)
	}
	if c.Purpose != "" {
		return Principal{}, fmt.Errorf("invalid token: a %s token is not an access token", c.Purpose)
	}
	p := Principal{Subject: c.Subject, Role: c.Role, Street: c.Street, Community: c.Community, WorkerID: c.WorkerID}
	if err := p.Check(); err != nil {
		return Principal{}, fmt.Errorf("invalid token: %w", err)
	}
	kid, _ := parsed.Header["kid"].(string)
	ok := verified{p: p, exp: c.ExpiresAt.Time, kid: kid}
	if c.NotBefore != nil {
		ok.nbf = c.NotBefore.Time
	}
	v.Verified.put(token, ok, now)
	return p, nil
}

// stillPublished reports whether a token of kid, verified before, may
// still be taken: always without a KeySet, and for the fixed Key; else
// while the identity service publishes the key (Keys refetches the JWKS
// once it is MaxAge old).
func (v Verifier) stillPublished(kid string) bool {
	if v.Keys == nil || kid == "" {
		return true
	}
	if _, found, _ := v.Keys.Key(kid); found {
		return true
	}
	return v.Key != nil && kid == KeyID(v.Key)
}

type ctxKey int

const principalKey ctxKey = iota

// keyFor picks the key a token is checked with: the one its kid names in
// Keys, else Key when the token names it or no key.
func (v Verifier) keyFor(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	if v.Keys != nil && kid != "" {
		key, found, err := v.Keys.Key(kid)
		if found {
			return key, nil
		}
		if v.Key == nil || kid != KeyID(v.Key) {
			if err != nil {
				return nil, fmt.Errorf("key %s: %w", kid, err)
			}
			return nil, fmt.Errorf("key %s is not one the identity service publishes", kid)
		}
	}
	if v.Key == nil {
		return nil, errors.New("no key to check the token with")
	}
	if kid != "" && kid != KeyID(v.Key) && v.Keys == nil {
		return nil, fmt.Errorf("key %s is unknown", kid)
	}
	return v.Key, nil
}

// Middleware verifies the bearer token of every request before anything
// else reads it (not even its body), stores the Principal in the request's
// context, and answers 401 problem+json when the token is missing or bad.
func (v Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if len(h) < 8 || !strings.EqualFold(h[:7], "bearer ") {
			httpx.WriteProblem(w, r, httpx.ProblemFor(&fault.Error{Kind: fault.Unauthenticated, Message: "a bearer token is required"}))
			return
		}
		p, err := v.Verify(strings.TrimSpace(h[7:]))
		if err != nil {
			httpx.WriteProblem(w, r, httpx.ProblemFor(&fault.Error{Kind: fault.Unauthenticated, Message: err.Error()}))
			return
		}
		if err := v.knownPlace(r.Context(), p); err != nil {
			if fault.KindOf(err) == fault.Internal && v.Log != nil {
				v.Log.ErrorContext(r.Context(), "token places not checked", "err", err, "request_id", httpx.RequestID(r.Context()))
			}
			httpx.WriteProblem(w, r, httpx.ProblemFor(err))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// knownPlace refuses (Unauthenticated) a principal whose street, or
// community of it, the registry never created: the token is signed, but
// for a scope that does not exist, as much a bad credential as a bad
// signature. A district admin names no street and a worker only their id;
// whatever a token names is checked.
func (v Verifier) knownPlace(ctx context.Context, p Principal) error {
	if v.Places == nil || p.Street == "" && p.Community == "" {
		return nil
	}
	known, err := v.Places.Known(ctx, p.Street, p.Community)
	if err != nil {
		return fmt.Errorf("check the token's places: %w", err)
	}
	if known {
		return nil
	}
	msg := fmt.Sprintf("invalid token: street %s is not one the registry created", p.Street)
	if p.Community != "" {
		msg = fmt.Sprintf("invalid token: street %s has no community %s that the registry created", p.Street, p.Community)
	}
	return &fault.Error{Kind: fault.Unauthenticated, Message: msg}
}

// FromContext returns the Principal stored by Middleware.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey).(Principal)
	return p, ok
}

// WithPrincipal stores p in ctx.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey, p)
}
