package web_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/identity"
	"github.com/nuanxin/nuanxin/services/web"
)

// A staff member signs in through the web service: identity's refusals
// come back as they are, and the sign-in sets a cookie no script can read,
// sent only over TLS by this site's own pages, living as long as the
// refresh token — and hands the page no token at all.
func TestSignIn_staffGetsAStrictHttpOnlyCookieAndNeverAToken(t *testing.T) {
	s := newStack(t)

	wrong := s.web.Do("POST", "/api/session", "", map[string]any{"username": "admin", "password": "not-the-password"})
	if wrong.Status != 401 || !strings.HasPrefix(wrong.Header.Get("Content-Type"), "application/problem+json") || sessionCookie(wrong) != nil {
		t.Errorf("wrong password: %d %q %s", wrong.Status, wrong.Header.Get("Content-Type"), wrong.Raw)
	}
	change := s.web.Do("POST", "/api/session", "", map[string]any{"username": "admin", "password": bootPassword})
	if change.Status != 403 || change.Body["password_change_required"] != true || sessionCookie(change) != nil {
		t.Errorf("first sign-in without a new password: %d %s", change.Status, change.Raw)
	}
	smuggled := s.web.Do("POST", "/api/session", "", map[string]any{"enrolment_token": "x"})
	if smuggled.Status != 400 || sessionCookie(smuggled) != nil {
		t.Errorf("a body with an enrolment token: %d %s", smuggled.Status, smuggled.Raw)
	}

	r := s.web.Do("POST", "/api/session", "", map[string]any{"username": "admin", "password": bootPassword, "new_password": newPassword})
	if r.Status != 201 {
		t.Fatalf("sign-in: %d %s", r.Status, r.Raw)
	}
	c := sessionCookie(r)
	if c == nil {
		t.Fatalf("no %s cookie: %q", web.CookieName, r.Header.Values("Set-Cookie"))
	}
	refreshLife := int(identity.RefreshTTL / time.Second)
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge <= refreshLife-60 || c.MaxAge > refreshLife {
		t.Errorf("cookie = %+v; want HttpOnly, Secure, SameSite=Strict, Path=/, Max-Age the refresh token's %d s", c, refreshLife)
	}
	if len(c.Value) != 43 {
		t.Errorf("session id %q: want 256 random bits, base64url", c.Value)
	}
	p, _ := r.Body["principal"].(map[string]any)
	if p["role"] != "district_admin" || p["sub"] != "admin" || r.Str("csrf_token") == "" {
		t.Errorf("answer = %s", r.Raw)
	}
	for _, secret := range []string{"access_token", "refresh_token", "eyJ"} {
		if rawHas(r, secret) {
			t.Errorf("the sign-in's answer carries %q: %s %v", secret, r.Raw, r.Header)
		}
	}
	// The id is kept only as its hash.
	var n int
	sum := sha256.Sum256([]byte(c.Value))
	if err := s.webPool.QueryRow(t.Context(), `SELECT count(*) FROM sessions WHERE id_hash = $1`, sum[:]).Scan(&n); err != nil || n != 1 {
		t.Errorf("sessions with the id's hash = %d (%v)", n, err)
	}
	if err := s.webPool.QueryRow(t.Context(), `SELECT count(*) FROM sessions WHERE id_hash = $1`, []byte(c.Value)).Scan(&n); err != nil || n != 0 {
		t.Errorf("sessions keyed by the id itself = %d (%v)", n, err)
	}

	b := s.signedIn(r)
	me := s.web.Do("GET", "/api/session", "", nil, b.read()...)
	if me.Status != 200 || me.Str("csrf_token") != b.csrf || me.Body["principal"].(map[string]any)["role"] != "district_admin" {
		t.Errorf("GET /api/session: %d %s", me.Status, me.Raw)
	}
	for _, cookie := range []string{"", web.CookieName + "=not-a-session"} {
		anon := s.web.Do("GET", "/api/session", "", nil, "Cookie", cookie)
		if anon.Status != 401 || !strings.HasPrefix(anon.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("GET /api/session with cookie %q: %d %s", cookie, anon.Status, anon.Raw)
		}
	}
	if got := s.counter("nuanxin_web_sessions_signed_in_total", "kind", "staff"); got != 1 {
		t.Errorf("sessions signed in = %v, want 1", got)
	}
}

