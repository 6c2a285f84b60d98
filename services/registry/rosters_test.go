package registry_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/registry"
)

// rosterWorld is a small district: workers of every kind in qishan, one in
// jianshelu, an enterprise with a contact in tashan.
type rosterWorld struct {
	h                                     *harness
	enterprise                            string
	rider, mobileMember, activist, newbie string // tashan, changsheng, tashan, tashan
	probationary, departed, otherStreet   string // tashan, tashan (left), jianshelu
	riderBody, mobileMemberBody           map[string]any
	homeOrg                               string
	today                                 string
	qishanActive, qishanCands             int
}

func newRosterWorld(t *testing.T) *rosterWorld {
	h := newHarness(t, "")
	h.seedOrg()
	w := &rosterWorld{h: h, homeOrg: "中共青岛市市南区八大湖街道委员会", today: time.Now().In(registry.Shanghai).Format("2006-01-02")}
	d := h.District()
	w.enterprise = h.Must(201, "POST", "/v1/enterprises", d, map[string]any{
		"name": "顺丰速运奇山营业部", "kind": "express_outlet", "community": "tashan", "address": "奇山路1号",
		"contact": map[string]any{"name": "王经理", "mobile": "13812345678"}, "has_party_org": true,
	}).Str("id")
	h.Must(201, "POST", "/v1/enterprises", d, map[string]any{"name": "建设路菜鸟驿站", "kind": "parcel_station", "community": "jianshelu"})

	register := func(serial int, community string, edit func(map[string]any)) (string, map[string]any) {
		b := workerBody(serial, community)
		if edit != nil {
			edit(b)
		}
		return h.Must(201, "POST", "/v1/workers", d, b).Str("id"), b
	}
	w.rider, w.riderBody = register(1, "tashan", func(b map[string]any) { b["enterprise_id"] = w.enterprise })
	w.mobileMember, w.mobileMemberBody = register(2, "changsheng", func(b map[string]any) {
		b["occupation"], b["political_status"], b["mobile_party_member"], b["home_party_org"] = "courier", "party_member", true, w.homeOrg
	})
	w.activist, _ = register(3, "tashan", func(b map[string]any) { b["political_status"] = "activist" })
	w.newbie, _ = register(4, "tashan", func(b map[string]any) { b["political_status"] = "applicant" })
	w.probationary, _ = register(5, "tashan", func(b map[string]any) { b["political_status"] = "probationary_member" })
	w.departed, _ = register(6, "tashan", nil)
	h.Must(200, "POST", "/v1/workers/"+w.departed+"/leave", d, map[string]any{"reason": "回老家"})
	w.otherStreet, _ = register(7, "jianshelu", func(b map[string]any) { b["political_status"] = "party_member" })
	w.qishanActive, w.qishanCands = 5, 3
	return w
}

// step records a step of the party pipeline directly.
func (w *rosterWorld) step(worker, from, to, on, org string) {
	w.h.t.Helper()
	_, err := w.h.Pool.Exec(context.Background(), `INSERT INTO worker_status_steps
		(id, worker_id, from_status, to_status, effective_on, party_org, actor_subject, street, community)
		VALUES ($1, $2, $3, $4, $5, $6, 'test', 'qishan', 'tashan')`, uuid.Must(uuid.NewV7()), worker, from, to, on, org)
	if err != nil {
		w.h.t.Fatal(err)
	}
}

// sheet opens an XLSX answer and returns its only sheet's name and rows.
func sheet(t *testing.T, r testenv.Response) (*excelize.File, string, [][]string) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("Content-Type %q: %s", ct, r.Raw)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.Raw))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	names := f.GetSheetList()
	if len(names) != 1 {
		t.Fatalf("sheets %v, want one", names)
	}
	rows, err := f.GetRows(names[0])
	if err != nil {
		t.Fatal(err)
	}
	return f, names[0], rows
}

// byHeader maps each data row to its cells by header, keyed by 姓名 (or 企业名称).
func byHeader(rows [][]string) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, row := range rows[1:] {
		m := map[string]string{}
		for i, hd := range rows[0] {
			if i < len(row) {
				m[hd] = row[i]
			}
		}
		key := m["姓名"]
		if key == "" {
			key = m["企业名称"]
		}
		out[key] = m
	}
	return out
}

func maskedID(id string) string { return id[:6] + "********" + id[14:] }

