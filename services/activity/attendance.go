package activity

import (
	"context"
	"crypto/subtle"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// checkInLead is how long before the start check-in opens.
const checkInLead = time.Hour

// Attendance is a worker's presence at an activity. Hours is set once the
// worker has checked out: the time served inside the activity window.
type Attendance struct {
	ActivityID       uuid.UUID  `json:"activity_id"`
	WorkerID         uuid.UUID  `json:"worker_id"`
	CheckedInAt      time.Time  `json:"checked_in_at"`
	CheckedOutAt     *time.Time `json:"checked_out_at"`
	Hours            *float64   `json:"hours"`
	RecordedBy       string     `json:"recorded_by"`
	Corrected        bool       `json:"corrected"`
	CorrectionReason string     `json:"correction_reason,omitempty"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// correction is one staff correction, kept as history.
type correction struct {
	ID     uuid.UUID
	By     string
	At     time.Time
	Reason string
	Old    Attendance
	New    Attendance
}

// ServedHours is the overlap of [in, out] with the activity window
// [start, end], in hours rounded to 2 decimals; 0 when they do not overlap.
func ServedHours(in, out, start, end time.Time) float64 {
	from, to := in, out
	if start.After(from) {
		from = start
	}
	if end.Before(to) {
		to = end
	}
	if !to.After(from) {
		return 0
	}
	return math.Round(to.Sub(from).Hours()*100) / 100
}

// AttendanceInput is a check-in or check-out. A worker sends the check-in
// code shown at the place (themself, now); staff name the worker and may
// give a past time.
type AttendanceInput struct {
	WorkerID string `json:"worker_id"`
	At       string `json:"at"`   // RFC 3339; staff only; default now
	Code     string `json:"code"` // the activity's check-in code; workers only
}

// CorrectionInput sets an attendance's times, with the reason.
type CorrectionInput struct {
	CheckedInAt  string `json:"checked_in_at"`
	CheckedOutAt string `json:"checked_out_at"`
	Reason       string `json:"reason"`
}

// attender is who is checked in or out, when, and by whom.
type attender struct {
	worker Worker
	at     time.Time
	given  bool // staff gave the time
	staff  bool
	p      auth.Principal
	code   string // the check-in code a worker sent
}

// resolveAttender validates an attendance input for the caller and finds
// the worker it is about.
func (s *Service) resolveAttender(ctx context.Context, p auth.Principal, in AttendanceInput) (attender, error) {
	var c validate.Collector
	at := attender{at: s.now(), staff: p.IsStaff(), p: p}
	var wid uuid.UUID
	switch {
	case p.IsStaff():
		if strings.TrimSpace(in.WorkerID) == "" {
			c.Add("worker_id", validate.CodeRequired, "is required when staff record attendance")
		} else {
			id, err := uuid.Parse(in.WorkerID)
			if c.Check(err == nil, "worker_id", validate.CodeInvalidFormat, "must be a worker id") {
				wid = id
			}
		}
		if in.At != "" {
			if t, ok := parseTime(&c, "at", in.At); ok {
				if c.Check(!t.After(at.at), "at", validate.CodeOutOfRange, "must not be in the future") {
					at.at, at.given = t, true
				}
			}
		}
	case p.Role == auth.Worker:
		if in.WorkerID != "" && in.WorkerID != p.WorkerID {
			return attender{}, fault.Forbiddenf("a worker records only their own attendance")
		}
		c.Check(in.At == "", "at", validate.CodeUnknownValue, "only staff may give a time; a worker records now")
		at.code = strings.ToUpper(strings.TrimSpace(in.Code))
		c.Check(at.code != "", "code", validate.CodeRequired,
			"the check-in code shown at the place: scan its QR code or type it / 现场签到码")
	default:
		return attender{}, fault.Forbiddenf("only staff and workers may record attendance")
	}
	if err := c.Err(); err != nil {
		return attender{}, err
	}
	var err error
	if at.staff {
		at.worker, err = s.activeWorker(ctx, wid)
	} else {
		at.worker, err = s.callerWorker(ctx, p)
	}
	return at, err
}

// allows checks that the attender may record attendance at activity a now.
func (at attender) allows(a Activity) error {
	if at.staff {
		if !a.managedBy(at.p) {
			return errActivityNotFound
		}
	} else if a.Status == StatusDraft || !a.invites(at.worker) {
		return errActivityNotFound
	} else if subtle.ConstantTimeCompare([]byte(at.code), []byte(a.CheckinCode)) != 1 {
		return validate.Errors{{Field: "code", Code: validate.CodeUnknownValue,
			Message: "not this activity's check-in code: scan or type the one shown at the place / 签到码不正确"}}
	}
	switch a.Status {
	case StatusPublished:
	case StatusCancelled:
		return fault.ConflictReason("activity_cancelled", "the activity is %s", a.Status)
	default: // a draft, which only staff reach
		return fault.ConflictReason("activity_not_published", "the activity is %s", a.Status)
	}
	return nil
}

// attendanceEvent is the attendance.recorded event of row r at activity a.
func attendanceEvent(a Activity, r Attendance, corrects bool, previous float64) pending {
	return pending{event.AttendanceRecorded, a.Street, r.WorkerID.String(), event.AttendanceData{
		ActivityID: a.ID.String(), WorkerID: r.WorkerID.String(), Street: a.Street, Kind: a.Kind,
		Hours: *r.Hours, VolunteerService: a.VolunteerService, CheckedInAt: r.CheckedInAt,
		CheckedOutAt: *r.CheckedOutAt, Corrects: corrects, PreviousHours: previous,
	}}
}

// CheckIn checks a worker in. It reports whether the check-in is new;
// checking in again returns the existing record unchanged.
func (s *Service) CheckIn(ctx context.Context, p auth.Principal, id uuid.UUID, in AttendanceInput) (Attendance, bool, error) {
	at, err := s.resolveAttender(ctx, p, in)
	if err != nil {
		return Attendance{}, false, err
	}
	var out Attendance
	isNew := false
	err = s.store.ChangeAttendance(ctx, id, at.worker.ID, func(a Activity, signedUp bool, cur *Attendance) (attendanceChange, error) {
		if err := at.allows(a); err != nil {
			return attendanceChange{}, err
		}
		if cur != nil {
			out = *cur
			return attendanceChange{}, nil
		}
		if !signedUp {
			if a.Capacity != nil {
				return attendanceChange{}, fault.ConflictReason("signup_required", "not signed up: this activity has limited places, so only those signed up may attend")
			}
			if !a.invites(at.worker) {
				return attendanceChange{}, fault.ConflictReason("not_invited", "not signed up, and the worker is not invited to this activity")
			}
		}
		if at.at.Before(a.StartsAt.Add(-checkInLead)) || at.at.After(a.EndsAt) {
			if at.given {
				var c validate.Collector
				c.Add("at", validate.CodeOutOfRange, "must lie between an hour before the start and the end of the activity")
				return attendanceChange{}, c.Err()
			}
			if at.at.After(a.EndsAt) {
				return attendanceChange{}, fault.ConflictReason("activity_ended", "the activity has ended")
			}
			return attendanceChange{}, fault.ConflictReason("checkin_not_open", "check-in opens an hour before the start")
		}
		out = Attendance{ActivityID: a.ID, WorkerID: at.worker.ID, CheckedInAt: at.at, RecordedBy: at.p.Subject, UpdatedAt: s.now()}
		isNew = true
		return attendanceChange{row: &out}, nil
	})
	if err != nil {
		return Attendance{}, false, fmt.Errorf("check in at %s: %w", id, err)
	}
	return out, isNew, nil
}

// CheckOut checks a checked-in worker out, computes the hours served and
// records them with the attendance.recorded event.
func (s *Service) CheckOut(ctx context.Context, p auth.Principal, id uuid.UUID, in AttendanceInput) (Attendance, error) {
	at, err := s.resolveAttender(ctx, p, in)
	if err != nil {
		return Attendance{}, err
	}
	var out Attendance
	err = s.store.ChangeAttendance(ctx, id, at.worker.ID, func(a Activity, _ bool, cur *Attendance) (attendanceChange, error) {
		if err := at.allows(a); err != nil {
			return attendanceChange{}, err
		}
		if cur == nil {
			return attendanceChange{}, fault.ConflictReason("not_checked_in", "not checked in")
		}
		if cur.CheckedOutAt != nil {
			return attendanceChange{}, fault.ConflictReason("already_checked_out", "already checked out")
		}
		if at.at.Before(cur.CheckedInAt) {
			if at.given {
				var c validate.Collector
				c.Add("at", validate.CodeOutOfRange, "must not be before the check-in")
				return attendanceChange{}, c.Err()
			}
			return attendanceChange{}, fault.ConflictReason("checkin_in_future", "the check-in is later than now")
		}
		out = *cur
		t, h := at.at, ServedHours(cur.CheckedInAt, at.at, a.StartsAt, a.EndsAt)
		out.CheckedOutAt, out.Hours, out.UpdatedAt = &t, &h, s.now()
		ev := attendanceEvent(a, out, false, 0)
		return attendanceChange{row: &out, event: &ev}, nil
	})
	if err != nil {
		return Attendance{}, fmt.Errorf("check out at %s: %w", id, err)
	}
	return out, nil
}

// CorrectAttendance lets staff set an attendance's times, with a reason.
// The hours are recomputed and recorded again; if the attendance already
// had hours, the event says it corrects them and gives the previous hours.
func (s *Service) CorrectAttendance(ctx context.Context, p auth.Principal, id, wid uuid.UUID, in CorrectionInput) (Attendance, error) {
	if !p.IsStaff() {
		return Attendance{}, fault.Forbiddenf("only staff may correct attendance")
	}
	var c validate.Collector
	now := s.now()
	reason := c.Text("reason", in.Reason, 1, 200)
	tin, ok1 := parseTime(&c, "checked_in_at", in.CheckedInAt)
	tout, ok2 := parseTime(&c, "checked_out_at", in.CheckedOutAt)
	if ok1 {
		c.Check(!tin.After(now), "checked_in_at", validate.CodeOutOfRange, "must not be in the future")
	}
	if ok2 {
		c.Check(!tout.After(now), "checked_out_at", validate.CodeOutOfRange, "must not be in the future")
	}
	if ok1 && ok2 {
		c.Check(!tout.Before(tin), "checked_out_at", validate.CodeOutOfRange, "must not be before checked_in_at")
	}
	if err := c.Err(); err != nil {
		return Attendance{}, err
	}
	var out Attendance
	err := s.store.ChangeAttendance(ctx, id, wid, func(a Activity, _ bool, cur *Attendance) (attendanceChange, error) {
		if !a.managedBy(p) {
			return attendanceChange{}, errActivityNotFound
		}
		if a.Status == StatusDraft {
			return attendanceChange{}, fault.ConflictReason("activity_not_published", "the activity is a draft")
		}
		if cur == nil {
			return attendanceChange{}, fault.NotFoundf("no attendance of this worker at this activity")
		}
		out = *cur
		h := ServedHours(tin, tout, a.StartsAt, a.EndsAt)
		out.CheckedInAt, out.CheckedOutAt, out.Hours = tin, &tout, &h
		out.Corrected, out.CorrectionReason, out.RecordedBy, out.UpdatedAt = true, reason, p.Subject, now
		corrects, previous := cur.Hours != nil, 0.0
		if corrects {
			previous = *cur.Hours
		}
		ev := attendanceEvent(a, out, corrects, previous)
		return attendanceChange{row: &out, event: &ev,
			correction: &correction{ID: newID(), By: p.Subject, At: now, Reason: reason, Old: *cur, New: out}}, nil
	})
	if err != nil {
		return Attendance{}, fmt.Errorf("correct attendance at %s: %w", id, err)
	}
	return out, nil
}

// ListAttendance lists an activity's attendance for staff who manage it.
func (s *Service) ListAttendance(ctx context.Context, p auth.Principal, id uuid.UUID) ([]Attendance, error) {
	if !p.IsStaff() {
		return nil, fault.Forbiddenf("only staff may list attendance")
	}
	a, found, err := s.store.Activity(ctx, id)
	if err != nil {
		return nil, err
	}
	if !found || !a.managedBy(p) {
		return nil, errActivityNotFound
	}
	return s.store.Attendance(ctx, id)
}
