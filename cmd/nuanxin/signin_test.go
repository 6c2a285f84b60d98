package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/pii"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// TestSignIn_everyServiceTrustsIdentityAndForgetsWhomItShould runs the
// whole stack and signs people in as they would: a rider the registry
// knows, with the code the dev SMS gateway prints; a rider it does not
// know, through the 报到 form to the registry and a clerk's confirmation;
// staff with a password. Every service takes the tokens identity hands
// out. A disabled account is refused by every service once its last
// access token has run out; a key rotation is taken by every service
// without a restart, and the retired key is refused by all of them.
func TestSignIn_everyServiceTrustsIdentityAndForgetsWhomItShould(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole stack")
	}
	// Short lives, so that what must end does so within the test: the
	// services fetch the published keys again after a second, and an
	// access token lasts three (plus auth.Leeway).
	t.Setenv("AUTH_JWKS_MAX_AGE", "1s")
	t.Setenv("IDENTITY_ACCESS_TTL", "3s")
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	ts := startTestStack(t, ctx)
	devKey, err := auth.LoadOrCreateDevKey(ts.data)
	if err != nil {
		t.Fatal(err)
	}
	c := &signInClient{t: t, ctx: ctx, stack: ts}

	// A rider the registry knows (the demo's 王海涛) signs in with the code
	// the SMS brought, as that worker; every service takes the token.
	rider := c.riderSignIn("13953501201")
	if rider.Worker == nil || rider.Worker.Street != "qishan" {
		t.Fatalf("the known rider signed in as %+v", rider.Worker)
	}
	c.everyServiceTakes("the known rider's token", rider.AccessToken)

	// A rider it does not know: an enrolment token, the 报到 form to the
	// registry, then signed in as the worker it recorded; a clerk of the
	// street confirms.
	const newMobile = "13012345678"
	enrol := c.enrolmentFor(newMobile)
	var recorded struct {
		WorkerID     string `json:"worker_id"`
		Confirmation string `json:"confirmation"`
	}
	c.call("registry", enrol, "POST", "/v1/self-registrations", map[string]any{
		"name": "陈新骑", "id_number": residentID("370602", "19960415", "313"), "mobile": newMobile,
		"occupation": "food_delivery", "platform": "美团", "community": "tashan"}, 201, &recorded)
	if recorded.WorkerID == "" || recorded.Confirmation != "awaiting" {
		t.Fatalf("the 报到 answered %+v", recorded)
	}
	var enrolled sessionAnswer
	testenv.Eventually(t, 30*time.Second, func() bool { // the registry's event on its way to identity
		return c.callStatus("identity", "", "POST", "/v1/sessions", map[string]any{"enrolment_token": enrol}, &enrolled) == 201
	})
	if enrolled.Worker == nil || enrolled.Worker.WorkerID != recorded.WorkerID {
		t.Fatalf("after the 报到 signed in as %+v, want worker %s", enrolled.Worker, recorded.WorkerID)
	}
	c.everyServiceTakes("the enrolled rider's token", enrolled.AccessToken)
	clerk := mustIssue(t, devKey, auth.Principal{Subject: "qishan-clerk", Role: auth.StreetAdmin, Street: "qishan"})
	var queue struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	c.call("registry", clerk, "GET", "/v1/self-registrations", nil, 200, &queue)
	if len(queue.Items) != 1 || queue.Items[0].ID != recorded.WorkerID {
		t.Fatalf("the clerk's queue: %+v", queue.Items)
	}
	c.call("registry", clerk, "POST", "/v1/workers/"+recorded.WorkerID+"/confirm", map[string]any{"reason": "电话核实"}, 200, nil)

	// Staff: a street admin signs in with the password printed by make
	// run, changing it; then a district admin disables the account. Its
	// refresh is refused at once; its access token by every service once it
	// has run out.
	staff := c.staffSignIn("qishan.admin")
	c.everyServiceTakes("the street admin's token", staff.AccessToken)
	district := mustIssue(t, devKey, auth.Principal{Subject: "nuanxin-dev", Role: auth.DistrictAdmin})
	c.call("identity", district, "PATCH", "/v1/accounts/"+staff.Account.ID, map[string]any{"disabled": true}, 200, nil)
	if got := c.callStatus("identity", "", "POST", "/v1/sessions/refresh", map[string]any{"refresh_token": staff.RefreshToken}, nil); got != 401 {
		t.Errorf("the disabled account's refresh answered %d", got)
	}
	disabledUntil := time.Now().Add(3*time.Second + auth.Leeway)

	// A key rotation, while that token runs out, done as an operator
	// should: each new key is published (announced) before it signs, so no
	// service ever meets a kid it has not fetched. Identity restarts still
	// signing with the dev key, announcing key 2: every service comes to
	// take key 2's tokens without a restart.
	pub1 := filepath.Join(ts.data, auth.DevPublicKeyFile)
	key2, pub2 := c.newKeyFiles("2")
	key3, pub3 := c.newKeyFiles("3")
	priv2, priv3 := mustKey(t, key2), mustKey(t, key3)
	c.restartIdentity("IDENTITY_PUBLISHED_KEY_FILES=" + pub2)
	c.eventuallyEveryServiceTakes("an announced key's token", mustIssue(t, priv2, auth.Principal{Subject: "nuanxin-dev", Role: auth.DistrictAdmin}))
	// Key 2 signs, the dev key stays published, key 3 is announced: a
	// sign-in's token is taken by every service at once.
	c.restartIdentity("AUTH_PRIVATE_KEY_FILE="+key2, "IDENTITY_PUBLISHED_KEY_FILES="+pub1+","+pub3)
	signed2 := c.riderSignIn("15153572306") // the demo's 李明辉 (a code a minute per mobile: another rider)
	c.everyServiceTakes("a token of the new key", signed2.AccessToken)
	c.eventuallyEveryServiceTakes("the next key's token", mustIssue(t, priv3, auth.Principal{Subject: "nuanxin-dev", Role: auth.DistrictAdmin}))
	// Key 3 signs and key 2 is retired: its tokens — one used before, one
	// never seen — are refused by every service once it has fetched the
	// keys again; key 3's are taken.
	c.restartIdentity("AUTH_PRIVATE_KEY_FILE="+key3, "IDENTITY_PUBLISHED_KEY_FILES=")
	c.everyServiceTakes("a token of key 3", c.riderSignIn("18765431029").AccessToken) // the demo's 张晓东
	fresh2 := mustIssue(t, priv2, auth.Principal{Subject: "nuanxin-dev", Role: auth.DistrictAdmin})
	c.everyServiceRefuses("the retired key's tokens", 30*time.Second, signed2.AccessToken, fresh2)

	c.everyServiceRefuses("the disabled account's last access token", time.Until(disabledUntil)+30*time.Second, staff.AccessToken)
}

