package registry

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/pii"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Keyed-hash kinds and encryption contexts of a worker's personal data.
const (
	hashIDNumber = "id_number"
	hashMobile   = "mobile"
	aadIDNumber  = "worker.id_number"
	aadMobile    = "worker.mobile"
)

// WorkerInput registers a worker.
type WorkerInput struct {
	Name              string `json:"name"`
	Mobile            string `json:"mobile"`
	IDNumber          string `json:"id_number"`
	Occupation        string `json:"occupation"`
	Community         string `json:"community"`
	EnterpriseID      string `json:"enterprise_id"`
	Platform          string `json:"platform"`
	PoliticalStatus   string `json:"political_status"`
	MobilePartyMember bool   `json:"mobile_party_member"`
	HomePartyOrg      string `json:"home_party_org"`
}

// ErrDuplicateIDNumber is the store's answer when the ID number is already
// in the ledger; ExistingID names that worker.
type ErrDuplicateIDNumber struct{ ExistingID uuid.UUID }

func (e ErrDuplicateIDNumber) Error() string {
	return "a worker with this ID number is already registered: " + e.ExistingID.String()
}

// RegisterWorker adds a worker to the ledger; staff in scope of the
// community. An ID number can be registered once in the whole district: a
// second registration is refused naming the existing worker, whom a clerk
// can then update instead.
func (s *Service) RegisterWorker(ctx context.Context, p auth.Principal, in WorkerInput) (Worker, error) {
	if !p.IsStaff() {
		return Worker{}, fault.Forbiddenf("only staff may register workers")
	}
	var c validate.Collector
	w, mobile, idNumber, err := newWorker(ctx, s.store, p, in, &c)
	if err != nil {
		return Worker{}, wrap("register worker", err)
	}
	if err := c.Err(); err != nil {
		return Worker{}, err
	}
	if err := s.sealWorker(&w, mobile, idNumber); err != nil {
		return Worker{}, wrap("register worker", err)
	}
	w.CreatedAt = s.now()
	w.UpdatedAt = w.CreatedAt
	w.CreatedBy = p.Subject
	err = s.store.CreateWorker(ctx, w, s.box.Hash(hashIDNumber, idNumber), s.box.Hash(hashMobile, mobile),
		workerEvent(event.WorkerRegistered, w, nil, s.match.Of(mobile)))
	var dup ErrDuplicateIDNumber
	if errors.As(err, &dup) {
		fe := &fault.Error{Kind: fault.Conflict, Message: "a worker with this ID number is already registered",
			Details: map[string]any{"reason": "worker_exists"}}
		return Worker{}, fe.With("existing_worker_id", dup.ExistingID.String())
	}
	if err != nil {
		return Worker{}, err
	}
	return w, nil
}

// newWorker validates a registration and builds the worker it describes,
// with mobile and ID number normalised but not yet sealed. Field errors go
// to c; err is for lookups that failed.
func newWorker(ctx context.Context, look lookup, p auth.Principal, in WorkerInput, c *validate.Collector) (w Worker, mobile, idNumber string, err error) {
	w = Worker{ID: newID(), Status: StatusActive, MobilePartyMember: in.MobilePartyMember}
	w.Name = c.Text("name", in.Name, 1, 50)
	mobile = c.Mobile("mobile", in.Mobile)
	idNumber = c.ResidentID("id_number", in.IDNumber)
	w.Occupation = c.OneOf("occupation", in.Occupation, Occupations)
	w.Platform = c.Text("platform", in.Platform, 0, 50)
	if in.PoliticalStatus == "" {
		in.PoliticalStatus = "masses"
	}
	w.PoliticalStatus = c.OneOf("political_status", in.PoliticalStatus, PoliticalStatuses)
	w.HomePartyOrg = c.Text("home_party_org", in.HomePartyOrg, 0, 100)
	street, err := scopeIn(ctx, look, p, c, "community", in.Community)
	if err != nil {
		return Worker{}, "", "", err
	}
	w.Street, w.Community = street, in.Community
	if err := checkEnterprise(ctx, look, c, in.EnterpriseID, street, &w); err != nil {
		return Worker{}, "", "", err
	}
	checkPartyFields(c, w)
	return w, mobile, idNumber, nil
}

