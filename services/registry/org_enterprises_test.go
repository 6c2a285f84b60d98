package registry_test

import (
	"strings"
	"testing"
)

func TestOrg_onlyAdminsCreateAndEachSeesTheirScope(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()

	h.Must(403, "POST", "/v1/streets", h.StreetAdmin("qishan"), map[string]any{"code": "baishi", "name": "白石街道"})
	h.Conflict("street_exists", "POST", "/v1/streets", h.District(), map[string]any{"code": "qishan", "name": "奇山街道"})
	h.Must(404, "POST", "/v1/streets/jianshelu/communities", h.StreetAdmin("qishan"), map[string]any{"code": "x1", "name": "某社区"})
	h.Must(404, "POST", "/v1/streets/nowhere/communities", h.District(), map[string]any{"code": "x2", "name": "某社区"})
	h.Must(201, "POST", "/v1/streets/qishan/communities", h.StreetAdmin("qishan"), map[string]any{"code": "fushanlu", "name": "福山路社区"})
	h.Conflict("community_exists", "POST", "/v1/streets/qishan/communities", h.District(), map[string]any{"code": "fushanlu", "name": "福山路社区"})
	if r := h.Do("POST", "/v1/streets", h.District(), map[string]any{"code": "Bad Code!", "name": "x"}); r.Status != 422 || r.Field() != "code" {
		t.Errorf("bad code: %d %s", r.Status, r.Raw)
	}

	streets := func(token string) map[string]int {
		r := h.Must(200, "GET", "/v1/org", token, nil)
		out := map[string]int{}
		for _, s := range r.Body["streets"].([]any) {
			m := s.(map[string]any)
			out[m["code"].(string)] = len(m["communities"].([]any))
		}
		return out
	}
	if got := streets(h.District()); got["qishan"] != 3 || got["jianshelu"] != 1 {
		t.Errorf("district sees %v", got)
	}
	if got := streets(h.StreetAdmin("jianshelu")); len(got) != 1 || got["jianshelu"] != 1 {
		t.Errorf("jianshelu admin sees %v", got)
	}
	if got := streets(h.Staff("qishan", "tashan")); len(got) != 1 || got["qishan"] != 1 {
		t.Errorf("tashan staff sees %v", got)
	}
	// A token for a street the registry never created is refused.
	h.Must(401, "GET", "/v1/org", h.StreetAdmin("nowhere"), nil)

	evs := h.Published("registry")
	if n := len(ofType(evs, "nuanxin.registry.community.created")); n != 4 {
		t.Errorf("community.created events = %d, want 4", n)
	}
}

func TestAuth_missingOrBadTokenIs401BeforeTheBodyIsRead(t *testing.T) {
	h := newHarness(t, "")
	for _, tok := range []string{"", "not-a-jwt", h.District() + "x"} {
		r := h.Do("POST", "/v1/workers", tok, `{malformed`)
		if r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("token %q: %d %s", tok, r.Status, r.Raw)
		}
	}
	if r := h.Do("GET", "/v1/no-such-thing", h.District(), nil); r.Status != 404 || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown route: %d %s", r.Status, r.Raw)
	}
}

// A valid unified social credit code: 91 + area 370602 + 9-character
// organisation code + check character (GB 32100-2015).
func creditCode(org string) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	first17 := "91370602" + org
	sum := 0
	for i, w := range weights {
		sum += strings.IndexByte(alphabet, first17[i]) * w
	}
	return first17 + string(alphabet[(31-sum%31)%31])
}

