package points_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/db"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/points"
)

func TestEarn_attendanceCreditsByTheDefaultRuleOnceHoweverOftenDelivered(t *testing.T) {
	h := newHarness(t, nil)
	w := h.openAccount("qishan", "tashan")
	// Volunteer service of 2.5 hours: 5 for attending + 10 × 2.5 for the hours.
	e := h.attendance(w, "qishan", "volunteer_service", 2.5, true, time.Now().Add(-time.Hour))
	for range 4 {
		h.Republish(event.AttendanceRecorded, e)
	}
	h.Settled()
	r := h.Must(200, "GET", "/v1/accounts/"+w, h.Worker(w), nil)
	if r.Num("balance") != 30 || r.Num("hours") != 2.5 || r.Num("star") != 0 || r.Num("next_star_hours") != 100 {
		t.Fatalf("account: %s", r.Raw)
	}
	if n := h.count("SELECT count(*) FROM entries WHERE worker_id = $1", w); n != 1 {
		t.Fatalf("%d entries for one event delivered five times", n)
	}
	if n := h.count("SELECT count(*) FROM inbox WHERE event_id = $1", e.ID); n != 1 {
		t.Fatalf("%d inbox rows", n)
	}
	entries := h.Must(200, "GET", "/v1/accounts/"+w+"/entries", h.Worker(w), nil).Items()
	first := entries[0].(map[string]any)
	if first["kind"] != "earn" || first["points"] != 30.0 || first["cause_event_id"] != e.ID || first["balance_after"] != 30.0 {
		t.Fatalf("entry: %v", first)
	}
	// An activity that is not volunteer service earns its attendance points only.
	h.attendance(w, "qishan", "study", 1.5, false, time.Now().Add(-time.Hour))
	h.Settled()
	if b := h.balance(w); b != 35 {
		t.Fatalf("balance %d after a study session", b)
	}
	ev := h.Events(event.PointsEarned)
	if len(ev) != 2 {
		t.Fatalf("%d points.earned events", len(ev))
	}
	var d event.PointsData
	_ = json.Unmarshal(ev[0].Data, &d)
	if d.WorkerID != w || d.Points != 30 || d.Hours != 2.5 || d.Balance != 30 || d.CauseEventID != e.ID {
		t.Fatalf("points.earned: %+v", d)
	}
	h.checkLedger()
}

func TestEarn_correctedAttendanceIsReversedAndCreditedAgain(t *testing.T) {
	h := newHarness(t, nil)
	w := h.openAccount("qishan", "tashan")
	act := uuid.NewString()
	out := time.Now().Add(-3 * time.Hour)
	data := event.AttendanceData{ActivityID: act, WorkerID: w, Street: "qishan", Kind: "volunteer_service", Hours: 2,
		VolunteerService: true, CheckedInAt: out.Add(-2 * time.Hour), CheckedOutAt: out}
	h.Publish(event.AttendanceRecorded, "qishan", act, data) // 5 + 20
	h.Settled()
	// Staff correct it to 3 hours: the 25 are reversed and 35 credited.
	data.Hours, data.Corrects, data.PreviousHours = 3, true, 2
	h.Publish(event.AttendanceRecorded, "qishan", act, data)
	h.Settled()
	if b := h.balance(w); b != 35 {
		t.Fatalf("balance %d after correcting to 3 hours", b)
	}
	// The worker spends 30; then the hours are corrected down to 0.5.
	item := h.item("qishan", "", 30, 5)
	h.redeem(h.Worker(w), item, 1, uuid.NewString(), 201)
	data.Hours, data.PreviousHours = 0.5, 3
	h.Publish(event.AttendanceRecorded, "qishan", act, data)
	h.Settled()
	// Only the 5 left can be taken back; then 5 + 5 are credited for half an hour.
	if b := h.balance(w); b != 10 {
		t.Fatalf("balance %d after correcting down past what was spent", b)
	}
	kinds := []string{}
	rows, _ := h.Pool.Query(h.ctx, "SELECT kind || ':' || points || ':' || centihours FROM entries WHERE worker_id = $1 ORDER BY seq", w)
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		kinds = append(kinds, k)
	}
	want := []string{"earn:25:200", "reverse:-25:-200", "earn:35:300", "redeem:-30:0", "reverse:-5:-300", "earn:10:50"}
	if len(kinds) != len(want) {
		t.Fatalf("entries %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("entries %v, want %v", kinds, want)
		}
	}
	var reason string
	_ = h.Pool.QueryRow(h.ctx, "SELECT reason FROM entries WHERE worker_id = $1 AND points = -5", w).Scan(&reason)
	if reason == "corrected" || reason == "" {
		t.Fatalf("a partial reversal should say what stays spent: %q", reason)
	}
	// What stayed spent is not clawed back by a later correction from other points.
	h.fund(w, 100)
	data.PreviousHours = 0.5
	h.Publish(event.AttendanceRecorded, "qishan", act, data)
	h.Settled()
	if b := h.balance(w); b != 110 {
		t.Fatalf("balance %d after correcting again to the same half hour, want 110", b)
	}
	h.checkLedger()
}

