package web

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/clientip"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/route"
)

// CookieName is the session cookie's name.
const CookieName = "nx_session"

// NewHTTPHandler is the web service's whole HTTP surface: the session
// API, the proxy to the services, the UI, health and metrics — every answer
// with the security headers.
func NewHTTPHandler(svc *Service, reg *prometheus.Registry, log *slog.Logger, checks ...httpx.Check) http.Handler {
	h := route.Handler(func(mux *http.ServeMux) { RegisterRoutes(mux, svc, log) }, reg, log, checks...)
	return securityHeaders(svc.cfg, h)
}

// RegisterRoutes mounts the session API, the proxy and the UI on mux.
func RegisterRoutes(mux *http.ServeMux, svc *Service, log *slog.Logger) {
	t := transport{svc: svc, log: log}
	mux.HandleFunc("POST /api/session", t.origin(t.signIn))
	mux.HandleFunc("GET /api/session", t.session)
	mux.HandleFunc("DELETE /api/session", t.origin(t.signedIn(t.signOut)))
	mux.HandleFunc("POST /api/otp", t.origin(t.sendCode))
	mux.HandleFunc("POST /api/enrolment", t.origin(t.signedIn(t.enrol)))
	mux.HandleFunc("GET /api/self-registration/places", t.signedIn(t.places))
	mux.HandleFunc("GET /api/config", t.config)
	proxy := t.origin(t.signedIn(t.proxy))
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		mux.HandleFunc(m+" /api/{service}/{rest...}", proxy)
	}
	// Anything else under /api/ names nothing (rather than the UI's page).
	mux.HandleFunc("GET /api/", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, httpx.ProblemFor(fault.NotFoundf("no such endpoint: %s %s", r.Method, r.URL.Path)))
	})
	mux.Handle("GET /", static(Assets(), log))
}

// transport is the handlers' access to the service.
type transport struct {
	svc *Service
	log *slog.Logger
}

// problem answers err: an upstream's refusal as it is, anything else as
// problem+json (a server-side failure logged).
func (t transport) problem(w http.ResponseWriter, r *http.Request, err error) {
	var a *Answer
	if errors.As(err, &a) {
		a.Write(w)
		return
	}
	p := httpx.ProblemFor(err)
	if p.Status >= 500 {
		t.log.ErrorContext(r.Context(), "request failed", "err", err, "request_id", httpx.RequestID(r.Context()))
	}
	httpx.WriteProblem(w, r, p)
}

// errForeignOrigin answers a write from another site.
var errForeignOrigin = &fault.Error{Kind: fault.Forbidden, Message: "this request comes from another site"}

// errCSRF answers a write without the session's CSRF token.
var errCSRF = &fault.Error{Kind: fault.Forbidden, Message: "the X-CSRF-Token header is missing or wrong: reload the page"}

// origin refuses a write whose Origin, when the browser sent one, is not
// the service's own: a form or script of another site.
func (t transport) origin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if o := r.Header.Get("Origin"); o != "" && o != t.svc.cfg.Origin {
				t.problem(w, r, errForeignOrigin)
				return
			}
		}
		next(w, r)
	}
}

// sessionKey is the context key of the request's session.
type sessionKey struct{}

// signedIn finds the request's session (401 without one) and, for a
// write, checks its CSRF token (403), before next.
func (t transport) signedIn(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := t.svc.Current(r.Context(), cookieOf(r))
		if err != nil {
			if errors.Is(err, errNotSignedIn) {
				clearCookie(w)
			}
			t.problem(w, r, err)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			got := r.Header.Get("X-CSRF-Token")
			if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) != 1 {
				t.problem(w, r, errCSRF)
				return
			}
		}
		next(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess)))
	}
}

func sessionOf(r *http.Request) row { s, _ := r.Context().Value(sessionKey{}).(row); return s }

func cookieOf(r *http.Request) string {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

// setCookie hands the browser a session's id: never readable by script,
// sent only over TLS and only by this site's own pages, living no longer
// than the session.
func setCookie(w http.ResponseWriter, st Started) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: st.Cookie, Path: "/", MaxAge: max(int(st.MaxAge/time.Second), 1),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}

func clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
}

// clientIP is the browser's address: the peer's, or behind a trusted
// proxy (WEB_TRUSTED_PROXIES: the ingress) the one that proxy saw. It goes
// to identity, whose limits count sign-ins by it.
func (t transport) clientIP(r *http.Request) string {
	a := clientip.Of(r, t.svc.cfg.TrustedProxies)
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (t transport) signIn(w http.ResponseWriter, r *http.Request) {
	var in SignInInput
	if err := httpx.DecodeJSON(w, r, &in, 0); err != nil {
		t.problem(w, r, err)
		return
	}
	st, err := t.svc.SignIn(r.Context(), in, t.clientIP(r), cookieOf(r))
	if err != nil {
		t.problem(w, r, err)
		return
	}
	setCookie(w, st)
	writeJSON(w, st.Status, st.View)
}

func (t transport) session(w http.ResponseWriter, r *http.Request) {
	sess, err := t.svc.Current(r.Context(), cookieOf(r))
	if err != nil {
		if errors.Is(err, errNotSignedIn) {
			clearCookie(w)
		}
		t.problem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sess.view())
}

func (t transport) signOut(w http.ResponseWriter, r *http.Request) {
	t.svc.SignOut(r.Context(), cookieOf(r))
	clearCookie(w)
	writeJSON(w, http.StatusOK, map[string]bool{"signed_out": true})
}

// config tells the pages what the deployment configures for them: the
// map tiles' URL ("" none). Nothing in it is secret.
func (t transport) config(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"tile_url": t.svc.cfg.TileURL})
}

func (t transport) sendCode(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Mobile string `json:"mobile"`
	}
	if err := httpx.DecodeJSON(w, r, &in, 0); err != nil {
		t.problem(w, r, err)
		return
	}
	a, err := t.svc.SendCode(r.Context(), in.Mobile, t.clientIP(r))
	if err != nil {
		t.problem(w, r, err)
		return
	}
	a.Write(w)
}

func (t transport) places(w http.ResponseWriter, r *http.Request) {
	a, err := t.svc.Places(r.Context(), sessionOf(r))
	if err != nil {
		t.problem(w, r, err)
		return
	}
	a.Write(w)
}

func (t transport) enrol(w http.ResponseWriter, r *http.Request) {
	// The registry reads the form strictly; here it is only bounded.
	form, err := io.ReadAll(http.MaxBytesReader(w, r.Body, httpx.MaxBody))
	if err != nil {
		tooLarge(w, r, httpx.MaxBody)
		return
	}
	st, err := t.svc.Enrol(r.Context(), sessionOf(r), form, t.clientIP(r))
	if err != nil {
		t.problem(w, r, err)
		return
	}
	setCookie(w, st)
	writeJSON(w, st.Status, st.View)
}

// securityHeaders sets the headers every answer carries: a strict
// Content-Security-Policy (the UI's own scripts only; inline styles,
// which Element Plus sets; images also from the map's tile server; fonts
// also from data: URLs, as Vant embeds its icon font in its CSS), no
// framing, no sniffing, no referrer beyond this site, and no caching of
// the API's answers.
func securityHeaders(cfg Config, next http.Handler) http.Handler {
	img := "img-src 'self' data: blob:"
	if cfg.TileOrigin != "" {
		img += " " + cfg.TileOrigin
	}
	csp := strings.Join([]string{"default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", img,
		"connect-src 'self'", "font-src 'self' data:", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "object-src 'none'"}, "; ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", "geolocation=(self), camera=(self), microphone=(), payment=(), usb=(), interest-cohort=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// tooLarge answers a body over limit bytes (or one that could not be read).
func tooLarge(w http.ResponseWriter, r *http.Request, limit int64) {
	httpx.WriteProblem(w, r, httpx.Problem{Type: "urn:nuanxin:problem:bad-body", Title: "Request body rejected",
		Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("the body could not be read whole, or is over %d bytes", limit)})
}
