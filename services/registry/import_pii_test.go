package registry_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/registry"
)

// randomMobile is a valid mainland mobile number drawn at random, so that
// finding it on a disk the tests share can only mean this test put it there.
func randomMobile() string {
	return fmt.Sprintf("1%c%09d", "3456789"[rand.IntN(7)], rand.IntN(1_000_000_000))
}

// randomIDNumber is a valid resident ID number (Zhifu district, born
// 1970–2004, the right check character) drawn at random.
func randomIDNumber() string {
	born := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rand.IntN(35*365))
	first17 := fmt.Sprintf("370602%s%03d", born.Format("20060102"), rand.IntN(1000))
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(first17[i]-'0') * w
	}
	return first17 + string("10X98765432"[sum%11])
}

// piiSheet is a census sheet whose every mobile and ID number is fresh:
// two rows are imported, four rejected (a wrong check character, a short
// mobile, a person listed twice, a community out of scope).
type piiSheet struct {
	rows   [][]string
	values []string // every mobile and ID number in it, valid or not
}

func newPIISheet() piiSheet {
	var m, id [5]string
	for i := range m {
		m[i], id[i] = randomMobile(), randomIDNumber()
	}
	badID := withWrongCheck(id[2])
	shortMobile := randomMobile()[:10]
	return piiSheet{
		rows: [][]string{
			{"姓名", "手机号", "身份证号", "职业", "所属社区"},
			{"王一", m[0], id[0], "外卖骑手", "塔山社区"},
			{"王二", m[1], id[1], "快递员", "长生社区"},
			{"王三", m[2], badID, "快递员", "塔山社区"},
			{"王四", shortMobile, id[3], "快递员", "塔山社区"},
			{"王五", m[3], id[0], "外卖骑手", "塔山社区"},
			{"王六", m[4], id[4], "外卖骑手", "建设路社区"},
		},
		values: append(append(m[:], id[:]...), badID, shortMobile),
	}
}

// piiSheetRejected is what GET /v1/imports/{id}/rows?status=rejected says
// about a piiSheet: enough for the clerk to find and fix each row.
const piiSheetRejected = "4 身份证号; 5 手机号; 6 身份证号; 7 所属社区"

