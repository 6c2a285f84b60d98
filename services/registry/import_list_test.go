package registry_test

import (
	"context"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/services/registry"
)

// importLedger is five imports by four people of two streets and the
// district, newest last:
//
//	a  qishan's admin     workers      done, 1 of 2 rows rejected (uploaded 3 days ago)
//	b  tashan's clerk     workers      done, none rejected        (uploaded 3 days ago)
//	c  qishan's admin     enterprises  failed
//	d  jianshelu's admin  workers      done, 1 of 2 rows rejected
//	e  the district       workers      done, none rejected
type importLedger struct {
	a, b, c, d, e string
	// tokens, each with a subject of its own (the imports a caller sees
	// by subject and role as well as by street).
	district, qishanAdmin, tashanClerk, changshengClerk, jianseluAdmin, jianseluClerk, worker string
}

func seedImports(t *testing.T, h *harness) importLedger {
	t.Helper()
	h.seedOrg()
	staff := func(sub string, role auth.Role, street, community string) string {
		return h.Token(auth.Principal{Subject: sub, Role: role, Street: street, Community: community})
	}
	l := importLedger{
		district:        h.District(),
		qishanAdmin:     staff("admin-qishan", auth.StreetAdmin, "qishan", ""),
		tashanClerk:     staff("clerk-tashan", auth.CommunityStaff, "qishan", "tashan"),
		changshengClerk: staff("clerk-changsheng", auth.CommunityStaff, "qishan", "changsheng"),
		jianseluAdmin:   staff("admin-jianshelu", auth.StreetAdmin, "jianshelu", ""),
		jianseluClerk:   staff("clerk-jianshelu", auth.CommunityStaff, "jianshelu", "jianshelu"),
		worker:          h.Worker("0190a6c5-0000-7000-8000-000000000001"),
	}
	row := func(serial int, community string) []any {
		return []any{serial, "骑手", mobile(serial), idNumber(serial), "外卖骑手", community, "美团", "群众", "否", ""}
	}
	bad := func(serial int, community string) []any {
		r := row(serial, community)
		r[3] = withWrongCheck(idNumber(serial))
		return r
	}
	run := func(kind, token, name string, data []byte) string {
		t.Helper()
		r := h.upload(kind, token, name, data)
		if r.Status != 202 {
			t.Fatalf("upload %s: %d %s", name, r.Status, r.Raw)
		}
		if job := h.waitImport(r.Str("id"), token, 30*time.Second); job.Str("status") != "done" {
			t.Fatalf("import %s: %s", name, job.Raw)
		}
		return r.Str("id")
	}
	l.a = run("workers", l.qishanAdmin, "奇山摸排.xlsx", xlsxFile(t, [][]any{censusHeader, row(101, "塔山社区"), bad(102, "塔山社区")}))
	l.b = run("workers", l.tashanClerk, "塔山.xlsx", xlsxFile(t, [][]any{censusHeader, row(103, "塔山社区")}))
	l.c = run("enterprises", l.qishanAdmin, "企业台账.xlsx", xlsxFile(t, [][]any{
		{"企业名称", "类型", "统一社会信用代码", "所属社区"}, {"菜鸟驿站（上乔西路店）", "parcel_station", "", "塔山社区"}}))
	l.d = run("workers", l.jianseluAdmin, "建设路.xlsx", xlsxFile(t, [][]any{censusHeader, row(104, "建设路社区"), bad(105, "建设路社区")}))
	l.e = run("workers", l.district, "全区.xlsx", xlsxFile(t, [][]any{censusHeader, row(106, "长生社区")}))

	// What the runner does not do on demand: a failed import, and imports
	// made days ago.
	ctx := context.Background()
	if _, err := h.Pool.Exec(ctx, `UPDATE import_jobs SET status = 'failed', error_zh = '工作表内容损坏',
		error_en = 'the worksheet is damaged' WHERE id = $1`, l.c); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Pool.Exec(ctx, `UPDATE import_jobs SET created_at = created_at - interval '3 days',
		started_at = started_at - interval '3 days', finished_at = finished_at - interval '3 days' WHERE id = ANY($1::uuid[])`,
		[]string{l.a, l.b}); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestImports_listShowsEachCallerTheImportsTheyMayRead(t *testing.T) {
	h := newHarness(t, "")
	l := seedImports(t, h)
	all := []string{l.a, l.b, l.c, l.d, l.e}
	cases := []struct {
		name  string
		token string
		want  []string // newest first
	}{
		{"district admin: every import", l.district, []string{l.e, l.d, l.c, l.b, l.a}},
		{"street admin: their own and their street's staff's", l.qishanAdmin, []string{l.c, l.b, l.a}},
		{"community staff: their own", l.tashanClerk, []string{l.b}},
		{"staff of the same street who imported nothing", l.changshengClerk, []string{}},
		{"another street's admin: only theirs", l.jianseluAdmin, []string{l.d}},
		{"another street's clerk", l.jianseluClerk, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.Must(200, "GET", "/v1/imports", c.token, nil)
			if got := ids(r); !slices.Equal(got, c.want) {
				t.Errorf("listed %v, want %v", got, c.want)
			}
			if total, ok := r.Body["total"].(float64); !ok || int(total) != len(c.want) {
				t.Errorf("total = %v, want %d", r.Body["total"], len(c.want))
			}
			// The list and GET /v1/imports/{id} agree on who sees what.
			for _, id := range all {
				want := 404
				if slices.Contains(c.want, id) {
					want = 200
				}
				h.Must(want, "GET", "/v1/imports/"+id, c.token, nil)
			}
		})
	}

	t.Run("each item is what GET /v1/imports/{id} answers", func(t *testing.T) {
		r := h.Must(200, "GET", "/v1/imports", l.district, nil)
		for _, it := range r.Items() {
			item := it.(map[string]any)
			one := h.Must(200, "GET", "/v1/imports/"+item["id"].(string), l.district, nil)
			if !reflect.DeepEqual(item, one.Body) {
				t.Errorf("list item %v\nGET answers %v", item, one.Body)
			}
		}
		byID := map[string]map[string]any{}
		for _, it := range r.Items() {
			byID[it.(map[string]any)["id"].(string)] = it.(map[string]any)
		}
		a := byID[l.a]
		if a["kind"] != "workers" || a["status"] != "done" || a["created"] != 1.0 || a["rejected"] != 1.0 ||
			a["file_name"] != "奇山摸排.xlsx" || a["created_by"] != "admin-qishan" || a["created_at"] == nil {
			t.Errorf("import a = %v", a)
		}
		if c := byID[l.c]; c["kind"] != "enterprises" || c["status"] != "failed" || c["error_zh"] != "工作表内容损坏" {
			t.Errorf("import c = %v", c)
		}
	})

	for _, path := range []string{"/v1/imports", "/v1/imports?kind=workers"} {
		if r := h.Do("GET", path, l.worker, nil); r.Status != 403 {
			t.Errorf("worker GET %s: %d %s, want 403", path, r.Status, r.Raw)
		}
		if r := h.Do("GET", path, "", nil); r.Status != 401 {
			t.Errorf("anonymous GET %s: %d, want 401", path, r.Status)
		}
	}
	// The literal route leaves the others where they were.
	h.Must(404, "GET", "/v1/imports/workers", l.district, nil)
	h.Must(404, "POST", "/v1/imports/unicorns", l.district, "x")
}

