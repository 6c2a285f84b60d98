//go:build linux

package points_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/points"
)

// pointsProcess is the points service's real binary, run as a child process
// the way it runs in production, so that it can be killed with SIGKILL and
// started again on the same address, database and NATS namespace.
type pointsProcess struct {
	t       *testing.T
	bin     string
	addr    string
	env     []string
	logPath string

	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has ended
	runs   int
}

// workspaceRoot is the directory holding go.work, above the package
// directory go test runs in.
func workspaceRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatalf("no go.work in %s or above it", wd)
		}
	}
}

// buildPoints compiles cmd/points from the workspace root (so go.work
// resolves the modules) into the test's temporary directory.
func buildPoints(t *testing.T) string {
	t.Helper()
	root := workspaceRoot(t)
	bin := filepath.Join(t.TempDir(), "points")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./services/points/cmd/points")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./services/points/cmd/points in %s: %v\n%s", root, err, out)
	}
	return bin
}

// freeAddr is a loopback address with a port nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs the binary once more, its output appended to the log.
func (p *pointsProcess) start() {
	p.t.Helper()
	p.runs++
	log, err := os.OpenFile(p.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	defer log.Close() // the child has its own descriptor
	fmt.Fprintf(log, "--- run %d of the points binary\n", p.runs)
	cmd := exec.Command(p.bin)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = log, log
	// Should the test binary die without its cleanup, the child dies too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	p.cmd, p.exited = cmd, exited
}

// waitReady polls /readyz until it answers 200 (Postgres migrated and
// reachable, NATS connected).
func (p *pointsProcess) waitReady(within time.Duration) {
	p.t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(within)
	last := ""
	for {
		select {
		case <-p.exited:
			p.t.Fatalf("the points binary (run %d) exited before it was ready: %v\n%s", p.runs, p.cmd.ProcessState, p.logTail(40))
		default:
		}
		res, err := client.Get("http://" + p.addr + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
			last = res.Status
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("the points binary (run %d) not ready within %s (last: %s)\n%s", p.runs, within, last, p.logTail(40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (p *pointsProcess) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		p.t.Fatalf("kill the points binary: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.t.Fatalf("the points binary did not die within 10s of SIGKILL")
	}
}

// stop kills the process if it still runs (cleanup).
func (p *pointsProcess) stop() {
	if p.cmd == nil {
		return
	}
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// logTail is the end of the children's combined log.
func (p *pointsProcess) logTail(lines int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// crashRedemption is one redemption a worker sends, and what came of it.
type crashRedemption struct {
	worker string
	token  string
	key    string
	qty    int
	body   []byte // sent byte for byte the same on every retry

	status     int       // the definitive answer, 201 or 409
	id         string    // the redemption's id in a 201
	replayed   bool      // the answer was a replay: an earlier attempt had committed
	sentAt     time.Time // the first attempt
	failures   int       // attempts that got no answer: the process was dead or died
	firstErr   error
	firstErrAt time.Time
}

// send posts the redemption once: the status and body, or the transport
// error (connection refused or reset: the process is gone).
func (r *crashRedemption) send(ctx context.Context, client *http.Client, base string) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/redemptions", bytes.NewReader(r.body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Idempotency-Key", r.key)
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	return res.StatusCode, res.Header, raw, nil
}

// redeem sends the redemption until it gets a definitive answer, as a
// careful client does: an attempt without an answer is sent again, with the
// same key and body, after a short pause. It returns a failure message, or
// "" once answered.
func (r *crashRedemption) redeem(ctx context.Context, client *http.Client, base string, within time.Duration) string {
	r.sentAt = time.Now()
	deadline := r.sentAt.Add(within)
	for backoff := 10 * time.Millisecond; ; backoff = min(backoff*2, 200*time.Millisecond) {
		status, h, raw, err := r.send(ctx, client, base)
		if err == nil {
			r.replayed = h.Get("Idempotent-Replayed") == "true"
			return r.settle(status, raw)
		}
		if r.failures++; r.firstErr == nil {
			r.firstErr, r.firstErrAt = err, time.Now()
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Sprintf("redemption %s: no answer within %s: %v", r.key, within, err)
		}
		time.Sleep(backoff)
	}
}

// settle records a definitive answer; anything else is a failure message.
func (r *crashRedemption) settle(status int, raw []byte) string {
	switch status {
	case http.StatusCreated:
		var v struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &v); err != nil || v.ID == "" {
			return fmt.Sprintf("redemption %s: 201 without an id: %s", r.key, raw)
		}
		r.status, r.id = status, v.ID
	case http.StatusConflict:
		r.status = status
	default:
		return fmt.Sprintf("redemption %s: status %d, want 201 or 409: %s", r.key, status, raw)
	}
	return ""
}

// slowCommits installs, in the test's database only, a deferred trigger
// that makes the commit of a transaction writing a ledger entry of a kind
// listed in crashtest.slow_commits take 200 ms: a commit the test can see
// under way (its backend waits on PgSleep) and kill the process in. The
// service's code is unchanged; its commits are merely slow, as on a slow
// disk.
func slowCommits(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	for _, sql := range []string{
		"CREATE SCHEMA crashtest",
		"CREATE TABLE crashtest.slow_commits (kind text NOT NULL)",
		`CREATE FUNCTION crashtest.slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF EXISTS (SELECT 1 FROM crashtest.slow_commits WHERE kind = NEW.kind) THEN
				PERFORM pg_sleep(0.2);
			END IF;
			RETURN NULL;
		END $$`,
		`CREATE CONSTRAINT TRIGGER crashtest_slow_commit AFTER INSERT ON entries
			DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION crashtest.slow_commit()`,
	} {
		if _, err := pool.Exec(context.Background(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

// scrapeCounter reads one series from the service's /metrics.
func scrapeCounter(t *testing.T, base, series string) float64 {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err != nil {
				t.Fatalf("%s: %q: %v", series, v, err)
			}
			return f
		}
	}
	t.Fatalf("no %s in /metrics", series)
	return 0
}

// crashKill is what one kill interrupted.
type crashKill struct {
	kind               string // the ledger entry whose commit the kill came in
	at, restarted      time.Time
	answered, earned   int      // redemptions answered and attendances credited before it
	published          int      // attendance events on the stream
	inFlight           int      // redemptions sent before it and answered only after the restart
	ackPending, outbox int      // deliveries the dead process held unacknowledged; outbox rows not yet relayed
	firstErrs          []string // the keys in flight
}

// TestCrash_killedDuringEarnAndRedeemLosesNothingAndDoublesNothing runs the
// real binary under earn and redeem traffic and kills it with SIGKILL twice,
// each time while a commit is under way (an earning's, then a
// redemption's), restarting it on the same address, database and streams.
// Clients retry what got no answer with the same Idempotency-Key. Then
// every attendance is credited once, every key has one redemption (the one
// its answer named), balances, stock and events add up, and the ledger
// check passes.
func TestCrash_killedDuringEarnAndRedeemLosesNothingAndDoublesNothing(t *testing.T) {
	const (
		workers     = 8
		attendances = 600  // attendance.recorded events, spread over the workers
		perWorker   = 200  // redemptions each worker sends
		funded      = 5000 // points each worker is given first
		price       = 7    // one item; a redemption takes 1 or 2 of it
		stock       = 100000
		// The default rule gives 5 for attending and 10 an hour of volunteer
		// service: each attendance is an hour's volunteer service, on a day
		// of its own for its worker so the daily cap of 200 never bites.
		earnEach = 15
		// Each kill comes once this many more redemptions have been answered
		// and attendances credited, with most of both still to come.
		redeemStep, earnStep = 50, 30
	)
	if perWorker*2*price > funded {
		t.Fatal("constants: every redemption must be affordable from the funding alone")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// The servers, a namespace of our own on the shared NATS, and the streams
	// of the registry and activity services whose events points consumes.
	dbURL := testenv.Postgres(t)
	natsURL := testenv.NATS(t)
	subjects := event.Subjects{Namespace: "t" + testenv.Unique()}
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range []string{"registry", "activity"} {
		if err := subjects.EnsureStreams(ctx, js, svc, 1); err != nil {
			t.Fatal(err)
		}
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	p := &pointsProcess{t: t, bin: buildPoints(t), addr: freeAddr(t), logPath: filepath.Join(t.TempDir(), "points.log")}
	p.env = []string{
		"DATABASE_URL=" + dbURL,
		"NATS_URL=" + natsURL,
		"NATS_NAMESPACE=" + subjects.Namespace,
		"NATS_REPLICAS=1",
		"HTTP_ADDR=" + p.addr,
		"AUTH_PUBLIC_KEY=" + string(auth.PublicKeyPEM(key)),
		"AUTH_PUBLIC_KEY_FILE=",
		"POINTS_STAR_HOURS=",
		"LOG_LEVEL=info",
	}
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("the points binary's log (end):\n%s", p.logTail(60))
		}
	})
	p.start()
	p.waitReady(30 * time.Second)

	pool, err := db.Open(ctx, dbURL, points.Schema)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	count := func(sql string, args ...any) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	envelope := func(name event.Name, street, subject string, data any) (event.Envelope, []byte) {
		t.Helper()
		e, err := event.New(name, street, subject, data)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return e, raw
	}
	consumerInfo := func() *jetstream.ConsumerInfo {
		c, err := js.Consumer(ctx, subjects.Stream("activity"), "points-earnings")
		if err != nil {
			return nil
		}
		info, err := c.Info(ctx)
		if err != nil {
			return nil
		}
		return info
	}
	slowCommits(t, pool)

	// Accounts, from the registry's stream; a store with an item; funds.
	api := testenv.API{T: t, URL: "http://" + p.addr, Key: key}
	ws := make([]string, workers)
	for i := range ws {
		ws[i] = uuid.Must(uuid.NewV7()).String()
		e, raw := envelope(event.WorkerRegistered, "qishan", ws[i], event.WorkerData{WorkerID: ws[i], Street: "qishan",
			Community: "tashan", Occupation: "food_delivery", PoliticalStatus: "masses", Status: "active"})
		if _, err := js.Publish(ctx, subjects.For(event.WorkerRegistered, "qishan"), raw, jetstream.WithMsgID(e.ID)); err != nil {
			t.Fatal(err)
		}
	}
	// The street, from the registry's stream too: the binary refuses a
	// token for a street it has not heard of.
	e, raw := envelope(event.StreetCreated, "qishan", "qishan", event.StreetData{Code: "qishan", Name: "奇山街道"})
	if _, err := js.Publish(ctx, subjects.For(event.StreetCreated, "qishan"), raw, jetstream.WithMsgID(e.ID)); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, func() bool {
		return count("SELECT count(*) FROM accounts") == workers && count("SELECT count(*) FROM streets WHERE code = 'qishan'") == 1
	})
	admin := api.StreetAdmin("qishan")
	store := api.Must(201, "POST", "/v1/stores", admin, map[string]any{"name": "奇山积分超市", "address": "奇山街道党群服务中心"}).Str("id")
	item := api.Must(201, "POST", "/v1/stores/"+store+"/items", admin,
		map[string]any{"name": "电动车头盔", "price": price, "stock": stock}).Str("id")
	for _, w := range ws {
		api.Must(201, "POST", "/v1/accounts/"+w+"/adjustments", api.District(), map[string]any{"points": funded, "reason": "测试充值"})
	}

	// The traffic, prepared beforehand: attendance events, each for a worker
	// and a day of its own, and per worker a run of redemptions.
	type attendance struct {
		id, worker string
		raw        []byte
	}
	evs := make([]attendance, attendances)
	earnedBy := map[string]int64{}
	for i := range evs {
		w := ws[i%workers]
		out := time.Now().Add(-time.Duration(i/workers+1) * 24 * time.Hour)
		act := uuid.NewString()
		e, raw := envelope(event.AttendanceRecorded, "qishan", act, event.AttendanceData{ActivityID: act, WorkerID: w,
			Street: "qishan", Kind: "volunteer_service", Hours: 1, VolunteerService: true,
			CheckedInAt: out.Add(-time.Hour), CheckedOutAt: out})
		evs[i] = attendance{e.ID, w, raw}
		earnedBy[w] += earnEach
	}
	plan := make([][]*crashRedemption, workers)
	for i, w := range ws {
		token := api.Worker(w)
		for j := range perWorker {
			qty := 1 + j%2
			body, _ := json.Marshal(map[string]any{"item_id": item, "quantity": qty})
			plan[i] = append(plan[i], &crashRedemption{worker: w, token: token, key: fmt.Sprintf("crash-%d-%d", i, j), qty: qty, body: body})
		}
	}

	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers * 2}}
	defer client.CloseIdleConnections()
	base := "http://" + p.addr
	var (
		answered, published atomic.Int64
		problems            = make(chan string, workers+1)
		traffic             sync.WaitGroup
	)
	// (a) Activity's relay, as it were: publishing goes on whatever points does.
	traffic.Go(func() {
		for _, e := range evs {
			if _, err := js.Publish(ctx, subjects.For(event.AttendanceRecorded, "qishan"), e.raw, jetstream.WithMsgID(e.id)); err != nil {
				problems <- fmt.Sprintf("publish attendance %s: %v", e.id, err)
				return
			}
			published.Add(1)
		}
	})
	// (b) Each worker redeems, one redemption after another, each until it
	// is answered.
	for i := range plan {
		traffic.Go(func() {
			for _, r := range plan[i] {
				if msg := r.redeem(ctx, client, base, 30*time.Second); msg != "" {
					problems <- msg
					return
				}
				answered.Add(1)
			}
		})
	}

	// Two kills, each inside a commit: once the traffic has moved on, the
	// commits of one kind of entry are slowed (slowCommits) and the kill
	// comes while one is under way. That transaction commits though its
	// process is dead: first an earning whose message is never
	// acknowledged, then a redemption whose answer is never sent.
	start := time.Now()
	earnedNow := func() int { return count("SELECT count(*) FROM entries WHERE kind = 'earn'") }
	sleeping := func() int {
		return count(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'`)
	}
	progress := func(redemptions, earned int) {
		t.Helper()
		for int(answered.Load()) < redemptions || earnedNow() < earned {
			if time.Since(start) > 40*time.Second {
				t.Fatalf("traffic too slow: %d redemptions answered (want %d), %d attendances credited (want %d)",
					answered.Load(), redemptions, earnedNow(), earned)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	killIn := func(kind string) *crashKill {
		t.Helper()
		exec("INSERT INTO crashtest.slow_commits VALUES ($1)", kind)
		for sleeping() == 0 {
			if time.Since(start) > 40*time.Second {
				t.Fatalf("no %s commit under way to kill the process in (%d of %d redemptions answered, %d of %d attendances credited)",
					kind, answered.Load(), workers*perWorker, earnedNow(), attendances)
			}
			time.Sleep(time.Millisecond)
		}
		k := &crashKill{kind: kind, at: time.Now()}
		p.kill()
		exec("DELETE FROM crashtest.slow_commits")
		// The orphaned commit finishes; then count.
		testenv.Eventually(t, 10*time.Second, func() bool { return sleeping() == 0 })
		k.answered, k.earned, k.published = int(answered.Load()), earnedNow(), int(published.Load())
		k.outbox = count("SELECT count(*) FROM outbox")
		if info := consumerInfo(); info != nil {
			k.ackPending = info.NumAckPending
		}
		p.start()
		p.waitReady(30 * time.Second)
		k.restarted = time.Now()
		return k
	}
	progress(redeemStep, earnStep)
	kills := []*crashKill{killIn(points.KindEarn)}
	// Only the redemptions must move on before the second kill: the dead
	// process held every attendance delivered to it unacknowledged (up to
	// the runner's prefetch, more than this test publishes), and they come
	// back only after the consumer's ack wait, when the redemptions may be
	// over. That they are all credited in the end is checked below.
	progress(kills[0].answered+redeemStep, kills[0].earned)
	kills = append(kills, killIn(points.KindRedeem))
	traffic.Wait()
	close(problems)
	for msg := range problems {
		t.Error(msg)
	}
	if t.Failed() {
		t.FailNow()
	}

	// What each kill interrupted.
	var allRedemptions []*crashRedemption
	for _, rs := range plan {
		allRedemptions = append(allRedemptions, rs...)
	}
	for i, k := range kills {
		for _, r := range allRedemptions {
			if r.failures > 0 && r.sentAt.Before(k.at) && !r.firstErrAt.Before(k.at) && r.firstErrAt.Before(k.restarted) {
				k.inFlight++
				k.firstErrs = append(k.firstErrs, r.key)
			}
		}
		t.Logf("kill %d, during %s commit, %s in: %d redemptions answered, %d in flight; %d of %d attendances published, "+
			"%d credited, %d deliveries unacknowledged by the dead process; %d outbox rows not yet relayed; back in %s",
			i+1, map[string]string{points.KindEarn: "an earning's", points.KindRedeem: "a redemption's"}[k.kind], k.at.Sub(start).Round(time.Millisecond), k.answered, k.inFlight, k.published, attendances, k.earned,
			k.ackPending, k.outbox, k.restarted.Sub(k.at).Round(time.Millisecond))
		if len(k.firstErrs) > 0 {
			t.Logf("  in flight: %s", strings.Join(k.firstErrs, "; "))
		}
	}

	// A client that did get its answer and sends again (a double tap) gets
	// the same redemption back.
	client.CloseIdleConnections()
	var again int
	for _, rs := range plan {
		for _, r := range slices.Backward(rs) {
			if r.status != http.StatusCreated || r.failures > 0 {
				continue
			}
			status, h, raw, err := r.send(ctx, client, base)
			var v struct{ ID string }
			_ = json.Unmarshal(raw, &v)
			if err != nil || status != http.StatusCreated || h.Get("Idempotent-Replayed") != "true" || v.ID != r.id {
				t.Errorf("redemption %s sent again: %d %v %s, want a replay of %s", r.key, status, err, raw, r.id)
			}
			again++
			break
		}
	}

	// Every attendance is credited, including those the dead processes held
	// unacknowledged (redelivered after the consumer's ack wait, 30s).
	last := kills[len(kills)-1]
	deadline := time.Now().Add(50 * time.Second)
	for n := earnedNow(); n != attendances; n = earnedNow() {
		if n > attendances {
			t.Fatalf("%d earn entries for %d attendance events", n, attendances)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d attendances credited 50s after the last restart", n, attendances)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("all %d attendances credited %s after the last kill", attendances, time.Since(last.at).Round(time.Millisecond))
	testenv.Eventually(t, 20*time.Second, func() bool {
		info := consumerInfo()
		return info != nil && info.NumPending == 0 && info.NumAckPending == 0
	})
	testenv.Eventually(t, 20*time.Second, func() bool { return count("SELECT count(*) FROM outbox") == 0 })
	duplicates := scrapeCounter(t, base, `nuanxin_consumer_messages_total{consumer="points-earnings",outcome="duplicate"}`)

	// Earnings: one entry per event, whose cause names it, one inbox row each.
	causes := map[string]int{}
	var capped int
	rows, err := pool.Query(ctx, "SELECT cause, capped FROM entries WHERE kind = 'earn'")
	if err != nil {
		t.Fatal(err)
	}
	var cause string
	var wasCapped bool
	if _, err := pgx.ForEachRow(rows, []any{&cause, &wasCapped}, func() error {
		causes[cause]++
		if wasCapped {
			capped++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if n := causes["event:"+e.id]; n != 1 {
			t.Errorf("attendance %s credited %d times", e.id, n)
		}
		delete(causes, "event:"+e.id)
	}
	if len(causes) != 0 || capped != 0 {
		t.Errorf("%d earn entries for no published attendance, %d capped", len(causes), capped)
	}
	if n := count("SELECT count(*) FROM inbox WHERE consumer = 'points-earnings'"); n != attendances {
		t.Errorf("%d inbox rows for %d attendance events", n, attendances)
	}

	// Redemptions: every key has exactly one, the one its 201 named.
	if n := count(`SELECT count(*) FROM (SELECT caller, idempotency_key FROM redemptions
		GROUP BY caller, idempotency_key HAVING count(*) > 1) d`); n != 0 {
		t.Errorf("%d idempotency keys with more than one redemption", n)
	}
	byKey := map[string][]string{}
	rows, err = pool.Query(ctx, "SELECT idempotency_key, id::text FROM redemptions")
	if err != nil {
		t.Fatal(err)
	}
	var k, id string
	if _, err := pgx.ForEachRow(rows, []any{&k, &id}, func() error { byKey[k] = append(byKey[k], id); return nil }); err != nil {
		t.Fatal(err)
	}
	var accepted, refused, retried, replays int
	redeemedBy := map[string]int64{}
	taken := 0
	for _, r := range allRedemptions {
		if r.failures > 0 {
			retried++
		}
		if r.replayed {
			replays++
			t.Logf("  replayed: %s, sent %s in, first failed %s in after %d failures: %v", r.key, r.sentAt.Sub(start).Round(time.Millisecond),
				r.firstErrAt.Sub(start).Round(time.Millisecond), r.failures, r.firstErr)
		}
		switch r.status {
		case http.StatusCreated:
			accepted++
			if ids := byKey[r.key]; len(ids) != 1 || ids[0] != r.id {
				t.Errorf("redemption %s answered 201 with %s; the database has %v", r.key, r.id, ids)
			}
			redeemedBy[r.worker] += int64(r.qty * price)
			taken += r.qty
		case http.StatusConflict:
			refused++
			if ids := byKey[r.key]; len(ids) != 0 {
				t.Errorf("redemption %s answered 409; the database has %v", r.key, ids)
			}
		}
		delete(byKey, r.key)
	}
	if len(byKey) != 0 {
		t.Errorf("%d redemptions in the database that no answer named: %v", len(byKey), byKey)
	}
	if refused != 0 {
		t.Errorf("%d redemptions refused (409), though every one was affordable and in stock", refused)
	}
	if n := count("SELECT count(*) FROM entries WHERE kind = 'redeem'"); n != accepted {
		t.Errorf("%d redeem entries for %d accepted redemptions", n, accepted)
	}
	t.Logf("%d redemptions: %d accepted, %d refused; %d sent more than once, %d of them answered as a replay "+
		"(committed by a process that died before answering); %d answered ones sent again and replayed",
		len(allRedemptions), accepted, refused, retried, replays, again)
	t.Logf("%.0f attendance deliveries found their earning already committed by a dead process (inbox duplicates)", duplicates)
	// The kills came inside commits, so both cases must have happened.
	if replays == 0 {
		t.Errorf("the second kill came during a redemption's commit, yet no retried redemption was answered as a replay")
	}
	if duplicates == 0 {
		t.Errorf("the first kill came during an earning's commit, yet no redelivery found it in the inbox")
	}

	// Balances and stock: as the answers say, and as the ledger check says.
	var total, want int64
	for _, w := range ws {
		var b int64
		if err := pool.QueryRow(ctx, "SELECT balance FROM accounts WHERE worker_id = $1", w).Scan(&b); err != nil {
			t.Fatal(err)
		}
		if exp := funded + earnedBy[w] - redeemedBy[w]; b != exp {
			t.Errorf("worker %s has %d points; funded %d + earned %d − redeemed %d = %d", w, b, funded, earnedBy[w], redeemedBy[w], exp)
		}
		total += b
		want += funded + earnedBy[w] - redeemedBy[w]
	}
	if total != want {
		t.Errorf("%d points in all accounts, want %d", total, want)
	}
	if s := count("SELECT stock FROM items WHERE id = $1", item); s != stock-taken {
		t.Errorf("stock %d, want %d − %d taken", s, stock, taken)
	}
	if r := api.Must(200, "GET", "/v1/ledger/check", api.District(), nil); r.Body["ok"] != true {
		t.Errorf("ledger check after the crashes: %s", r.Raw)
	}

	// Events: the outbox drained onto the points stream, each event once.
	st, err := js.Stream(ctx, subjects.Stream("points"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	earnedEvents, redeemedEvents := map[string]int{}, map[string]int{}
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("points stream message %d: %v", seq, err)
		}
		e, err := event.Parse(m.Data)
		if err != nil {
			t.Fatalf("points stream message %d: %v", seq, err)
		}
		seen[e.ID]++
		var d event.PointsData
		switch e.Type {
		case event.PointsEarned.Type():
			if err := e.Decode(&d); err != nil {
				t.Fatal(err)
			}
			earnedEvents[d.CauseEventID]++
		case event.PointsRedeemed.Type():
			if err := e.Decode(&d); err != nil {
				t.Fatal(err)
			}
			redeemedEvents[d.RedemptionID]++
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s is on the points stream %d times", id, n)
		}
	}
	for _, e := range evs {
		if earnedEvents[e.id] != 1 {
			t.Errorf("attendance %s has %d points.earned events", e.id, earnedEvents[e.id])
		}
	}
	for _, r := range allRedemptions {
		if r.status == http.StatusCreated && redeemedEvents[r.id] != 1 {
			t.Errorf("redemption %s has %d points.redeemed events", r.id, redeemedEvents[r.id])
		}
	}
	if len(earnedEvents) != attendances || len(redeemedEvents) != accepted {
		t.Errorf("%d points.earned events for %d attendances, %d points.redeemed for %d redemptions",
			len(earnedEvents), attendances, len(redeemedEvents), accepted)
	}
	t.Logf("points stream: %d events, each once, after the outbox drained", len(seen))
}
