package stats_test

import (
	"bytes"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// publishOn publishes an event as having happened at t (registrations and
// openings are counted on the day of their event).
func (h *harness) publishOn(t time.Time, name event.Name, street, subject string, data any) {
	h.t.Helper()
	e, err := event.New(name, street, subject, data)
	if err != nil {
		h.t.Fatal(err)
	}
	e.Time = t
	h.Republish(name, e)
}

func nov(day int) time.Time { return time.Date(2026, 11, day, 2, 0, 0, 0, time.UTC) }

// reportWorld is November 2026 in two streets, counted by hand:
//
//	奇山街道: w1 (建设路, party member, mobile) and w2 (建设路) registered in
//	November, w3 (塔山) in October; w1 checked in twice in November, w3
//	once in October; a station opened in November.
//	芝罘街道: z1 (东山, party member) registered and checked in in November;
//	z2 registered in December, after the month.
func reportWorld(t *testing.T, opts ...harnessOpts) *harness {
	h := newHarness(t, opts...)
	h.places()
	worker := func(on time.Time, id, street, community, status string, mobile bool) {
		h.publishOn(on, event.WorkerRegistered, street, id, event.WorkerData{WorkerID: id, Street: street, Community: community,
			Occupation: "courier", Platform: "meituan", PoliticalStatus: status, MobilePartyMember: mobile, Status: "active"})
	}
	checkIn := func(on time.Time, id, street, community, channel string) {
		h.publishOn(on, event.WorkerCheckedIn, street, id, event.CheckInData{WorkerID: id, Street: street, Community: community,
			Channel: channel, CheckedInAt: on})
	}
	worker(nov(5), "w1", "qishan", "jianshelu", "party_member", true)
	worker(nov(6), "w2", "qishan", "jianshelu", "masses", false)
	worker(time.Date(2026, 10, 10, 2, 0, 0, 0, time.UTC), "w3", "qishan", "tashan", "masses", false)
	worker(nov(12), "z1", "zhifu", "dongshan", "party_member", false)
	worker(time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC), "z2", "zhifu", "dongshan", "masses", false)
	checkIn(nov(10), "w1", "qishan", "jianshelu", "online")
	checkIn(nov(20), "w1", "qishan", "jianshelu", "online")
	checkIn(time.Date(2026, 10, 15, 2, 0, 0, 0, time.UTC), "w3", "qishan", "tashan", "station")
	checkIn(nov(15), "z1", "zhifu", "dongshan", "station")
	h.publishOn(nov(3), event.StationOpened, "qishan", "s1", event.StationData{StationID: "s1", Kind: "warm_station",
		Street: "qishan", Community: "tashan", Lat: 37.5, Lng: 121.4, Facilities: []string{"water"}})
	h.settle()
	return h
}

// xlsxOf opens a report answer as a workbook.
func xlsxOf(t *testing.T, r testenv.Response) *excelize.File {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("Content-Type %q", ct)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.Raw))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// rowsOf reads a sheet's rows, failing the test when it has none.
func rowsOf(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("sheet %s: %v", sheet, err)
	}
	if len(rows) == 0 {
		t.Fatalf("sheet %s is empty", sheet)
	}
	return rows
}

// byLabel indexes a full list's rows (指标, 本月, 截至月末) by label.
func byLabel(rows [][]string) map[string][]string {
	out := map[string][]string{}
	for _, r := range rows[1:] {
		for len(r) < 3 {
			r = append(r, "")
		}
		out[r[0]] = r
	}
	return out
}

// contentDisposition checks the download names: ASCII and, for browsers,
// the Chinese title.
func contentDisposition(t *testing.T, r testenv.Response, ascii, name string) {
	t.Helper()
	cd := r.Header.Get("Content-Disposition")
	if !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, `filename="`+ascii+`"`) ||
		!strings.Contains(cd, "filename*=UTF-8''"+url.PathEscape(name)) {
		t.Errorf("Content-Disposition %q, want %q and %q", cd, ascii, name)
	}
}

