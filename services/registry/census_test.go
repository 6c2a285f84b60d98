package registry_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// itemIDs are the ids of a list's items, in order.
func itemIDs(r testenv.Response) []string {
	var out []string
	for _, it := range r.Items() {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

func TestCheckIns_listsAWorkersCheckInsOldestFirstInScope(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	w := h.registerWorker(301, "tashan")
	other := h.registerWorker(302, "jianshelu")
	first := h.Must(201, "POST", "/v1/workers/"+w+"/checkins", h.Worker(w), map[string]any{"channel": "online"})
	second := h.Must(201, "POST", "/v1/workers/"+w+"/checkins", h.District(), map[string]any{"channel": "online", "community": "changsheng"})

	tests := []struct {
		name   string
		token  string
		id     string
		status int
		want   []string
	}{
		{"district admin", h.District(), w, 200, []string{first.Str("id"), second.Str("id")}},
		{"the street's admin", h.StreetAdmin("qishan"), w, 200, []string{first.Str("id"), second.Str("id")}},
		{"the community's staff", h.Staff("qishan", "tashan"), w, 200, []string{first.Str("id"), second.Str("id")}},
		{"the worker themself", h.Worker(w), w, 200, []string{first.Str("id"), second.Str("id")}},
		{"a worker never checked in", h.District(), other, 200, nil},
		{"another street's admin", h.StreetAdmin("jianshelu"), w, 404, nil},
		{"another community's staff", h.Staff("qishan", "changsheng"), w, 404, nil},
		{"another worker", h.Worker(other), w, 404, nil},
		{"no such worker", h.District(), "0190a6c5-0000-7000-8000-0000000000ff", 404, nil},
		{"not an id", h.District(), "nope", 404, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.Do("GET", "/v1/workers/"+tt.id+"/checkins", tt.token, nil)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Raw)
			}
			if tt.status != 200 {
				return
			}
			if got := itemIDs(r); !slices.Equal(got, tt.want) {
				t.Fatalf("ids %v, want %v", got, tt.want)
			}
			if tt.want != nil {
				it := r.Items()[0].(map[string]any)
				if it["channel"] != "online" || it["community"] != "tashan" || it["street"] != "qishan" || it["worker_id"] != w ||
					it["checked_in_at"] != first.Str("checked_in_at") {
					t.Fatalf("first item %v, want the fields POST answered: %s", it, first.Raw)
				}
			}
		})
	}
}

func TestListWorkers_byMobileTailMobileAndIDs(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	a := h.registerWorker(1234, "tashan")       // 13900001234
	b := h.registerWorker(201234, "changsheng") // 13900201234: the same last 4
	c := h.registerWorker(1235, "tashan")       // 13900001235
	d := h.registerWorker(301234, "jianshelu")  // another street, same last 4
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("0190a6c5-0000-7000-8000-%012d", i)
	}
	tests := []struct {
		name   string
		token  string
		query  string
		status int
		field  string
		want   []string
	}{
		{"tail, whole district", h.District(), "mobile_tail=1234", 200, "", []string{a, b, d}},
		{"tail, one street", h.StreetAdmin("qishan"), "mobile_tail=1234", 200, "", []string{a, b}},
		{"tail, one community", h.Staff("qishan", "tashan"), "mobile_tail=1234", 200, "", []string{a}},
		{"tail and name", h.District(), "mobile_tail=1234&q=" + url.QueryEscape("骑手2012"), 200, "", []string{b}},
		{"tail nobody has", h.District(), "mobile_tail=9999", 200, "", nil},
		{"tail of 3 digits", h.District(), "mobile_tail=123", 422, "mobile_tail", nil},
		{"tail of 5 digits", h.District(), "mobile_tail=11234", 422, "mobile_tail", nil},
		{"tail not digits", h.District(), "mobile_tail=12a4", 422, "mobile_tail", nil},
		{"whole mobile", h.District(), "mobile=" + mobile(1235), 200, "", []string{c}},
		{"whole mobile out of scope", h.StreetAdmin("jianshelu"), "mobile=" + mobile(1235), 200, "", nil},
		{"whole mobile nobody has", h.District(), "mobile=13800000000", 200, "", nil},
		{"mobile not a mobile", h.District(), "mobile=1234", 422, "mobile", nil},
		{"ids", h.District(), "ids=" + c + "," + a, 200, "", []string{a, c}},
		{"ids, some out of scope", h.StreetAdmin("jianshelu"), "ids=" + a + "," + d, 200, "", []string{d}},
		{"ids repeated", h.District(), "ids=" + a + "," + a, 200, "", []string{a}},
		{"100 ids", h.District(), "ids=" + strings.Join(append(many[:99:99], a), ","), 200, "", []string{a}},
		{"101 ids", h.District(), "ids=" + strings.Join(many, ","), 422, "ids", nil},
		{"a malformed id", h.District(), "ids=" + a + ",nope", 422, "ids", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.Do("GET", "/v1/workers?"+tt.query, tt.token, nil)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Raw)
			}
			if tt.field != "" {
				if r.Field() != tt.field || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
					t.Fatalf("problem names %q, want %q: %s", r.Field(), tt.field, r.Raw)
				}
				return
			}
			got := itemIDs(r)
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("ids %v, want %v", got, want)
			}
		})
	}
}

