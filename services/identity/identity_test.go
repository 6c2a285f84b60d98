package identity_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/pii"
	"github.com/nuanxin/nuanxin/pkg/places"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/identity"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// clock is a settable time for the service.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// harness is the identity service on a fresh database behind an httptest
// server, signing with a key of its own that the verifier trusts, with a
// district admin "admin" made at bootstrap and the places of the tests.
type harness struct {
	testenv.API
	testenv.Bus
	t     testing.TB
	svc   *identity.Service
	clock *clock
	pub   ed25519.PublicKey
	env   *testenv.Service
	sms   *fakeSMS
	match *pii.MobileMatch
	logs  *syncBuffer // everything the service logged, at every level
}

// fakeSMS is the SMS gateway: it keeps what it was asked to send, and
// fails while fail is set.
type fakeSMS struct {
	mu   sync.Mutex
	sent map[string][]string // mobile: codes, in order
	fail bool
}

func (f *fakeSMS) SendCode(_ context.Context, mobile, code string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("gateway down")
	}
	if f.sent == nil {
		f.sent = map[string][]string{}
	}
	f.sent[mobile] = append(f.sent[mobile], code)
	return nil
}

func (f *fakeSMS) setFailing(v bool) { f.mu.Lock(); f.fail = v; f.mu.Unlock() }

// last is the last code sent to mobile ("" none).
func (f *fakeSMS) last(mobile string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	codes := f.sent[mobile]
	if len(codes) == 0 {
		return ""
	}
	return codes[len(codes)-1]
}

// all is every code sent.
func (f *fakeSMS) all() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, codes := range f.sent {
		out = append(out, codes...)
	}
	return out
}

// syncBuffer is a bytes.Buffer safe for the service's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// testMatchKey is the mobile match key the tests share with "the registry".
var testMatchKey = base64.StdEncoding.EncodeToString([]byte("a mobile match key of 32 bytes!!"))

const bootPassword = "given-at-bootstrap-7"

func newHarness(t testing.TB) *harness {
	t.Helper()
	env := testenv.NewService(t, identity.Schema, identity.Migrations(), "registry", "identity")
	clk := &clock{now: time.Now().UTC()}
	bell := outbox.NewBell() // as app.Runtime wires them
	svc := identity.NewService(env.Pool, env.Key, outbox.Writer{Subjects: env.Subjects, Bell: bell}, clk.Now)
	match, err := pii.NewMobileMatchFromBase64(testMatchKey)
	if err != nil {
		t.Fatal(err)
	}
	sms := &fakeSMS{}
	svc.Match, svc.SMS = match, sms
	// The tests call from 127.0.0.1 as a proxy would, naming the rider's
	// address in X-Forwarded-For.
	svc.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	svc.RegisterMetrics(env.Metrics)
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	relay := &outbox.Relay{Pool: env.Pool, JS: env.JS, Bell: bell, PollInterval: 100 * time.Millisecond, AckTimeout: 2 * time.Second, Logger: log}
	env.Go(func(ctx context.Context) { _ = relay.Run(ctx) })
	runners := env.Consume([]*consume.Runner{identity.WorkerConsumer(env.Pool, env.JS, env.Subjects, log, consume.NewMetrics(env.Metrics))})
	srv := httptest.NewServer(identity.NewHTTPHandler(svc, auth.Verifier{Key: env.PublicKey, Places: places.NewKnown(env.Pool), Verified: &auth.Verified{}},
		idempotency.Keys{Pool: env.Pool}, env.Metrics, log, httpx.Check{Name: "postgres", Fn: env.Pool.Ping}))
	t.Cleanup(srv.Close)
	if _, err := env.Pool.Exec(env.Ctx, `INSERT INTO streets (code, name) VALUES ('qishan', '奇山街道'), ('zhifu', '芝罘街道');
		INSERT INTO communities (street, code, name) VALUES ('qishan', 'tashan', '塔山社区'), ('zhifu', 'dongshan', '东山社区')`); err != nil {
		t.Fatal(err)
	}
	if made, err := svc.Bootstrap(env.Ctx, "admin", bootPassword); err != nil || !made {
		t.Fatalf("bootstrap: %v %v", made, err)
	}
	return &harness{API: env.API(srv.URL), Bus: env.Bus(runners), t: t, svc: svc, clock: clk, pub: env.PublicKey, env: env,
		sms: sms, match: match, logs: logs}
}