func TestAccounts_aTransferSeenBeforeTheRegistrationWins(t *testing.T) {
	h := newHarness(t, nil)
	id := uuid.Must(uuid.NewV7()).String()
	registered, err := event.New(event.WorkerRegistered, "qishan", id, event.WorkerData{WorkerID: id, Street: "qishan",
		Community: "tashan", Status: "active"})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Millisecond)
	h.Publish(event.WorkerTransferred, "zhifu", id, event.WorkerTransferredData{WorkerID: id, FromStreet: "qishan",
		FromCommunity: "tashan", ToStreet: "zhifu", ToCommunity: "baishi"})
	h.Republish(event.WorkerRegistered, registered)
	h.Settled()
	r := h.Must(200, "GET", "/v1/accounts/"+id, h.Worker(id), nil)
	if r.Str("street") != "zhifu" || r.Str("community") != "baishi" {
		t.Fatalf("account: %s", r.Raw)
	}
}

func TestEarn_validReportsAndTheDailyCap(t *testing.T) {
	h := newHarness(t, nil)
	w := h.openAccount("qishan", "tashan")
	valid, invalid := true, false
	report := func(id string, to string, v *bool) event.Envelope {
		return h.Publish(event.ReportStatusChanged, "qishan", id, event.ReportStatusChangedData{ReportID: id, Street: "qishan",
			Community: "tashan", Category: "safety_hazard", From: "resolved", To: to, Valid: v, WorkerID: w})
	}
	r1 := uuid.NewString()
	report(r1, "accepted", nil)
	report(uuid.NewString(), "closed", &invalid)
	closed := report(r1, "closed", &valid) // 20 points
	h.Settled()
	if b := h.balance(w); b != 20 {
		t.Fatalf("balance %d after one valid report", b)
	}
	// The same report closed again (say, reopened upstream) earns nothing more.
	report(r1, "closed", &valid)
	h.Settled()
	if b := h.balance(w); b != 20 {
		t.Fatalf("balance %d after the report closed twice", b)
	}
	// A long day of service: the default cap of 200 a day holds. The cap
	// counts by the Shanghai day, so the service ends when the report was
	// closed: any fixed offset from now falls on the day before just after
	// Shanghai's midnight.
	day := closed.Time
	h.attendance(w, "qishan", "volunteer_service", 12, true, day) // 125
	h.attendance(w, "qishan", "volunteer_service", 8, true, day)  // 85, capped to 55
	h.attendance(w, "qishan", "study", 1, false, day)             // 5, capped to 0
	h.Settled()
	if b := h.balance(w); b != 200 {
		t.Fatalf("balance %d, want the day's cap of 200", b)
	}
	r := h.Must(200, "GET", "/v1/accounts/"+w, h.Worker(w), nil)
	if r.Num("hours") != 20 {
		t.Fatalf("hours are not capped: %s", r.Raw)
	}
	if n := h.count("SELECT count(*) FROM entries WHERE worker_id = $1 AND capped", w); n != 2 {
		t.Fatalf("%d capped entries", n)
	}
	h.checkLedger()
}

