package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/outbox"
)

// Store holds the registry's queries. Every write commits together with
// the outbox rows of its events.
type Store struct {
	pool    *pgxpool.Pool
	outbox  outbox.Writer
	metrics *businessMetrics

	// communities remembers each community found (code → Community):
	// every registration and import row looks its community up, and a
	// community is never changed or deleted once created, so what is
	// remembered stays true, and the memory is bounded by the district's
	// own communities. A code not found is looked up again each time.
	communities sync.Map
}

// NewStore returns a store over pool (whose search_path is the registry
// schema), writing events with w and counting committed changes in reg.
func NewStore(pool *pgxpool.Pool, w outbox.Writer, reg prometheus.Registerer) *Store {
	return &Store{pool: pool, outbox: w, metrics: newBusinessMetrics(reg)}
}

func (s *Store) emit(ctx context.Context, tx pgx.Tx, evs ...pending) error {
	return s.emitWith(ctx, tx, &pgx.Batch{}, evs...)
}

// emitWith sends batch's statements and the events' outbox rows in one
// round trip.
func (s *Store) emitWith(ctx context.Context, tx pgx.Tx, batch *pgx.Batch, evs ...pending) error {
	drafts := make([]outbox.Draft, len(evs))
	for i, e := range evs {
		drafts[i] = outbox.Draft{Name: e.name, Street: e.street, Subject: e.subject, Data: e.data}
	}
	_, err := s.outbox.AddAllWith(ctx, tx, batch, drafts)
	return err
}

// write runs fn in a transaction and adds the events fn returns to the
// outbox in the same transaction; they are counted once committed.
func (s *Store) write(ctx context.Context, fn func(tx pgx.Tx) ([]pending, error)) error {
	var evs []pending
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if evs, err = fn(tx); err != nil {
			return err
		}
		return s.emit(ctx, tx, evs...)
	})
	if err == nil {
		s.metrics.committed(evs)
	}
	return err
}

// insert runs one INSERT and its event in one transaction and one round
// trip: the batch of both is the whole transaction (db.InBatch), as
// nothing is read in between.
func (s *Store) insert(ctx context.Context, op string, ev pending, sql string, args ...any) error {
	err := db.InBatch(ctx, s.pool, func(tx pgx.Tx) error {
		batch := &pgx.Batch{}
		batch.Queue(sql, args...)
		return s.emitWith(ctx, tx, batch, ev)
	})
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	s.metrics.committed([]pending{ev})
	return nil
}

// ---- org ----

// CreateStreet stores a street office.
func (s *Store) CreateStreet(ctx context.Context, st Street, ev pending) error {
	err := s.insert(ctx, "create street", ev,
		"INSERT INTO streets (code, name, created_at) VALUES ($1, $2, $3)", st.Code, st.Name, st.CreatedAt)
	if db.IsUniqueViolation(err, "") {
		return fault.ConflictReason("street_exists", "street %q already exists", st.Code)
	}
	return err
}

// CreateCommunity stores a community.
func (s *Store) CreateCommunity(ctx context.Context, c Community, ev pending) error {
	err := s.insert(ctx, "create community", ev,
		"INSERT INTO communities (code, street, name, created_at) VALUES ($1, $2, $3, $4)", c.Code, c.Street, c.Name, c.CreatedAt)
	var pe *pgconn.PgError
	switch {
	case db.IsUniqueViolation(err, ""):
		return fault.ConflictReason("community_exists", "community %q already exists", c.Code)
	case errors.As(err, &pe) && pe.Code == "23503":
		return fault.NotFoundf("street %q not found", c.Street)
	}
	return err
}

