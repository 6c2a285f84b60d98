package registry

import (
	"context"
	"crypto/hmac"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Riders' self-registration (线上报到). A rider whose mobile the ledger
// does not know proves it to the identity service with a one-time SMS code
// and gets an enrolment token (auth.Enrolment) carrying the mobile's match.
// With it they fill in the registration form themself: the worker enters
// the ledger at once (status active, confirmation awaiting) and is checked
// in online with their community, and a clerk of that community confirms
// or rejects the registration afterwards.

// selfRegistrationCreator is the created_by of a self-registered worker.
const selfRegistrationCreator = "self-registration"

// SelfRegistrationInput is what the rider fills in. The street follows
// from the community; the political status is the masses (a clerk records
// party membership, step by step).
type SelfRegistrationInput struct {
	Name       string `json:"name"`
	IDNumber   string `json:"id_number"`
	Mobile     string `json:"mobile"`
	Occupation string `json:"occupation"`
	Platform   string `json:"platform"`
	Community  string `json:"community"`
}

// SelfRegistration is the rider's registration as the rider sees it: their
// own data, mobile and ID number masked, and where the clerk's decision
// stands.
type SelfRegistration struct {
	WorkerID     uuid.UUID `json:"worker_id"`
	Name         string    `json:"name"`
	Mobile       string    `json:"mobile"`
	IDNumber     string    `json:"id_number"`
	Occupation   string    `json:"occupation"`
	Platform     string    `json:"platform"`
	Street       string    `json:"street"`
	Community    string    `json:"community"`
	Status       string    `json:"status"`
	Confirmation string    `json:"confirmation"`
	RegisteredAt time.Time `json:"registered_at"`
}

func selfRegistrationOf(w Worker) SelfRegistration {
	return SelfRegistration{WorkerID: w.ID, Name: w.Name, Mobile: w.Mobile, IDNumber: w.IDNumber,
		Occupation: w.Occupation, Platform: w.Platform, Street: w.Street, Community: w.Community,
		Status: w.Status, Confirmation: w.Confirmation, RegisteredAt: w.CreatedAt}
}

// SelfRegister registers the holder of an enrolment token as a worker and
// checks them in online with the community, in one transaction. The
// mobile must be the one the token was issued for. A registration already
// made with that mobile is answered again (created false) rather than made
// twice. A mobile of a worker a clerk registered is refused: that rider
// signs in instead. An ID number already in the ledger is refused without
// naming whose it is.
func (s *Service) SelfRegister(ctx context.Context, enr auth.Enrolment, in SelfRegistrationInput) (SelfRegistration, bool, error) {
	var c validate.Collector
	// Any community of the district: the rider picks where they work.
	anywhere := auth.Principal{Role: auth.DistrictAdmin}
	w, mobile, idNumber, err := newWorker(ctx, s.store, anywhere, WorkerInput{
		Name: in.Name, Mobile: in.Mobile, IDNumber: in.IDNumber, Occupation: in.Occupation,
		Platform: in.Platform, Community: in.Community, PoliticalStatus: "masses",
	}, &c)
	if err != nil {
		return SelfRegistration{}, false, wrap("self-register", err)
	}
	if mobile != "" && !hmac.Equal([]byte(s.match.Of(mobile)), []byte(enr.MobileMatch)) {
		fe := &fault.Error{Kind: fault.Forbidden, Message: "the mobile is not the one the enrolment token was issued for"}
		return SelfRegistration{}, false, fe.With("field", "mobile")
	}
	if err := c.Err(); err != nil {
		return SelfRegistration{}, false, err
	}
	if err := s.sealWorker(&w, mobile, idNumber); err != nil {
		return SelfRegistration{}, false, wrap("self-register", err)
	}
	w.CreatedAt = s.now()
	w.UpdatedAt = w.CreatedAt
	w.SelfRegistered, w.Confirmation, w.CreatedBy = true, ConfirmationAwaiting, selfRegistrationCreator
	ci := CheckIn{ID: newID(), WorkerID: w.ID, Street: w.Street, Community: w.Community, Channel: "online", CheckedInAt: w.CreatedAt}
	evs := []pending{
		workerEvent(event.WorkerRegistered, w, nil, s.match.Of(mobile)),
		{event.WorkerCheckedIn, ci.Street, w.ID.String(), event.CheckInData{WorkerID: w.ID.String(), Street: ci.Street,
			Community: ci.Community, Channel: ci.Channel, CheckedInAt: ci.CheckedInAt}},
	}
	got, created, err := s.store.SelfRegister(ctx, w, ci, s.box.Hash(hashIDNumber, idNumber), s.box.Hash(hashMobile, mobile), evs)
	if err != nil {
		return SelfRegistration{}, false, err
	}
	return selfRegistrationOf(got), created, nil
}

// PlaceStreet is a street office and its communities, by code and name,
// for the registration form's picker.
type PlaceStreet struct {
	Code        string           `json:"code"`
	Name        string           `json:"name"`
	Communities []PlaceCommunity `json:"communities"`
}

// PlaceCommunity is a community of a PlaceStreet.
type PlaceCommunity struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Places lists every street office with its communities, for the holder
// of an enrolment token choosing where to register.
func (s *Service) Places(ctx context.Context) ([]PlaceStreet, error) {
	org, err := s.store.Org(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]PlaceStreet, 0, len(org))
	for _, st := range org {
		ps := PlaceStreet{Code: st.Code, Name: st.Name, Communities: make([]PlaceCommunity, 0, len(st.Communities))}
		for _, cm := range st.Communities {
			ps.Communities = append(ps.Communities, PlaceCommunity{Code: cm.Code, Name: cm.Name})
		}
		out = append(out, ps)
	}
	return out, nil
}

