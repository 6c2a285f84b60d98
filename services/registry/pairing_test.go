package registry_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/metrics"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/pii"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/registry"
)

const (
	pairingCreated   = "nuanxin.registry.pairing.created"
	pairingContacted = "nuanxin.registry.pairing.contacted"
	pairingEnded     = "nuanxin.registry.pairing.ended"
	pairingOverdue   = "nuanxin.registry.pairing.overdue"
)

// pair pairs a worker with the grid member "grid-li" and returns the
// pairing id.
func (h *harness) pair(workerID string) string {
	h.t.Helper()
	r := h.Must(201, "POST", "/v1/pairings", h.District(),
		map[string]any{"worker_id": workerID, "staff_subject": "grid-li", "staff_name": "李网格"})
	return r.Str("id")
}

// contact records a contact on a pairing at the given time.
func (h *harness) contact(pairingID string, at time.Time) {
	h.t.Helper()
	h.Must(201, "POST", "/v1/pairings/"+pairingID+"/contacts", h.District(),
		map[string]any{"contacted_at": at.Format(time.RFC3339Nano), "method": "visit"})
}

// backdate moves a pairing's creation back, as if it had been made days ago.
func (h *harness) backdate(pairingID string, days int) {
	h.t.Helper()
	if _, err := h.Pool.Exec(context.Background(),
		"UPDATE pairings SET created_at = created_at - make_interval(days => $2) WHERE id = $1", pairingID, days); err != nil {
		h.t.Fatal(err)
	}
}

// createdAt sets when a pairing was made, as if it had been made then.
func (h *harness) createdAt(pairingID string, at time.Time) {
	h.t.Helper()
	if _, err := h.Pool.Exec(context.Background(), "UPDATE pairings SET created_at = $2 WHERE id = $1", pairingID, at); err != nil {
		h.t.Fatal(err)
	}
}

// contactAt writes a contact at the given time straight into the table: the
// API takes contacts at most 90 days late, and the job looks further back.
func (h *harness) contactAt(pairingID string, at time.Time) {
	h.t.Helper()
	if _, err := h.Pool.Exec(context.Background(), `INSERT INTO pairing_contacts
		(id, pairing_id, contacted_at, method, recorded_by, recorded_at) VALUES (gen_random_uuid(), $1, $2, 'visit', 'grid-li', $2)`,
		pairingID, at); err != nil {
		h.t.Fatal(err)
	}
}

// endedAt ends a pairing at the given time, as if it had been ended then.
func (h *harness) endedAt(pairingID string, at time.Time) {
	h.t.Helper()
	if _, err := h.Pool.Exec(context.Background(),
		"UPDATE pairings SET ended_at = $2, ended_by = 'district', end_reason = '调岗' WHERE id = $1", pairingID, at); err != nil {
		h.t.Fatal(err)
	}
}

