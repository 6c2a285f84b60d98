package activity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/route"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// mountReports mounts riders' reports.
func mountReports(rt route.Router, svc *Service) {
	rt.Handle("POST /v1/reports", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return route.Created(svc.SubmitReport(ctx, p, req.(ReportSubmission)))
	}), decodeReportSubmission)
	rt.Handle("GET /v1/reports", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListReports(ctx, p, req.(ReportQuery))
	}), decodeReportQuery(false))
	rt.Handle("GET /v1/reports/overdue", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListReports(ctx, p, req.(ReportQuery))
	}), decodeReportQuery(true))
	rt.Handle("GET /v1/reports/nearby", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.NearbyReports(ctx, p, req.(NearbyQuery))
	}), decodeNearbyReports)
	rt.Handle("GET /v1/reports/{id}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetReport(ctx, p, req.(uuid.UUID))
	}), reportID)
	rt.Handle("POST /v1/reports/{id}/transitions", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[TransitionInput])
		return svc.TransitionReport(ctx, p, r.ID, r.In)
	}), route.PathIDAndBody[TransitionInput]("id", errReportNotFound))
	rt.Handle("POST /v1/reports/{id}/merge", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(route.WithID[MergeInput])
		return svc.MergeReport(ctx, p, r.ID, r.In)
	}), route.PathIDAndBody[MergeInput]("id", errReportNotFound))
	// A photo is not JSON, so this route has its own encoder.
	rt.HandleWith("GET /v1/reports/{id}/photos/{n}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		ref := req.(photoRef)
		return svc.ReportPhotoFile(ctx, p, ref.ID, ref.N)
	}), decodePhotoRef, encodePhoto)
}

type photoRef struct {
	ID uuid.UUID
	N  int
}

// decodePhotoRef reads the report id and photo number. A number that is
// not one stays 0, which the service answers as "photo not found" after
// checking that the caller may see the report.
func decodePhotoRef(ctx context.Context, r *http.Request) (any, error) {
	id, err := reportID(ctx, r)
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		n = 0
	}
	return photoRef{ID: id.(uuid.UUID), N: n}, nil
}

// encodePhoto streams a photo and closes it. Headers go out with the first
// byte, so a file that cannot be read at all still answers problem+json
// (and is logged); one that fails or comes up short after that aborts the
// response, so the client sees a broken download, not a cut-off photo.
func encodePhoto(_ context.Context, w http.ResponseWriter, resp any) error {
	f := resp.(PhotoFile)
	defer f.Body.Close()
	out := &photoBody{w: w, f: f}
	n, err := io.Copy(out, f.Body)
	if err == nil && n != f.Size {
		err = fmt.Errorf("photo: %d bytes on disk, %d recorded", n, f.Size)
	}
	if err != nil && out.started {
		panic(http.ErrAbortHandler)
	}
	return err
}

// photoBody sends the status and headers with the first byte of the photo.
type photoBody struct {
	w       http.ResponseWriter
	f       PhotoFile
	started bool
}

func (b *photoBody) Write(p []byte) (int, error) {
	if !b.started {
		b.started = true
		h := b.w.Header()
		h.Set("Content-Type", b.f.ContentType)
		h.Set("Content-Length", strconv.FormatInt(b.f.Size, 10))
		// Photos never change under their report, but are personal data:
		// browsers may keep them, shared caches may not.
		h.Set("Cache-Control", "private, max-age=86400")
		h.Set("X-Content-Type-Options", "nosniff")
		b.w.WriteHeader(http.StatusOK)
	}
	return b.w.Write(p)
}

// reportID decodes a report's path {id}.
var reportID = route.PathID("id", errReportNotFound)

func decodeReportQuery(overdue bool) func(context.Context, *http.Request) (any, error) {
	return func(ctx context.Context, r *http.Request) (any, error) {
		q := httpx.QueryFrom(ctx, r)
		out := ReportQuery{Street: q.Code("street"), Community: q.Code("community"), Status: q.Code("status"),
			Category: q.Code("category"), Open: q.Bool("open"), Sort: q.Code("sort"),
			After: q.Cursor("after"), Limit: q.Int("limit", 50), Overdue: overdue}
		return out, q.Err()
	}
}

func decodeNearbyReports(ctx context.Context, r *http.Request) (any, error) {
	q := httpx.QueryFrom(ctx, r)
	var n NearbyQuery
	n.Lat, n.LatGiven = q.Float("lat", 0)
	n.Lng, n.LngGiven = q.Float("lng", 0)
	n.Category = q.Code("category")
	return n, q.Err()
}

func reportBodyErr(status int, field, code, msg string) error {
	return &httpx.BodyError{Status: status, Field: validate.FieldError{Field: field, Code: code, Message: msg}}
}

// maxReportBody caps a multipart report: the photos allowed plus one more
// (so that too many is answered as such) and the JSON.
const maxReportBody = (MaxReportPhotos+1)*(MaxPhotoBytes+1) + 1<<20

// decodeReportSubmission reads a report: multipart/form-data with a JSON
// field "report" and up to MaxReportPhotos files "photo", or plain JSON
// without photos. Photos are read whole, each at most MaxPhotoBytes; what
// they are is checked by the service.
func decodeReportSubmission(_ context.Context, r *http.Request) (any, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		var in ReportInput
		if err := httpx.DecodeJSON(nil, r, &in, 0); err != nil {
			return nil, err
		}
		return ReportSubmission{In: in}, nil
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxReportBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, reportBodyErr(http.StatusBadRequest, "body", "malformed_multipart", "the body must be multipart/form-data")
	}
	var sub ReportSubmission
	seenReport := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, multipartErr(err)
		}
		switch part.FormName() {
		case "report":
			if seenReport {
				return nil, reportBodyErr(http.StatusBadRequest, "report", "duplicate", "give one report field")
			}
			seenReport = true
			raw, err := io.ReadAll(io.LimitReader(part, httpx.MaxBody+1))
			if err != nil {
				return nil, multipartErr(err)
			}
			if len(raw) > httpx.MaxBody {
				return nil, reportBodyErr(http.StatusRequestEntityTooLarge, "report", "too_large", "the report is too large")
			}
			// The same checks as any JSON body.
			if err := httpx.DecodeJSONPart(raw, &sub.In, "report"); err != nil {
				return nil, err
			}
		case "photo":
			if len(sub.Photos) > MaxReportPhotos {
				// Already one too many: the service answers that.
				_, _ = io.Copy(io.Discard, part)
				continue
			}
			data, err := io.ReadAll(io.LimitReader(part, MaxPhotoBytes+1))
			if err != nil {
				return nil, multipartErr(err)
			}
			if len(data) > MaxPhotoBytes {
				return nil, reportBodyErr(http.StatusRequestEntityTooLarge, "photo", validate.CodeTooLong, "a photo may be at most 5 MB")
			}
			sub.Photos = append(sub.Photos, PhotoUpload{Data: data})
		default:
			return nil, reportBodyErr(http.StatusBadRequest, part.FormName(), "unknown_field", "only the fields report and photo are accepted")
		}
	}
	if !seenReport {
		return nil, reportBodyErr(http.StatusBadRequest, "report", validate.CodeRequired, "the multipart body needs a report field")
	}
	return sub, nil
}

func multipartErr(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return reportBodyErr(http.StatusRequestEntityTooLarge, "photo", validate.CodeTooLong, "the request is too large: at most 3 photos of 5 MB")
	}
	return reportBodyErr(http.StatusBadRequest, "body", "malformed_multipart", "the multipart body could not be read")
}
