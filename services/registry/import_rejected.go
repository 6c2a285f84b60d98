package registry

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

// The columns a file of rejected rows adds after the upload's own, for the
// clerk; the import ignores columns it does not know, so the corrected
// file imports again as it is.
var rejectedReasonHeaders = []string{"原表行号", "错误列", "错误原因"}

// RejectedFile is an import's rejected rows as a file (CSV or XLSX): the
// upload's header row and each rejected row's cells as written, with the
// reason columns appended. Checked and recorded; the rows are read as it
// is written.
type RejectedFile struct {
	Job    ImportJob
	Format string // csv | xlsx
	Header []string
	At     time.Time

	svc *Service
}

// RejectedRowsFile checks a request for the file of an import's rejected
// rows and records the download before anything is sent: the rows hold
// mobiles and ID numbers in full, as uploaded. Whoever may read the import
// (GET /v1/imports/{id}) may download it.
func (s *Service) RejectedRowsFile(ctx context.Context, p auth.Principal, id uuid.UUID, format, requestID string) (*RejectedFile, error) {
	job, err := s.GetImport(ctx, p, id)
	if err != nil {
		return nil, err
	}
	f := &RejectedFile{Job: job, Format: format, Header: headerOf(job), At: s.now(), svc: s}
	err = s.store.RecordRowDownload(ctx, rowDownload{id: newID(), job: id, at: f.At, actor: p, format: format, requestID: requestID})
	return f, wrap("record rejected rows download", err)
}

// headerOf is the upload's header row as written; for an import from
// before it was kept, the header of each column the import read, at its
// place.
func headerOf(job ImportJob) []string {
	if job.header != nil {
		return job.header
	}
	width := 0
	for _, ref := range job.columns {
		width = max(width, ref.Index+1)
	}
	out := make([]string, min(width, maxKeptColumns))
	for _, ref := range job.columns {
		if ref.Index < len(out) {
			out[ref.Index] = ref.Header
		}
	}
	return out
}

// each hands fn every rejected row as a record of the file: the cells as
// written (padded or cut to the header's width; empty for a row rejected
// before cells were kept), then its row number, the columns in error and
// the reasons.
func (f *RejectedFile) each(ctx context.Context, fn func(rec []string) error) error {
	width := len(f.Header)
	rec := make([]string, width+len(rejectedReasonHeaders))
	return f.svc.store.EachRejectedRow(ctx, f.Job.ID, func(r *rejectedRow) error {
		cells, err := f.svc.openRowCells(f.Job.ID, r.Row, r.sealed)
		if err != nil {
			return err
		}
		clear(rec)
		copy(rec[:width], cells)
		var cols, reasons []string
		for _, e := range r.Errors {
			if e.Column != "" && !slices.Contains(cols, e.Column) {
				cols = append(cols, e.Column)
			}
			reasons = append(reasons, e.ReasonZH)
		}
		rec[width] = strconv.Itoa(r.Row)
		rec[width+1] = strings.Join(cols, "、")
		rec[width+2] = strings.Join(reasons, "；")
		return fn(rec)
	})
}

// encodeRejectedFile streams the file; see encodeRoster for what a failure
// before and after the first byte answers.
func encodeRejectedFile(ctx context.Context, w http.ResponseWriter, f *RejectedFile) error {
	body := &lazyBody{w: w, header: func(h http.Header) { rejectedHeaders(h, f) }}
	header := append(append([]string{}, f.Header...), rejectedReasonHeaders...)
	var err error
	if f.Format == FormatCSV {
		err = writeRejectedCSV(ctx, body, f, header)
	} else {
		err = writeRejectedXLSX(ctx, body, f, header)
	}
	if err != nil && body.started {
		panic(http.ErrAbortHandler)
	}
	if err == nil && !body.started {
		_, err = body.Write(nil) // headers even for an empty body
	}
	return err
}

func rejectedHeaders(h http.Header, f *RejectedFile) {
	types := map[string]string{
		FormatCSV:  "text/csv; charset=utf-8",
		FormatXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	}
	h.Set("Content-Type", types[f.Format])
	h.Set("Cache-Control", "no-store")
	stem := strings.TrimSuffix(f.Job.FileName, path.Ext(f.Job.FileName))
	ascii := fmt.Sprintf("import-%s-rejected.%s", f.Job.ID, f.Format)
	name := fmt.Sprintf("%s-未导入的行.%s", stem, f.Format)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, percentEncode(name)))
}

// writeRejectedCSV writes UTF-8 with a BOM and CRLF, for Excel on Chinese
// Windows, cells guarded like a roster's (excelText; the import trims the
// tab it puts before a long number).
func writeRejectedCSV(ctx context.Context, body *lazyBody, f *RejectedFile, header []string) error {
	bw := bufio.NewWriterSize(body, 64<<10)
	if _, err := bw.WriteString("\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	if err := cw.Write(header); err != nil {
		return err
	}
	out := make([]string, len(header))
	err := f.each(ctx, func(rec []string) error {
		for i, c := range rec {
			out[i] = excelText(c)
		}
		return cw.Write(out)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// writeRejectedXLSX writes one sheet of text cells (an ID number stays
// text), kept in memory: the cells hold personal data in full, which a
// temporary file would hold in clear.
func writeRejectedXLSX(ctx context.Context, body *lazyBody, f *RejectedFile, header []string) error {
	x := excelize.NewFile(excelize.Options{TmpDir: os.DevNull})
	defer x.Close()
	const sheet = "未导入的行"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	vals := make([]any, len(header))
	for i, h := range header {
		vals[i] = h
	}
	if err := sw.SetRow("A1", vals); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	n := 1
	err = f.each(ctx, func(rec []string) error {
		n++
		for i, c := range rec {
			vals[i] = c
		}
		cell, err := excelize.CoordinatesToCellName(1, n)
		if err != nil {
			return err
		}
		return sw.SetRow(cell, vals)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if _, err := x.WriteTo(body); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}
