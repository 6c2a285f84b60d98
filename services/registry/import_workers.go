package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// importPlan is what one batch of rows will write: an outcome per row, and
// the inserts and updates (each with its event) behind the created and
// updated ones.
type importPlan struct {
	rows    []ImportRow
	inserts []plannedWorker
	updates []plannedWorker
}

// plannedWorker is a worker row to insert or update for the row at index
// row of importPlan.rows.
type plannedWorker struct {
	row        int
	worker     Worker
	idHash     []byte
	mobileHash []byte // nil on an update that keeps the mobile
	event      pending
}

// parsedWorker is a row after validation.
type parsedWorker struct {
	num      int
	worker   Worker
	mobile   string
	idNumber string
	idHash   []byte
	errs     []CellError
	given    map[string]bool // fields whose cell holds something
}

// applyWorkerRows validates a batch of rows and writes it: a new ID number
// is registered, a known one is brought up to date (dynamic management: the
// census is the newer truth), an identical one is left alone, so importing
// the same file twice changes nothing.
func (s *Service) applyWorkerRows(ctx context.Context, job ImportJob, look *cachedLookup, batch []rawRow) error {
	parsed := make([]parsedWorker, len(batch))
	var hashes [][]byte
	for i, r := range batch {
		pw, err := s.parseWorkerRow(ctx, job, look, r)
		if err != nil {
			return wrap("import workers", err)
		}
		if pw.errs == nil {
			// A person listed twice in one file: which row is right is for
			// the clerk to say; importing either would make a re-import of
			// the same file change things back and forth.
			if first, dup := look.seen[string(pw.idHash)]; dup {
				pw.errs = []CellError{cellError(job, ImportWorkers, validate.FieldError{Field: "id_number", Code: "duplicate",
					Message: fmt.Sprintf("the same ID number as row %d of this file", first)})}
				pw.errs[0].ReasonZH = fmt.Sprintf("与本表第 %d 行的身份证号重复", first)
			} else {
				look.seen[string(pw.idHash)] = pw.num
				hashes = append(hashes, pw.idHash)
			}
		}
		parsed[i] = pw
	}
	return s.store.ImportWorkerBatch(ctx, job.ID, batch[len(batch)-1].num, job.lease, s.rejectedCells(job.ID, batch), hashes, func(existing map[string]Worker) (importPlan, error) {
		return s.planWorkers(job, parsed, existing)
	})
}

func (s *Service) parseWorkerRow(ctx context.Context, job ImportJob, look *cachedLookup, r rawRow) (parsedWorker, error) {
	cell := r.cells
	var c validate.Collector
	in := WorkerInput{
		Name: cell["name"], Mobile: cell["mobile"], IDNumber: cell["id_number"], Platform: cell["platform"],
		Occupation:      codeOrRaw("occupation", cell["occupation"]),
		PoliticalStatus: codeOrRaw("political_status", cell["political_status"]),
		HomePartyOrg:    cell["home_party_org"],
	}
	in.MobilePartyMember = cellYesNo(&c, "mobile_party_member", cell["mobile_party_member"])
	code, err := look.communityCode(ctx, cell["community"])
	if err != nil {
		return parsedWorker{}, err
	}
	in.Community = code
	if st := cell["street"]; st != "" && code != "" {
		if cm, ok, err := look.Community(ctx, code); err == nil && ok && !look.streetMatches(ctx, cm.Street, st) {
			c.Add("street", validate.CodeUnknownValue, "the community is not in this street")
		}
	}
	if name := cell["enterprise"]; name != "" {
		id, err := look.enterpriseID(ctx, code, name)
		if err != nil {
			return parsedWorker{}, err
		}
		if id == uuid.Nil {
			c.Add("enterprise", validate.CodeUnknownValue, "no such enterprise in this street; give its registered name or credit code")
		} else {
			in.EnterpriseID = id.String()
		}
	}
	w, mobile, idNumber, err := newWorker(ctx, look, job.actor, in, &c)
	if err != nil {
		return parsedWorker{}, err
	}
	w.CreatedBy = job.actor.Subject
	pw := parsedWorker{num: r.num, worker: w, mobile: mobile, idNumber: idNumber, given: map[string]bool{}}
	for field, v := range cell {
		pw.given[field] = v != ""
	}
	if err := c.Err(); err != nil {
		for _, fe := range err.(validate.Errors) {
			pw.errs = append(pw.errs, cellError(job, ImportWorkers, fe))
		}
		return pw, nil
	}
	pw.idHash = s.box.Hash(hashIDNumber, idNumber)
	return pw, nil
}

