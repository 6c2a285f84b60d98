package registry_test

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/registry"
)

// partyStep is the body of POST /v1/workers/{id}/political-status.
func partyStep(to, on, note string) map[string]any {
	return map[string]any{"to": to, "effective_on": on, "party_org": "奇山街道新业态党支部", "note": note}
}

// partyItems returns the items of a list answer.
func partyItems(t *testing.T, r testenv.Response) []map[string]any {
	t.Helper()
	raw, _ := r.Body["items"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, it := range raw {
		out = append(out, it.(map[string]any))
	}
	return out
}

// partyStatus reads the worker's political status as the district sees it.
func (h *harness) partyStatus(id string) string {
	h.t.Helper()
	return h.Must(200, "GET", "/v1/workers/"+id, h.District(), nil).Str("political_status")
}

// partyDay is a Beijing date days from today, written YYYY-MM-DD.
func partyDay(days int) string {
	return time.Now().In(registry.Shanghai).AddDate(0, 0, days).Format("2006-01-02")
}

func TestPartyStatus_everyLegalStepMovesTheWorkerAndIsRecordedWithItsEvent(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	staff := h.Staff("qishan", "tashan")
	candidate := h.registerWorker(1, "tashan")
	dropout := h.registerWorker(2, "tashan")

	steps := []struct {
		name   string
		worker string
		body   map[string]any
		status int
		field  string // on a 422
	}{
		{"masses join the league", candidate, partyStep("league_member", "2020-03-01", ""), 201, ""},
		{"a league member applies", candidate, partyStep("applicant", "2021-01-10", ""), 201, ""},
		{"applicant becomes activist", candidate, partyStep("activist", "2021-07-01", ""), 201, ""},
		{"activist becomes development target", candidate, partyStep("development_target", "2022-07-01", ""), 201, ""},
		{"development target becomes probationary", candidate, partyStep("probationary_member", "2023-07-01", ""), 201, ""},
		{"full membership a day before the year is out is too early", candidate, partyStep("party_member", "2024-06-30", ""), 422, "effective_on"},
		{"full membership a year after probation", candidate, partyStep("party_member", "2024-07-01", ""), 201, ""},
		{"a full member is not moved along the pipeline", candidate, partyStep("masses", "2024-08-01", "left"), 422, "to"},

		{"masses apply", dropout, partyStep("applicant", "2023-01-01", ""), 201, ""},
		{"applicant becomes activist on the same day", dropout, partyStep("activist", "2023-01-01", ""), 201, ""},
		{"leaving the pipeline needs a note", dropout, partyStep("league_member", "2023-05-01", ""), 422, "note"},
		{"activist withdraws to the league", dropout, partyStep("league_member", "2023-05-01", "本人申请撤回"), 201, ""},
		{"league member returns to the masses", dropout, partyStep("masses", "2024-01-01", ""), 201, ""},
		{"masses apply again", dropout, partyStep("applicant", "2025-01-01", ""), 201, ""},
		{"applicant withdraws to the masses", dropout, partyStep("masses", partyDay(0), "工作调动"), 201, ""},
	}
	created := 0
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			before := h.partyStatus(s.worker)
			r := h.Do("POST", "/v1/workers/"+s.worker+"/political-status", staff, s.body)
			if r.Status != s.status {
				t.Fatalf("status = %d, want %d: %s", r.Status, s.status, r.Raw)
			}
			if s.status != 201 {
				if r.Field() != s.field {
					t.Errorf("field = %q, want %q: %s", r.Field(), s.field, r.Raw)
				}
				if got := h.partyStatus(s.worker); got != before {
					t.Errorf("status moved to %q on a refused step", got)
				}
				return
			}
			created++
			if r.Str("from") != before || r.Str("to") != s.body["to"] || r.Str("effective_on") != s.body["effective_on"] ||
				r.Str("street") != "qishan" || r.Str("community") != "tashan" || r.Str("actor_subject") != "community_staff-test" {
				t.Errorf("step = %s", r.Raw)
			}
			if got := h.partyStatus(s.worker); got != s.body["to"] {
				t.Errorf("worker's status = %q, want %q", got, s.body["to"])
			}
		})
	}

	history := partyItems(t, h.Must(200, "GET", "/v1/workers/"+candidate+"/political-status", staff, nil))
	if len(history) != 6 || history[0]["from"] != "masses" || history[5]["to"] != "party_member" {
		t.Errorf("candidate's history = %v", history)
	}
	mine := partyItems(t, h.Must(200, "GET", "/v1/workers/"+dropout+"/political-status", h.Worker(dropout), nil))
	if len(mine) != 6 || mine[2]["note"] != "本人申请撤回" {
		t.Errorf("the worker's own history = %v", mine)
	}
	if n := h.count("worker_status_steps"); n != created {
		t.Errorf("steps stored = %d, want %d", n, created)
	}

	evs := ofType(h.Published("registry"), "nuanxin.registry.worker.status_changed")
	if len(evs) != created {
		t.Fatalf("status_changed events = %d, want %d", len(evs), created)
	}
	last := evs[len(evs)-1]
	if want := h.Subjects.Namespace + ".registry.qishan.worker.status_changed"; last.Subject != want || last.Envelope.Subject != dropout {
		t.Errorf("subject = %q (entity %q), want %q", last.Subject, last.Envelope.Subject, want)
	}
	var d map[string]any
	if err := json.Unmarshal(last.Data, &d); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"worker_id": dropout, "street": "qishan", "community": "tashan", "from": "applicant",
		"to": "masses", "effective_on": partyDay(0), "party_org": "奇山街道新业态党支部"}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("event data %s = %v, want %v (%s)", k, d[k], v, last.Data)
		}
	}
	if _, ok := d["note"]; ok {
		t.Errorf("event carries the note: %s", last.Data)
	}
}

