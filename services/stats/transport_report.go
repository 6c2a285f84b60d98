package stats

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/route"
)

// mountReport mounts GET /v1/stats/report: an area's monthly report.
// Parameters: month (YYYY-MM, required), scope and code (as the overview's),
// format=xlsx (the default)|csv|json.
func mountReport(rt route.Router, svc *Service) {
	rt.HandleWith("GET /v1/stats/report", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.Report(ctx, p, req.(ReportQuery))
	}), func(ctx context.Context, r *http.Request) (any, error) {
		q := httpx.QueryFrom(ctx, r)
		in := ReportQuery{Month: q.Text("month"), Scope: q.Code("scope"), Code: q.Code("code"), Format: q.Code("format")}
		return in, q.Err()
	}, encodeReport)
}

// The report's column headers.
const (
	colLabel  = "指标"
	colMonth  = "本月"
	colTotal  = "截至月末"
	colStreet = "街道"
)

// encodeReport answers the report in its format. The file is made in
// memory before a byte is sent, so a failure still answers problem+json.
func encodeReport(ctx context.Context, w http.ResponseWriter, resp any) error {
	r := resp.(*Report)
	if r.Format == "json" {
		w.Header().Set("Cache-Control", "no-store")
		return httpx.EncodeJSON(ctx, w, r)
	}
	var body bytes.Buffer
	var err error
	contentType := "text/csv; charset=utf-8"
	if r.Format == "csv" {
		err = writeReportCSV(&body, r)
	} else {
		contentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		err = writeReportXLSX(&body, r)
	}
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(body.Len()))
	// RFC 6266: filename* for browsers, an ASCII filename for the rest.
	ascii := fmt.Sprintf("stats-report-%s.%s", r.Month, r.Format)
	name := r.Title() + "." + r.Format
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, percentEncode(name)))
	w.WriteHeader(http.StatusOK)
	_, err = body.WriteTo(w)
	return err
}

// percentEncode encodes s for an RFC 5987 ext-value: every byte outside
// attr-char as %XX.
func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// ---- CSV for Excel on Chinese Windows: UTF-8 with a BOM, CRLF ----

