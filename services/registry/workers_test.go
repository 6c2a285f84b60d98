package registry_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

func TestRegisterWorker_masksPersonalDataAndEmitsEventWithoutIt(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	body := workerBody(1, "tashan")
	r := h.Must(201, "POST", "/v1/workers", h.Staff("qishan", "tashan"), body)

	if got, want := r.Str("mobile"), "139****0001"; got != want {
		t.Errorf("mobile = %q, want masked %q", got, want)
	}
	id := body["id_number"].(string)
	if got, want := r.Str("id_number"), id[:6]+"********"+id[14:]; got != want {
		t.Errorf("id_number = %q, want masked %q", got, want)
	}
	if r.Str("street") != "qishan" || r.Str("status") != "active" {
		t.Errorf("street/status = %q/%q", r.Str("street"), r.Str("status"))
	}

	evs := ofType(h.Published("registry"), "nuanxin.registry.worker.registered")
	if len(evs) != 1 {
		t.Fatalf("worker.registered events = %d, want 1", len(evs))
	}
	e := evs[0]
	if want := h.Subjects.Namespace + ".registry.qishan.worker.registered"; e.Subject != want {
		t.Errorf("subject = %q, want %q", e.Subject, want)
	}
	if e.MsgID != e.ID || e.Street != "qishan" || e.Subject == "" || e.Envelope.Subject != r.Str("id") {
		t.Errorf("envelope = %+v (msg id %q)", e.Envelope, e.MsgID)
	}
	for _, secret := range []string{body["mobile"].(string), id, body["name"].(string)} {
		if strings.Contains(string(e.Data), secret) {
			t.Errorf("event data carries personal data %q: %s", secret, e.Data)
		}
	}
}

// The schema files a worker (as every row placed in a community) only under
// a community of its own street, with one foreign key on both columns.
func TestSchema_filesAWorkerOnlyInACommunityOfItsStreet(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	h.registerWorker(1, "tashan")
	tests := []struct {
		name, street, community string
		refused                 bool
	}{
		{"the community's own street", "qishan", "tashan", false},
		{"a community of another street", "jianshelu", "tashan", true},
		{"an unknown street", "nowhere", "tashan", true},
		{"an unknown community", "qishan", "nowhere", true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A copy of the registered worker, with its own id and ID-number hash.
			_, err := h.Pool.Exec(context.Background(), `INSERT INTO workers (id, name, mobile_enc, mobile_hash,
					mobile_masked, id_number_enc, id_number_hash, id_number_masked, occupation, street, community, political_status)
				SELECT gen_random_uuid(), name, mobile_enc, mobile_hash, mobile_masked, id_number_enc,
					id_number_hash || $3::bytea, id_number_masked, occupation, $1, $2, political_status
				FROM workers LIMIT 1`, tc.street, tc.community, []byte{byte(i)})
			var pe *pgconn.PgError
			refused := errors.As(err, &pe) && pe.Code == "23503" && pe.ConstraintName == "workers_street_community_fkey"
			if refused != tc.refused || (err != nil && !refused) {
				t.Errorf("insert in %s/%s: error %v, want refused by the foreign key: %v", tc.street, tc.community, err, tc.refused)
			}
		})
	}
}

func TestRegisterWorker_sameIDNumberTwiceIsConflictNamingTheFirst(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	first := h.registerWorker(7, "tashan")
	again := workerBody(7, "jianshelu")
	again["mobile"] = mobile(8)
	r := h.Conflict("worker_exists", "POST", "/v1/workers", h.District(), again)
	if got := r.Str("existing_worker_id"); got != first {
		t.Errorf("existing_worker_id = %q, want %q (%s)", got, first, r.Raw)
	}
	if n := h.count("workers"); n != 1 {
		t.Errorf("workers = %d, want 1", n)
	}
}