// The proxy sends the user's access token, never the browser's cookie,
// CSRF token or an Authorization header of its own; it keeps the path and
// query, passes the request id, streams bodies both ways, and knows only
// the system's services.
func TestProxy_sendsTheUsersTokenInsteadOfTheBrowsersCredentials(t *testing.T) {
	s := newStack(t)
	b := s.admin()

	me := s.web.Do("GET", "/api/identity/me", "", nil, b.read()...)
	if me.Status != 200 || me.Body["account"].(map[string]any)["username"] != "admin" {
		t.Fatalf("GET /api/identity/me: %d %s", me.Status, me.Raw)
	}
	if me.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", me.Header.Get("Cache-Control"))
	}

	var access string
	if err := s.webPool.QueryRow(t.Context(), `SELECT access_token FROM sessions`).Scan(&access); err != nil {
		t.Fatal(err)
	}
	upload := bytes.Repeat([]byte("row,"), 2<<20) // 8 MiB
	r := s.web.Do("POST", "/api/stats/imports/x%2Fy?kind=workers&page=2", "", string(upload),
		b.headers("Authorization", "Bearer forged", "X-Request-Id", "req-web-1")...)
	if r.Status != 200 || r.Str("path") != "/v1/imports/x/y" || r.Str("query") != "kind=workers&page=2" || r.Num("size") != float64(len(upload)) {
		t.Fatalf("proxied upload: %d %s", r.Status, r.Raw)
	}
	got, _ := s.probe.request()
	if got.URL.EscapedPath() != "/v1/imports/x%2Fy" {
		t.Errorf("upstream path = %q, want the escaping kept", got.URL.EscapedPath())
	}
	if a := got.Header.Get("Authorization"); a != "Bearer "+access {
		t.Errorf("upstream Authorization = %q, want the session's access token", a)
	}
	for _, h := range []string{"Cookie", "X-Csrf-Token", "Origin"} {
		if v := got.Header.Get(h); v != "" {
			t.Errorf("upstream got the browser's %s: %q", h, v)
		}
	}
	if id := got.Header.Get("X-Request-Id"); id != "req-web-1" || r.Header.Get("X-Request-Id") != "req-web-1" {
		t.Errorf("request id upstream %q, answered %q; want req-web-1", id, r.Header.Get("X-Request-Id"))
	}

	down := s.web.Do("GET", "/api/stats/download", "", nil, b.read()...)
	if down.Status != 200 || len(down.Raw) != 4<<20 || down.Header.Get("Set-Cookie") != "" {
		t.Errorf("download: %d, %d bytes, Set-Cookie %q", down.Status, len(down.Raw), down.Header.Get("Set-Cookie"))
	}

	// Only an image the browser keeps for itself (an item's photo, whose
	// URL names its version) is cached; any other answer stays no-store.
	for _, tc := range []struct {
		kind, cache string
		status      int
		want        string
	}{
		{"image-jpeg", "private, max-age=31536000, immutable", 200, "private, max-age=31536000, immutable"},
		{"image-webp", "private, no-cache", 200, "private, no-cache"},
		{"not-modified", "private, no-cache", 304, "private, no-cache"},
		{"image-jpeg", "public, max-age=600", 200, "no-store"},
		{"application-json", "private, max-age=600", 200, "no-store"},
	} {
		r := s.web.Do("GET", "/api/stats/cached/"+tc.kind+"/"+url.PathEscape(tc.cache), "", nil, b.read()...)
		if r.Status != tc.status || r.Header.Get("Cache-Control") != tc.want || len(r.Header.Values("Cache-Control")) != 1 {
			t.Errorf("%s asking %q: %d, Cache-Control %q, want %q", tc.kind, tc.cache, r.Status, r.Header.Values("Cache-Control"), tc.want)
		}
	}

	for _, path := range []string{"/api/nosuch/things", "/api/points/%2e%2e/identity/me", "/api/unknown"} {
		r := s.web.Do("GET", path, "", nil, b.read()...)
		if r.Status != 404 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("GET %s: %d %q %s", path, r.Status, r.Header.Get("Content-Type"), r.Raw)
		}
	}
	if r := s.web.Do("GET", "/api/identity/me", "", nil); r.Status != 401 {
		t.Errorf("the proxy without a session: %d %s", r.Status, r.Raw)
	}
}