// writeReportCSV writes the asked area's rows.
func writeReportCSV(buf *bytes.Buffer, r *Report) error {
	// Without the byte order mark Excel reads the file as GBK and garbles it.
	buf.WriteString("\uFEFF")
	cw := csv.NewWriter(buf)
	cw.UseCRLF = true
	if err := cw.Write([]string{colLabel, colMonth, colTotal}); err != nil {
		return err
	}
	for _, row := range r.Rows {
		if err := cw.Write([]string{row.Label, csvNumber(row.Month, row.Kind), csvNumber(row.Total, row.Kind)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvNumber is a cell's number as text: empty for none, a share as a
// percentage (which Excel reads back as a number).
func csvNumber(v *float64, kind string) string {
	switch {
	case v == nil:
		return ""
	case kind == shareKind:
		return strconv.FormatFloat(*v*100, 'f', 2, 64) + "%"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// ---- XLSX: the asked area's sheet, then one per area below ----

// writeReportXLSX writes the workbook: for a district a sheet 全区 with a
// row per street and a sheet per street; for a street its own sheet and
// one per community; for a community one sheet.
func writeReportXLSX(buf *bytes.Buffer, r *Report) error {
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	x, err := newReportBook(f)
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	first := x.names.name(areaName(r.Area))
	if err := f.SetSheetName("Sheet1", first); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if r.Area.Scope == "district" {
		err = x.streetsSheet(first, r.Streets)
	} else {
		err = x.rowsSheet(first, r.Rows)
	}
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	for _, part := range r.Parts {
		name := x.names.name(areaName(part.Area))
		if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		if err := x.rowsSheet(name, part.Rows); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
	}
	f.SetActiveSheet(0)
	if _, err := f.WriteTo(buf); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

// reportBook is a workbook being written, with its styles.
type reportBook struct {
	f              *excelize.File
	header, share  int
	names          sheetNames
	freezeTopPanes *excelize.Panes
}

func newReportBook(f *excelize.File) (*reportBook, error) {
	header, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
	})
	if err != nil {
		return nil, err
	}
	share, err := f.NewStyle(&excelize.Style{NumFmt: 10}) // 0.00%
	if err != nil {
		return nil, err
	}
	return &reportBook{f: f, header: header, share: share, names: sheetNames{},
		freezeTopPanes: &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
			Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}}, nil
}

// headerRow writes the bold, frozen first row.
func (x *reportBook) headerRow(sheet string, headers []string) error {
	cells := make([]any, len(headers))
	for i, h := range headers {
		cells[i] = h
	}
	if err := x.f.SetSheetRow(sheet, "A1", &cells); err != nil {
		return err
	}
	last, err := excelize.CoordinatesToCellName(len(headers), 1)
	if err != nil {
		return err
	}
	if err := x.f.SetCellStyle(sheet, "A1", last, x.header); err != nil {
		return err
	}
	return x.f.SetPanes(sheet, x.freezeTopPanes)
}

// rowsSheet writes an area's full list: 指标, 本月, 截至月末.
func (x *reportBook) rowsSheet(sheet string, rows []ReportRow) error {
	if err := x.headerRow(sheet, []string{colLabel, colMonth, colTotal}); err != nil {
		return err
	}
	if err := x.f.SetColWidth(sheet, "A", "A", 44); err != nil {
		return err
	}
	if err := x.f.SetColWidth(sheet, "B", "C", 14); err != nil {
		return err
	}
	for i, row := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return err
		}
		values := []any{row.Label, xlsxNumber(row.Month), xlsxNumber(row.Total)}
		if err := x.f.SetSheetRow(sheet, cell, &values); err != nil {
			return err
		}
		if row.Kind == shareKind {
			at := fmt.Sprintf("B%d", i+2)
			if err := x.f.SetCellStyle(sheet, at, at, x.share); err != nil {
				return err
			}
		}
	}
	return nil
}

// streetsSheet writes the district's sheet: a row per street, the
// headline figures as columns.
func (x *reportBook) streetsSheet(sheet string, streets []StreetLine) error {
	headers := []string{colStreet}
	for _, m := range Headline {
		headers = append(headers, metricByName[m].Label)
	}
	if err := x.headerRow(sheet, headers); err != nil {
		return err
	}
	last, err := excelize.ColumnNumberToName(len(headers))
	if err != nil {
		return err
	}
	if err := x.f.SetColWidth(sheet, "A", "A", 16); err != nil {
		return err
	}
	if err := x.f.SetColWidth(sheet, "B", last, 14); err != nil {
		return err
	}
	for i, s := range streets {
		cell, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return err
		}
		values := []any{s.Name}
		for _, v := range s.Figures {
			values = append(values, v.Value)
		}
		if err := x.f.SetSheetRow(sheet, cell, &values); err != nil {
			return err
		}
	}
	return nil
}

// xlsxNumber is a cell's value: nil (an empty cell) for none.
func xlsxNumber(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// sheetNames hands out the workbook's sheet names: at most 31 characters,
// none of : \ / ? * [ ], not starting or ending with an apostrophe, and
// unique regardless of case (Excel's rules).
type sheetNames map[string]bool

func (n sheetNames) name(want string) string {
	want = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, want)
	want = strings.Trim(want, "'")
	if want == "" {
		want = "Sheet"
	}
	for i := 1; ; i++ {
		suffix := ""
		if i > 1 {
			suffix = fmt.Sprintf("(%d)", i)
		}
		name := truncateUTF16(want, excelize.MaxSheetNameLength-len(suffix)) + suffix
		if key := strings.ToLower(name); !n[key] {
			n[key] = true
			return name
		}
	}
}

// truncateUTF16 cuts s to at most n UTF-16 code units, as Excel counts a
// sheet name's length, at a character's boundary.
func truncateUTF16(s string, n int) string {
	for i, r := range s {
		if n -= utf16.RuneLen(r); n < 0 {
			return s[:i]
		}
	}
	return s
}