// signIn signs in and returns the answer.
func (h *harness) signIn(username, password, newPassword string) testenv.Response {
	h.t.Helper()
	body := map[string]any{"username": username, "password": password}
	if newPassword != "" {
		body["new_password"] = newPassword
	}
	return h.Do("POST", "/v1/sessions", "", body)
}

// admin signs the bootstrap admin in (changing the password the first
// time) and returns the access token.
func (h *harness) admin() string {
	h.t.Helper()
	r := h.signIn("admin", bootPassword, "Warm-district-head-42")
	if r.Status == 401 {
		r = h.signIn("admin", "Warm-district-head-42", "")
	}
	if r.Status != 201 {
		h.t.Fatalf("admin sign-in: %d %v", r.Status, r.Body)
	}
	return r.Str("access_token")
}

// create makes an account as token and returns its id and initial password.
func (h *harness) create(token string, body map[string]any) (string, string) {
	h.t.Helper()
	r := h.Must(201, "POST", "/v1/accounts", token, body)
	return r.Str("id"), r.Str("initial_password")
}

// A first sign-in must change the given password, to one the policy
// accepts; the session's access token is one every service verifies, and
// names its key as the JWKS does.
func TestPasswordSignIn_firstUseChangesThePasswordAndGivesTokensEveryServiceTakes(t *testing.T) {
	h := newHarness(t)
	r := h.signIn("admin", bootPassword, "")
	if r.Status != 403 || r.Body["password_change_required"] != true {
		t.Fatalf("first sign-in without a new password: %d %v", r.Status, r.Body)
	}
	for _, c := range []struct{ password, code string }{
		{"short1", "too_short"},
		{"1234567890", "common_password"},
		{"aaaaaaaaaaaa", "common_password"},
		{"admin-is-my-name", "contains_username"},
		{bootPassword, "same_password"},
	} {
		r := h.signIn("admin", bootPassword, c.password)
		if r.Status != 422 || r.Field() != "new_password" || !strings.Contains(string(r.Raw), c.code) {
			t.Errorf("new password %q: %d %s, want 422 %s on new_password", c.password, r.Status, r.Raw, c.code)
		}
	}
	r = h.signIn("admin", bootPassword, "Warm-district-head-42")
	if r.Status != 201 || r.Str("token_type") != "Bearer" || r.Num("expires_in") != 900 || r.Str("refresh_token") == "" {
		t.Fatalf("sign-in with a new password: %d %v", r.Status, r.Body)
	}
	p, err := auth.Verifier{Key: h.pub}.Verify(r.Str("access_token"))
	if err != nil || p.Role != auth.DistrictAdmin || p.Subject != "admin" {
		t.Fatalf("the access token: %+v, %v", p, err)
	}
	// The token's kid is the key's in the JWKS.
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(r.Str("access_token"), ".")[0])
	var h1 struct{ Kid string }
	_ = json.Unmarshal(header, &h1)
	jwks := h.Must(200, "GET", "/.well-known/jwks.json", "", nil)
	keys, _ := jwks.Body["keys"].([]any)
	if len(keys) != 1 || keys[0].(map[string]any)["kid"] != h1.Kid || h1.Kid != auth.KeyID(h.pub) {
		t.Errorf("token kid %q, JWKS %v", h1.Kid, jwks.Body)
	}
	// The old password no longer works; the new one does, without a change.
	if r := h.signIn("admin", bootPassword, ""); r.Status != 401 {
		t.Errorf("the given password after the change: %d", r.Status)
	}
	me := h.Must(200, "GET", "/v1/me", h.signIn("admin", "Warm-district-head-42", "").Str("access_token"), nil)
	if me.Str("role") != "district_admin" || me.Body["account"].(map[string]any)["username"] != "admin" {
		t.Errorf("me: %v", me.Body)
	}
}

// A wrong name and a wrong password answer alike.
func TestPasswordSignIn_unknownNameAndWrongPasswordAnswerAlike(t *testing.T) {
	h := newHarness(t)
	a, b := h.signIn("nobody", "whatever-it-is-1", ""), h.signIn("admin", "whatever-it-is-1", "")
	if a.Status != 401 || b.Status != 401 || a.Body["detail"] != b.Body["detail"] {
		t.Errorf("unknown name: %d %v; wrong password: %d %v", a.Status, a.Body, b.Status, b.Body)
	}
	for _, body := range []map[string]any{{}, {"username": "admin"}, {"password": "x"}} {
		if r := h.Do("POST", "/v1/sessions", "", body); r.Status != 422 {
			t.Errorf("%v: %d", body, r.Status)
		}
	}
}