// flaggedMonths lists the months (YYYY-MM) a pairing is flagged overdue for,
// oldest first.
func (h *harness) flaggedMonths(pairingID string) []string {
	h.t.Helper()
	rows, err := h.Pool.Query(context.Background(),
		"SELECT to_char(month, 'YYYY-MM') FROM pairing_overdue_flags WHERE pairing_id = $1 ORDER BY month", pairingID)
	if err != nil {
		h.t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// instance is another registry service over the harness's database, as a
// second replica of the service would be.
func (h *harness) instance() *registry.Service {
	h.t.Helper()
	box, err := pii.NewBox(randomKey(), randomKey())
	if err != nil {
		h.t.Fatal(err)
	}
	return registry.NewService(registry.NewStore(h.Pool, outbox.Writer{Subjects: h.Subjects}, metrics.NewRegistry()), box, h.match)
}

// shanghaiMonth is the first instant of t's month in Asia/Shanghai.
func shanghaiMonth(t time.Time) time.Time {
	y, m, _ := t.In(registry.Shanghai).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, registry.Shanghai)
}

// ids lists the "id" of each item of a list answer.
func ids(r testenv.Response) []string {
	items, _ := r.Body["items"].([]any)
	out := []string{}
	for _, it := range items {
		out = append(out, it.(map[string]any)["id"].(string))
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestPairing_createAnswersPairingAndEmitsEventWithoutNames(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	w := h.registerWorker(1, "tashan")
	r := h.Must(201, "POST", "/v1/pairings", h.Staff("qishan", "tashan"),
		map[string]any{"worker_id": w, "staff_subject": "grid-li", "staff_name": "李网格", "note": "负责塔山网格三"})

	if r.Str("worker_id") != w || r.Str("street") != "qishan" || r.Str("community") != "tashan" ||
		r.Str("status") != "active" || r.Str("staff_name") != "李网格" || r.Body["last_contact_at"] != nil {
		t.Errorf("pairing = %s", r.Raw)
	}
	got := h.Must(200, "GET", "/v1/pairings/"+r.Str("id"), h.StreetAdmin("qishan"), nil)
	if got.Str("created_at") != r.Str("created_at") || got.Str("staff_subject") != "grid-li" {
		t.Errorf("read back = %s, created = %s", got.Raw, r.Raw)
	}

	evs := ofType(h.Published("registry"), pairingCreated)
	if len(evs) != 1 {
		t.Fatalf("pairing.created events = %d, want 1", len(evs))
	}
	e := evs[0]
	if e.Street != "qishan" || e.Envelope.Subject != r.Str("id") || !strings.HasSuffix(e.Subject, ".registry.qishan.pairing.created") {
		t.Errorf("envelope = %+v on %s", e.Envelope, e.Subject)
	}
	for _, want := range []string{`"pairing_id":"` + r.Str("id"), `"worker_id":"` + w, `"staff_subject":"grid-li"`, `"community":"tashan"`} {
		if !strings.Contains(string(e.Data), want) {
			t.Errorf("event data lacks %s: %s", want, e.Data)
		}
	}
	for _, secret := range []string{"李网格", "塔山网格", "骑手1"} {
		if strings.Contains(string(e.Data), secret) {
			t.Errorf("event data carries %q: %s", secret, e.Data)
		}
	}
}

func TestPairing_oneActivePerWorkerUntilEnded(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	w := h.registerWorker(1, "tashan")
	first := h.pair(w)

	again := map[string]any{"worker_id": w, "staff_subject": "grid-wang", "staff_name": "王网格"}
	r := h.Conflict("pairing_exists", "POST", "/v1/pairings", h.Staff("qishan", "tashan"), again)
	if r.Str("existing_pairing_id") != first {
		t.Errorf("existing_pairing_id = %q, want %q: %s", r.Str("existing_pairing_id"), first, r.Raw)
	}
	if n := h.count("pairings"); n != 1 {
		t.Errorf("pairings = %d, want 1", n)
	}

	// Ending needs a reason, then keeps the pairing as ended.
	r = h.Must(422, "POST", "/v1/pairings/"+first+"/end", h.Staff("qishan", "tashan"), map[string]any{"reason": " "})
	if r.Field() != "reason" {
		t.Errorf("field = %q", r.Field())
	}
	ended := h.Must(200, "POST", "/v1/pairings/"+first+"/end", h.Staff("qishan", "tashan"), map[string]any{"reason": "网格员调岗"})
	if ended.Str("status") != "ended" || ended.Str("ended_at") == "" || ended.Str("end_reason") != "网格员调岗" {
		t.Errorf("ended = %s", ended.Raw)
	}
	h.Conflict("pairing_ended", "POST", "/v1/pairings/"+first+"/end", h.District(), map[string]any{"reason": "again"})
	h.Conflict("pairing_ended", "POST", "/v1/pairings/"+first+"/contacts", h.District(),
		map[string]any{"contacted_at": time.Now().Format(time.RFC3339), "method": "phone"})

	second := h.Must(201, "POST", "/v1/pairings", h.Staff("qishan", "tashan"), again).Str("id")
	active := h.Must(200, "GET", "/v1/pairings?status=active&worker_id="+w, h.District(), nil)
	if got := ids(active); !sameSet(got, []string{second}) {
		t.Errorf("active pairings = %v, want [%s]", got, second)
	}

	evs := h.Published("registry")
	if n := len(ofType(evs, pairingEnded)); n != 1 {
		t.Errorf("pairing.ended events = %d, want 1", n)
	}
	if n := len(ofType(evs, pairingCreated)); n != 2 {
		t.Errorf("pairing.created events = %d, want 2", n)
	}
	if d := string(ofType(evs, pairingEnded)[0].Data); strings.Contains(d, "调岗") || !strings.Contains(d, `"ended_at"`) {
		t.Errorf("pairing.ended data = %s", d)
	}
}

func TestPairing_concurrentPairingsOfOneWorker_oneWins(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	w := h.registerWorker(1, "tashan")
	statuses := make(chan int, 8)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			r := h.Do("POST", "/v1/pairings", h.District(),
				map[string]any{"worker_id": w, "staff_subject": "grid-" + string(rune('a'+i)), "staff_name": "网格员"})
			statuses <- r.Status
		})
	}
	wg.Wait()
	close(statuses)
	won := 0
	for s := range statuses {
		switch s {
		case 201:
			won++
		case 409:
		default:
			t.Errorf("status %d", s)
		}
	}
	if won != 1 || h.count("pairings") != 1 {
		t.Errorf("created %d, pairings %d; want 1 and 1", won, h.count("pairings"))
	}
}