func TestPairings_carryTheWorkersName(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	w := h.registerWorker(401, "tashan")
	admin := h.StreetAdmin("qishan")
	created := h.Must(201, "POST", "/v1/pairings", admin, map[string]any{"worker_id": w, "staff_subject": "grid-li", "staff_name": "李网格"})
	for _, path := range []string{"/v1/pairings", "/v1/pairings/overdue", "/v1/pairings/" + created.Str("id")} {
		r := h.Must(200, "GET", path, admin, nil)
		item := r.Body
		if items := r.Items(); items != nil {
			if len(items) != 1 {
				t.Fatalf("%s: %s", path, r.Raw)
			}
			item = items[0].(map[string]any)
		}
		if item["worker_name"] != "骑手401" {
			t.Errorf("%s: worker_name = %v: %s", path, item["worker_name"], r.Raw)
		}
	}
	if created.Str("worker_name") != "骑手401" {
		t.Errorf("POST answered %s", created.Raw)
	}
	h.Must(200, "PATCH", "/v1/workers/"+w, admin, map[string]any{"name": "王骑手"})
	if r := h.Must(200, "GET", "/v1/pairings", admin, nil); r.Items()[0].(map[string]any)["worker_name"] != "王骑手" {
		t.Errorf("after a rename: %s", r.Raw)
	}
}

// rejectedSheet is a census with a title row, a column the import does not
// know (备注), one good row and two bad ones.
func rejectedSheet(t *testing.T) []byte {
	header := append(slices.Clone(censusHeader), "备注")
	return xlsxFile(t, [][]any{
		{"奇山街道摸排表"},
		header,
		{1, "王海涛", mobile(501), idNumber(501), "外卖骑手", "塔山社区", "美团", "群众", "否", "", "老骑手"},
		{2, "李明辉", mobile(502), withWrongCheck(idNumber(502)), "快递员", "塔山社区", "顺丰", "群众", "", "", "新来的"},
		{3, "张晓东", "1395350120", idNumber(503), "宇航员", "塔山社区", "中通", "群众", "", ""},
	})
}