// Five wrong passwords lock the account: a sixth try, even right, waits
// (429, Retry-After); the lock lasts a minute, doubling with more failures.
func TestPasswordSignIn_lockoutAfterFiveWrongPasswordsBacksOff(t *testing.T) {
	h := newHarness(t)
	h.admin()
	for i := 0; i < 5; i++ {
		if r := h.signIn("admin", "wrong-password-1", ""); r.Status != 401 {
			t.Fatalf("wrong password %d: %d", i+1, r.Status)
		}
	}
	r := h.signIn("admin", "Warm-district-head-42", "")
	if r.Status != 429 || r.Header.Get("Retry-After") != "60" {
		t.Fatalf("locked: %d, Retry-After %q", r.Status, r.Header.Get("Retry-After"))
	}
	h.clock.Add(61 * time.Second)
	if r := h.signIn("admin", "wrong-password-1", ""); r.Status != 401 {
		t.Fatalf("a sixth wrong password: %d", r.Status)
	}
	if r := h.signIn("admin", "Warm-district-head-42", ""); r.Status != 429 || r.Header.Get("Retry-After") != "120" {
		t.Fatalf("locked again: %d, Retry-After %q, want 120 s", r.Status, r.Header.Get("Retry-After"))
	}
	h.clock.Add(121 * time.Second)
	if r := h.signIn("admin", "Warm-district-head-42", ""); r.Status != 201 {
		t.Fatalf("after the lock: %d", r.Status)
	}
	// The count starts again after a good sign-in.
	if r := h.signIn("admin", "wrong-password-1", ""); r.Status != 401 {
		t.Errorf("one wrong password after a good one: %d", r.Status)
	}
}

// A refresh token works once: each use gives a new one of the same family.
// A used one presented again signs the whole family out.
func TestRefresh_rotatesAndAReusedTokenSignsTheFamilyOut(t *testing.T) {
	h := newHarness(t)
	h.admin()
	first := h.signIn("admin", "Warm-district-head-42", "").Str("refresh_token")
	second := h.Must(200, "POST", "/v1/sessions/refresh", "", map[string]any{"refresh_token": first})
	third := h.Must(200, "POST", "/v1/sessions/refresh", "", map[string]any{"refresh_token": second.Str("refresh_token")})
	if second.Str("access_token") == "" || third.Str("refresh_token") == second.Str("refresh_token") {
		t.Fatalf("rotation: %v %v", second.Body, third.Body)
	}
	// The first, stolen and replayed.
	if r := h.Do("POST", "/v1/sessions/refresh", "", map[string]any{"refresh_token": first}); r.Status != 401 {
		t.Fatalf("a reused token: %d", r.Status)
	}
	if r := h.Do("POST", "/v1/sessions/refresh", "", map[string]any{"refresh_token": third.Str("refresh_token")}); r.Status != 401 {
		t.Errorf("the family's newest token after the reuse: %d, want 401", r.Status)
	}
	// Another sign-in is another family, untouched.
	other := h.signIn("admin", "Warm-district-head-42", "").Str("refresh_token")
	h.Must(200, "POST", "/v1/sessions/refresh", "", map[string]any{"refresh_token": other})
	// Signing out ends a family; bad input is refused.
	fresh := h.signIn("admin", "Warm-district-head-42", "").Str("refresh_token")
	h.Must(200, "DELETE", "/v1/sessions", "", map[string]any{"refresh_token": fresh})
	if r := h.Do("POST", "/v1/sessions/refresh", "", map[string]any{"refresh_token": fresh}); r.Status != 401 {
		t.Errorf("after signing out: %d", r.Status)
	}
	if r := h.Do("POST", "/v1/sessions/refresh", "", map[string]any{"refresh_token": "short"}); r.Status != 422 {
		t.Errorf("a malformed token: %d", r.Status)
	}
	// Expired after 30 days.
	late := h.signIn("admin", "Warm-district-head-42", "").Str("refresh_token")
	h.clock.Add(identity.RefreshTTL + time.Second)
	if r := h.Do("POST", "/v1/sessions/refresh", "", map[string]any{"refresh_token": late}); r.Status != 401 {
		t.Errorf("an expired token: %d", r.Status)
	}
}

