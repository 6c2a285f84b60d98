package activity

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/places"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Kinds are the kinds of activity a street office or community organises.
var Kinds = []string{"study", "council", "safety_training", "anti_fraud", "festival_visit",
	"health_check", "haircut", "volunteer_service", "campaign", "other"}

// The statuses of an activity and of a sign-up.
const (
	StatusDraft     = "draft"
	StatusPublished = "published"
	StatusCancelled = "cancelled"

	SignupActive    = "signed_up"
	SignupWithdrawn = "withdrawn"
)

// maxDuration is the longest an activity may run.
const maxDuration = 7 * 24 * time.Hour

// Activity is one organised activity. Community "" invites the whole street.
type Activity struct {
	ID               uuid.UUID  `json:"id"`
	Title            string     `json:"title"`
	Kind             string     `json:"kind"`
	Description      string     `json:"description"`
	Street           string     `json:"street"`
	Community        string     `json:"community,omitempty"`
	Address          string     `json:"address,omitempty"`
	StationID        *uuid.UUID `json:"station_id,omitempty"`
	StartsAt         time.Time  `json:"starts_at"`
	EndsAt           time.Time  `json:"ends_at"`
	Capacity         *int       `json:"capacity"` // null: no limit
	VolunteerService bool       `json:"volunteer_service"`
	Status           string     `json:"status"`
	CancelReason     string     `json:"cancel_reason,omitempty"`
	SignedUp         int        `json:"signed_up"`
	CreatedBy        string     `json:"created_by"`
	CreatedAt        time.Time  `json:"created_at"`
	PublishedAt      *time.Time `json:"published_at,omitempty"`
	CancelledAt      *time.Time `json:"cancelled_at,omitempty"`
	// CheckinCode is shown at the place by staff (as a QR code, or on a
	// board); a worker checking themself in or out sends it. Set at
	// publication, seen only by the staff who manage the activity, and in
	// no event.
	CheckinCode string `json:"checkin_code,omitempty"`
	// Mine is the calling worker's own part in it (workers only).
	Mine *Participation `json:"mine,omitempty"`
}

// withoutCode is the activity as a worker sees it: without the check-in
// code, which they learn at the place.
func (a Activity) withoutCode() Activity {
	a.CheckinCode = ""
	return a
}

// codeAlphabet leaves out what reads alike (0/O, 1/I/L): riders type the
// code when they cannot scan it.
const codeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// newCheckinCode is 6 random characters of codeAlphabet, about 890
// million codes: not to be guessed by trying.
func newCheckinCode() string {
	b := make([]byte, 6)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(codeAlphabet))))
		if err != nil {
			panic(err) // crypto/rand does not fail on supported platforms
		}
		b[i] = codeAlphabet[n.Int64()]
	}
	return string(b)
}

// data is the event data of activity.published and .cancelled.
func (a Activity) data() event.ActivityData {
	d := event.ActivityData{ActivityID: a.ID.String(), Title: a.Title, Address: a.Address, Kind: a.Kind, Street: a.Street, Community: a.Community,
		StartsAt: a.StartsAt, EndsAt: a.EndsAt, VolunteerService: a.VolunteerService}
	if a.Capacity != nil {
		d.Capacity = *a.Capacity
	}
	if a.StationID != nil {
		d.StationID = a.StationID.String()
	}
	return d
}

// managedBy reports whether staff p may see and manage the activity: a
// street-wide one needs the street, a community's one the community.
func (a Activity) managedBy(p auth.Principal) bool { return p.Manages(a.Street, a.Community) }

// invites reports whether worker w is in the activity's audience.
func (a Activity) invites(w Worker) bool {
	return a.Street == w.Street && (a.Community == "" || a.Community == w.Community)
}

// Signup is a worker's sign-up for an activity.
type Signup struct {
	ActivityID  uuid.UUID  `json:"activity_id"`
	WorkerID    uuid.UUID  `json:"worker_id"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at,omitempty"`
}