// Org returns every street office with its communities, by code.
func (s *Store) Org(ctx context.Context) ([]OrgStreet, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT s.code, s.name, s.created_at, c.code, c.name, c.created_at
		FROM streets s LEFT JOIN communities c ON c.street = s.code
		ORDER BY s.code, c.code`)
	if err != nil {
		return nil, fmt.Errorf("org: %w", err)
	}
	defer rows.Close()
	out := []OrgStreet{}
	for rows.Next() {
		var st Street
		var code, name *string
		var at *time.Time
		if err := rows.Scan(&st.Code, &st.Name, &st.CreatedAt, &code, &name, &at); err != nil {
			return nil, fmt.Errorf("org: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].Code != st.Code {
			out = append(out, OrgStreet{Street: st, Communities: []Community{}})
		}
		if code != nil {
			last := &out[len(out)-1]
			last.Communities = append(last.Communities, Community{Code: *code, Street: st.Code, Name: *name, CreatedAt: *at})
		}
	}
	return out, rows.Err()
}

// StreetKnown reports whether a street of that code exists.
func (s *Store) StreetKnown(ctx context.Context, code string) (bool, error) {
	var known bool
	if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM streets WHERE code = $1)", code).Scan(&known); err != nil {
		return false, fmt.Errorf("street %s: %w", code, err)
	}
	return known, nil
}

// Community looks a community up by code.
func (s *Store) Community(ctx context.Context, code string) (Community, bool, error) {
	if c, ok := s.communities.Load(code); ok {
		return c.(Community), true, nil
	}
	var c Community
	err := s.pool.QueryRow(ctx, "SELECT code, street, name, created_at FROM communities WHERE code = $1", code).
		Scan(&c.Code, &c.Street, &c.Name, &c.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Community{}, false, nil
	}
	if err != nil {
		return Community{}, false, fmt.Errorf("community %s: %w", code, err)
	}
	s.communities.Store(code, c)
	return c, true, nil
}

// ---- enterprises ----

const enterpriseCols = `id, name, kind, COALESCE(credit_code, ''), street, community, address,
	contact_name, contact_mobile_enc, contact_mobile_masked, has_party_org, created_at, updated_at,
	COALESCE(to_char(closed_on, 'YYYY-MM-DD'), ''), closed_at, close_reason`

func scanEnterprise(row pgx.Row) (Enterprise, error) {
	var e Enterprise
	err := row.Scan(&e.ID, &e.Name, &e.Kind, &e.CreditCode, &e.Street, &e.Community, &e.Address,
		&e.Contact.Name, &e.contactMobileEnc, &e.Contact.Mobile, &e.HasPartyOrg, &e.CreatedAt, &e.UpdatedAt,
		&e.ClosedOn, &e.ClosedAt, &e.CloseReason)
	e.Status = EnterpriseActive
	if e.ClosedAt != nil {
		e.Status = EnterpriseClosed
	}
	return e, err
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateEnterprise stores an enterprise; a credit code already in the
// ledger is a conflict naming the existing enterprise.
func (s *Store) CreateEnterprise(ctx context.Context, e Enterprise, ev pending) error {
	err := s.insert(ctx, "create enterprise", ev, insertEnterpriseSQL, insertEnterpriseArgs(e)...)
	if db.IsUniqueViolation(err, "enterprises_credit_code_key") {
		return s.creditCodeConflict(ctx, e.CreditCode)
	}
	return err
}

func (s *Store) creditCodeConflict(ctx context.Context, code string) error {
	fe := &fault.Error{Kind: fault.Conflict, Message: "an enterprise with this credit code is already registered",
		Details: map[string]any{"reason": "enterprise_exists"}}
	var id uuid.UUID
	if err := s.pool.QueryRow(ctx, "SELECT id FROM enterprises WHERE credit_code = $1", code).Scan(&id); err == nil {
		return fe.With("existing_enterprise_id", id.String())
	}
	return fe
}

// Enterprise returns one enterprise.
func (s *Store) Enterprise(ctx context.Context, id uuid.UUID) (Enterprise, bool, error) {
	e, err := scanEnterprise(s.pool.QueryRow(ctx, "SELECT "+enterpriseCols+" FROM enterprises WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Enterprise{}, false, nil
	}
	if err != nil {
		return Enterprise{}, false, fmt.Errorf("enterprise %s: %w", id, err)
	}
	return e, true, nil
}

// pageOf finishes a list query's filter with the caller's scope (street,
// community) and the keyset page.
func pageOf(f *db.Filter, q ListQuery) string {
	f.Eq("street", q.Street)
	f.Eq("community", q.Community)
	return f.Page(q.After, q.Limit)
}

// paginate trims the extra row fetched to learn whether a next page exists.
func paginate[T any](items []T, limit int, id func(T) uuid.UUID) Page[T] {
	p := Page[T]{Items: items}
	if len(items) > limit {
		p.Items = items[:limit]
		p.Next = id(items[limit-1]).String()
	}
	if p.Items == nil {
		p.Items = []T{}
	}
	return p
}

// ListEnterprises returns a page of enterprises, ordered by id (ids are
// UUIDv7, so roughly by registration time).
func (s *Store) ListEnterprises(ctx context.Context, q EnterpriseQuery) (Page[Enterprise], error) {
	filter := func(f *db.Filter) {
		f.Eq("kind", q.Kind)
		switch q.Status {
		case EnterpriseActive:
			f.Raw("closed_at IS NULL")
		case EnterpriseClosed:
			f.Raw("closed_at IS NOT NULL")
		}
		if q.HasPartyOrg != nil {
			f.Where("has_party_org = $%d", *q.HasPartyOrg)
		}
		if q.Q != "" {
			f.Where(`(name ILIKE $%[1]d OR credit_code ILIKE $%[1]d)`, containsPattern(q.Q))
		}
	}
	page, err := listCounted(ctx, s.pool, "enterprises", enterpriseCols, q.ListQuery, filter, scanEnterprise,
		func(e Enterprise) uuid.UUID { return e.ID })
	if err != nil {
		return Page[Enterprise]{}, fmt.Errorf("list enterprises: %w", err)
	}
	return page, nil
}

// listCounted is one page of table's rows that filter and the scope of q
// select, with the total of them on all pages: the count and the page go
// in one round trip (one batch).
func listCounted[T any](ctx context.Context, pool *pgxpool.Pool, table, cols string, q ListQuery,
	filter func(*db.Filter), scan func(pgx.Row) (T, error), id func(T) uuid.UUID) (Page[T], error) {
	var cf db.Filter
	filter(&cf)
	cf.Eq("street", q.Street)
	cf.Eq("community", q.Community)
	var f db.Filter
	filter(&f)
	pageSQL := "SELECT " + cols + " FROM " + table + pageOf(&f, q)

	batch := &pgx.Batch{}
	var total int
	batch.Queue("SELECT count(*) FROM "+table+cf.Clause(), cf.Args...).QueryRow(func(row pgx.Row) error {
		return row.Scan(&total)
	})
	var items []T
	batch.Queue(pageSQL, f.Args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return err
			}
			items = append(items, v)
		}
		return rows.Err()
	})
	if err := pool.SendBatch(ctx, batch).Close(); err != nil {
		return Page[T]{}, err
	}
	p := paginate(items, q.Limit, id)
	p.Total = &total
	return p, nil
}

// containsPattern is an ILIKE pattern matching text that contains s,
// with LIKE's own characters in s matched as themselves.
func containsPattern(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s) + "%"
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func collect[T any](ctx context.Context, pool querier, sql string, args []any, scan func(pgx.Row) (T, error)) ([]T, error) {
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// UpdateEnterprise locks the row, lets fn change it, and stores it with the
// event fn returns (nil: nothing changed, nothing written).
func (s *Store) UpdateEnterprise(ctx context.Context, id uuid.UUID, fn func(*Enterprise) (*pending, error)) error {
	return s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		e, err := scanEnterprise(tx.QueryRow(ctx, "SELECT "+enterpriseCols+" FROM enterprises WHERE id = $1 FOR UPDATE", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errEnterpriseNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("update enterprise: %w", err)
		}
		ev, err := fn(&e)
		if err != nil || ev == nil {
			return nil, err
		}
		_, err = tx.Exec(ctx, updateEnterpriseSQL, updateEnterpriseArgs(e)...)
		if db.IsUniqueViolation(err, "enterprises_credit_code_key") {
			return nil, s.creditCodeConflict(ctx, e.CreditCode)
		}
		if err != nil {
			return nil, fmt.Errorf("update enterprise: %w", err)
		}
		return []pending{*ev}, nil
	})
}

// CloseEnterprise locks the enterprise, lets fn close it, and stores its
// closing with the event fn returns.
func (s *Store) CloseEnterprise(ctx context.Context, id uuid.UUID, fn func(*Enterprise) (*pending, error)) error {
	return s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		e, err := scanEnterprise(tx.QueryRow(ctx, "SELECT "+enterpriseCols+" FROM enterprises WHERE id = $1 FOR UPDATE", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errEnterpriseNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("close enterprise: %w", err)
		}
		ev, err := fn(&e)
		if err != nil || ev == nil {
			return nil, err
		}
		_, err = tx.Exec(ctx, `UPDATE enterprises SET closed_on = $2, closed_at = $3, close_reason = $4, updated_at = $5
			WHERE id = $1`, e.ID, e.ClosedOn, e.ClosedAt, e.CloseReason, e.UpdatedAt)
		if err != nil {
			return nil, fmt.Errorf("close enterprise: %w", err)
		}
		return []pending{*ev}, nil
	})
}

// ---- workers ----

const workerCols = `id, name, mobile_enc, mobile_masked, id_number_enc, id_number_masked, occupation,
	street, community, enterprise_id, platform, political_status, mobile_party_member, home_party_org,
	status, left_at, leave_reason, created_at, updated_at,
	self_registered, confirmation, created_by, decided_at, decided_by, decision_reason`

// workerDest is where a row of workerCols scans to, followed by extra.
func workerDest(w *Worker, extra ...any) []any {
	return append([]any{&w.ID, &w.Name, &w.mobileEnc, &w.Mobile, &w.idNumberEnc, &w.IDNumber, &w.Occupation,
		&w.Street, &w.Community, &w.EnterpriseID, &w.Platform, &w.PoliticalStatus, &w.MobilePartyMember,
		&w.HomePartyOrg, &w.Status, &w.LeftAt, &w.LeaveReason, &w.CreatedAt, &w.UpdatedAt,
		&w.SelfRegistered, &w.Confirmation, &w.CreatedBy, &w.DecidedAt, &w.DecidedBy, &w.DecisionReason}, extra...)
}

func scanWorker(row pgx.Row) (Worker, error) {
	var w Worker
	err := row.Scan(workerDest(&w)...)
	return w, err
}

// CreateWorker stores a worker. The unique index on the ID number's keyed
// hash decides duplicates, so two clerks registering the same person at the
// same moment cannot both succeed.
func (s *Store) CreateWorker(ctx context.Context, w Worker, idHash, mobileHash []byte, ev pending) error {
	err := s.insert(ctx, "create worker", ev, insertWorkerSQL, insertWorkerArgs(w, idHash, mobileHash)...)
	if db.IsUniqueViolation(err, "workers_id_number_unique") {
		var existing uuid.UUID
		if qerr := s.pool.QueryRow(ctx, "SELECT id FROM workers WHERE id_number_hash = $1", idHash).Scan(&existing); qerr != nil {
			return fmt.Errorf("create worker: find duplicate: %w", qerr)
		}
		return ErrDuplicateIDNumber{ExistingID: existing}
	}
	return err
}

// Worker returns one worker.
func (s *Store) Worker(ctx context.Context, id uuid.UUID) (Worker, bool, error) {
	w, err := scanWorker(s.pool.QueryRow(ctx, "SELECT "+workerCols+" FROM workers WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Worker{}, false, nil
	}
	if err != nil {
		return Worker{}, false, fmt.Errorf("worker %s: %w", id, err)
	}
	return w, true, nil
}

// ListWorkers returns a page of workers.
func (s *Store) ListWorkers(ctx context.Context, q WorkerQuery) (Page[Worker], error) {
	filter := func(f *db.Filter) {
		f.Eq("occupation", q.Occupation)
		f.Eq("political_status", q.PoliticalStatus)
		f.Eq("status", q.Status)
		f.Eq("enterprise_id", q.EnterpriseID)
		f.Eq("confirmation", q.Confirmation)
		f.Eq("platform", q.Platform)
		if q.SelfRegistered {
			f.Raw("self_registered")
		}
		if q.MobilePartyMember != nil {
			f.Where("mobile_party_member = $%d", *q.MobilePartyMember)
		}
		if q.Q != "" {
			f.Where("name ILIKE $%d", containsPattern(q.Q))
		}
		if q.MobileTail != "" {
			f.Where("right(mobile_masked, 4) = $%d", q.MobileTail)
		}
		if q.mobileHash != nil {
			f.Where("mobile_hash = $%d", q.mobileHash)
		}
		if q.IDs != nil {
			f.Where("id = ANY($%d)", q.IDs)
		}
	}
	page, err := listCounted(ctx, s.pool, "workers", workerCols, q.ListQuery, filter, scanWorker,
		func(w Worker) uuid.UUID { return w.ID })
	if err != nil {
		return Page[Worker]{}, fmt.Errorf("list workers: %w", err)
	}
	return page, nil
}

// workerChange is what an update of a worker writes besides the row.
type workerChange struct {
	event      pending
	mobileHash []byte // set when the mobile changed
	// endPairing, when set, ends the worker's active pairing in the same
	// transaction (a worker who leaves has no one left to contact).
	endPairing *Pairing
}

// UpdateWorker locks the worker, lets fn change it and stores the result
// with its event; fn returning nil means nothing changed.
func (s *Store) UpdateWorker(ctx context.Context, id uuid.UUID, fn func(*Worker) (*workerChange, error)) error {
	return s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		w, err := scanWorker(tx.QueryRow(ctx, "SELECT "+workerCols+" FROM workers WHERE id = $1 FOR UPDATE", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, errWorkerNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("update worker: %w", err)
		}
		ch, err := fn(&w)
		if err != nil || ch == nil {
			return nil, err
		}
		_, err = tx.Exec(ctx, updateWorkerSQL, updateWorkerArgs(w, ch.mobileHash)...)
		if err != nil {
			return nil, fmt.Errorf("update worker: %w", err)
		}
		evs := []pending{ch.event}
		if end := ch.endPairing; end != nil {
			pr := *end
			err := tx.QueryRow(ctx, `UPDATE pairings SET ended_at = $2, ended_by = $3, end_reason = $4
				WHERE worker_id = $1 AND ended_at IS NULL RETURNING id, staff_subject, staff_name, created_at`,
				w.ID, pr.EndedAt, pr.EndedBy, pr.EndReason).Scan(&pr.ID, &pr.StaffSubject, &pr.StaffName, &pr.CreatedAt)
			switch {
			case err == nil:
				evs = append(evs, pairingEvent(event.PairingEnded, pr))
			case !errors.Is(err, pgx.ErrNoRows):
				return nil, fmt.Errorf("end pairing: %w", err)
			}
		}
		return evs, nil
	})
}

// piiRead is the audit record of a full read of personal data.
type piiRead struct {
	actor     auth.Principal
	fields    []string
	requestID string
}

// ReadPII hands the worker to fn and records the audit row fn returns, in
// one transaction: if the record cannot be written the read fails too.
func (s *Store) ReadPII(ctx context.Context, id uuid.UUID, fn func(Worker) (piiRead, error)) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		w, err := scanWorker(tx.QueryRow(ctx, "SELECT "+workerCols+" FROM workers WHERE id = $1", id))
		if errors.Is(err, pgx.ErrNoRows) {
			return errWorkerNotFound
		}
		if err != nil {
			return fmt.Errorf("read pii: %w", err)
		}
		rec, err := fn(w)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO pii_reads (actor_subject, actor_role, actor_street, worker_id, fields, request_id)
			VALUES ($1, $2, $3, $4, $5, $6)`, rec.actor.Subject, string(rec.actor.Role), rec.actor.Street, id, rec.fields, rec.requestID)
		if err != nil {
			return fmt.Errorf("record pii read: %w", err)
		}
		return nil
	})
}