// SelfRegistrationQuery filters the clerks' queue.
type SelfRegistrationQuery struct {
	ListQuery
	Confirmation string // default awaiting
}

// ListSelfRegistrations is the clerks' queue: the self-registered workers
// in the caller's scope with the given confirmation (awaiting unless
// asked), oldest first. Staff only.
func (s *Service) ListSelfRegistrations(ctx context.Context, p auth.Principal, q SelfRegistrationQuery) (Page[Worker], error) {
	if !p.IsStaff() {
		return Page[Worker]{}, fault.Forbiddenf("only staff may see self-registrations")
	}
	if q.Confirmation == "" {
		q.Confirmation = ConfirmationAwaiting
	}
	return s.ListWorkers(ctx, p, WorkerQuery{ListQuery: q.ListQuery, Confirmation: q.Confirmation, SelfRegistered: true})
}

// DecisionInput is a clerk's decision on a self-registration and why.
type DecisionInput struct {
	Reason string `json:"reason"`
}

// ConfirmWorker confirms a self-registration awaiting a decision; staff
// who manage the worker's community.
func (s *Service) ConfirmWorker(ctx context.Context, p auth.Principal, id uuid.UUID, in DecisionInput) (Worker, error) {
	return s.decide(ctx, p, id, in, ConfirmationConfirmed)
}

// RejectWorker rejects a self-registration awaiting a decision: the
// worker's status becomes rejected, out of the ledger's counts as one who
// left, and an active pairing ends. The reason stays in the registry; the
// event does not carry it.
func (s *Service) RejectWorker(ctx context.Context, p auth.Principal, id uuid.UUID, in DecisionInput) (Worker, error) {
	return s.decide(ctx, p, id, in, ConfirmationRejected)
}

func (s *Service) decide(ctx context.Context, p auth.Principal, id uuid.UUID, in DecisionInput, to string) (Worker, error) {
	if !p.IsStaff() {
		return Worker{}, fault.Forbiddenf("only staff may decide on a self-registration")
	}
	var c validate.Collector
	// A rejection says why (the rider is told); a confirmation may note
	// how the clerk checked.
	least := 1
	if to == ConfirmationConfirmed {
		least = 0
	}
	reason := c.Text("reason", in.Reason, least, 200)
	if err := c.Err(); err != nil {
		return Worker{}, err
	}
	var out Worker
	err := s.store.UpdateWorker(ctx, id, func(w *Worker) (*workerChange, error) {
		if !p.Manages(w.Street, w.Community) {
			return nil, errWorkerNotFound
		}
		if !w.SelfRegistered {
			return nil, fault.ConflictReason("not_self_registered", "the worker was registered by staff: there is no self-registration to decide on")
		}
		if w.Confirmation != ConfirmationAwaiting {
			return nil, fault.ConflictReason("selfreg_decided", "the self-registration was already %s", w.Confirmation)
		}
		match, err := s.matchOf(*w)
		if err != nil {
			return nil, err
		}
		now := s.now()
		w.Confirmation, w.DecidedAt, w.DecidedBy, w.DecisionReason, w.UpdatedAt = to, &now, p.Subject, reason, now
		ch := &workerChange{}
		if to == ConfirmationRejected {
			w.Status = StatusRejected
			ch.event = workerEvent(event.WorkerRejected, *w, []string{"status", "confirmation"}, match)
			ch.endPairing = &Pairing{WorkerID: w.ID, Street: w.Street, Community: w.Community, Status: PairingEnded,
				EndedAt: &now, EndedBy: p.Subject, EndReason: "self-registration rejected: " + reason}
		} else {
			ch.event = workerEvent(event.WorkerConfirmed, *w, []string{"confirmation"}, match)
		}
		out = *w
		return ch, nil
	})
	return out, err
}
