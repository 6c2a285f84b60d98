package identity_test

import (
	"crypto/ed25519"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// ask asks for a code for mobile from the rider's address ip.
func (h *harness) ask(mobile, ip string) testenv.Response {
	h.t.Helper()
	return h.Do("POST", "/v1/otp", "", map[string]any{"mobile": mobile}, "X-Forwarded-For", ip)
}

// codeSignIn signs in with mobile and code from ip.
func (h *harness) codeSignIn(mobile, code, ip string) testenv.Response {
	h.t.Helper()
	return h.Do("POST", "/v1/sessions", "", map[string]any{"mobile": mobile, "code": code}, "X-Forwarded-For", ip)
}

// riderCode asks for a code for mobile and returns it as the SMS brought it.
func (h *harness) riderCode(mobile, ip string) string {
	h.t.Helper()
	r := h.ask(mobile, ip)
	if r.Status != 200 || r.Body["sent"] != true || r.Num("expires_in") != 300 || r.Num("resend_after") != 60 {
		h.t.Fatalf("ask for a code: %d %s", r.Status, r.Raw)
	}
	normal, err := validate.Mobile(mobile)
	if err != nil {
		h.t.Fatal(err)
	}
	code := h.sms.last(normal)
	if len(code) != 6 {
		h.t.Fatalf("the SMS brought %q", code)
	}
	return code
}

// registryTells publishes a worker event as the registry would, with the
// mobile's match, and waits until identity has applied it.
func (h *harness) registryTells(name event.Name, workerID, mobile, street, community, status string) {
	h.t.Helper()
	h.Publish(name, street, workerID, event.WorkerData{WorkerID: workerID, Street: street, Community: community,
		Occupation: "food_delivery", PoliticalStatus: "masses", Status: status, MobileMatch: h.match.Of(mobile)})
	h.Settled()
}

// A mobile the registry knows signs in as that worker: the code sent by SMS
// works once, the session's token is a worker token every service takes,
// and its refresh gives the worker's place as it is now.
func TestRiderSignIn_knownMobileSignsInAsTheWorker(t *testing.T) {
	h := newHarness(t)
	worker := uuid.NewString()
	h.registryTells(event.WorkerRegistered, worker, "13800138000", "qishan", "tashan", "active")

	code := h.riderCode("138 0013 8000", "203.0.113.7") // as typed, with spaces
	r := h.codeSignIn("+8613800138000", code, "203.0.113.7")
	if r.Status != 201 || r.Body["account"] != nil {
		t.Fatalf("sign-in with the code: %d %s", r.Status, r.Raw)
	}
	w, _ := r.Body["worker"].(map[string]any)
	if w["worker_id"] != worker || w["street"] != "qishan" || w["community"] != "tashan" {
		t.Errorf("session worker: %v", r.Body["worker"])
	}
	p, err := auth.Verifier{Key: h.pub}.Verify(r.Str("access_token"))
	if err != nil || p.Role != auth.Worker || p.WorkerID != worker || p.Street != "qishan" {
		t.Fatalf("the access token: %+v, %v", p, err)
	}
	if again := h.codeSignIn("13800138000", code, "203.0.113.7"); again.Status != 401 {
		t.Errorf("the code a second time: %d %s", again.Status, again.Raw)
	}

	// Moved to another street: the next refresh says so.
	h.Publish(event.WorkerTransferred, "qishan", worker, event.WorkerTransferredData{WorkerID: worker,
		FromStreet: "qishan", FromCommunity: "tashan", ToStreet: "zhifu", ToCommunity: "dongshan"})
	h.Settled()
	ref := h.Must(200, "POST", "/v1/sessions/refresh", "", map[string]any{"refresh_token": r.Str("refresh_token")})
	if p, _ := (auth.Verifier{Key: h.pub}).Verify(ref.Str("access_token")); p.Street != "zhifu" {
		t.Errorf("after the transfer the token's street is %q", p.Street)
	}
}

// A mobile the registry does not know gets an enrolment token, which is no
// access token; with it the rider signs in once the registry has recorded
// their 报到 (told by its event), and not before.
func TestRiderSignIn_unknownMobileEnrolsAndSignsInOnceTheRegistryHasRecordedIt(t *testing.T) {
	h := newHarness(t)
	code := h.riderCode("13900139000", "203.0.113.8")
	r := h.codeSignIn("13900139000", code, "203.0.113.8")
	if r.Status != 200 || r.Body["enrolment_required"] != true || r.Num("expires_in") != 1800 || r.Body["access_token"] != nil {
		t.Fatalf("unknown mobile: %d %s", r.Status, r.Raw)
	}
	token := r.Str("enrolment_token")
	e, err := auth.Verifier{Key: h.pub}.VerifyEnrolment(token)
	if err != nil || e.MobileMatch != h.match.Of("13900139000") {
		t.Fatalf("enrolment token: %+v %v", e, err)
	}
	if _, err := (auth.Verifier{Key: h.pub}).Verify(token); err == nil {
		t.Error("the enrolment token is taken for an access token")
	}
	early := h.Do("POST", "/v1/sessions", "", map[string]any{"enrolment_token": token})
	if early.Status != 409 || early.Num("retry_after") != 1 || early.Str("reason") != "enrolment_pending" {
		t.Errorf("before the registry recorded the 报到: %d %s", early.Status, early.Raw)
	}

	worker := uuid.NewString()
	h.Publish(event.WorkerRegistered, "qishan", worker, event.WorkerData{WorkerID: worker, Street: "qishan", Community: "tashan",
		Occupation: "courier", PoliticalStatus: "masses", Status: "active", MobileMatch: h.match.Of("13900139000"),
		SelfRegistered: true, Confirmation: "awaiting"})
	h.Settled()
	s := h.Must(201, "POST", "/v1/sessions", "", map[string]any{"enrolment_token": token})
	if p, err := (auth.Verifier{Key: h.pub}).Verify(s.Str("access_token")); err != nil || p.WorkerID != worker {
		t.Errorf("signed in after the 报到 as %+v, %v", p, err)
	}
	_, other, _ := ed25519.GenerateKey(nil)
	forged, _ := auth.IssueEnrolment(other, h.match.Of("13900139000"), time.Minute)
	for name, body := range map[string]map[string]any{
		"forged":           {"enrolment_token": forged},
		"an access token":  {"enrolment_token": s.Str("access_token")},
		"not a token":      {"enrolment_token": "garbage"},
		"token and mobile": {"enrolment_token": token, "mobile": "13900139000"},
	} {
		r := h.Do("POST", "/v1/sessions", "", body)
		if r.Status != 401 && r.Status != 422 {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
}

// A worker who leaves, or whose self-registration a clerk rejects, is
// signed out at their next refresh, and a code no longer signs them in as
// that worker.
func TestRiderSignIn_aWorkerWhoLeftOrWasRejectedLosesAccess(t *testing.T) {
	h := newHarness(t)
	for i, status := range []struct {
		name   event.Name
		status string
	}{{event.WorkerLeft, "left"}, {event.WorkerRejected, "rejected"}} {
		mobile := fmt.Sprintf("1370013700%d", i)
		worker := uuid.NewString()
		h.registryTells(event.WorkerRegistered, worker, mobile, "qishan", "tashan", "active")
		s := h.Must(201, "POST", "/v1/sessions", "", map[string]any{"mobile": mobile, "code": h.riderCode(mobile, "198.51.100.1")},
			"X-Forwarded-For", "198.51.100.1")
		h.registryTells(status.name, worker, mobile, "qishan", "tashan", status.status)
		if r := h.Do("POST", "/v1/sessions/refresh", "", map[string]any{"refresh_token": s.Str("refresh_token")}); r.Status != 401 {
			t.Errorf("%s: refresh answered %d", status.status, r.Status)
		}
		h.clock.Add(61 * time.Second)
		r := h.codeSignIn(mobile, h.riderCode(mobile, "198.51.100.1"), "198.51.100.1")
		if r.Status != 200 || r.Body["enrolment_required"] != true {
			t.Errorf("%s: a code now answers %d %s, want the 报到 form", status.status, r.Status, r.Raw)
		}
	}
}

// One code a minute and ten a day per mobile; each refusal is 429 with
// Retry-After saying when.
func TestCodes_perMobileLimits(t *testing.T) {
	h := newHarness(t)
	const mobile = "13600136000"
	h.riderCode(mobile, "203.0.113.9")
	r := h.ask(mobile, "203.0.113.9")
	if r.Status != 429 || r.Header.Get("Retry-After") != "60" || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("a second code within the minute: %d %q %s", r.Status, r.Header.Get("Retry-After"), r.Raw)
	}
	h.clock.Add(20 * time.Second)
	if r := h.ask(mobile, "203.0.113.9"); r.Header.Get("Retry-After") != "40" {
		t.Errorf("20 s later: Retry-After %q, want 40", r.Header.Get("Retry-After"))
	}
	for i := 2; i <= 10; i++ {
		h.clock.Add(time.Minute)
		h.riderCode(mobile, "203.0.113.9")
	}
	h.clock.Add(time.Minute)
	r = h.ask(mobile, "203.0.113.9")
	// The first of the ten was sent 9 min 20 s + 1 min ago: 24 h after it.
	want := strconv.Itoa(int((24*time.Hour - 10*time.Minute - 20*time.Second).Seconds()))
	if r.Status != 429 || r.Header.Get("Retry-After") != want {
		t.Errorf("the eleventh code of the day: %d Retry-After %q, want 429 and %s", r.Status, r.Header.Get("Retry-After"), want)
	}
	h.clock.Add(24 * time.Hour)
	h.riderCode(mobile, "203.0.113.9")
}

// One address may ask for 30 codes an hour, whichever mobiles, and send 30
// wrong codes an hour: then it waits, even with a right code.
func TestCodes_perAddressLimits(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 30; i++ {
		h.riderCode(fmt.Sprintf("1350013%04d", i), "192.0.2.1")
	}
	if r := h.ask("13500139999", "192.0.2.1"); r.Status != 429 || r.Header.Get("Retry-After") != "3600" {
		t.Errorf("the 31st code from one address: %d %q", r.Status, r.Header.Get("Retry-After"))
	}
	h.riderCode("13500139999", "192.0.2.2") // another address is not held back

	// IPv6 addresses count by their /64.
	for i := 0; i < 30; i++ {
		h.riderCode(fmt.Sprintf("1330013%04d", i), fmt.Sprintf("2001:db8:1:2::%x", i+1))
	}
	if r := h.ask("13300139999", "2001:db8:1:2:ffff::1"); r.Status != 429 {
		t.Errorf("the 31st code from one IPv6 /64: %d", r.Status)
	}

	right := h.riderCode("13400134000", "192.0.2.3")
	for i := 0; i < 30; i++ {
		if r := h.codeSignIn(fmt.Sprintf("1340013%04d", i+1), "000000", "192.0.2.3"); r.Status != 401 {
			t.Fatalf("wrong code %d: %d", i, r.Status)
		}
	}
	if r := h.codeSignIn("13400134000", right, "192.0.2.3"); r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Errorf("after 30 wrong codes from the address, the right one: %d %q", r.Status, r.Header.Get("Retry-After"))
	}
}

// A code is good for five minutes and five tries: the fifth wrong one burns
// it, and a right one after that does not sign in.
func TestCodes_fiveWrongTriesBurnTheCodeAndItExpires(t *testing.T) {
	h := newHarness(t)
	const mobile = "13100131000"
	code := h.riderCode(mobile, "203.0.113.10")
	wrong := fmt.Sprintf("%06d", (mustAtoi(t, code)+1)%1_000_000)
	for left := 4; left >= 1; left-- {
		r := h.codeSignIn(mobile, wrong, "203.0.113.10")
		if r.Status != 401 || r.Num("tries_left") != float64(left) {
			t.Errorf("wrong try: %d %s, want 401 with %d tries left", r.Status, r.Raw, left)
		}
	}
	if r := h.codeSignIn(mobile, wrong, "203.0.113.10"); r.Status != 401 || !strings.Contains(r.Str("detail"), "no longer works") {
		t.Errorf("the fifth wrong try: %d %s", r.Status, r.Raw)
	}
	if r := h.codeSignIn(mobile, code, "203.0.113.10"); r.Status != 401 {
		t.Errorf("the right code after it was burnt: %d %s", r.Status, r.Raw)
	}

	h.clock.Add(time.Minute)
	code = h.riderCode(mobile, "203.0.113.10")
	h.clock.Add(5*time.Minute + time.Second)
	if r := h.codeSignIn(mobile, code, "203.0.113.10"); r.Status != 401 {
		t.Errorf("the right code after five minutes: %d %s", r.Status, r.Raw)
	}
}

// A gateway that fails answers 503 with Retry-After and counts nothing: the
// rider asks again at once when it is back.
func TestCodes_aGatewayFailureCountsNothing(t *testing.T) {
	h := newHarness(t)
	h.sms.setFailing(true)
	r := h.ask("13200132000", "203.0.113.11")
	if r.Status != 503 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("gateway down: %d %s", r.Status, r.Raw)
	}
	h.sms.setFailing(false)
	h.riderCode("13200132000", "203.0.113.11")
}

