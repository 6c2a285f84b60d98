package registry_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// enrolment is the enrolment token the identity service would hand the
// holder of mobile, signed with the harness's key.
func (h *harness) enrolment(mobile string) string {
	h.t.Helper()
	tok, err := auth.IssueEnrolment(h.Key, h.match.Of(mobile), time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

// selfBody is a rider's own valid registration in community.
func selfBody(serial int, community string) map[string]any {
	return map[string]any{
		"name": "骑手" + mobile(serial)[7:], "mobile": mobile(serial), "id_number": idNumber(serial),
		"occupation": "food_delivery", "platform": "美团", "community": community,
	}
}

// selfRegister registers rider serial themself in community, returning the worker id.
func (h *harness) selfRegister(serial int, community string) string {
	h.t.Helper()
	return h.Must(201, "POST", "/v1/self-registrations", h.enrolment(mobile(serial)), selfBody(serial, community)).Str("worker_id")
}

func workerData(t *testing.T, e event.Envelope) event.WorkerData {
	t.Helper()
	var d event.WorkerData
	if err := e.Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestSelfRegistration_registersAwaitingWorkerChecksInOnlineAndPublishesTheMobileMatchOnly(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	body := selfBody(21, "changsheng")
	r := h.Must(201, "POST", "/v1/self-registrations", h.enrolment(mobile(21)), body)

	id := r.Str("worker_id")
	if r.Str("street") != "qishan" || r.Str("community") != "changsheng" || r.Str("confirmation") != "awaiting" || r.Str("status") != "active" {
		t.Errorf("answer = %s", r.Raw)
	}
	if got, want := r.Str("mobile"), "139****0021"; got != want {
		t.Errorf("mobile = %q, want masked %q", got, want)
	}
	if strings.Contains(string(r.Raw), idNumber(21)) || strings.Contains(string(r.Raw), mobile(21)) {
		t.Errorf("answer carries the full mobile or ID number: %s", r.Raw)
	}

	w := h.Must(200, "GET", "/v1/workers/"+id, h.Staff("qishan", "changsheng"), nil)
	if w.Body["self_registered"] != true || w.Str("confirmation") != "awaiting" || w.Str("political_status") != "masses" {
		t.Errorf("worker = %s", w.Raw)
	}
	var createdBy, channel string
	if err := h.Pool.QueryRow(context.Background(), `SELECT w.created_by, c.channel FROM workers w
		JOIN checkins c ON c.worker_id = w.id AND c.community = w.community WHERE w.id = $1`, id).Scan(&createdBy, &channel); err != nil {
		t.Fatalf("the check-in: %v", err)
	}
	if createdBy != "self-registration" || channel != "online" {
		t.Errorf("created_by, channel = %q, %q", createdBy, channel)
	}

	evs := h.Published("registry")
	reg := ofType(evs, "nuanxin.registry.worker.registered")
	ci := ofType(evs, "nuanxin.registry.worker.checked_in")
	if len(reg) != 1 || len(ci) != 1 {
		t.Fatalf("registered, checked_in events = %d, %d; want 1, 1", len(reg), len(ci))
	}
	d := workerData(t, reg[0].Envelope)
	if d.WorkerID != id || !d.SelfRegistered || d.Confirmation != "awaiting" || d.Status != "active" {
		t.Errorf("registered data = %s", reg[0].Data)
	}
	if want := h.match.Of(mobile(21)); d.MobileMatch != want {
		t.Errorf("mobile_match = %q, want %q", d.MobileMatch, want)
	}
	var cd event.CheckInData
	if err := ci[0].Decode(&cd); err != nil || cd.WorkerID != id || cd.Channel != "online" || cd.Community != "changsheng" {
		t.Errorf("checked_in data = %s (%v)", ci[0].Data, err)
	}
	for _, e := range append(reg, ci...) {
		for _, secret := range []string{mobile(21), idNumber(21), body["name"].(string)} {
			if strings.Contains(string(e.Data), secret) {
				t.Errorf("%s carries personal data %q: %s", e.Type, secret, e.Data)
			}
		}
	}
}

func TestSelfRegistration_retryWithTheSameMobileAnswersTheFirstRegistration(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	first := h.selfRegister(22, "tashan")
	// A retry, even with a field changed, answers what is registered.
	again := testenv.With(selfBody(22, "tashan"), map[string]any{"platform": "饿了么"})
	r := h.Must(200, "POST", "/v1/self-registrations", h.enrolment(mobile(22)), again)
	if r.Str("worker_id") != first || r.Str("platform") != "美团" {
		t.Errorf("retry answered %s, want worker %s as registered", r.Raw, first)
	}
	if n := h.count("workers"); n != 1 {
		t.Errorf("workers = %d, want 1", n)
	}
	if n := h.count("checkins"); n != 1 {
		t.Errorf("checkins = %d, want 1", n)
	}
	if n := len(ofType(h.Published("registry"), "nuanxin.registry.worker.registered")); n != 1 {
		t.Errorf("registered events = %d, want 1", n)
	}
}

func TestSelfRegistration_refusesConflictsWithoutNamingAnotherWorker(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	clerks := h.registerWorker(30, "tashan")
	before := h.count("workers")

	// The ID number of a worker already in the ledger, under another mobile.
	dupID := testenv.With(selfBody(31, "tashan"), map[string]any{"id_number": idNumber(30)})
	r := h.Conflict("id_number_registered", "POST", "/v1/self-registrations", h.enrolment(mobile(31)), dupID)
	if strings.Contains(string(r.Raw), clerks) || r.Str("existing_worker_id") != "" {
		t.Errorf("the conflict names the other worker: %s", r.Raw)
	}
	// The mobile of a worker a clerk registered: sign in instead.
	sameMobile := testenv.With(selfBody(32, "tashan"), map[string]any{"mobile": mobile(30)})
	r = h.Conflict("mobile_registered", "POST", "/v1/self-registrations", h.enrolment(mobile(30)), sameMobile)
	if !strings.Contains(r.Str("detail"), "sign in again") || strings.Contains(string(r.Raw), clerks) {
		t.Errorf("mobile conflict = %s", r.Raw)
	}
	if n := h.count("workers"); n != before {
		t.Errorf("workers = %d, want %d", n, before)
	}
}

func TestSelfRegistration_refusesTokensThatAreNotAValidEnrolmentWith401(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	expired, _ := auth.IssueEnrolment(h.Key, h.match.Of(mobile(40)), -time.Hour)
	forged, _ := auth.IssueEnrolment(otherKey, h.match.Of(mobile(40)), time.Hour)
	cases := []struct{ name, token string }{
		{"no token", ""},
		{"expired", expired},
		{"forged", forged},
		{"an access token", h.District()},
		{"a worker's access token", h.Worker(h.registerWorker(41, "tashan"))},
		{"garbage", "not-a-token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"POST /v1/self-registrations", "GET /v1/self-registrations/places"} {
				method, p, _ := strings.Cut(path, " ")
				var body any
				if method == "POST" {
					body = selfBody(40, "tashan")
				}
				r := h.Do(method, p, tc.token, body)
				if r.Status != 401 || r.Header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%s: %d %s %s", path, r.Status, r.Header.Get("Content-Type"), r.Raw)
				}
			}
		})
	}
	if n := h.count("workers"); n != 1 {
		t.Errorf("workers = %d, want 1", n)
	}
}

