package registry_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// xlsxFile builds a workbook whose first sheet holds rows.
func xlsxFile(t testing.TB, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload posts a file as a browser form would, with any headers given as
// name, value pairs.
func (h *harness) upload(kind, token, name string, data []byte, headers ...string) testenv.Response {
	h.t.Helper()
	return h.PostForm("/v1/imports/"+kind, token, []testenv.Part{{Name: "file", FileName: name, Data: data}}, headers...)
}

// waitImport polls the job until it is done or failed.
func (h *harness) waitImport(id, token string, within time.Duration) testenv.Response {
	h.t.Helper()
	var r testenv.Response
	testenv.Eventually(h.t, within, func() bool {
		r = h.Must(200, "GET", "/v1/imports/"+id, token, nil)
		return r.Str("status") == "done" || r.Str("status") == "failed"
	})
	return r
}

func num(r testenv.Response, key string) int { f, _ := r.Body[key].(float64); return int(f) }

var censusHeader = []any{"序号", "姓名", "手机号码（必填）", "身份证号*", "职业", "所属社区", "从业平台", "政治面貌", "是否流动党员", "党组织关系所在地"}

func TestImportWorkers_mixedFileImportsGoodRowsAndExplainsBadOnes(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	admin := h.StreetAdmin("qishan")
	file := xlsxFile(t, [][]any{
		{"奇山街道新就业群体摸排表（第三轮）"},
		censusHeader,
		{1, "王海涛", "13953501201", idNumber(1), "外卖骑手", "塔山社区", "美团", "群众", "否", ""},
		{2, "李明辉", "13953501202", withWrongCheck(idNumber(2)), "快递员", "tashan", "顺丰", "群众", "", ""},
		{3, "张晓东", "1395350120", idNumber(3), "快递员", "塔山社区", "中通", "群众", "", ""},
		{4, "刘洋", "13953501204", idNumber(4), "快递员", "火星社区", "中通", "群众", "", ""},
		{},
		{6, "许文博", "13953501206", idNumber(6), "外卖骑手", "长生社区", "饿了么", "中共党员", "是", "莱州市沙河镇朱家村党支部"},
		{7, "王海涛", "13953501299", idNumber(1), "外卖骑手", "塔山社区", "美团", "群众", "否", ""}, // listed twice
		{8, "赵强", "13953501208", idNumber(8), "宇航员", "建设路社区", "", "群众", "", ""},     // occupation + community out of scope
	})
	r := h.upload("workers", admin, "摸排表.xlsx", file)
	if r.Status != 202 || r.Header.Get("Location") == "" || num(r, "total_rows") != 7 {
		t.Fatalf("upload: %d %s", r.Status, r.Raw)
	}
	job := h.waitImport(r.Str("id"), admin, 30*time.Second)
	if job.Str("status") != "done" || num(job, "created") != 2 || num(job, "rejected") != 5 || num(job, "processed") != 7 {
		t.Fatalf("job = %s", job.Raw)
	}

	rej := h.Must(200, "GET", "/v1/imports/"+r.Str("id")+"/rows?status=rejected", admin, nil)
	type cellErr struct {
		row        int
		column, zh string
	}
	var got []cellErr
	for _, it := range rej.Body["items"].([]any) {
		m := it.(map[string]any)
		for _, e := range m["errors"].([]any) {
			em := e.(map[string]any)
			got = append(got, cellErr{int(m["row"].(float64)), em["column"].(string), em["reason_zh"].(string)})
			if em["reason_en"] == "" {
				t.Errorf("row %v: no English reason", m["row"])
			}
		}
	}
	want := []cellErr{
		{4, "身份证号*", "身份证号校验位不正确，请核对是否录入有误"},
		{5, "手机号码（必填）", "手机号应为 1 开头的 11 位手机号码"},
		{6, "所属社区", "社区不存在或不在您的管辖范围内（可填写社区名称或代码）"},
		{9, "身份证号*", "与本表第 3 行的身份证号重复"},
		{10, "职业", "职业的取值无法识别"},
		{10, "所属社区", "社区不存在或不在您的管辖范围内（可填写社区名称或代码）"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rejected cells:\n got %v\nwant %v", got, want)
	}

	if n := h.count("workers"); n != 2 {
		t.Errorf("workers = %d, want 2", n)
	}
	// Imported workers' events carry the match of their mobile, as every worker event does.
	regs := ofType(h.Published("registry"), "nuanxin.registry.worker.registered")
	if len(regs) != 2 {
		t.Errorf("registered events = %d, want 2", len(regs))
	}
	for i, m := range []string{"13953501201", "13953501206"} {
		if i < len(regs) && workerData(t, regs[i].Envelope).MobileMatch != h.match.Of(m) {
			t.Errorf("registered event %d: mobile_match is not the match of %s: %s", i, m, regs[i].Data)
		}
	}

	// The same file again: nothing new, nothing emitted.
	before := len(h.Messages("registry"))
	r2 := h.upload("workers", admin, "摸排表.xlsx", file)
	job2 := h.waitImport(r2.Str("id"), admin, 30*time.Second)
	if num(job2, "created") != 0 || num(job2, "updated") != 0 || num(job2, "unchanged") != 2 || num(job2, "rejected") != 5 {
		t.Errorf("re-import = %s", job2.Raw)
	}
	if after := len(h.Published("registry")); after != before {
		t.Errorf("re-import emitted %d events", after-before)
	}

	// The next census round: a new mobile is an update (dynamic
	// management), a new person is created, the rest stays.
	round := xlsxFile(t, [][]any{
		censusHeader,
		{1, "王海涛", "13953501299", idNumber(1), "外卖骑手", "塔山社区", "美团", "群众", "否", ""},
		{2, "许文博", "13953501206", idNumber(6), "外卖骑手", "长生社区", "饿了么", "中共党员", "是", "莱州市沙河镇朱家村党支部"},
		{3, "孙磊", "13953501213", idNumber(13), "网约车司机", "长生社区", "滴滴", "群众", "否", ""},
	})
	r3 := h.upload("workers", admin, "第四轮.xlsx", round)
	job3 := h.waitImport(r3.Str("id"), admin, 30*time.Second)
	if num(job3, "created") != 1 || num(job3, "updated") != 1 || num(job3, "unchanged") != 1 {
		t.Fatalf("next round = %s", job3.Raw)
	}
	up := h.Must(200, "GET", "/v1/imports/"+r3.Str("id")+"/rows?status=updated", admin, nil).Body["items"].([]any)[0].(map[string]any)
	if up["row"].(float64) != 2 || fmt.Sprint(up["changed"]) != "[mobile]" {
		t.Errorf("updated row = %v", up)
	}
	evs := ofType(h.Published("registry"), "nuanxin.registry.worker.updated")
	if len(evs) != 1 || !strings.Contains(string(evs[0].Data), `"changed":["mobile"]`) {
		t.Errorf("updated events = %v", evs)
	} else if got := workerData(t, evs[0].Envelope).MobileMatch; got != h.match.Of("13953501299") {
		t.Errorf("updated event's mobile_match = %q, want the new mobile's", got)
	}
}

func TestImportWorkers_readsGBKCSVFromExcel(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"姓名", "手机号", "身份证号", "职业", "所属社区", "政治面貌"})
	w.Write([]string{"张三", "13800000001", idNumber(11), "代驾司机", "建设路社区", "入党申请人"})
	w.Write([]string{"李四", "13800000002", idNumber(12), "货车司机", "jianshelu", "共青团员"})
	w.Flush()
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	token := h.Staff("jianshelu", "jianshelu")
	r := h.upload("workers", token, "名册.csv", gbk)
	if r.Status != 202 {
		t.Fatalf("upload: %d %s", r.Status, r.Raw)
	}
	job := h.waitImport(r.Str("id"), token, 30*time.Second)
	if num(job, "created") != 2 || job.Str("format") != "csv" {
		t.Fatalf("job = %s", job.Raw)
	}
	list := h.Must(200, "GET", "/v1/workers?community=jianshelu", token, nil)
	names := map[string]string{}
	for _, it := range list.Body["items"].([]any) {
		m := it.(map[string]any)
		names[m["name"].(string)] = m["occupation"].(string) + "/" + m["political_status"].(string)
	}
	if names["张三"] != "designated_driver/applicant" || names["李四"] != "freight_driver/league_member" {
		t.Errorf("decoded = %v", names)
	}
}