// probes are a GET on each service that any signed-in caller may make, or
// be refused by role (403): what matters is whether the token is taken
// (anything but 401).
var probes = map[string]string{
	"registry": "/v1/vocabulary", "activity": "/v1/activities?limit=1", "points": "/v1/rules",
	"notification": "/v1/inbox", "stats": "/v1/stats/overview", "identity": "/v1/me",
}

type signInClient struct {
	t     *testing.T
	ctx   context.Context
	stack *testStack
}

type sessionAnswer struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Account      *struct {
		ID string `json:"id"`
	} `json:"account"`
	Worker *struct {
		WorkerID string `json:"worker_id"`
		Street   string `json:"street"`
	} `json:"worker"`
}

// callStatus sends body to a service with token and returns the status,
// decoding a 2xx answer into out.
func (c *signInClient) callStatus(service, token, method, path string, body, out any) int {
	c.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(c.ctx, method, devServiceURL(service)+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s %s: %v", service, method, path, err)
	}
	defer res.Body.Close()
	var raw bytes.Buffer
	_, _ = raw.ReadFrom(res.Body)
	if (res.StatusCode/100 == 2 || res.StatusCode == 401) && out != nil {
		if err := json.Unmarshal(raw.Bytes(), out); err != nil {
			c.t.Fatalf("%s %s %s: %v in %s", service, method, path, err, raw.String())
		}
	}
	return res.StatusCode
}

// call is callStatus, failing the test unless the status is want.
func (c *signInClient) call(service, token, method, path string, body any, want int, out any) {
	c.t.Helper()
	if got := c.callStatus(service, token, method, path, body, out); got != want {
		c.t.Fatalf("%s %s %s: status %d, want %d", service, method, path, got, want)
	}
}

// code asks identity for a code for mobile and reads it from the dev SMS
// gateway's line in identity's log, as a developer would.
func (c *signInClient) code(mobile string) string {
	c.t.Helper()
	c.call("identity", "", "POST", "/v1/otp", map[string]any{"mobile": mobile}, 200, &struct{}{})
	line := regexp.MustCompile(`DEV SMS \S+ to ` + regexp.QuoteMeta(pii.MaskMobile(mobile)) + `: 【暖新】验证码 ([0-9]{6})`)
	matches := line.FindAllSubmatch(mustRead(c.t, filepath.Join(c.stack.data, "logs", "identity.log")), -1)
	if len(matches) == 0 {
		c.t.Fatalf("no code for %s in identity's log", pii.MaskMobile(mobile))
	}
	return string(matches[len(matches)-1][1])
}

// riderSignIn signs a known rider in with a fresh code.
func (c *signInClient) riderSignIn(mobile string) sessionAnswer {
	c.t.Helper()
	var s sessionAnswer
	c.call("identity", "", "POST", "/v1/sessions", map[string]any{"mobile": mobile, "code": c.code(mobile)}, 201, &s)
	return s
}

// enrolmentFor signs an unknown rider in with a code and returns the
// enrolment token answered.
func (c *signInClient) enrolmentFor(mobile string) string {
	c.t.Helper()
	var e struct {
		Required bool   `json:"enrolment_required"`
		Token    string `json:"enrolment_token"`
	}
	c.call("identity", "", "POST", "/v1/sessions", map[string]any{"mobile": mobile, "code": c.code(mobile)}, 200, &e)
	if !e.Required || e.Token == "" {
		c.t.Fatalf("an unknown mobile answered %+v", e)
	}
	return e.Token
}