// A write needs the session's CSRF token and, when the browser names its
// origin, this site's: otherwise it is refused before reaching a service.
func TestCSRF_aWriteWithoutTheTokenOrFromAnotherSiteIsRefusedAndReachesNoService(t *testing.T) {
	s := newStack(t)
	b := s.admin()
	cookie := web.CookieName + "=" + b.cookie
	accounts := len(s.web.Must(200, "GET", "/api/identity/accounts", "", nil, b.read()...).Items())
	account := func(name string) map[string]any {
		return map[string]any{"username": name, "role": "street_admin", "street": "qishan"}
	}
	for i, tc := range []struct {
		name    string
		headers []string
	}{
		{"no CSRF token", []string{"Cookie", cookie, "Origin", origin}},
		{"a wrong CSRF token", []string{"Cookie", cookie, "X-CSRF-Token", b.csrf + "x", "Origin", origin}},
		{"another site's origin", []string{"Cookie", cookie, "X-CSRF-Token", b.csrf, "Origin", "https://evil.example"}},
		{"a null origin", []string{"Cookie", cookie, "X-CSRF-Token", b.csrf, "Origin", "null"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.web.Do("POST", "/api/identity/accounts", "", account(fmt.Sprintf("clerk%d", i)), tc.headers...)
			if r.Status != 403 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("%d %s", r.Status, r.Raw)
			}
			probe := s.web.Do("POST", "/api/stats/anything", "", "{}", tc.headers...)
			if got, _ := s.probe.request(); probe.Status != 403 || got != nil {
				t.Errorf("the probe service: %d, reached: %v", probe.Status, got != nil)
			}
			out := s.web.Do("DELETE", "/api/session", "", nil, tc.headers...)
			if out.Status != 403 {
				t.Errorf("sign-out: %d %s", out.Status, out.Raw)
			}
		})
	}
	list := s.web.Must(200, "GET", "/api/identity/accounts", "", nil, b.read()...)
	if len(list.Items()) != accounts {
		t.Errorf("accounts after the refused writes = %d, want %d as before: %s", len(list.Items()), accounts, list.Raw)
	}
	s.web.Must(201, "POST", "/api/identity/accounts", "", account("clerk"), b.headers()...)
	// A browser that sends no Origin (same-origin GET-like navigations,
	// older browsers) is held to the token alone.
	s.web.Must(201, "POST", "/api/identity/accounts", "", account("clerk2"), "Cookie", cookie, "X-CSRF-Token", b.csrf)
	if r := s.web.Do("POST", "/api/session", "", map[string]any{"username": "admin", "password": newPassword}, "Origin", "https://evil.example"); r.Status != 403 {
		t.Errorf("a sign-in from another site: %d %s", r.Status, r.Raw)
	}
}