var workerHeaders = []string{"序号", "姓名", "手机号", "身份证号", "职业", "所属街道", "所属社区", "所属企业", "从业平台",
	"政治面貌", "是否流动党员", "党组织关系所在地", "状态", "登记时间"}

func TestRosterXLSX_workersMaskedWithChineseHeadersFrozenAndLabels(t *testing.T) {
	w := newRosterWorld(t)
	h := w.h
	r := h.Must(200, "GET", "/v1/rosters/workers?format=xlsx", h.StreetAdmin("qishan"), nil)
	f, name, rows := sheet(t, r)

	if name != "新就业群体名册" {
		t.Errorf("sheet %q, want 新就业群体名册", name)
	}
	if !slices.Equal(rows[0], workerHeaders) {
		t.Errorf("headers\n %q\nwant\n %q", rows[0], workerHeaders)
	}
	if got := len(rows) - 1; got != w.qishanActive {
		t.Errorf("rows %d, want the %d active workers of qishan", got, w.qishanActive)
	}
	panes, err := f.GetPanes(name)
	if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("panes %+v (%v), want the header row frozen", panes, err)
	}
	styleID, _ := f.GetCellStyle(name, "B1")
	if style, err := f.GetStyle(styleID); err != nil || style.Font == nil || !style.Font.Bold {
		t.Errorf("header style %+v (%v), want bold", style, err)
	}
	if width, _ := f.GetColWidth(name, "L"); width < 20 {
		t.Errorf("党组织关系所在地 column width %v, want room for an organisation's name", width)
	}
	if rows[1][0] != "1" || rows[len(rows)-1][0] != "5" {
		t.Errorf("序号 runs %q..%q, want 1..5", rows[1][0], rows[len(rows)-1][0])
	}

	got := byHeader(rows)
	rider := got["骑手1"]
	id := w.riderBody["id_number"].(string)
	want := map[string]string{
		"手机号": "139****0001", "身份证号": maskedID(id), "职业": "外卖骑手", "所属街道": "奇山街道", "所属社区": "塔山社区",
		"所属企业": "顺丰速运奇山营业部", "从业平台": "美团", "政治面貌": "群众", "是否流动党员": "否", "状态": "在册", "登记时间": w.today,
	}
	for k, v := range want {
		if rider[k] != v {
			t.Errorf("%s = %q, want %q", k, rider[k], v)
		}
	}
	member := got["骑手2"]
	if member["职业"] != "快递员" || member["政治面貌"] != "中共党员" || member["是否流动党员"] != "是" || member["党组织关系所在地"] != w.homeOrg {
		t.Errorf("mobile party member row %v", member)
	}
	cd := r.Header.Get("Content-Disposition")
	day := time.Now().In(registry.Shanghai).Format("20060102")
	if !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, `filename="workers-roster-`+day+`.xlsx"`) ||
		!strings.Contains(cd, "filename*=UTF-8''%E6%96%B0%E5%B0%B1%E4%B8%9A%E7%BE%A4%E4%BD%93%E5%90%8D%E5%86%8C-"+day+".xlsx") {
		t.Errorf("Content-Disposition %q", cd)
	}
	if n := h.count("roster_exports"); n != 1 {
		t.Errorf("roster_exports %d, want 1", n)
	}
	if n := h.count("pii_reads"); n != 0 {
		t.Errorf("pii_reads %d after a masked export, want 0", n)
	}
}

