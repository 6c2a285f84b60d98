package points

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/places"
)

// Accounts follow the registry's worker events: registered opens one,
// updated, left, rejected (a self-registration a clerk refused: a
// departure) and transferred move or close it. Events older than the one
// applied last are ignored, so order of delivery does not matter.
var accountEvents = []event.Name{event.WorkerRegistered, event.WorkerUpdated, event.WorkerLeft, event.WorkerRejected, event.WorkerTransferred}

// earnEvents are the activity events that earn points.
var earnEvents = []event.Name{event.AttendanceRecorded, event.ReportStatusChanged}

// ApplyWorkerEvent opens or updates an account from a registry event, inside
// the consumer runner's transaction.
func (s *Service) ApplyWorkerEvent(ctx context.Context, tx pgx.Tx, e event.Envelope) error {
	name, err := e.Name()
	if err != nil {
		return consume.Permanent(err)
	}
	if name == event.WorkerTransferred {
		var d event.WorkerTransferredData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		// A transfer seen before the registration opens the account in its
		// new place; the older registration then changes nothing.
		_, err := tx.Exec(ctx, `INSERT INTO accounts (worker_id, street, community, status, event_time, opened_at, updated_at)
			VALUES ($1, $2, $3, 'active', $4, $5, $5)
			ON CONFLICT (worker_id) DO UPDATE SET street = EXCLUDED.street, community = EXCLUDED.community,
				event_time = EXCLUDED.event_time, updated_at = EXCLUDED.updated_at
			WHERE accounts.event_time <= EXCLUDED.event_time`, d.WorkerID, d.ToStreet, d.ToCommunity, e.Time, s.now())
		return err
	}
	var d event.WorkerData
	if err := e.Decode(&d); err != nil {
		return consume.Permanent(err)
	}
	if _, err := uuid.Parse(d.WorkerID); err != nil || d.Street == "" || d.Community == "" {
		return consume.Permanent(fmt.Errorf("%s %s lacks a worker id, street or community", e.Type, e.ID))
	}
	status := "active"
	if d.Status == "left" || d.Status == "rejected" || name == event.WorkerRejected {
		status = "left"
	}
	at := s.now()
	_, err = tx.Exec(ctx, `INSERT INTO accounts (worker_id, street, community, status, event_time, opened_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)
		ON CONFLICT (worker_id) DO UPDATE SET street = EXCLUDED.street, community = EXCLUDED.community,
			status = EXCLUDED.status, event_time = EXCLUDED.event_time, updated_at = EXCLUDED.updated_at
		WHERE accounts.event_time <= EXCLUDED.event_time`, d.WorkerID, d.Street, d.Community, status, e.Time, at)
	return err
}

