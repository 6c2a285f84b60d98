package registry

// Pairing and monthly contact (结对联系).
//
// Each worker is paired with a community contact, a staff member who must
// reach them at least once a month ("网格化+铁脚板+微信群": on foot through
// the grid, by phone, on WeChat and in group chats). A pairing belongs to
// the worker's current community: staff whose scope covers it manage the
// pairing, so when a worker is transferred the receiving community sees
// (and can end and replace) the pairing they arrive with. "A month" is a
// calendar month in Asia/Shanghai.
//
// SQL lives in store_pairing.go, HTTP in transport_pairing.go.

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// PairingContactMethods are the ways a paired staff member reaches a worker: a
// visit (铁脚板), a call, a WeChat message, a message in a group chat (微信群).
var PairingContactMethods = []string{"visit", "phone", "wechat", "group_chat", "other"}

// Pairing statuses.
const (
	PairingActive = "active"
	PairingEnded  = "ended"
)

// monthLayout is how a month is written in the API and in events.
const monthLayout = "2006-01"

// How far back a contact may be recorded, and how far a client's clock may
// run ahead of ours before a contact counts as "in the future".
const (
	contactMaxAge    = 90 * 24 * time.Hour
	contactClockSkew = time.Minute
)

// Pairing links a worker with the staff member responsible for reaching
// them. Street and Community are the worker's current ones.
type Pairing struct {
	ID           uuid.UUID  `json:"id"`
	WorkerID     uuid.UUID  `json:"worker_id"`
	WorkerName   string     `json:"worker_name"` // the worker's name now, for display; never in events
	Street       string     `json:"street"`
	Community    string     `json:"community"`
	StaffSubject string     `json:"staff_subject"`
	StaffName    string     `json:"staff_name"`
	Note         string     `json:"note"`
	Status       string     `json:"status"`
	CreatedBy    string     `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
	EndedAt      *time.Time `json:"ended_at,omitempty"`
	EndedBy      string     `json:"ended_by,omitempty"`
	EndReason    string     `json:"end_reason,omitempty"`
	// LastContactAt is the latest recorded contact (in an overdue list: the
	// latest before the month's end); null when there was none.
	LastContactAt *time.Time `json:"last_contact_at"`
}

// PairingContact is one recorded contact with a paired worker.
type PairingContact struct {
	ID          uuid.UUID `json:"id"`
	PairingID   uuid.UUID `json:"pairing_id"`
	ContactedAt time.Time `json:"contacted_at"`
	Method      string    `json:"method"`
	Note        string    `json:"note"`
	RecordedBy  string    `json:"recorded_by"`
	RecordedAt  time.Time `json:"recorded_at"`
}

// month is a calendar month in Asia/Shanghai, as the instants it spans.
type month struct {
	Start, End time.Time // [Start, End)
}

// monthOf is the Shanghai month t falls in: 2026-11-30T17:00Z is
// 2026-12-01 01:00 in Shanghai, so it belongs to December.
func monthOf(t time.Time) month {
	y, m, _ := t.In(Shanghai).Date()
	start := time.Date(y, m, 1, 0, 0, 0, 0, Shanghai)
	return month{Start: start, End: start.AddDate(0, 1, 0)}
}

// String is the month written YYYY-MM.
func (m month) String() string { return m.Start.Format(monthLayout) }

// previous is the month before m.
func (m month) previous() month { return monthOf(m.Start.Add(-time.Hour)) }

// seesPairing: staff whose scope covers the worker's community, and the
// paired staff member themself, see a pairing and record contacts on it.
func seesPairing(p auth.Principal, pr Pairing) bool {
	if !p.IsStaff() {
		return false
	}
	return p.SeesCommunity(pr.Street, pr.Community) || p.Subject == pr.StaffSubject
}

var errPairingNotFound = fault.NotFoundf("pairing not found")

func pairingEvent(name event.Name, pr Pairing) pending {
	return pending{name, pr.Street, pr.ID.String(), event.PairingData{
		PairingID: pr.ID.String(), WorkerID: pr.WorkerID.String(), StaffSubject: pr.StaffSubject,
		Street: pr.Street, Community: pr.Community, CreatedAt: pr.CreatedAt, EndedAt: pr.EndedAt,
	}}
}

// PairingInput pairs a worker with a staff member.
type PairingInput struct {
	WorkerID     string `json:"worker_id"`
	StaffSubject string `json:"staff_subject"` // the subject the staff member signs in with
	StaffName    string `json:"staff_name"`    // for display
	Note         string `json:"note"`
}

// ErrActivePairing is the store's answer when the worker already has an
// active pairing; ExistingID names it.
type ErrActivePairing struct{ ExistingID uuid.UUID }

func (e ErrActivePairing) Error() string {
	return "the worker already has an active pairing: " + e.ExistingID.String()
}

// CreatePairing pairs a worker with a staff member; staff whose scope covers
// the worker's community. A worker has at most one active pairing: a second
// is refused naming the first, which a clerk ends before pairing anew. A
// worker who has left cannot be paired.
func (s *Service) CreatePairing(ctx context.Context, p auth.Principal, in PairingInput) (Pairing, error) {
	if !p.IsStaff() {
		return Pairing{}, fault.Forbiddenf("only staff may pair workers")
	}
	var c validate.Collector
	pr := Pairing{ID: newID(), Status: PairingActive, CreatedBy: p.Subject}
	pr.StaffSubject = c.Text("staff_subject", in.StaffSubject, 1, 100)
	pr.StaffName = c.Text("staff_name", in.StaffName, 1, 50)
	pr.Note = c.Text("note", in.Note, 0, 500)
	workerID, err := uuid.Parse(in.WorkerID)
	if in.WorkerID == "" {
		c.Add("worker_id", validate.CodeRequired, "is required")
	} else if err != nil {
		c.Add("worker_id", validate.CodeInvalidFormat, "must be a worker id")
	}
	if err := c.Err(); err != nil {
		return Pairing{}, err
	}
	pr.WorkerID = workerID
	err = s.store.CreatePairing(ctx, workerID, func(w Worker, found bool) (Pairing, pending, error) {
		// A worker out of scope is "no such worker", as for any id in a body.
		if !found || !p.SeesCommunity(w.Street, w.Community) {
			c.Add("worker_id", validate.CodeUnknownValue, "no such worker")
			return Pairing{}, pending{}, c.Err()
		}
		if w.Status != StatusActive {
			return Pairing{}, pending{}, errNotActive(w.Status, "cannot be paired")
		}
		pr.Street, pr.Community, pr.WorkerName = w.Street, w.Community, w.Name
		pr.CreatedAt = s.now()
		return pr, pairingEvent(event.PairingCreated, pr), nil
	})
	var dup ErrActivePairing
	if errors.As(err, &dup) {
		fe := &fault.Error{Kind: fault.Conflict, Message: "the worker already has an active pairing; end it first",
			Details: map[string]any{"reason": "pairing_exists"}}
		return Pairing{}, fe.With("existing_pairing_id", dup.ExistingID.String())
	}
	if err != nil {
		return Pairing{}, wrap("create pairing", err)
	}
	return pr, nil
}

// GetPairing returns a pairing with its latest contact.
func (s *Service) GetPairing(ctx context.Context, p auth.Principal, id uuid.UUID) (Pairing, error) {
	if !p.IsStaff() {
		return Pairing{}, fault.Forbiddenf("only staff may read pairings")
	}
	pr, found, err := s.store.Pairing(ctx, id)
	if err != nil {
		return Pairing{}, wrap("get pairing", err)
	}
	if !found || !seesPairing(p, pr) {
		return Pairing{}, errPairingNotFound
	}
	return pr, nil
}

// PairingQuery filters the pairing list.
type PairingQuery struct {
	ListQuery
	StaffSubject string
	WorkerID     string
	Status       string // active | ended | "" (both)
}

// ListPairings lists pairings in the caller's scope, by id; staff only.
func (s *Service) ListPairings(ctx context.Context, p auth.Principal, q PairingQuery) (Page[Pairing], error) {
	if !p.IsStaff() {
		return Page[Pairing]{}, fault.Forbiddenf("only staff may list pairings")
	}
	var c validate.Collector
	checkPage(&c, &q.ListQuery)
	if q.Status != "" {
		c.OneOf("status", q.Status, []string{PairingActive, PairingEnded})
	}
	if q.WorkerID != "" {
		_, err := uuid.Parse(q.WorkerID)
		c.Check(err == nil, "worker_id", validate.CodeInvalidFormat, "must be a worker id")
	}
	lq, err := s.scopeQuery(ctx, p, &c, q.ListQuery)
	if err != nil {
		return Page[Pairing]{}, err
	}
	if err := c.Err(); err != nil {
		return Page[Pairing]{}, err
	}
	q.ListQuery = lq
	return s.store.ListPairings(ctx, q)
}

// EndPairingInput says why a pairing ends (the staff member moved on, the
// worker moved away).
type EndPairingInput struct {
	Reason string `json:"reason"`
}

// EndPairing ends an active pairing, keeping it and its contacts for the
// record; staff whose scope covers the worker's community.
func (s *Service) EndPairing(ctx context.Context, p auth.Principal, id uuid.UUID, in EndPairingInput) (Pairing, error) {
	if !p.IsStaff() {
		return Pairing{}, fault.Forbiddenf("only staff may end pairings")
	}
	var c validate.Collector
	reason := c.Text("reason", in.Reason, 1, 200)
	if err := c.Err(); err != nil {
		return Pairing{}, err
	}
	var out Pairing
	err := s.store.EndPairing(ctx, id, func(pr *Pairing) (pending, error) {
		if !seesPairing(p, *pr) {
			return pending{}, errPairingNotFound
		}
		if !p.SeesCommunity(pr.Street, pr.Community) {
			return pending{}, fault.Forbiddenf("only staff whose scope covers the worker's community may end a pairing")
		}
		if pr.Status == PairingEnded {
			return pending{}, fault.ConflictReason("pairing_ended", "the pairing has already ended")
		}
		now := s.now()
		pr.Status, pr.EndedAt, pr.EndedBy, pr.EndReason = PairingEnded, &now, p.Subject, reason
		out = *pr
		return pairingEvent(event.PairingEnded, *pr), nil
	})
	if err != nil {
		return Pairing{}, wrap("end pairing", err)
	}
	return out, nil
}

// PairingContactInput records a contact with a paired worker.
type PairingContactInput struct {
	ContactedAt string `json:"contacted_at"` // RFC 3339
	Method      string `json:"method"`
	Note        string `json:"note"`
}

// RecordPairingContact records that the paired worker was reached; the paired
// staff member or any staff whose scope covers the worker's community. The
// contact may have happened up to 90 days ago (contacts are often entered
// late), never in the future, and counts for its month in Shanghai.
func (s *Service) RecordPairingContact(ctx context.Context, p auth.Principal, pairingID uuid.UUID, in PairingContactInput) (PairingContact, error) {
	if !p.IsStaff() {
		return PairingContact{}, fault.Forbiddenf("only staff may record contacts")
	}
	var out PairingContact
	err := s.store.CreatePairingContact(ctx, pairingID, func(pr Pairing) (PairingContact, pending, error) {
		if !seesPairing(p, pr) {
			return PairingContact{}, pending{}, errPairingNotFound
		}
		now := s.now()
		var c validate.Collector
		ct := PairingContact{ID: newID(), PairingID: pr.ID, RecordedBy: p.Subject, RecordedAt: now}
		ct.ContactedAt = checkContactedAt(&c, "contacted_at", in.ContactedAt, now)
		ct.Method = c.OneOf("method", in.Method, PairingContactMethods)
		ct.Note = c.Text("note", in.Note, 0, 500)
		if err := c.Err(); err != nil {
			return PairingContact{}, pending{}, err
		}
		if pr.Status == PairingEnded {
			return PairingContact{}, pending{}, fault.ConflictReason("pairing_ended", "the pairing has ended; contacts go on the worker's active pairing")
		}
		out = ct
		return ct, pending{event.PairingContacted, pr.Street, pr.ID.String(), event.PairingContactedData{
			PairingID: pr.ID.String(), ContactID: ct.ID.String(), WorkerID: pr.WorkerID.String(),
			StaffSubject: pr.StaffSubject, RecordedBy: p.Subject, Street: pr.Street, Community: pr.Community,
			Method: ct.Method, ContactedAt: ct.ContactedAt, Month: monthOf(ct.ContactedAt).String(),
		}}, nil
	})
	if err != nil {
		return PairingContact{}, wrap("record contact", err)
	}
	return out, nil
}

// checkContactedAt reads an RFC 3339 time no later than now (give or take a
// client's clock running a minute fast) and no more than 90 days before it.
func checkContactedAt(c *validate.Collector, field, s string, now time.Time) time.Time {
	if s == "" {
		c.Add(field, validate.CodeRequired, "is required")
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		c.Add(field, validate.CodeInvalidFormat, "must be an RFC 3339 time, e.g. 2026-11-30T09:30:00+08:00")
		return time.Time{}
	}
	t = t.UTC().Truncate(time.Microsecond)
	switch {
	case t.After(now.Add(contactClockSkew)):
		c.Add(field, validate.CodeOutOfRange, "must not be in the future")
	case t.Before(now.Add(-contactMaxAge)):
		c.Add(field, validate.CodeOutOfRange, "must be within the last 90 days")
	}
	return t
}

// PairingContacts returns a pairing's contacts, newest first. A pairing has about
// one a month, so the list is not paged.
func (s *Service) PairingContacts(ctx context.Context, p auth.Principal, pairingID uuid.UUID) ([]PairingContact, error) {
	if _, err := s.GetPairing(ctx, p, pairingID); err != nil {
		return nil, err
	}
	return s.store.PairingContacts(ctx, pairingID)
}

// OverdueQuery asks for the pairings without a contact in a month.
type OverdueQuery struct {
	ListQuery
	Month        string // YYYY-MM; "" is the current month in Shanghai
	StaffSubject string // only this staff member's pairings: their to-do list
}

// OverduePage is one page of pairings without a contact in Month.
type OverduePage struct {
	Month string `json:"month"`
	Page[Pairing]
}

// OverduePairings lists the pairings due a contact in a month that had
// none, each with the latest contact before the month's end; staff, within
// their scope. A pairing is due in a month when it was made before the
// month's end and neither it ended nor the worker left before then: for the
// current month, the active pairings of workers still in the ledger.
func (s *Service) OverduePairings(ctx context.Context, p auth.Principal, q OverdueQuery) (OverduePage, error) {
	if !p.IsStaff() {
		return OverduePage{}, fault.Forbiddenf("only staff may list overdue pairings")
	}
	var c validate.Collector
	checkPage(&c, &q.ListQuery)
	m := monthOf(s.now())
	if q.Month != "" {
		start, err := time.ParseInLocation(monthLayout, q.Month, Shanghai)
		if c.Check(err == nil, "month", validate.CodeInvalidFormat, "must be a month written YYYY-MM") {
			m = monthOf(start)
		}
	}
	lq, err := s.scopeQuery(ctx, p, &c, q.ListQuery)
	if err != nil {
		return OverduePage{}, err
	}
	if err := c.Err(); err != nil {
		return OverduePage{}, err
	}
	out := OverduePage{Month: m.String(), Page: Page[Pairing]{Items: []Pairing{}}}
	q.ListQuery = lq
	page, err := s.store.OverduePairings(ctx, q, m)
	if err != nil {
		return OverduePage{}, wrap("overdue pairings", err)
	}
	out.Page = page
	return out, nil
}

// overdueCatchUpMonths bounds how far back FlagOverduePairings looks: the
// twelve months that ended most recently. A pairing unreached in an older
// month is never flagged for it, however long the job did not run: a
// reminder about a month more than a year gone helps nobody, and the bound
// keeps a run to at most twelve queries over the due pairings. (Contacts may
// be entered only 90 days late, so the older months are settled anyway.)
const overdueCatchUpMonths = 12

// overdueMonths are the months FlagOverduePairings checks when run at now,
// oldest first: the overdueCatchUpMonths months before now's month.
func overdueMonths(now time.Time) []month {
	this := monthOf(now)
	m := monthOf(this.Start.AddDate(0, -overdueCatchUpMonths, 0))
	out := make([]month, 0, overdueCatchUpMonths)
	for m.Start.Before(this.Start) {
		out = append(out, m)
		m = monthOf(m.End)
	}
	return out
}

// FlagOverduePairings emits registry.pairing.overdue for every pairing and
// month that has ended before now (Shanghai) in which the pairing was due a
// contact and had none: from the month it was made (or the catch-up bound,
// overdueCatchUpMonths back) to the month just ended, so a run in December
// checks November and, should the job not have run for a while, the months
// before it too. Months are checked oldest first, so a pairing's flags
// follow one another in order. Nothing records which months were checked:
// every run looks at all the months within the bound again, and a pairing
// whose creation committed just after a month's first run is still flagged
// by the next. Each pairing and month is flagged exactly once, however often
// and from however many instances this runs: the flag row (whose primary key
// is the pairing and month) and the event's outbox row commit in one
// transaction, and the flag's insert, which re-checks for a contact, decides.
// It returns how many flags this call wrote.
func (s *Service) FlagOverduePairings(ctx context.Context, now time.Time) (int, error) {
	flagged := 0
	for _, m := range overdueMonths(now) {
		n, err := s.flagOverdueMonth(ctx, m)
		flagged += n
		if err != nil {
			// The next run picks up the rest: what is flagged stays flagged.
			return flagged, err
		}
	}
	return flagged, nil
}

// flagOverdueMonth flags the pairings due a contact in m that had none and
// are not flagged for m yet, and returns how many this call flagged.
func (s *Service) flagOverdueMonth(ctx context.Context, m month) (int, error) {
	due, err := s.store.UnflaggedOverdue(ctx, m)
	if err != nil {
		return 0, wrap("flag overdue pairings", err)
	}
	flagged := 0
	for _, pr := range due {
		ok, err := s.store.FlagOverdue(ctx, pr.ID, m, s.now(), func(last *time.Time) pending {
			return pending{event.PairingOverdue, pr.Street, pr.ID.String(), event.PairingOverdueData{
				PairingID: pr.ID.String(), WorkerID: pr.WorkerID.String(), StaffSubject: pr.StaffSubject,
				Street: pr.Street, Community: pr.Community, Month: m.String(), LastContactAt: last,
			}}
		})
		if err != nil {
			return flagged, wrap("flag overdue pairing "+pr.ID.String(), err)
		}
		if ok {
			flagged++
		}
	}
	return flagged, nil
}

// RunOverdueJob calls FlagOverduePairings at once and then every `every`
// (which must be positive) until ctx is done, logging failures and how many
// pairings each run flagged. Every instance of the service may run it.
func RunOverdueJob(ctx context.Context, svc *Service, every time.Duration, log *slog.Logger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		n, err := svc.FlagOverduePairings(ctx, svc.now())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("flagging overdue pairings failed", "err", err, "flagged", n)
		case n > 0:
			log.Info("overdue pairings flagged", "flagged", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
