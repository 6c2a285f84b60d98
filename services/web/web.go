// Package web is the backend-for-frontend of the street-office console and
// the riders' phone pages. The browser never holds a token: it holds an
// httpOnly, Secure, SameSite=Strict session cookie naming a row here, and
// the row holds the user's tokens. Requests under /api/<service>/ are
// proxied to the services with the user's access token, refreshed at the
// identity service when it nears its end; writes need the session's CSRF
// token. The built UI is embedded and served at /.
package web

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/db"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// The built UI. Until the Vue build exists, dist holds a placeholder page,
// so that this compiles.
//
//go:embed all:dist
var distFiles embed.FS

// Schema is the Postgres schema the web service owns (its sessions).
const Schema = "web"

// Migrations lists what db.Migrate applies: the sessions table only (web
// publishes and consumes no events, so it has no outbox or inbox).
func Migrations() []db.Source {
	own, _ := fs.Sub(migrationFiles, "migrations")
	return []db.Source{{Name: "web", FS: own}}
}

// Assets is the embedded UI: the console built by `make ui` (vite, from
// ui/) into dist/app — index.html at its root, hashed files under assets/,
// the riders' pages under m/. A checkout where the UI was never built
// compiles all the same and serves dist/index.html, a page that says so.
func Assets() fs.FS {
	if app, err := fs.Sub(distFiles, "dist/app"); err == nil {
		if _, err := fs.Stat(app, "index.html"); err == nil {
			return app
		}
	}
	sub, _ := fs.Sub(distFiles, "dist")
	return sub
}

// TileOrigin is the origin of a tile URL template ("" for none), or an
// error when the template is not an http(s) URL with {z}, {x} and {y}.
func TileOrigin(template string) (string, error) {
	if template == "" {
		return "", nil
	}
	u, err := url.Parse(template)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("tile URL %q: not an http(s) URL", template)
	}
	for _, p := range []string{"{z}", "{x}", "{y}"} {
		if !strings.Contains(template, p) {
			return "", fmt.Errorf("tile URL %q: no %s", template, p)
		}
	}
	return u.Scheme + "://" + u.Host, nil
}

// ServiceNames are the services reachable under /api/<name>/.
func ServiceNames() []string {
	return []string{"registry", "activity", "points", "notification", "stats", "identity"}
}

// Defaults of Config.
const (
	// RefreshBefore: an access token this close to its end is refreshed
	// before it is sent, so it does not expire on its way.
	RefreshBefore = 30 * time.Second
	// IdleTimeout: a session unused this long is pruned.
	IdleTimeout = 12 * time.Hour
	// MaxBody bounds a proxied request's body: the largest upload a
	// service takes is a 32 MiB spreadsheet, sent as multipart form data.
	MaxBody = 33 << 20
	// EnrolmentWait bounds how long the 报到 waits for identity to learn
	// of the worker the registry recorded.
	EnrolmentWait = 10 * time.Second
)

// Config is what the web service is told.
type Config struct {
	// Upstreams are the services' base URLs by name (ServiceNames);
	// identity and registry are required.
	Upstreams map[string]*url.URL
	// Origin is the service's own origin (scheme://host[:port]), the
	// only Origin a write may come from.
	Origin string
	// TileURL is the map tiles' URL template ({z}/{x}/{y}; "" no map
	// tiles: the pages show lists and coordinates); TileOrigin its
	// origin, which the Content-Security-Policy lets images come from.
	TileURL    string
	TileOrigin string
	// TrustedProxies are the proxies in front (an ingress) whose
	// X-Forwarded-For names the browser's address; none: the peer is the
	// browser.
	TrustedProxies []netip.Prefix
	// SessionKey seals the tokens kept in session rows (32 bytes).
	SessionKey []byte
	// IdleTimeout, MaxBody, RefreshBefore, EnrolmentWait: zero is the
	// default.
	IdleTimeout   time.Duration
	MaxBody       int64
	RefreshBefore time.Duration
	EnrolmentWait time.Duration
}

// Service is the web service: the sessions and the way to the services.
type Service struct {
	cfg     Config
	store   store
	aead    cipher.AEAD
	client  *http.Client      // calls of its own to identity and registry
	proxy   http.RoundTripper // the proxied requests
	log     *slog.Logger
	metrics *serviceMetrics
	// Now is the clock; tests move it to bring an access token near its
	// end.
	Now func() time.Time
}

// NewService checks cfg and returns the service; its metrics are
// registered with reg.
func NewService(pool *pgxpool.Pool, cfg Config, reg prometheus.Registerer, log *slog.Logger) (*Service, error) {
	if len(cfg.SessionKey) != 32 {
		return nil, fmt.Errorf("session key must be 32 bytes, got %d", len(cfg.SessionKey))
	}
	for _, name := range []string{"identity", "registry"} {
		if cfg.Upstreams[name] == nil {
			return nil, fmt.Errorf("the %s service's URL is required", name)
		}
	}
	if cfg.Origin == "" {
		return nil, errors.New("the service's origin is required")
	}
	block, err := aes.NewCipher(cfg.SessionKey)
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = IdleTimeout
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = MaxBody
	}
	if cfg.RefreshBefore <= 0 {
		cfg.RefreshBefore = RefreshBefore
	}
	if cfg.EnrolmentWait <= 0 {
		cfg.EnrolmentWait = EnrolmentWait
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	transport.ResponseHeaderTimeout = 30 * time.Second
	return &Service{cfg: cfg, store: store{pool: pool}, aead: aead, log: log, metrics: newServiceMetrics(reg), Now: time.Now,
		proxy: transport,
		client: &http.Client{Transport: transport, Timeout: 10 * time.Second,
			// An upstream's redirect is an answer to pass on, not to follow
			// with the user's token.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}, nil
}

// seal encrypts a token for the row whose id hash is idHash: the hash is
// the additional data, so a sealed value moved to another row does not
// open.
func (s *Service) seal(idHash []byte, token string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return s.aead.Seal(nonce, nonce, []byte(token), idHash), nil
}

// unseal opens what seal sealed for idHash.
func (s *Service) unseal(idHash, sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("unseal: too short")
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], idHash)
	if err != nil {
		return "", fmt.Errorf("unseal: %w", err)
	}
	return string(plain), nil
}

// serviceMetrics are the web service's own series, beside the HTTP ones.
type serviceMetrics struct {
	upstreamErrors *prometheus.CounterVec
	refreshes      *prometheus.CounterVec
	signIns        *prometheus.CounterVec
}

func newServiceMetrics(reg prometheus.Registerer) *serviceMetrics {
	m := &serviceMetrics{
		upstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nuanxin_web_upstream_errors_total", Help: "Requests to a service that got no answer (unreachable, timed out), by service.",
		}, []string{"service"}),
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nuanxin_web_token_refreshes_total", Help: "Access token refreshes at identity, by outcome (ok, refused: the session ended, error).",
		}, []string{"outcome"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nuanxin_web_sessions_signed_in_total", Help: "Sessions signed in, by kind (staff, worker; enrolling: a rider sent to the 报到 form).",
		}, []string{"kind"}),
	}
	reg.MustRegister(m.upstreamErrors, m.refreshes, m.signIns)
	return m
}
