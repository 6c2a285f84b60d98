package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// The sample census sheets in docs/samples are a fourth census round of the
// demo district (the streets, communities and enterprises of demo()), with
// new workers and, marked in 备注, rows the registry rejects, so a clerk sees
// what a rejection looks like. services/registry/samples_test.go imports them
// and pins what is registered and what is rejected.
//
// Rebuild them after changing the demo data or the rows below:
//
//	UPDATE_SAMPLES=1 go test -run TestSamples ./cmd/nuanxin
const (
	sampleXLSX = "census-qishan.xlsx"   // 奇山街道, as XLSX with a title row
	sampleCSV  = "census-jianshelu.csv" // 建设路街道, as GBK CSV (Excel's "CSV" on a Chinese Windows)
)

// sampleWorker is one row of a sample sheet. Names, numbers and
// organisations refer to demo() by key, so a renamed community or
// enterprise in the demo renames it here.
type sampleWorker struct {
	name, mobile, idNumber, occupation string
	community                          string // a demo community code; a name if not one
	byCode                             bool   // write the community's code, not its name
	enterprise                         string // a demo enterprise key; a name if not one
	platform, politicalStatus          string
	mobilePartyMember                  bool
	homePartyOrg                       string
	note                               string // 备注: why the row is rejected
}

func qishanSample() []sampleWorker {
	return []sampleWorker{
		{name: "林志强", mobile: "13953508101", idNumber: residentID("370602", "19890716", "213"), occupation: "外卖骑手",
			community: "tashan", platform: "美团", politicalStatus: "群众"},
		{name: "高雪梅", mobile: "15166381102", idNumber: residentID("370611", "19940322", "128"), occupation: "快递员",
			community: "tashan", enterprise: "zto-tashan", platform: "中通", politicalStatus: "共青团员"},
		{name: "马俊杰", mobile: "18765438103", idNumber: residentID("370613", "19970105", "079"), occupation: "快递员",
			community: "qizhong", enterprise: "yunda-qizhong", platform: "韵达", politicalStatus: "入党积极分子"},
		{name: "宋立新", mobile: "13705358104", idNumber: residentID("370686", "19800912", "255"), occupation: "网约车司机",
			community: "siyanqiao", platform: "滴滴", politicalStatus: "中共党员", mobilePartyMember: true, homePartyOrg: "栖霞市松山街道党工委"},
		{name: "唐晓琳", mobile: "17853568105", idNumber: residentID("370602", "19960228", "046"), occupation: "快递员",
			community: "shangqiaoxilu", enterprise: "cainiao-shangqiao", platform: "菜鸟", politicalStatus: "群众"},
		{name: "罗永康", mobile: "15553548106", idNumber: residentID("370687", "19850630", "171"), occupation: "外卖骑手",
			community: "changsheng", byCode: true, enterprise: "meituan-qishan", platform: "美团", politicalStatus: "群众"},
		{name: "邓海峰", mobile: "13864528107", idNumber: residentID("370681", "19830417", "311"), occupation: "货车司机",
			community: "changsheng", platform: "货拉拉", politicalStatus: "群众"},
		// Rejected rows.
		{name: "钱小飞", mobile: "1395350810", idNumber: residentID("370602", "19920803", "097"), occupation: "外卖骑手",
			community: "tashan", platform: "饿了么", politicalStatus: "群众", note: "错误示范：手机号少一位"},
		{name: "孙志成", mobile: "13953508109", idNumber: wrongCheck(residentID("370612", "19880214", "233")), occupation: "快递员",
			community: "qizhong", platform: "韵达", politicalStatus: "群众", note: "错误示范：身份证号最后一位（校验位）录错"},
		{name: "郭大伟", mobile: "13953508110", idNumber: residentID("370602", "19910519", "155"), occupation: "外卖骑手",
			community: "火星社区", platform: "美团", politicalStatus: "群众", note: "错误示范：没有这个社区"},
		{name: "谢文涛", mobile: "13953508111", idNumber: residentID("370683", "19930707", "019"), occupation: "快递员",
			community: "jianshelu", platform: "京东", politicalStatus: "群众", note: "错误示范：建设路社区属于建设路街道，不归奇山街道管"},
		{name: "黄俊", mobile: "13953508112", idNumber: residentID("370602", "19990101", "033"), occupation: "宇航员",
			community: "tashan", platform: "美团", politicalStatus: "群众", note: "错误示范：职业不在可选范围内"},
		{name: "林志强", mobile: "13953508113", idNumber: residentID("370602", "19890716", "213"), occupation: "外卖骑手",
			community: "tashan", platform: "美团", politicalStatus: "群众", note: "错误示范：与第 3 行是同一个身份证号"},
		{name: "梁宇", mobile: "13953508114", idNumber: residentID("370602", "19940929", "077"), occupation: "快递员",
			community: "tashan", enterprise: "申通快递火星网点", platform: "申通", politicalStatus: "群众", note: "错误示范：本街道没有这家企业"},
	}
}