// zipBomb is a valid-looking XLSX whose worksheet inflates to 600 MB.
func zipBomb(t testing.TB) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "xl/workbook.xml"} {
		w, _ := zw.Create(name)
		w.Write([]byte("<x/>"))
	}
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	zeros := make([]byte, 1<<20)
	for range 600 {
		w.Write(zeros)
	}
	zw.Close()
	return buf.Bytes()
}

func TestImport_badFilesAreRefusedClearlyAndNothingIsWritten(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	admin := h.StreetAdmin("qishan")
	noIDColumn := xlsxFile(t, [][]any{{"姓名", "手机号", "职业", "所属社区"}, {"王五", "13800000003", "快递员", "塔山社区"}})
	cases := []struct {
		name   string
		token  string
		kind   string
		data   []byte
		status int
		says   string
	}{
		{"not a spreadsheet", admin, "workers", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 422, "不是 XLSX 或 CSV"},
		{"empty", admin, "workers", nil, 422, "文件为空"},
		{"old xls", admin, "workers", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, 422, ".xls"},
		{"missing required column", admin, "workers", noIDColumn, 422, "缺少必填列：身份证号"},
		{"header only", admin, "workers", xlsxFile(t, [][]any{censusHeader}), 422, "没有数据行"},
		{"damaged zip", admin, "workers", []byte("PK\x03\x04 this is not really a zip"), 422, "无法读取 XLSX"},
		{"zip bomb", admin, "workers", zipBomb(t), 422, "压缩炸弹"},
		{"50 MB", admin, "workers", bytes.Repeat([]byte("a,b\n"), 50<<20/4), 413, "32 MB"},
		{"worker may not import", h.Worker("0190a6c5-0000-7000-8000-000000000001"), "workers", noIDColumn, 403, ""},
		{"unknown kind", admin, "unicorns", noIDColumn, 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.upload(c.kind, c.token, "f", c.data)
			if r.Status != c.status || !strings.Contains(string(r.Raw), c.says) {
				t.Errorf("%d %s", r.Status, r.Raw)
			}
			if c.status == 422 && r.Field() != "file" {
				t.Errorf("field = %q", r.Field())
			}
		})
	}
	if n := h.count("import_jobs"); n != 0 {
		t.Errorf("jobs created: %d", n)
	}
	if n := h.count("workers"); n != 0 {
		t.Errorf("workers created: %d", n)
	}
}