func TestSelfRegistration_badInputAnswersProblemNamingFieldAndWritesNothing(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	tok := h.enrolment(mobile(50))
	with := func(key string, v any) map[string]any {
		return testenv.With(selfBody(50, "tashan"), map[string]any{key: v})
	}
	cases := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"malformed JSON", `{"name": "张三",`, 400, "body"},
		{"unknown field", with("political_status", "party_member"), 400, "political_status"},
		{"no name", with("name", nil), 422, "name"},
		{"ID number with wrong check character", with("id_number", withWrongCheck(idNumber(50))), 422, "id_number"},
		{"bad mobile", with("mobile", "12345678901"), 422, "mobile"},
		{"unknown occupation", with("occupation", "astronaut"), 422, "occupation"},
		{"no community", with("community", nil), 422, "community"},
		{"unknown community", with("community", "nowhere"), 422, "community"},
		{"platform too long", with("platform", strings.Repeat("平", 51)), 422, "platform"},
		{"another mobile than the token's", with("mobile", mobile(51)), 403, "mobile"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("POST", "/v1/self-registrations", tok, tc.body)
			if r.Status != tc.status || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d (%s), want %d: %s", r.Status, r.Header.Get("Content-Type"), tc.status, r.Raw)
			}
			field := r.Field()
			if field == "" {
				field = r.Str("field")
			}
			if field != tc.field {
				t.Errorf("field = %q, want %q: %s", field, tc.field, r.Raw)
			}
		})
	}
	if n := h.count("workers") + h.count("checkins"); n != 0 {
		t.Errorf("workers + checkins = %d, want 0", n)
	}
	if n := len(h.Published("registry")); n != 5 { // the org's own events
		t.Errorf("events = %d, want only the 5 of the org", n)
	}
}

