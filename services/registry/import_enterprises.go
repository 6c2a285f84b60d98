package registry

import (
	"context"
	"fmt"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// parsedEnterprise is an enterprise row after validation.
type parsedEnterprise struct {
	num    int
	e      Enterprise
	mobile string
	errs   []CellError
	given  map[string]bool // fields whose cell holds something
}

// enterpriseWrite is an insert or update planned for a row.
type enterpriseWrite struct {
	row    int
	e      Enterprise
	insert bool
	event  pending
}

// enterpriseFinder looks an enterprise up inside the batch's transaction:
// by credit code when the row has one, else by name within the community.
type enterpriseFinder func(ctx context.Context, creditCode, community, name string) (Enterprise, bool, error)

// applyEnterpriseRows imports a batch of enterprise rows: an unknown
// enterprise is registered, a known one (same credit code, or same name in
// the same community when there is no code) brought up to date, an
// identical one left alone.
func (s *Service) applyEnterpriseRows(ctx context.Context, job ImportJob, look *cachedLookup, batch []rawRow) error {
	parsed := make([]parsedEnterprise, len(batch))
	for i, r := range batch {
		pe, err := s.parseEnterpriseRow(ctx, job, look, r)
		if err != nil {
			return wrap("import enterprises", err)
		}
		parsed[i] = pe
	}
	return s.store.ImportEnterpriseBatch(ctx, job.ID, batch[len(batch)-1].num, job.lease, s.rejectedCells(job.ID, batch), func(find enterpriseFinder) ([]ImportRow, []enterpriseWrite, error) {
		return s.planEnterprises(ctx, job, parsed, find)
	})
}

func (s *Service) parseEnterpriseRow(ctx context.Context, job ImportJob, look *cachedLookup, r rawRow) (parsedEnterprise, error) {
	cell := r.cells
	var c validate.Collector
	in := EnterpriseInput{
		Name: cell["name"], Kind: codeOrRaw("enterprise_kind", cell["kind"]), CreditCode: cell["credit_code"],
		Address: cell["address"], Contact: Contact{Name: cell["contact.name"], Mobile: cell["contact.mobile"]},
	}
	in.HasPartyOrg = cellYesNo(&c, "has_party_org", cell["has_party_org"])
	code, err := look.communityCode(ctx, cell["community"])
	if err != nil {
		return parsedEnterprise{}, err
	}
	in.Community = code
	if st := cell["street"]; st != "" && code != "" {
		if cm, ok, err := look.Community(ctx, code); err == nil && ok && !look.streetMatches(ctx, cm.Street, st) {
			c.Add("street", validate.CodeUnknownValue, "the community is not in this street")
		}
	}
	e, mobile, err := newEnterprise(ctx, look, job.actor, in, &c)
	if err != nil {
		return parsedEnterprise{}, err
	}
	pe := parsedEnterprise{num: r.num, e: e, mobile: mobile, given: map[string]bool{}}
	for field, v := range cell {
		pe.given[field] = v != ""
	}
	if err := c.Err(); err != nil {
		for _, fe := range err.(validate.Errors) {
			pe.errs = append(pe.errs, cellError(job, ImportEnterprises, fe))
		}
		return pe, nil
	}
	key := "code:" + e.CreditCode
	if e.CreditCode == "" {
		key = "name:" + e.Community + "\x00" + e.Name
	}
	if first, dup := look.seen[key]; dup {
		ce := cellError(job, ImportEnterprises, validate.FieldError{Field: "name", Code: "duplicate",
			Message: fmt.Sprintf("the same enterprise as row %d of this file", first)})
		ce.ReasonZH = fmt.Sprintf("与本表第 %d 行的企业重复", first)
		pe.errs = []CellError{ce}
		return pe, nil
	}
	look.seen[key] = r.num
	return pe, nil
}

func (s *Service) planEnterprises(ctx context.Context, job ImportJob, parsed []parsedEnterprise, find enterpriseFinder) ([]ImportRow, []enterpriseWrite, error) {
	var rows []ImportRow
	var writes []enterpriseWrite
	for _, pe := range parsed {
		i := len(rows)
		if pe.errs != nil {
			rows = append(rows, ImportRow{Row: pe.num, Status: RowRejected, Errors: pe.errs})
			continue
		}
		old, known, err := find(ctx, pe.e.CreditCode, pe.e.Community, pe.e.Name)
		if err != nil {
			return nil, nil, err
		}
		if !known {
			e := pe.e
			if err := s.setContactMobile(&e, pe.mobile); err != nil {
				return nil, nil, err
			}
			e.CreatedAt, e.UpdatedAt = s.now(), s.now()
			rows = append(rows, ImportRow{Row: pe.num, Status: RowCreated, EntityID: &e.ID})
			writes = append(writes, enterpriseWrite{row: i, e: e, insert: true, event: enterpriseEvent(event.EnterpriseRegistered, e, nil)})
			continue
		}
		if !job.actor.SeesCommunity(old.Street, old.Community) || old.Community != pe.e.Community {
			ce := cellError(job, ImportEnterprises, validate.FieldError{Field: "community", Code: "conflict",
				Message: "this enterprise is registered in another community"})
			ce.ReasonZH = "该企业已登记在其他社区"
			rows = append(rows, ImportRow{Row: pe.num, Status: RowRejected, EntityID: &old.ID, Errors: []CellError{ce}})
			continue
		}
		// Blank cells and absent columns leave what the ledger knows.
		e := old
		e.Name, e.Kind = pe.e.Name, pe.e.Kind
		if pe.given["credit_code"] {
			e.CreditCode = pe.e.CreditCode
		}
		if pe.given["address"] {
			e.Address = pe.e.Address
		}
		if pe.given["contact.name"] {
			e.Contact.Name = pe.e.Contact.Name
		}
		if pe.given["has_party_org"] {
			e.HasPartyOrg = pe.e.HasPartyOrg
		}
		oldMobile, err := s.openContactMobile(old)
		if err != nil {
			return nil, nil, err
		}
		mobileChanged := pe.given["contact.mobile"] && oldMobile != pe.mobile
		if mobileChanged {
			if err := s.setContactMobile(&e, pe.mobile); err != nil {
				return nil, nil, err
			}
		}
		changed := changedEnterpriseFields(old, e, mobileChanged)
		if len(changed) == 0 {
			rows = append(rows, ImportRow{Row: pe.num, Status: RowUnchanged, EntityID: &old.ID})
			continue
		}
		e.UpdatedAt = s.now()
		rows = append(rows, ImportRow{Row: pe.num, Status: RowUpdated, EntityID: &old.ID, Changed: changed})
		writes = append(writes, enterpriseWrite{row: i, e: e, event: enterpriseEvent(event.EnterpriseUpdated, e, changed)})
	}
	return rows, writes, nil
}