func (s piiSheet) csv(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(s.rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (s piiSheet) xlsx(t *testing.T) []byte {
	t.Helper()
	rows := make([][]any, len(s.rows))
	for i, r := range s.rows {
		for _, c := range r {
			rows[i] = append(rows[i], c)
		}
	}
	return xlsxFile(t, rows)
}

// The README promises personal data encrypted at rest: after a census
// import none of the sheet's mobiles or ID numbers — imported or rejected —
// may be found in clear in Postgres's files (tables, WAL, its log), in the
// NATS store, in the service's logs at any level or in temporary files.
func TestImport_leavesNoPersonalDataInClearOnDisk(t *testing.T) {
	dirs := testenv.DataDirs(t) // first: it starts the servers, whose directories testenv makes in TMPDIR
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where os.TempDir, and so excelize, would write
	logPath := filepath.Join(t.TempDir(), "registry.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	h := newHarness(t, "", withLog(slog.New(slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	h.seedOrg()
	admin := h.StreetAdmin("qishan")

	tests := []struct {
		name string
		file func(piiSheet, *testing.T) []byte
	}{
		{"census.csv", piiSheet.csv},
		{"census.xlsx", piiSheet.xlsx},
	}
	whose := map[string]string{} // value -> what put it there
	for i, tt := range tests {
		sheet := newPIISheet()
		for _, v := range sheet.values {
			whose[v] = tt.name
		}
		r := h.upload("workers", admin, tt.name, tt.file(sheet, t), idempotency.Header, fmt.Sprintf("pii-%d", i))
		if r.Status != 202 {
			t.Fatalf("%s: upload: %d %s", tt.name, r.Status, r.Raw)
		}
		job := h.waitImport(r.Str("id"), admin, 30*time.Second)
		if job.Str("status") != "done" || num(job, "created") != 2 || num(job, "rejected") != 4 {
			t.Fatalf("%s: job = %s", tt.name, job.Raw)
		}
		// The clerk still learns which cell of which row to fix.
		rej := h.Must(200, "GET", "/v1/imports/"+r.Str("id")+"/rows?status=rejected", admin, nil)
		var got []string
		for _, it := range rej.Items() {
			row := it.(map[string]any)
			for _, e := range row["errors"].([]any) {
				ce := e.(map[string]any)
				got = append(got, fmt.Sprintf("%v %v", row["row"], ce["column"]))
				if ce["reason_zh"] == "" {
					t.Errorf("%s: row %v: no reason", tt.name, row["row"])
				}
			}
		}
		if strings.Join(got, "; ") != piiSheetRejected {
			t.Errorf("%s: rejected cells\n got %s\nwant %s", tt.name, strings.Join(got, "; "), piiSheetRejected)
		}
		for _, answer := range [][]byte{r.Raw, job.Raw, rej.Raw} {
			for _, v := range sheet.values {
				if bytes.Contains(answer, []byte(v)) {
					t.Errorf("%s: an answer shows %s in clear: %s", tt.name, v, answer)
				}
			}
		}
	}
	// An enterprise sheet's contact mobiles, imported and rejected.
	contacts := []string{randomMobile(), randomMobile(), randomMobile()[:10]}
	var ent bytes.Buffer
	if err := csv.NewWriter(&ent).WriteAll([][]string{
		{"企业名称", "类型", "所属社区", "联系人", "联系电话"},
		{"暖新快递一点", "快递末端网点", "塔山社区", "王经理", contacts[0]},
		{"暖新快递二点", "快递末端网点", "长生社区", "李经理", contacts[1]},
		{"暖新快递三点", "快递末端网点", "塔山社区", "赵经理", contacts[2]},
	}); err != nil {
		t.Fatal(err)
	}
	for _, v := range contacts {
		whose[v] = "企业台账.csv"
	}
	r := h.upload("enterprises", admin, "企业台账.csv", ent.Bytes())
	if job := h.waitImport(r.Str("id"), admin, 30*time.Second); num(job, "created") != 2 || num(job, "rejected") != 1 {
		t.Fatalf("enterprise import: %s", job.Raw)
	}

	// A registration through the API, with a key, so its answer is stored.
	m, id := randomMobile(), randomIDNumber()
	whose[m], whose[id] = "POST /v1/workers", "POST /v1/workers"
	h.Must(201, "POST", "/v1/workers", admin, map[string]any{"name": "王七", "mobile": m, "id_number": id,
		"occupation": "courier", "community": "tashan"}, idempotency.Header, "pii-worker")

	// Every event is in the stream, and everything Postgres holds is in its
	// files: the tables (CHECKPOINT) and the WAL up to now (a new segment).
	testenv.Eventually(t, 30*time.Second, func() bool { return h.count("outbox") == 0 })
	for _, sql := range []string{"CHECKPOINT", "SELECT pg_switch_wal()"} {
		if _, err := h.Pool.Exec(t.Context(), sql); err != nil {
			t.Fatalf("%s (the test's database user must be a superuser): %v", sql, err)
		}
	}

	values := make([]string, 0, len(whose))
	for v := range whose {
		values = append(values, v)
	}
	hits, err := testenv.FindInFiles([]string{dirs.Postgres, dirs.NATS, logPath, tmp}, values)
	if err != nil {
		t.Fatal(err)
	}
	for _, hit := range hits {
		t.Errorf("in clear on disk (from %s): %s", whose[hit.Value], hit)
	}
}

// runImports runs an import runner, as another instance would, until the
// test ends.
func (h *harness) runImports(t *testing.T) {
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	runner := registry.ImportRunner{Service: h.svc, Poll: 20 * time.Millisecond}
	wg.Go(func() { runner.Run(ctx) })
	t.Cleanup(func() { stop(); wg.Wait() })
}

// A queued job's upload is stored sealed and bound to its job: copied into
// another job's row it cannot be opened, and that job fails with a reason
// instead of importing someone else's sheet.
func TestImport_storesTheUploadSealedToItsJob(t *testing.T) {
	h := newHarness(t, "", withoutImportRunner())
	h.seedOrg()
	admin := h.StreetAdmin("qishan")
	sheet := newPIISheet()
	own := h.upload("workers", admin, "census.csv", sheet.csv(t))
	moved := h.upload("workers", admin, "other.csv", newPIISheet().csv(t))
	if own.Status != 202 || moved.Status != 202 {
		t.Fatalf("uploads: %d %s, %d %s", own.Status, own.Raw, moved.Status, moved.Raw)
	}

	var upload []byte
	var sealed bool
	if err := h.Pool.QueryRow(t.Context(), "SELECT upload, upload_sealed FROM import_jobs WHERE id = $1", own.Str("id")).
		Scan(&upload, &sealed); err != nil {
		t.Fatal(err)
	}
	if !sealed || bytes.Contains(upload, []byte("姓名")) {
		t.Fatalf("stored upload: sealed = %v, %d bytes, holds the header in clear: %v", sealed, len(upload), bytes.Contains(upload, []byte("姓名")))
	}
	for _, v := range sheet.values {
		if bytes.Contains(upload, []byte(v)) {
			t.Errorf("the stored upload holds %s in clear", v)
		}
	}
	if _, err := h.Pool.Exec(t.Context(), "UPDATE import_jobs SET upload = $2 WHERE id = $1", moved.Str("id"), upload); err != nil {
		t.Fatal(err)
	}

	h.runImports(t)
	tests := []struct {
		name, id, status, errorZH string
		created                   int
	}{
		{"its own job imports it", own.Str("id"), "done", "", 2},
		{"another job cannot open it", moved.Str("id"), "failed", "无法解密", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := h.waitImport(tt.id, admin, 30*time.Second)
			if job.Str("status") != tt.status || num(job, "created") != tt.created || !strings.Contains(job.Str("error_zh"), tt.errorZH) {
				t.Errorf("job = %s", job.Raw)
			}
			var dropped bool
			if err := h.Pool.QueryRow(t.Context(), "SELECT upload IS NULL FROM import_jobs WHERE id = $1", tt.id).Scan(&dropped); err != nil || !dropped {
				t.Errorf("upload dropped = %v (%v)", dropped, err)
			}
		})
	}
	if n := h.count("workers"); n != 2 {
		t.Errorf("workers = %d, want the 2 of the first sheet", n)
	}
}

// Jobs queued before uploads were sealed hold their sheet in clear
// (upload_sealed false, as migration 0007 marks them): the runner seals it
// as it claims the job, and imports it as before.
func TestImport_sealsAnUploadStoredInClearWhenItClaimsTheJob(t *testing.T) {
	h := newHarness(t, "", withoutImportRunner())
	h.seedOrg()
	failingInserts(t, h.Pool)
	admin := h.StreetAdmin("qishan")
	// stuck's first batch cannot be written, so the job stays claimed with
	// its upload as the claim left it; done runs to its end.
	stuck, done := newPIISheet(), newPIISheet()
	stuck.rows[1][0] = brokenName
	var ids []string
	for _, sheet := range []piiSheet{stuck, done} {
		raw := sheet.csv(t)
		r := h.upload("workers", admin, "census.csv", raw)
		if r.Status != 202 {
			t.Fatalf("upload: %d %s", r.Status, r.Raw)
		}
		if _, err := h.Pool.Exec(t.Context(), "UPDATE import_jobs SET upload = $2, upload_sealed = false WHERE id = $1", r.Str("id"), raw); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.Str("id"))
	}

	h.runImports(t)
	job := h.waitImport(ids[1], admin, 30*time.Second)
	if job.Str("status") != "done" || num(job, "created") != 2 || num(job, "rejected") != 4 {
		t.Errorf("the job stored in clear = %s", job.Raw)
	}
	var (
		upload []byte
		sealed bool
		status string
	)
	if err := h.Pool.QueryRow(t.Context(), "SELECT upload, upload_sealed, status FROM import_jobs WHERE id = $1", ids[0]).
		Scan(&upload, &sealed, &status); err != nil {
		t.Fatal(err)
	}
	if status != "running" || !sealed || len(upload) == 0 {
		t.Fatalf("the claimed job: status %s, sealed %v, %d bytes", status, sealed, len(upload))
	}
	for _, v := range stuck.values {
		if bytes.Contains(upload, []byte(v)) {
			t.Errorf("the claimed job's upload still holds %s in clear", v)
		}
	}
}