func TestEarn_waitsForTheAccountToOpen(t *testing.T) {
	h := newHarness(t, nil)
	id := uuid.NewString()
	// The attendance arrives before the registry's event has been seen.
	h.attendance(id, "qishan", "study", 1, false, time.Now().Add(-time.Hour))
	time.Sleep(300 * time.Millisecond)
	h.Publish(event.WorkerRegistered, "qishan", id, event.WorkerData{WorkerID: id, Street: "qishan", Community: "tashan",
		Status: "active"})
	h.eventually(func() bool { return h.count("SELECT count(*) FROM entries WHERE worker_id = $1", id) == 1 })
	if b := h.balance(id); b != 5 {
		t.Fatalf("balance %d", b)
	}
}

func TestRules_applyToServiceDoneFromTheirStart(t *testing.T) {
	h := newHarness(t, nil)
	w := h.openAccount("qishan", "tashan")
	start := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	rule := map[string]any{"effective_from": start.Format(time.RFC3339), "per_hour": 20, "per_valid_report": 30,
		"daily_cap": 500, "per_activity": map[string]int{"volunteer_service": 10, "study": 2}, "note": "2027年新规"}
	h.Must(201, "POST", "/v1/rules", h.StreetAdmin("qishan"), rule)
	h.attendance(w, "qishan", "volunteer_service", 1, true, start.Add(-time.Minute)) // before: default 5 + 10
	h.attendance(w, "qishan", "volunteer_service", 1, true, start.Add(time.Minute))  // after: 10 + 20
	h.attendance(w, "qishan", "haircut", 1, false, start.Add(time.Minute))           // a kind the rule leaves out: 0
	h.Settled()
	if b := h.balance(w); b != 45 {
		t.Fatalf("balance %d, want 15 by the old rule and 30 by the new", b)
	}
	r := h.Must(200, "GET", "/v1/rules", h.Staff("qishan", "tashan"), nil)
	if vs := r.Body["versions"].([]any); len(vs) != 1 || r.Body["current"].(map[string]any)["per_hour"] != 10.0 {
		t.Fatalf("rules: %s", r.Raw)
	}
	// Bad rules name their field and change nothing.
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"in the past", testenv.With(rule, map[string]any{"effective_from": "2020-01-01"}), "effective_from"},
		{"not a time", testenv.With(rule, map[string]any{"effective_from": "下周一"}), "effective_from"},
		{"no daily cap", testenv.With(rule, map[string]any{"daily_cap": nil}), "daily_cap"},
		{"negative per hour", testenv.With(rule, map[string]any{"per_hour": -1}), "per_hour"},
		{"unknown kind", testenv.With(rule, map[string]any{"per_activity": map[string]int{"karaoke": 5}}), "per_activity.karaoke"},
	}
	for _, tc := range cases {
		if r := h.Do("POST", "/v1/rules", h.StreetAdmin("qishan"), tc.body); r.Status != 422 || r.Field() != tc.field {
			t.Errorf("%s: %d %q %s", tc.name, r.Status, r.Field(), r.Raw)
		}
	}
	if r := h.Must(200, "GET", "/v1/rules", h.Worker(w), nil); r.Str("street") != "qishan" {
		t.Fatalf("a rider's view of the rules: %s", r.Raw)
	}
	h.Must(422, "GET", "/v1/rules?street=zhifu", h.Worker(w), nil)                // another street's: no such street for them
	h.Conflict("rule_exists", "POST", "/v1/rules", h.StreetAdmin("qishan"), rule) // same start again
	h.Must(403, "POST", "/v1/rules", h.Staff("qishan", "tashan"), rule)
	h.Must(403, "POST", "/v1/rules", h.Worker(w), rule)
	if r := h.Do("POST", "/v1/rules", h.StreetAdmin("qishan"), testenv.With(rule, map[string]any{"street": "zhifu"})); r.Status != 422 || r.Field() != "street" {
		t.Fatalf("another street's rule: %d %s", r.Status, r.Raw)
	}
	if n := h.count("SELECT count(*) FROM rules"); n != 1 {
		t.Fatalf("%d rules stored", n)
	}
}

