package registry_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/registry"
)

func TestEnterprises_closeFlagsThemAndListsFilterByStatus(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	staff := h.Staff("qishan", "tashan")
	reg := func(name, kind, community string, party bool) string {
		return h.Must(201, "POST", "/v1/enterprises", h.District(), map[string]any{
			"name": name, "kind": kind, "community": community, "has_party_org": party}).Str("id")
	}
	zto := reg("中通快递奇山网点", "express_outlet", "tashan", true)
	cainiao := reg("菜鸟驿站塔山店", "parcel_station", "tashan", false)
	reg("美团外卖长生配送站", "delivery_station", "changsheng", true)
	reg("顺丰建设路网点", "express_outlet", "jianshelu", false)
	path := "/v1/enterprises/" + cainiao + "/close"
	today := time.Now().In(registry.Shanghai).Format("2006-01-02")
	tomorrow := time.Now().In(registry.Shanghai).AddDate(0, 0, 1).Format("2006-01-02")
	good := map[string]any{"reason": "网点撤并", "closed_on": today}

	// Bad input names the field; out of scope is 404; nothing is written.
	for _, tc := range []struct {
		name, token string
		body        any
		status      int
		field       string
	}{
		{"no reason", staff, testenv.With(good, map[string]any{"reason": ""}), 422, "reason"},
		{"reason too long", staff, testenv.With(good, map[string]any{"reason": strings.Repeat("撤", 201)}), 422, "reason"},
		{"no date", staff, map[string]any{"reason": "网点撤并"}, 422, "closed_on"},
		{"not a date", staff, testenv.With(good, map[string]any{"closed_on": "30/11/2026"}), 422, "closed_on"},
		{"no such day", staff, testenv.With(good, map[string]any{"closed_on": "2026-02-30"}), 422, "closed_on"},
		{"in the future", staff, testenv.With(good, map[string]any{"closed_on": tomorrow}), 422, "closed_on"},
		{"before it was registered", staff, testenv.With(good, map[string]any{"closed_on": "2020-01-01"}), 422, "closed_on"},
		{"an unknown member", staff, testenv.With(good, map[string]any{"status": "closed"}), 400, "status"},
		{"another street's clerk", h.StreetAdmin("jianshelu"), good, 404, ""},
		{"another community's staff", h.Staff("qishan", "changsheng"), good, 404, ""},
		{"a worker", h.Worker(h.registerWorker(1, "tashan")), good, 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("POST", path, tc.token, tc.body)
			if r.Status != tc.status || (tc.field != "" && r.Field() != tc.field) {
				t.Errorf("%d %s", r.Status, r.Raw)
			}
		})
	}
	h.Must(404, "POST", "/v1/enterprises/not-an-id/close", staff, good)
	if r := h.Must(200, "GET", "/v1/enterprises/"+cainiao, staff, nil); r.Str("status") != "active" || r.Body["closed_on"] != nil {
		t.Fatalf("after refused closings: %s", r.Raw)
	}
	if n := len(ofType(h.Published("registry"), "nuanxin.registry.enterprise.closed")); n != 0 {
		t.Fatalf("closed events after refused closings: %d", n)
	}

	r := h.Must(200, "POST", path, staff, good)
	if r.Str("status") != "closed" || r.Str("closed_on") != today || r.Str("close_reason") != "网点撤并" || r.Str("closed_at") == "" {
		t.Errorf("closed = %s", r.Raw)
	}
	if got := h.Must(200, "GET", "/v1/enterprises/"+cainiao, h.StreetAdmin("qishan"), nil); got.Str("status") != "closed" || got.Str("closed_on") != today {
		t.Errorf("read after closing = %s", got.Raw)
	}
	h.Conflict("enterprise_closed", "POST", path, staff, good)

	qishan := h.StreetAdmin("qishan")
	for _, tc := range []struct{ name, token, query, want string }{
		{"both, by default", qishan, "", "中通快递奇山网点,菜鸟驿站塔山店,美团外卖长生配送站"},
		{"active ones", qishan, "?status=active", "中通快递奇山网点,美团外卖长生配送站"},
		{"closed ones", qishan, "?status=closed", "菜鸟驿站塔山店"},
		{"closed, district-wide", h.District(), "?status=closed", "菜鸟驿站塔山店"},
		{"closed, elsewhere", h.District(), "?status=closed&street=jianshelu", ""},
		{"by kind and status", h.District(), "?kind=express_outlet&status=active", "中通快递奇山网点,顺丰建设路网点"},
		{"with a party organisation", qishan, "?has_party_org=true", "中通快递奇山网点,美团外卖长生配送站"},
		{"without one", h.District(), "?has_party_org=false", "菜鸟驿站塔山店,顺丰建设路网点"},
		{"by part of the name", h.District(), "?q=网点", "中通快递奇山网点,顺丰建设路网点"},
		{"community staff", staff, "?status=active", "中通快递奇山网点"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Must(200, "GET", "/v1/enterprises"+tc.query, tc.token, nil)
			var got []string
			for _, it := range r.Items() {
				got = append(got, it.(map[string]any)["name"].(string))
			}
			if strings.Join(got, ",") != tc.want || int(r.Num("total")) != len(got) {
				t.Errorf("got %v total %v, want %s", got, r.Body["total"], tc.want)
			}
		})
	}
	if p := h.Must(200, "GET", "/v1/enterprises?limit=1", qishan, nil); len(p.Items()) != 1 || p.Num("total") != 3 || p.Str("next") == "" {
		t.Errorf("a page of one = %s", p.Raw)
	}
	for _, q := range []struct{ query, field string }{
		{"?status=open", "status"}, {"?has_party_org=yes", "has_party_org"}, {"?q=%00", "q"}, {"?kind=bakery", "kind"},
	} {
		if r := h.Do("GET", "/v1/enterprises"+q.query, qishan, nil); r.Status != 422 || r.Field() != q.field {
			t.Errorf("%s: %d %s", q.query, r.Status, r.Raw)
		}
	}

	// A closed enterprise can still be corrected; its closing stays.
	if p := h.Must(200, "PATCH", "/v1/enterprises/"+cainiao, staff, map[string]any{"address": "塔山南路1号"}); p.Str("status") != "closed" {
		t.Errorf("patched closed enterprise = %s", p.Raw)
	}
	_ = zto

	evs := ofType(h.Published("registry"), "nuanxin.registry.enterprise.closed")
	if len(evs) != 1 || evs[0].Envelope.Subject != cainiao || !strings.Contains(string(evs[0].Data), `"closed_on":"`+today+`"`) ||
		!strings.Contains(string(evs[0].Data), `"changed":["status"]`) || strings.Contains(string(evs[0].Data), "网点撤并") {
		t.Errorf("closed events = %v", msgs(evs))
	}
}