// checkEnterprise resolves an optional enterprise id: it must exist and be
// in the worker's street (a worker of another street's enterprise is filed
// by that street).
func checkEnterprise(ctx context.Context, look lookup, c *validate.Collector, id, street string, w *Worker) error {
	if id == "" {
		w.EnterpriseID = nil
		return nil
	}
	eid, err := uuid.Parse(id)
	if err != nil {
		c.Add("enterprise_id", validate.CodeInvalidFormat, "must be an enterprise id")
		return nil
	}
	e, found, err := look.Enterprise(ctx, eid)
	if err != nil {
		return err
	}
	if !found || (street != "" && e.Street != street) {
		c.Add("enterprise_id", validate.CodeUnknownValue, "no such enterprise in this street")
		return nil
	}
	w.EnterpriseID = &eid
	return nil
}

// checkPartyFields: a mobile party member (流动党员) is a party member whose
// membership is held elsewhere, so the flag needs member status and the
// home organisation.
func checkPartyFields(c *validate.Collector, w Worker) {
	if !w.MobilePartyMember {
		return
	}
	c.Check(w.PoliticalStatus == "party_member" || w.PoliticalStatus == "probationary_member",
		"mobile_party_member", validate.CodeInvalidFormat, "only party members or probationary members can be mobile party members")
	c.Check(w.HomePartyOrg != "", "home_party_org", validate.CodeRequired, "is required for a mobile party member")
}

func (s *Service) sealWorker(w *Worker, mobile, idNumber string) error {
	var err error
	if mobile != "" {
		if w.mobileEnc, err = s.box.Seal(mobile, aadMobile); err != nil {
			return err
		}
		w.Mobile = pii.MaskMobile(mobile)
	}
	if idNumber != "" {
		if w.idNumberEnc, err = s.box.Seal(idNumber, aadIDNumber); err != nil {
			return err
		}
		w.IDNumber = pii.MaskIDNumber(idNumber)
	}
	return nil
}

// workerEvent is a worker event of w, with mobileMatch the match
// (pii.MobileMatch) of the worker's current mobile: the identity service
// signs that number in as this worker. Never the mobile itself.
func workerEvent(name event.Name, w Worker, changed []string, mobileMatch string) pending {
	d := event.WorkerData{
		WorkerID: w.ID.String(), Street: w.Street, Community: w.Community, Occupation: w.Occupation,
		Platform: w.Platform, PoliticalStatus: w.PoliticalStatus, MobilePartyMember: w.MobilePartyMember,
		Status: w.Status, Changed: changed, MobileMatch: mobileMatch,
		SelfRegistered: w.SelfRegistered, Confirmation: w.Confirmation,
	}
	if w.EnterpriseID != nil {
		d.EnterpriseID = w.EnterpriseID.String()
	}
	return pending{name, w.Street, w.ID.String(), d}
}

// matchOf is the match of w's stored mobile, opened with the box, for the
// events of changes that do not have the mobile at hand.
func (s *Service) matchOf(w Worker) (string, error) {
	mobile, err := s.box.Open(w.mobileEnc, aadMobile)
	if err != nil {
		return "", fmt.Errorf("open mobile: %w", err)
	}
	return s.match.Of(mobile), nil
}

// WorkerQuery filters the worker list.
type WorkerQuery struct {
	ListQuery
	Occupation      string
	PoliticalStatus string
	Status          string
	EnterpriseID    string
	Confirmation    string // awaiting | confirmed | rejected: self-registered workers only
	SelfRegistered  bool   // only self-registered workers
	Platform        string // the platform as entered, e.g. 美团
	// MobilePartyMember, when set, keeps only workers who are (true) or
	// are not (false) mobile party members.
	MobilePartyMember *bool
	Q                 string // part of the name
	// MobileTail is the last 4 digits of the mobile, matched against the
	// masked mobile stored in clear (138****5678); Mobile a whole mobile,
	// matched exactly by its keyed hash. Neither needs the key to open a
	// mobile.
	MobileTail string
	Mobile     string
	// IDs names up to maxWorkerIDs workers: those of them in the caller's
	// scope come back (a page big enough for all of them).
	IDs []uuid.UUID

	mobileHash []byte // of Mobile, once checked
}

// maxWorkerIDs bounds the ids one GET /v1/workers?ids= names.
const maxWorkerIDs = 100

var fourDigits = regexp.MustCompile(`^[0-9]{4}$`)

