package registry

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/db"
)

// rosterAudit is the record of a roster export, written before it is sent.
type rosterAudit struct {
	id        uuid.UUID
	actor     auth.Principal
	query     RosterQuery
	requestID string
}

// rosterRows selects the rows of a roster: its table with alias w
// (workers) or e (enterprises), and the filters of q.
func rosterRows(q RosterQuery, args ...any) (table string, r db.Filter) {
	r.Args = args
	alias := "w"
	table = "workers w"
	if q.Kind == RosterEnterprises {
		alias, table = "e", "enterprises e"
	}
	if q.Street != "" {
		r.Where(alias+".street = $%d", q.Street)
	}
	if q.Community != "" {
		r.Where(alias+".community = $%d", q.Community)
	}
	switch q.Kind {
	case RosterWorkers:
		if q.Status != allStatuses {
			r.Where("w.status = $%d", q.Status)
		}
		if q.Occupation != "" {
			r.Where("w.occupation = $%d", q.Occupation)
		}
	case RosterPartyMembers:
		r.Where("w.status = $%d", StatusActive)
		r.Where("w.political_status = ANY ($%d)", partyMemberStatuses)
	case RosterCandidates:
		r.Where("w.status = $%d", StatusActive)
		r.Where("w.political_status = ANY ($%d)", candidateStatuses)
	}
	return table, r
}

// RecordRosterExport records an export in its own committed transaction
// and returns the number of rows in the roster. An export of workers in
// full also records a pii_reads row for each of them, tied to the export;
// EachRosterEntry then sends those workers only.
func (s *Store) RecordRosterExport(ctx context.Context, a rosterAudit) (int, error) {
	q := a.query
	var n int64
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO roster_exports (id, actor_subject, actor_role, actor_street, actor_community,
				kind, filters, format, pii, row_count, request_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10)`,
			a.id, a.actor.Subject, string(a.actor.Role), a.actor.Street, a.actor.Community,
			q.Kind, q.filters(), q.Format, q.PII, a.requestID)
		if err != nil {
			return err
		}
		if q.full() && q.Kind != RosterEnterprises {
			_, r := rosterRows(q, a.actor.Subject, string(a.actor.Role), a.actor.Street, a.requestID, a.id)
			tag, err := tx.Exec(ctx, `INSERT INTO pii_reads (actor_subject, actor_role, actor_street, worker_id, fields, request_id, roster_export_id)
				SELECT $1, $2, $3, w.id, '{mobile,id_number}', $4, $5 FROM workers w`+r.Clause(), r.Args...)
			if err != nil {
				return fmt.Errorf("record pii reads: %w", err)
			}
			n = tag.RowsAffected()
		} else {
			table, r := rosterRows(q)
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+table+r.Clause(), r.Args...).Scan(&n); err != nil {
				return fmt.Errorf("count: %w", err)
			}
		}
		_, err = tx.Exec(ctx, "UPDATE roster_exports SET row_count = $2 WHERE id = $1", a.id, n)
		return err
	})
	return int(n), err
}

// EachRosterEntry reads a roster row by row and hands each to fn, which
// must not keep the entry (it is reused). An export in full reads only the
// workers recorded for it (exportID).
func (s *Store) EachRosterEntry(ctx context.Context, q RosterQuery, exportID uuid.UUID, fn func(*rosterEntry) error) error {
	sql, args, scan := rosterSelect(q, exportID)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var e rosterEntry
	for rows.Next() {
		if err := scan(rows, &e); err != nil {
			return err
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// rosterSelect is the query of a roster, in the roster's order, and the
// scan of its rows. Ciphertexts are read only for an export in full.
func rosterSelect(q RosterQuery, exportID uuid.UUID) (string, []any, func(pgx.Rows, *rosterEntry) error) {
	table, r := rosterRows(q)
	if q.Kind == RosterEnterprises {
		enc := "NULL::bytea"
		if q.full() {
			enc = "e.contact_mobile_enc"
		}
		sql := `SELECT e.id, e.name, e.kind, COALESCE(e.credit_code, ''), e.street, e.community, e.address, e.contact_name,
				` + enc + `, e.contact_mobile_masked, e.has_party_org, e.created_at, e.updated_at, s.name, c.name
			FROM ` + table + `
			JOIN streets s ON s.code = e.street
			JOIN communities c ON c.code = e.community` + r.Clause() + `
			ORDER BY e.street, e.community, e.id`
		return sql, r.Args, scanRosterEnterprise
	}

	mobileEnc, idEnc := "NULL::bytea", "NULL::bytea"
	if q.full() {
		mobileEnc, idEnc = "w.mobile_enc", "w.id_number_enc"
		r.Where("w.id IN (SELECT worker_id FROM pii_reads WHERE roster_export_id = $%d)", exportID)
	}
	step, stepJoin, order := "", "", "w.street, w.community, w.id"
	if q.Kind == RosterCandidates {
		// The latest step into the worker's current stage gives its date and
		// the party organisation responsible; none yet gives NULLs.
		step = ", step.effective_on, COALESCE(step.party_org, '')"
		stepJoin = `
			LEFT JOIN LATERAL (
				SELECT st.effective_on, st.party_org FROM worker_status_steps st
				WHERE st.worker_id = w.id AND st.to_status = w.political_status
				ORDER BY st.effective_on DESC, st.recorded_at DESC LIMIT 1) step ON true`
		r.Args = append(r.Args, candidateStatuses)
		order = fmt.Sprintf("array_position($%d::text[], w.political_status), ", len(r.Args)) + order
	}
	sql := `SELECT w.id, w.name, ` + mobileEnc + `, w.mobile_masked, ` + idEnc + `, w.id_number_masked, w.occupation,
			w.street, w.community, w.enterprise_id, w.platform, w.political_status, w.mobile_party_member,
			w.home_party_org, w.status, w.left_at, w.leave_reason, w.created_at, w.updated_at,
			s.name, c.name, COALESCE(ent.name, '')` + step + `
		FROM ` + table + `
		JOIN streets s ON s.code = w.street
		JOIN communities c ON c.code = w.community
		LEFT JOIN enterprises ent ON ent.id = w.enterprise_id` + stepJoin + r.Clause() + `
		ORDER BY ` + order
	withStep := q.Kind == RosterCandidates
	return sql, r.Args, func(rows pgx.Rows, e *rosterEntry) error {
		w := &e.Worker
		dest := []any{&w.ID, &w.Name, &w.mobileEnc, &w.Mobile, &w.idNumberEnc, &w.IDNumber, &w.Occupation,
			&w.Street, &w.Community, &w.EnterpriseID, &w.Platform, &w.PoliticalStatus, &w.MobilePartyMember,
			&w.HomePartyOrg, &w.Status, &w.LeftAt, &w.LeaveReason, &w.CreatedAt, &w.UpdatedAt,
			&e.StreetName, &e.CommunityName, &e.EnterpriseName}
		if withStep {
			dest = append(dest, &e.StepOn, &e.StepPartyOrg)
		}
		return rows.Scan(dest...)
	}
}

func scanRosterEnterprise(rows pgx.Rows, e *rosterEntry) error {
	x := &e.Enterprise
	return rows.Scan(&x.ID, &x.Name, &x.Kind, &x.CreditCode, &x.Street, &x.Community, &x.Address, &x.Contact.Name,
		&x.contactMobileEnc, &x.Contact.Mobile, &x.HasPartyOrg, &x.CreatedAt, &x.UpdatedAt, &e.StreetName, &e.CommunityName)
}