// staffSignIn signs a dev staff account in with the password make run
// printed, choosing a new one.
func (c *signInClient) staffSignIn(username string) sessionAnswer {
	c.t.Helper()
	for _, l := range c.stack.sum.Logins {
		if l.Username == username {
			var s sessionAnswer
			c.call("identity", "", "POST", "/v1/sessions", map[string]any{"username": username, "password": l.Password,
				"new_password": "Chosen-at-first-sign-in-5"}, 201, &s)
			return s
		}
	}
	c.t.Fatalf("make run printed no password for %s: %+v", username, c.stack.sum.Logins)
	return sessionAnswer{}
}

// everyServiceTakes checks that every service takes token (any status
// but 401 on its probe).
func (c *signInClient) everyServiceTakes(what, token string) {
	c.t.Helper()
	for service, path := range probes {
		var problem struct {
			Detail string `json:"detail"`
		}
		if got := c.callStatus(service, token, "GET", path, nil, &problem); got == 401 {
			c.t.Errorf("%s: %s refused %s: %s", what, service, path, problem.Detail)
		}
	}
}

// eventuallyEveryServiceTakes waits until every service takes token: a
// newly published key once each has fetched the keys again.
func (c *signInClient) eventuallyEveryServiceTakes(what, token string) {
	c.t.Helper()
	c.t.Logf("waiting until every service takes %s", what)
	testenv.Eventually(c.t, 30*time.Second, func() bool {
		for service, path := range probes {
			if c.callStatus(service, token, "GET", path, nil, nil) == 401 {
				return false
			}
		}
		return true
	})
}

// everyServiceRefuses waits, up to within, until every service refuses
// each of tokens (401): a retired key once the services have fetched the
// keys again (AUTH_JWKS_MAX_AGE), an access token once it has expired.
func (c *signInClient) everyServiceRefuses(what string, within time.Duration, tokens ...string) {
	c.t.Helper()
	c.t.Logf("waiting until every service refuses %s", what)
	testenv.Eventually(c.t, within, func() bool {
		for service, path := range probes {
			for _, tok := range tokens {
				if c.callStatus(service, tok, "GET", path, nil, nil) != 401 {
					return false
				}
			}
		}
		return true
	})
}

// newKeyFiles makes a new signing key pair in a directory of the data
// directory and returns its private and public key files.
func (c *signInClient) newKeyFiles(name string) (string, string) {
	c.t.Helper()
	dir := filepath.Join(c.stack.data, "key"+name)
	if _, err := auth.LoadOrCreateDevKey(dir); err != nil {
		c.t.Fatal(err)
	}
	return filepath.Join(dir, auth.DevPrivateKeyFile), filepath.Join(dir, auth.DevPublicKeyFile)
}

// restartIdentity stops the identity service and starts it again with the
// stack's environment changed by env, as an operator rotating its key
// would, and waits until it is ready.
func (c *signInClient) restartIdentity(env ...string) {
	c.t.Helper()
	d := c.stack.d
	var old *process
	for _, p := range d.procs {
		select {
		case <-p.exited:
		default:
			if p.svc.Name == "identity" {
				old = p
			}
		}
	}
	if old == nil {
		c.t.Fatal("no identity process running")
	}
	_ = syscall.Kill(-old.cmd.Process.Pid, syscall.SIGTERM)
	<-old.exited
	for p := range d.exited { // its end is reported; it is not a failure
		if p == old {
			break
		}
		c.t.Errorf("%s exited during the test (%v)", p.svc.Name, p.waitErr)
	}
	keys, err := loadOrCreatePIIKeys(filepath.Join(c.stack.data, piiKeysFile))
	if err != nil {
		c.t.Fatal(err)
	}
	st := stackInfo{DatabaseURL: c.stack.sum.Postgres.URL, NATSURL: c.stack.nats.ClientURL(),
		PublicKeyFile: filepath.Join(c.stack.data, auth.DevPublicKeyFile), PrivateKeyFile: filepath.Join(c.stack.data, auth.DevPrivateKeyFile),
		PII: keys}
	// The later of two settings wins (os/exec keeps the last).
	p, err := startService(old.svc, old.cmd.Path, old.cmd.Dir, append(serviceEnv(old.svc, st), env...), old.logPath, d.exited)
	if err != nil {
		c.t.Fatal(err)
	}
	d.procs = append(d.procs, p)
	if err := waitReady(c.ctx, p, readyTimeout); err != nil {
		c.t.Fatalf("%v\n%s", err, logTail(p.logPath, p.logStart, logTailLines))
	}
}

func mustIssue(t *testing.T, key ed25519.PrivateKey, p auth.Principal) string {
	t.Helper()
	tok, err := auth.Issue(key, p, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func mustKey(t *testing.T, path string) ed25519.PrivateKey {
	t.Helper()
	key, err := auth.ParsePrivateKey(mustRead(t, path))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