// Bad input answers problem+json naming the field, and writes nothing.
func TestRiderSignIn_badInputNamesTheFieldAndWritesNothing(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		path  string
		body  map[string]any
		field string
	}{
		{"/v1/otp", map[string]any{}, "mobile"},
		{"/v1/otp", map[string]any{"mobile": "12345"}, "mobile"},
		{"/v1/otp", map[string]any{"mobile": "+1 415 555 0100"}, "mobile"},
		{"/v1/sessions", map[string]any{"mobile": "13800138000"}, "code"},
		{"/v1/sessions", map[string]any{"mobile": "13800138000", "code": "12345a"}, "code"},
		{"/v1/sessions", map[string]any{"code": "123456"}, "mobile"},
		{"/v1/sessions", map[string]any{"mobile": "13800138000", "code": "123456", "username": "admin"}, "username"},
		{"/v1/sessions", map[string]any{"enrolment_token": strings.Repeat("x", 5000)}, "enrolment_token"},
	} {
		r := h.Do("POST", c.path, "", c.body, "X-Forwarded-For", "203.0.113.12")
		if r.Status != 422 || r.Field() != c.field || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %v: %d %s, want 422 naming %s", c.path, c.body, r.Status, r.Raw, c.field)
		}
	}
	var rows int
	if err := h.env.Pool.QueryRow(h.env.Ctx, `SELECT (SELECT count(*) FROM otp_sends) + (SELECT count(*) FROM otp_codes)
		+ (SELECT count(*) FROM otp_failures) + (SELECT count(*) FROM outbox)`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("bad input wrote %d rows (%v)", rows, err)
	}
	if n := len(h.sms.all()); n != 0 {
		t.Errorf("bad input sent %d codes", n)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// No code, mobile, mobile match, password or hash is in any event, log
// line (at any level) or answer of the rider and staff flows; tokens are
// only in the answers that hand them out.
func TestSecrets_noCodeMobileOrPasswordInEventsLogsOrAnswers(t *testing.T) {
	h := newHarness(t)
	var answers strings.Builder
	keep := func(r testenv.Response) testenv.Response { answers.Write(r.Raw); return r }

	const known, unknown = "13800138001", "13900139001"
	worker := uuid.NewString()
	h.registryTells(event.WorkerRegistered, worker, known, "qishan", "tashan", "active")
	knownCode := h.riderCode(known, "203.0.113.20")
	keep(h.codeSignIn(known, fmt.Sprintf("%06d", (mustAtoi(t, knownCode)+7)%1_000_000), "203.0.113.20"))
	s := h.codeSignIn(known, knownCode, "203.0.113.20") // its tokens are the point of the answer
	unknownCode := h.riderCode(unknown, "203.0.113.20")
	keep(h.ask(unknown, "203.0.113.20")) // refused: within the minute
	e := keep(h.codeSignIn(unknown, unknownCode, "203.0.113.20"))
	keep(h.Do("POST", "/v1/sessions", "", map[string]any{"enrolment_token": e.Str("enrolment_token")}))
	keep(h.Do("POST", "/v1/sessions/refresh", "", map[string]any{"refresh_token": s.Str("refresh_token")}))

	district := h.admin()
	_, pw := h.create(district, map[string]any{"username": "qishan.admin", "role": "street_admin", "street": "qishan"})
	keep(h.signIn("qishan.admin", pw, "Qishan-street-admin-7"))
	for i := 0; i < 6; i++ {
		keep(h.signIn("qishan.admin", "Wrong-password-typed-3", ""))
	}
	h.Settled()
	var events strings.Builder
	for _, m := range h.Published("identity") {
		events.Write(m.Data)
		events.WriteString(m.Subject)
	}
	if events.Len() == 0 || !strings.Contains(h.logs.String(), "{") {
		t.Fatal("nothing to scan: no events or no log")
	}
	secrets := []string{knownCode, unknownCode, known, unknown, h.match.Of(known), h.match.Of(unknown),
		pw, "Qishan-street-admin-7", "Wrong-password-typed-3", "$argon2id"}
	for where, text := range map[string]string{"an event": events.String(), "the log": h.logs.String(), "an answer": answers.String()} {
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds %q", where, secret)
			}
		}
	}
	for where, text := range map[string]string{"an event": events.String(), "the log": h.logs.String()} {
		for _, token := range []string{s.Str("refresh_token"), s.Str("access_token")[40:80], e.Str("enrolment_token")[40:80]} {
			if strings.Contains(text, token) {
				t.Errorf("%s holds a token", where)
			}
		}
	}
}