// CreateCheckIn stores a check-in unless the worker already checked in with
// that community, in which case it returns the earlier one and no event.
func (s *Store) CreateCheckIn(ctx context.Context, ci CheckIn, ev pending) (CheckIn, bool, error) {
	created := false
	err := s.write(ctx, func(tx pgx.Tx) ([]pending, error) {
		tag, err := tx.Exec(ctx, `INSERT INTO checkins (id, worker_id, street, community, channel, station_id, checked_in_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (worker_id, community) DO NOTHING`,
			ci.ID, ci.WorkerID, ci.Street, ci.Community, ci.Channel, ci.StationID, ci.CheckedInAt)
		if err != nil {
			return nil, err
		}
		if tag.RowsAffected() == 0 {
			return nil, tx.QueryRow(ctx, `SELECT id, worker_id, street, community, channel, station_id, checked_in_at
				FROM checkins WHERE worker_id = $1 AND community = $2`, ci.WorkerID, ci.Community).
				Scan(&ci.ID, &ci.WorkerID, &ci.Street, &ci.Community, &ci.Channel, &ci.StationID, &ci.CheckedInAt)
		}
		created = true
		return []pending{ev}, nil
	})
	if err != nil {
		return CheckIn{}, false, fmt.Errorf("check in: %w", err)
	}
	return ci, created, nil
}