// An access token near its end is refreshed before it is sent; two
// requests at that moment wait for one refresh, so the refresh token is
// used once and identity does not take the second use for a theft.
func TestRefresh_nearExpiryRefreshesOnceForConcurrentRequests(t *testing.T) {
	s := newStack(t)
	b := s.admin()
	var before time.Time
	if err := s.webPool.QueryRow(t.Context(), `SELECT access_expires_at FROM sessions`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	s.clock.Add(identity.AccessTTL - 20*time.Second)

	var wg sync.WaitGroup
	statuses := make([]int, 4)
	for i := range statuses {
		wg.Go(func() { statuses[i] = s.web.Do("GET", "/api/identity/me", "", nil, b.read()...).Status })
	}
	wg.Wait()
	for i, st := range statuses {
		if st != 200 {
			t.Errorf("request %d: %d", i, st)
		}
	}
	if got := s.counter("nuanxin_web_token_refreshes_total", "outcome", "ok"); got != 1 {
		t.Errorf("refreshes = %v, want 1", got)
	}
	// (A token identity signs again within the same second may be the
	// same text: its end, here, is what tells a new one.)
	var after time.Time
	if err := s.webPool.QueryRow(t.Context(), `SELECT access_expires_at FROM sessions`).Scan(&after); err != nil || !after.After(before) {
		t.Errorf("the access token was not replaced: it ends %v, before %v (%v)", after, before, err)
	}
	var used, revoked int
	if err := s.idPool.QueryRow(t.Context(), `SELECT count(used_at), count(revoked_at) FROM refresh_tokens`).Scan(&used, &revoked); err != nil {
		t.Fatal(err)
	}
	if used != 1 || revoked != 0 {
		t.Errorf("identity's refresh tokens: %d used, %d revoked; want 1 used, none revoked", used, revoked)
	}
	// The rotated refresh token works in its turn.
	s.clock.Add(identity.AccessTTL - 20*time.Second)
	s.web.Must(200, "GET", "/api/identity/me", "", nil, b.read()...)
	if got := s.counter("nuanxin_web_token_refreshes_total", "outcome", "ok"); got != 2 {
		t.Errorf("refreshes = %v, want 2", got)
	}
}

// A refresh identity refuses (the sign-in was revoked there) ends the
// session here: 401, the cookie cleared, the row gone.
func TestRefresh_refusedEndsTheSession(t *testing.T) {
	s := newStack(t)
	b := s.admin()
	if _, err := s.idPool.Exec(t.Context(), `UPDATE refresh_tokens SET revoked_at = now()`); err != nil {
		t.Fatal(err)
	}
	s.clock.Add(identity.AccessTTL)
	r := s.web.Do("GET", "/api/identity/me", "", nil, b.read()...)
	if r.Status != 401 {
		t.Fatalf("after a refused refresh: %d %s", r.Status, r.Raw)
	}
	if c := sessionCookie(r); c == nil || c.MaxAge >= 0 {
		t.Errorf("the cookie is not cleared: %q", r.Header.Values("Set-Cookie"))
	}
	if got := s.web.Do("GET", "/api/session", "", nil, b.read()...); got.Status != 401 {
		t.Errorf("GET /api/session after: %d", got.Status)
	}
	var n int
	if err := s.webPool.QueryRow(t.Context(), `SELECT count(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("sessions = %d (%v), want none", n, err)
	}
	if got := s.counter("nuanxin_web_token_refreshes_total", "outcome", "refused"); got != 1 {
		t.Errorf("refused refreshes = %v, want 1", got)
	}
}

// Signing out deletes the session and revokes its refresh token at
// identity.
func TestSignOut_endsTheSessionAndRevokesAtIdentity(t *testing.T) {
	s := newStack(t)
	b := s.admin()
	r := s.web.Must(200, "DELETE", "/api/session", "", nil, b.headers()...)
	if c := sessionCookie(r); c == nil || c.MaxAge >= 0 {
		t.Errorf("the cookie is not cleared: %q", r.Header.Values("Set-Cookie"))
	}
	if got := s.web.Do("GET", "/api/identity/me", "", nil, b.read()...); got.Status != 401 {
		t.Errorf("the proxy after sign-out: %d", got.Status)
	}
	var live int
	if err := s.idPool.QueryRow(t.Context(), `SELECT count(*) FROM refresh_tokens WHERE revoked_at IS NULL`).Scan(&live); err != nil || live != 0 {
		t.Errorf("identity's live refresh tokens = %d (%v), want 0", live, err)
	}
	// A second sign-in replaces the first one's session.
	first := s.admin()
	second := s.web.Do("POST", "/api/session", "", map[string]any{"username": "admin", "password": newPassword}, first.read()...)
	if second.Status != 201 {
		t.Fatalf("second sign-in: %d %s", second.Status, second.Raw)
	}
	if got := s.web.Do("GET", "/api/session", "", nil, first.read()...); got.Status != 401 {
		t.Errorf("the replaced session still answers: %d", got.Status)
	}
}

// A rider the registry does not know signs in with a code and is sent to
// the 报到 form, whose token stays in the web service; the form goes to the
// registry, and once identity has heard of the worker the session becomes
// the worker's, under a new id.
func TestRider_codeSignInAndEnrolmentThroughTheWebService(t *testing.T) {
	s := newStack(t)
	const mobile = "13900000021"
	sent := s.web.Do("POST", "/api/otp", "", map[string]any{"mobile": mobile}, "Origin", origin)
	if sent.Status != 200 || sent.Body["sent"] != true {
		t.Fatalf("ask for a code: %d %s", sent.Status, sent.Raw)
	}
	code := s.sms.last(mobile)
	wrong := s.web.Do("POST", "/api/session", "", map[string]any{"mobile": mobile, "code": "000000"})
	if code == "000000" || wrong.Status != 401 || wrong.Num("tries_left") != 4 {
		t.Errorf("a wrong code: %d %s", wrong.Status, wrong.Raw)
	}
	r := s.web.Do("POST", "/api/session", "", map[string]any{"mobile": mobile, "code": code})
	if r.Status != 200 || r.Body["enrolment_required"] != true || r.Body["principal"] != nil {
		t.Fatalf("code sign-in: %d %s", r.Status, r.Raw)
	}
	if rawHas(r, "enrolment_token") || rawHas(r, "eyJ") {
		t.Errorf("the enrolment token reached the browser: %s", r.Raw)
	}
	enrolling := s.signedIn(r)
	if got := s.web.Do("GET", "/api/identity/me", "", nil, enrolling.read()...); got.Status != 403 {
		t.Errorf("the proxy before the 报到: %d %s", got.Status, got.Raw)
	}
	places := s.web.Must(200, "GET", "/api/self-registration/places", "", nil, enrolling.read()...)
	if !strings.Contains(string(places.Raw), "tashan") {
		t.Errorf("places = %s", places.Raw)
	}
	form := map[string]any{"name": "骑手甲", "mobile": mobile, "id_number": idNumber(21), "occupation": "food_delivery",
		"platform": "美团", "community": "tashan"}
	if got := s.web.Do("POST", "/api/enrolment", "", form, enrolling.read()...); got.Status != 403 {
		t.Errorf("the 报到 without the CSRF token: %d %s", got.Status, got.Raw)
	}
	bad := s.web.Do("POST", "/api/enrolment", "", testenv.With(form, map[string]any{"id_number": "123"}), enrolling.headers()...)
	if bad.Status != 422 || bad.Field() != "id_number" {
		t.Errorf("a bad 报到 form: %d %s", bad.Status, bad.Raw)
	}
	done := s.web.Do("POST", "/api/enrolment", "", form, enrolling.headers()...)
	if done.Status != 201 {
		t.Fatalf("the 报到: %d %s", done.Status, done.Raw)
	}
	rider := s.signedIn(done)
	p, _ := done.Body["principal"].(map[string]any)
	reg, _ := done.Body["registration"].(map[string]any)
	if rider.cookie == enrolling.cookie || p["role"] != "worker" || p["worker_id"] == "" || reg["worker_id"] != p["worker_id"] {
		t.Errorf("after the 报到: %s", done.Raw)
	}
	if rawHas(done, "eyJ") || rawHas(done, mobile) || rawHas(done, idNumber(21)) {
		t.Errorf("the answer carries a token or personal data: %s", done.Raw)
	}
	if got := s.web.Do("GET", "/api/session", "", nil, enrolling.read()...); got.Status != 401 {
		t.Errorf("the enrolling session still answers: %d", got.Status)
	}
	me := s.web.Must(200, "GET", "/api/identity/me", "", nil, rider.read()...)
	if me.Str("role") != "worker" || me.Str("worker_id") != p["worker_id"] {
		t.Errorf("me = %s", me.Raw)
	}
	// The rider's session has no 报到 left to do.
	if got := s.web.Do("GET", "/api/self-registration/places", "", nil, rider.read()...); got.Status != 409 || got.Str("reason") != "no_enrolment_due" {
		t.Errorf("the 报到 places after the 报到: %d %s", got.Status, got.Raw)
	}
	if got := s.counter("nuanxin_web_sessions_signed_in_total", "kind", "worker"); got != 1 {
		t.Errorf("workers signed in = %v, want 1", got)
	}
}

// Every answer — a page, an API answer, a problem, health — carries the
// security headers.
func TestSecurityHeaders_onEveryAnswer(t *testing.T) {
	s := newStack(t)
	for _, path := range []string{"/", "/workers/42", "/api/session", "/api/nosuch/x", "/healthz", "/assets/missing.js"} {
		r := s.web.Do("GET", path, "", nil)
		csp := r.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'",
			"img-src 'self' data: blob: https://tiles.example.test", "connect-src 'self'", "frame-ancestors 'none'",
			"font-src 'self' data:", "base-uri 'self'", "form-action 'self'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", path, csp, want)
			}
		}
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
			"X-Frame-Options": "DENY"} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("GET %s: %s = %q, want %q", path, h, got, want)
			}
		}
		if pp := r.Header.Get("Permissions-Policy"); !strings.Contains(pp, "geolocation=(self)") || !strings.Contains(pp, "camera=(self)") || !strings.Contains(pp, "microphone=()") {
			t.Errorf("GET %s: Permissions-Policy = %q", path, pp)
		}
		if strings.HasPrefix(path, "/api/") && r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control = %q, want no-store", path, r.Header.Get("Cache-Control"))
		}
		if r.Header.Get("X-Request-Id") == "" {
			t.Errorf("GET %s: no request id", path)
		}
	}
}

// The UI is served from the embedded build: the page at /, the same page
// for the client's routes (revalidated every time), and a 404 for a
// missing hashed asset rather than a page in its place.
func TestStatic_servesThePageWithFallbackForClientRoutes(t *testing.T) {
	s := newStack(t)
	for _, path := range []string{"/", "/index.html", "/census/workers/42", "/m/home"} {
		r := s.web.Do("GET", path, "", nil)
		if path == "/index.html" {
			if r.Status != 200 { // the client follows the redirect to /
				t.Errorf("GET %s: %d", path, r.Status)
			}
			continue
		}
		if r.Status != 200 || !strings.Contains(string(r.Raw), `<html lang="zh-CN">`) || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") ||
			r.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s: %d %q %q %s", path, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Cache-Control"), r.Raw)
		}
	}
	if r := s.web.Do("GET", "/assets/app-1234.js", "", nil); r.Status != 404 {
		t.Errorf("a missing asset: %d", r.Status)
	}
	if r := s.web.Do("POST", "/census", "", "{}"); r.Status != 405 {
		t.Errorf("POST to a page: %d", r.Status)
	}
	ready := s.web.Must(200, "GET", "/readyz", "", nil)
	if ready.Body["ready"] != true {
		t.Errorf("readyz = %s", ready.Raw)
	}
	m := s.web.Must(200, "GET", "/metrics", "", nil)
	if !strings.Contains(string(m.Raw), "nuanxin_http_requests_total") {
		t.Errorf("metrics lack the HTTP series")
	}
}

// No password, code, mobile, cookie, CSRF token or token is ever logged,
// at any level, through every flow.
func TestSecrets_noPasswordCodeCookieOrTokenInTheLogs(t *testing.T) {
	s := newStack(t)
	b := s.admin()
	s.web.Must(200, "GET", "/api/identity/me", "", nil, b.read()...)
	s.clock.Add(identity.AccessTTL)
	s.web.Must(200, "GET", "/api/identity/me", "", nil, b.read()...)
	s.web.Do("POST", "/api/identity/accounts", "", map[string]any{"username": "x"}, b.read()...) // refused: no CSRF token
	var access string
	if err := s.webPool.QueryRow(t.Context(), `SELECT access_token FROM sessions`).Scan(&access); err != nil {
		t.Fatal(err)
	}
	s.web.Must(200, "DELETE", "/api/session", "", nil, b.headers()...)

	const mobile = "13900000042"
	s.web.Must(200, "POST", "/api/otp", "", map[string]any{"mobile": mobile})
	code := s.sms.last(mobile)
	rider := s.signedIn(s.web.Must(200, "POST", "/api/session", "", map[string]any{"mobile": mobile, "code": code}))
	s.web.Must(200, "GET", "/api/self-registration/places", "", nil, rider.read()...)

	logs := s.logs.String()
	if !strings.Contains(logs, `"http request"`) {
		t.Fatalf("nothing was logged: %q", logs)
	}
	if strings.Contains(logs, `"level":"WARN"`) || strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("these flows logged a warning or an error:\n%s", logs)
	}
	for name, secret := range map[string]string{"password": bootPassword, "new password": newPassword, "code": code,
		"mobile": mobile, "staff cookie": b.cookie, "staff CSRF token": b.csrf, "rider cookie": rider.cookie,
		"rider CSRF token": rider.csrf, "access token": access, "a token": "eyJ"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs carry the %s", name)
		}
	}
}

// The pruner deletes the sessions that have ended and those idle past
// the idle timeout, and leaves a session in use.
func TestPrune_deletesIdleAndEndedSessionsOnly(t *testing.T) {
	s := newStack(t)
	idle := s.admin()
	s.clock.Add(web.IdleTimeout / 2)
	used := s.admin()
	s.clock.Add(web.IdleTimeout/2 + 2*time.Minute)
	s.web.Must(200, "GET", "/api/session", "", nil, used.read()...) // touched now
	n, err := s.svc.Prune(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("pruned %d (%v), want the idle one", n, err)
	}
	if r := s.web.Do("GET", "/api/session", "", nil, idle.read()...); r.Status != 401 {
		t.Errorf("the idle session: %d", r.Status)
	}
	s.web.Must(200, "GET", "/api/session", "", nil, used.read()...)
	s.clock.Add(identity.RefreshTTL)
	if n, err := s.svc.Prune(t.Context()); err != nil || n != 1 {
		t.Errorf("pruned %d (%v), want the ended one", n, err)
	}
}

// A body over the limit is refused with 413, whether it says its length
// up front or streams without one, and the service gets none of it whole.
func TestProxy_refusesABodyOverTheLimit(t *testing.T) {
	s := newStack(t, func(c *web.Config) { c.MaxBody = 1 << 20 })
	b := s.admin()
	big := strings.Repeat("x", 2<<20)
	r := s.web.Do("POST", "/api/stats/imports", "", big, b.headers()...)
	if got, _ := s.probe.request(); r.Status != 413 || got != nil {
		t.Errorf("with Content-Length: %d %s; reached the service: %v", r.Status, r.Raw, got != nil)
	}

	req, err := http.NewRequest("POST", s.web.URL+"/api/stats/imports", io.MultiReader(strings.NewReader(big)))
	if err != nil {
		t.Fatal(err)
	}
	h := b.headers()
	for i := 0; i+1 < len(h); i += 2 {
		req.Header.Set(h[i], h[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if _, size := s.probe.request(); res.StatusCode != 413 || size >= 2<<20 {
		t.Errorf("streamed: %d; the service got %d bytes", res.StatusCode, size)
	}
	s.web.Must(200, "POST", "/api/stats/imports", "", strings.Repeat("x", 1<<19), b.headers()...)
}
