package registry_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The sample census sheets shipped in docs/samples (built from the demo data
// by cmd/nuanxin's TestSamples) go through the real import: the good rows
// are registered as the sheet says, the rows marked 错误示范 are rejected
// with the row, column and reason a clerk sees. If the importer or the
// demo data changes under them, this fails instead of the samples rotting.
func TestImportWorkers_sampleSheetsImportAsDocumented(t *testing.T) {
	type cell struct {
		row            int
		column, reason string
	}
	type worker struct{ occupation, community, politicalStatus string }
	tests := []struct {
		file       string
		street     string
		wantRows   int
		wantGood   map[string]worker
		wantErrors []cell
	}{
		{
			file: "census-qishan.xlsx", street: "qishan", wantRows: 14,
			wantGood: map[string]worker{
				"林志强": {"food_delivery", "tashan", "masses"},
				"高雪梅": {"courier", "tashan", "league_member"},
				"马俊杰": {"courier", "qizhong", "activist"},
				"宋立新": {"ride_hailing_driver", "siyanqiao", "party_member"},
				"唐晓琳": {"courier", "shangqiaoxilu", "masses"},
				"罗永康": {"food_delivery", "changsheng", "masses"},
				"邓海峰": {"freight_driver", "changsheng", "masses"},
			},
			wantErrors: []cell{
				{10, "手机号码（必填）", "手机号应为 1 开头的 11 位手机号码"},
				{11, "身份证号*", "身份证号校验位不正确，请核对是否录入有误"},
				{12, "所属社区", "社区不存在或不在您的管辖范围内（可填写社区名称或代码）"}, // 火星社区: there is none
				{13, "所属社区", "社区不存在或不在您的管辖范围内（可填写社区名称或代码）"}, // 建设路社区: another street's
				{14, "职业", "职业的取值无法识别"},
				{15, "身份证号*", "与本表第 3 行的身份证号重复"},
				{16, "所属企业", "所属企业未登记或不在本街道（可填写企业名称或统一社会信用代码）"},
			},
		},
		{
			file: "census-jianshelu.csv", street: "jianshelu", wantRows: 8,
			wantGood: map[string]worker{
				"冯晓光": {"food_delivery", "jianshelu", "party_member"},
				"曲丽华": {"courier", "jianshelu", "league_member"},
				"于振华": {"designated_driver", "jianshelu", "masses"},
				"姜涛":  {"freight_driver", "jianshelu", "activist"},
			},
			wantErrors: []cell{
				{6, "手机号", "手机号应为 1 开头的 11 位手机号码"},
				{7, "身份证号码", "身份证号应为 18 位（最后一位可为 X）"},
				{8, "社区", "社区不存在或不在您的管辖范围内（可填写社区名称或代码）"}, // 塔山社区: another street's
				{9, "政治面貌", "政治面貌的取值无法识别"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "..", "docs", "samples", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			h := newHarness(t, "")
			h.seedDemoOrg()
			admin := h.StreetAdmin(tt.street)

			r := h.upload("workers", admin, tt.file, data)
			if r.Status != 202 || num(r, "total_rows") != tt.wantRows {
				t.Fatalf("upload: %d %s", r.Status, r.Raw)
			}
			job := h.waitImport(r.Str("id"), admin, 60*time.Second)
			if job.Str("status") != "done" || num(job, "created") != len(tt.wantGood) || num(job, "rejected") != tt.wantRows-len(tt.wantGood) {
				t.Fatalf("job = %s", job.Raw)
			}

			rej := h.Must(200, "GET", "/v1/imports/"+r.Str("id")+"/rows?status=rejected", admin, nil)
			var got []cell
			for _, it := range rej.Body["items"].([]any) {
				m := it.(map[string]any)
				for _, e := range m["errors"].([]any) {
					em := e.(map[string]any)
					got = append(got, cell{int(m["row"].(float64)), em["column"].(string), em["reason_zh"].(string)})
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantErrors) {
				t.Errorf("rejected cells:\n got %v\nwant %v", got, tt.wantErrors)
			}

			list := h.Must(200, "GET", "/v1/workers?limit=100", admin, nil)
			registered := map[string]worker{}
			for _, it := range list.Items() {
				m := it.(map[string]any)
				registered[m["name"].(string)] = worker{m["occupation"].(string), m["community"].(string), m["political_status"].(string)}
			}
			if fmt.Sprint(registered) != fmt.Sprint(tt.wantGood) {
				t.Errorf("registered:\n got %v\nwant %v", registered, tt.wantGood)
			}
		})
	}
}

// seedDemoOrg creates the streets, communities and enterprises of the demo
// district (cmd/nuanxin's demo()) that the sample sheets name.
func (h *harness) seedDemoOrg() {
	h.t.Helper()
	d := h.District()
	for _, s := range []struct {
		code, name  string
		communities [][2]string
	}{
		{"qishan", "奇山街道", [][2]string{{"tashan", "塔山社区"}, {"qizhong", "奇中社区"}, {"siyanqiao", "四眼桥社区"}, {"shangqiaoxilu", "上乔西路社区"}, {"changsheng", "长生社区"}}},
		{"jianshelu", "建设路街道", [][2]string{{"jianshelu", "建设路社区"}}},
		{"baishi", "白石街道", [][2]string{{"jiansheli", "建设里社区"}}},
	} {
		h.Must(201, "POST", "/v1/streets", d, map[string]any{"code": s.code, "name": s.name})
		for _, c := range s.communities {
			h.Must(201, "POST", "/v1/streets/"+s.code+"/communities", d, map[string]any{"code": c[0], "name": c[1]})
		}
	}
	for _, e := range [][3]string{
		{"中通快递烟台奇山网点", "express_outlet", "tashan"},
		{"韵达快递奇中网点", "express_outlet", "qizhong"},
		{"菜鸟驿站（上乔西路美食街店）", "parcel_station", "shangqiaoxilu"},
		{"美团外卖奇山配送站", "delivery_station", "changsheng"},
		{"饿了么建设路配送站", "delivery_station", "jianshelu"},
		{"京东快递建设路营业部", "express_outlet", "jianshelu"},
		{"菜鸟驿站（建设路社区店）", "parcel_station", "jianshelu"},
	} {
		h.Must(201, "POST", "/v1/enterprises", d, map[string]any{"name": e[0], "kind": e[1], "community": e[2]})
	}
}