func TestRegisterWorker_badInputAnswersProblemNamingFieldAndWritesNothing(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	before := len(h.Published("registry"))
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
		{"malformed JSON", h.District(), `{"name": "张三",`, 400, "body"},
		{"not an object", h.District(), `[1,2]`, 400, "body"},
		{"empty body", h.District(), ``, 400, "body"},
		{"unknown field", h.District(), with("nickname", "小张"), 400, "nickname"},
		{"wrong type", h.District(), with("mobile_party_member", "yes"), 400, "mobile_party_member"},
		{"number for a string", h.District(), with("mobile", 13912345678), 400, "mobile"},
		{"ID number with wrong check character", h.District(), with("id_number", withWrongCheck(idNumber(3))), 422, "id_number"},
		{"ID number too short", h.District(), with("id_number", "37060219900101"), 422, "id_number"},
		{"bad mobile", h.District(), with("mobile", "12345678901"), 422, "mobile"},
		{"unknown community", h.District(), with("community", "nowhere"), 422, "community"},
		{"community of another street", h.StreetAdmin("jianshelu"), workerBody(3, "tashan"), 422, "community"},
		{"unknown occupation", h.District(), with("occupation", "astronaut"), 422, "occupation"},
		{"empty name", h.District(), with("name", "  "), 422, "name"},
		{"oversize body", h.District(), with("platform", strings.Repeat("美", 40000)), 413, "body"},
		{"mobile party member without home org", h.District(), with("mobile_party_member", true), 422, "mobile_party_member"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.Do("POST", "/v1/workers", c.token, c.body)
			if r.Status != c.status {
				t.Fatalf("status = %d, want %d: %s", r.Status, c.status, r.Raw)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type = %q", ct)
			}
			if r.Field() != c.field {
				t.Errorf("field = %q, want %q: %s", r.Field(), c.field, r.Raw)
			}
		})
	}
	if n := h.count("workers"); n != 0 {
		t.Errorf("workers written: %d", n)
	}
	if n := h.count("outbox"); n != 0 {
		t.Errorf("outbox rows written: %d", n)
	}
	if after := len(h.Messages("registry")); after != before {
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
		{"district admin sees any", h.District(), jianshelu, 200},
		{"street admin sees own street", h.StreetAdmin("qishan"), changsheng, 200},
		{"street admin gets 404 for another street", h.StreetAdmin("jianshelu"), tashan, 404},
		{"community staff sees own community", h.Staff("qishan", "tashan"), tashan, 200},
		{"community staff gets 404 for another community", h.Staff("qishan", "changsheng"), tashan, 404},
		{"worker sees themself", h.Worker(tashan), tashan, 200},
		{"worker gets 404 for another worker", h.Worker(tashan), changsheng, 404},
		{"malformed id is 404", h.District(), "not-a-uuid", 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.Do("GET", "/v1/workers/"+c.worker, c.token, nil)
			if r.Status != c.status {
				t.Fatalf("status = %d, want %d: %s", r.Status, c.status, r.Raw)
			}
		})
	}

	list := func(token, query string) []string {
		r := h.Must(200, "GET", "/v1/workers"+query, token, nil)
		var ids []string
		for _, it := range r.Body["items"].([]any) {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		return ids
	}
	if got := list(h.StreetAdmin("qishan"), ""); len(got) != 2 {
		t.Errorf("qishan admin lists %d workers, want 2", len(got))
	}
	// Another street is not in the list's scope: refused, not an empty list
	// that would read as "no workers there".
	if r := h.Must(422, "GET", "/v1/workers?street=jianshelu", h.StreetAdmin("qishan"), nil); r.Field() != "street" {
		t.Errorf("qishan admin asking for jianshelu: field %q, want street", r.Field())
	}
	if got := list(h.Staff("qishan", "changsheng"), ""); len(got) != 1 || got[0] != changsheng {
		t.Errorf("changsheng staff lists %v", got)
	}
	if got := list(h.District(), "?community=jianshelu"); len(got) != 1 || got[0] != jianshelu {
		t.Errorf("district filter by community lists %v", got)
	}
	h.Must(403, "GET", "/v1/workers", h.Worker(tashan), nil)
}

func TestListWorkers_paginatesWithCursorAndFilters(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	for i := range 5 {
		h.registerWorker(10+i, "tashan")
	}
	courier := workerBody(20, "tashan")
	courier["occupation"] = "courier"
	h.Must(201, "POST", "/v1/workers", h.District(), courier)

	seen := map[string]bool{}
	next := ""
	pages := 0
	for {
		q := "/v1/workers?limit=2"
		if next != "" {
			q += "&after=" + next
		}
		r := h.Must(200, "GET", q, h.District(), nil)
		for _, it := range r.Body["items"].([]any) {
			seen[it.(map[string]any)["id"].(string)] = true
		}
		pages++
		next = r.Str("next")
		if next == "" {
			break
		}
	}
	if len(seen) != 6 || pages != 3 {
		t.Errorf("saw %d workers in %d pages, want 6 in 3", len(seen), pages)
	}
	r := h.Must(200, "GET", "/v1/workers?occupation=courier", h.District(), nil)
	if n := len(r.Body["items"].([]any)); n != 1 {
		t.Errorf("couriers = %d, want 1", n)
	}
	for _, q := range []struct{ query, field string }{
		{"?limit=0", "limit"}, {"?limit=abc", "limit"}, {"?limit=501", "limit"},
		{"?occupation=pilot", "occupation"}, {"?after=xyz", "after"},
	} {
		if r := h.Do("GET", "/v1/workers"+q.query, h.District(), nil); r.Status != 422 || r.Field() != q.field {
			t.Errorf("%s: status %d field %q, want 422 %q", q.query, r.Status, r.Field(), q.field)
		}
	}
}