// ActivityInput drafts an activity.
type ActivityInput struct {
	Title            string `json:"title"`
	Kind             string `json:"kind"`
	Description      string `json:"description"`
	Street           string `json:"street"`    // district admin only; others organise in their own street
	Community        string `json:"community"` // optional: "" invites the whole street
	Address          string `json:"address"`
	StationID        string `json:"station_id"`
	StartsAt         string `json:"starts_at"` // RFC 3339
	EndsAt           string `json:"ends_at"`   // RFC 3339
	Capacity         *int   `json:"capacity"`  // null or absent: no limit
	VolunteerService bool   `json:"volunteer_service"`
}

var errActivityNotFound = fault.NotFoundf("activity not found")

func parseTime(c *validate.Collector, field, s string) (time.Time, bool) {
	if strings.TrimSpace(s) == "" {
		c.Add(field, validate.CodeRequired, "is required")
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		c.Add(field, validate.CodeInvalidFormat, `must be an RFC 3339 time, e.g. "2026-05-01T14:00:00+08:00"`)
		return time.Time{}, false
	}
	return t.UTC().Truncate(time.Microsecond), true
}

// checkTimes validates an activity's times against now.
func checkTimes(c *validate.Collector, start, end, now time.Time) {
	if !start.After(now) {
		c.Add("starts_at", validate.CodeOutOfRange, "must be in the future")
		return
	}
	if !end.After(start) {
		c.Add("ends_at", validate.CodeOutOfRange, "must be after starts_at")
		return
	}
	c.Check(end.Sub(start) <= maxDuration, "ends_at", validate.CodeOutOfRange, "an activity lasts at most 7 days")
}

// CreateActivity drafts an activity in the caller's scope.
func (s *Service) CreateActivity(ctx context.Context, p auth.Principal, in ActivityInput) (Activity, error) {
	if !p.IsStaff() {
		return Activity{}, fault.Forbiddenf("only staff may organise activities")
	}
	var c validate.Collector
	a := Activity{ID: newID(), Status: StatusDraft, VolunteerService: in.VolunteerService, CreatedBy: p.Subject}
	a.Title = c.Text("title", in.Title, 1, 100)
	a.Kind = c.OneOf("kind", in.Kind, Kinds)
	a.Description = c.Text("description", in.Description, 0, 2000)
	var err error
	if a.Street, a.Community, err = s.place(ctx, &c, p, in.Street, in.Community); err != nil {
		return Activity{}, err
	}
	a.Address = c.Text("address", in.Address, 0, 200)
	if in.StationID != "" {
		id, err := uuid.Parse(in.StationID)
		if c.Check(err == nil, "station_id", validate.CodeInvalidFormat, "must be a station id") {
			a.StationID = &id
		}
	} else {
		c.Check(strings.TrimSpace(in.Address) != "", "address", validate.CodeRequired, "give an address or a station_id")
	}
	start, ok1 := parseTime(&c, "starts_at", in.StartsAt)
	end, ok2 := parseTime(&c, "ends_at", in.EndsAt)
	a.CreatedAt = s.now()
	if ok1 && ok2 {
		checkTimes(&c, start, end, a.CreatedAt)
	}
	a.StartsAt, a.EndsAt = start, end
	if in.Capacity != nil {
		c.Check(*in.Capacity >= 1 && *in.Capacity <= 100000, "capacity", validate.CodeOutOfRange, "must be between 1 and 100000, or absent for no limit")
		a.Capacity = in.Capacity
	}
	if err := c.Err(); err != nil {
		return Activity{}, err
	}
	if err := s.store.CreateActivity(ctx, a); err != nil {
		return Activity{}, err
	}
	return a, nil
}

// GetActivity returns an activity the caller manages, or, for a worker, a
// published (or since cancelled) activity they are invited to.
func (s *Service) GetActivity(ctx context.Context, p auth.Principal, id uuid.UUID) (Activity, error) {
	a, found, err := s.store.Activity(ctx, id)
	if err != nil {
		return Activity{}, err
	}
	if !found {
		return Activity{}, errActivityNotFound
	}
	if p.IsStaff() {
		if !a.managedBy(p) {
			return Activity{}, errActivityNotFound
		}
		return a, nil
	}
	w, err := s.callerWorker(ctx, p)
	if err != nil {
		return Activity{}, err
	}
	if a.Status == StatusDraft {
		return Activity{}, errActivityNotFound
	}
	acts := []Activity{a}
	if err := s.asSeenBy(ctx, w, acts); err != nil {
		return Activity{}, err
	}
	// Outside their audience only if it was theirs (they moved since).
	if !a.invites(w) && !acts[0].Mine.SignedUp && acts[0].Mine.Attendance == nil {
		return Activity{}, errActivityNotFound
	}
	return acts[0], nil
}

