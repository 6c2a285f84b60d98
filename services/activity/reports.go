package activity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // image.DecodeConfig for report photos
	_ "image/png"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// ReportCategories are what a rider may report, each with the time the
// community has to resolve it.
var ReportCategories = []string{"safety_hazard", "fire_risk", "traffic", "environment", "dispute", "facility", "suggestion", "other"}

var reportSLA = map[string]time.Duration{
	"fire_risk":     4 * time.Hour,
	"safety_hazard": 24 * time.Hour,
	"traffic":       24 * time.Hour,
	"dispute":       48 * time.Hour,
	"environment":   72 * time.Hour,
	"facility":      72 * time.Hour,
	"suggestion":    7 * 24 * time.Hour,
	"other":         72 * time.Hour,
}

// The statuses of a report.
const (
	ReportSubmitted  = "submitted"
	ReportAccepted   = "accepted"
	ReportDispatched = "dispatched"
	ReportResolved   = "resolved"
	ReportClosed     = "closed"
	ReportRejected   = "rejected"
	// ReportMerged is a duplicate merged into another report of the same
	// problem (MergedInto), which is followed instead. It is final.
	ReportMerged = "merged"
)

// ReportStatuses lists every status a report can have.
var ReportStatuses = []string{ReportSubmitted, ReportAccepted, ReportDispatched, ReportResolved, ReportClosed, ReportRejected, ReportMerged}

// reportOpen are the statuses of a report the community still has to act
// on. The overdue filter in store_reports.go spells them out in SQL.
var reportOpen = []string{ReportSubmitted, ReportAccepted, ReportDispatched}

// reportNext is the report's lifecycle: the statuses each may move to.
var reportNext = map[string][]string{
	ReportSubmitted:  {ReportAccepted, ReportRejected},
	ReportAccepted:   {ReportDispatched},
	ReportDispatched: {ReportResolved},
	ReportResolved:   {ReportClosed},
}

// Photo limits.
const (
	MaxReportPhotos = 3
	MaxPhotoBytes   = 5 << 20
)

// duplicateRadius and duplicateWindow define a likely duplicate.
const (
	duplicateRadius = 50.0 // metres
	duplicateWindow = 24 * time.Hour
)

// Report is a rider's report of a problem for the community to handle.
type Report struct {
	ID          uuid.UUID          `json:"id"`
	ReporterID  uuid.UUID          `json:"worker_id"`
	Street      string             `json:"street"`
	Community   string             `json:"community,omitempty"`
	Category    string             `json:"category"`
	Description string             `json:"description"`
	Lat         float64            `json:"lat"`
	Lng         float64            `json:"lng"`
	Address     string             `json:"address,omitempty"`
	Status      string             `json:"status"`
	Valid       *bool              `json:"valid,omitempty"`
	DueAt       time.Time          `json:"due_at"`
	CreatedAt   time.Time          `json:"created_at"`
	UpdatedAt   time.Time          `json:"updated_at"`
	Photos      []ReportPhoto      `json:"photos"`
	Transitions []ReportTransition `json:"transitions,omitempty"`
	// MergedInto is the report a merged one was merged into.
	MergedInto *uuid.UUID `json:"merged_into,omitempty"`
	// PrimaryStatus is, in a merged report's details, the status of the
	// report its problem is now followed under: MergedInto's, or if that
	// was merged in turn, the last one's along the way.
	PrimaryStatus string `json:"primary_status,omitempty"`
}

