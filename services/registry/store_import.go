package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/db"
)

// CreateImportJob stores a queued job with its upload, sealed by the
// caller (the store never sees a sheet in clear).
func (s *Store) CreateImportJob(ctx context.Context, j ImportJob, sealedUpload []byte) error {
	cols, err := json.Marshal(j.columns)
	if err != nil {
		return err
	}
	var header []byte // NULL when not known
	if j.header != nil {
		if header, err = json.Marshal(j.header); err != nil {
			return err
		}
	}
	// In db.InTx, as every write a POST makes: an Idempotency-Key's work
	// is recorded with it, so a lost answer never queues the file twice.
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO import_jobs (id, kind, file_name, format, upload, upload_sealed, header_row, columns,
				total_rows, status, actor_subject, actor_role, actor_street, actor_community, created_at, header_cells)
			VALUES ($1, $2, $3, $4, $5, true, $6, $7, $8, 'queued', $9, $10, $11, $12, $13, $14)`,
			j.ID, j.Kind, j.FileName, j.Format, sealedUpload, j.headerRow, cols, j.TotalRows,
			j.actor.Subject, string(j.actor.Role), j.actor.Street, j.actor.Community, j.CreatedAt, header)
		return err
	})
}

const importJobCols = `id, kind, file_name, format, status, total_rows, processed, created, updated, unchanged, rejected,
	error_zh, error_en, created_at, started_at, finished_at, actor_subject, actor_role, actor_street, actor_community,
	header_row, columns, last_row, header_cells`

func scanImportJob(row pgx.Row) (ImportJob, error) {
	var j ImportJob
	var role string
	var cols, header []byte
	err := row.Scan(&j.ID, &j.Kind, &j.FileName, &j.Format, &j.Status, &j.TotalRows, &j.Processed, &j.Created,
		&j.Updated, &j.Unchanged, &j.Rejected, &j.ErrorZH, &j.ErrorEN, &j.CreatedAt, &j.StartedAt, &j.FinishedAt,
		&j.actor.Subject, &role, &j.actor.Street, &j.actor.Community, &j.headerRow, &cols, &j.lastRow, &header)
	if err != nil {
		return ImportJob{}, err
	}
	j.actor.Role = auth.Role(role)
	j.CreatedBy = j.actor.Subject
	if err := json.Unmarshal(cols, &j.columns); err != nil {
		return ImportJob{}, fmt.Errorf("import %s columns: %w", j.ID, err)
	}
	if header != nil {
		if err := json.Unmarshal(header, &j.header); err != nil {
			return ImportJob{}, fmt.Errorf("import %s header: %w", j.ID, err)
		}
	}
	return j, nil
}

// ImportJob returns one job.
func (s *Store) ImportJob(ctx context.Context, id uuid.UUID) (ImportJob, bool, error) {
	j, err := scanImportJob(s.pool.QueryRow(ctx, "SELECT "+importJobCols+" FROM import_jobs WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return ImportJob{}, false, nil
	}
	return j, err == nil, err
}

// ListImports returns a page of the jobs q selects within its scope,
// newest first (ids are UUIDv7, taken with created_at), with how many it
// selects on all pages. The count and the page go in one round trip.
func (s *Store) ListImports(ctx context.Context, q ImportQuery) (Page[ImportJob], error) {
	filter := func(f *db.Filter) {
		sc := q.scope
		if !sc.all {
			f.Args = append(f.Args, sc.subject, sc.role)
			own := fmt.Sprintf("(actor_subject = $%d AND actor_role = $%d)", len(f.Args)-1, len(f.Args))
			if sc.street != "" {
				f.Args = append(f.Args, sc.street, string(auth.DistrictAdmin))
				own = fmt.Sprintf("(%s OR (actor_street = $%d AND actor_role <> $%d))", own, len(f.Args)-1, len(f.Args))
			}
			f.Raw(own)
		}
		f.Eq("kind", q.Kind)
		f.Eq("status", q.Status)
		switch {
		case q.WithRejections == nil:
		case *q.WithRejections:
			f.Raw("rejected > 0")
		default:
			f.Raw("rejected = 0")
		}
		if !q.since.IsZero() {
			f.Where("created_at >= $%d", q.since)
		}
	}
	var cf, f db.Filter
	filter(&cf)
	filter(&f)
	if q.After != "" {
		f.Where("id < $%d", q.After)
	}
	f.Args = append(f.Args, q.Limit+1)
	pageSQL := "SELECT " + importJobCols + " FROM import_jobs" + f.Clause() + fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(f.Args))

	batch := &pgx.Batch{}
	var total int
	batch.Queue("SELECT count(*) FROM import_jobs"+cf.Clause(), cf.Args...).QueryRow(func(row pgx.Row) error {
		return row.Scan(&total)
	})
	var items []ImportJob
	batch.Queue(pageSQL, f.Args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			j, err := scanImportJob(rows)
			if err != nil {
				return err
			}
			items = append(items, j)
		}
		return rows.Err()
	})
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return Page[ImportJob]{}, err
	}
	p := paginate(items, q.Limit, func(j ImportJob) uuid.UUID { return j.ID })
	p.Total = &total
	return p, nil
}

// ClaimImportJob leases the oldest queued job, or a running one whose
// instance stopped renewing its lease, and returns it with its sealed
// upload. An upload stored in clear (before uploads were sealed) is sealed
// with seal and stored so in the same transaction, so it is read in clear
// no more.
func (s *Store) ClaimImportJob(ctx context.Context, lease time.Duration,
	seal func(id uuid.UUID, upload []byte) ([]byte, error)) (ImportJob, []byte, bool, error) {
	var (
		j      ImportJob
		upload []byte
		sealed bool
	)
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var id uuid.UUID
		err := tx.QueryRow(ctx, `SELECT id FROM import_jobs
			WHERE status = 'queued' OR (status = 'running' AND lease_until < now())
			ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`).Scan(&id)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `UPDATE import_jobs SET status = 'running', started_at = COALESCE(started_at, now()),
				lease_until = now() + make_interval(secs => $2) WHERE id = $1 RETURNING upload, upload_sealed`,
			id, lease.Seconds()).Scan(&upload, &sealed); err != nil {
			return err
		}
		if !sealed && upload != nil {
			if upload, err = seal(id, upload); err != nil {
				return fmt.Errorf("seal the upload of import %s: %w", id, err)
			}
			if _, err := tx.Exec(ctx, "UPDATE import_jobs SET upload = $2, upload_sealed = true WHERE id = $1", id, upload); err != nil {
				return fmt.Errorf("store the sealed upload of import %s: %w", id, err)
			}
		}
		j, err = scanImportJob(tx.QueryRow(ctx, "SELECT "+importJobCols+" FROM import_jobs WHERE id = $1", id))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return ImportJob{}, nil, false, nil
	}
	if err != nil {
		return ImportJob{}, nil, false, fmt.Errorf("claim import: %w", err)
	}
	return j, upload, true, nil
}

// FinishImport marks a job done and drops its upload.
func (s *Store) FinishImport(ctx context.Context, id uuid.UUID) error {
	_, err := s.pool.Exec(ctx, `UPDATE import_jobs SET status = 'done', upload = NULL, finished_at = now(), lease_until = NULL
		WHERE id = $1`, id)
	return err
}

// FailImport marks a job failed with the reason (rows committed so far stay).
func (s *Store) FailImport(ctx context.Context, id uuid.UUID, cause error) error {
	zh, en := "导入失败", cause.Error()
	if fe, ok := cause.(*fileError); ok {
		zh, en = fe.zh, fe.en
	}
	_, err := s.pool.Exec(ctx, `UPDATE import_jobs SET status = 'failed', upload = NULL, finished_at = now(), lease_until = NULL,
		error_zh = $2, error_en = $3 WHERE id = $1`, id, zh, en)
	return err
}

// ImportAttemptFailed counts a failed attempt at a running job whose
// progress stands at row after. The maxAttempts-th failure since the job
// last committed a batch fails it with the reason zh/en (rows committed
// before stay); an earlier one leaves it running, to be tried again after
// lease. A report that is out of date — the job has moved on or ended since
// — counts nothing (found is false). One statement, so instances sharing
// the job share the count.
func (s *Store) ImportAttemptFailed(ctx context.Context, id uuid.UUID, after, maxAttempts int, lease time.Duration,
	zh, en string) (failures int, failed bool, err error) {
	err = s.pool.QueryRow(ctx, `UPDATE import_jobs SET failures = failures + 1,
			status = CASE WHEN failures + 1 >= $3 THEN 'failed' ELSE status END,
			error_zh = CASE WHEN failures + 1 >= $3 THEN $5 ELSE error_zh END,
			error_en = CASE WHEN failures + 1 >= $3 THEN $6 ELSE error_en END,
			finished_at = CASE WHEN failures + 1 >= $3 THEN now() ELSE finished_at END,
			upload = CASE WHEN failures + 1 >= $3 THEN NULL ELSE upload END,
			lease_until = CASE WHEN failures + 1 >= $3 THEN NULL ELSE now() + make_interval(secs => $4) END
		WHERE id = $1 AND status = 'running' AND last_row = $2
		RETURNING failures, status = 'failed'`, id, after, maxAttempts, lease.Seconds(), zh, en).Scan(&failures, &failed)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("count failed import attempt: %w", err)
	}
	return failures, failed, nil
}

// ImportRows pages through a job's row outcomes in row order.
func (s *Store) ImportRows(ctx context.Context, id uuid.UUID, q ImportRowQuery) ([]ImportRow, error) {
	rows, err := s.pool.Query(ctx, `SELECT row, status, entity_id, changed, errors FROM import_rows
		WHERE job_id = $1 AND ($2 = '' OR status = $2) AND row > $3 ORDER BY row LIMIT $4`, id, q.Status, q.After, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("import rows: %w", err)
	}
	defer rows.Close()
	out := []ImportRow{}
	for rows.Next() {
		var r ImportRow
		var errs []byte
		if err := rows.Scan(&r.Row, &r.Status, &r.EntityID, &r.Changed, &errs); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(errs, &r.Errors); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// rowDownload records who downloaded an import's rejected rows.
type rowDownload struct {
	id, job   uuid.UUID
	at        time.Time
	actor     auth.Principal
	format    string
	requestID string
}

// RecordRowDownload stores the record of a download of rejected rows.
func (s *Store) RecordRowDownload(ctx context.Context, d rowDownload) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO import_row_downloads (id, job_id, at, actor_subject, actor_role, actor_street, format, request_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, d.id, d.job, d.at, d.actor.Subject, string(d.actor.Role), d.actor.Street, d.format, d.requestID)
		return err
	})
}

// rejectedRow is a rejected row's outcome with its sealed cells.
type rejectedRow struct {
	ImportRow
	sealed []byte
}

// EachRejectedRow hands fn a job's rejected rows in row order, with their
// sealed cells.
func (s *Store) EachRejectedRow(ctx context.Context, id uuid.UUID, fn func(r *rejectedRow) error) error {
	rows, err := s.pool.Query(ctx, `SELECT row, errors, cells_sealed FROM import_rows
		WHERE job_id = $1 AND status = 'rejected' ORDER BY row`, id)
	if err != nil {
		return fmt.Errorf("rejected rows: %w", err)
	}
	defer rows.Close()
	var r rejectedRow
	for rows.Next() {
		var errs []byte
		r = rejectedRow{ImportRow: ImportRow{Status: RowRejected}}
		if err := rows.Scan(&r.Row, &errs, &r.sealed); err != nil {
			return fmt.Errorf("rejected rows: %w", err)
		}
		if err := json.Unmarshal(errs, &r.Errors); err != nil {
			return fmt.Errorf("rejected row %d: %w", r.Row, err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CommunitiesByName returns the communities with this name (names repeat
// across streets).
func (s *Store) CommunitiesByName(ctx context.Context, name string) ([]Community, error) {
	return collect(ctx, s.pool, "SELECT code, street, name, created_at FROM communities WHERE name = $1 ORDER BY code",
		[]any{name}, func(r pgx.Row) (Community, error) {
			var c Community
			err := r.Scan(&c.Code, &c.Street, &c.Name, &c.CreatedAt)
			return c, err
		})
}

// StreetCode returns the code of the street with this code or name ("" if none).
func (s *Store) StreetCode(ctx context.Context, v string) (string, error) {
	var code string
	err := s.pool.QueryRow(ctx, "SELECT code FROM streets WHERE code = $1 OR name = $1 ORDER BY code = $1 DESC LIMIT 1", v).Scan(&code)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return code, err
}

// EnterpriseIDByKey finds an enterprise of a street by credit code or name.
func (s *Store) EnterpriseIDByKey(ctx context.Context, street, key string) (uuid.UUID, error) {
	var id uuid.UUID
	err := s.pool.QueryRow(ctx, `SELECT id FROM enterprises WHERE street = $1 AND (credit_code = $2 OR name = $2)
		ORDER BY credit_code = $2 DESC, id LIMIT 1`, street, key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, nil
	}
	return id, err
}

// ImportWorkerBatch writes one batch of a worker import in one transaction:
// it locks the workers the batch names (by ID-number hash), lets decide plan
// the outcome of each row, writes the inserts and updates with their events
// and the row outcomes, and moves the job's progress to lastRow. A failure
// leaves the whole batch unwritten; the job resumes from its last batch.
func (s *Store) ImportWorkerBatch(ctx context.Context, jobID uuid.UUID, lastRow int, lease time.Duration, cells rowCells, hashes [][]byte,
	decide func(existing map[string]Worker) (importPlan, error)) error {
	var evs []pending
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		existing := map[string]Worker{}
		if len(hashes) > 0 {
			rows, err := tx.Query(ctx, "SELECT "+workerCols+", id_number_hash FROM workers WHERE id_number_hash = ANY($1) FOR UPDATE", hashes)
			if err != nil {
				return err
			}
			for rows.Next() {
				var w Worker
				var h []byte
				err := rows.Scan(workerDest(&w, &h)...)
				if err != nil {
					rows.Close()
					return err
				}
				existing[string(h)] = w
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		plan, err := decide(existing)
		if err != nil {
			return err
		}

		b := &pgx.Batch{}
		for _, p := range plan.inserts {
			b.Queue(insertWorkerSQL+" ON CONFLICT (id_number_hash) DO NOTHING", insertWorkerArgs(p.worker, p.idHash, p.mobileHash)...)
		}
		for _, p := range plan.updates {
			b.Queue(updateWorkerSQL, updateWorkerArgs(p.worker, p.mobileHash)...)
		}
		br := tx.SendBatch(ctx, b)
		for _, p := range plan.inserts {
			tag, err := br.Exec()
			if err != nil {
				br.Close()
				return err
			}
			if tag.RowsAffected() == 0 {
				// Registered by someone else since we looked: leave it to them.
				plan.rows[p.row] = ImportRow{Row: plan.rows[p.row].Row, Status: RowRejected, Errors: []CellError{{
					Field: "id_number", Code: "conflict", Column: "身份证号",
					ReasonZH: "导入期间该身份证号已被他人登记，请重新导入以更新",
					ReasonEN: "this ID number was registered by someone else during the import; import again to update"}}}
				continue
			}
			evs = append(evs, p.event)
		}
		for _, p := range plan.updates {
			if _, err := br.Exec(); err != nil {
				br.Close()
				return err
			}
			evs = append(evs, p.event)
		}
		if err := br.Close(); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, evs...); err != nil {
			return err
		}
		return writeImportProgress(ctx, tx, jobID, lastRow, lease, plan.rows, cells)
	})
	if err != nil {
		return fmt.Errorf("import batch up to row %d: %w", lastRow, err)
	}
	s.metrics.committed(evs)
	return nil
}

// rowCells is the sealed cells of a rejected row as written, to keep with
// its outcome (nil: none).
type rowCells func(row int) ([]byte, error)

// writeImportProgress stores the batch's row outcomes (COPY), with the
// sealed cells of the rejected ones, moves the job's counters and lease
// forward and clears its count of failed attempts.
func writeImportProgress(ctx context.Context, tx pgx.Tx, jobID uuid.UUID, lastRow int, lease time.Duration, rows []ImportRow, cells rowCells) error {
	counts := map[string]int{}
	data := make([][]any, len(rows))
	for i, r := range rows {
		counts[r.Status]++
		errs := []byte("[]")
		if len(r.Errors) > 0 {
			var err error
			if errs, err = json.Marshal(r.Errors); err != nil {
				return err
			}
		}
		changed := r.Changed
		if changed == nil {
			changed = []string{}
		}
		var sealed []byte
		if r.Status == RowRejected && cells != nil {
			var err error
			if sealed, err = cells(r.Row); err != nil {
				return err
			}
		}
		data[i] = []any{jobID, r.Row, r.Status, r.EntityID, changed, string(errs), sealed}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"import_rows"}, []string{"job_id", "row", "status", "entity_id", "changed", "errors", "cells_sealed"},
		pgx.CopyFromRows(data)); err != nil {
		return fmt.Errorf("row outcomes: %w", err)
	}
	tag, err := tx.Exec(ctx, `UPDATE import_jobs SET last_row = $2, processed = processed + $3, created = created + $4,
			updated = updated + $5, unchanged = unchanged + $6, rejected = rejected + $7,
			lease_until = now() + make_interval(secs => $8), failures = 0
		WHERE id = $1 AND status = 'running'`, jobID, lastRow, len(rows), counts[RowCreated], counts[RowUpdated], counts[RowUnchanged],
		counts[RowRejected], lease.Seconds())
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return errImportEnded
	}
	return nil
}

// errImportEnded stops a batch of a job that ended (failed) meanwhile.
var errImportEnded = errors.New("the import job is no longer running")

// ImportEnterpriseBatch writes one batch of an enterprise import in one
// transaction; see ImportWorkerBatch. Enterprise files are small (tens of
// rows), so rows are looked up one by one.
func (s *Store) ImportEnterpriseBatch(ctx context.Context, jobID uuid.UUID, lastRow int, lease time.Duration, cells rowCells,
	plan func(find enterpriseFinder) ([]ImportRow, []enterpriseWrite, error)) error {
	var evs []pending
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		find := func(ctx context.Context, creditCode, community, name string) (Enterprise, bool, error) {
			q := "SELECT " + enterpriseCols + " FROM enterprises WHERE credit_code = $1 FOR UPDATE"
			args := []any{creditCode}
			if creditCode == "" {
				q = "SELECT " + enterpriseCols + " FROM enterprises WHERE community = $1 AND name = $2 ORDER BY id LIMIT 1 FOR UPDATE"
				args = []any{community, name}
			}
			e, err := scanEnterprise(tx.QueryRow(ctx, q, args...))
			if errors.Is(err, pgx.ErrNoRows) {
				return Enterprise{}, false, nil
			}
			return e, err == nil, err
		}
		rows, writes, err := plan(find)
		if err != nil {
			return err
		}
		for _, w := range writes {
			e := w.e
			var err error
			if w.insert {
				_, err = tx.Exec(ctx, insertEnterpriseSQL, insertEnterpriseArgs(e)...)
			} else {
				_, err = tx.Exec(ctx, updateEnterpriseSQL, updateEnterpriseArgs(e)...)
			}
			if err != nil {
				return fmt.Errorf("row %d: %w", rows[w.row].Row, err)
			}
			evs = append(evs, w.event)
		}
		if err := s.emit(ctx, tx, evs...); err != nil {
			return err
		}
		return writeImportProgress(ctx, tx, jobID, lastRow, lease, rows, cells)
	})
	if err != nil {
		evs = nil
		return fmt.Errorf("import batch up to row %d: %w", lastRow, err)
	}
	s.metrics.committed(evs)
	return nil
}