// ListWorkers lists workers in the caller's scope; staff only.
func (s *Service) ListWorkers(ctx context.Context, p auth.Principal, q WorkerQuery) (Page[Worker], error) {
	if !p.IsStaff() {
		return Page[Worker]{}, fault.Forbiddenf("only staff may list workers")
	}
	var c validate.Collector
	checkPage(&c, &q.ListQuery)
	if q.Occupation != "" {
		c.OneOf("occupation", q.Occupation, Occupations)
	}
	if q.PoliticalStatus != "" {
		c.OneOf("political_status", q.PoliticalStatus, PoliticalStatuses)
	}
	if q.Status != "" {
		c.OneOf("status", q.Status, WorkerStatuses)
	}
	if q.Confirmation != "" {
		c.OneOf("confirmation", q.Confirmation, Confirmations)
	}
	if q.EnterpriseID != "" {
		_, err := uuid.Parse(q.EnterpriseID)
		c.Check(err == nil, "enterprise_id", validate.CodeInvalidFormat, "must be an enterprise id")
	}
	if q.Platform != "" {
		q.Platform = c.Text("platform", q.Platform, 1, 50)
	}
	if q.MobileTail != "" {
		c.Check(fourDigits.MatchString(q.MobileTail), "mobile_tail", validate.CodeInvalidFormat, "must be the last 4 digits of a mobile")
	}
	if q.Mobile != "" {
		if m := c.Mobile("mobile", q.Mobile); m != "" {
			q.mobileHash = s.box.Hash(hashMobile, m)
		}
	}
	if len(q.IDs) > q.Limit && !c.Has("limit") {
		q.Limit = len(q.IDs)
	}
	lq, err := s.scopeQuery(ctx, p, &c, q.ListQuery)
	if err != nil {
		return Page[Worker]{}, err
	}
	if err := c.Err(); err != nil {
		return Page[Worker]{}, err
	}
	q.ListQuery = lq
	return s.store.ListWorkers(ctx, q)
}

// CheckIns returns a worker's check-ins, oldest first: staff in scope of
// the worker's current community and the worker themself.
func (s *Service) CheckIns(ctx context.Context, p auth.Principal, id uuid.UUID) ([]CheckIn, error) {
	if _, err := s.GetWorker(ctx, p, id); err != nil {
		return nil, err
	}
	return s.store.CheckIns(ctx, id)
}

// seesWorker: staff see workers in their scope, a worker sees only themself.
func seesWorker(p auth.Principal, w Worker) bool {
	if p.Role == auth.Worker {
		return p.WorkerID == w.ID.String()
	}
	return p.SeesCommunity(w.Street, w.Community)
}

// GetWorker returns a worker with mobile and ID number masked.
func (s *Service) GetWorker(ctx context.Context, p auth.Principal, id uuid.UUID) (Worker, error) {
	w, found, err := s.store.Worker(ctx, id)
	if err != nil {
		return Worker{}, wrap("get worker", err)
	}
	if !found || !seesWorker(p, w) {
		return Worker{}, errWorkerNotFound
	}
	return w, nil
}

// WorkerPII returns a worker's mobile and ID number in full. Only street and
// district admins may, and every read is recorded (who, when, which worker)
// in the same transaction as the read, so there is no read without a record.
func (s *Service) WorkerPII(ctx context.Context, p auth.Principal, id uuid.UUID, requestID string) (WorkerPII, error) {
	if !p.AtLeastStreetAdmin() {
		return WorkerPII{}, fault.Forbiddenf("only street or district admins may read personal data in full")
	}
	var out WorkerPII
	err := s.store.ReadPII(ctx, id, func(w Worker) (piiRead, error) {
		if !seesWorker(p, w) {
			return piiRead{}, errWorkerNotFound
		}
		mobile, err := s.box.Open(w.mobileEnc, aadMobile)
		if err != nil {
			return piiRead{}, wrap("open mobile", err)
		}
		idNumber, err := s.box.Open(w.idNumberEnc, aadIDNumber)
		if err != nil {
			return piiRead{}, wrap("open id number", err)
		}
		out = WorkerPII{ID: w.ID, Name: w.Name, Mobile: mobile, IDNumber: idNumber}
		return piiRead{actor: p, fields: []string{"mobile", "id_number"}, requestID: requestID}, nil
	})
	return out, err
}

// WorkerPatch changes some fields of a worker; nil leaves a field as it is.
// The community changes by transfer, the status by leaving.
type WorkerPatch struct {
	Name              *string `json:"name"`
	Mobile            *string `json:"mobile"`
	Occupation        *string `json:"occupation"`
	EnterpriseID      *string `json:"enterprise_id"`
	Platform          *string `json:"platform"`
	PoliticalStatus   *string `json:"political_status"`
	MobilePartyMember *bool   `json:"mobile_party_member"`
	HomePartyOrg      *string `json:"home_party_org"`
}

