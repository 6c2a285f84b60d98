package registry_test

import (
	"context"
	"strings"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

func TestRegisterWorker_masksPersonalDataAndEmitsEventWithoutIt(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	body := workerBody(1, "tashan")
	r := h.must(201, "POST", "/v1/workers", h.staff("qishan", "tashan"), body)

	if got, want := r.str("mobile"), "139****0001"; got != want {
		t.Errorf("mobile = %q, want masked %q", got, want)
	}
	id := body["id_number"].(string)
	if got, want := r.str("id_number"), id[:6]+"********"+id[14:]; got != want {
		t.Errorf("id_number = %q, want masked %q", got, want)
	}
	if r.str("street") != "qishan" || r.str("status") != "active" {
		t.Errorf("street/status = %q/%q", r.str("street"), r.str("status"))
	}

	evs := ofType(h.settled(), "nuanxin.registry.worker.registered")
	if len(evs) != 1 {
		t.Fatalf("worker.registered events = %d, want 1", len(evs))
	}
	e := evs[0]
	if want := h.subjects.Namespace + ".registry.qishan.worker.registered"; e.Subject != want {
		t.Errorf("subject = %q, want %q", e.Subject, want)
	}
	if e.MsgID != e.ID || e.Street != "qishan" || e.Subject == "" || e.Envelope.Subject != r.str("id") {
		t.Errorf("envelope = %+v (msg id %q)", e.Envelope, e.MsgID)
	}
	for _, secret := range []string{body["mobile"].(string), id, body["name"].(string)} {
		if strings.Contains(string(e.Data), secret) {
			t.Errorf("event data carries personal data %q: %s", secret, e.Data)
		}
	}
}

func TestRegisterWorker_sameIDNumberTwiceIsConflictNamingTheFirst(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	first := h.registerWorker(7, "tashan")
	again := workerBody(7, "jianshelu")
	again["mobile"] = mobile(8)
	r := h.must(409, "POST", "/v1/workers", h.district(), again)
	if got := r.str("existing_worker_id"); got != first {
		t.Errorf("existing_worker_id = %q, want %q (%s)", got, first, r.Raw)
	}
	if n := h.count("workers"); n != 1 {
		t.Errorf("workers = %d, want 1", n)
	}
}

func TestRegisterWorker_badInputAnswersProblemNamingFieldAndWritesNothing(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	before := len(h.settled())
	with := func(key string, v any) map[string]any {
		b := workerBody(3, "tashan")
		b[key] = v
		return b
	}
	cases := []struct {
		name   string
		token  string
		body   any
		status int
		field  string
	}{
		{"malformed JSON", h.district(), `{"name": "张三",`, 400, "body"},
		{"not an object", h.district(), `[1,2]`, 400, "body"},
		{"empty body", h.district(), ``, 400, "body"},
		{"unknown field", h.district(), with("nickname", "小张"), 400, "nickname"},
		{"wrong type", h.district(), with("mobile_party_member", "yes"), 400, "mobile_party_member"},
		{"number for a string", h.district(), with("mobile", 13912345678), 400, "mobile"},
		{"ID number with wrong check character", h.district(), with("id_number", withWrongCheck(idNumber(3))), 422, "id_number"},
		{"ID number too short", h.district(), with("id_number", "37060219900101"), 422, "id_number"},
		{"bad mobile", h.district(), with("mobile", "12345678901"), 422, "mobile"},
		{"unknown community", h.district(), with("community", "nowhere"), 422, "community"},
		{"community of another street", h.streetAdmin("jianshelu"), workerBody(3, "tashan"), 422, "community"},
		{"unknown occupation", h.district(), with("occupation", "astronaut"), 422, "occupation"},
		{"empty name", h.district(), with("name", "  "), 422, "name"},
		{"oversize body", h.district(), with("platform", strings.Repeat("美", 40000)), 413, "body"},
		{"mobile party member without home org", h.district(), with("mobile_party_member", true), 422, "mobile_party_member"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do("POST", "/v1/workers", c.token, c.body)
			if r.Status != c.status {
				t.Fatalf("status = %d, want %d: %s", r.Status, c.status, r.Raw)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type = %q", ct)
			}
			if r.field() != c.field {
				t.Errorf("field = %q, want %q: %s", r.field(), c.field, r.Raw)
			}
		})
	}
	if n := h.count("workers"); n != 0 {
		t.Errorf("workers written: %d", n)
	}
	if n := h.count("outbox"); n != 0 {
		t.Errorf("outbox rows written: %d", n)
	}
	if after := len(h.events()); after != before {
		t.Errorf("stream grew from %d to %d events", before, after)
	}
}