func TestSelfRegistrationPlaces_listsStreetsAndCommunitiesByCodeAndName(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	r := h.Must(200, "GET", "/v1/self-registrations/places", h.enrolment(mobile(60)), nil)
	var got struct {
		Streets []struct {
			Code, Name  string
			Communities []struct{ Code, Name string }
		}
	}
	if err := json.Unmarshal(r.Raw, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Streets) != 2 || got.Streets[1].Code != "qishan" || got.Streets[1].Name != "奇山街道" ||
		len(got.Streets[1].Communities) != 2 || got.Streets[1].Communities[1].Name != "塔山社区" {
		t.Errorf("places = %s", r.Raw)
	}
}

func TestSelfRegistrationQueue_isScopedAndOldestFirst(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	a := h.selfRegister(70, "tashan")
	b := h.selfRegister(71, "changsheng")
	c := h.selfRegister(72, "jianshelu")
	h.registerWorker(73, "tashan") // registered by a clerk: not in the queue
	cases := []struct {
		name  string
		token string
		query string
		want  []string
	}{
		{"district admin sees all", h.District(), "", []string{a, b, c}},
		{"street admin sees their street", h.StreetAdmin("qishan"), "", []string{a, b}},
		{"community staff see their community", h.Staff("qishan", "changsheng"), "", []string{b}},
		{"other street's admin", h.StreetAdmin("jianshelu"), "", []string{c}},
		{"confirmed ones: none yet", h.District(), "?confirmation=confirmed", nil},
		{"a page", h.District(), "?limit=2", []string{a, b}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Must(200, "GET", "/v1/self-registrations"+tc.query, tc.token, nil)
			var ids []string
			for _, it := range r.Items() {
				m := it.(map[string]any)
				ids = append(ids, m["id"].(string))
				if mob, _ := m["mobile"].(string); !strings.Contains(mob, "****") || m["created_at"] == nil {
					t.Errorf("item = %v", m)
				}
			}
			if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
				t.Errorf("ids = %v, want %v", ids, tc.want)
			}
		})
	}
	h.Must(403, "GET", "/v1/self-registrations", h.Worker(a), nil)
	h.Must(422, "GET", "/v1/self-registrations?confirmation=maybe", h.District(), nil)
}