// ReportPhoto describes one stored photo of a report.
type ReportPhoto struct {
	N           int    `json:"n"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Path        string `json:"-"`
}

// ReportTransition is one step of a report's lifecycle.
type ReportTransition struct {
	From         string    `json:"from"`
	To           string    `json:"to"`
	ActorSubject string    `json:"actor_subject"`
	ActorRole    string    `json:"actor_role"`
	Note         string    `json:"note,omitempty"`
	Unit         string    `json:"unit,omitempty"`
	Person       string    `json:"person,omitempty"`
	At           time.Time `json:"at"`
}

// managedBy reports whether staff p handles the report's community.
func (r Report) managedBy(p auth.Principal) bool {
	return p.IsStaff() && p.SeesCommunity(r.Street, r.Community)
}

// ReportInput is what a worker reports.
type ReportInput struct {
	Category    string  `json:"category"`
	Description string  `json:"description"`
	Lat         float64 `json:"lat"`
	Lng         float64 `json:"lng"`
	Address     string  `json:"address"`
	Community   string  `json:"community"` // optional: the reporter's by default
}

// PhotoUpload is one uploaded photo, read whole (at most MaxPhotoBytes).
type PhotoUpload struct {
	Data     []byte
	TooLarge bool
}

// ReportSubmission is a report with its photos.
type ReportSubmission struct {
	In     ReportInput
	Photos []PhotoUpload
}

// Duplicate is an open report of the same category close by, recently.
// The rider who reported is told of it, but not its id: it is another
// rider's report, which they may not open.
type Duplicate struct {
	ID        uuid.UUID `json:"-"`
	Status    string    `json:"status"`
	Distance  float64   `json:"distance_m"`
	CreatedAt time.Time `json:"created_at"`
}

// SubmittedReport is the answer to a submission.
type SubmittedReport struct {
	Report
	LikelyDuplicates []Duplicate `json:"likely_duplicates"`
}

var (
	errReportNotFound = fault.NotFoundf("report not found")
	errPhotoNotFound  = fault.NotFoundf("photo not found")
)

// sniffPhoto returns the content type of a JPEG or PNG photo, or "".
func sniffPhoto(b []byte) string {
	ct := http.DetectContentType(b)
	if ct != "image/jpeg" && ct != "image/png" {
		return ""
	}
	_, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || "image/"+format != ct {
		return ""
	}
	return ct
}

// SubmitReport stores a worker's report and its photos. Everything is
// checked before anything is written; if storing the report fails, the
// photos already written are removed.
func (s *Service) SubmitReport(ctx context.Context, p auth.Principal, sub ReportSubmission) (SubmittedReport, error) {
	w, err := s.callerWorker(ctx, p)
	if err != nil {
		return SubmittedReport{}, err
	}
	var c validate.Collector
	in := sub.In
	at := s.now()
	r := Report{ID: newID(), ReporterID: w.ID, Street: w.Street, Status: ReportSubmitted, CreatedAt: at, UpdatedAt: at,
		Photos: []ReportPhoto{}}
	r.Category = c.OneOf("category", in.Category, ReportCategories)
	r.Description = c.Text("description", in.Description, 1, 500)
	if c.LatLng("lat", "lng", in.Lat, in.Lng) {
		r.Lat, r.Lng = in.Lat, in.Lng
	}
	r.Address = c.Text("address", in.Address, 0, 200)
	r.Community = c.Text("community", in.Community, 0, 64)
	c.Check(r.Community == "" || event.ValidToken(r.Community), "community", validate.CodeInvalidFormat,
		"must be a community code (letters, digits, - or _)")
	if r.Community == "" {
		r.Community = w.Community
	} else if r.Community != w.Community && !c.Has("community") {
		// Another community of the rider's street: one that exists, or
		// the report would sit in a queue no one looks at.
		if err := s.knownCommunity(ctx, &c, "community", w.Street, r.Community); err != nil {
			return SubmittedReport{}, err
		}
	}
	if len(sub.Photos) > MaxReportPhotos {
		c.Add("photo", validate.CodeOutOfRange, fmt.Sprintf("at most %d photos", MaxReportPhotos))
	} else {
		for i, ph := range sub.Photos {
			if ph.TooLarge || len(ph.Data) > MaxPhotoBytes {
				c.Add("photo", validate.CodeTooLong, fmt.Sprintf("photo %d is larger than 5 MB", i+1))
				continue
			}
			ct := sniffPhoto(ph.Data)
			if !c.Check(ct != "", "photo", validate.CodeInvalidFormat, fmt.Sprintf("photo %d must be a JPEG or PNG image", i+1)) {
				continue
			}
			ext := map[string]string{"image/jpeg": ".jpg", "image/png": ".png"}[ct]
			r.Photos = append(r.Photos, ReportPhoto{N: i + 1, ContentType: ct, Size: int64(len(ph.Data)),
				Path: fmt.Sprintf("%s-%d%s", r.ID, i+1, ext)})
		}
	}
	if err := c.Err(); err != nil {
		return SubmittedReport{}, err
	}
	r.DueAt = at.Add(reportSLA[r.Category])
	if len(r.Photos) > 0 && s.photos == nil {
		return SubmittedReport{}, errors.New("submit report: no photo store configured")
	}
	var written []string
	undo := func() {
		for _, k := range written {
			_ = s.photos.Delete(context.WithoutCancel(ctx), k)
		}
	}
	for i, ph := range r.Photos {
		if err := s.photos.Put(ctx, ph.Path, bytes.NewReader(sub.Photos[i].Data)); err != nil {
			undo()
			return SubmittedReport{}, fmt.Errorf("submit report: %w", err)
		}
		written = append(written, ph.Path)
	}
	dups, err := s.store.SubmitReport(ctx, r, at.Add(-duplicateWindow))
	if err != nil {
		undo()
		return SubmittedReport{}, fmt.Errorf("submit report: %w", err)
	}
	return SubmittedReport{Report: r, LikelyDuplicates: dups}, nil
}

func (r Report) submittedEvent() pending {
	return pending{event.ReportSubmitted, r.Street, r.ID.String(), event.ReportSubmittedData{
		ReportID: r.ID.String(), Street: r.Street, Community: r.Community, Category: r.Category,
		Lat: r.Lat, Lng: r.Lng, DueAt: r.DueAt, WorkerID: r.ReporterID.String(),
	}}
}

// TransitionInput moves a report on.
type TransitionInput struct {
	To     string `json:"to"`
	Note   string `json:"note"`
	Unit   string `json:"unit"`
	Person string `json:"person"`
	Valid  *bool  `json:"valid"`
}

// TransitionReport moves a report on in its lifecycle, for staff whose
// scope covers the report's community.
func (s *Service) TransitionReport(ctx context.Context, p auth.Principal, id uuid.UUID, in TransitionInput) (Report, error) {
	if !p.IsStaff() {
		return Report{}, fault.Forbiddenf("only staff may handle reports")
	}
	var c validate.Collector
	to := c.OneOf("to", in.To, ReportStatuses)
	if to == ReportMerged {
		// A merge needs the report it joins; only the merge endpoint takes one.
		c.Add("to", validate.CodeUnknownValue, "a report is merged with POST /v1/reports/{id}/merge, naming the report it joins")
	}
	t := ReportTransition{To: to, ActorSubject: p.Subject, ActorRole: string(p.Role), At: s.now()}
	minNote := 0
	if to == ReportRejected {
		minNote = 1
	}
	t.Note = c.Text("note", in.Note, minNote, 500)
	need := 0
	if to == ReportDispatched {
		need = 1
	}
	t.Unit = c.Text("unit", in.Unit, need, 100)
	t.Person = c.Text("person", in.Person, need, 100)
	if to == ReportClosed {
		c.Check(in.Valid != nil, "valid", validate.CodeRequired, "closing a report needs valid: true or false")
	} else {
		c.Check(in.Valid == nil, "valid", validate.CodeOutOfRange, "is given only when closing a report")
	}
	if err := c.Err(); err != nil {
		return Report{}, err
	}
	r, err := s.store.TransitionReport(ctx, id, t, func(r *Report) (*pending, error) {
		if !r.managedBy(p) {
			return nil, errReportNotFound
		}
		allowed := reportNext[r.Status]
		if !slices.Contains(allowed, to) {
			msg := fmt.Sprintf("a %s report cannot become %s", r.Status, to)
			if len(allowed) == 0 {
				msg += "; it is final"
			} else {
				msg += "; it can become " + strings.Join(allowed, " or ")
			}
			if allowed == nil {
				allowed = []string{}
			}
			return nil, illegalTransition(msg, r.Status, allowed)
		}
		from := r.Status
		r.Status, r.UpdatedAt = to, t.At
		if to == ReportClosed {
			r.Valid = in.Valid
		}
		return &pending{event.ReportStatusChanged, r.Street, r.ID.String(), event.ReportStatusChangedData{
			ReportID: r.ID.String(), Street: r.Street, Community: r.Community, Category: r.Category,
			From: from, To: to, Valid: r.Valid, WorkerID: r.ReporterID.String(),
		}}, nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("report %s: %w", id, err)
	}
	return r, nil
}

// GetReport returns a report with its history to its reporter or to staff
// whose scope covers it.
func (s *Service) GetReport(ctx context.Context, p auth.Principal, id uuid.UUID) (Report, error) {
	r, err := s.visibleReport(ctx, p, id)
	if err != nil {
		return Report{}, err
	}
	return s.store.ReportDetails(ctx, r)
}

// visibleReport returns the report if p may see it: its reporter, or staff
// whose scope covers it. Anyone else is told it does not exist.
func (s *Service) visibleReport(ctx context.Context, p auth.Principal, id uuid.UUID) (Report, error) {
	r, found, err := s.store.Report(ctx, id)
	if err != nil {
		return Report{}, err
	}
	if !found {
		return Report{}, errReportNotFound
	}
	if p.IsStaff() {
		if !r.managedBy(p) {
			return Report{}, errReportNotFound
		}
		return r, nil
	}
	w, err := s.callerWorker(ctx, p)
	if err != nil {
		return Report{}, err
	}
	if r.ReporterID != w.ID {
		return Report{}, errReportNotFound
	}
	return r, nil
}

// PhotoFile is a stored photo opened for reading. Whoever receives one
// closes Body.
type PhotoFile struct {
	ContentType string
	Size        int64
	Body        io.ReadCloser
}

// ReportPhotoFile opens photo n (1 to MaxReportPhotos) of a report for
// those who may see the report.
func (s *Service) ReportPhotoFile(ctx context.Context, p auth.Principal, id uuid.UUID, n int) (PhotoFile, error) {
	if _, err := s.visibleReport(ctx, p, id); err != nil {
		return PhotoFile{}, err
	}
	if n < 1 || n > MaxReportPhotos {
		return PhotoFile{}, errPhotoNotFound
	}
	ph, found, err := s.store.ReportPhoto(ctx, id, n)
	if err != nil {
		return PhotoFile{}, err
	}
	if !found {
		return PhotoFile{}, errPhotoNotFound
	}
	if s.photos == nil {
		return PhotoFile{}, errors.New("report photo: no photo store configured")
	}
	// A row without its file is our fault, not the caller's: a plain error
	// answers 500 and is logged with the request id.
	body, err := s.photos.Open(ctx, ph.Path)
	if err != nil {
		return PhotoFile{}, fmt.Errorf("photo %d of report %s: %w", n, id, err)
	}
	return PhotoFile{ContentType: ph.ContentType, Size: ph.Size, Body: body}, nil
}

// MergeInput names the report a duplicate is merged into.
type MergeInput struct {
	Into string `json:"into"`
	Note string `json:"note"`
}

// MergeReport merges an open report into another of the same category that
// staff keep for the same problem (the primary): the report becomes merged,
// a final status, and points at the primary, whose progress its reporter
// can then follow. Both reports must be in the caller's scope.
func (s *Service) MergeReport(ctx context.Context, p auth.Principal, id uuid.UUID, in MergeInput) (Report, error) {
	if !p.IsStaff() {
		return Report{}, fault.Forbiddenf("only staff may merge reports")
	}
	var c validate.Collector
	into, err := uuid.Parse(in.Into)
	if in.Into == "" {
		c.Add("into", validate.CodeRequired, "name the report to merge into")
	} else {
		c.Check(err == nil, "into", validate.CodeInvalidFormat, "must be the id of a report")
	}
	t := ReportTransition{To: ReportMerged, ActorSubject: p.Subject, ActorRole: string(p.Role), At: s.now()}
	t.Note = c.Text("note", in.Note, 0, 500)
	if err := c.Err(); err != nil {
		return Report{}, err
	}
	r, err := s.store.MergeReport(ctx, id, into, t, func(dup, primary *Report) (*pending, error) {
		// Scope first, so nothing about a report out of scope leaks.
		if dup == nil || !dup.managedBy(p) {
			return nil, errReportNotFound
		}
		if primary == nil || !primary.managedBy(p) {
			// Naming into tells the caller which id failed; unknown and out
			// of scope still read the same.
			return nil, (&fault.Error{Kind: fault.NotFound, Message: "report not found"}).With("into", into.String())
		}
		if dup.ID == primary.ID {
			return nil, fault.ConflictReason("merge_into_itself", "a report cannot be merged into itself")
		}
		switch {
		case dup.Status == ReportMerged:
			return nil, fault.ConflictReason("report_merged", "the report is already merged into %s; a merged report is final", *dup.MergedInto)
		case !slices.Contains(reportOpen, dup.Status):
			return nil, fault.ConflictReason("report_not_open", "a %s report cannot be merged; only an open report (submitted, accepted or dispatched) can", dup.Status)
		case primary.Status == ReportRejected:
			return nil, fault.ConflictReason("merge_target_rejected", "cannot merge into report %s: it was rejected", primary.ID)
		case primary.Status == ReportMerged:
			return nil, &fault.Error{Kind: fault.Conflict, Message: fmt.Sprintf(
				"cannot merge into report %s: it is itself merged into %s; merge into that one", primary.ID, *primary.MergedInto),
				Details: map[string]any{"reason": "report_merged", "merged_into": primary.MergedInto.String()}}
		case dup.Category != primary.Category:
			return nil, fault.ConflictReason("merge_category_differs", "cannot merge a %s report into a %s report: merged reports must have the same category", dup.Category, primary.Category)
		}
		from := dup.Status
		dup.Status, dup.MergedInto, dup.UpdatedAt = ReportMerged, &primary.ID, t.At
		return &pending{event.ReportStatusChanged, dup.Street, dup.ID.String(), event.ReportStatusChangedData{
			ReportID: dup.ID.String(), Street: dup.Street, Community: dup.Community, Category: dup.Category,
			From: from, To: ReportMerged, WorkerID: dup.ReporterID.String(), MergedInto: primary.ID.String(),
		}}, nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("report %s: %w", id, err)
	}
	return r, nil
}

// The orders a list of reports can be in.
const (
	ReportSortID    = "id"     // the default: by id, oldest first (the cursor is an id)
	ReportSortDueAt = "due_at" // soonest due first, ties by id (the cursor is due_at and id)
)

// ReportQuery filters and pages a list of reports (keyset on id, or with
// Sort due_at on due_at and id).
type ReportQuery struct {
	Street     string
	Community  string
	Status     string
	Category   string
	Open       bool   // only reports still to act on (submitted, accepted, dispatched)
	Sort       string // ReportSortID ("" too) or ReportSortDueAt
	Limit      int
	After      string
	ReporterID string // set for a worker's own reports
	Overdue    bool   // open reports past their due time
	Now        time.Time
	afterDue   time.Time // the due_at half of a due_at cursor
	afterID    uuid.UUID
}

// dueCursor is the next-page cursor of a list sorted by due_at: the last
// row's due time (RFC 3339, UTC, to the microsecond) and id.
func dueCursor(r Report) string {
	return r.DueAt.UTC().Format(time.RFC3339Nano) + "_" + r.ID.String()
}

// ListReports lists reports: staff their scope's queue, workers their own.
func (s *Service) ListReports(ctx context.Context, p auth.Principal, q ReportQuery) (Page[Report], error) {
	var c validate.Collector
	c.Check(q.Limit >= 1 && q.Limit <= 500, "limit", validate.CodeOutOfRange, "must be between 1 and 500")
	if q.Sort == "" {
		q.Sort = ReportSortID
	}
	c.OneOf("sort", q.Sort, []string{ReportSortID, ReportSortDueAt})
	if q.After != "" {
		ok := false
		if q.Sort == ReportSortDueAt {
			q.afterDue, q.afterID, ok = parseTimeCursor(q.After)
		} else {
			_, err := uuid.Parse(q.After)
			ok = err == nil
		}
		c.Check(ok, "after", validate.CodeInvalidFormat, "must be the next cursor of a previous page (of the same sort)")
	}
	if q.Status != "" {
		c.OneOf("status", q.Status, ReportStatuses)
		c.Check(!q.Open || slices.Contains(reportOpen, q.Status), "status", validate.CodeUnknownValue,
			"open=true lists submitted, accepted and dispatched reports only")
	}
	if q.Category != "" {
		c.OneOf("category", q.Category, ReportCategories)
	}
	if err := c.Err(); err != nil {
		return Page[Report]{}, err
	}
	if p.IsStaff() {
		if err := s.narrowToScope(ctx, p, &q.Street, &q.Community); err != nil {
			return Page[Report]{}, err
		}
		q.ReporterID = ""
	} else {
		if q.Overdue {
			return Page[Report]{}, fault.Forbiddenf("only staff may list overdue reports")
		}
		w, err := s.callerWorker(ctx, p)
		if err != nil {
			return Page[Report]{}, err
		}
		if err := ownFilter(w, q.Street, q.Community); err != nil {
			return Page[Report]{}, err
		}
		q.Street, q.Community, q.ReporterID = "", "", w.ID.String()
	}
	q.Now = s.now()
	return s.store.ListReports(ctx, q)
}