func TestPairing_workerWhoLeftCannotBePaired(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	w := h.registerWorker(1, "tashan")
	h.Must(200, "POST", "/v1/workers/"+w+"/leave", h.District(), map[string]any{"reason": "回老家"})
	h.Conflict("worker_left", "POST", "/v1/pairings", h.District(), map[string]any{"worker_id": w, "staff_subject": "grid-li", "staff_name": "李网格"})
	if n := h.count("pairings"); n != 0 {
		t.Errorf("pairings = %d, want 0", n)
	}
}

func TestPairing_badInputAnswersProblemNamingFieldAndWritesNothing(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	w := h.registerWorker(1, "tashan")
	before := len(h.Published("registry"))
	with := func(key string, v any) map[string]any {
		b := map[string]any{"worker_id": w, "staff_subject": "grid-li", "staff_name": "李网格"}
		if v == nil {
			delete(b, key)
		} else {
			b[key] = v
		}
		return b
	}
	cases := []struct {
		name   string
		token  string
		body   any
		status int
		field  string
	}{
		{"malformed JSON", h.District(), `{"worker_id":`, 400, "body"},
		{"unknown field", h.District(), with("staff_mobile", "13900000000"), 400, "staff_mobile"},
		{"no worker", h.District(), with("worker_id", nil), 422, "worker_id"},
		{"malformed worker id", h.District(), with("worker_id", "w-1"), 422, "worker_id"},
		{"unknown worker", h.District(), with("worker_id", "01900000-0000-7000-8000-000000000000"), 422, "worker_id"},
		{"worker of another street", h.StreetAdmin("jianshelu"), with("staff_subject", "grid-li"), 422, "worker_id"},
		{"worker of another community", h.Staff("qishan", "changsheng"), with("staff_subject", "grid-li"), 422, "worker_id"},
		{"no staff subject", h.District(), with("staff_subject", nil), 422, "staff_subject"},
		{"staff name too long", h.District(), with("staff_name", strings.Repeat("李", 51)), 422, "staff_name"},
		{"note too long", h.District(), with("note", strings.Repeat("备", 501)), 422, "note"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.Do("POST", "/v1/pairings", c.token, c.body)
			if r.Status != c.status || r.Field() != c.field {
				t.Fatalf("status %d field %q, want %d %q: %s", r.Status, r.Field(), c.status, c.field, r.Raw)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type = %q", ct)
			}
		})
	}
	if n := h.count("pairings"); n != 0 {
		t.Errorf("pairings written: %d", n)
	}
	if n := h.count("outbox"); n != 0 {
		t.Errorf("outbox rows written: %d", n)
	}
	if after := len(h.Messages("registry")); after != before {
		t.Errorf("stream grew from %d to %d events", before, after)
	}
}

func TestPairingContacts_recordedListedAndEmitted(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	w := h.registerWorker(1, "tashan")
	id := h.pair(w)
	earlier := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	later := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)

	// The paired staff member, by subject, from their own community.
	paired := h.Token(auth.Principal{Subject: "grid-li", Role: auth.CommunityStaff, Street: "qishan", Community: "tashan"})
	r := h.Must(201, "POST", "/v1/pairings/"+id+"/contacts", paired,
		map[string]any{"contacted_at": later.In(registry.Shanghai).Format(time.RFC3339), "method": "group_chat", "note": "微信群里问了近况"})
	if r.Str("pairing_id") != id || r.Str("method") != "group_chat" || r.Str("recorded_by") != "grid-li" {
		t.Errorf("contact = %s", r.Raw)
	}
	if at, _ := time.Parse(time.RFC3339, r.Str("contacted_at")); !at.Equal(later) {
		t.Errorf("contacted_at = %s, want %s", r.Str("contacted_at"), later)
	}
	// Any staff in scope, entered late.
	h.Must(201, "POST", "/v1/pairings/"+id+"/contacts", h.Staff("qishan", "tashan"),
		map[string]any{"contacted_at": earlier.Format(time.RFC3339), "method": "visit"})

	list := h.Must(200, "GET", "/v1/pairings/"+id+"/contacts", paired, nil)
	items, _ := list.Body["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["method"] != "group_chat" {
		t.Fatalf("contacts = %s, want 2, newest first", list.Raw)
	}
	got := h.Must(200, "GET", "/v1/pairings/"+id, h.District(), nil)
	if at, _ := time.Parse(time.RFC3339, got.Str("last_contact_at")); !at.Equal(later) {
		t.Errorf("last_contact_at = %q, want %s", got.Str("last_contact_at"), later)
	}

	evs := ofType(h.Published("registry"), pairingContacted)
	if len(evs) != 2 {
		t.Fatalf("pairing.contacted events = %d, want 2", len(evs))
	}
	var d event.PairingContactedData
	if err := json.Unmarshal(evs[0].Data, &d); err != nil {
		t.Fatal(err)
	}
	if d.PairingID != id || d.WorkerID != w || d.StaffSubject != "grid-li" || d.RecordedBy != "grid-li" ||
		d.Method != "group_chat" || d.Month != later.In(registry.Shanghai).Format("2006-01") || !d.ContactedAt.Equal(later) {
		t.Errorf("pairing.contacted data = %+v", d)
	}
	if strings.Contains(string(evs[0].Data), "微信群里") {
		t.Errorf("event carries the note: %s", evs[0].Data)
	}
}

