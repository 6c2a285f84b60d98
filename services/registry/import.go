package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/text/width"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Import kinds and row outcomes.
const (
	ImportWorkers     = "workers"
	ImportEnterprises = "enterprises"

	RowCreated   = "created"
	RowUpdated   = "updated"
	RowUnchanged = "unchanged"
	RowRejected  = "rejected"
)

// ImportJob is an import as the clerk follows it: its progress and counts.
type ImportJob struct {
	ID         uuid.UUID  `json:"id"`
	Kind       string     `json:"kind"`
	FileName   string     `json:"file_name"`
	Format     string     `json:"format"`
	Status     string     `json:"status"` // queued | running | done | failed
	TotalRows  int        `json:"total_rows"`
	Processed  int        `json:"processed"`
	Created    int        `json:"created"`
	Updated    int        `json:"updated"`
	Unchanged  int        `json:"unchanged"`
	Rejected   int        `json:"rejected"`
	ErrorZH    string     `json:"error_zh,omitempty"`
	ErrorEN    string     `json:"error_en,omitempty"`
	CreatedBy  string     `json:"created_by"` // the token subject of who uploaded it
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`

	actor     auth.Principal
	headerRow int
	columns   map[string]columnRef
	header    []string // the header row as written (bounded); nil for imports before it was kept
	lastRow   int
	lease     time.Duration // the runner's; each committed batch renews it
}

// ImportRow is the outcome of one spreadsheet row.
type ImportRow struct {
	Row      int         `json:"row"` // as Excel numbers it
	Status   string      `json:"status"`
	EntityID *uuid.UUID  `json:"id,omitempty"`
	Changed  []string    `json:"changed,omitempty"`
	Errors   []CellError `json:"errors,omitempty"`
}

// CellError says what is wrong in one cell, in Chinese for the clerk and in
// English for everyone else.
type CellError struct {
	Column   string `json:"column"` // the header as written in the file
	Field    string `json:"field"`
	Code     string `json:"code"`
	ReasonZH string `json:"reason_zh"`
	ReasonEN string `json:"reason_en"`
}

// column is a field a spreadsheet may carry, with the headers clerks write
// for it (Chinese) and English aliases, compared after normalising.
type column struct {
	field    string
	label    string // Chinese name used in messages
	required bool
	headers  []string
}

// columnRef is where a field was found in the file.
type columnRef struct {
	Index  int    `json:"index"`
	Header string `json:"header"`
}

var importWorkerColumns = []column{
	{"name", "姓名", true, []string{"姓名", "name"}},
	{"mobile", "手机号", true, []string{"手机号", "手机号码", "手机", "联系电话", "联系方式", "电话", "mobile", "phone"}},
	{"id_number", "身份证号", true, []string{"身份证号", "身份证号码", "公民身份号码", "身份证", "idnumber", "id_number", "idno"}},
	{"occupation", "职业", true, []string{"职业", "从业类型", "工种", "occupation"}},
	{"community", "所属社区", true, []string{"所属社区", "社区", "community"}},
	{"street", "所属街道", false, []string{"所属街道", "街道", "street"}},
	{"enterprise", "所属企业", false, []string{"所属企业", "企业", "企业名称", "单位", "enterprise", "company"}},
	{"platform", "从业平台", false, []string{"从业平台", "平台", "platform"}},
	{"political_status", "政治面貌", false, []string{"政治面貌", "political_status", "politicalstatus"}},
	{"mobile_party_member", "是否流动党员", false, []string{"是否流动党员", "流动党员", "mobile_party_member"}},
	{"home_party_org", "党组织关系所在地", false, []string{"党组织关系所在地", "组织关系所在党组织", "党组织关系", "home_party_org"}},
}

var importEnterpriseColumns = []column{
	{"name", "企业名称", true, []string{"企业名称", "名称", "单位名称", "name"}},
	{"kind", "类型", true, []string{"类型", "企业类型", "业态", "kind", "type"}},
	{"credit_code", "统一社会信用代码", false, []string{"统一社会信用代码", "信用代码", "credit_code", "creditcode"}},
	{"community", "所属社区", true, []string{"所属社区", "社区", "community"}},
	{"street", "所属街道", false, []string{"所属街道", "街道", "street"}},
	{"address", "地址", false, []string{"地址", "经营地址", "address"}},
	{"contact.name", "联系人", false, []string{"联系人", "负责人", "contact", "contact_name"}},
	{"contact.mobile", "联系电话", false, []string{"联系电话", "联系人电话", "手机号", "电话", "contact_mobile", "phone", "mobile"}},
	{"has_party_org", "是否建立党组织", false, []string{"是否建立党组织", "建立党组织", "党组织", "has_party_org"}},
}

func columnsOf(kind string) []column {
	if kind == ImportEnterprises {
		return importEnterpriseColumns
	}
	return importWorkerColumns
}

var parenthetical = regexp.MustCompile(`[(（][^)）]*[)）]`)

// normaliseHeader makes "手机号码（必填）*", " Mobile " and "手机号码" comparable.
func normaliseHeader(h string) string {
	h = width.Narrow.String(strings.TrimSpace(h))
	h = parenthetical.ReplaceAllString(h, "")
	h = strings.NewReplacer("*", "", " ", "", "-", "_", "\u00a0", "").Replace(h)
	return strings.ToLower(h)
}

// matchHeader maps the fields of kind to the columns of a header row.
func matchHeader(kind string, row []string) map[string]columnRef {
	found := map[string]columnRef{}
	for i, cell := range row {
		h := normaliseHeader(cell)
		if h == "" {
			continue
		}
		for _, col := range columnsOf(kind) {
			if _, taken := found[col.field]; taken {
				continue
			}
			for _, alias := range col.headers {
				if h == normaliseHeader(alias) {
					found[col.field] = columnRef{Index: i, Header: strings.TrimSpace(cell)}
					break
				}
			}
			if _, ok := found[col.field]; ok {
				break
			}
		}
	}
	return found
}

func missingRequired(kind string, found map[string]columnRef) []column {
	var out []column
	for _, col := range columnsOf(kind) {
		if _, ok := found[col.field]; col.required && !ok {
			out = append(out, col)
		}
	}
	return out
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// StartImport checks an uploaded spreadsheet as a whole — format, size,
// header, row count — and queues it as a job; rows are read and written in
// the background (ImportRunner). Only staff import; each row is then checked
// against the importer's scope like an API call would be.
func (s *Service) StartImport(ctx context.Context, p auth.Principal, kind, fileName string, data []byte) (ImportJob, error) {
	if !p.IsStaff() {
		return ImportJob{}, fault.Forbiddenf("only staff may import spreadsheets")
	}
	if kind != ImportWorkers && kind != ImportEnterprises {
		return ImportJob{}, fault.NotFoundf("no such import kind %q", kind)
	}
	format, err := sniffFormat(data)
	if err != nil {
		return ImportJob{}, fileProblem(err)
	}
	headerRow, columns, header, total, err := survey(kind, data, format)
	if err != nil {
		return ImportJob{}, fileProblem(err)
	}
	if fileName == "" {
		fileName = kind + "." + format
	}
	job := ImportJob{
		ID: newID(), Kind: kind, FileName: fileName, Format: format, Status: "queued", TotalRows: total,
		CreatedBy: p.Subject, CreatedAt: s.now(), actor: p, headerRow: headerRow, columns: columns,
		header: boundCells(header),
	}
	// The sheet is kept until the job ends, so that any instance can run
	// or resume it; it holds everyone's mobile and ID number, so it is
	// stored sealed like they are (the WAL, backups and replicas keep what
	// a table held long after the row is gone).
	sealed, err := s.sealUpload(job.ID, data)
	if err != nil {
		return ImportJob{}, wrap("start import", err)
	}
	if err := s.store.CreateImportJob(ctx, job, sealed); err != nil {
		return ImportJob{}, wrap("start import", err)
	}
	select {
	case s.importWake <- struct{}{}:
	default:
	}
	return job, nil
}

// uploadAAD binds a sealed upload to its job, so that one job's sealed
// sheet copied into another job's row fails to open instead of importing
// someone else's census.
func uploadAAD(id uuid.UUID) string { return "import_jobs.upload:" + id.String() }

// sealUpload encrypts the sheet of job id with the service's PII key.
func (s *Service) sealUpload(id uuid.UUID, data []byte) ([]byte, error) {
	sealed, err := s.box.Seal(string(data), uploadAAD(id))
	if err != nil {
		return nil, fmt.Errorf("seal upload: %w", err)
	}
	return sealed, nil
}

// openUpload decrypts the sheet of job id. It fails if the key changed
// since the upload, or the stored bytes are not job id's.
func (s *Service) openUpload(id uuid.UUID, sealed []byte) ([]byte, error) {
	data, err := s.box.Open(sealed, uploadAAD(id))
	if err != nil {
		return nil, badFile("无法解密已上传的文件（服务密钥可能已更换），请重新导入",
			"the stored upload cannot be decrypted (the service's PII key may have changed); import the file again")
	}
	return []byte(data), nil
}

// survey reads the file once: it finds the header row among the first ten
// (clerks' sheets often start with a title), checks the required columns and
// counts the data rows, so a broken or wrong file is refused at upload.
func survey(kind string, data []byte, format string) (headerRow int, columns map[string]columnRef, header []string, total int, err error) {
	sh, err := openSheet(data, format)
	if err != nil {
		return 0, nil, nil, 0, err
	}
	defer sh.Close()
	var best map[string]columnRef
	n := 0
	for sh.Next() {
		n++
		row, err := sh.Row()
		if err != nil {
			return 0, nil, nil, 0, err
		}
		if headerRow == 0 {
			if n > 10 {
				break
			}
			found := matchHeader(kind, row)
			if len(found) > len(best) {
				best = found
			}
			if len(found) >= 2 && len(missingRequired(kind, found)) == 0 {
				headerRow, columns, header = n, found, row
			}
			continue
		}
		if !blank(row) {
			total++
			if total > maxImportRows {
				return 0, nil, nil, 0, badFile("数据超过 %d 行，请拆分后分批导入", "more than %d data rows; split the file and import it in parts", maxImportRows)
			}
		}
	}
	if headerRow == 0 {
		if n == 0 {
			return 0, nil, nil, 0, badFile("文件为空", "the file is empty")
		}
		var zh, en []string
		for _, col := range missingRequired(kind, best) {
			zh = append(zh, col.label)
			en = append(en, col.field)
		}
		return 0, nil, nil, 0, &fileError{zh: "缺少必填列：" + strings.Join(zh, "、"), en: "missing required columns: " + strings.Join(en, ", ")}
	}
	if total == 0 {
		return 0, nil, nil, 0, badFile("表头下没有数据行", "there are no data rows under the header")
	}
	return headerRow, columns, header, total, nil
}

// fileProblem turns a file error into a field error on "file", with the
// Chinese reason first: the clerk reads it.
func fileProblem(err error) error {
	if fe, ok := err.(*fileError); ok {
		return validate.Errors{{Field: "file", Code: "bad_file", Message: fe.zh + " / " + fe.en}}
	}
	return err
}

var errImportNotFound = fault.NotFoundf("import not found")

// GetImport returns a job to the staff member who started it, or to staff
// whose scope covers theirs.
func (s *Service) GetImport(ctx context.Context, p auth.Principal, id uuid.UUID) (ImportJob, error) {
	job, found, err := s.store.ImportJob(ctx, id)
	if err != nil {
		return ImportJob{}, wrap("get import", err)
	}
	if !found || !seesImport(p, job) {
		return ImportJob{}, errImportNotFound
	}
	return job, nil
}

func seesImport(p auth.Principal, job ImportJob) bool {
	a := job.actor
	switch {
	case p.Role == auth.DistrictAdmin:
		return true
	case p.Subject == a.Subject && p.Role == a.Role:
		return true
	case p.Role == auth.StreetAdmin:
		return a.Street == p.Street && a.Role != auth.DistrictAdmin
	}
	return false
}

// ImportStatuses are the states of an import, in the order it goes through them.
var ImportStatuses = []string{"queued", "running", "done", "failed"}

// ImportQuery filters and pages the list of imports.
type ImportQuery struct {
	ListQuery             // Street and Community unused: imports are scoped by who started them
	Kind           string // workers | enterprises; "" for both
	Status         string // one of ImportStatuses; "" for all
	WithRejections *bool  // only imports with (true) or without (false) a rejected row
	Since          string // RFC 3339, or YYYY-MM-DD from midnight in Shanghai

	since time.Time   // Since read
	scope importScope // the imports the caller may see, from importScopeOf
}

// importScope is the set of imports a caller sees, as seesImport decides
// for one: all of them, or those started by this caller (subject and role)
// and, when street is set, by staff of that street other than district
// admins.
type importScope struct {
	all           bool
	street        string
	subject, role string
}

// importScopeOf is seesImport for a list: the imports p may read.
func importScopeOf(p auth.Principal) importScope {
	sc := importScope{subject: p.Subject, role: string(p.Role)}
	switch p.Role {
	case auth.DistrictAdmin:
		sc.all = true
	case auth.StreetAdmin:
		sc.street = p.Street
	}
	return sc
}

// ListImports lists the imports the caller may read (as GET
// /v1/imports/{id} decides), newest first, with how many match on all
// pages; staff only.
func (s *Service) ListImports(ctx context.Context, p auth.Principal, q ImportQuery) (Page[ImportJob], error) {
	if !p.IsStaff() {
		return Page[ImportJob]{}, fault.Forbiddenf("only staff may list imports")
	}
	var c validate.Collector
	checkPage(&c, &q.ListQuery)
	if q.Kind != "" {
		c.OneOf("kind", q.Kind, []string{ImportWorkers, ImportEnterprises})
	}
	if q.Status != "" {
		c.OneOf("status", q.Status, ImportStatuses)
	}
	if q.Since != "" {
		q.since = parseSince(&c, "since", q.Since)
	}
	if err := c.Err(); err != nil {
		return Page[ImportJob]{}, err
	}
	q.scope = importScopeOf(p)
	page, err := s.store.ListImports(ctx, q)
	return page, wrap("list imports", err)
}

// parseSince reads a lower bound of time: an RFC 3339 time, or a date
// (YYYY-MM-DD) meaning its midnight in Asia/Shanghai. A "+" of an offset
// that reached us unencoded in a query string reads as a space, and is
// taken as the "+" it was.
func parseSince(c *validate.Collector, field, s string) time.Time {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse(time.RFC3339, strings.Replace(s, " ", "+", 1)); err == nil && strings.Contains(s, "T") {
		return t.UTC()
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, Shanghai); err == nil {
		return d.UTC()
	}
	c.Add(field, validate.CodeInvalidFormat, "must be an RFC 3339 time such as 2026-11-23T09:00:00+08:00, or a date such as 2026-11-23 (from midnight in Asia/Shanghai)")
	return time.Time{}
}

// ImportRowQuery pages through a job's row outcomes.
type ImportRowQuery struct {
	Status string // created | updated | unchanged | rejected; "" for all
	After  int    // the last row number of the previous page
	Limit  int
}

// ImportRows lists the outcome of each row, e.g. the rejected ones to fix.
func (s *Service) ImportRows(ctx context.Context, p auth.Principal, id uuid.UUID, q ImportRowQuery) ([]ImportRow, error) {
	if _, err := s.GetImport(ctx, p, id); err != nil {
		return nil, err
	}
	var c validate.Collector
	if q.Status != "" {
		c.OneOf("status", q.Status, []string{RowCreated, RowUpdated, RowUnchanged, RowRejected})
	}
	c.Check(q.Limit >= 1 && q.Limit <= 1000, "limit", validate.CodeOutOfRange, "must be between 1 and 1000")
	c.Check(q.After >= 0, "after", validate.CodeOutOfRange, "must not be negative")
	if err := c.Err(); err != nil {
		return nil, err
	}
	return s.store.ImportRows(ctx, id, q)
}

// ImportRunner works through queued imports until its context is done.
// Every instance of the service runs one: a job is leased while it runs, and
// one whose instance died is picked up again after its lease and resumed
// after the last committed row. A batch that cannot be written (a database
// error) is tried again after the lease; the failures since the job's last
// committed batch are counted in the job's row, so all instances share the
// count, and the MaxAttempts-th in a row fails the job with a reason for the
// clerk. Rows committed before stay. Zero fields take their defaults.
type ImportRunner struct {
	Service *Service
	Log     *slog.Logger
	// Lease is how long a job stays with an instance without progress, and
	// how long a failed batch waits before it is tried again (default 1 min).
	Lease time.Duration
	// Poll is how often an idle runner looks for queued jobs (default 1 s);
	// an upload on the same instance wakes it at once.
	Poll time.Duration
	// MaxAttempts is how many failed attempts in a row at the same batch
	// fail the job (default 5).
	MaxAttempts int
}

// Defaults of ImportRunner.
const (
	DefaultImportLease       = time.Minute
	DefaultImportPoll        = time.Second
	DefaultImportMaxAttempts = 5
)

// Run works through queued imports until ctx is done.
func (r ImportRunner) Run(ctx context.Context) {
	s, log := r.Service, r.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	lease, poll, maxAttempts := r.Lease, r.Poll, r.MaxAttempts
	if lease <= 0 {
		lease = DefaultImportLease
	}
	if poll <= 0 {
		poll = DefaultImportPoll
	}
	if maxAttempts <= 0 {
		maxAttempts = DefaultImportMaxAttempts
	}
	for ctx.Err() == nil {
		job, sealed, found, err := s.store.ClaimImportJob(ctx, lease, s.sealUpload)
		if err != nil && ctx.Err() == nil {
			log.Error("claim import job", "err", err)
		}
		if found {
			job.lease = lease
			log.Info("import started", "import_id", job.ID, "kind", job.Kind, "rows", job.TotalRows, "after_row", job.lastRow)
			if err := s.runSealedImport(ctx, job, sealed); err != nil && ctx.Err() == nil {
				s.importAttemptFailed(ctx, log, job, err, maxAttempts)
			}
			continue
		}
		select {
		case <-ctx.Done():
		case <-s.importWake:
		case <-time.After(poll):
		}
	}
}

// importAttemptFailed counts a failed run of a job in the database and, at
// the maxAttempts-th failure since the job last made progress, fails the job
// with a reason the clerk reads in GET /v1/imports/{id}.
func (s *Service) importAttemptFailed(ctx context.Context, log *slog.Logger, job ImportJob, cause error, maxAttempts int) {
	var be *batchError
	if !errors.As(cause, &be) {
		be = &batchError{after: job.lastRow, err: cause}
	}
	zh, en := importGaveUp(be, maxAttempts)
	failures, failed, err := s.store.ImportAttemptFailed(ctx, job.ID, be.after, maxAttempts, job.lease, zh, en)
	if err != nil {
		log.Error("import failed", "import_id", job.ID, "err", cause, "count_err", err)
		return
	}
	switch {
	case failed:
		log.Error("import failed", "import_id", job.ID, "err", cause, "failures", failures, "gave_up", true)
		return
	case failures == 0:
		// The job moved on or ended meanwhile (another instance took it over).
		log.Error("import failed", "import_id", job.ID, "err", cause, "counted", false)
		return
	}
	log.Error("import failed", "import_id", job.ID, "err", cause, "failures", failures, "retry_in", job.lease.String())
}

// importGaveUp is the reason a job failed after maxAttempts failed attempts
// at the same place, in Chinese for the clerk and in English.
func importGaveUp(be *batchError, maxAttempts int) (zh, en string) {
	const (
		keptZH = "此前的行已导入并保留。请联系系统管理员排查，之后重新导入同一文件即可（已导入的行不会重复导入）。"
		keptEN = "The rows before them are imported and kept. Ask the system administrator to look into it, then import the same file again (rows already imported are not imported twice)."
	)
	if be.first > 0 {
		return fmt.Sprintf("第 %d–%d 行这一批连续 %d 次未能写入数据库，导入已停止。", be.first, be.last, maxAttempts) + keptZH,
			fmt.Sprintf("Rows %d–%d could not be written to the database in %d attempts in a row, so the import stopped. ", be.first, be.last, maxAttempts) +
				keptEN + " Last error: " + be.err.Error()
	}
	return fmt.Sprintf("导入在第 %d 行之后连续 %d 次未能继续，已停止。", be.after, maxAttempts) + keptZH,
		fmt.Sprintf("The import could not go on after row %d in %d attempts in a row, so it stopped. ", be.after, maxAttempts) +
			keptEN + " Last error: " + be.err.Error()
}

// batchError is a failed run of a job: the batch of rows first..last (0 when
// the failure was not a batch's) could not be written while the job's
// progress stood at row after.
type batchError struct {
	after, first, last int
	err                error
}

func (e *batchError) Error() string {
	if e.first > 0 {
		return fmt.Sprintf("rows %d-%d: %v", e.first, e.last, e.err)
	}
	return e.err.Error()
}

func (e *batchError) Unwrap() error { return e.err }

// importBatch is how many rows commit together, with their events.
const importBatch = 500

// rawRow is a data row as read from the file.
type rawRow struct {
	num   int
	cells map[string]string // field -> trimmed cell text
	raw   []string          // the row as written, kept if it is rejected
}

// Bounds on what is kept of a rejected row (and of the header row): the
// first maxKeptColumns cells, each cut at maxKeptCellRunes characters —
// longer than any field the import takes, so a cut cell was rejected or
// ignored anyway.
const (
	maxKeptColumns   = 64
	maxKeptCellRunes = 500
)

// boundCells is row within the bounds on what is kept, without trailing
// empty cells.
func boundCells(row []string) []string {
	row = row[:min(len(row), maxKeptColumns)]
	for len(row) > 0 && strings.TrimSpace(row[len(row)-1]) == "" {
		row = row[:len(row)-1]
	}
	out := make([]string, len(row))
	for i, c := range row {
		if r := []rune(c); len(r) > maxKeptCellRunes {
			c = string(r[:maxKeptCellRunes])
		}
		out[i] = c
	}
	return out
}

// rowCellsAAD binds a rejected row's sealed cells to its job and row.
func rowCellsAAD(job uuid.UUID, row int) string {
	return fmt.Sprintf("import_rows.cells:%s:%d", job, row)
}

// rejectedCells seals, on demand, the cells of a batch's rows as written,
// for the rows that are rejected; the store calls it for those only.
func (s *Service) rejectedCells(jobID uuid.UUID, batch []rawRow) func(row int) ([]byte, error) {
	byNum := make(map[int][]string, len(batch))
	for _, r := range batch {
		byNum[r.num] = r.raw
	}
	return func(row int) ([]byte, error) {
		raw, ok := byNum[row]
		if !ok {
			return nil, nil
		}
		js, err := json.Marshal(boundCells(raw))
		if err != nil {
			return nil, err
		}
		sealed, err := s.box.Seal(string(js), rowCellsAAD(jobID, row))
		if err != nil {
			return nil, fmt.Errorf("seal row %d: %w", row, err)
		}
		return sealed, nil
	}
}

// openRowCells opens what rejectedCells sealed; nil for a row without
// cells (imported before they were kept).
func (s *Service) openRowCells(jobID uuid.UUID, row int, sealed []byte) ([]string, error) {
	if sealed == nil {
		return nil, nil
	}
	js, err := s.box.Open(sealed, rowCellsAAD(jobID, row))
	if err != nil {
		return nil, fmt.Errorf("open cells of row %d: %w", row, err)
	}
	var cells []string
	if err := json.Unmarshal([]byte(js), &cells); err != nil {
		return nil, fmt.Errorf("cells of row %d: %w", row, err)
	}
	return cells, nil
}

// runSealedImport opens a claimed job's upload and runs the job; an upload
// that cannot be opened fails the job with a reason for the clerk.
func (s *Service) runSealedImport(ctx context.Context, job ImportJob, sealed []byte) error {
	data, err := s.openUpload(job.ID, sealed)
	if err != nil {
		if ferr := s.store.FailImport(ctx, job.ID, err); ferr != nil {
			return &batchError{after: job.lastRow, err: ferr}
		}
		return nil
	}
	return s.runImport(ctx, job, data)
}

func (s *Service) runImport(ctx context.Context, job ImportJob, data []byte) error {
	// done is the last row committed, by earlier runs or this one; a failure
	// is counted against the batch after it.
	done := job.lastRow
	fail := func(err error) error {
		if err == nil {
			return nil
		}
		return &batchError{after: done, err: err}
	}
	sh, err := openSheet(data, job.Format)
	if err != nil {
		return fail(s.store.FailImport(ctx, job.ID, err))
	}
	defer sh.Close()
	apply := s.applyWorkerRows
	if job.Kind == ImportEnterprises {
		apply = s.applyEnterpriseRows
	}
	look := newCachedLookup(s.store, job.actor)
	var batch []rawRow
	n := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		first, last := batch[0].num, batch[len(batch)-1].num
		err := apply(ctx, job, look, batch)
		batch = batch[:0]
		if err != nil {
			return &batchError{after: done, first: first, last: last, err: err}
		}
		done = last
		return nil
	}
	for sh.Next() {
		n++
		row, err := sh.Row()
		if err != nil {
			if ferr := flush(); ferr != nil {
				return ferr
			}
			return fail(s.store.FailImport(ctx, job.ID, err))
		}
		if n <= job.headerRow || n <= job.lastRow || blank(row) {
			continue
		}
		cells := make(map[string]string, len(job.columns))
		for field, ref := range job.columns {
			if ref.Index < len(row) {
				cells[field] = strings.TrimSpace(row[ref.Index])
			}
		}
		batch = append(batch, rawRow{num: n, cells: cells, raw: row})
		if len(batch) == importBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return fail(s.store.FinishImport(ctx, job.ID))
}

// cellError builds the error of one cell from a field error.
func cellError(job ImportJob, kind string, fe validate.FieldError) CellError {
	col := columnFor(kind, fe.Field)
	header := col.label
	if ref, ok := job.columns[col.field]; ok {
		header = ref.Header
	}
	return CellError{Column: header, Field: fe.Field, Code: fe.Code, ReasonZH: reasonZH(col, fe), ReasonEN: fe.Message}
}

func columnFor(kind, field string) column {
	// Input field names map onto spreadsheet columns; enterprise_id is read
	// from the "enterprise" column.
	if field == "enterprise_id" {
		field = "enterprise"
	}
	for _, col := range columnsOf(kind) {
		if col.field == field {
			return col
		}
	}
	return column{field: field, label: field}
}

// reasonZH says in Chinese what is wrong with a cell.
func reasonZH(col column, fe validate.FieldError) string {
	l := col.label
	switch {
	case fe.Code == validate.CodeRequired:
		return l + "不能为空"
	case col.field == "mobile" || col.field == "contact.mobile":
		return l + "应为 1 开头的 11 位手机号码"
	case col.field == "id_number" && fe.Code == validate.CodeInvalidCheckCharacter:
		return "身份证号校验位不正确，请核对是否录入有误"
	case col.field == "id_number" && fe.Code == validate.CodeInvalidDate:
		return "身份证号中的出生日期无效"
	case col.field == "id_number":
		return "身份证号应为 18 位（最后一位可为 X）"
	case col.field == "credit_code" && fe.Code == validate.CodeInvalidCheckCharacter:
		return "统一社会信用代码校验位不正确，请核对是否录入有误"
	case col.field == "credit_code":
		return "统一社会信用代码应为 18 位数字或大写字母"
	case col.field == "community" && fe.Code == validate.CodeUnknownValue:
		return "社区不存在或不在您的管辖范围内（可填写社区名称或代码）"
	case col.field == "enterprise" && fe.Code == validate.CodeUnknownValue:
		return "所属企业未登记或不在本街道（可填写企业名称或统一社会信用代码）"
	case fe.Code == validate.CodeUnknownValue:
		return l + "的取值无法识别"
	case fe.Code == validate.CodeTooLong:
		return l + "过长"
	case fe.Code == "conflict" && col.field == "id_number":
		return "这个身份证号已在其他街道登记，请联系对方街道办理转移"
	case fe.Code == "conflict" && col.field == "community":
		return "已登记在其他社区，变更社区请使用转移功能"
	case fe.Code == "conflict" && col.field == "political_status":
		return "政治面貌的变更须按发展流程逐步登记"
	default:
		return l + "格式不正确"
	}
}