// callerWorker is the worker a worker token names, active in the projection.
func (s *Service) callerWorker(ctx context.Context, p auth.Principal) (Worker, error) {
	if p.Role != auth.Worker {
		return Worker{}, fault.Forbiddenf("only workers may do this")
	}
	id, err := uuid.Parse(p.WorkerID)
	if err != nil {
		return Worker{}, errWorkerUnknown
	}
	return s.activeWorker(ctx, id)
}

// ListQuery is a list's scope filter and page (keyset on id).
type ListQuery struct {
	Street    string
	Community string
	Status    string
	Mine      bool   // a worker's own: those they signed up for or attended, wherever they are now
	Limit     int    // 1..500; the HTTP API defaults it to 50
	After     string // cursor: the id of the last item of the previous page
	// From and To (activities only) are days, YYYY-MM-DD in Asia/Shanghai:
	// activities starting on or after the start of From and before the end
	// of To. Either may be absent.
	From, To                      string
	worker                        uuid.UUID
	startsOnOrAfter, startsBefore time.Time
}

// maxDays is the longest from–to range a list takes (about ten years).
const maxDays = 3660

// checkDays validates a list's from and to days and turns them into
// q's start bounds (Asia/Shanghai midnights, in UTC).
func checkDays(c *validate.Collector, q *ListQuery) {
	day := func(field, s string) (time.Time, bool) {
		if s == "" {
			return time.Time{}, false
		}
		t, err := time.ParseInLocation(time.DateOnly, s, Shanghai)
		if !c.Check(err == nil, field, validate.CodeInvalidFormat, `must be a day, YYYY-MM-DD (e.g. "2026-05-01")`) {
			return time.Time{}, false
		}
		return t, true
	}
	from, okFrom := day("from", q.From)
	to, okTo := day("to", q.To)
	if okFrom && okTo && !c.Check(!to.Before(from), "to", validate.CodeOutOfRange, "must not be before from") {
		return
	}
	if okFrom && okTo {
		c.Check(to.Sub(from) <= maxDays*24*time.Hour, "to", validate.CodeOutOfRange, "a range is at most 3660 days")
	}
	if okFrom {
		q.startsOnOrAfter = from.UTC()
	}
	if okTo {
		q.startsBefore = to.AddDate(0, 0, 1).UTC()
	}
}

// narrowToScope fits a staff member's list filter to their scope: a street
// admin's to their street, community staff's to their community
// (places.Filter). A street or community the filter names outside the
// scope, or that the registry never created, is a field error (422), never
// an empty list that would read as "there are none".
func (s *Service) narrowToScope(ctx context.Context, p auth.Principal, street, community *string) error {
	var c validate.Collector
	var err error
	*street, *community, err = places.Filter(ctx, s.store.places, &c, p, *street, *community)
	if err != nil {
		return fmt.Errorf("list scope: %w", err)
	}
	return c.Err()
}

// ownFilter refuses a worker's street or community filter that is not
// their own place (422, worded as for staff outside their scope): a
// worker's lists are of their own place or their own rows, and a filter
// naming another place would otherwise be quietly ignored.
func ownFilter(w Worker, street, community string) error {
	var c validate.Collector
	c.Check(street == "" || street == w.Street, "street", validate.CodeUnknownValue, "no such street")
	c.Check(community == "" || community == w.Community, "community", validate.CodeUnknownValue, "no such community")
	return c.Err()
}