// CheckIns returns a worker's check-ins, oldest first.
func (s *Store) CheckIns(ctx context.Context, workerID uuid.UUID) ([]CheckIn, error) {
	items, err := collect(ctx, s.pool, `SELECT id, worker_id, street, community, channel, station_id, checked_in_at
		FROM checkins WHERE worker_id = $1 ORDER BY checked_in_at, id`, []any{workerID},
		func(row pgx.Row) (CheckIn, error) {
			var ci CheckIn
			err := row.Scan(&ci.ID, &ci.WorkerID, &ci.Street, &ci.Community, &ci.Channel, &ci.StationID, &ci.CheckedInAt)
			return ci, err
		})
	if err != nil {
		return nil, fmt.Errorf("check-ins: %w", err)
	}
	if items == nil {
		items = []CheckIn{}
	}
	return items, nil
}

// The statements that write enterprises and workers, shared by the API and
// the spreadsheet import.
const (
	insertEnterpriseSQL = `INSERT INTO enterprises (id, name, kind, credit_code, street, community, address,
			contact_name, contact_mobile_enc, contact_mobile_masked, has_party_org, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)`
	updateEnterpriseSQL = `UPDATE enterprises SET name = $2, kind = $3, credit_code = $4, address = $5,
			contact_name = $6, contact_mobile_enc = $7, contact_mobile_masked = $8, has_party_org = $9, updated_at = $10
		WHERE id = $1`
	insertWorkerSQL = `INSERT INTO workers (id, name, mobile_enc, mobile_hash, mobile_masked, id_number_enc, id_number_hash,
			id_number_masked, occupation, street, community, enterprise_id, platform, political_status,
			mobile_party_member, home_party_org, status, created_at, updated_at,
			self_registered, confirmation, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19, $20, $21)`
	updateWorkerSQL = `UPDATE workers SET name = $2, mobile_enc = $3, mobile_masked = $4,
			mobile_hash = COALESCE($5, mobile_hash), occupation = $6, enterprise_id = $7, platform = $8,
			political_status = $9, mobile_party_member = $10, home_party_org = $11, status = $12,
			left_at = $13, leave_reason = $14, updated_at = $15,
			confirmation = $16, decided_at = $17, decided_by = $18, decision_reason = $19
		WHERE id = $1`
)

