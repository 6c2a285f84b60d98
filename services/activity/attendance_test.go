package activity_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

// running publishes an activity of qishan and moves its window to
// [now-before, now+after] (creation rejects past starts).
func (h *harness) running(extra map[string]any, before, after time.Duration) string {
	h.t.Helper()
	id := h.published(extra)
	h.moveWindow(id, before, after)
	return id
}

func (h *harness) moveWindow(id string, before, after time.Duration) {
	h.t.Helper()
	if _, err := h.Pool.Exec(h.ctx, `UPDATE activities SET starts_at = now() - $2::interval, ends_at = now() + $3::interval
		WHERE id = $1`, id, before.String(), after.String()); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) attendanceEvents() []event.AttendanceData {
	h.t.Helper()
	var out []event.AttendanceData
	for _, e := range h.Events(event.AttendanceRecorded) {
		var d event.AttendanceData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			h.t.Fatal(err)
		}
		if e.Subject != d.WorkerID {
			h.t.Fatalf("subject %q, worker %q", e.Subject, d.WorkerID)
		}
		out = append(out, d)
	}
	return out
}

// atPlace is a worker's check-in or check-out body: the activity's code,
// as the street admin who manages it sees it (shown at the place).
func (h *harness) atPlace(id string) map[string]any {
	h.t.Helper()
	return map[string]any{"code": h.Must(200, "GET", "/v1/activities/"+id, h.StreetAdmin("qishan"), nil).Str("checkin_code")}
}

func ago(d time.Duration) string { return time.Now().Add(-d).Format(time.RFC3339) }