// District admins create street admins; street admins create community
// staff of their street; no one else creates anyone.
func TestAccounts_eachAdminCreatesTheRolesBelow(t *testing.T) {
	h := newHarness(t)
	district := h.admin()
	_, pw := h.create(district, map[string]any{"username": "qishan.admin", "display_name": "奇山街道管理员", "role": "street_admin", "street": "qishan"})
	if len(pw) != 16 {
		t.Fatalf("initial password %q", pw)
	}
	street := h.signIn("qishan.admin", pw, "Qishan-street-admin-7").Str("access_token")
	_, staffPw := h.create(street, map[string]any{"username": "tashan.wang", "role": "community_staff", "community": "tashan", "grid": "第三网格"})
	staff := h.signIn("tashan.wang", staffPw, "Tashan-grid-worker-9").Str("access_token")
	for _, c := range []struct {
		name   string
		token  string
		body   map[string]any
		status int
		field  string // or, on a 409, the reason
	}{
		{"a street admin, another street's staff", street, map[string]any{"username": "x.y", "role": "community_staff", "street": "zhifu", "community": "dongshan"}, 403, ""},
		{"a street admin, a street admin", street, map[string]any{"username": "x.y", "role": "street_admin", "street": "qishan"}, 403, ""},
		{"community staff, anyone", staff, map[string]any{"username": "x.y", "role": "community_staff", "community": "tashan"}, 403, ""},
		{"a district admin", district, map[string]any{"username": "x.y", "role": "district_admin"}, 422, "role"},
		{"a street that does not exist", district, map[string]any{"username": "x.y", "role": "street_admin", "street": "nowhere"}, 422, "street"},
		{"a community of another street", district, map[string]any{"username": "x.y", "role": "community_staff", "street": "qishan", "community": "dongshan"}, 422, "community"},
		{"a name taken", district, map[string]any{"username": "qishan.admin", "role": "street_admin", "street": "qishan"}, 409, "account_exists"},
		{"a name that is not one", district, map[string]any{"username": "Wang Wei", "role": "street_admin", "street": "qishan"}, 422, "username"},
		{"no name", district, map[string]any{"role": "street_admin", "street": "qishan"}, 422, "username"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := h.Do("POST", "/v1/accounts", c.token, c.body)
			got := r.Field()
			if r.Status == 409 {
				got = r.Str("reason")
			}
			if r.Status != c.status || (c.field != "" && got != c.field) {
				t.Errorf("answered %d %v, want %d on %q", r.Status, r.Body, c.status, c.field)
			}
		})
	}
	// Each lists the accounts it manages.
	if items := h.Must(200, "GET", "/v1/accounts", street, nil).Items(); len(items) != 1 || items[0].(map[string]any)["username"] != "tashan.wang" {
		t.Errorf("the street admin's list: %v", items)
	}
	if items := h.Must(200, "GET", "/v1/accounts", district, nil).Items(); len(items) != 2 {
		t.Errorf("the district admin's list: %v", items)
	}
	h.Must(403, "GET", "/v1/accounts", staff, nil)
	// No password or hash in any answer.
	for _, path := range []string{"/v1/accounts", "/v1/me"} {
		if r := h.Must(200, "GET", path, district, nil); strings.Contains(string(r.Raw), "argon2") || strings.Contains(string(r.Raw), "password_hash") {
			t.Errorf("%s shows a hash: %s", path, r.Raw)
		}
	}
}

// Disabling an account signs it out everywhere and refuses its sign-in;
// re-enabling lets it in again. A reset gives a new password to change.
func TestAccounts_disableResetAndReEnable(t *testing.T) {
	h := newHarness(t)
	district := h.admin()
	id, pw := h.create(district, map[string]any{"username": "qishan.admin", "role": "street_admin", "street": "qishan"})
	s := h.signIn("qishan.admin", pw, "Qishan-street-admin-7")
	h.Must(200, "PATCH", "/v1/accounts/"+id, district, map[string]any{"disabled": true})
	if r := h.Do("POST", "/v1/sessions/refresh", "", map[string]any{"refresh_token": s.Str("refresh_token")}); r.Status != 401 {
		t.Errorf("refresh of a disabled account: %d", r.Status)
	}
	if r := h.signIn("qishan.admin", "Qishan-street-admin-7", ""); r.Status != 403 {
		t.Errorf("sign-in of a disabled account: %d", r.Status)
	}
	h.Must(200, "PATCH", "/v1/accounts/"+id, district, map[string]any{"disabled": false})
	h.Must(201, "POST", "/v1/sessions", "", map[string]any{"username": "qishan.admin", "password": "Qishan-street-admin-7"})
	reset := h.Must(200, "POST", "/v1/accounts/"+id+"/password-reset", district, nil)
	if r := h.signIn("qishan.admin", "Qishan-street-admin-7", ""); r.Status != 401 {
		t.Errorf("the old password after a reset: %d", r.Status)
	}
	if r := h.signIn("qishan.admin", reset.Str("initial_password"), ""); r.Status != 403 || r.Body["password_change_required"] != true {
		t.Errorf("the reset password must be changed: %d %v", r.Status, r.Body)
	}
	// Only an admin above manages an account; to anyone else it does not exist.
	street := h.signIn("qishan.admin", reset.Str("initial_password"), "Qishan-street-admin-8").Str("access_token")
	h.Must(404, "PATCH", "/v1/accounts/"+id, street, map[string]any{"disabled": true})
	h.Must(404, "POST", "/v1/accounts/not-an-id/password-reset", district, nil)
}