// The district's workbook: a sheet 全区 with a row per street and the
// headline figures as columns, then a sheet per street in full.
func TestReport_xlsxHasAStreetPerRowOnTheDistrictSheet(t *testing.T) {
	h := reportWorld(t)
	r := h.Must(200, "GET", "/v1/stats/report?"+q("month", "2026-11", "scope", "district"), h.District(), nil)
	contentDisposition(t, r, "stats-report-2026-11.xlsx", "2026-11 全区 月报.xlsx")
	f := xlsxOf(t, r)
	if got, want := strings.Join(f.GetSheetList(), ","), "全区,奇山街道,芝罘街道"; got != want {
		t.Fatalf("sheets %s, want %s", got, want)
	}
	rows := rowsOf(t, f, "全区")
	header := []string{"街道", "新就业群体", "党员（含预备党员）", "流动党员", "报到", "暖新驿站", "结对", "活动场次",
		"服务时长（小时）", "随手拍上报", "随手拍办结", "积分获得"}
	if got := strings.Join(rows[0], ","); got != strings.Join(header, ",") {
		t.Errorf("the district sheet's header is %s", got)
	}
	if len(rows) != 3 {
		t.Fatalf("the district sheet has %d rows, want the header and one per street: %v", len(rows), rows)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, c := range []struct {
		row    int
		street string
		want   map[string]string
	}{
		// Levels at the month's end (w3 of October counts, z2 of December
		// not); check-ins of November only.
		{1, "奇山街道", map[string]string{"新就业群体": "3", "党员（含预备党员）": "1", "流动党员": "1", "报到": "2", "暖新驿站": "1", "结对": "0"}},
		{2, "芝罘街道", map[string]string{"新就业群体": "1", "党员（含预备党员）": "1", "流动党员": "0", "报到": "1", "暖新驿站": "0", "活动场次": "0"}},
	} {
		t.Run(c.street, func(t *testing.T) {
			row := rows[c.row]
			if row[0] != c.street {
				t.Fatalf("row %d is %q, want %s", c.row, row[0], c.street)
			}
			for h, want := range c.want {
				if got := row[col[h]]; got != want {
					t.Errorf("%s %s = %s, want %s", c.street, h, got, want)
				}
			}
		})
	}
	// Each street's sheet is its full list, with Chinese headers.
	for _, c := range []struct {
		sheet, label, month, total string
	}{
		{"奇山街道", "新就业群体", "2", "3"},
		{"奇山街道", "报到", "2", "3"},
		{"奇山街道", "报到（按方式）：线上报到", "2", "2"},
		{"奇山街道", "新就业群体（按职业）：快递员", "2", "3"},
		{"奇山街道", "参加人数", "0", ""},
		{"芝罘街道", "新就业群体", "1", "1"},
		{"芝罘街道", "报到", "1", "1"},
	} {
		t.Run(c.sheet+" "+c.label, func(t *testing.T) {
			rows := rowsOf(t, f, c.sheet)
			if got := strings.Join(rows[0], ","); got != "指标,本月,截至月末" {
				t.Errorf("header %s", got)
			}
			row, ok := byLabel(rows)[c.label]
			if !ok {
				t.Fatalf("no row %s", c.label)
			}
			if row[1] != c.month || row[2] != c.total {
				t.Errorf("%s = %s / %s, want %s / %s", c.label, row[1], row[2], c.month, c.total)
			}
		})
	}
}

// A street's workbook: its own sheet, then one per community.
func TestReport_xlsxOfAStreetHasASheetPerCommunity(t *testing.T) {
	h := reportWorld(t)
	r := h.Must(200, "GET", "/v1/stats/report?"+q("month", "2026-11", "scope", "street", "code", "qishan", "format", "xlsx"),
		h.StreetAdmin("qishan"), nil)
	contentDisposition(t, r, "stats-report-2026-11.xlsx", "2026-11 奇山街道 月报.xlsx")
	f := xlsxOf(t, r)
	if got, want := strings.Join(f.GetSheetList(), ","), "奇山街道,建设路社区,塔山社区"; got != want {
		t.Fatalf("sheets %s, want %s", got, want)
	}
	for _, c := range []struct {
		sheet, label, month, total string
	}{
		{"奇山街道", "新就业群体", "2", "3"},
		{"建设路社区", "新就业群体", "2", "2"},
		{"建设路社区", "报到", "2", "2"},
		{"塔山社区", "新就业群体", "0", "1"},
		{"塔山社区", "暖新驿站", "1", "1"},
		{"塔山社区", "报到", "0", "1"},
	} {
		row, ok := byLabel(rowsOf(t, f, c.sheet))[c.label]
		if !ok {
			t.Errorf("%s has no row %s", c.sheet, c.label)
			continue
		}
		if row[1] != c.month || row[2] != c.total {
			t.Errorf("%s %s = %s / %s, want %s / %s", c.sheet, c.label, row[1], row[2], c.month, c.total)
		}
	}
	// A community's workbook is one sheet.
	r = h.Must(200, "GET", "/v1/stats/report?"+q("month", "2026-11", "scope", "community", "code", "tashan"), h.Staff("qishan", "tashan"), nil)
	if got := strings.Join(xlsxOf(t, r).GetSheetList(), ","); got != "塔山社区" {
		t.Errorf("a community's sheets are %s", got)
	}
}

// The CSV is the asked area's list, for Excel: a BOM, then 指标,本月,截至月末.
func TestReport_csvOfAStreetIsItsListWithABOM(t *testing.T) {
	h := reportWorld(t)
	r := h.Must(200, "GET", "/v1/stats/report?"+q("month", "2026-11", "scope", "street", "code", "qishan", "format", "csv"),
		h.StreetAdmin("qishan"), nil)
	contentDisposition(t, r, "stats-report-2026-11.csv", "2026-11 奇山街道 月报.csv")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	if !bytes.HasPrefix(r.Raw, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("no byte order mark: %q", r.Raw[:min(len(r.Raw), 20)])
	}
	records, err := csv.NewReader(bytes.NewReader(r.Raw[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(records[0], ","); got != "指标,本月,截至月末" {
		t.Errorf("header %s", got)
	}
	rows := byLabel(records)
	for _, c := range []struct{ label, month, total string }{
		{"新就业群体", "2", "3"},
		{"党员（含预备党员）", "1", "1"},
		{"报到", "2", "3"},
		{"报到（按方式）：驿站报到", "0", "1"},
		{"暖新驿站", "1", "1"},
		{"参加人数", "0", ""},
	} {
		row, ok := rows[c.label]
		if !ok {
			t.Errorf("no row %s", c.label)
			continue
		}
		if row[1] != c.month || row[2] != c.total {
			t.Errorf("%s = %s / %s, want %s / %s", c.label, row[1], row[2], c.month, c.total)
		}
	}
	// A share is a percentage; no share without a base is a number.
	if row, ok := rows["随手拍按期办结率"]; !ok || row[1] != "" {
		t.Errorf("share with no reports closed: %v", row)
	}
}

// JSON gives the rows with codes, and the district's streets' headlines.
func TestReport_jsonGivesRowsAndTheDistrictsStreets(t *testing.T) {
	h := reportWorld(t)
	r := h.Must(200, "GET", "/v1/stats/report?"+q("month", "2026-11", "format", "json"), h.District(), nil)
	if r.Str("month") != "2026-11" || r.Body["area"].(map[string]any)["scope"] != "district" {
		t.Errorf("answered %v", r.Body)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != "" {
		t.Errorf("JSON is not a download: %q", cd)
	}
	found := map[string]bool{}
	for _, x := range r.Body["rows"].([]any) {
		row := x.(map[string]any)
		id := row["metric"].(string)
		if k, _ := row["key"].(string); k != "" {
			id += "/" + k
		}
		found[id] = true
		for _, c := range []struct {
			id           string
			month, total float64
		}{
			{"workers", 3, 4},
			{"checkins", 3, 4},
			{"checkins_by_channel/online", 2, 2},
			{"workers_by_occupation/courier", 3, 4},
		} {
			if c.id == id && (row["month"] != c.month || row["total"] != c.total) {
				t.Errorf("%s = %v / %v, want %v / %v", id, row["month"], row["total"], c.month, c.total)
			}
		}
		if id == "volunteers" && row["total"] != nil {
			t.Errorf("a distinct count has a total: %v", row)
		}
	}
	for _, id := range []string{"workers", "checkins", "checkins_by_channel/online", "volunteers", "pairings_contacted_on_time"} {
		if !found[id] {
			t.Errorf("no row %s", id)
		}
	}
	streets, _ := r.Body["streets"].([]any)
	if len(streets) != 2 {
		t.Fatalf("streets %v", r.Body["streets"])
	}
	want := map[string]float64{"qishan": 3, "zhifu": 1}
	for _, s := range streets {
		line := s.(map[string]any)
		first := line["figures"].([]any)[0].(map[string]any)
		if first["metric"] != "workers" || first["value"] != want[line["code"].(string)] {
			t.Errorf("%v: workers %v", line["name"], first)
		}
	}
	// A street's JSON has no streets.
	r = h.Must(200, "GET", "/v1/stats/report?"+q("month", "2026-11", "scope", "street", "code", "zhifu", "format", "json"), h.District(), nil)
	if _, ok := r.Body["streets"]; ok {
		t.Errorf("a street's report lists streets: %v", r.Body["streets"])
	}
}

// The report's figures are the overview's as of the month's last day.
func TestReport_agreesWithTheOverviewAtTheMonthsEnd(t *testing.T) {
	h := reportWorld(t)
	for _, c := range []struct{ token, scope, code string }{
		{h.District(), "district", ""},
		{h.StreetAdmin("qishan"), "street", "qishan"},
		{h.Staff("zhifu", "dongshan"), "community", "dongshan"},
	} {
		t.Run(c.scope, func(t *testing.T) {
			area := []string{"scope", c.scope}
			if c.code != "" {
				area = append(area, "code", c.code)
			}
			over := h.overview(c.token, q(append(area, "at", "2026-11-30")...))
			r := h.Must(200, "GET", "/v1/stats/report?"+q(append(area, "month", "2026-11", "format", "json")...), c.token, nil)
			if r.Str("at") != "2026-11-30" {
				t.Errorf("as of %s", r.Str("at"))
			}
			for _, x := range r.Body["rows"].([]any) {
				row := x.(map[string]any)
				kind, metric := row["kind"].(string), row["metric"].(string)
				key, _ := row["key"].(string)
				if kind == "share" {
					continue
				}
				col := "month"
				if kind == "stock" {
					col = "total"
				}
				if got, want := row[col], over.value(metric, key); got != want {
					t.Errorf("%s %s: report %v, overview %v", metric, key, got, want)
				}
			}
		})
	}
}

// This month's report is as of today.
func TestReport_ofThisMonthIsAsOfToday(t *testing.T) {
	h := reportWorld(t, harnessOpts{now: time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)})
	r := h.Must(200, "GET", "/v1/stats/report?"+q("month", "2026-11", "scope", "street", "code", "qishan", "format", "csv"),
		h.StreetAdmin("qishan"), nil)
	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Raw, []byte("\xEF\xBB\xBF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// w1's check-in of the 20th is still to come.
	if row := byLabel(records)["报到"]; row[1] != "1" || row[2] != "2" {
		t.Errorf("check-ins as of 15 November = %v, want 1 / 2", row)
	}
	j := h.Must(200, "GET", "/v1/stats/report?"+q("month", "2026-11", "scope", "street", "code", "qishan", "format", "json"),
		h.StreetAdmin("qishan"), nil)
	if j.Str("at") != "2026-11-15" {
		t.Errorf("this month's report is as of %s", j.Str("at"))
	}
}

// Bad requests and callers who may not see the area.
func TestReport_refusesBadMonthsFormatsAndCallers(t *testing.T) {
	h := newHarness(t)
	h.places()
	h.settle()
	for _, c := range []struct {
		name   string
		token  string
		query  string
		status int
		field  string
	}{
		{"no month", h.District(), q("scope", "district"), 422, "month"},
		{"a month that is not one", h.District(), q("month", "2026-13"), 422, "month"},
		{"a day, not a month", h.District(), q("month", "2026-11-01"), 422, "month"},
		{"an unknown format", h.District(), q("month", "2026-11", "format", "pdf"), 422, "format"},
		{"a worker", h.Worker("w1"), q("month", "2026-11", "scope", "street", "code", "qishan"), 403, ""},
		{"a street admin, the district", h.StreetAdmin("qishan"), q("month", "2026-11", "scope", "district"), 403, ""},
		{"a street admin, another street", h.StreetAdmin("qishan"), q("month", "2026-11", "scope", "street", "code", "zhifu"), 422, "code"},
		{"a parameter no one reads", h.District(), q("month", "2026-11", "at", "2026-11-30"), 400, ""},
		{"the district by default", h.District(), q("month", "2026-11", "format", "json"), 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := h.Do("GET", "/v1/stats/report?"+c.query, c.token, nil)
			if r.Status != c.status {
				t.Fatalf("answered %d %s, want %d", r.Status, r.Raw, c.status)
			}
			if c.status != 200 && r.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("a refusal as %q", r.Header.Get("Content-Type"))
			}
			if c.field != "" && r.Field() != c.field {
				t.Errorf("the problem names %q, want %q: %s", r.Field(), c.field, r.Raw)
			}
		})
	}
}

// Sheet names follow Excel's rules: a street named past 31 characters or
// with a slash still gets its sheet, and two alike are told apart.
func TestReport_xlsxSheetNamesFollowExcelsRules(t *testing.T) {
	h := newHarness(t)
	long := strings.Repeat("长", 40)
	for _, s := range [][2]string{{"a1", long}, {"a2", long}, {"b1", "东/西街道"}, {"c1", ""}} {
		h.Publish(event.StreetCreated, s[0], s[0], event.StreetData{Code: s[0], Name: s[1]})
	}
	h.settle()
	r := h.Must(200, "GET", "/v1/stats/report?"+q("month", "2026-11"), h.District(), nil)
	sheets := xlsxOf(t, r).GetSheetList()
	want := []string{"全区", strings.Repeat("长", 31), strings.Repeat("长", 28) + "(2)", "东_西街道", "c1"}
	if strings.Join(sheets, ",") != strings.Join(want, ",") {
		t.Errorf("sheets %q, want %q", sheets, want)
	}
	rows := rowsOf(t, xlsxOf(t, r), "全区")
	if len(rows) != 5 || rows[4][0] != "c1" {
		t.Errorf("the district sheet's streets: %v", rows)
	}
}
