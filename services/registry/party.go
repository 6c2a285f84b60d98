package registry

// Party candidates and transfers (接续培养).
//
// A worker's political status moves along the party-development pipeline
// (入党申请人 → 积极分子 → 发展对象 → 预备党员 → 正式党员) one dated step at a
// time, each step naming the party organisation responsible for it. Steps
// and transfers are kept by worker id, not by place, so when a worker moves
// to another community or street office the receiving side sees the whole
// record and carries on the training where the sending side left it.
//
// SQL lives in store_party.go, HTTP in transport_party.go.

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// CodeIllegalStep is the field-error code of a political-status change the
// pipeline does not allow (a jump, a step backwards inside it, a change of
// a full member's status).
const CodeIllegalStep = "illegal_step"

// CodeUnchanged is the field-error code of a change to the value a field
// already has (a transfer to the worker's own community).
const CodeUnchanged = "unchanged"

// dateLayout is how API dates are written: a calendar date in Beijing time.
const dateLayout = "2006-01-02"

// pipelineNext is the one stage forward from each stage. Both the masses
// and league members apply to join the party.
var pipelineNext = map[string]string{
	"masses":              "applicant",
	"league_member":       "applicant",
	"applicant":           "activist",
	"activist":            "development_target",
	"development_target":  "probationary_member",
	"probationary_member": "party_member",
}

// candidateStages are the stages a candidate may leave the pipeline from,
// by withdrawing or being disqualified (取消预备党员资格 included).
var candidateStages = []string{"applicant", "activist", "development_target", "probationary_member"}

// outsidePipeline are the statuses of someone not (or no longer) a
// candidate, between which a worker may move freely.
func outsidePipeline(status string) bool { return status == "masses" || status == "league_member" }

// illegalStepMessage explains the pipeline without naming the statuses
// involved: a political status is sensitive personal data, and messages end
// up in logs.
const illegalStepMessage = "a political status moves one stage forward along the pipeline " +
	"(masses or league_member → applicant → activist → development_target → probationary_member → party_member), " +
	"from a candidate stage back out to masses or league_member, or between masses and league_member"

// checkStatusStep reports whether a worker's political status may change
// from one value to another in a single step. It returns nil for a legal
// step, else validate.Errors with one error on field "to". It knows nothing
// of dates or notes: see stepNeedsNote and the probation rule in StepStatus.
// The spreadsheet importer calls it too, so the rule lives in one place.
//
// Legal steps:
//   - one stage forward (masses or league_member → applicant → activist →
//     development_target → probationary_member → party_member);
//   - from any candidate stage back out to masses or league_member (the
//     candidate withdrew or was disqualified; a note is then required);
//   - between masses and league_member.
//
// A full party member and a member of a democratic party (other_party) are
// not moved along the pipeline at all.
func checkStatusStep(from, to string) error {
	var c validate.Collector
	switch {
	case to == "":
		c.Add("to", validate.CodeRequired, "is required")
	case !slices.Contains(PoliticalStatuses, to):
		c.OneOf("to", to, PoliticalStatuses)
	case from == "party_member" || from == "other_party":
		c.Add("to", CodeIllegalStep, "the status of a full party member or of a member of a democratic party "+
			"is not changed along the party-development pipeline")
	case from == to:
		c.Add("to", CodeIllegalStep, "the worker already has this political status")
	case pipelineNext[from] == to,
		outsidePipeline(from) && outsidePipeline(to),
		slices.Contains(candidateStages, from) && outsidePipeline(to):
		return nil
	default:
		c.Add("to", CodeIllegalStep, illegalStepMessage)
	}
	return c.Err()
}

// stepNeedsNote reports whether a legal step takes a candidate out of the
// pipeline, which must be explained (withdrawn, disqualified, why).
func stepNeedsNote(from, to string) bool {
	return slices.Contains(candidateStages, from) && outsidePipeline(to)
}

// probationYears is how long a probationary member waits before full
// membership (预备期一年, Party Constitution art. 7).
const probationYears = 1

// StatusStepInput is one step of a worker along the pipeline.
type StatusStepInput struct {
	To          string `json:"to"`
	EffectiveOn string `json:"effective_on"` // YYYY-MM-DD
	PartyOrg    string `json:"party_org"`    // the responsible party organisation
	Note        string `json:"note"`
}

// StatusStep is a recorded change of a worker's political status. Street
// and community are where the worker was when it was recorded.
type StatusStep struct {
	ID           uuid.UUID `json:"id"`
	WorkerID     uuid.UUID `json:"worker_id"`
	From         string    `json:"from"`
	To           string    `json:"to"`
	EffectiveOn  string    `json:"effective_on"`
	PartyOrg     string    `json:"party_org"`
	Note         string    `json:"note"`
	ActorSubject string    `json:"actor_subject"`
	Street       string    `json:"street"`
	Community    string    `json:"community"`
	RecordedAt   time.Time `json:"recorded_at"`
}

// stepHistory is what a new step is checked against: the date of the
// latest step, and of the latest step into probationary membership (nil
// when none was recorded).
type stepHistory struct {
	last, probationSince *time.Time
}

