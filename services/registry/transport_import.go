package registry

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/route"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// mountImports mounts spreadsheet imports:
//
//	GET  /v1/imports               the imports the caller may read, newest first (?kind=&status=&with_rejections=&since=&limit=&after=)
//	POST /v1/imports/{kind}        upload (kind: workers | enterprises) → 202 and the job
//	GET  /v1/imports/{id}          the job: status, progress, counts
//	GET  /v1/imports/{id}/rows     per-row outcomes (?status=rejected&after=&limit=); with
//	                               status=rejected&format=csv|xlsx the rejected rows as a file to correct
func mountImports(rt route.Router, svc *Service) {
	rt.Handle("GET /v1/imports", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.ListImports(ctx, p, req.(ImportQuery))
	}), decodeListImports)
	rt.Handle("POST /v1/imports/{kind}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		u := req.(upload)
		job, err := svc.StartImport(ctx, p, u.kind, u.fileName, u.data)
		if err != nil {
			return nil, err
		}
		return accepted{job}, nil
	}), decodeUpload)
	rt.Handle("GET /v1/imports/{id}", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.GetImport(ctx, p, req.(uuid.UUID))
	}), importID)
	rt.HandleWith("GET /v1/imports/{id}/rows", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		r := req.(importRowsRequest)
		if r.format != "json" {
			return svc.RejectedRowsFile(ctx, p, r.id, r.format, httpx.RequestID(ctx))
		}
		rows, err := svc.ImportRows(ctx, p, r.id, r.q)
		if err != nil {
			return nil, err
		}
		out := map[string]any{"items": rows}
		if len(rows) == r.q.Limit {
			out["next"] = rows[len(rows)-1].Row
		}
		return out, nil
	}), decodeImportRows, encodeImportRows)
}

// encodeImportRows answers the outcomes as JSON, or the rejected rows as a file.
func encodeImportRows(ctx context.Context, w http.ResponseWriter, resp any) error {
	if f, ok := resp.(*RejectedFile); ok {
		return encodeRejectedFile(ctx, w, f)
	}
	return httpx.EncodeJSON(ctx, w, resp)
}

// accepted answers 202 with the job and where to follow it.
type accepted struct{ job ImportJob }

func (a accepted) StatusCode() int              { return http.StatusAccepted }
func (a accepted) MarshalJSON() ([]byte, error) { return json.Marshal(a.job) }
func (a accepted) Headers() http.Header {
	return http.Header{"Location": {"/v1/imports/" + a.job.ID.String()}}
}

type upload struct {
	kind, fileName string
	data           []byte
}

// decodeUpload reads the spreadsheet from a multipart form (field "file",
// what a browser sends) or from the raw body (what curl --data-binary and
// the CLI send, with ?filename=).
func decodeUpload(ctx context.Context, r *http.Request) (any, error) {
	q := httpx.QueryFrom(ctx, r)
	u := upload{kind: r.PathValue("kind"), fileName: q.Text("filename")}
	if err := q.Err(); err != nil {
		return nil, err
	}
	body := http.MaxBytesReader(nil, r.Body, MaxImportBytes)
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	if mt == "multipart/form-data" {
		u.data, u.fileName, err = filePart(multipart.NewReader(body, params["boundary"]))
	} else {
		u.data, err = io.ReadAll(body)
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, &httpx.BodyError{Status: http.StatusRequestEntityTooLarge, Field: validate.FieldError{Field: "file", Code: "too_large",
			Message: "文件不能超过 32 MB，请拆分后分批导入 / the file must not exceed 32 MB; split it and import in parts"}}
	case err != nil:
		return nil, &httpx.BodyError{Status: http.StatusBadRequest, Field: validate.FieldError{Field: "file", Code: "malformed",
			Message: "无法读取上传的文件 / the upload could not be read: " + err.Error()}}
	}
	return u, nil
}

func filePart(mr *multipart.Reader) ([]byte, string, error) {
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, "", errors.New(`no form field "file"`)
		}
		if err != nil {
			return nil, "", err
		}
		if part.FormName() == "file" {
			data, err := io.ReadAll(part)
			return data, part.FileName(), err
		}
	}
}

type importRowsRequest struct {
	id     uuid.UUID
	q      ImportRowQuery
	format string // json | csv | xlsx
}

func decodeImportRows(ctx context.Context, r *http.Request) (any, error) {
	id, err := importID(ctx, r)
	if err != nil {
		return nil, err
	}
	q := httpx.QueryFrom(ctx, r)
	out := importRowsRequest{id: id.(uuid.UUID), q: ImportRowQuery{Status: q.Code("status"), After: q.Int("after", 0), Limit: q.Int("limit", 100)},
		format: q.Code("format")}
	if out.format == "" {
		out.format = "json"
	}
	if err := q.Err(); err != nil {
		return nil, err
	}
	// The file is every rejected row: it has no other status and no pages.
	var c validate.Collector
	if c.OneOf("format", out.format, []string{"json", FormatCSV, FormatXLSX}) != "" && out.format != "json" {
		c.Check(out.q.Status == RowRejected, "status", validate.CodeInvalidFormat, "must be rejected when format is csv or xlsx: the file holds the rejected rows")
		c.Check(r.URL.Query().Get("after") == "" && r.URL.Query().Get("limit") == "", "format", validate.CodeInvalidFormat, "a file is not paged: leave out after and limit")
	}
	return out, c.Err()
}

func decodeListImports(ctx context.Context, r *http.Request) (any, error) {
	q := httpx.QueryFrom(ctx, r)
	out := ImportQuery{Kind: q.Code("kind"), Status: q.Code("status"), WithRejections: optionalBool(q, "with_rejections"),
		Since: q.Text("since"), ListQuery: ListQuery{Limit: q.Int("limit", 50), After: q.Cursor("after")}}
	return out, q.Err()
}