func TestPairingContacts_badInputAnswersProblemNamingFieldAndWritesNothing(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	id := h.pair(h.registerWorker(1, "tashan"))
	before := len(h.Published("registry"))
	now := time.Now()
	with := func(key string, v any) map[string]any {
		b := map[string]any{"contacted_at": now.Add(-time.Hour).Format(time.RFC3339), "method": "phone", "note": "电话联系"}
		if v == nil {
			delete(b, key)
		} else {
			b[key] = v
		}
		return b
	}
	cases := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"in the future", with("contacted_at", now.Add(time.Hour).Format(time.RFC3339)), 422, "contacted_at"},
		{"more than 90 days ago", with("contacted_at", now.AddDate(0, 0, -91).Format(time.RFC3339)), 422, "contacted_at"},
		{"malformed time", with("contacted_at", "2026-11-30 09:30"), 422, "contacted_at"},
		{"date without time", with("contacted_at", "2026-11-30"), 422, "contacted_at"},
		{"no time", with("contacted_at", nil), 422, "contacted_at"},
		{"unknown method", with("method", "carrier_pigeon"), 422, "method"},
		{"no method", with("method", nil), 422, "method"},
		{"note too long", with("note", strings.Repeat("联", 501)), 422, "note"},
		{"time as a number", with("contacted_at", 1764493200), 400, "contacted_at"},
		{"malformed JSON", `{"method":"phone"`, 400, "body"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.Do("POST", "/v1/pairings/"+id+"/contacts", h.Staff("qishan", "tashan"), c.body)
			if r.Status != c.status || r.Field() != c.field {
				t.Fatalf("status %d field %q, want %d %q: %s", r.Status, r.Field(), c.status, c.field, r.Raw)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type = %q", ct)
			}
		})
	}
	if n := h.count("pairing_contacts"); n != 0 {
		t.Errorf("contacts written: %d", n)
	}
	if n := h.count("outbox"); n != 0 {
		t.Errorf("outbox rows written: %d", n)
	}
	if after := len(h.Messages("registry")); after != before {
		t.Errorf("stream grew from %d to %d events", before, after)
	}
}

func TestPairings_listIsScopedFilteredAndPaged(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	var tashan []string
	for i := range 3 {
		tashan = append(tashan, h.pair(h.registerWorker(i+1, "tashan")))
	}
	other := h.Must(201, "POST", "/v1/pairings", h.District(), map[string]any{
		"worker_id": h.registerWorker(9, "jianshelu"), "staff_subject": "grid-zhao", "staff_name": "赵网格"}).Str("id")

	var paged []string
	after := ""
	for range 5 {
		r := h.Must(200, "GET", "/v1/pairings?limit=2&after="+after, h.Staff("qishan", "tashan"), nil)
		paged = append(paged, ids(r)...)
		if after = r.Str("next"); after == "" {
			break
		}
	}
	if !sameSet(paged, tashan) {
		t.Errorf("tashan staff paged through %v, want %v", paged, tashan)
	}
	if got := ids(h.Must(200, "GET", "/v1/pairings?staff_subject=grid-zhao", h.District(), nil)); !sameSet(got, []string{other}) {
		t.Errorf("staff_subject filter = %v", got)
	}
	if got := ids(h.Must(200, "GET", "/v1/pairings", h.StreetAdmin("jianshelu"), nil)); !sameSet(got, []string{other}) {
		t.Errorf("jianshelu sees %v", got)
	}
	if r := h.Must(422, "GET", "/v1/pairings?community=tashan", h.StreetAdmin("jianshelu"), nil); r.Field() != "community" {
		t.Errorf("jianshelu filtering on tashan: field %q, want community", r.Field())
	}
	for _, q := range []string{"limit=0", "limit=x", "after=nope", "status=paused", "worker_id=w1"} {
		r := h.Must(422, "GET", "/v1/pairings?"+q, h.District(), nil)
		if want := strings.SplitN(q, "=", 2)[0]; r.Field() != want {
			t.Errorf("%s: field %q, want %q", q, r.Field(), want)
		}
	}
}

