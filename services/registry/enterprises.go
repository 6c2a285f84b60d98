package registry

import (
	"context"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/pii"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// EnterpriseInput registers an enterprise. Pointers in EnterprisePatch mark
// what a PATCH changes; here every field is given.
type EnterpriseInput struct {
	Name        string  `json:"name"`
	Kind        string  `json:"kind"`
	CreditCode  string  `json:"credit_code"`
	Community   string  `json:"community"`
	Address     string  `json:"address"`
	Contact     Contact `json:"contact"`
	HasPartyOrg bool    `json:"has_party_org"`
}

const aadContactMobile = "enterprise.contact_mobile"

// RegisterEnterprise adds an enterprise to the ledger; staff in scope of its
// community. A credit code is optional (a small parcel station may have
// none) but unique when given.
func (s *Service) RegisterEnterprise(ctx context.Context, p auth.Principal, in EnterpriseInput) (Enterprise, error) {
	if !p.IsStaff() {
		return Enterprise{}, fault.Forbiddenf("only staff may register enterprises")
	}
	var c validate.Collector
	e, mobile, err := newEnterprise(ctx, s.store, p, in, &c)
	if err != nil {
		return Enterprise{}, wrap("register enterprise", err)
	}
	if err := c.Err(); err != nil {
		return Enterprise{}, err
	}
	if err := s.setContactMobile(&e, mobile); err != nil {
		return Enterprise{}, wrap("register enterprise", err)
	}
	e.CreatedAt = s.now()
	e.UpdatedAt = e.CreatedAt
	if err := s.store.CreateEnterprise(ctx, e, enterpriseEvent(event.EnterpriseRegistered, e, nil)); err != nil {
		return Enterprise{}, err
	}
	return e, nil
}

// newEnterprise validates a registration and builds the enterprise it
// describes (contact mobile normalised, not yet sealed). Field errors go to
// c; err is for lookups that failed.
func newEnterprise(ctx context.Context, look lookup, p auth.Principal, in EnterpriseInput, c *validate.Collector) (e Enterprise, mobile string, err error) {
	e = Enterprise{ID: newID(), HasPartyOrg: in.HasPartyOrg, Status: EnterpriseActive}
	e.Name = c.Text("name", in.Name, 1, 100)
	e.Kind = c.OneOf("kind", in.Kind, EnterpriseKinds)
	if in.CreditCode != "" {
		e.CreditCode = c.CreditCode("credit_code", in.CreditCode)
	}
	e.Address = c.Text("address", in.Address, 0, 200)
	e.Contact.Name = c.Text("contact.name", in.Contact.Name, 0, 50)
	if in.Contact.Mobile != "" {
		mobile = c.Mobile("contact.mobile", in.Contact.Mobile)
	}
	street, err := scopeIn(ctx, look, p, c, "community", in.Community)
	if err != nil {
		return Enterprise{}, "", err
	}
	e.Street, e.Community = street, in.Community
	return e, mobile, nil
}

func (s *Service) setContactMobile(e *Enterprise, mobile string) error {
	if mobile == "" {
		e.contactMobileEnc, e.Contact.Mobile = nil, ""
		return nil
	}
	enc, err := s.box.Seal(mobile, aadContactMobile)
	if err != nil {
		return err
	}
	e.contactMobileEnc, e.Contact.Mobile = enc, pii.MaskMobile(mobile)
	return nil
}

func enterpriseEvent(name event.Name, e Enterprise, changed []string) pending {
	return pending{name, e.Street, e.ID.String(), event.EnterpriseData{
		EnterpriseID: e.ID.String(), Kind: e.Kind, Street: e.Street, Community: e.Community,
		HasPartyOrg: e.HasPartyOrg, Changed: changed,
	}}
}

// EnterpriseQuery filters the enterprise list.
type EnterpriseQuery struct {
	ListQuery
	Kind   string
	Status string // active | closed
	// HasPartyOrg, when set, keeps only enterprises with (true) or
	// without (false) a party organisation.
	HasPartyOrg *bool
	Q           string // part of the name or of the credit code
}

// ListEnterprises lists the enterprises in the caller's scope.
func (s *Service) ListEnterprises(ctx context.Context, p auth.Principal, q EnterpriseQuery) (Page[Enterprise], error) {
	if !p.IsStaff() {
		return Page[Enterprise]{}, fault.Forbiddenf("only staff may list enterprises")
	}
	var c validate.Collector
	checkPage(&c, &q.ListQuery)
	if q.Kind != "" {
		c.OneOf("kind", q.Kind, EnterpriseKinds)
	}
	if q.Status != "" {
		c.OneOf("status", q.Status, EnterpriseStatuses)
	}
	lq, err := s.scopeQuery(ctx, p, &c, q.ListQuery)
	if err != nil {
		return Page[Enterprise]{}, err
	}
	if err := c.Err(); err != nil {
		return Page[Enterprise]{}, err
	}
	q.ListQuery = lq
	return s.store.ListEnterprises(ctx, q)
}

var errEnterpriseNotFound = fault.NotFoundf("enterprise not found")

// GetEnterprise returns one enterprise in the caller's scope.
func (s *Service) GetEnterprise(ctx context.Context, p auth.Principal, id uuid.UUID) (Enterprise, error) {
	e, found, err := s.store.Enterprise(ctx, id)
	if err != nil {
		return Enterprise{}, wrap("get enterprise", err)
	}
	if !found || !p.SeesCommunity(e.Street, e.Community) {
		return Enterprise{}, errEnterpriseNotFound
	}
	return e, nil
}

// EnterprisePatch changes some fields of an enterprise; nil leaves a field
// as it is. Moving an enterprise to another community is a transfer, not a
// patch.
type EnterprisePatch struct {
	Name        *string       `json:"name"`
	Kind        *string       `json:"kind"`
	CreditCode  *string       `json:"credit_code"`
	Address     *string       `json:"address"`
	Contact     *ContactPatch `json:"contact"`
	HasPartyOrg *bool         `json:"has_party_org"`
}

// ContactPatch changes the contact person; an absent member stays, an
// empty mobile removes it.
type ContactPatch struct {
	Name   *string `json:"name"`
	Mobile *string `json:"mobile"`
}

// UpdateEnterprise applies a patch; staff in scope.
func (s *Service) UpdateEnterprise(ctx context.Context, p auth.Principal, id uuid.UUID, in EnterprisePatch) (Enterprise, error) {
	if !p.IsStaff() {
		return Enterprise{}, fault.Forbiddenf("only staff may update enterprises")
	}
	var out Enterprise
	err := s.store.UpdateEnterprise(ctx, id, func(e *Enterprise) (*pending, error) {
		if !p.SeesCommunity(e.Street, e.Community) {
			return nil, errEnterpriseNotFound
		}
		var c validate.Collector
		before := *e
		if in.Name != nil {
			e.Name = c.Text("name", *in.Name, 1, 100)
		}
		if in.Kind != nil {
			e.Kind = c.OneOf("kind", *in.Kind, EnterpriseKinds)
		}
		if in.CreditCode != nil {
			e.CreditCode = ""
			if *in.CreditCode != "" {
				e.CreditCode = c.CreditCode("credit_code", *in.CreditCode)
			}
		}
		if in.Address != nil {
			e.Address = c.Text("address", *in.Address, 0, 200)
		}
		mobileChanged := false
		if in.Contact != nil && in.Contact.Name != nil {
			e.Contact.Name = c.Text("contact.name", *in.Contact.Name, 0, 50)
		}
		if in.Contact != nil && in.Contact.Mobile != nil {
			mobile := ""
			if *in.Contact.Mobile != "" {
				mobile = c.Mobile("contact.mobile", *in.Contact.Mobile)
			}
			old, err := s.openContactMobile(before)
			if err != nil {
				return nil, err
			}
			if mobile != old && c.Err() == nil {
				if err := s.setContactMobile(e, mobile); err != nil {
					return nil, err
				}
				mobileChanged = true
			}
		}
		if in.HasPartyOrg != nil {
			e.HasPartyOrg = *in.HasPartyOrg
		}
		if err := c.Err(); err != nil {
			return nil, err
		}
		changed := changedEnterpriseFields(before, *e, mobileChanged)
		out = *e
		if len(changed) == 0 {
			return nil, nil // nothing to write, no event
		}
		e.UpdatedAt = s.now()
		out = *e
		ev := enterpriseEvent(event.EnterpriseUpdated, *e, changed)
		return &ev, nil
	})
	return out, err
}

func (s *Service) openContactMobile(e Enterprise) (string, error) {
	if len(e.contactMobileEnc) == 0 {
		return "", nil
	}
	return s.box.Open(e.contactMobileEnc, aadContactMobile)
}

// changedEnterpriseFields names the fields whose values differ, so an
// update event says what really changed (and a no-op PATCH emits nothing).
func changedEnterpriseFields(a, b Enterprise, mobileChanged bool) []string {
	var out []string
	add := func(differs bool, field string) {
		if differs {
			out = append(out, field)
		}
	}
	add(a.Name != b.Name, "name")
	add(a.Kind != b.Kind, "kind")
	add(a.CreditCode != b.CreditCode, "credit_code")
	add(a.Address != b.Address, "address")
	add(a.Contact.Name != b.Contact.Name || mobileChanged, "contact")
	add(a.HasPartyOrg != b.HasPartyOrg, "has_party_org")
	return out
}

// CloseInput closes an enterprise: why, and the day it closed.
type CloseInput struct {
	Reason   string `json:"reason"`
	ClosedOn string `json:"closed_on"`
}

// CloseEnterprise records that an enterprise closed, on the day given (not
// in the future, not before it was registered); staff in scope. The
// enterprise stays in the ledger, flagged closed. Closing it again is a
// conflict.
func (s *Service) CloseEnterprise(ctx context.Context, p auth.Principal, id uuid.UUID, in CloseInput) (Enterprise, error) {
	if !p.IsStaff() {
		return Enterprise{}, fault.Forbiddenf("only staff may close enterprises")
	}
	var c validate.Collector
	reason := c.Text("reason", in.Reason, 1, 200)
	closedOn, _ := parseEffectiveOn(&c, "closed_on", in.ClosedOn, beijingDate(s.now()), true)
	if err := c.Err(); err != nil {
		return Enterprise{}, err
	}
	var out Enterprise
	err := s.store.CloseEnterprise(ctx, id, func(e *Enterprise) (*pending, error) {
		if !p.SeesCommunity(e.Street, e.Community) {
			return nil, errEnterpriseNotFound
		}
		if e.Status == EnterpriseClosed {
			return nil, fault.ConflictReason("enterprise_closed", "the enterprise is already closed")
		}
		if closedOn.Before(beijingDate(e.CreatedAt)) {
			var fc validate.Collector
			fc.Add("closed_on", validate.CodeOutOfRange, "must not be before the day the enterprise was registered")
			return nil, fc.Err()
		}
		now := s.now()
		e.Status, e.ClosedOn, e.ClosedAt, e.CloseReason, e.UpdatedAt = EnterpriseClosed, closedOn.Format(dateLayout), &now, reason, now
		out = *e
		ev := enterpriseEvent(event.EnterpriseClosed, *e, []string{"status"})
		ev.data = event.EnterpriseClosedData{EnterpriseData: ev.data.(event.EnterpriseData), ClosedOn: e.ClosedOn}
		return &ev, nil
	})
	return out, err
}