func TestImports_listFiltersPagesAndCounts(t *testing.T) {
	h := newHarness(t, "")
	l := seedImports(t, h)
	today := time.Now().In(registry.Shanghai).Format(time.DateOnly)
	yesterday := time.Now().Add(-24 * time.Hour).In(registry.Shanghai).Format(time.RFC3339)
	cases := []struct {
		name  string
		token string
		query string
		want  []string
	}{
		{"kind", l.district, "kind=enterprises", []string{l.c}},
		{"kind workers", l.district, "kind=workers", []string{l.e, l.d, l.b, l.a}},
		{"status failed", l.district, "status=failed", []string{l.c}},
		{"status done", l.district, "status=done", []string{l.e, l.d, l.b, l.a}},
		{"status none such yet", l.district, "status=queued", []string{}},
		{"with rejections", l.district, "with_rejections=true", []string{l.d, l.a}},
		{"without rejections", l.district, "with_rejections=false", []string{l.e, l.c, l.b}},
		{"since a date (midnight in Shanghai)", l.district, "since=" + today, []string{l.e, l.d, l.c}},
		{"since a time", l.district, "since=" + url.QueryEscape(yesterday), []string{l.e, l.d, l.c}},
		{"since a time whose + arrived unencoded", l.district, "since=" + yesterday, []string{l.e, l.d, l.c}},
		{"since long ago", l.district, "since=2020-01-01", []string{l.e, l.d, l.c, l.b, l.a}},
		{"since in UTC", l.district, "since=" + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano), []string{l.e, l.d, l.c}},
		{"filters together", l.district, "kind=workers&with_rejections=true&since=" + today, []string{l.d}},
		{"filters within the scope", l.qishanAdmin, "with_rejections=true", []string{l.a}},
		{"filters within the scope, none", l.jianseluAdmin, "kind=enterprises", []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.Must(200, "GET", "/v1/imports?"+c.query, c.token, nil)
			if got := ids(r); !slices.Equal(got, c.want) {
				t.Errorf("?%s listed %v, want %v", c.query, got, c.want)
			}
			if total, ok := r.Body["total"].(float64); !ok || int(total) != len(c.want) {
				t.Errorf("?%s total = %v, want %d", c.query, r.Body["total"], len(c.want))
			}
			if _, ok := r.Body["next"]; ok {
				t.Errorf("?%s: next on the only page: %s", c.query, r.Raw)
			}
		})
	}

	paging := []struct {
		name  string
		token string
		query string
		pages [][]string
	}{
		{"two by two", l.district, "limit=2", [][]string{{l.e, l.d}, {l.c, l.b}, {l.a}}},
		{"a full last page", l.qishanAdmin, "limit=3", [][]string{{l.c, l.b, l.a}}},
		{"one by one within a filter", l.district, "status=done&limit=3", [][]string{{l.e, l.d, l.b}, {l.a}}},
		{"one at a time", l.district, "with_rejections=true&limit=1", [][]string{{l.d}, {l.a}}},
	}
	for _, c := range paging {
		t.Run("paging "+c.name, func(t *testing.T) {
			total := 0
			for _, p := range c.pages {
				total += len(p)
			}
			after := ""
			for i, want := range c.pages {
				path := "/v1/imports?" + c.query
				if after != "" {
					path += "&after=" + after
				}
				r := h.Must(200, "GET", path, c.token, nil)
				if got := ids(r); !slices.Equal(got, want) {
					t.Fatalf("page %d = %v, want %v", i+1, got, want)
				}
				if r.Num("total") != float64(total) {
					t.Errorf("page %d: total = %v, want %d", i+1, r.Body["total"], total)
				}
				after = r.Str("next")
				if last := i == len(c.pages)-1; last != (after == "") {
					t.Fatalf("page %d: next = %q", i+1, after)
				}
			}
		})
	}
	// A cursor is an import's id, so an unknown one pages on from where it
	// would stand; the newest of all stands first.
	if got := ids(h.Must(200, "GET", "/v1/imports?after=ffffffff-ffff-7fff-bfff-ffffffffffff", l.district, nil)); len(got) != 5 {
		t.Errorf("after a cursor newer than every import: %v", got)
	}
}