func TestPairing_roleAndScope(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	w := h.registerWorker(1, "tashan")
	id := h.pair(w)
	contact := map[string]any{"contacted_at": time.Now().Add(-time.Minute).Format(time.RFC3339), "method": "phone"}
	end := map[string]any{"reason": "调岗"}
	pairBody := map[string]any{"worker_id": w, "staff_subject": "grid-x", "staff_name": "X"}

	worker := h.Worker(w)
	for _, c := range []struct{ method, path string }{
		{"POST", "/v1/pairings"}, {"GET", "/v1/pairings"}, {"GET", "/v1/pairings/overdue"},
		{"GET", "/v1/pairings/" + id}, {"POST", "/v1/pairings/" + id + "/contacts"},
		{"GET", "/v1/pairings/" + id + "/contacts"}, {"POST", "/v1/pairings/" + id + "/end"},
	} {
		var body any
		switch {
		case c.method == "GET":
		case strings.HasSuffix(c.path, "/contacts"):
			body = contact
		case strings.HasSuffix(c.path, "/end"):
			body = end
		default:
			body = pairBody
		}
		if r := h.Do(c.method, c.path, worker, body); r.Status != 403 {
			t.Errorf("worker %s %s: %d, want 403", c.method, c.path, r.Status)
		}
		if r := h.Do(c.method, c.path, "", body); r.Status != 401 {
			t.Errorf("anonymous %s %s: %d, want 401", c.method, c.path, r.Status)
		}
	}

	for name, tok := range map[string]string{
		"another street's admin":    h.StreetAdmin("jianshelu"),
		"another street's staff":    h.Staff("jianshelu", "jianshelu"),
		"another community's staff": h.Staff("qishan", "changsheng"),
	} {
		t.Run(name, func(t *testing.T) {
			h.Must(404, "GET", "/v1/pairings/"+id, tok, nil)
			h.Must(404, "GET", "/v1/pairings/"+id+"/contacts", tok, nil)
			h.Must(404, "POST", "/v1/pairings/"+id+"/contacts", tok, contact)
			h.Must(404, "POST", "/v1/pairings/"+id+"/end", tok, end)
			if got := ids(h.Must(200, "GET", "/v1/pairings/overdue", tok, nil)); len(got) != 0 {
				t.Errorf("overdue list shows %v", got)
			}
		})
	}
	h.Must(404, "GET", "/v1/pairings/not-a-uuid", h.District(), nil)
	h.Must(404, "GET", "/v1/pairings/01900000-0000-7000-8000-000000000000", h.District(), nil)

	// The paired staff member sees and contacts their pairing from another
	// community, but ending it is for staff of the worker's community.
	paired := h.Token(auth.Principal{Subject: "grid-li", Role: auth.CommunityStaff, Street: "qishan", Community: "changsheng"})
	h.Must(200, "GET", "/v1/pairings/"+id, paired, nil)
	h.Must(201, "POST", "/v1/pairings/"+id+"/contacts", paired, contact)
	h.Must(403, "POST", "/v1/pairings/"+id+"/end", paired, end)
	if n := h.count("pairing_contacts"); n != 1 {
		t.Errorf("contacts = %d, want 1", n)
	}
	if n := h.count("pairings WHERE ended_at IS NOT NULL"); n != 0 {
		t.Errorf("ended pairings = %d, want 0", n)
	}
}

func TestPairing_followsTransferredWorker(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	w := h.registerWorker(1, "tashan")
	id := h.pair(w)
	h.Must(201, "POST", "/v1/workers/"+w+"/transfer", h.StreetAdmin("qishan"), map[string]any{"community": "jianshelu", "reason": "搬家"})

	h.Must(404, "GET", "/v1/pairings/"+id, h.Staff("qishan", "tashan"), nil)
	got := h.Must(200, "GET", "/v1/pairings/"+id, h.Staff("jianshelu", "jianshelu"), nil)
	if got.Str("street") != "jianshelu" || got.Str("community") != "jianshelu" {
		t.Errorf("pairing after transfer = %s", got.Raw)
	}
	h.Must(200, "POST", "/v1/pairings/"+id+"/end", h.Staff("jianshelu", "jianshelu"), map[string]any{"reason": "已转入本社区"})
}