func TestImportEnterprises_createsUpdatesAndRejectsByRow(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	admin := h.StreetAdmin("qishan")
	header := []any{"企业名称", "类型", "统一社会信用代码", "所属社区", "地址", "联系人", "联系电话", "是否建立党组织"}
	zto := creditCode("MA3C4D5E6")
	file := xlsxFile(t, [][]any{
		header,
		{"中通快递奇山网点", "快递末端网点", zto, "塔山社区", "上乔西路12号", "王经理", "13800138000", "是"},
		{"菜鸟驿站（上乔西路店）", "parcel_station", "", "塔山社区", "上乔西路20号", "", "", "否"},
		{"顺丰速运", "快递末端网点", zto[:17] + "0", "长生社区", "", "", "", ""},
		{"中通快递奇山网点（重复）", "快递末端网点", zto, "塔山社区", "", "", "", "是"},
	})
	r := h.upload("enterprises", admin, "企业台账.xlsx", file)
	job := h.waitImport(r.Str("id"), admin, 30*time.Second)
	if num(job, "created") != 2 || num(job, "rejected") != 2 {
		t.Fatalf("job = %s", job.Raw)
	}
	rej := h.Must(200, "GET", "/v1/imports/"+r.Str("id")+"/rows?status=rejected", admin, nil).Body["items"].([]any)
	if len(rej) != 2 || !strings.Contains(fmt.Sprint(rej[0]), "统一社会信用代码校验位不正确") || !strings.Contains(fmt.Sprint(rej[1]), "与本表第 2 行的企业重复") {
		t.Errorf("rejected = %v", rej)
	}

	// Next year's ledger: the outlet moved along the street; the station is as it was.
	again := xlsxFile(t, [][]any{
		header,
		{"中通快递奇山网点", "快递末端网点", zto, "塔山社区", "上乔西路16号", "王经理", "13800138000", "是"},
		{"菜鸟驿站（上乔西路店）", "驿站", "", "塔山社区", "上乔西路20号", "", "", "否"},
	})
	r2 := h.upload("enterprises", admin, "企业台账2.xlsx", again)
	job2 := h.waitImport(r2.Str("id"), admin, 30*time.Second)
	if num(job2, "updated") != 1 || num(job2, "unchanged") != 1 || num(job2, "created") != 0 {
		t.Fatalf("second round = %s", job2.Raw)
	}
	if n := h.count("enterprises"); n != 2 {
		t.Errorf("enterprises = %d", n)
	}
	evs := h.Published("registry")
	if a, b := len(ofType(evs, "nuanxin.registry.enterprise.registered")), len(ofType(evs, "nuanxin.registry.enterprise.updated")); a != 2 || b != 1 {
		t.Errorf("events: %d registered, %d updated", a, b)
	}
}

// A blank cell or a missing column says nothing: it never clears what the
// ledger knows.
func TestImportWorkers_blankCellsAndMissingColumnsLeaveTheLedgerAlone(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	admin := h.StreetAdmin("qishan")
	first := xlsxFile(t, [][]any{
		censusHeader,
		{1, "许文博", "13953501206", idNumber(41), "外卖骑手", "长生社区", "饿了么", "中共党员", "是", "莱州市沙河镇朱家村党支部"},
	})
	h.waitImport(h.upload("workers", admin, "a.xlsx", first).Str("id"), admin, 30*time.Second)

	// A shorter sheet: no platform or party columns, a blank political status.
	short := xlsxFile(t, [][]any{
		{"姓名", "手机号", "身份证号", "职业", "所属社区", "政治面貌"},
		{"许文博", "13953501206", idNumber(41), "外卖骑手", "长生社区", ""},
	})
	job := h.waitImport(h.upload("workers", admin, "b.xlsx", short).Str("id"), admin, 30*time.Second)
	if num(job, "unchanged") != 1 {
		t.Fatalf("job = %s", job.Raw)
	}
	list := h.Must(200, "GET", "/v1/workers?community=changsheng", admin, nil).Body["items"].([]any)
	w := list[0].(map[string]any)
	if w["platform"] != "饿了么" || w["political_status"] != "party_member" || w["mobile_party_member"] != true || w["home_party_org"] != "莱州市沙河镇朱家村党支部" {
		t.Errorf("worker after the short sheet = %v", w)
	}
}