// Earn credits a batch of activity events, in stream order: attendances,
// and reports closed as valid (consume.BatchHandler). It runs in the
// consumer's transaction, so the entries and the inbox rows commit
// together; an entry's cause (the event id) is unique besides, and an event
// whose cause is in the ledger already changes nothing. The batch costs two
// round trips whatever its size: one locks its accounts and reads what
// crediting needs (Store.lockEarnings), one writes the entries and their
// events. An event at fault (malformed, or its account not opened yet) is
// named with consume.At, so the events before it commit without it.
func (s *Service) Earn(ctx context.Context, tx pgx.Tx, events []event.Envelope) error {
	credits := make([]credit, 0, len(events))
	for i, e := range events {
		c, err := creditOf(e)
		if err != nil {
			return consume.At(i, err)
		}
		if c.earns() {
			c.index = i
			credits = append(credits, c)
		}
	}
	if len(credits) == 0 {
		return nil
	}
	b, err := s.store.inBook(ctx, tx, s.stars, func(b *Book) error {
		qs := make([]earningQuery, len(credits))
		for i, c := range credits {
			qs[i] = c.query
		}
		reads, err := s.store.lockEarnings(ctx, b, qs)
		if err != nil {
			return err
		}
		for _, c := range credits {
			if err := s.credit(b, reads, c); err != nil {
				return consume.At(c.index, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	consume.AfterCommit(ctx, func() { s.store.metrics.count(b) })
	return nil
}

// credit is one earning event, decoded.
type credit struct {
	index      int // in the batch
	event      event.Envelope
	attendance *event.AttendanceData
	report     *event.ReportStatusChangedData
	query      earningQuery
}

// earns says whether the event can earn: an attendance, or a report
// closed as valid.
func (c credit) earns() bool {
	if c.report != nil {
		return c.report.To == "closed" && c.report.Valid != nil && *c.report.Valid
	}
	return c.attendance != nil
}

// creditOf decodes an earning event and says what crediting it reads.
func creditOf(e event.Envelope) (credit, error) {
	name, err := e.Name()
	if err != nil {
		return credit{}, consume.Permanent(err)
	}
	c := credit{event: e}
	var workerID string
	switch name {
	case event.AttendanceRecorded:
		var d event.AttendanceData
		if err := e.Decode(&d); err != nil {
			return c, consume.Permanent(err)
		}
		c.attendance, workerID = &d, d.WorkerID
		c.query = earningQuery{ref: "attendance:" + d.ActivityID + ":" + d.WorkerID, street: d.Street,
			at: d.CheckedOutAt, day: serviceDay(d.CheckedOutAt)}
	case event.ReportStatusChanged:
		var d event.ReportStatusChangedData
		if err := e.Decode(&d); err != nil {
			return c, consume.Permanent(err)
		}
		c.report, workerID = &d, d.WorkerID
		c.query = earningQuery{ref: "report:" + d.ReportID, street: d.Street, at: e.Time, day: serviceDay(e.Time)}
	default:
		return c, nil
	}
	if !c.earns() {
		return c, nil
	}
	id, err := uuid.Parse(workerID)
	if err != nil {
		return c, consume.Permanent(fmt.Errorf("worker id %q: %w", workerID, err))
	}
	c.query.workerID, c.query.cause = id, "event:"+e.ID
	return c, nil
}

// credit posts c's earning with what reads says of the ledger, and notes
// there what it posted. An account not opened yet is a retry: the
// registry's event is on its way.
func (s *Service) credit(b *Book, reads *earnings, c credit) error {
	v, err := reads.earning(c.query)
	if errors.Is(err, errAccountNotFound) {
		return errNoAccountYet
	}
	if err != nil || v.credited {
		return err // credited already: nothing more to do
	}
	var posted []*Entry
	if c.attendance != nil {
		posted, err = s.earnAttendance(b, v, c)
	} else {
		posted, err = s.earnReport(b, v, c)
	}
	for _, e := range posted {
		reads.record(e)
	}
	return err
}

// serviceDay is the Shanghai calendar day of t, for the daily cap.
func serviceDay(t time.Time) time.Time {
	y, m, d := t.In(Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// capped cuts points to what the day's cap leaves beside what was earned.
func capped(earned int64, cap int, points int64) (int64, bool) {
	left := max(int64(cap)-earned, 0)
	if points > left {
		return left, true
	}
	return points, false
}

// earnAttendance credits an attendance by the rule of the street and time
// the service was done. An attendance already credited (a staff correction)
// is first reversed, then credited afresh at the corrected hours. It
// returns the entries it posted.
func (s *Service) earnAttendance(b *Book, v earning, c credit) ([]*Entry, error) {
	d, q := c.attendance, c.query
	at := s.now()
	var posted []*Entry
	rev, err := reverse(b, v.account, v.last, c.event.ID, at)
	if err != nil {
		return nil, err
	}
	earned := v.dayEarned
	if rev != nil {
		posted = append(posted, rev)
		if rev.ServiceDay != nil && rev.ServiceDay.Equal(q.day) {
			earned += rev.Points // the reversal just posted counts against the day, as the ledger will
		}
	}
	var centi int64
	if d.VolunteerService {
		centi = int64(d.Hours*100 + 0.5)
	}
	points, wasCapped := capped(earned, v.rule.DailyCap, v.rule.forAttendance(d.Kind, d.VolunteerService, centi))
	e := &Entry{Kind: KindEarn, Points: points, CentiHours: centi, Cause: q.cause, CauseEventID: c.event.ID,
		Ref: q.ref, RuleID: v.rule.ruleID(), ServiceDay: &q.day, Capped: wasCapped}
	if err := b.Post(v.account, e, event.PointsEarned, at); err != nil {
		return posted, err
	}
	return append(posted, e), nil
}

// reverse takes back last, the latest earning for its ref — each
// correction replaces the one before, which is the latest earning — as far
// as the balance allows: points already spent stay spent (the entry's
// reason says so), hours are always taken back. It returns the reversal
// posted, if any.
func reverse(b *Book, a *Account, last *Entry, eventID string, at time.Time) (*Entry, error) {
	if last == nil || (last.Points == 0 && last.CentiHours == 0) {
		return nil, nil
	}
	take := min(last.Points, a.Balance)
	reason := "corrected"
	if take < last.Points {
		reason = fmt.Sprintf("corrected; %d points were already spent and stay spent", last.Points-take)
	}
	// The reversal counts against the day and place of the earning it reverses.
	rev := &Entry{Kind: KindReverse, Points: -take, CentiHours: -last.CentiHours, Cause: "reverse:" + eventID,
		CauseEventID: eventID, Ref: last.Ref, Reverses: &last.ID, ServiceDay: last.ServiceDay, Reason: reason,
		Street: last.Street, Community: last.Community}
	return rev, b.Post(a, rev, event.PointsEarned, at)
}

// earnReport credits the reporter of a report closed as valid, once per
// report. It returns the entry it posted, if any.
func (s *Service) earnReport(b *Book, v earning, c credit) ([]*Entry, error) {
	// A report earns once, whichever of its events closed it as valid: its
	// ref has an earning already.
	if v.last != nil {
		return nil, nil
	}
	q := c.query
	points, wasCapped := capped(v.dayEarned, v.rule.DailyCap, int64(v.rule.PerValidReport))
	e := &Entry{Kind: KindEarn, Points: points, Cause: q.cause, CauseEventID: c.event.ID, Ref: q.ref,
		RuleID: v.rule.ruleID(), ServiceDay: &q.day, Capped: wasCapped}
	if err := b.Post(v.account, e, event.PointsEarned, s.now()); err != nil {
		return nil, err
	}
	return []*Entry{e}, nil
}

// Consumers are the durable consumers the service runs: accounts from the
// registry, earnings from activity, and the streets and communities stores
// may be opened in (pkg/places).
func (s *Service) Consumers(pool *pgxpool.Pool, js jetstream.JetStream, subjects event.Subjects, log *slog.Logger, m *consume.Metrics) []*consume.Runner {
	filters := func(names []event.Name) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = subjects.Filter(n)
		}
		return out
	}
	return []*consume.Runner{
		{Pool: pool, JS: js, Subjects: subjects, Logger: log, Metrics: m, Stream: subjects.Stream("registry"),
			Durable: "points-accounts", Filters: filters(accountEvents), Handle: s.ApplyWorkerEvent},
		{Pool: pool, JS: js, Subjects: subjects, Logger: log, Metrics: m, Stream: subjects.Stream("activity"),
			Durable: "points-earnings", Filters: filters(earnEvents), HandleBatch: s.Earn,
			// An earning's time is round trips under its account's lock:
			// lanes by worker keep several batches on the way at once, each
			// worker's events in one lane, in order.
			Lanes: earningLanes, Key: earner, BatchSize: 256,
			// An earning for an account the registry has not opened yet waits
			// for it: retries for over an hour (about 77 minutes) before a dead letter.
			// The handler takes milliseconds and the inbox makes an early
			// redelivery harmless: a crashed instance's messages come back in
			// 10 s rather than 30.
			AckWait:    10 * time.Second,
			MaxDeliver: 20, Backoff: []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute}},
		places.Consumer("points-places", pool, js, subjects, log, m),
	}
}

// earningLanes is how many transactions of earnings run at once. Two keep
// a burst draining at over 3,000 events/s on two cores while redemptions
// keep three quarters of their solo rate; four drain a little faster but
// take redemptions below 60 % (docs/benchmarks.md, "Earnings lanes").
const earningLanes = 2

// earner is the worker an activity event credits: the account its
// earning locks (consume.Runner.Key). Both earning events name the worker
// as worker_id; an event without one is refused by Earn, in any lane.
func earner(e event.Envelope) string {
	var d struct {
		WorkerID string `json:"worker_id"`
	}
	_ = e.Decode(&d)
	return d.WorkerID
}