// statusChange is what a step writes: the worker's new row, the step and
// its event.
type statusChange struct {
	step  StatusStep
	event pending
}

// StepStatus moves a worker's political status one step, recording the
// step and updating the worker in one transaction with the event
// registry.worker.status_changed. Staff in scope only; a worker cannot
// step their own status.
//
// The date must not be in the future (Beijing time) nor before the
// previous step's. Full membership takes effect no earlier than a year
// after the step into probationary membership; when that step was never
// recorded (the census found the worker already probationary) the rule
// cannot be checked and the clerk's date stands.
func (s *Service) StepStatus(ctx context.Context, p auth.Principal, id uuid.UUID, in StatusStepInput) (StatusStep, error) {
	if !p.IsStaff() {
		return StatusStep{}, fault.Forbiddenf("only staff may record a change of political status")
	}
	var out StatusStep
	err := s.store.StepStatus(ctx, id, func(w *Worker, h stepHistory) (*statusChange, error) {
		if !seesWorker(p, *w) {
			return nil, errWorkerNotFound
		}
		if w.Status != StatusActive {
			return nil, errNotActive(w.Status, "their political status cannot change")
		}
		var c validate.Collector
		from := w.PoliticalStatus
		collectErr(&c, checkStatusStep(from, in.To))
		today := beijingDate(s.now())
		eff, ok := parseEffectiveOn(&c, "effective_on", in.EffectiveOn, today, true)
		if ok && h.last != nil && eff.Before(*h.last) {
			c.Add("effective_on", validate.CodeOutOfRange, "must not be before the date of the previous step")
			ok = false
		}
		if ok && from == "probationary_member" && in.To == "party_member" && h.probationSince != nil &&
			eff.Before(h.probationSince.AddDate(probationYears, 0, 0)) {
			c.Add("effective_on", validate.CodeOutOfRange, "full membership takes effect no earlier than one year "+
				"after the step into probationary membership (see the worker's political-status history)")
		}
		org := c.Text("party_org", in.PartyOrg, 1, 100)
		note := c.Text("note", in.Note, 0, 500)
		if note == "" && stepNeedsNote(from, in.To) {
			c.Add("note", validate.CodeRequired, "is required when a candidate leaves the pipeline: say why")
		}
		if err := c.Err(); err != nil {
			return nil, err
		}

		now := s.now()
		w.PoliticalStatus, w.UpdatedAt = in.To, now
		if in.To != "party_member" && in.To != "probationary_member" {
			w.MobilePartyMember = false // only members can be mobile party members
		}
		out = StatusStep{
			ID: newID(), WorkerID: w.ID, From: from, To: in.To, EffectiveOn: eff.Format(dateLayout),
			PartyOrg: org, Note: note, ActorSubject: p.Subject, Street: w.Street, Community: w.Community, RecordedAt: now,
		}
		d := event.WorkerStatusChangedData{
			WorkerID: w.ID.String(), Street: w.Street, Community: w.Community,
			From: from, To: in.To, EffectiveOn: out.EffectiveOn, PartyOrg: org,
		}
		return &statusChange{step: out, event: pending{event.WorkerStatusChanged, w.Street, w.ID.String(), d}}, nil
	})
	if err != nil {
		return StatusStep{}, err
	}
	return out, nil
}

// StatusHistory returns a worker's political-status steps, oldest first,
// wherever they were recorded: staff in scope of the worker's current
// community and the worker themself.
func (s *Service) StatusHistory(ctx context.Context, p auth.Principal, id uuid.UUID) ([]StatusStep, error) {
	if _, err := s.GetWorker(ctx, p, id); err != nil {
		return nil, err
	}
	return s.store.StatusSteps(ctx, id)
}

// TransferInput moves a worker to another community.
type TransferInput struct {
	Community   string `json:"community"`    // the receiving community's code, any street
	Reason      string `json:"reason"`       // required
	EffectiveOn string `json:"effective_on"` // YYYY-MM-DD, default today
}

// Transfer is a recorded move of a worker between communities.
type Transfer struct {
	ID            uuid.UUID `json:"id"`
	WorkerID      uuid.UUID `json:"worker_id"`
	FromStreet    string    `json:"from_street"`
	FromCommunity string    `json:"from_community"`
	ToStreet      string    `json:"to_street"`
	ToCommunity   string    `json:"to_community"`
	Reason        string    `json:"reason"`
	EffectiveOn   string    `json:"effective_on"`
	ActorSubject  string    `json:"actor_subject"`
	RecordedAt    time.Time `json:"recorded_at"`
}

// transferChange is what a transfer writes besides the worker's row.
type transferChange struct {
	transfer Transfer
	events   []pending
}