func TestOverduePairings_monthIsCountedInShanghai(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	thisMonth := shanghaiMonth(time.Now())
	lastMonth := thisMonth.AddDate(0, -1, 0)

	// All three were paired before last month began.
	early := h.pair(h.registerWorker(1, "tashan"))     // reached 01:00 on the 1st of last month, Shanghai
	late := h.pair(h.registerWorker(2, "tashan"))      // reached 23:00 on the last day of the month before
	never := h.pair(h.registerWorker(3, "changsheng")) // never reached
	for _, id := range []string{early, late, never} {
		h.backdate(id, 80)
	}
	// 01:00 on the 1st in Shanghai is 17:00 UTC on the last day of the
	// month before: it counts for last month, not for the UTC month.
	earlyAt := lastMonth.Add(time.Hour)
	lateAt := lastMonth.Add(-time.Hour)
	if earlyAt.UTC().Month() == lastMonth.Month() {
		t.Fatalf("test setup: %s should fall in the previous UTC month", earlyAt.UTC())
	}
	h.contact(early, earlyAt)
	h.contact(late, lateAt)

	r := h.Must(200, "GET", "/v1/pairings/overdue?month="+lastMonth.Format("2006-01"), h.Staff("qishan", "tashan"), nil)
	if got := ids(r); !sameSet(got, []string{late}) {
		t.Errorf("tashan overdue last month = %v, want only the pairing reached the month before [%s]", got, late)
	}
	if items := r.Body["items"].([]any); len(items) == 1 {
		at, _ := time.Parse(time.RFC3339, items[0].(map[string]any)["last_contact_at"].(string))
		if !at.Equal(lateAt) {
			t.Errorf("last_contact_at = %v, want %s", at, lateAt.UTC())
		}
	}
	r = h.Must(200, "GET", "/v1/pairings/overdue?month="+lastMonth.Format("2006-01"), h.StreetAdmin("qishan"), nil)
	if got := ids(r); !sameSet(got, []string{late, never}) {
		t.Errorf("qishan overdue last month = %v, want %v", got, []string{late, never})
	}
	for _, it := range r.Body["items"].([]any) {
		if m := it.(map[string]any); m["id"] == never && m["last_contact_at"] != nil {
			t.Errorf("never reached: last_contact_at = %v, want null", m["last_contact_at"])
		}
	}

	// The month before last: the late contact counts for it, the early one
	// (last month in Shanghai) does not.
	r = h.Must(200, "GET", "/v1/pairings/overdue?month="+lastMonth.AddDate(0, -1, 0).Format("2006-01")+"&community=tashan", h.District(), nil)
	if got := ids(r); !sameSet(got, []string{early}) {
		t.Errorf("overdue the month before last = %v, want [%s]", got, early)
	}

	// By default: this month in Shanghai, when nobody has been reached yet.
	r = h.Must(200, "GET", "/v1/pairings/overdue", h.District(), nil)
	if r.Str("month") != thisMonth.Format("2006-01") || !sameSet(ids(r), []string{early, late, never}) {
		t.Errorf("overdue this month = %s %v", r.Str("month"), ids(r))
	}
	if got := ids(h.Must(200, "GET", "/v1/pairings/overdue?staff_subject=grid-li&community=changsheng", h.District(), nil)); !sameSet(got, []string{never}) {
		t.Errorf("grid-li's overdue in changsheng = %v, want [%s]", got, never)
	}
	if got := ids(h.Must(200, "GET", "/v1/pairings/overdue?staff_subject=grid-zhao", h.District(), nil)); len(got) != 0 {
		t.Errorf("grid-zhao's overdue = %v, want none", got)
	}
	for _, bad := range []string{"month=2026-13", "month=2026-1", "month=november", "limit=501"} {
		r := h.Must(422, "GET", "/v1/pairings/overdue?"+bad, h.District(), nil)
		if want := strings.SplitN(bad, "=", 2)[0]; r.Field() != want {
			t.Errorf("%s: field %q, want %q", bad, r.Field(), want)
		}
	}
}