func jiansheluSample() []sampleWorker {
	return []sampleWorker{
		{name: "冯晓光", mobile: "13305368201", idNumber: residentID("370684", "19860311", "219"), occupation: "外卖员",
			community: "jianshelu", enterprise: "eleme-jianshelu", platform: "饿了么", politicalStatus: "党员", mobilePartyMember: true, homePartyOrg: "蓬莱区刘家沟镇党委"},
		{name: "曲丽华", mobile: "15098568202", idNumber: residentID("370602", "19950604", "128"), occupation: "快递小哥",
			community: "jianshelu", byCode: true, enterprise: "jd-jianshelu", platform: "京东", politicalStatus: "团员"},
		{name: "于振华", mobile: "17616328203", idNumber: residentID("370611", "19820127", "015"), occupation: "代驾",
			community: "jianshelu", platform: "e代驾", politicalStatus: "群众"},
		{name: "姜涛", mobile: "18906468204", idNumber: residentID("370612", "19900918", "337"), occupation: "货运司机",
			community: "jianshelu", platform: "货拉拉", politicalStatus: "积极分子"},
		// Rejected rows.
		{name: "王磊", mobile: "0535-6612345", idNumber: residentID("370602", "19870422", "051"), occupation: "快递员",
			community: "jianshelu", enterprise: "cainiao-jianshelu", platform: "菜鸟", politicalStatus: "群众", note: "错误示范：填了座机，不是手机号"},
		{name: "赵敏", mobile: "13305368206", idNumber: residentID("370602", "19980311", "064")[:17], occupation: "快递员",
			community: "jianshelu", platform: "京东", politicalStatus: "群众", note: "错误示范：身份证号少一位"},
		{name: "周凯", mobile: "13305368207", idNumber: residentID("370613", "19960725", "093"), occupation: "外卖员",
			community: "tashan", platform: "美团", politicalStatus: "群众", note: "错误示范：塔山社区属于奇山街道"},
		{name: "吴昊", mobile: "13305368208", idNumber: residentID("370602", "19920612", "111"), occupation: "快递员",
			community: "jianshelu", platform: "京东", politicalStatus: "无党派人士", note: "错误示范：政治面貌不在可选范围内"},
	}
}

// wrongCheck changes the check character of a valid ID number.
func wrongCheck(id string) string {
	if id[17] == '0' {
		return id[:17] + "1"
	}
	return id[:17] + "0"
}