func TestAttendance_workerSelfCheckInOutCappedByWindow(t *testing.T) {
	h := newHarness(t)
	id := h.published(map[string]any{"capacity": 10, "kind": "volunteer_service", "volunteer_service": true})
	wid := h.knownWorker("qishan", "tashan")
	w := h.Worker(wid)
	base := "/v1/activities/" + id + "/attendance/"
	h.Must(201, "POST", "/v1/activities/"+id+"/signups", w, nil)
	h.moveWindow(id, time.Hour, time.Hour)

	// Not checked in yet: no check-out.
	h.Conflict("not_checked_in", "POST", base+"check-out", w, h.atPlace(id))
	r := h.Must(201, "POST", base+"check-in", w, h.atPlace(id))
	if r.Str("worker_id") != wid || r.Body["checked_out_at"] != nil || r.Body["hours"] != nil {
		t.Fatalf("check-in: %s", r.Raw)
	}
	again := h.Must(200, "POST", base+"check-in", w, h.atPlace(id))
	if again.Str("checked_in_at") != r.Str("checked_in_at") {
		t.Fatalf("second check-in changed the record: %s vs %s", again.Raw, r.Raw)
	}
	// The worker came 5h ago to an activity that ran from 4h to 1h ago.
	if _, err := h.Pool.Exec(h.ctx, `UPDATE activities SET starts_at = now() - interval '4 hours', ends_at = now() - interval '1 hour' WHERE id = $1;`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Pool.Exec(h.ctx, `UPDATE attendance SET checked_in_at = now() - interval '5 hours' WHERE activity_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	out := h.Must(200, "POST", base+"check-out", w, h.atPlace(id))
	if out.Body["hours"] != 3.0 || out.Body["checked_out_at"] == nil {
		t.Fatalf("check-out: %s", out.Raw)
	}
	h.Conflict("already_checked_out", "POST", base+"check-out", w, h.atPlace(id))

	evs := h.attendanceEvents()
	if len(evs) != 1 {
		t.Fatalf("%d attendance events", len(evs))
	}
	d := evs[0]
	if d.ActivityID != id || d.WorkerID != wid || d.Street != "qishan" || d.Kind != "volunteer_service" ||
		d.Hours != 3 || !d.VolunteerService || d.Corrects || d.CheckedOutAt.Before(d.CheckedInAt) {
		t.Fatalf("event: %+v", d)
	}
	if n := h.count("SELECT count(*) FROM attendance WHERE activity_id = $1 AND hours = 3.00", id); n != 1 {
		t.Fatalf("%d attendance rows with 3 hours", n)
	}
}

func TestAttendance_staffCheckInOutWalkInAndList(t *testing.T) {
	h := newHarness(t)
	id := h.running(nil, time.Hour, time.Hour) // no capacity: walk-ins welcome
	wid := h.knownWorker("qishan", "changsheng")
	staff := h.StreetAdmin("qishan")
	base := "/v1/activities/" + id + "/attendance/"
	in, outAt := ago(30*time.Minute), ago(10*time.Minute)

	r := h.Must(201, "POST", base+"check-in", staff, map[string]any{"worker_id": wid, "at": in})
	if r.Str("recorded_by") == "" || r.Str("worker_id") != wid {
		t.Fatalf("check-in: %s", r.Raw)
	}
	out := h.Must(200, "POST", base+"check-out", staff, map[string]any{"worker_id": wid, "at": outAt})
	if out.Body["hours"] != 0.33 {
		t.Fatalf("check-out: %s", out.Raw)
	}
	// Another street's staff do not see the activity; workers may not list.
	h.Must(404, "POST", base+"check-in", h.StreetAdmin("zhifu"), map[string]any{"worker_id": h.knownWorker("zhifu", "x")})
	h.Must(404, "GET", "/v1/activities/"+id+"/attendance", h.StreetAdmin("zhifu"), nil)
	h.Must(403, "GET", "/v1/activities/"+id+"/attendance", h.Worker(wid), nil)
	// A worker of another street is not invited.
	h.Must(404, "POST", base+"check-in", h.Worker(h.knownWorker("zhifu", "x")), h.atPlace(id))

	list := h.Must(200, "GET", "/v1/activities/"+id+"/attendance", staff, nil)
	items := list.Body["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["hours"] != 0.33 {
		t.Fatalf("list: %s", list.Raw)
	}
	if evs := h.attendanceEvents(); len(evs) != 1 || evs[0].Hours != 0.33 || evs[0].VolunteerService {
		t.Fatalf("events: %+v", evs)
	}
}

func TestAttendance_notSignedUpAndNotOpen(t *testing.T) {
	h := newHarness(t)
	id := h.running(map[string]any{"capacity": 5}, time.Hour, time.Hour)
	w := h.Worker(h.knownWorker("qishan", "tashan"))
	r := h.Conflict("signup_required", "POST", "/v1/activities/"+id+"/attendance/check-in", w, h.atPlace(id))
	if r.Str("detail") == "" {
		t.Fatalf("no detail: %s", r.Raw)
	}
	h.Conflict("signup_required", "POST", "/v1/activities/"+id+"/attendance/check-in", h.StreetAdmin("qishan"),
		map[string]any{"worker_id": h.knownWorker("qishan", "tashan")})

	// Check-in opens an hour before the start.
	later := h.published(nil) // starts in 48h
	h.Conflict("checkin_not_open", "POST", "/v1/activities/"+later+"/attendance/check-in", w, h.atPlace(later))
	if n := h.count("SELECT count(*) FROM attendance"); n != 0 {
		t.Fatalf("%d attendance rows", n)
	}
}

func TestAttendance_badInputNamesTheFieldAndWritesNothing(t *testing.T) {
	h := newHarness(t)
	id := h.running(nil, time.Hour, time.Hour)
	wid := h.knownWorker("qishan", "tashan")
	staff := h.StreetAdmin("qishan")
	base := "/v1/activities/" + id + "/attendance/"
	// One worker checked in 20 minutes ago, for the check-out and correction cases.
	done := h.knownWorker("qishan", "tashan")
	h.Must(201, "POST", base+"check-in", staff, map[string]any{"worker_id": done, "at": ago(20 * time.Minute)})
	before := h.count("SELECT count(*) FROM attendance")

	cases := []struct {
		name, path, token string
		body              map[string]any
		field             string
	}{
		{"future at", "check-in", staff, map[string]any{"worker_id": wid, "at": ago(-time.Hour)}, "at"},
		{"malformed at", "check-in", staff, map[string]any{"worker_id": wid, "at": "10 o'clock"}, "at"},
		{"no worker", "check-in", staff, map[string]any{}, "worker_id"},
		{"bad worker", "check-in", staff, map[string]any{"worker_id": "nope"}, "worker_id"},
		{"at before the window", "check-in", staff, map[string]any{"worker_id": wid, "at": ago(3 * time.Hour)}, "at"},
		{"worker gives a time", "check-in", h.Worker(wid), map[string]any{"at": ago(time.Minute), "code": h.atPlace(id)["code"]}, "at"},
		{"worker without the code", "check-in", h.Worker(wid), map[string]any{}, "code"},
		{"worker with a wrong code", "check-in", h.Worker(wid), map[string]any{"code": "WRONG1"}, "code"},
		{"worker with another activity's code", "check-in", h.Worker(wid), h.atPlace(h.running(nil, time.Hour, time.Hour)), "code"},
		{"check-out before check-in", "check-out", staff, map[string]any{"worker_id": done, "at": ago(30 * time.Minute)}, "at"},
		{"correction without reason", done + "/correct", staff,
			map[string]any{"checked_in_at": ago(time.Hour), "checked_out_at": ago(time.Minute), "reason": ""}, "reason"},
		{"correction out before in", done + "/correct", staff,
			map[string]any{"checked_in_at": ago(time.Minute), "checked_out_at": ago(time.Hour), "reason": "x"}, "checked_out_at"},
		{"correction malformed", done + "/correct", staff,
			map[string]any{"checked_in_at": "yesterday", "checked_out_at": ago(time.Minute), "reason": "x"}, "checked_in_at"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.Do("POST", base+tc.path, tc.token, tc.body)
			if r.Status != 422 || r.Field() != tc.field {
				t.Fatalf("status %d field %q, want 422 %q: %s", r.Status, r.Field(), tc.field, r.Raw)
			}
		})
	}
	if n := h.count("SELECT count(*) FROM attendance"); n != before {
		t.Fatalf("%d attendance rows, want %d", n, before)
	}
	if n := h.count("SELECT count(*) FROM attendance WHERE checked_out_at IS NOT NULL"); n != 0 {
		t.Fatalf("%d checked out", n)
	}
	if n := h.count("SELECT count(*) FROM attendance_corrections"); n != 0 {
		t.Fatalf("%d corrections", n)
	}
	if n := len(h.attendanceEvents()); n != 0 {
		t.Fatalf("%d attendance events", n)
	}
}

func TestAttendance_correctionByStaff(t *testing.T) {
	h := newHarness(t)
	id := h.running(map[string]any{"kind": "study"}, 2*time.Hour, time.Hour)
	wid := h.knownWorker("qishan", "tashan")
	staff := h.StreetAdmin("qishan")
	base := "/v1/activities/" + id + "/attendance/"
	h.Must(201, "POST", base+"check-in", staff, map[string]any{"worker_id": wid, "at": ago(time.Hour)})
	h.Must(200, "POST", base+"check-out", staff, map[string]any{"worker_id": wid, "at": ago(30 * time.Minute)})

	fix := map[string]any{"checked_in_at": ago(3 * time.Hour), "checked_out_at": ago(30 * time.Minute), "reason": "忘记签到"}
	h.Must(403, "POST", base+wid+"/correct", h.Worker(wid), fix)
	h.Must(404, "POST", base+wid+"/correct", h.StreetAdmin("zhifu"), fix)
	h.Must(404, "POST", base+h.knownWorker("qishan", "tashan")+"/correct", staff, fix)

	// In 3h ago, but the activity started 2h ago: 1.5 hours, not 2.5.
	r := h.Must(200, "POST", base+wid+"/correct", staff, fix)
	if r.Body["hours"] != 1.5 || r.Body["corrected"] != true || r.Str("correction_reason") != "忘记签到" {
		t.Fatalf("corrected: %s", r.Raw)
	}
	if n := h.count("SELECT count(*) FROM attendance_corrections WHERE activity_id = $1 AND worker_id = $2 AND reason = '忘记签到' AND old_hours = 0.5 AND new_hours = 1.5", id, wid); n != 1 {
		t.Fatalf("%d corrections kept", n)
	}
	evs := h.attendanceEvents()
	if len(evs) != 2 {
		t.Fatalf("%d attendance events", len(evs))
	}
	if evs[0].Hours != 0.5 || evs[0].Corrects {
		t.Fatalf("first event: %+v", evs[0])
	}
	if d := evs[1]; d.Hours != 1.5 || !d.Corrects || d.PreviousHours != 0.5 || d.Kind != "study" {
		t.Fatalf("correction event: %+v", d)
	}
}

// The check-in code is what shows a rider is at the place: the staff who
// run the activity see it (to show it there), the riders and the event
// stream never do.
func TestAttendance_checkinCodeIsSeenOnlyByTheActivitysStaffWhoMayReplaceIt(t *testing.T) {
	h := newHarness(t)
	id := h.published(nil)
	wid := h.knownWorker("qishan", "tashan")
	code := h.Must(200, "GET", "/v1/activities/"+id, h.StreetAdmin("qishan"), nil).Str("checkin_code")
	if len(code) != 6 || strings.Trim(code, "ABCDEFGHJKMNPQRSTUVWXYZ23456789") != "" {
		t.Fatalf("code %q", code)
	}
	if r := h.Must(200, "GET", "/v1/activities/"+id, h.Worker(wid), nil); r.Body["checkin_code"] != nil {
		t.Fatalf("a rider sees the code: %s", r.Raw)
	}
	for _, it := range h.Must(200, "GET", "/v1/activities", h.Worker(wid), nil).Items() {
		if it.(map[string]any)["checkin_code"] != nil {
			t.Fatalf("a rider's list shows the code: %v", it)
		}
	}
	if other := h.Must(200, "GET", "/v1/activities/"+h.published(nil), h.StreetAdmin("qishan"), nil).Str("checkin_code"); other == code {
		t.Fatalf("two activities share the code %s", code)
	}
	// The code went round a chat group: staff give the activity a new one,
	// and only that one checks a rider in.
	h.moveWindow(id, time.Hour, time.Hour)
	h.Must(403, "POST", "/v1/activities/"+id+"/checkin-code", h.Worker(wid), nil)
	h.Must(404, "POST", "/v1/activities/"+id+"/checkin-code", h.StreetAdmin("zhifu"), nil)
	fresh := h.Must(200, "POST", "/v1/activities/"+id+"/checkin-code", h.StreetAdmin("qishan"), nil).Str("checkin_code")
	if fresh == code || len(fresh) != 6 {
		t.Fatalf("new code %q after %q", fresh, code)
	}
	base := "/v1/activities/" + id + "/attendance/"
	if r := h.Do("POST", base+"check-in", h.Worker(wid), map[string]any{"code": code}); r.Status != 422 || r.Field() != "code" {
		t.Fatalf("the old code: %d %s", r.Status, r.Raw)
	}
	h.Must(201, "POST", base+"check-in", h.Worker(wid), map[string]any{"code": strings.ToLower(fresh)})
	draft := h.Must(201, "POST", "/v1/activities", h.StreetAdmin("qishan"), activityBody(nil)).Str("id")
	h.Conflict("activity_not_published", "POST", "/v1/activities/"+draft+"/checkin-code", h.StreetAdmin("qishan"), nil)
	testenv.Eventually(t, 10*time.Second, func() bool { return len(h.Events(event.ActivityPublished)) == 2 })
	for _, m := range h.Messages("activity") {
		if strings.Contains(string(m.Data), code) {
			t.Fatalf("%s carries the code: %s", m.Type, m.Data)
		}
	}
}

// What a rider is refused at the place: each conflict names its reason,
// which the rider's pages say in Chinese.
func TestAttendance_refusalsNameTheirReason(t *testing.T) {
	h := newHarness(t)
	wid := h.knownWorker("qishan", "tashan")
	w := h.Worker(wid)

	// Signing up or withdrawing once it has started.
	started := h.running(nil, time.Minute, time.Hour)
	h.Conflict("activity_started", "POST", "/v1/activities/"+started+"/signups", w, nil)
	h.Conflict("activity_started", "POST", "/v1/activities/"+started+"/signups/withdraw", w, nil)

	// Checking in after the end.
	ended := h.running(nil, 3*time.Hour, -time.Hour)
	h.Conflict("activity_ended", "POST", "/v1/activities/"+ended+"/attendance/check-in", w, h.atPlace(ended))

	// A worker who left the ledger.
	open := h.running(nil, time.Minute, time.Hour)
	code := h.atPlace(open)
	if _, err := h.Pool.Exec(h.ctx, "UPDATE workers SET status = 'left' WHERE id = $1", wid); err != nil {
		t.Fatal(err)
	}
	h.Conflict("worker_left", "POST", "/v1/activities/"+open+"/attendance/check-in", w, code)
}

// Staff reach a draft and a cancelled activity too, and neither takes
// attendance: a draft is not published yet, a cancelled one never will be.
func TestAttendance_draftOrCancelledActivityTakesNone(t *testing.T) {
	h := newHarness(t)
	staff := h.StreetAdmin("qishan")
	wid := h.knownWorker("qishan", "tashan")

	draft := h.Must(201, "POST", "/v1/activities", staff, activityBody(nil)).Str("id")
	base := "/v1/activities/" + draft + "/attendance/"
	h.Conflict("activity_not_published", "POST", base+"check-in", staff, map[string]any{"worker_id": wid})
	h.Conflict("activity_not_published", "POST", base+wid+"/correct", staff,
		map[string]any{"checked_in_at": ago(2 * time.Hour), "checked_out_at": ago(time.Hour), "reason": "补录"})

	cancelled := h.running(nil, time.Minute, time.Hour)
	code := h.atPlace(cancelled)
	h.Must(200, "POST", "/v1/activities/"+cancelled+"/cancel", staff, map[string]any{"reason": "暴雨"})
	base = "/v1/activities/" + cancelled + "/attendance/"
	h.Conflict("activity_cancelled", "POST", base+"check-in", staff, map[string]any{"worker_id": wid})
	h.Conflict("activity_cancelled", "POST", base+"check-in", h.Worker(wid), code)
	if n := h.count("SELECT count(*) FROM attendance"); n != 0 {
		t.Fatalf("%d attendance rows", n)
	}
}