// UpdateWorker applies a patch; staff in scope.
func (s *Service) UpdateWorker(ctx context.Context, p auth.Principal, id uuid.UUID, in WorkerPatch) (Worker, error) {
	if !p.IsStaff() {
		return Worker{}, fault.Forbiddenf("only staff may update workers")
	}
	var out Worker
	err := s.store.UpdateWorker(ctx, id, func(w *Worker) (*workerChange, error) {
		if !seesWorker(p, *w) {
			return nil, errWorkerNotFound
		}
		var c validate.Collector
		before := *w
		if in.Name != nil {
			w.Name = c.Text("name", *in.Name, 1, 50)
		}
		mobileChanged := false
		var mobile string
		old, err := s.box.Open(before.mobileEnc, aadMobile)
		if err != nil {
			return nil, fmt.Errorf("open mobile: %w", err)
		}
		if in.Mobile != nil {
			mobile = c.Mobile("mobile", *in.Mobile)
			mobileChanged = mobile != "" && mobile != old
		}
		if in.Occupation != nil {
			w.Occupation = c.OneOf("occupation", *in.Occupation, Occupations)
		}
		if in.EnterpriseID != nil {
			if err := checkEnterprise(ctx, s.store, &c, *in.EnterpriseID, w.Street, w); err != nil {
				return nil, err
			}
		}
		if in.Platform != nil {
			w.Platform = c.Text("platform", *in.Platform, 0, 50)
		}
		// The status moves only by dated steps, which keep the party-development record.
		if in.PoliticalStatus != nil && *in.PoliticalStatus != w.PoliticalStatus {
			c.Add("political_status", CodeIllegalStep, "changes only by a dated step: use POST /v1/workers/{id}/political-status")
		}
		if in.MobilePartyMember != nil {
			w.MobilePartyMember = *in.MobilePartyMember
		}
		if in.HomePartyOrg != nil {
			w.HomePartyOrg = c.Text("home_party_org", *in.HomePartyOrg, 0, 100)
		}
		checkPartyFields(&c, *w)
		if err := c.Err(); err != nil {
			return nil, err
		}
		changed := changedWorkerFields(before, *w, mobileChanged)
		out = *w
		if len(changed) == 0 {
			return nil, nil // nothing to write, no event
		}
		ch := &workerChange{}
		current := old
		if mobileChanged {
			current = mobile
			if err := s.sealWorker(w, mobile, ""); err != nil {
				return nil, err
			}
			ch.mobileHash = s.box.Hash(hashMobile, mobile)
		}
		w.UpdatedAt = s.now()
		out = *w
		// Personal data never travels in events: name a changed field, not its value.
		ch.event = workerEvent(event.WorkerUpdated, *w, changed, s.match.Of(current))
		return ch, nil
	})
	return out, err
}

// changedWorkerFields names the fields whose values differ.
func changedWorkerFields(a, b Worker, mobileChanged bool) []string {
	var out []string
	add := func(differs bool, field string) {
		if differs {
			out = append(out, field)
		}
	}
	add(a.Name != b.Name, "name")
	add(mobileChanged, "mobile")
	add(a.Occupation != b.Occupation, "occupation")
	add(!equalIDs(a.EnterpriseID, b.EnterpriseID), "enterprise_id")
	add(a.Platform != b.Platform, "platform")
	add(a.PoliticalStatus != b.PoliticalStatus, "political_status")
	add(a.MobilePartyMember != b.MobilePartyMember, "mobile_party_member")
	add(a.HomePartyOrg != b.HomePartyOrg, "home_party_org")
	return out
}

func equalIDs(a, b *uuid.UUID) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// LeaveInput records why a worker leaves the ledger (moved away, changed
// trade).
type LeaveInput struct {
	Reason string `json:"reason"`
}

// LeaveWorker marks a worker as having left; their records stay for the
// ledger's history. Staff in scope.
func (s *Service) LeaveWorker(ctx context.Context, p auth.Principal, id uuid.UUID, in LeaveInput) (Worker, error) {
	if !p.IsStaff() {
		return Worker{}, fault.Forbiddenf("only staff may record that a worker left")
	}
	var c validate.Collector
	reason := c.Text("reason", in.Reason, 1, 200)
	if err := c.Err(); err != nil {
		return Worker{}, err
	}
	var out Worker
	err := s.store.UpdateWorker(ctx, id, func(w *Worker) (*workerChange, error) {
		if !seesWorker(p, *w) {
			return nil, errWorkerNotFound
		}
		switch w.Status {
		case StatusLeft:
			return nil, fault.ConflictReason("worker_left", "the worker has already left")
		case StatusRejected:
			return nil, fault.ConflictReason("selfreg_rejected", "the worker's self-registration was rejected: they are not in the ledger")
		}
		match, err := s.matchOf(*w)
		if err != nil {
			return nil, err
		}
		now := s.now()
		w.Status, w.LeftAt, w.LeaveReason, w.UpdatedAt = StatusLeft, &now, reason, now
		out = *w
		end := &Pairing{WorkerID: w.ID, Street: w.Street, Community: w.Community, Status: PairingEnded,
			EndedAt: &now, EndedBy: p.Subject, EndReason: "worker left: " + reason}
		return &workerChange{event: workerEvent(event.WorkerLeft, *w, []string{"status"}, match), endPairing: end}, nil
	})
	return out, err
}