func TestFlagOverduePairings_emitsExactlyOncePerPairAndMonth(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	now := time.Now()
	thisMonth := shanghaiMonth(now)
	inNextMonth := thisMonth.AddDate(0, 1, 3) // a run early next month checks this month

	reached := h.pair(h.registerWorker(1, "tashan"))
	h.contact(reached, now.Add(-time.Second))
	unreached := h.pair(h.registerWorker(2, "tashan"))
	// Made and reached last month only: overdue, with that contact as the
	// last one.
	lapsed := h.pair(h.registerWorker(3, "jianshelu"))
	h.createdAt(lapsed, thisMonth.AddDate(0, -1, 0).Add(time.Hour))
	lapsedAt := thisMonth.Add(-2 * time.Hour).Truncate(time.Second)
	h.contact(lapsed, lapsedAt)
	// Ended this month, or the worker left this month: not due.
	ended := h.pair(h.registerWorker(4, "tashan"))
	h.Must(200, "POST", "/v1/pairings/"+ended+"/end", h.District(), map[string]any{"reason": "调岗"})
	gone := h.registerWorker(5, "tashan")
	h.pair(gone)
	h.Must(200, "POST", "/v1/workers/"+gone+"/leave", h.District(), map[string]any{"reason": "离开本区"})

	// Two instances, each running twice at the same time.
	a, b := h.instance(), h.instance()
	var total sync.Map
	var wg sync.WaitGroup
	for i, svc := range []*registry.Service{a, b, a, b} {
		wg.Go(func() {
			n, err := svc.FlagOverduePairings(context.Background(), inNextMonth)
			if err != nil {
				t.Error(err)
			}
			total.Store(i, n)
		})
	}
	wg.Wait()
	sum := 0
	total.Range(func(_, v any) bool { sum += v.(int); return true })
	if sum != 2 {
		t.Errorf("concurrent runs flagged %d in all, want 2", sum)
	}
	if n, err := a.FlagOverduePairings(context.Background(), inNextMonth.Add(20*24*time.Hour)); err != nil || n != 0 {
		t.Errorf("a later run in the same month flagged %d (%v), want 0", n, err)
	}
	// Run during this month it checks the months before, when none of these
	// were due except the lapsed one, which was reached last month.
	if n, err := a.FlagOverduePairings(context.Background(), now); err != nil || n != 0 {
		t.Errorf("a run this month flagged %d (%v), want 0", n, err)
	}

	evs := ofType(h.Published("registry"), pairingOverdue)
	got := map[string]event.PairingOverdueData{}
	for _, e := range evs {
		var d event.PairingOverdueData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		if _, dup := got[d.PairingID]; dup {
			t.Errorf("pairing %s flagged twice", d.PairingID)
		}
		got[d.PairingID] = d
		if e.Street != d.Street || e.Envelope.Subject != d.PairingID {
			t.Errorf("envelope %+v for %+v", e.Envelope, d)
		}
	}
	if len(evs) != 2 {
		t.Fatalf("pairing.overdue events = %d, want 2: %+v", len(evs), got)
	}
	month := thisMonth.Format("2006-01")
	if d, ok := got[unreached]; !ok || d.Month != month || d.LastContactAt != nil || d.Street != "qishan" || d.Community != "tashan" || d.StaffSubject != "grid-li" {
		t.Errorf("unreached: %+v (flagged %v)", d, ok)
	}
	if d, ok := got[lapsed]; !ok || d.Month != month || d.LastContactAt == nil || !d.LastContactAt.Equal(lapsedAt) || d.Street != "jianshelu" {
		t.Errorf("lapsed: %+v (flagged %v), want last contact %s", d, ok, lapsedAt.UTC())
	}
	if n := h.count("pairing_overdue_flags"); n != 2 {
		t.Errorf("flags = %d, want 2", n)
	}
}

// overdueEvents reads the pairing.overdue events published so far, in stream
// order, failing on one that is not about its pairing.
func (h *harness) overdueEvents() []event.PairingOverdueData {
	h.t.Helper()
	var out []event.PairingOverdueData
	for _, e := range ofType(h.Published("registry"), pairingOverdue) {
		var d event.PairingOverdueData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			h.t.Fatal(err)
		}
		if e.Street != d.Street || e.Envelope.Subject != d.PairingID {
			h.t.Errorf("envelope %+v for %+v", e.Envelope, d)
		}
		out = append(out, d)
	}
	return out
}

func TestFlagOverduePairings_catchesUpEveryMissedMonthOnce(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	thisMonth := shanghaiMonth(time.Now())
	ago := func(n int) time.Time { return thisMonth.AddDate(0, -n, 0) }
	label := func(n int) string { return ago(n).Format("2006-01") }

	// All made on the 3rd five months ago, and the job has not run since.
	never := h.pair(h.registerWorker(1, "tashan"))
	reached := h.pair(h.registerWorker(2, "tashan"))
	ended := h.pair(h.registerWorker(3, "jianshelu"))
	for _, id := range []string{never, reached, ended} {
		h.createdAt(id, ago(5).AddDate(0, 0, 2))
	}
	// Reached three months ago and at 23:00 on last month's last day.
	reachedAt := ago(3).AddDate(0, 0, 10)
	h.contactAt(reached, reachedAt)
	h.contactAt(reached, thisMonth.Add(-time.Hour))
	// Ended three months ago: due only the two months before.
	h.endedAt(ended, ago(3).AddDate(0, 0, 5))
	want := map[string][]string{
		never:   {label(5), label(4), label(3), label(2), label(1)},
		reached: {label(5), label(4), label(2)},
		ended:   {label(5), label(4)},
	}

	// Two instances, each running twice at the same time, on the 10th.
	runAt := thisMonth.AddDate(0, 0, 9)
	a, b := h.instance(), h.instance()
	counts := make(chan int, 4)
	var wg sync.WaitGroup
	for _, svc := range []*registry.Service{a, b, a, b} {
		wg.Go(func() {
			n, err := svc.FlagOverduePairings(context.Background(), runAt)
			if err != nil {
				t.Error(err)
			}
			counts <- n
		})
	}
	wg.Wait()
	close(counts)
	sum := 0
	for n := range counts {
		sum += n
	}
	if sum != 10 {
		t.Errorf("concurrent runs flagged %d in all, want 10", sum)
	}
	if n, err := a.FlagOverduePairings(context.Background(), runAt.Add(10*24*time.Hour)); err != nil || n != 0 {
		t.Errorf("a second run flagged %d (%v), want 0", n, err)
	}
	for id, months := range want {
		if got := h.flaggedMonths(id); !slices.Equal(got, months) {
			t.Errorf("pairing %s flagged for %v, want %v", id, got, months)
		}
	}

	evs := h.overdueEvents()
	if len(evs) != 10 {
		t.Fatalf("pairing.overdue events = %d, want 10: %+v", len(evs), evs)
	}
	byPairing := map[string][]string{}
	for _, d := range evs {
		byPairing[d.PairingID] = append(byPairing[d.PairingID], d.Month)
		var wantLast *time.Time
		if d.PairingID == reached && d.Month == label(2) {
			wantLast = &reachedAt
		}
		if (d.LastContactAt == nil) != (wantLast == nil) || (wantLast != nil && !d.LastContactAt.Equal(*wantLast)) {
			t.Errorf("%s %s: last_contact_at = %v, want %v", d.PairingID, d.Month, d.LastContactAt, wantLast)
		}
	}
	for id, months := range want {
		if !slices.Equal(byPairing[id], months) {
			t.Errorf("pairing %s: events for %v, want %v in that order", id, byPairing[id], months)
		}
	}

	// Next month, this month is the one just ended: the two still active
	// pairings unreached in it are flagged, nothing else.
	if n, err := b.FlagOverduePairings(context.Background(), runAt.AddDate(0, 1, 0)); err != nil || n != 2 {
		t.Errorf("next month's run flagged %d (%v), want 2", n, err)
	}
	if n := h.count("pairing_overdue_flags"); n != 12 {
		t.Errorf("flags = %d, want 12", n)
	}
}