func TestImports_listRefusesBadParametersByName(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	tok := h.StreetAdmin("qishan")
	cases := []struct {
		query  string
		status int
		field  string
	}{
		{"kind=stations", 422, "kind"},
		{"kind=Workers", 422, "kind"},
		{"kind=workers&kind=enterprises", 422, "kind"},
		{"status=paused", 422, "status"},
		{"status=%00", 422, "status"},
		{"with_rejections=yes", 422, "with_rejections"},
		{"with_rejections=1", 422, "with_rejections"},
		{"since=yesterday", 422, "since"},
		{"since=2026-13-01", 422, "since"},
		{"since=2026-11-23T09:00:00", 422, "since"},
		{"since=23.11.2026", 422, "since"},
		{"limit=0", 422, "limit"},
		{"limit=501", 422, "limit"},
		{"limit=x", 422, "limit"},
		{"after=nope", 422, "after"},
		{"after=12", 422, "after"},
		{"street=qishan", 400, "street"},
		{"cursor=x", 400, "cursor"},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			r := h.Do("GET", "/v1/imports?"+c.query, tok, nil)
			if r.Status != c.status || r.Field() != c.field {
				t.Errorf("%d on %q, want %d on %q: %s", r.Status, r.Field(), c.status, c.field, r.Raw)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
	// Several at once: each is named.
	r := h.Must(422, "GET", "/v1/imports?kind=x&status=y&since=z", tok, nil)
	var fields []string
	for _, e := range r.Body["errors"].([]any) {
		fields = append(fields, e.(map[string]any)["field"].(string))
	}
	slices.Sort(fields)
	if !slices.Equal(fields, []string{"kind", "since", "status"}) {
		t.Errorf("fields = %v", fields)
	}
}