func TestWorkerPII_onlyStreetAdminsInScopeAndEveryReadIsAudited(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	body := workerBody(5, "tashan")
	id := h.registerWorker(5, "tashan")

	h.Must(403, "GET", "/v1/workers/"+id+"/pii", h.Staff("qishan", "tashan"), nil)
	h.Must(403, "GET", "/v1/workers/"+id+"/pii", h.Worker(id), nil)
	h.Must(404, "GET", "/v1/workers/"+id+"/pii", h.StreetAdmin("jianshelu"), nil)
	if n := h.count("pii_reads"); n != 0 {
		t.Fatalf("refused reads were audited as reads: %d", n)
	}

	tok := h.Token(auth.Principal{Role: auth.StreetAdmin, Street: "qishan", Subject: "clerk-li"})
	h.Must(404, "GET", "/v1/workers/0190a6c5-0000-7000-8000-000000000000/pii", tok, nil)
	r := h.Must(200, "GET", "/v1/workers/"+id+"/pii", tok, nil)
	if r.Str("mobile") != body["mobile"] || r.Str("id_number") != body["id_number"] {
		t.Errorf("pii = %s", r.Raw)
	}
	var actor, role, reqID string
	var fields []string
	err := h.Pool.QueryRow(context.Background(),
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
	staff := h.Staff("qishan", "tashan")

	r := h.Must(200, "PATCH", "/v1/workers/"+id, staff, map[string]any{"occupation": "courier", "mobile": "13700000006"})
	if r.Str("occupation") != "courier" || r.Str("mobile") != "137****0006" {
		t.Errorf("patched = %s", r.Raw)
	}
	// The same values again change nothing and emit nothing.
	h.Must(200, "PATCH", "/v1/workers/"+id, staff, map[string]any{"occupation": "courier", "mobile": "137-0000-0006"})
	h.Must(404, "PATCH", "/v1/workers/"+id, h.Staff("qishan", "changsheng"), map[string]any{"occupation": "courier"})
	h.Must(403, "PATCH", "/v1/workers/"+id, h.Worker(id), map[string]any{"occupation": "courier"})
	if r := h.Do("PATCH", "/v1/workers/"+id, staff, map[string]any{"political_status": "king"}); r.Status != 422 || r.Field() != "political_status" {
		t.Errorf("bad patch: %d %s", r.Status, r.Raw)
	}

	h.Must(422, "POST", "/v1/workers/"+id+"/leave", staff, map[string]any{"reason": ""})
	r = h.Must(200, "POST", "/v1/workers/"+id+"/leave", staff, map[string]any{"reason": "moved to another city"})
	if r.Str("status") != "left" {
		t.Errorf("status = %q", r.Str("status"))
	}
	h.Conflict("worker_left", "POST", "/v1/workers/"+id+"/leave", staff, map[string]any{"reason": "again"})
	h.Conflict("worker_left", "POST", "/v1/workers/"+id+"/checkins", h.Worker(id), map[string]any{"channel": "online"})

	evs := h.Published("registry")
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

	first := h.Must(201, "POST", "/v1/workers/"+id+"/checkins", h.Worker(id), map[string]any{"channel": "online"})
	if first.Str("community") != "tashan" || first.Str("street") != "qishan" {
		t.Errorf("check-in = %s", first.Raw)
	}
	again := h.Must(200, "POST", "/v1/workers/"+id+"/checkins", h.Worker(id), map[string]any{"channel": "online"})
	if again.Str("id") != first.Str("id") {
		t.Errorf("repeat check-in made a new one: %s vs %s", again.Str("id"), first.Str("id"))
	}
	// A worker may check in with a community of another street too.
	h.Must(201, "POST", "/v1/workers/"+id+"/checkins", h.Worker(id), map[string]any{"channel": "online", "community": "jianshelu"})

	h.Must(404, "POST", "/v1/workers/"+other+"/checkins", h.Worker(id), map[string]any{"channel": "online"})
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"channel": "carrier-pigeon"}, "channel"},
		{map[string]any{"channel": "station"}, "station_id"},
		{map[string]any{"channel": "station", "station_id": "0190a6c5-0000-7000-8000-000000000000"}, "station_id"},
		{map[string]any{"channel": "online", "community": "atlantis"}, "community"},
	} {
		if r := h.Do("POST", "/v1/workers/"+other+"/checkins", h.Worker(other), c.body); r.Status != 422 || r.Field() != c.field {
			t.Errorf("%v: %d %s", c.body, r.Status, r.Raw)
		}
	}

	evs := ofType(h.Published("registry"), "nuanxin.registry.worker.checked_in")
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