func TestStars_levelChangesWithHoursAndIsAnEvent(t *testing.T) {
	h := newHarness(t, []int{1, 2, 3, 4, 5})
	w := h.openAccount("qishan", "tashan")
	h.attendance(w, "qishan", "volunteer_service", 2.5, true, time.Now().Add(-time.Hour))
	h.Settled()
	r := h.Must(200, "GET", "/v1/accounts/"+w, h.Worker(w), nil)
	if r.Num("star") != 2 || r.Num("next_star_hours") != 3 {
		t.Fatalf("account: %s", r.Raw)
	}
	ev := h.Events(event.StarChanged)
	var d event.StarChangedData
	if len(ev) != 1 || json.Unmarshal(ev[0].Data, &d) != nil || d.From != 0 || d.To != 2 || d.Hours != 2.5 {
		t.Fatalf("star.changed: %d %+v", len(ev), d)
	}
}

func TestLedger_entriesCannotBeChangedOrRemoved(t *testing.T) {
	h := newHarness(t, nil)
	w := h.openAccount("qishan", "tashan")
	h.fund(w, 50)
	for _, sql := range []string{"UPDATE entries SET points = 5000", "DELETE FROM entries", "TRUNCATE entries CASCADE"} {
		if _, err := h.Pool.Exec(h.ctx, sql); err == nil {
			t.Errorf("%s succeeded", sql)
		}
	}
	if _, err := h.Pool.Exec(h.ctx, "UPDATE accounts SET balance = -1"); err == nil {
		t.Error("a negative balance was stored")
	}
	// A balance that drifts from its entries is caught by the check.
	if _, err := h.Pool.Exec(h.ctx, "UPDATE accounts SET balance = 51"); err != nil {
		t.Fatal(err)
	}
	r := h.Must(200, "GET", "/v1/ledger/check", h.District(), nil)
	if r.Body["ok"] != false || len(r.Body["mismatches"].([]any)) != 1 {
		t.Fatalf("check: %s", r.Raw)
	}
	h.Must(403, "GET", "/v1/ledger/check", h.Staff("qishan", "tashan"), nil)
	h.Must(403, "GET", "/v1/ledger/check", h.Worker(w), nil)
}