func TestPartyStatus_refusedStepsWriteNothingAndEmitNothing(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	staff := h.Staff("qishan", "tashan")
	id := h.registerWorker(3, "tashan")
	h.Must(201, "POST", "/v1/workers/"+id+"/political-status", staff, partyStep("applicant", "2025-03-01", ""))
	member := workerBody(4, "tashan")
	member["political_status"] = "party_member"
	memberID := h.Must(201, "POST", "/v1/workers", staff, member).Str("id")
	gone := h.registerWorker(5, "tashan")
	h.Must(200, "POST", "/v1/workers/"+gone+"/leave", staff, map[string]any{"reason": "回老家"})
	before := len(h.Published("registry"))
	steps := h.count("worker_status_steps")

	with := func(key string, v any) map[string]any {
		b := partyStep("activist", "2025-06-01", "")
		b[key] = v
		return b
	}
	cases := []struct {
		name   string
		worker string
		token  string
		body   any
		status int
		field  string // or, on a 409, the reason
	}{
		{"a jump over stages", id, staff, with("to", "development_target"), 422, "to"},
		{"straight to full membership", id, staff, with("to", "party_member"), 422, "to"},
		{"a step back inside the pipeline", id, staff, with("to", "applicant"), 422, "to"},
		{"into a democratic party", id, staff, with("to", "other_party"), 422, "to"},
		{"an unknown status", id, staff, with("to", "king"), 422, "to"},
		{"no target", id, staff, with("to", ""), 422, "to"},
		{"a full member's status", memberID, staff, with("to", "masses"), 422, "to"},
		{"a date in the future", id, staff, with("effective_on", partyDay(1)), 422, "effective_on"},
		{"a date before the previous step", id, staff, with("effective_on", "2025-02-28"), 422, "effective_on"},
		{"a date that is not a date", id, staff, with("effective_on", "2025-02-30"), 422, "effective_on"},
		{"no date", id, staff, with("effective_on", ""), 422, "effective_on"},
		{"no party organisation", id, staff, with("party_org", " "), 422, "party_org"},
		{"an unknown field", id, staff, with("mentor", "张书记"), 400, "mentor"},
		{"the worker stepping their own status", id, h.Worker(id), with("to", "activist"), 403, ""},
		{"staff of another street", id, h.Staff("jianshelu", "jianshelu"), with("to", "activist"), 404, ""},
		{"staff of another community", id, h.Staff("qishan", "changsheng"), with("to", "activist"), 404, ""},
		{"an admin of another street", id, h.StreetAdmin("jianshelu"), with("to", "activist"), 404, ""},
		{"a worker who has left", gone, staff, with("to", "applicant"), 409, "worker_left"},
		{"no such worker", "0190b7a4-0000-7000-8000-000000000000", staff, with("to", "activist"), 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.Do("POST", "/v1/workers/"+c.worker+"/political-status", c.token, c.body)
			if got := r.FieldOrReason(); r.Status != c.status || got != c.field {
				t.Fatalf("answer = %d on %q, want %d on %q: %s", r.Status, got, c.status, c.field, r.Raw)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type = %q", ct)
			}
		})
	}
	t.Run("PATCH cannot change the political status", func(t *testing.T) {
		r := h.Do("PATCH", "/v1/workers/"+id, staff, map[string]any{"political_status": "activist"})
		if r.Status != 422 || r.Field() != "political_status" {
			t.Fatalf("answer = %d: %s", r.Status, r.Raw)
		}
		// Sending the status it already has is not a change.
		h.Must(200, "PATCH", "/v1/workers/"+id, staff, map[string]any{"political_status": "applicant", "platform": "饿了么"})
	})

	if got := h.partyStatus(id); got != "applicant" {
		t.Errorf("status = %q, want applicant", got)
	}
	if n := h.count("worker_status_steps"); n != steps {
		t.Errorf("steps = %d, want %d", n, steps)
	}
	evs := h.Published("registry")
	if n := len(ofType(evs[before:], "nuanxin.registry.worker.status_changed")); n != 0 {
		t.Errorf("status_changed events after refusals = %d", n)
	}
	h.Must(404, "GET", "/v1/workers/"+id+"/political-status", h.Staff("jianshelu", "jianshelu"), nil)
	h.Must(404, "GET", "/v1/workers/"+id+"/political-status", h.Worker(memberID), nil)
}