// Page is one page of a list; Next is the cursor of the next one.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// ListActivities lists activities: staff see those in their scope (a filter
// outside it gives an empty list), workers the published ones of their
// street meant for the whole street or their own community.
func (s *Service) ListActivities(ctx context.Context, p auth.Principal, q ListQuery) (Page[Activity], error) {
	var c validate.Collector
	c.Check(q.Limit >= 1 && q.Limit <= 500, "limit", validate.CodeOutOfRange, "must be between 1 and 500")
	if q.After != "" {
		_, err := uuid.Parse(q.After)
		c.Check(err == nil, "after", validate.CodeInvalidFormat, "must be the next cursor of a previous page")
	}
	if q.Status != "" {
		c.OneOf("status", q.Status, []string{StatusDraft, StatusPublished, StatusCancelled})
	}
	c.Check(!q.Mine || p.Role == auth.Worker, "mine", validate.CodeUnknownValue, "only a worker has activities of their own")
	checkDays(&c, &q)
	if err := c.Err(); err != nil {
		return Page[Activity]{}, err
	}
	empty := Page[Activity]{Items: []Activity{}}
	if p.IsStaff() {
		if err := s.narrowToScope(ctx, p, &q.Street, &q.Community); err != nil {
			return Page[Activity]{}, err
		}
		return s.store.ListActivities(ctx, q, false)
	}
	w, err := s.callerWorker(ctx, p)
	if err != nil {
		return Page[Activity]{}, err
	}
	if err := ownFilter(w, q.Street, q.Community); err != nil {
		return Page[Activity]{}, err
	}
	var page Page[Activity]
	if q.Mine {
		// Their own, cancelled ones too (they hear of it), in any community.
		q.Street, q.Community, q.worker = "", "", w.ID
		page, err = s.store.ListActivities(ctx, q, false)
	} else {
		if q.Status != "" && q.Status != StatusPublished {
			return empty, nil
		}
		q.Street, q.Community, q.Status = w.Street, w.Community, StatusPublished
		page, err = s.store.ListActivities(ctx, q, true)
	}
	if err != nil {
		return Page[Activity]{}, err
	}
	return page, s.asSeenBy(ctx, w, page.Items)
}

// Participation is a worker's own part in an activity, as they see it:
// whether they are signed up, and their check-in, check-out and hours.
type Participation struct {
	SignedUp   bool        `json:"signed_up"`
	Attendance *Attendance `json:"attendance,omitempty"`
}

// asSeenBy makes activities what worker w sees: without their check-in
// codes, and with w's own part in each (Mine).
func (s *Service) asSeenBy(ctx context.Context, w Worker, acts []Activity) error {
	ids := make([]uuid.UUID, len(acts))
	for i, a := range acts {
		ids[i] = a.ID
	}
	mine, err := s.store.Participation(ctx, w.ID, ids)
	if err != nil {
		return err
	}
	for i := range acts {
		acts[i] = acts[i].withoutCode()
		part := mine[acts[i].ID]
		acts[i].Mine = &part
	}
	return nil
}

// PublishActivity publishes a draft; its start must still lie ahead.
func (s *Service) PublishActivity(ctx context.Context, p auth.Principal, id uuid.UUID) (Activity, error) {
	return s.transition(ctx, p, id, func(a *Activity, at time.Time) (*pending, error) {
		if a.Status != StatusDraft {
			return nil, fault.ConflictReason("activity_not_draft", "only a draft can be published; this activity is %s", a.Status)
		}
		if !a.StartsAt.After(at) {
			var c validate.Collector
			c.Add("starts_at", validate.CodeOutOfRange, "has passed; an activity must be published before it starts")
			return nil, c.Err()
		}
		a.Status, a.PublishedAt, a.CheckinCode = StatusPublished, &at, newCheckinCode()
		return &pending{event.ActivityPublished, a.Street, a.ID.String(), a.data()}, nil
	})
}

// CancelInput gives the reason for a cancellation.
type CancelInput struct {
	Reason string `json:"reason"`
}