func TestListWorkers_clerkFiltersAndTotal(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	d := h.District()
	ent := h.Must(201, "POST", "/v1/enterprises", d, map[string]any{"name": "美团外卖奇山配送站", "kind": "delivery_station", "community": "tashan"}).Str("id")
	add := func(serial int, community string, extra map[string]any) {
		h.Must(201, "POST", "/v1/workers", d, testenv.With(workerBody(serial, community), extra))
	}
	add(1, "tashan", map[string]any{"name": "王海涛", "enterprise_id": ent})
	add(2, "tashan", map[string]any{"name": "李海波", "platform": "饿了么"})
	add(3, "changsheng", map[string]any{"name": "张伟", "occupation": "courier", "platform": "顺丰",
		"political_status": "party_member", "mobile_party_member": true, "home_party_org": "莱州市委"})
	add(4, "jianshelu", map[string]any{"name": "赵海", "platform": "饿了么"})

	for _, tc := range []struct{ name, token, query, want string }{
		{"by platform", d, "?platform=饿了么", "李海波,赵海"},
		{"by platform, in a street", h.StreetAdmin("qishan"), "?platform=饿了么", "李海波"},
		{"by platform, trimmed", d, "?platform=%20顺丰%20", "张伟"},
		{"mobile party members", d, "?mobile_party_member=true", "张伟"},
		{"the others", h.StreetAdmin("qishan"), "?mobile_party_member=false", "王海涛,李海波"},
		{"by part of the name", d, "?q=海", "王海涛,李海波,赵海"},
		{"name and community", d, "?q=海&community=tashan", "王海涛,李海波"},
		{"by enterprise", d, "?enterprise_id=" + ent, "王海涛"},
		{"by occupation and political status", d, "?occupation=courier&political_status=party_member", "张伟"},
		{"by status", d, "?status=left", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Must(200, "GET", "/v1/workers"+tc.query, tc.token, nil)
			var got []string
			for _, it := range r.Items() {
				got = append(got, it.(map[string]any)["name"].(string))
			}
			if strings.Join(got, ",") != tc.want || int(r.Num("total")) != len(got) {
				t.Errorf("got %v total %v, want %s", got, r.Body["total"], tc.want)
			}
		})
	}
	if p := h.Must(200, "GET", "/v1/workers?limit=3", d, nil); len(p.Items()) != 3 || p.Num("total") != 4 {
		t.Errorf("a page of three = %s", p.Raw)
	}
	for _, q := range []struct{ query, field string }{
		{"?mobile_party_member=1", "mobile_party_member"}, {"?platform=" + strings.Repeat("美", 51), "platform"},
		{"?q=" + strings.Repeat("海", 201), "q"}, {"?status=gone", "status"},
	} {
		if r := h.Do("GET", "/v1/workers"+q.query, d, nil); r.Status != 422 || r.Field() != q.field {
			t.Errorf("%.40s: %d %s", q.query, r.Status, r.Raw)
		}
	}
	// Another street's clerk filtering into ours is refused, not answered empty.
	if r := h.Do("GET", "/v1/workers?community=tashan&platform=美团", h.StreetAdmin("jianshelu"), nil); r.Status != 422 || r.Field() != "community" {
		t.Errorf("out of scope: %d %s", r.Status, r.Raw)
	}
}