// planWorkers decides each row's outcome given the workers already in the
// ledger (by ID-number hash).
func (s *Service) planWorkers(job ImportJob, parsed []parsedWorker, existing map[string]Worker) (importPlan, error) {
	var plan importPlan
	for _, pw := range parsed {
		i := len(plan.rows)
		if pw.errs != nil {
			plan.rows = append(plan.rows, ImportRow{Row: pw.num, Status: RowRejected, Errors: pw.errs})
			continue
		}
		key := string(pw.idHash)
		old, known := existing[key]
		if !known {
			w := pw.worker
			if err := s.sealWorker(&w, pw.mobile, pw.idNumber); err != nil {
				return importPlan{}, err
			}
			w.CreatedAt, w.UpdatedAt = s.now(), s.now()
			plan.rows = append(plan.rows, ImportRow{Row: pw.num, Status: RowCreated, EntityID: &w.ID})
			plan.inserts = append(plan.inserts, plannedWorker{row: i, worker: w, idHash: pw.idHash,
				mobileHash: s.box.Hash(hashMobile, pw.mobile), event: workerEvent(event.WorkerRegistered, w, nil, s.match.Of(pw.mobile))})
			existing[key] = w
			continue
		}
		w, changed, reject, err := s.mergeImported(job.actor, old, pw)
		if err != nil {
			return importPlan{}, err
		}
		switch {
		case reject != nil:
			plan.rows = append(plan.rows, ImportRow{Row: pw.num, Status: RowRejected, EntityID: &old.ID,
				Errors: []CellError{cellError(job, ImportWorkers, *reject)}})
		case len(changed) == 0:
			plan.rows = append(plan.rows, ImportRow{Row: pw.num, Status: RowUnchanged, EntityID: &old.ID})
		default:
			pwu := plannedWorker{row: i, worker: w, event: workerEvent(event.WorkerUpdated, w, changed, s.match.Of(pw.mobile))}
			if slices.Contains(changed, "mobile") {
				pwu.mobileHash = s.box.Hash(hashMobile, pw.mobile)
			}
			plan.rows = append(plan.rows, ImportRow{Row: pw.num, Status: RowUpdated, EntityID: &old.ID, Changed: changed})
			plan.updates = append(plan.updates, pwu)
			existing[key] = w
		}
	}
	return plan, nil
}

// mergeImported brings a known worker up to date with a census row. What a
// spreadsheet may not do is refused for the row: touch a worker outside the
// importer's scope, move them (that is a transfer), or change their
// political status (that is a dated step in the party pipeline).
func (s *Service) mergeImported(actor auth.Principal, old Worker, pw parsedWorker) (Worker, []string, *validate.FieldError, error) {
	if !actor.SeesCommunity(old.Street, old.Community) {
		return old, nil, &validate.FieldError{Field: "id_number", Code: "conflict",
			Message: "this ID number is registered in another street; ask them to transfer the worker"}, nil
	}
	if old.Community != pw.worker.Community {
		return old, nil, &validate.FieldError{Field: "community", Code: "conflict",
			Message: "the worker is registered in another community; use a transfer to move them"}, nil
	}
	if pw.given["political_status"] && old.PoliticalStatus != pw.worker.PoliticalStatus {
		return old, nil, &validate.FieldError{Field: "political_status", Code: "conflict",
			Message: "political status changes are recorded step by step in the party pipeline"}, nil
	}
	// A blank cell, or a column the file does not have, says nothing: it
	// leaves what the ledger knows. Only what the sheet states is updated.
	w := old
	w.Name, w.Occupation = pw.worker.Name, pw.worker.Occupation
	if pw.given["platform"] {
		w.Platform = pw.worker.Platform
	}
	if pw.given["enterprise"] {
		w.EnterpriseID = pw.worker.EnterpriseID
	}
	if pw.given["mobile_party_member"] {
		w.MobilePartyMember = pw.worker.MobilePartyMember
	}
	if pw.given["home_party_org"] {
		w.HomePartyOrg = pw.worker.HomePartyOrg
	}
	oldMobile, err := s.box.Open(old.mobileEnc, aadMobile)
	if err != nil {
		return old, nil, nil, err
	}
	mobileChanged := oldMobile != pw.mobile
	if mobileChanged {
		if err := s.sealWorker(&w, pw.mobile, ""); err != nil {
			return old, nil, nil, err
		}
	}
	changed := changedWorkerFields(old, w, mobileChanged)
	if old.Status == StatusLeft {
		// Found again in a census round: back in the ledger.
		w.Status, w.LeftAt, w.LeaveReason = StatusActive, nil, ""
		changed = append(changed, "status")
	}
	if len(changed) > 0 {
		w.UpdatedAt = s.now()
	}
	return w, changed, nil, nil
}

// codeOrRaw reads a vocabulary value written as its code or its Chinese
// label; anything else passes through for validation to reject.
func codeOrRaw(vocab, v string) string {
	if v == "" {
		return ""
	}
	if code, ok := codeOf(vocab, v); ok {
		return code
	}
	return v
}

// cellYesNo reads 是/否 style cells; empty is no.
func cellYesNo(c *validate.Collector, field, v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "否", "不是", "无", "n", "no", "false", "0", "×":
		return false
	case "是", "y", "yes", "true", "1", "√", "✓":
		return true
	}
	c.Add(field, validate.CodeInvalidFormat, "must be 是 or 否 (yes or no)")
	return false
}