// Every sign-in, failure, lockout and change to an account is an audit
// event; none holds a username, a password, a hash or a token.
func TestAudit_everySignInFailureLockoutAndChangeIsAnEventWithoutSecrets(t *testing.T) {
	h := newHarness(t)
	district := h.admin()
	id, pw := h.create(district, map[string]any{"username": "qishan.admin", "role": "street_admin", "street": "qishan"})
	s := h.signIn("qishan.admin", pw, "Qishan-street-admin-7")
	h.signIn("nobody.here", "Typed-into-the-wrong-box-1", "")
	for i := 0; i < 5; i++ {
		h.signIn("qishan.admin", "wrong-password-1", "")
	}
	h.signIn("qishan.admin", "Qishan-street-admin-7", "") // locked
	h.Must(200, "PATCH", "/v1/accounts/"+id, district, map[string]any{"disabled": true})
	h.Must(200, "PATCH", "/v1/accounts/"+id, district, map[string]any{"disabled": false})
	reset := h.Must(200, "POST", "/v1/accounts/"+id+"/password-reset", district, nil)

	got := map[string]int{}
	reasons := map[string]int{}
	var raw strings.Builder
	for _, m := range h.Published("identity") {
		got[m.Type]++
		var d event.AccountData
		if err := m.Decode(&d); err != nil {
			t.Fatal(err)
		}
		if d.Reason != "" {
			reasons[d.Reason]++
		}
		if m.Type == event.AccountLocked.Type() && (d.LockedUntil == nil || d.FailedAttempts != 5 || d.AccountID != id) {
			t.Errorf("locked: %+v", d)
		}
		raw.Write(m.Data)
		raw.WriteString(m.Subject)
	}
	for name, want := range map[event.Name]int{event.AccountCreated: 1, event.AccountSignedIn: 2, event.AccountSignInFailed: 7,
		event.AccountLocked: 1, event.AccountDisabled: 1, event.AccountEnabled: 1, event.AccountPasswordReset: 1} {
		if got[name.Type()] != want {
			t.Errorf("%d %s, want %d", got[name.Type()], name.Type(), want)
		}
	}
	if reasons["unknown_account"] != 1 || reasons["wrong_password"] != 5 || reasons["locked"] != 1 {
		t.Errorf("failure reasons: %v", reasons)
	}
	for _, secret := range []string{"qishan.admin", "nobody.here", pw, "Qishan-street-admin-7", "wrong-password-1", "Typed-into-the-wrong-box-1",
		reset.Str("initial_password"), "argon2", s.Str("refresh_token"), s.Str("access_token")[:40]} {
		if strings.Contains(raw.String(), secret) {
			t.Errorf("an event holds %q", secret)
		}
	}
}