// sampleRows turns workers into a sheet's rows: the header (as clerks of
// the street write it) and a row per worker, names looked up in the demo.
func sampleRows(t *testing.T, header []string, workers []sampleWorker, numbered bool) [][]string {
	t.Helper()
	d := demo()
	communities, enterprises := map[string]string{}, map[string]string{}
	for _, s := range d.Streets {
		for _, c := range s.Communities {
			communities[c.Code] = c.Name
		}
	}
	for _, e := range d.Enterprises {
		enterprises[e.Key] = e.Name
	}
	yesNo := map[bool]string{true: "是", false: "否"}
	rows := [][]string{header}
	for i, w := range workers {
		community := w.community
		if name, ok := communities[w.community]; ok && !w.byCode {
			community = name
		}
		enterprise := w.enterprise
		if name, ok := enterprises[w.enterprise]; ok {
			enterprise = name
		}
		row := []string{w.name, w.mobile, w.idNumber, w.occupation, community, enterprise, w.platform,
			w.politicalStatus, yesNo[w.mobilePartyMember], w.homePartyOrg, w.note}
		if numbered {
			row = append([]string{strconv.Itoa(i + 1)}, row...)
		}
		rows = append(rows, row)
	}
	return rows
}

func sampleXLSXRows(t *testing.T) [][]string {
	header := []string{"序号", "姓名", "手机号码（必填）", "身份证号*", "职业", "所属社区", "所属企业", "从业平台", "政治面貌", "是否流动党员", "党组织关系所在地", "备注"}
	return append([][]string{{"奇山街道新就业群体摸排表（第四轮，示例）"}}, sampleRows(t, header, qishanSample(), true)...)
}

func sampleCSVRows(t *testing.T) [][]string {
	// Other spellings of the same headers, as another street's clerk writes them.
	header := []string{"姓名", "手机号", "身份证号码", "从业类型", "社区", "企业名称", "平台", "政治面貌", "流动党员", "党组织关系", "备注"}
	return sampleRows(t, header, jiansheluSample(), false)
}

func TestSamples_areTheDemoCensusSheets(t *testing.T) {
	root, err := findRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "docs", "samples")
	update := os.Getenv("UPDATE_SAMPLES") == "1"

	t.Run(sampleXLSX, func(t *testing.T) {
		want := sampleXLSXRows(t)
		path := filepath.Join(dir, sampleXLSX)
		if update {
			writeSampleXLSX(t, path, want)
		}
		got := readXLSXRows(t, path)
		for i := range want {
			want[i] = trimTrailingBlanks(want[i])
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Errorf("%s is not what the demo data gives; rebuild it with UPDATE_SAMPLES=1\n got %q\nwant %q", path, got, want)
		}
	})
	t.Run(sampleCSV, func(t *testing.T) {
		want := gbkCSV(t, sampleCSVRows(t))
		path := filepath.Join(dir, sampleCSV)
		if update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what the demo data gives; rebuild it with UPDATE_SAMPLES=1", path)
		}
	})
}

// writeSampleXLSX writes rows as the first sheet, every cell as text (an ID
// number typed as a number loses its last digits in Excel).
func writeSampleXLSX(t *testing.T, path string, rows [][]string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "摸排表"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		t.Fatal(err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 49})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
			t.Fatal(err)
		}
	}
	last, _ := excelize.CoordinatesToCellName(12, len(rows))
	if err := f.SetCellStyle(sheet, "A1", last, text); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellStyle(sheet, "A1", "L2", bold); err != nil {
		t.Fatal(err)
	}
	for col, width := range map[string]float64{"A": 6, "B": 10, "C": 16, "D": 21, "E": 12, "F": 14, "G": 28, "H": 10, "I": 14, "J": 12, "K": 22, "L": 44} {
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func readXLSXRows(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		rows[i] = trimTrailingBlanks(rows[i])
	}
	return rows
}

// trimTrailingBlanks drops the empty cells at the end of a row, as
// excelize's GetRows does.
func trimTrailingBlanks(row []string) []string {
	for len(row) > 0 && row[len(row)-1] == "" {
		row = row[:len(row)-1]
	}
	return row
}

// gbkCSV encodes rows as CSV in GBK with CRLF line ends, as Excel saves it.
func gbkCSV(t *testing.T, rows [][]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes(buf.Bytes())
	if err != nil {
		t.Fatal(fmt.Errorf("encode as GBK: %w", err))
	}
	return out
}