func TestStars_newThresholdsMoveStoredLevelsAtStart(t *testing.T) {
	h := newHarness(t, []int{1, 2, 3, 4, 5})
	w := h.openAccount("qishan", "tashan")
	h.attendance(w, "qishan", "volunteer_service", 2.5, true, time.Now().Add(-time.Hour))
	h.Settled()
	// The service starts again with the registered-volunteer thresholds.
	svc := points.NewService(points.NewStore(h.Pool, outbox.Writer{Subjects: h.Subjects}, nil), nil)
	for range 2 {
		if _, err := svc.Restar(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if r := h.Must(200, "GET", "/v1/accounts/"+w, h.Worker(w), nil); r.Num("star") != 0 {
		t.Fatalf("account: %s", r.Raw)
	}
	ev := h.Events(event.StarChanged)
	var d event.StarChangedData
	if len(ev) != 2 || json.Unmarshal(ev[1].Data, &d) != nil || d.From != 2 || d.To != 0 {
		t.Fatalf("star.changed: %d %+v", len(ev), d)
	}
}

// TestEarn_aBatchCreditsAsIfOneEventAtATime hands the earnings handler a
// batch in which later events depend on earlier ones — a correction of an
// attendance in the same batch, a report closed twice, the daily cap
// reached within the batch — and checks the ledger is what crediting them
// one at a time gives.
func TestEarn_aBatchCreditsAsIfOneEventAtATime(t *testing.T) {
	h := newHarness(t, nil, holdEarnings{}) // the handler is called directly here
	svc := points.NewService(points.NewStore(h.Pool, outbox.Writer{Subjects: h.env.Subjects}, nil), nil)
	w1, w2 := h.openAccount("qishan", "tashan"), h.openAccount("qishan", "changsheng")
	unknown := uuid.NewString() // no account yet

	newEvent := func(name event.Name, subject string, data any) event.Envelope {
		t.Helper()
		e, err := event.New(name, "qishan", subject, data)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	valid := true
	report := uuid.NewString()
	closed := func() event.Envelope {
		return newEvent(event.ReportStatusChanged, report, event.ReportStatusChangedData{ReportID: report, Street: "qishan",
			Community: "tashan", Category: "safety_hazard", From: "resolved", To: "closed", Valid: &valid, WorkerID: w1})
	}
	first := closed()
	day := first.Time // every service on the report's Shanghai day, where the cap counts
	attend := func(worker, activity, kind string, hours float64, volunteer bool) event.AttendanceData {
		return event.AttendanceData{ActivityID: activity, WorkerID: worker, Street: "qishan", Kind: kind, Hours: hours,
			VolunteerService: volunteer, CheckedInAt: day.Add(-time.Duration(hours * float64(time.Hour))), CheckedOutAt: day}
	}
	a := attend(w1, uuid.NewString(), "volunteer_service", 2, true)
	corrected := a
	corrected.Hours, corrected.Corrects, corrected.PreviousHours = 3, true, 2
	batch := []event.Envelope{
		first, // w1: 20 (day: 20)
		newEvent(event.AttendanceRecorded, a.ActivityID, a),                                                  // w1: 5 + 20 (day: 45)
		newEvent(event.AttendanceRecorded, "w2", attend(w2, uuid.NewString(), "volunteer_service", 1, true)), // w2: 15
		newEvent(event.AttendanceRecorded, a.ActivityID, corrected),                                          // w1: −25, then 5 + 30 (day: 55)
		closed(), // the same report closed again: nothing
		newEvent(event.AttendanceRecorded, "b", attend(w1, uuid.NewString(), "volunteer_service", 12, true)), // w1: 125 (day: 180)
		newEvent(event.AttendanceRecorded, "c", attend(w1, uuid.NewString(), "volunteer_service", 8, true)),  // w1: 85, capped to 20
		newEvent(event.AttendanceRecorded, "d", attend(w1, uuid.NewString(), "study", 1, false)),             // w1: 5, capped to 0
	}
	earn := func(evs []event.Envelope) error {
		return db.InTx(h.ctx, h.Pool, func(tx pgx.Tx) error { return svc.Earn(h.ctx, tx, evs) })
	}

	// An event whose account is not open is named, and nothing commits.
	stray := newEvent(event.AttendanceRecorded, "x", attend(unknown, uuid.NewString(), "study", 1, false))
	err := earn(append(slices.Clone(batch[:4]), append([]event.Envelope{stray}, batch[4:]...)...))
	var at *consume.EventError
	if !errors.As(err, &at) || at.Index != 4 {
		t.Fatalf("a batch with an account not open yet at index 4: %v, want that event named", err)
	}
	if n := h.count("SELECT count(*) FROM entries"); n != 0 {
		t.Fatalf("%d entries committed by a failed batch", n)
	}

	if err := earn(batch); err != nil {
		t.Fatal(err)
	}
	if b := h.balance(w1); b != 200 {
		t.Errorf("w1's balance %d, want 20 + 25 − 25 + 35 + 125 + 20 + 0 = 200", b)
	}
	if b := h.balance(w2); b != 15 {
		t.Errorf("w2's balance %d, want 15", b)
	}
	rows, err := h.Pool.Query(h.ctx, `SELECT kind, points, capped FROM entries WHERE worker_id = $1 ORDER BY seq`, w1)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Kind   string
		Points int64
		Capped bool
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[entry])
	if err != nil {
		t.Fatal(err)
	}
	want := []entry{{"earn", 20, false}, {"earn", 25, false}, {"reverse", -25, false}, {"earn", 35, false},
		{"earn", 125, false}, {"earn", 20, true}, {"earn", 0, true}}
	if !slices.Equal(got, want) {
		t.Errorf("w1's entries\n%v\nwant\n%v", got, want)
	}
	if n := len(h.Events(event.PointsEarned)); n != len(want)+1 {
		t.Errorf("%d points.earned events published, want one per entry: %d", n, len(want)+1)
	}
	// Handed the same batch again (as after a crash before the inbox
	// recorded it), nothing changes.
	if err := earn(batch); err != nil {
		t.Fatal(err)
	}
	if b := h.balance(w1); b != 200 || h.count("SELECT count(*) FROM entries") != len(want)+1 {
		t.Errorf("the batch credited again: balance %d", b)
	}
	h.checkLedger()
}