func insertEnterpriseArgs(e Enterprise) []any {
	return []any{pgUUID(e.ID), e.Name, e.Kind, nullIfEmpty(e.CreditCode), e.Street, e.Community, e.Address,
		e.Contact.Name, e.contactMobileEnc, e.Contact.Mobile, e.HasPartyOrg, e.CreatedAt}
}

func updateEnterpriseArgs(e Enterprise) []any {
	return []any{e.ID, e.Name, e.Kind, nullIfEmpty(e.CreditCode), e.Address,
		e.Contact.Name, e.contactMobileEnc, e.Contact.Mobile, e.HasPartyOrg, e.UpdatedAt}
}

func insertWorkerArgs(w Worker, idHash, mobileHash []byte) []any {
	return []any{pgUUID(w.ID), w.Name, w.mobileEnc, mobileHash, w.Mobile, w.idNumberEnc, idHash, w.IDNumber, w.Occupation,
		w.Street, w.Community, w.EnterpriseID, w.Platform, w.PoliticalStatus, w.MobilePartyMember,
		w.HomePartyOrg, w.Status, w.CreatedAt, w.SelfRegistered, w.Confirmation, w.CreatedBy}
}

// pgUUID hands id to pgx as the 16 bytes it is. A uuid.UUID as such goes
// through database/sql's Valuer: formatted as a string that pgx then parses
// back, some fifteen allocations (of ~440) in every registration.
func pgUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

// updateWorkerArgs: a nil mobileHash keeps the stored one.
func updateWorkerArgs(w Worker, mobileHash []byte) []any {
	return []any{w.ID, w.Name, w.mobileEnc, w.Mobile, mobileHash, w.Occupation, w.EnterpriseID,
		w.Platform, w.PoliticalStatus, w.MobilePartyMember, w.HomePartyOrg, w.Status, w.LeftAt,
		w.LeaveReason, w.UpdatedAt, w.Confirmation, w.DecidedAt, w.DecidedBy, w.DecisionReason}
}