func TestWorkers_scopeHidesOtherStreetsAndOtherWorkers(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	tashan := h.registerWorker(1, "tashan")
	changsheng := h.registerWorker(2, "changsheng")
	jianshelu := h.registerWorker(3, "jianshelu")

	cases := []struct {
		name   string
		token  string
		worker string
		status int
	}{
		{"district admin sees any", h.district(), jianshelu, 200},
		{"street admin sees own street", h.streetAdmin("qishan"), changsheng, 200},
		{"street admin gets 404 for another street", h.streetAdmin("jianshelu"), tashan, 404},
		{"community staff sees own community", h.staff("qishan", "tashan"), tashan, 200},
		{"community staff gets 404 for another community", h.staff("qishan", "changsheng"), tashan, 404},
		{"worker sees themself", h.worker(tashan), tashan, 200},
		{"worker gets 404 for another worker", h.worker(tashan), changsheng, 404},
		{"malformed id is 404", h.district(), "not-a-uuid", 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.do("GET", "/v1/workers/"+c.worker, c.token, nil)
			if r.Status != c.status {
				t.Fatalf("status = %d, want %d: %s", r.Status, c.status, r.Raw)
			}
		})
	}

	list := func(token, query string) []string {
		r := h.must(200, "GET", "/v1/workers"+query, token, nil)
		var ids []string
		for _, it := range r.Body["items"].([]any) {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		return ids
	}
	if got := list(h.streetAdmin("qishan"), ""); len(got) != 2 {
		t.Errorf("qishan admin lists %d workers, want 2", len(got))
	}
	if got := list(h.streetAdmin("qishan"), "?street=jianshelu"); len(got) != 0 {
		t.Errorf("qishan admin asking for jianshelu got %v", got)
	}
	if got := list(h.staff("qishan", "changsheng"), ""); len(got) != 1 || got[0] != changsheng {
		t.Errorf("changsheng staff lists %v", got)
	}
	if got := list(h.district(), "?community=jianshelu"); len(got) != 1 || got[0] != jianshelu {
		t.Errorf("district filter by community lists %v", got)
	}
	h.must(403, "GET", "/v1/workers", h.worker(tashan), nil)
}

func TestListWorkers_paginatesWithCursorAndFilters(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	for i := range 5 {
		h.registerWorker(10+i, "tashan")
	}
	courier := workerBody(20, "tashan")
	courier["occupation"] = "courier"
	h.must(201, "POST", "/v1/workers", h.district(), courier)

	seen := map[string]bool{}
	next := ""
	pages := 0
	for {
		q := "/v1/workers?limit=2"
		if next != "" {
			q += "&after=" + next
		}
		r := h.must(200, "GET", q, h.district(), nil)
		for _, it := range r.Body["items"].([]any) {
			seen[it.(map[string]any)["id"].(string)] = true
		}
		pages++
		next = r.str("next")
		if next == "" {
			break
		}
	}
	if len(seen) != 6 || pages != 3 {
		t.Errorf("saw %d workers in %d pages, want 6 in 3", len(seen), pages)
	}
	r := h.must(200, "GET", "/v1/workers?occupation=courier", h.district(), nil)
	if n := len(r.Body["items"].([]any)); n != 1 {
		t.Errorf("couriers = %d, want 1", n)
	}
	for _, q := range []struct{ query, field string }{
		{"?limit=0", "limit"}, {"?limit=abc", "limit"}, {"?limit=501", "limit"},
		{"?occupation=pilot", "occupation"}, {"?after=xyz", "after"},
	} {
		if r := h.do("GET", "/v1/workers"+q.query, h.district(), nil); r.Status != 422 || r.field() != q.field {
			t.Errorf("%s: status %d field %q, want 422 %q", q.query, r.Status, r.field(), q.field)
		}
	}
}

func TestWorkerPII_onlyStreetAdminsInScopeAndEveryReadIsAudited(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	body := workerBody(5, "tashan")
	id := h.registerWorker(5, "tashan")

	h.must(403, "GET", "/v1/workers/"+id+"/pii", h.staff("qishan", "tashan"), nil)
	h.must(403, "GET", "/v1/workers/"+id+"/pii", h.worker(id), nil)
	h.must(404, "GET", "/v1/workers/"+id+"/pii", h.streetAdmin("jianshelu"), nil)
	if n := h.count("pii_reads"); n != 0 {
		t.Fatalf("refused reads were audited as reads: %d", n)
	}

	tok := h.token(auth.Principal{Role: auth.StreetAdmin, Street: "qishan", Subject: "clerk-li"})
	h.must(404, "GET", "/v1/workers/0190a6c5-0000-7000-8000-000000000000/pii", tok, nil)
	r := h.must(200, "GET", "/v1/workers/"+id+"/pii", tok, nil)
	if r.str("mobile") != body["mobile"] || r.str("id_number") != body["id_number"] {
		t.Errorf("pii = %s", r.Raw)
	}
	var actor, role, reqID string
	var fields []string
	err := h.pool.QueryRow(context.Background(),
		"SELECT actor_subject, actor_role, fields, request_id FROM pii_reads WHERE worker_id = $1", id).Scan(&actor, &role, &fields, &reqID)
	if err != nil {
		t.Fatal(err)
	}
	if actor != "clerk-li" || role != "street_admin" || len(fields) != 2 || reqID != r.Header.Get("X-Request-Id") {
		t.Errorf("audit = %s %s %v %q", actor, role, fields, reqID)
	}
}

