package registry_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/registry"
)

// Names that make the insert of a worker fail, by failingInserts.
const (
	flakyName  = "故障测试甲" // fails the first 4 times, then goes in
	brokenName = "故障测试乙" // always fails
)

// failingInserts installs, in the test's database only, a trigger that
// raises when a worker named flakyName (its first 4 tries) or brokenName
// (always) is inserted: a database error in the middle of an import batch,
// which rolls the whole batch back. The tries are counted in sequences,
// which a rollback does not undo. The service's code is unchanged.
func failingInserts(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	for _, sql := range []string{
		"CREATE SCHEMA failtest",
		"CREATE SEQUENCE failtest.flaky_tries",
		"CREATE SEQUENCE failtest.broken_tries",
		`CREATE FUNCTION failtest.fail_marked() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.name = '` + flakyName + `' AND nextval('failtest.flaky_tries') <= 4 THEN
				RAISE EXCEPTION 'failtest: flaky row';
			END IF;
			IF NEW.name = '` + brokenName + `' THEN
				PERFORM nextval('failtest.broken_tries');
				RAISE EXCEPTION 'failtest: broken row';
			END IF;
			RETURN NEW;
		END $$`,
		"CREATE TRIGGER failtest_fail_marked BEFORE INSERT ON workers FOR EACH ROW EXECUTE FUNCTION failtest.fail_marked()",
	} {
		if _, err := pool.Exec(context.Background(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

// tries is how often the trigger has seen the insert counted by sequence seq.
func tries(t *testing.T, pool *pgxpool.Pool, seq string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM failtest."+seq).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// censusCSV is a census of n valid workers (spreadsheet rows 2..n+1), with
// the names in names (by spreadsheet row) instead of the usual ones.
func censusCSV(t *testing.T, n, serialBase int, names map[int]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"姓名", "手机号", "身份证号", "职业", "所属社区", "政治面貌"})
	for i := range n {
		s := serialBase + i
		name := fmt.Sprintf("骑手%06d", s)
		if v, ok := names[i+2]; ok {
			name = v
		}
		w.Write([]string{name, mobile(s), idNumber(s), "外卖骑手", "塔山社区", "群众"})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A batch that fails on a database error is tried again after each lease;
// a committed batch clears the count, and the 5th failure in a row fails
// the job with a reason for the clerk, keeping the batches written before.
func TestImportWorkers_batchFailingOnTheDatabaseFailsTheJobAfterFiveAttempts(t *testing.T) {
	const lease = 200 * time.Millisecond
	h := newHarness(t, "", withImportRunner(func(r *registry.ImportRunner) { r.Lease, r.Poll = lease, 20*time.Millisecond }))
	h.seedOrg()
	failingInserts(t, h.Pool)
	admin := h.StreetAdmin("qishan")

	// Three batches: rows 2–501, 502–1001 (a flaky row), 1002–1201 (a broken row).
	file := censusCSV(t, 1200, 7_000_000, map[int]string{700: flakyName, 1100: brokenName})
	r := h.upload("workers", admin, "census.csv", file)
	if r.Status != 202 {
		t.Fatalf("upload: %d %s", r.Status, r.Raw)
	}
	id := r.Str("id")
	job := h.waitImport(id, admin, time.Minute)

	if job.Str("status") != "failed" || num(job, "processed") != 1000 || num(job, "created") != 1000 || job.Str("finished_at") == "" {
		t.Fatalf("job = %s", job.Raw)
	}
	wantZH := "第 1002–1201 行这一批连续 5 次未能写入数据库，导入已停止。此前的行已导入并保留。"
	if zh := job.Str("error_zh"); !strings.HasPrefix(zh, wantZH) {
		t.Errorf("error_zh = %q, want it to start with %q", zh, wantZH)
	}
	if en := job.Str("error_en"); !strings.HasPrefix(en, "Rows 1002–1201 could not be written to the database in 5 attempts in a row") ||
		!strings.Contains(en, "failtest: broken row") {
		t.Errorf("error_en = %q", en)
	}
	// The flaky batch failed 4 times and then went in, which cleared the
	// count: the broken batch had 5 attempts of its own.
	if a, b := tries(t, h.Pool, "flaky_tries"), tries(t, h.Pool, "broken_tries"); a != 5 || b != 5 {
		t.Errorf("tries: flaky batch %d (want 4 failed + 1), broken batch %d (want 5)", a, b)
	}
	// The first two batches stay, with their row outcomes and events.
	if n := h.count("workers"); n != 1000 {
		t.Errorf("workers = %d, want 1000", n)
	}
	rows := h.Must(200, "GET", "/v1/imports/"+id+"/rows?after=1000&limit=10", admin, nil).Body["items"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["row"].(float64) != 1001 {
		t.Errorf("row outcomes after row 1000 = %v, want only row 1001", rows)
	}
	// A failed job is not tried again, and its file is dropped.
	before := tries(t, h.Pool, "broken_tries")
	time.Sleep(4 * lease)
	if b := tries(t, h.Pool, "broken_tries"); b != before {
		t.Errorf("the failed job was tried again: %d tries, then %d", before, b)
	}
	var dropped bool
	if err := h.Pool.QueryRow(t.Context(), "SELECT upload IS NULL FROM import_jobs WHERE id = $1", id).Scan(&dropped); err != nil || !dropped {
		t.Errorf("upload dropped = %v (%v)", dropped, err)
	}

	// The clerk fixes the row and imports the file again: a new job, done,
	// the rows already imported left as they are.
	fixed := censusCSV(t, 1200, 7_000_000, map[int]string{700: flakyName})
	r2 := h.upload("workers", admin, "census-fixed.csv", fixed)
	job2 := h.waitImport(r2.Str("id"), admin, time.Minute)
	if job2.Str("status") != "done" || num(job2, "unchanged") != 1000 || num(job2, "created") != 200 || job2.Str("error_zh") != "" {
		t.Fatalf("job after the fix = %s", job2.Raw)
	}
	if n := h.count("workers"); n != 1200 {
		t.Errorf("workers = %d, want 1200", n)
	}
	if n := len(ofType(h.Published("registry"), "nuanxin.registry.worker.registered")); n != 1200 {
		t.Errorf("registered events = %d, want 1200 (none from failed attempts)", n)
	}
}

// The failed attempts are counted in the database: a runner that starts
// after another has failed twice (another instance, or the same one
// restarted) fails the job after 3 more, however many instances run.
func TestImportWorkers_failedAttemptsAreCountedAcrossInstances(t *testing.T) {
	h := newHarness(t, "", withoutImportRunner())
	h.seedOrg()
	failingInserts(t, h.Pool)
	admin := h.StreetAdmin("qishan")
	r := h.upload("workers", admin, "census.csv", censusCSV(t, 3, 7_100_000, map[int]string{3: brokenName}))
	if r.Status != 202 {
		t.Fatalf("upload: %d %s", r.Status, r.Raw)
	}
	id := r.Str("id")
	run := func(ctx context.Context, wg *sync.WaitGroup) {
		runner := registry.ImportRunner{Service: h.svc, Lease: 500 * time.Millisecond, Poll: 20 * time.Millisecond}
		wg.Go(func() { runner.Run(ctx) })
	}
	failures := func() int {
		var n int
		if err := h.Pool.QueryRow(t.Context(), "SELECT failures FROM import_jobs WHERE id = $1", id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	ctx, stop := context.WithCancel(t.Context())
	var first sync.WaitGroup
	run(ctx, &first)
	testenv.Eventually(t, 30*time.Second, func() bool { return failures() >= 2 })
	stop() // between attempts: the next waits for the lease
	first.Wait()
	if n, b := failures(), tries(t, h.Pool, "broken_tries"); n != 2 || b != 2 {
		t.Fatalf("after the first runner: failures = %d, tries = %d, want 2 and 2", n, b)
	}

	ctx, stop = context.WithCancel(t.Context())
	var others sync.WaitGroup
	defer func() { stop(); others.Wait() }()
	run(ctx, &others)
	run(ctx, &others)
	job := h.waitImport(id, admin, 30*time.Second)
	if job.Str("status") != "failed" || !strings.Contains(job.Str("error_zh"), "连续 5 次") {
		t.Fatalf("job = %s", job.Raw)
	}
	if b := tries(t, h.Pool, "broken_tries"); b != 5 {
		t.Errorf("tries = %d, want 5", b)
	}
	if n := h.count("workers"); n != 0 {
		t.Errorf("workers = %d, want 0 (the only batch failed)", n)
	}
}