func TestTransfer_receivingSideSeesTheWholeRecordAndSendingSideLosesTheWorker(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	sending := h.Staff("qishan", "tashan")
	receiving := h.Staff("jianshelu", "jianshelu")
	ent := h.Must(201, "POST", "/v1/enterprises", sending, map[string]any{"name": "美团奇山站", "kind": "delivery_station", "community": "tashan"}).Str("id")
	body := workerBody(6, "tashan")
	body["enterprise_id"] = ent
	id := h.Must(201, "POST", "/v1/workers", sending, body).Str("id")
	h.Must(201, "POST", "/v1/workers/"+id+"/checkins", h.Worker(id), map[string]any{"channel": "online"})
	h.Must(201, "POST", "/v1/workers/"+id+"/political-status", sending, partyStep("applicant", "2024-03-01", ""))
	h.Must(201, "POST", "/v1/workers/"+id+"/political-status", sending, partyStep("activist", "2024-09-01", ""))
	h.Must(404, "GET", "/v1/workers/"+id+"/political-status", receiving, nil)

	tr := h.Must(201, "POST", "/v1/workers/"+id+"/transfer", sending,
		map[string]any{"community": "jianshelu", "reason": "换了配送站", "effective_on": "2025-01-15"})
	if tr.Str("from_street") != "qishan" || tr.Str("from_community") != "tashan" || tr.Str("to_street") != "jianshelu" ||
		tr.Str("to_community") != "jianshelu" || tr.Str("effective_on") != "2025-01-15" {
		t.Errorf("transfer = %s", tr.Raw)
	}

	w := h.Must(200, "GET", "/v1/workers/"+id, receiving, nil)
	if w.Str("street") != "jianshelu" || w.Str("community") != "jianshelu" || w.Body["enterprise_id"] != nil {
		t.Errorf("moved worker = %s", w.Raw)
	}
	history := partyItems(t, h.Must(200, "GET", "/v1/workers/"+id+"/political-status", receiving, nil))
	if len(history) != 2 || history[0]["street"] != "qishan" || history[1]["to"] != "activist" {
		t.Errorf("history seen by the receiving side = %v", history)
	}
	// The receiving side carries the training on.
	next := h.Must(201, "POST", "/v1/workers/"+id+"/political-status", receiving, partyStep("development_target", "2025-03-01", ""))
	if next.Str("street") != "jianshelu" || next.Str("from") != "activist" {
		t.Errorf("step after transfer = %s", next.Raw)
	}
	for _, who := range []string{h.District(), receiving, h.Worker(id)} {
		if got := partyItems(t, h.Must(200, "GET", "/v1/workers/"+id+"/transfers", who, nil)); len(got) != 1 || got[0]["reason"] != "换了配送站" {
			t.Errorf("transfers = %v", got)
		}
	}
	for _, path := range []string{"", "/political-status", "/transfers"} {
		h.Must(404, "GET", "/v1/workers/"+id+path, sending, nil)
		h.Must(404, "GET", "/v1/workers/"+id+path, h.StreetAdmin("qishan"), nil)
	}
	h.Must(404, "POST", "/v1/workers/"+id+"/transfer", sending, map[string]any{"community": "tashan", "reason": "回来"})

	// Within one street: one event, and the enterprise link stays.
	local := workerBody(7, "tashan")
	local["enterprise_id"] = ent
	localID := h.Must(201, "POST", "/v1/workers", sending, local).Str("id")
	h.Must(201, "POST", "/v1/workers/"+localID+"/transfer", h.StreetAdmin("qishan"), map[string]any{"community": "changsheng", "reason": "搬家"})
	if got := h.Must(200, "GET", "/v1/workers/"+localID, h.Staff("qishan", "changsheng"), nil); got.Body["enterprise_id"] != ent {
		t.Errorf("enterprise within the street = %v", got.Body["enterprise_id"])
	}

	evs := ofType(h.Published("registry"), "nuanxin.registry.worker.transferred")
	if len(evs) != 3 {
		t.Fatalf("transferred events = %d, want 3", len(evs))
	}
	old, arrived := evs[0], evs[1]
	if old.Subject != h.Subjects.Namespace+".registry.qishan.worker.transferred" ||
		arrived.Subject != h.Subjects.Namespace+".registry.jianshelu.worker.transferred" {
		t.Errorf("subjects = %q, %q", old.Subject, arrived.Subject)
	}
	if old.ID == arrived.ID || string(old.Data) != string(arrived.Data) || old.Street != "qishan" || arrived.Street != "jianshelu" {
		t.Errorf("copies: %+v / %+v", old.Envelope, arrived.Envelope)
	}
	var d map[string]any
	if err := json.Unmarshal(old.Data, &d); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"worker_id": id, "from_street": "qishan", "from_community": "tashan", "to_street": "jianshelu",
		"to_community": "jianshelu", "political_status": "activist", "effective_on": "2025-01-15"}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("event data %s = %v, want %v (%s)", k, d[k], v, old.Data)
		}
	}
	if evs[2].Subject != h.Subjects.Namespace+".registry.qishan.worker.transferred" {
		t.Errorf("within-street subject = %q", evs[2].Subject)
	}
}