// CancelActivity cancels a draft or a published activity. Only cancelling a
// published one is an event: nobody outside the office saw a draft.
func (s *Service) CancelActivity(ctx context.Context, p auth.Principal, id uuid.UUID, in CancelInput) (Activity, error) {
	var c validate.Collector
	reason := c.Text("reason", in.Reason, 1, 200)
	if !p.IsStaff() {
		return Activity{}, fault.Forbiddenf("only staff may cancel activities")
	}
	if err := c.Err(); err != nil {
		return Activity{}, err
	}
	return s.transition(ctx, p, id, func(a *Activity, at time.Time) (*pending, error) {
		if a.Status == StatusCancelled {
			return nil, fault.ConflictReason("activity_cancelled", "the activity is already cancelled")
		}
		was := a.Status
		a.Status, a.CancelReason, a.CancelledAt = StatusCancelled, reason, &at
		if was != StatusPublished {
			return nil, nil
		}
		return &pending{event.ActivityCancelled, a.Street, a.ID.String(), a.data()}, nil
	})
}

// NewCheckinCode gives a published activity a new check-in code, for staff
// who find the one shown at the place passed around: from now on only the
// new one checks a rider in or out.
func (s *Service) NewCheckinCode(ctx context.Context, p auth.Principal, id uuid.UUID) (Activity, error) {
	return s.transition(ctx, p, id, func(a *Activity, _ time.Time) (*pending, error) {
		if a.Status != StatusPublished {
			return nil, fault.ConflictReason("activity_not_published", "only a published activity has a check-in code; this one is %s", a.Status)
		}
		a.CheckinCode = newCheckinCode()
		return nil, nil
	})
}

// transition changes an activity's status under a row lock.
func (s *Service) transition(ctx context.Context, p auth.Principal, id uuid.UUID, change func(a *Activity, at time.Time) (*pending, error)) (Activity, error) {
	if !p.IsStaff() {
		return Activity{}, fault.Forbiddenf("only staff may manage activities")
	}
	at := s.now()
	a, err := s.store.UpdateActivity(ctx, id, func(a *Activity) (*pending, error) {
		if !a.managedBy(p) {
			return nil, errActivityNotFound
		}
		return change(a, at)
	})
	if err != nil {
		return Activity{}, fmt.Errorf("activity %s: %w", id, err)
	}
	return a, nil
}

// SignUp signs the calling worker up. It reports whether the sign-up is
// new; signing up again while signed up returns the existing one.
func (s *Service) SignUp(ctx context.Context, p auth.Principal, id uuid.UUID) (Signup, bool, error) {
	w, err := s.callerWorker(ctx, p)
	if err != nil {
		return Signup{}, false, err
	}
	su, isNew, err := s.store.SignUp(ctx, id, w, s.now())
	if err != nil {
		return Signup{}, false, fmt.Errorf("sign up for %s: %w", id, err)
	}
	return su, isNew, nil
}

// Withdraw withdraws the calling worker's sign-up.
func (s *Service) Withdraw(ctx context.Context, p auth.Principal, id uuid.UUID) (Signup, error) {
	w, err := s.callerWorker(ctx, p)
	if err != nil {
		return Signup{}, err
	}
	su, err := s.store.Withdraw(ctx, id, w, s.now())
	if err != nil {
		return Signup{}, fmt.Errorf("withdraw from %s: %w", id, err)
	}
	return su, nil
}

// checkSignable is what a sign-up asks of the activity, for worker w at now.
func checkSignable(a Activity, w Worker, now time.Time) error {
	if a.Status == StatusDraft || !a.invites(w) {
		return errActivityNotFound
	}
	if a.Status == StatusCancelled {
		return fault.ConflictReason("activity_cancelled", "the activity is cancelled")
	}
	if !a.StartsAt.After(now) {
		return fault.ConflictReason("activity_started", "the activity has already started")
	}
	return nil
}

// ListSignups lists an activity's sign-ups (active and withdrawn) for staff
// who manage it.
func (s *Service) ListSignups(ctx context.Context, p auth.Principal, id uuid.UUID) ([]Signup, error) {
	if !p.IsStaff() {
		return nil, fault.Forbiddenf("only staff may list sign-ups")
	}
	a, found, err := s.store.Activity(ctx, id)
	if err != nil {
		return nil, err
	}
	if !found || !a.managedBy(p) {
		return nil, errActivityNotFound
	}
	return s.store.Signups(ctx, id)
}