func TestSelfRegistrationDecisions(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	confirmed := h.selfRegister(80, "tashan")
	rejected := h.selfRegister(81, "tashan")
	clerks := h.registerWorker(82, "tashan")
	reason := map[string]any{"reason": "电话核实"}

	// Out of scope: as if there were no such worker.
	for _, tok := range []string{h.StreetAdmin("jianshelu"), h.Staff("qishan", "changsheng")} {
		h.Must(404, "POST", "/v1/workers/"+confirmed+"/confirm", tok, reason)
		h.Must(404, "POST", "/v1/workers/"+rejected+"/reject", tok, reason)
	}
	h.Must(403, "POST", "/v1/workers/"+confirmed+"/confirm", h.Worker(confirmed), reason)
	if r := h.Must(422, "POST", "/v1/workers/"+rejected+"/reject", h.Staff("qishan", "tashan"), map[string]any{"reason": ""}); r.Field() != "reason" {
		t.Errorf("no reason: %s", r.Raw)
	}
	h.Must(422, "POST", "/v1/workers/"+rejected+"/reject", h.Staff("qishan", "tashan"), map[string]any{"reason": strings.Repeat("因", 201)})

	c := h.Must(200, "POST", "/v1/workers/"+confirmed+"/confirm", h.Staff("qishan", "tashan"), map[string]any{}) // a confirmation needs no reason
	if c.Str("confirmation") != "confirmed" || c.Str("status") != "active" {
		t.Errorf("confirmed = %s", c.Raw)
	}
	rj := h.Must(200, "POST", "/v1/workers/"+rejected+"/reject", h.StreetAdmin("qishan"), map[string]any{"reason": "身份信息不实"})
	if rj.Str("confirmation") != "rejected" || rj.Str("status") != "rejected" || rj.Str("decision_reason") != "身份信息不实" {
		t.Errorf("rejected = %s", rj.Raw)
	}

	// Deciding twice, or on a worker a clerk registered, is a conflict.
	h.Conflict("selfreg_decided", "POST", "/v1/workers/"+confirmed+"/confirm", h.District(), reason)
	h.Conflict("selfreg_decided", "POST", "/v1/workers/"+confirmed+"/reject", h.District(), reason)
	h.Conflict("selfreg_decided", "POST", "/v1/workers/"+rejected+"/confirm", h.District(), reason)
	h.Conflict("not_self_registered", "POST", "/v1/workers/"+clerks+"/confirm", h.District(), reason)

	evs := h.Published("registry")
	conf := ofType(evs, "nuanxin.registry.worker.confirmed")
	rej := ofType(evs, "nuanxin.registry.worker.rejected")
	if len(conf) != 1 || len(rej) != 1 {
		t.Fatalf("confirmed, rejected events = %d, %d; want 1, 1", len(conf), len(rej))
	}
	if d := workerData(t, conf[0].Envelope); d.WorkerID != confirmed || d.Confirmation != "confirmed" || d.Status != "active" ||
		d.MobileMatch != h.match.Of(mobile(80)) {
		t.Errorf("confirmed data = %s", conf[0].Data)
	}
	if d := workerData(t, rej[0].Envelope); d.WorkerID != rejected || d.Confirmation != "rejected" || d.Status != "rejected" ||
		d.MobileMatch != h.match.Of(mobile(81)) || strings.Contains(string(rej[0].Data), "身份信息不实") {
		t.Errorf("rejected data = %s", rej[0].Data)
	}

	// The queue by decision, and the worker list by status.
	q := h.Must(200, "GET", "/v1/self-registrations?confirmation=rejected", h.District(), nil)
	if len(q.Items()) != 1 || q.Items()[0].(map[string]any)["id"] != rejected {
		t.Errorf("rejected queue = %s", q.Raw)
	}
	if n := len(h.Must(200, "GET", "/v1/self-registrations", h.District(), nil).Items()); n != 0 {
		t.Errorf("awaiting = %d, want 0", n)
	}
	l := h.Must(200, "GET", "/v1/workers?status=rejected", h.District(), nil)
	if len(l.Items()) != 1 || l.Items()[0].(map[string]any)["id"] != rejected {
		t.Errorf("rejected workers = %s", l.Raw)
	}
	// A rejected worker is not in the ledger: they neither leave, check in
	// nor are paired, and the refusal says why (not "left").
	h.Conflict("selfreg_rejected", "POST", "/v1/workers/"+rejected+"/leave", h.District(), map[string]any{"reason": "搬走"})
	h.Conflict("selfreg_rejected", "POST", "/v1/workers/"+rejected+"/checkins", h.District(), map[string]any{"channel": "offline"})
	h.Conflict("selfreg_rejected", "POST", "/v1/pairings", h.District(),
		map[string]any{"worker_id": rejected, "staff_subject": "grid-wang", "staff_name": "王网格"})
}