func TestTransfer_badInputsWriteNothingAndEmitNothing(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	staff := h.Staff("qishan", "tashan")
	id := h.registerWorker(8, "tashan")
	h.Must(201, "POST", "/v1/workers/"+id+"/transfer", staff, map[string]any{"community": "changsheng", "reason": "搬家", "effective_on": "2025-05-01"})
	staff = h.Staff("qishan", "changsheng")
	gone := h.registerWorker(9, "changsheng")
	h.Must(200, "POST", "/v1/workers/"+gone+"/leave", staff, map[string]any{"reason": "回老家"})
	before := len(h.Published("registry"))
	transfers := h.count("worker_transfers")

	with := func(key string, v any) map[string]any {
		b := map[string]any{"community": "jianshelu", "reason": "换站点"}
		b[key] = v
		return b
	}
	cases := []struct {
		name   string
		worker string
		token  string
		body   any
		status int
		field  string // or, on a 409, the reason
	}{
		{"an unknown community", id, staff, with("community", "atlantis"), 422, "community"},
		{"the community the worker is in", id, staff, with("community", "changsheng"), 422, "community"},
		{"no community", id, staff, with("community", ""), 422, "community"},
		{"no reason", id, staff, with("reason", ""), 422, "reason"},
		{"a date in the future", id, staff, with("effective_on", partyDay(1)), 422, "effective_on"},
		{"a date before the previous transfer", id, staff, with("effective_on", "2025-04-30"), 422, "effective_on"},
		{"a date that is not a date", id, staff, with("effective_on", "15/01/2025"), 422, "effective_on"},
		{"malformed JSON", id, staff, `{"community":`, 400, "body"},
		{"the worker moving themself", id, h.Worker(id), with("reason", "我想搬"), 403, ""},
		{"staff of the receiving street", id, h.Staff("jianshelu", "jianshelu"), with("reason", "抢人"), 404, ""},
		{"staff of the community the worker left", id, h.Staff("qishan", "tashan"), with("reason", "再调"), 404, ""},
		{"a worker who has left", gone, staff, with("reason", "调走"), 409, "worker_left"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.Do("POST", "/v1/workers/"+c.worker+"/transfer", c.token, c.body)
			if got := r.FieldOrReason(); r.Status != c.status || got != c.field {
				t.Fatalf("answer = %d on %q, want %d on %q: %s", r.Status, got, c.status, c.field, r.Raw)
			}
		})
	}

	if n := h.count("worker_transfers"); n != transfers {
		t.Errorf("transfers = %d, want %d", n, transfers)
	}
	w := h.Must(200, "GET", "/v1/workers/"+id, staff, nil)
	if w.Str("street") != "qishan" || w.Str("community") != "changsheng" {
		t.Errorf("worker moved: %s", w.Raw)
	}
	if n := len(ofType(h.Published("registry")[before:], "nuanxin.registry.worker.transferred")); n != 0 {
		t.Errorf("transferred events after refusals = %d", n)
	}
}

func TestPartyStatus_concurrentStepsOfOneWorkerRecordOnlyOne(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	id := h.registerWorker(10, "tashan")
	staff := h.Staff("qishan", "tashan")

	const clerks = 6
	statuses := make(chan int, clerks)
	var wg sync.WaitGroup
	for range clerks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- h.Do("POST", "/v1/workers/"+id+"/political-status", staff, partyStep("applicant", "2025-06-01", "")).Status
		}()
	}
	wg.Wait()
	close(statuses)
	got := map[int]int{}
	for s := range statuses {
		got[s]++
	}
	// The worker's row is locked for each step: the first moves it, the
	// others then find it already an applicant.
	if got[201] != 1 || got[422] != clerks-1 {
		t.Errorf("answers = %v, want one 201 and %d 422", got, clerks-1)
	}
	if n := h.count("worker_status_steps"); n != 1 {
		t.Errorf("steps = %d, want 1", n)
	}
	if n := len(ofType(h.Published("registry"), "nuanxin.registry.worker.status_changed")); n != 1 {
		t.Errorf("status_changed events = %d, want 1", n)
	}
}