// A rotation as the services see it: they verify the identity service's
// tokens with the key its JWKS names; while the previous key is still
// published its tokens pass, once it is dropped they are refused.
func TestJWKS_servicesTakeItsKeysAndRefuseARetiredOne(t *testing.T) {
	h := newHarness(t)
	prevPub, prevKey, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	during := identity.NewService(h.env.Pool, h.env.Key, outbox.Writer{Subjects: h.env.Subjects}, nil)
	during.Published = []ed25519.PublicKey{prevPub}
	after := identity.NewService(h.env.Pool, h.env.Key, outbox.Writer{Subjects: h.env.Subjects}, nil)
	verifier := auth.Verifier{Key: h.pub}
	handlerOf := func(s *identity.Service) http.Handler {
		return identity.NewHTTPHandler(s, verifier, idempotency.Keys{Pool: h.env.Pool}, prometheus.NewRegistry(), h.env.Log)
	}
	var current atomic.Pointer[http.Handler]
	d, a := handlerOf(during), handlerOf(after)
	current.Store(&d)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*current.Load()).ServeHTTP(w, r) }))
	defer srv.Close()

	service := auth.Verifier{Keys: &auth.KeySet{URL: srv.URL + "/.well-known/jwks.json", MaxAge: time.Nanosecond, MinRefresh: time.Nanosecond}}
	fresh := h.admin()
	old, err := auth.Issue(prevKey, auth.Principal{Subject: "admin", Role: auth.DistrictAdmin}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"the signing key's": fresh, "the previous key's": old} {
		if _, err := service.Verify(tok); err != nil {
			t.Errorf("during the rotation, %s token: %v", name, err)
		}
	}
	current.Store(&a)
	if _, err := service.Verify(old); err == nil {
		t.Error("the retired key's token was taken")
	}
	if _, err := service.Verify(fresh); err != nil {
		t.Errorf("the signing key's token after the rotation: %v", err)
	}
}

// A role or place change is for the admin above both the old and the new
// one; it is an audit event saying from what, and the account's next
// refresh carries it.
func TestUpdateAccount_roleChangeIsManagedAuditedAndCarriedByTheNextRefresh(t *testing.T) {
	h := newHarness(t)
	district := h.admin()
	id, pw := h.create(district, map[string]any{"username": "tashan.li", "role": "community_staff", "street": "qishan", "community": "tashan", "grid": "第三网格"})
	s := h.signIn("tashan.li", pw, "Tashan-grid-worker-9")
	_, spw := h.create(district, map[string]any{"username": "qishan.head", "role": "street_admin", "street": "qishan"})
	street := h.signIn("qishan.head", spw, "Qishan-street-head-9").Str("access_token")

	for _, c := range []struct {
		token  string
		body   map[string]any
		status int
		field  string
	}{
		{street, map[string]any{"role": "street_admin", "street": "qishan"}, 403, ""},
		{street, map[string]any{"role": "community_staff", "street": "zhifu", "community": "dongshan"}, 403, ""},
		{district, map[string]any{"community": "dongshan"}, 422, "role"},
		{district, map[string]any{"role": "district_admin"}, 422, "role"},
		{district, map[string]any{"role": "community_staff", "street": "qishan", "community": "nowhere"}, 422, "community"},
		{district, map[string]any{"role": "street_admin", "street": "qishan", "grid": "第三网格"}, 422, "grid"},
	} {
		r := h.Do("PATCH", "/v1/accounts/"+id, c.token, c.body)
		if r.Status != c.status || (c.field != "" && r.Field() != c.field) {
			t.Errorf("%v: %d %s, want %d %s", c.body, r.Status, r.Raw, c.status, c.field)
		}
	}
	if r := h.Must(200, "GET", "/v1/me", s.Str("access_token"), nil); r.Str("role") != "community_staff" {
		t.Fatalf("refused changes changed the account: %v", r.Body)
	}

	moved := h.Must(200, "PATCH", "/v1/accounts/"+id, district, map[string]any{"role": "street_admin", "street": "zhifu"})
	if moved.Str("role") != "street_admin" || moved.Str("street") != "zhifu" || moved.Body["community"] != nil || moved.Body["grid"] != nil {
		t.Errorf("after the change: %v", moved.Body)
	}
	ref := h.Must(200, "POST", "/v1/sessions/refresh", "", map[string]any{"refresh_token": s.Str("refresh_token")})
	if p, _ := (auth.Verifier{Key: h.pub}).Verify(ref.Str("access_token")); p.Role != auth.StreetAdmin || p.Street != "zhifu" || p.Community != "" {
		t.Errorf("the next refresh's token: %+v", p)
	}
	var changed []event.AccountData
	for _, m := range h.Published("identity") {
		if m.Type == event.AccountRoleChanged.Type() {
			var d event.AccountData
			if err := m.Decode(&d); err != nil {
				t.Fatal(err)
			}
			changed = append(changed, d)
		}
	}
	if len(changed) != 1 || changed[0].FromRole != "community_staff" || changed[0].FromStreet != "qishan" || changed[0].FromCommunity != "tashan" ||
		changed[0].Role != "street_admin" || changed[0].Street != "zhifu" || changed[0].Actor != "admin" {
		t.Errorf("role_changed events: %+v", changed)
	}
}