func TestUpdateAndLeave_emitEventsAndRefuseRepeats(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	id := h.registerWorker(6, "tashan")
	staff := h.staff("qishan", "tashan")

	r := h.must(200, "PATCH", "/v1/workers/"+id, staff, map[string]any{"occupation": "courier", "mobile": "13700000006"})
	if r.str("occupation") != "courier" || r.str("mobile") != "137****0006" {
		t.Errorf("patched = %s", r.Raw)
	}
	// The same values again change nothing and emit nothing.
	h.must(200, "PATCH", "/v1/workers/"+id, staff, map[string]any{"occupation": "courier", "mobile": "137-0000-0006"})
	h.must(404, "PATCH", "/v1/workers/"+id, h.staff("qishan", "changsheng"), map[string]any{"occupation": "courier"})
	h.must(403, "PATCH", "/v1/workers/"+id, h.worker(id), map[string]any{"occupation": "courier"})
	if r := h.do("PATCH", "/v1/workers/"+id, staff, map[string]any{"political_status": "king"}); r.Status != 422 || r.field() != "political_status" {
		t.Errorf("bad patch: %d %s", r.Status, r.Raw)
	}

	h.must(422, "POST", "/v1/workers/"+id+"/leave", staff, map[string]any{"reason": ""})
	r = h.must(200, "POST", "/v1/workers/"+id+"/leave", staff, map[string]any{"reason": "moved to another city"})
	if r.str("status") != "left" {
		t.Errorf("status = %q", r.str("status"))
	}
	h.must(409, "POST", "/v1/workers/"+id+"/leave", staff, map[string]any{"reason": "again"})
	h.must(409, "POST", "/v1/workers/"+id+"/checkins", h.worker(id), map[string]any{"channel": "online"})

	evs := h.settled()
	updated := ofType(evs, "nuanxin.registry.worker.updated")
	if len(updated) != 1 || !strings.Contains(string(updated[0].Data), `"changed":["mobile","occupation"]`) {
		t.Errorf("updated events = %+v", updated)
	}
	if strings.Contains(string(updated[0].Data), "13700000006") {
		t.Error("updated event carries the new mobile")
	}
	if n := len(ofType(evs, "nuanxin.registry.worker.left")); n != 1 {
		t.Errorf("left events = %d, want 1", n)
	}
}

func TestCheckIn_onceAndIdempotent(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	id := h.registerWorker(9, "tashan")
	other := h.registerWorker(10, "tashan")

	first := h.must(201, "POST", "/v1/workers/"+id+"/checkins", h.worker(id), map[string]any{"channel": "online"})
	if first.str("community") != "tashan" || first.str("street") != "qishan" {
		t.Errorf("check-in = %s", first.Raw)
	}
	again := h.must(200, "POST", "/v1/workers/"+id+"/checkins", h.worker(id), map[string]any{"channel": "online"})
	if again.str("id") != first.str("id") {
		t.Errorf("repeat check-in made a new one: %s vs %s", again.str("id"), first.str("id"))
	}
	// A worker may check in with a community of another street too.
	h.must(201, "POST", "/v1/workers/"+id+"/checkins", h.worker(id), map[string]any{"channel": "online", "community": "jianshelu"})

	h.must(404, "POST", "/v1/workers/"+other+"/checkins", h.worker(id), map[string]any{"channel": "online"})
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"channel": "carrier-pigeon"}, "channel"},
		{map[string]any{"channel": "station"}, "station_id"},
		{map[string]any{"channel": "station", "station_id": "0190a6c5-0000-7000-8000-000000000000"}, "station_id"},
		{map[string]any{"channel": "online", "community": "atlantis"}, "community"},
	} {
		if r := h.do("POST", "/v1/workers/"+other+"/checkins", h.worker(other), c.body); r.Status != 422 || r.field() != c.field {
			t.Errorf("%v: %d %s", c.body, r.Status, r.Raw)
		}
	}

	evs := ofType(h.settled(), "nuanxin.registry.worker.checked_in")
	if len(evs) != 2 {
		t.Fatalf("checked_in events = %d, want 2", len(evs))
	}
	if evs[1].Street != "jianshelu" || !strings.HasSuffix(evs[1].Subject, ".registry.jianshelu.worker.checked_in") {
		t.Errorf("second check-in went to %s", evs[1].Subject)
	}
	if n := h.count("checkins"); n != 2 {
		t.Errorf("checkins = %d, want 2", n)
	}
}