func TestImportRejectedRows_asAFileThatImportsAgain(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	admin := h.Token(auth.Principal{Subject: "admin-qishan", Role: auth.StreetAdmin, Street: "qishan"})
	r := h.upload("workers", admin, "摸排表.xlsx", rejectedSheet(t))
	if r.Status != 202 {
		t.Fatalf("upload: %d %s", r.Status, r.Raw)
	}
	id := r.Str("id")
	if job := h.waitImport(id, admin, 30*time.Second); num(job, "rejected") != 2 || num(job, "created") != 1 {
		t.Fatalf("job %s", job.Raw)
	}
	// Sealed: no mobile or ID number of a rejected row is stored in clear.
	var stored int
	if err := h.Pool.QueryRow(context.Background(), `SELECT count(*) FROM import_rows WHERE job_id = $1 AND cells_sealed IS NOT NULL
		AND position($2::bytea IN cells_sealed) = 0`, id, []byte(mobile(502))).Scan(&stored); err != nil || stored != 2 {
		t.Fatalf("sealed rejected rows = %d (%v), want 2", stored, err)
	}
	wantHeader := []string{"序号", "姓名", "手机号码（必填）", "身份证号*", "职业", "所属社区", "从业平台", "政治面貌", "是否流动党员",
		"党组织关系所在地", "备注", "原表行号", "错误列", "错误原因"}
	check := func(t *testing.T, rows [][]string) {
		t.Helper()
		if len(rows) != 3 || !slices.Equal(rows[0], wantHeader) {
			t.Fatalf("rows %q", rows)
		}
		if rows[1][1] != "李明辉" || rows[1][3] != withWrongCheck(idNumber(502)) || rows[1][10] != "新来的" || rows[1][11] != "4" ||
			rows[1][12] != "身份证号*" || !strings.Contains(rows[1][13], "校验位") {
			t.Fatalf("row 1 %q", rows[1])
		}
		if rows[2][2] != "1395350120" || rows[2][11] != "5" || !strings.Contains(rows[2][12], "手机号码") || !strings.Contains(rows[2][12], "职业") {
			t.Fatalf("row 2 %q", rows[2])
		}
	}

	t.Run("csv", func(t *testing.T) {
		f := h.Must(200, "GET", "/v1/imports/"+id+"/rows?status=rejected&format=csv", admin, nil)
		if !bytes.HasPrefix(f.Raw, []byte("\uFEFF")) || !strings.HasPrefix(f.Header.Get("Content-Type"), "text/csv") ||
			!strings.Contains(f.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("headers %v, body %q", f.Header, f.Raw[:min(40, len(f.Raw))])
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(f.Raw, []byte("\uFEFF")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range rows {
			for i := range row {
				row[i] = strings.TrimSpace(row[i]) // the tab before a long number
			}
		}
		check(t, rows)

		// Corrected, the file imports again: the reason columns are ignored.
		rows[1][3] = idNumber(502)
		var buf bytes.Buffer
		buf.WriteString("\uFEFF")
		cw := csv.NewWriter(&buf)
		_ = cw.WriteAll(rows[:2])
		again := h.upload("workers", admin, "改正.csv", buf.Bytes())
		if again.Status != 202 {
			t.Fatalf("re-import: %d %s", again.Status, again.Raw)
		}
		if job := h.waitImport(again.Str("id"), admin, 30*time.Second); num(job, "created") != 1 || num(job, "rejected") != 0 {
			t.Fatalf("re-import %s", job.Raw)
		}
	})
	t.Run("xlsx", func(t *testing.T) {
		f := h.Must(200, "GET", "/v1/imports/"+id+"/rows?status=rejected&format=xlsx", admin, nil)
		x, err := excelize.OpenReader(bytes.NewReader(f.Raw))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		rows, err := x.GetRows(x.GetSheetName(x.GetActiveSheetIndex()))
		if err != nil {
			t.Fatal(err)
		}
		check(t, rows)
	})
	if n := h.count("import_row_downloads"); n != 2 {
		t.Errorf("%d downloads recorded, want 2", n)
	}

	bad := []struct {
		name   string
		token  string
		query  string
		status int
		field  string
	}{
		{"a file of all rows", admin, "format=csv", 422, "status"},
		{"a file of created rows", admin, "status=created&format=csv", 422, "status"},
		{"a format not offered", admin, "status=rejected&format=pdf", 422, "format"},
		{"a file in pages", admin, "status=rejected&format=csv&limit=10", 422, "format"},
		{"another street", h.Token(auth.Principal{Subject: "admin-jianshelu", Role: auth.StreetAdmin, Street: "jianshelu"}), "status=rejected&format=csv", 404, ""},
		{"a community clerk who did not upload it", h.Token(auth.Principal{Subject: "clerk-tashan", Role: auth.CommunityStaff, Street: "qishan", Community: "tashan"}), "status=rejected&format=xlsx", 404, ""},
		{"a worker", h.Worker("0190a6c5-0000-7000-8000-000000000001"), "status=rejected&format=csv", 404, ""},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			before := h.count("import_row_downloads")
			r := h.Do("GET", "/v1/imports/"+id+"/rows?"+tt.query, tt.token, nil)
			if r.Status != tt.status || r.Field() != tt.field {
				t.Fatalf("%d %s, want %d on %q", r.Status, r.Raw, tt.status, tt.field)
			}
			if h.count("import_row_downloads") != before {
				t.Fatal("a refused download was recorded")
			}
		})
	}
	// JSON stays as it was.
	if r := h.Must(200, "GET", "/v1/imports/"+id+"/rows?status=rejected", admin, nil); len(r.Items()) != 2 {
		t.Fatalf("json rows %s", r.Raw)
	}
}