// CheckInInput is a worker's check-in with a community.
type CheckInInput struct {
	Community string `json:"community"`
	Channel   string `json:"channel"`
	StationID string `json:"station_id"`
}

// CheckIn records a worker's check-in (报到) with a community: by the worker
// themself (online, through the mini-program) or by staff at a station.
// Checking in again with the same community returns the first check-in and
// emits nothing, so a double tap on a phone is harmless. created reports
// whether this call made it.
func (s *Service) CheckIn(ctx context.Context, p auth.Principal, workerID uuid.UUID, in CheckInInput) (ci CheckIn, created bool, err error) {
	w, err := s.GetWorker(ctx, p, workerID)
	if err != nil {
		return CheckIn{}, false, err
	}
	if w.Status != StatusActive {
		return CheckIn{}, false, errNotActive(w.Status, "cannot check in")
	}
	var c validate.Collector
	ci = CheckIn{ID: newID(), WorkerID: w.ID}
	ci.Channel = c.OneOf("channel", in.Channel, CheckInChannels)
	community := in.Community
	if community == "" {
		community = w.Community
	}
	// A worker may check in with any community; staff only within their scope.
	scope := p
	if p.Role == auth.Worker {
		scope = auth.Principal{Role: auth.DistrictAdmin}
	}
	ci.Street, err = s.scopeOf(ctx, scope, &c, "community", community)
	if err != nil {
		return CheckIn{}, false, wrap("check in", err)
	}
	ci.Community = community
	switch {
	case ci.Channel == "station" && in.StationID == "":
		c.Add("station_id", validate.CodeRequired, "is required when checking in at a station")
	case in.StationID != "":
		sid, perr := uuid.Parse(in.StationID)
		if perr != nil {
			c.Add("station_id", validate.CodeInvalidFormat, "must be a station id")
			break
		}
		stCommunity, closed, ok, err := s.store.StationCommunity(ctx, sid)
		if err != nil {
			return CheckIn{}, false, wrap("check in", err)
		}
		if c.Check(ok, "station_id", validate.CodeUnknownValue, "no such station") &&
			c.Check(stCommunity == community, "station_id", validate.CodeUnknownValue, "the station belongs to another community") &&
			c.Check(!closed, "station_id", validate.CodeUnknownValue, "the station is closed") {
			ci.StationID = &sid
		}
	}
	if err := c.Err(); err != nil {
		return CheckIn{}, false, err
	}
	ci.CheckedInAt = s.now()
	d := event.CheckInData{WorkerID: w.ID.String(), Street: ci.Street, Community: ci.Community,
		Channel: ci.Channel, CheckedInAt: ci.CheckedInAt}
	if ci.StationID != nil {
		d.StationID = ci.StationID.String()
	}
	return s.store.CreateCheckIn(ctx, ci, pending{event.WorkerCheckedIn, ci.Street, w.ID.String(), d})
}

// Vocabulary reports the fixed value lists, for clients building forms.
func Vocabulary() map[string][]string {
	return map[string][]string{
		"enterprise_kinds":   slices.Clone(EnterpriseKinds),
		"occupations":        slices.Clone(Occupations),
		"political_statuses": slices.Clone(PoliticalStatuses),
		"station_kinds":      slices.Clone(StationKinds),
		"facilities":         slices.Clone(Facilities),
		"checkin_channels":   slices.Clone(CheckInChannels),
		"contact_methods":    slices.Clone(PairingContactMethods),
		// The statuses the lists filter by.
		"worker_statuses":     slices.Clone(WorkerStatuses),
		"enterprise_statuses": slices.Clone(EnterpriseStatuses),
		"station_statuses":    slices.Clone(StationStatuses),
	}
}

// errNotActive refuses to do something to a worker who is not active: one
// who has left, or one whose self-registration was rejected (never in the
// ledger). The two have their own reasons, so a clerk reads which it is.
func errNotActive(status, cannot string) error {
	if status == StatusRejected {
		return fault.ConflictReason("selfreg_rejected", "the worker's self-registration was rejected: they %s", cannot)
	}
	return fault.ConflictReason("worker_left", "the worker has left: they %s", cannot)
}