func TestFlagOverduePairings_catchUpStopsTwelveMonthsBack(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	thisMonth := shanghaiMonth(time.Now())
	id := h.pair(h.registerWorker(1, "tashan"))
	h.createdAt(id, thisMonth.AddDate(-2, 0, 0)) // two years unreached, never checked
	svc := h.instance()

	var want []string
	for n := 12; n >= 1; n-- {
		want = append(want, thisMonth.AddDate(0, -n, 0).Format("2006-01"))
	}
	if n, err := svc.FlagOverduePairings(context.Background(), thisMonth.AddDate(0, 0, 9)); err != nil || n != 12 {
		t.Errorf("flagged %d (%v), want 12", n, err)
	}
	if got := h.flaggedMonths(id); !slices.Equal(got, want) {
		t.Errorf("flagged for %v, want the twelve months just ended %v", got, want)
	}

	// Down for another three months: the three months since, nothing older.
	for n := range 3 {
		want = append(want, thisMonth.AddDate(0, n, 0).Format("2006-01"))
	}
	if n, err := svc.FlagOverduePairings(context.Background(), thisMonth.AddDate(0, 3, 9)); err != nil || n != 3 {
		t.Errorf("after three more months: flagged %d (%v), want 3", n, err)
	}
	if got := h.flaggedMonths(id); !slices.Equal(got, want) {
		t.Errorf("flagged for %v, want %v", got, want)
	}
	if evs := h.overdueEvents(); len(evs) != 15 {
		t.Errorf("pairing.overdue events = %d, want 15", len(evs))
	}
}

func TestRunOverdueJob_runsAtStartAndStopsWithContext(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	id := h.pair(h.registerWorker(1, "tashan"))
	// Made at the start of last month and unreached: one month to flag.
	h.createdAt(id, shanghaiMonth(time.Now()).AddDate(0, -1, 0).Add(time.Hour))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		registry.RunOverdueJob(ctx, h.instance(), time.Hour, slog.New(slog.DiscardHandler))
	}()
	testenv.Eventually(t, 10*time.Second, func() bool { return h.count("pairing_overdue_flags") == 1 })
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunOverdueJob did not stop with its context")
	}
	if n := len(ofType(h.Published("registry"), pairingOverdue)); n != 1 {
		t.Errorf("pairing.overdue events = %d, want 1", n)
	}
}

func TestLeave_endsTheWorkersActivePairingInTheSameTransaction(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	w := h.registerWorker(31, "tashan")
	id := h.pair(w)
	h.Must(200, "POST", "/v1/workers/"+w+"/leave", h.Staff("qishan", "tashan"), map[string]any{"reason": "回老家了"})

	r := h.Must(200, "GET", "/v1/pairings/"+id, h.District(), nil)
	if r.Str("status") != "ended" || !strings.Contains(r.Str("end_reason"), "回老家了") {
		t.Errorf("pairing after the worker left = %s", r.Raw)
	}
	ended := ofType(h.Published("registry"), "nuanxin.registry.pairing.ended")
	if len(ended) != 1 || ended[0].Envelope.Subject != id {
		t.Errorf("pairing.ended events = %v", ended)
	}
}