func TestRosterXLSX_fullPIIForAStreetAdminIsAuditedPerWorker(t *testing.T) {
	w := newRosterWorld(t)
	h := w.h
	r := h.Must(200, "GET", "/v1/rosters/workers?format=xlsx&pii=full&community=tashan", h.StreetAdmin("qishan"), nil)
	_, _, rows := sheet(t, r)

	wantHeaders := slices.Insert(slices.Clone(workerHeaders), 2, "性别")
	if !slices.Equal(rows[0], wantHeaders) {
		t.Errorf("headers %q, want %q", rows[0], wantHeaders)
	}
	rider := byHeader(rows)["骑手1"]
	if rider["手机号"] != "13900000001" || rider["身份证号"] != w.riderBody["id_number"] {
		t.Errorf("full row has mobile %q, ID %q", rider["手机号"], rider["身份证号"])
	}
	if rider["性别"] != "女" { // idNumber's sequence 000: even
		t.Errorf("性别 %q, want 女", rider["性别"])
	}
	n := len(rows) - 1
	if n != 4 { // rider, activist, newbie, probationary
		t.Fatalf("rows %d, want the 4 active workers of tashan", n)
	}

	ctx := context.Background()
	var exportID uuid.UUID
	var role, pii, format, requestID string
	var rowCount int
	var filters map[string]string
	err := h.Pool.QueryRow(ctx, `SELECT id, actor_role, pii, format, row_count, filters, request_id FROM roster_exports`).
		Scan(&exportID, &role, &pii, &format, &rowCount, &filters, &requestID)
	if err != nil {
		t.Fatalf("roster_exports: %v", err)
	}
	if role != "street_admin" || pii != "full" || format != "xlsx" || rowCount != n || requestID != r.Header.Get("X-Request-Id") ||
		filters["street"] != "qishan" || filters["community"] != "tashan" || filters["status"] != "active" {
		t.Errorf("export record: role %s pii %s format %s rows %d filters %v request %q", role, pii, format, rowCount, filters, requestID)
	}
	var reads, distinct int
	err = h.Pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT worker_id) FROM pii_reads
		WHERE roster_export_id = $1 AND fields = '{mobile,id_number}' AND actor_role = 'street_admin'`, exportID).Scan(&reads, &distinct)
	if err != nil || reads != n || distinct != n {
		t.Errorf("pii_reads %d (%d workers, %v), want one per worker sent: %d", reads, distinct, err, n)
	}

	// In JSON too, for the district, with the gender.
	j := h.Must(200, "GET", "/v1/rosters/party-members?pii=full&community=changsheng", h.District(), nil)
	var body struct{ Items []map[string]any }
	if err := json.Unmarshal(j.Raw, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.Items) != 1 || body.Items[0]["mobile"] != "13900000002" || body.Items[0]["id_number"] != w.mobileMemberBody["id_number"] ||
		body.Items[0]["gender"] != "female" {
		t.Errorf("full JSON %s", j.Raw)
	}
	if got := h.count("roster_exports"); got != 2 {
		t.Errorf("roster_exports %d, want 2", got)
	}
	if got := h.count("pii_reads"); got != n+1 {
		t.Errorf("pii_reads %d, want %d", got, n+1)
	}
}

func TestRoster_whoMayExportAndWhoSeesPersonalDataInFull(t *testing.T) {
	w := newRosterWorld(t)
	h := w.h
	cases := []struct {
		name, token, path string
		status            int
	}{
		{"community staff may not see personal data in full", h.Staff("qishan", "tashan"), "/v1/rosters/workers?pii=full&format=xlsx", 403},
		{"a worker may not export a roster", h.Worker(w.rider), "/v1/rosters/workers", 403},
		{"a worker may not export the party roster", h.Worker(w.mobileMember), "/v1/rosters/party-members?format=csv", 403},
		{"no token", "", "/v1/rosters/workers", 401},
		{"community staff export masked", h.Staff("qishan", "tashan"), "/v1/rosters/workers?format=csv", 200},
		{"the district sees personal data in full", h.District(), "/v1/rosters/enterprises?pii=full", 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("GET", tc.path, tc.token, nil)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Raw)
			}
			if tc.status != 200 && r.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("Content-Type %q, want problem+json", r.Header.Get("Content-Type"))
			}
		})
	}
	if n := h.count("roster_exports"); n != 2 {
		t.Errorf("roster_exports %d, want 2 (the refused exports record nothing)", n)
	}
	if n := h.count("pii_reads"); n != 0 {
		t.Errorf("pii_reads %d, want 0", n)
	}
}

func TestRosterCSV_opensInExcelWithBOMCRLFAndTextCells(t *testing.T) {
	w := newRosterWorld(t)
	h := w.h
	r := h.Must(200, "GET", "/v1/rosters/workers?format=csv&pii=full", h.StreetAdmin("qishan"), nil)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if !bytes.HasPrefix(r.Raw, []byte("\xEF\xBB\xBF序号,")) {
		t.Fatalf("CSV starts %q, want the UTF-8 BOM and the header", r.Raw[:min(len(r.Raw), 20)])
	}
	if lines := bytes.Count(r.Raw, []byte("\r\n")); lines != w.qishanActive+1 {
		t.Errorf("CRLF line ends %d, want %d", lines, w.qishanActive+1)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Raw, []byte("\xEF\xBB\xBF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if want := slices.Insert(slices.Clone(workerHeaders), 2, "性别"); !slices.Equal(rows[0], want) {
		t.Errorf("headers %q, want %q", rows[0], want)
	}
	if len(rows) != w.qishanActive+1 {
		t.Errorf("rows %d, want %d", len(rows)-1, w.qishanActive)
	}
	member := byHeader(rows)["骑手2"]
	// An all-digit ID number gets a leading tab so that Excel keeps it as
	// text instead of rounding it to 3.70602E+17.
	id := w.mobileMemberBody["id_number"].(string)
	wantID := id
	if strings.Trim(id, "0123456789") == "" {
		wantID = "\t" + id
	}
	if member["身份证号"] != wantID {
		t.Errorf("身份证号 %q, want %q", member["身份证号"], wantID)
	}
	if member["手机号"] != "13900000002" || member["所属社区"] != "长生社区" || member["党组织关系所在地"] != w.homeOrg {
		t.Errorf("row %v", member)
	}

	masked := h.Must(200, "GET", "/v1/rosters/enterprises?format=csv", h.Staff("qishan", "tashan"), nil)
	rows, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(masked.Raw, []byte("\xEF\xBB\xBF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"序号", "企业名称", "类型", "统一社会信用代码", "所属街道", "所属社区", "地址", "联系人", "联系电话", "是否建立党组织", "登记时间"}
	if !slices.Equal(rows[0], want) || len(rows) != 2 {
		t.Fatalf("enterprises roster %q", rows)
	}
	e := byHeader(rows)["顺丰速运奇山营业部"]
	if e["类型"] != "快递末端网点" || e["联系人"] != "王经理" || e["联系电话"] != "138****5678" || e["是否建立党组织"] != "是" || e["登记时间"] != w.today {
		t.Errorf("enterprise row %v", e)
	}
}

func TestRoster_scopeAndFilters(t *testing.T) {
	w := newRosterWorld(t)
	h := w.h
	cases := []struct {
		name, token, path string
		want              []string // worker ids, in order
	}{
		{"jianshelu's admin sees only jianshelu", h.StreetAdmin("jianshelu"), "/v1/rosters/workers", []string{w.otherStreet}},
		{"community staff see their community", h.Staff("qishan", "changsheng"), "/v1/rosters/workers", []string{w.mobileMember}},
		{"the district filters by street", h.District(), "/v1/rosters/workers?street=jianshelu", []string{w.otherStreet}},
		{"departed workers", h.StreetAdmin("qishan"), "/v1/rosters/workers?status=left", []string{w.departed}},
		{"active and departed", h.StreetAdmin("qishan"), "/v1/rosters/workers?status=all&community=tashan",
			[]string{w.rider, w.activist, w.newbie, w.probationary, w.departed}},
		{"by occupation", h.District(), "/v1/rosters/workers?occupation=courier", []string{w.mobileMember}},
		{"party members of qishan", h.StreetAdmin("qishan"), "/v1/rosters/party-members", []string{w.mobileMember, w.probationary}},
		{"party members of the district", h.District(), "/v1/rosters/party-members", []string{w.otherStreet, w.mobileMember, w.probationary}}, // by street code
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Must(200, "GET", tc.path, tc.token, nil)
			var got struct {
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
				Count int `json:"count"`
			}
			if err := json.Unmarshal(r.Raw, &got); err != nil {
				t.Fatalf("%v: %s", err, r.Raw)
			}
			var ids []string
			for _, it := range got.Items {
				ids = append(ids, it.ID)
			}
			if !slices.Equal(ids, tc.want) || got.Count != len(tc.want) {
				t.Errorf("ids %v (count %d), want %v", ids, got.Count, tc.want)
			}
		})
	}
}

func TestRosterPartyMembers_showMobileMembersWithTheirHomeOrganisation(t *testing.T) {
	w := newRosterWorld(t)
	h := w.h
	r := h.Must(200, "GET", "/v1/rosters/party-members", h.StreetAdmin("qishan"), nil)
	var got struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(r.Raw, &got); err != nil {
		t.Fatal(err)
	}
	m := got.Items[0]
	if m["id"] != w.mobileMember || m["political_status"] != "party_member" || m["mobile_party_member"] != true ||
		m["home_party_org"] != w.homeOrg || m["community_name"] != "长生社区" || m["mobile"] != "139****0002" || m["gender"] != nil {
		t.Errorf("JSON item %v", m)
	}

	x := h.Must(200, "GET", "/v1/rosters/party-members?format=xlsx", h.StreetAdmin("qishan"), nil)
	_, name, rows := sheet(t, x)
	want := []string{"序号", "姓名", "手机号", "身份证号", "职业", "所属街道", "所属社区", "所属企业", "从业平台", "政治面貌",
		"是否流动党员", "党组织关系所在地", "登记时间"}
	if name != "党员名册" || !slices.Equal(rows[0], want) {
		t.Fatalf("sheet %q headers %q", name, rows[0])
	}
	got2 := byHeader(rows)
	if mm := got2["骑手2"]; mm["是否流动党员"] != "是" || mm["党组织关系所在地"] != w.homeOrg || mm["政治面貌"] != "中共党员" {
		t.Errorf("mobile party member row %v", mm)
	}
	if p := got2["骑手5"]; p["政治面貌"] != "预备党员" || p["是否流动党员"] != "否" {
		t.Errorf("probationary member row %v", p)
	}
}

func TestRosterCandidates_showTheLatestStepOfEachStage(t *testing.T) {
	w := newRosterWorld(t)
	h := w.h
	w.step(w.activist, "masses", "applicant", "2024-01-10", "塔山社区党委")
	w.step(w.activist, "applicant", "activist", "2024-06-01", "奇山街道新业态党支部")
	w.step(w.activist, "applicant", "activist", "2024-06-01", "奇山街道快递行业党支部") // recorded later on the same day: the latest
	w.step(w.probationary, "development_target", "probationary_member", "2025-07-01", "奇山街道新业态党支部")

	r := h.Must(200, "GET", "/v1/rosters/candidates?format=xlsx", h.StreetAdmin("qishan"), nil)
	_, name, rows := sheet(t, r)
	want := []string{"序号", "姓名", "手机号", "身份证号", "职业", "所属街道", "所属社区", "所属企业", "阶段", "日期", "培养联系组织"}
	if name != "党员发展名册" || !slices.Equal(rows[0], want) {
		t.Fatalf("sheet %q headers %q", name, rows[0])
	}
	var order []string
	for _, row := range rows[1:] {
		order = append(order, row[1]+":"+row[8])
	}
	if wantOrder := []string{"骑手4:入党申请人", "骑手3:入党积极分子", "骑手5:预备党员"}; !slices.Equal(order, wantOrder) {
		t.Errorf("candidates %v, want along the pipeline %v", order, wantOrder)
	}
	got := byHeader(rows)
	if a := got["骑手3"]; a["日期"] != "2024-06-01" || a["培养联系组织"] != "奇山街道快递行业党支部" {
		t.Errorf("activist row %v, want the latest step", a)
	}
	if n := got["骑手4"]; n["日期"] != "" || n["培养联系组织"] != "" {
		t.Errorf("applicant without a step %v, want empty date and organisation", n)
	}

	j := h.Must(200, "GET", "/v1/rosters/candidates", h.District(), nil)
	var body struct {
		Items []map[string]any `json:"items"`
		Count int              `json:"count"`
	}
	if err := json.Unmarshal(j.Raw, &body); err != nil {
		t.Fatal(err)
	}
	if body.Count != w.qishanCands || body.Items[1]["stage_on"] != "2024-06-01" || body.Items[1]["stage_party_org"] != "奇山街道快递行业党支部" ||
		body.Items[0]["stage_on"] != "" {
		t.Errorf("JSON %s", j.Raw)
	}
}

func TestRoster_badParametersAnswerProblemNamingTheFieldAndRecordNothing(t *testing.T) {
	w := newRosterWorld(t)
	h := w.h
	cases := []struct{ name, path, field string }{
		{"unknown format", "/v1/rosters/workers?format=pdf", "format"},
		{"unknown pii", "/v1/rosters/enterprises?pii=yes", "pii"},
		{"unknown status", "/v1/rosters/workers?status=gone", "status"},
		{"unknown occupation", "/v1/rosters/workers?occupation=pilot", "occupation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("GET", tc.path, h.District(), nil)
			if r.Status != 422 || r.Field() != tc.field || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("status %d field %q: %s", r.Status, r.Field(), r.Raw)
			}
			if cd := r.Header.Get("Content-Disposition"); cd != "" {
				t.Errorf("a problem comes as a download: %q", cd)
			}
		})
	}
	if r := h.Do("GET", "/v1/rosters/volunteers", h.District(), nil); r.Status != 404 {
		t.Errorf("unknown roster: status %d", r.Status)
	}
	if n := h.count("roster_exports"); n != 0 {
		t.Errorf("roster_exports %d, want 0", n)
	}
}