// Every worker event carries the match of the worker's current mobile,
// whatever made it: staff's registration, an update of the mobile, a
// departure.
func TestWorkerEvents_carryTheMatchOfTheCurrentMobile(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	id := h.registerWorker(90, "tashan")
	h.Must(200, "PATCH", "/v1/workers/"+id, h.District(), map[string]any{"mobile": mobile(91)})
	h.Must(200, "PATCH", "/v1/workers/"+id, h.District(), map[string]any{"platform": "饿了么"})
	h.Must(200, "POST", "/v1/workers/"+id+"/leave", h.District(), map[string]any{"reason": "搬走"})
	want := map[string]string{
		"nuanxin.registry.worker.registered": h.match.Of(mobile(90)),
		"nuanxin.registry.worker.updated":    h.match.Of(mobile(91)),
		"nuanxin.registry.worker.left":       h.match.Of(mobile(91)),
	}
	n := 0
	for _, e := range h.Published("registry") {
		w, ok := want[e.Type]
		if !ok {
			continue
		}
		n++
		if d := workerData(t, e.Envelope); d.MobileMatch != w {
			t.Errorf("%s: mobile_match = %q, want %q", e.Type, d.MobileMatch, w)
		}
		for _, m := range []string{mobile(90), mobile(91)} {
			if strings.Contains(string(e.Data), m) {
				t.Errorf("%s carries the mobile: %s", e.Type, e.Data)
			}
		}
	}
	if n != 4 {
		t.Errorf("worker events = %d, want 4", n)
	}
}

// Two taps at once make one worker: the other answers the same registration.
func TestSelfRegistration_concurrentRetriesMakeOneWorker(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	tok := h.enrolment(mobile(95))
	const n = 6
	var wg sync.WaitGroup
	answers := make([]testenv.Response, n)
	for i := range n {
		wg.Go(func() { answers[i] = h.Do("POST", "/v1/self-registrations", tok, selfBody(95, "tashan")) })
	}
	wg.Wait()
	created, ids := 0, map[string]bool{}
	for _, r := range answers {
		switch r.Status {
		case 201:
			created++
		case 200:
		default:
			t.Errorf("status %d: %s", r.Status, r.Raw)
		}
		ids[r.Str("worker_id")] = true
	}
	if created != 1 || len(ids) != 1 {
		t.Errorf("created %d, worker ids %v; want one of each", created, ids)
	}
	if w, c := h.count("workers"), h.count("checkins"); w != 1 || c != 1 {
		t.Errorf("workers, checkins = %d, %d; want 1, 1", w, c)
	}
}

// Workers registered before events carried the mobile's match are told it
// once, by a worker.updated naming mobile_match, so their riders can sign
// in; workers told already are not told again.
func TestTellMobileMatches_tellsTheUntoldOnce(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	old := h.registerWorker(70, "tashan")
	told := h.registerWorker(71, "tashan")
	// As a worker registered before the upgrade: never told.
	if _, err := h.Pool.Exec(t.Context(), `UPDATE workers SET match_told = false WHERE id = $1`, old); err != nil {
		t.Fatal(err)
	}
	if n, err := h.svc.TellMobileMatches(t.Context()); err != nil || n != 1 {
		t.Fatalf("told %d (%v), want 1", n, err)
	}
	if n, err := h.svc.TellMobileMatches(t.Context()); err != nil || n != 0 {
		t.Fatalf("the second time told %d (%v), want 0", n, err)
	}
	var updates []event.WorkerData
	for _, e := range h.Published("registry") {
		if e.Type == event.WorkerUpdated.Type() {
			updates = append(updates, workerData(t, e.Envelope))
		}
	}
	if len(updates) != 1 || updates[0].WorkerID != old || updates[0].MobileMatch != h.match.Of(mobile(70)) ||
		!slices.Equal(updates[0].Changed, []string{"mobile_match"}) || updates[0].Status != "active" {
		t.Errorf("updates published: %+v (the told worker %s must not be one)", updates, told)
	}
}