func TestEnterprises_registerListPatchWithinScope(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	staff := h.Staff("qishan", "tashan")
	body := map[string]any{
		"name": "中通快递奇山网点", "kind": "express_outlet", "credit_code": creditCode("MA3C4D5E6"),
		"community": "tashan", "address": "上乔西路12号", "contact": map[string]any{"name": "王经理", "mobile": "13800138000"},
		"has_party_org": true,
	}
	r := h.Must(201, "POST", "/v1/enterprises", staff, body)
	id := r.Str("id")
	if c := r.Body["contact"].(map[string]any); c["mobile"] != "138****8000" {
		t.Errorf("contact = %v", c)
	}
	dup := h.Conflict("enterprise_exists", "POST", "/v1/enterprises", h.District(), body)
	if dup.Str("existing_enterprise_id") != id {
		t.Errorf("conflict = %s", dup.Raw)
	}
	for _, c := range []struct {
		key   string
		value any
		field string
	}{
		{"credit_code", creditCode("MA3C4D5E6")[:17] + "0", "credit_code"},
		{"kind", "bakery", "kind"},
		{"community", "changsheng", "community"}, // outside tashan staff's scope
		{"contact", map[string]any{"name": "x", "mobile": "123"}, "contact.mobile"},
	} {
		b := map[string]any{}
		for k, v := range body {
			b[k] = v
		}
		b["credit_code"] = creditCode("MA3C4D5E7")
		b[c.key] = c.value
		if r := h.Do("POST", "/v1/enterprises", staff, b); r.Status != 422 || r.Field() != c.field {
			t.Errorf("%s: %d %s", c.key, r.Status, r.Raw)
		}
	}
	h.Must(201, "POST", "/v1/enterprises", h.District(), map[string]any{"name": "菜鸟驿站建设路店", "kind": "parcel_station", "community": "jianshelu"})

	h.Must(200, "GET", "/v1/enterprises/"+id, h.StreetAdmin("qishan"), nil)
	h.Must(404, "GET", "/v1/enterprises/"+id, h.StreetAdmin("jianshelu"), nil)
	h.Must(403, "GET", "/v1/enterprises", h.Worker(id), nil)
	list := h.Must(200, "GET", "/v1/enterprises?kind=parcel_station", h.District(), nil)
	if n := len(list.Body["items"].([]any)); n != 1 {
		t.Errorf("parcel stations = %d", n)
	}
	list = h.Must(200, "GET", "/v1/enterprises", h.StreetAdmin("qishan"), nil)
	if n := len(list.Body["items"].([]any)); n != 1 {
		t.Errorf("qishan enterprises = %d", n)
	}

	p := h.Must(200, "PATCH", "/v1/enterprises/"+id, staff, map[string]any{"address": "上乔西路14号", "has_party_org": false})
	if p.Str("address") != "上乔西路14号" || p.Body["has_party_org"] != false {
		t.Errorf("patched = %s", p.Raw)
	}
	h.Must(404, "PATCH", "/v1/enterprises/"+id, h.Staff("qishan", "changsheng"), map[string]any{"address": "x"})
	// Renaming the contact keeps their mobile; repeating values changes nothing.
	p = h.Must(200, "PATCH", "/v1/enterprises/"+id, staff, map[string]any{"contact": map[string]any{"name": "李经理"}, "address": "上乔西路14号"})
	if c := p.Body["contact"].(map[string]any); c["name"] != "李经理" || c["mobile"] != "138****8000" {
		t.Errorf("contact after renaming = %v", c)
	}

	evs := h.Published("registry")
	if n := len(ofType(evs, "nuanxin.registry.enterprise.registered")); n != 2 {
		t.Errorf("registered events = %d", n)
	}
	up := ofType(evs, "nuanxin.registry.enterprise.updated")
	if len(up) != 2 || !strings.Contains(string(up[0].Data), `"changed":["address","has_party_org"]`) ||
		!strings.Contains(string(up[1].Data), `"changed":["contact"]`) {
		t.Errorf("updated events = %+v", up)
	}
}

func TestVocabulary_listsTheFixedValuesForForms(t *testing.T) {
	h := newHarness(t, "")
	r := h.Must(200, "GET", "/v1/vocabulary", h.Worker("0190a6c5-0000-7000-8000-000000000001"), nil)
	facilities, _ := r.Body["facilities"].([]any)
	has := map[any]bool{}
	for _, f := range facilities {
		has[f] = true
	}
	for _, want := range []string{"charging", "water", "microwave", "medicine", "toilet", "aircon", "books", "pump", "fridge", "bed"} {
		if !has[want] {
			t.Errorf("facility %q missing from %v", want, facilities)
		}
	}
	for _, list := range []string{"occupations", "political_statuses", "contact_methods", "worker_statuses", "enterprise_statuses", "station_statuses"} {
		if v, _ := r.Body[list].([]any); len(v) == 0 {
			t.Errorf("no %s: %s", list, r.Raw)
		}
	}
}