// TransferWorker moves a worker to another community, in this street
// office or another (接续培养). The sending side acts: staff whose scope
// covers the worker's current community, or district admins; the receiving
// community may be anywhere. The worker's status steps and check-ins stay
// attached to the worker, so the receiving side sees the whole record and
// the sending side no longer sees the worker at all. The enterprise link
// is cleared when the worker leaves the enterprise's street.
//
// The event registry.worker.transferred is published once per street
// involved: on the old street's subject and, when the street changes, on
// the new street's too (two outbox rows, the same data, each its own event
// id), so a subscriber scoped to one street sees workers leave and arrive.
func (s *Service) TransferWorker(ctx context.Context, p auth.Principal, id uuid.UUID, in TransferInput) (Transfer, error) {
	if !p.IsStaff() {
		return Transfer{}, fault.Forbiddenf("only staff may transfer workers")
	}
	// Any community may receive the worker, so it is looked up without the
	// caller's scope. Communities never move, so this needs no lock.
	var target Community
	found := false
	if in.Community != "" {
		var err error
		if target, found, err = s.store.Community(ctx, in.Community); err != nil {
			return Transfer{}, wrap("transfer worker", err)
		}
	}
	var out Transfer
	err := s.store.TransferWorker(ctx, id, func(w *Worker, lastTransfer *time.Time) (*transferChange, error) {
		if !seesWorker(p, *w) {
			return nil, errWorkerNotFound
		}
		if w.Status != StatusActive {
			return nil, errNotActive(w.Status, "cannot be transferred")
		}
		var c validate.Collector
		switch {
		case in.Community == "":
			c.Add("community", validate.CodeRequired, "is required")
		case !found:
			c.Add("community", validate.CodeUnknownValue, "no such community")
		case target.Code == w.Community:
			c.Add("community", CodeUnchanged, "the worker is already in this community")
		}
		reason := c.Text("reason", in.Reason, 1, 200)
		today := beijingDate(s.now())
		eff, ok := parseEffectiveOn(&c, "effective_on", in.EffectiveOn, today, false)
		if ok && lastTransfer != nil && eff.Before(*lastTransfer) {
			c.Add("effective_on", validate.CodeOutOfRange, "must not be before the date of the previous transfer")
		}
		if err := c.Err(); err != nil {
			return nil, err
		}
		if w.EnterpriseID != nil {
			e, ok, err := s.store.Enterprise(ctx, *w.EnterpriseID)
			if err != nil {
				return nil, err
			}
			if !ok || e.Street != target.Street {
				w.EnterpriseID = nil // an enterprise is filed with its own street
			}
		}

		now := s.now()
		out = Transfer{
			ID: newID(), WorkerID: w.ID, FromStreet: w.Street, FromCommunity: w.Community,
			ToStreet: target.Street, ToCommunity: target.Code, Reason: reason, EffectiveOn: eff.Format(dateLayout),
			ActorSubject: p.Subject, RecordedAt: now,
		}
		w.Street, w.Community, w.UpdatedAt = target.Street, target.Code, now
		d := event.WorkerTransferredData{
			WorkerID: w.ID.String(), FromStreet: out.FromStreet, FromCommunity: out.FromCommunity,
			ToStreet: out.ToStreet, ToCommunity: out.ToCommunity, PoliticalStatus: w.PoliticalStatus,
			EffectiveOn: out.EffectiveOn,
		}
		evs := []pending{{event.WorkerTransferred, out.FromStreet, w.ID.String(), d}}
		if out.ToStreet != out.FromStreet {
			evs = append(evs, pending{event.WorkerTransferred, out.ToStreet, w.ID.String(), d})
		}
		return &transferChange{transfer: out, events: evs}, nil
	})
	if err != nil {
		return Transfer{}, err
	}
	return out, nil
}

// Transfers returns a worker's transfers, oldest first: staff in scope of
// the worker's current community and the worker themself.
func (s *Service) Transfers(ctx context.Context, p auth.Principal, id uuid.UUID) ([]Transfer, error) {
	if _, err := s.GetWorker(ctx, p, id); err != nil {
		return nil, err
	}
	return s.store.Transfers(ctx, id)
}

// beijingDate is the calendar date of t in Beijing, as midnight UTC (how
// dates are compared and stored).
func beijingDate(t time.Time) time.Time {
	y, m, d := t.In(Shanghai).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// parseEffectiveOn reads a YYYY-MM-DD date that must not lie after today.
// An empty value is an error when required, else today. ok is false when
// an error was recorded.
func parseEffectiveOn(c *validate.Collector, field, s string, today time.Time, required bool) (day time.Time, ok bool) {
	if s == "" {
		if required {
			c.Add(field, validate.CodeRequired, "is required")
			return time.Time{}, false
		}
		return today, true
	}
	day, err := time.Parse(dateLayout, s)
	if err != nil {
		c.Add(field, validate.CodeInvalidDate, "must be a date written YYYY-MM-DD")
		return time.Time{}, false
	}
	if day.After(today) {
		c.Add(field, validate.CodeOutOfRange, "must not be in the future")
		return time.Time{}, false
	}
	return day, true
}

// collectErr copies the field errors of err into c; anything else is a
// programming error surfaced on field "body" rather than lost.
func collectErr(c *validate.Collector, err error) {
	if err == nil {
		return
	}
	var fes validate.Errors
	if !errors.As(err, &fes) {
		c.Add("body", validate.CodeInvalidFormat, err.Error())
		return
	}
	for _, fe := range fes {
		c.Add(fe.Field, fe.Code, fe.Message)
	}
}
