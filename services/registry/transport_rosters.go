package registry

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	kithttp "github.com/go-kit/kit/transport/http"
	"github.com/xuri/excelize/v2"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/route"
)

// mountRosters mounts GET /v1/rosters/{enterprises,workers,party-members,candidates}.
// Parameters: street, community, (workers only) status and occupation,
// format=json|csv|xlsx, pii=masked|full.
func mountRosters(rt route.Router, svc *Service) {
	ep := route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.Roster(ctx, p, req.(RosterQuery), httpx.RequestID(ctx))
	})
	for _, kind := range []string{RosterEnterprises, RosterWorkers, RosterPartyMembers, RosterCandidates} {
		rt.HandleWith("GET /v1/rosters/"+kind, ep, decodeRoster(kind), encodeRoster)
	}
}

func decodeRoster(kind string) kithttp.DecodeRequestFunc {
	return func(ctx context.Context, r *http.Request) (any, error) {
		q := httpx.QueryFrom(ctx, r)
		out := RosterQuery{Kind: kind, Street: q.Code("street"), Community: q.Code("community"),
			Format: q.Code("format"), PII: q.Code("pii")}
		if kind == RosterWorkers {
			// Only the workers' roster has these; on the others they are
			// unknown parameters, not filters quietly dropped.
			out.Status, out.Occupation = q.Code("status"), q.Code("occupation")
		}
		return out, q.Err()
	}
}

// rosterWriter writes a roster in one format: begin, a row per entry, end.
// close releases what the writer holds, whether it ended or not.
type rosterWriter interface {
	begin(x *RosterExport) error
	row(x *RosterExport, e *rosterEntry) error
	end(count int) error
	close()
}

// encodeRoster streams the roster into the response. Headers wait for the
// first byte of the body (lazyBody), so a failure before it still answers
// problem+json; a failure after it aborts the response, so the client sees
// an incomplete download rather than a short roster passed off as whole.
func encodeRoster(ctx context.Context, w http.ResponseWriter, resp any) error {
	x := resp.(*RosterExport)
	body := &lazyBody{w: w, header: func(h http.Header) { rosterHeaders(h, x) }}
	var out rosterWriter
	switch x.Query.Format {
	case "csv":
		out = &csvRoster{w: bufio.NewWriterSize(body, 64<<10)}
	case "xlsx":
		out = &xlsxRoster{w: body}
	default:
		out = &jsonRoster{w: bufio.NewWriterSize(body, 64<<10)}
	}
	defer out.close()
	err := out.begin(x)
	if err == nil {
		var n int
		n, err = x.each(ctx, func(e *rosterEntry) error { return out.row(x, e) })
		if err == nil {
			err = out.end(n)
		}
	}
	if err != nil && body.started {
		panic(http.ErrAbortHandler)
	}
	return err
}

// rosterHeaders sets the content type and, for files, the download name:
// the roster's Chinese title and the date (RFC 6266: filename* for
// browsers, an ASCII filename for the rest).
func rosterHeaders(h http.Header, x *RosterExport) {
	types := map[string]string{
		"json": "application/json; charset=utf-8",
		"csv":  "text/csv; charset=utf-8",
		"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	}
	h.Set("Content-Type", types[x.Query.Format])
	h.Set("Cache-Control", "no-store")
	if x.Query.Format == "json" {
		return
	}
	day := x.At.In(Shanghai).Format("20060102")
	ascii := fmt.Sprintf("%s-%s.%s", x.FileStem, day, x.Query.Format)
	name := fmt.Sprintf("%s-%s.%s", x.Title, day, x.Query.Format)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, ascii, percentEncode(name)))
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

// lazyBody sends the status and headers with the first byte of the body.
type lazyBody struct {
	w       http.ResponseWriter
	header  func(http.Header)
	started bool
}

func (b *lazyBody) Write(p []byte) (int, error) {
	if !b.started {
		b.started = true
		b.header(b.w.Header())
		b.w.WriteHeader(http.StatusOK)
	}
	return b.w.Write(p)
}

// ---- JSON: {"items": [...], "count": n}, codes and English keys ----

type jsonRoster struct {
	w     *bufio.Writer
	enc   *json.Encoder
	comma bool
}

func (j *jsonRoster) begin(*RosterExport) error {
	j.enc = json.NewEncoder(j.w)
	_, err := j.w.WriteString(`{"items":[`)
	return err
}

func (j *jsonRoster) row(x *RosterExport, e *rosterEntry) error {
	if j.comma {
		if err := j.w.WriteByte(','); err != nil {
			return err
		}
	}
	j.comma = true
	return j.enc.Encode(x.item(e))
}

func (j *jsonRoster) end(count int) error {
	if _, err := fmt.Fprintf(j.w, `],"count":%d}`+"\n", count); err != nil {
		return err
	}
	return j.w.Flush()
}

func (j *jsonRoster) close() {}

// ---- CSV for Excel on Chinese Windows: UTF-8 with a BOM, CRLF ----

type csvRoster struct {
	w    *bufio.Writer
	csv  *csv.Writer
	cols []rosterColumn
	rec  []string
}

func (c *csvRoster) begin(x *RosterExport) error {
	// Without the byte order mark Excel reads the file as GBK and garbles it.
	if _, err := c.w.WriteString("\uFEFF"); err != nil {
		return err
	}
	c.csv = csv.NewWriter(c.w) // writes through c.w, which is big enough to be its buffer
	c.csv.UseCRLF = true
	c.cols = x.Columns
	c.rec = make([]string, len(c.cols))
	for i, col := range c.cols {
		c.rec[i] = col.header
	}
	return c.csv.Write(c.rec)
}

func (c *csvRoster) row(_ *RosterExport, e *rosterEntry) error {
	for i, col := range c.cols {
		switch v := col.cell(e).(type) {
		case int:
			c.rec[i] = strconv.Itoa(v)
		case string:
			c.rec[i] = excelText(v)
		}
	}
	return c.csv.Write(c.rec)
}

func (c *csvRoster) end(int) error {
	c.csv.Flush()
	if err := c.csv.Error(); err != nil {
		return err
	}
	return c.w.Flush()
}

func (c *csvRoster) close() {}

// excelText keeps Excel from reading a CSV cell as something else: a long
// run of digits (an ID number or credit code in full) would become a
// rounded number like 3.70602E+17, so it gets a leading tab, which Excel
// takes as text; a cell starting like a formula (=, +, -, @) gets a
// leading apostrophe, so a name cannot run as a formula on a clerk's PC.
func excelText(s string) string {
	if s == "" {
		return s
	}
	if strings.IndexByte("=+-@", s[0]) >= 0 {
		return "'" + s
	}
	if len(s) > 11 && strings.Trim(s, "0123456789") == "" {
		return "\t" + s
	}
	return s
}

// ---- XLSX: one sheet, bold frozen header, streamed ----

// xlsxRoster writes with excelize's StreamWriter, which keeps at most
// 16 MiB of sheet XML in memory and spills the rest to a temporary file —
// except for a roster with personal data in full (see begin); the zip is
// written to the response once the rows are done.
type xlsxRoster struct {
	w    io.Writer
	f    *excelize.File
	sw   *excelize.StreamWriter
	cols []rosterColumn
	vals []any
}

func (x *xlsxRoster) begin(r *RosterExport) error {
	var opts excelize.Options
	if r.Query.full() {
		// Mobiles and ID numbers in full are sealed at rest: a temporary
		// file would hold them in clear, and a crash would leave it. No
		// file can be created in os.DevNull, and excelize then keeps the
		// sheet XML in memory (about 800 bytes a worker). A masked roster
		// may spill: it holds nothing the ledger does not store in clear.
		opts.TmpDir = os.DevNull
	}
	x.f = excelize.NewFile(opts)
	if err := x.f.SetSheetName("Sheet1", r.Title); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	var err error
	if x.sw, err = x.f.NewStreamWriter(r.Title); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	bold, err := x.f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
	})
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	x.cols = r.Columns
	header := make([]any, len(x.cols))
	for i, col := range x.cols {
		if err := x.sw.SetColWidth(i+1, i+1, col.width); err != nil {
			return fmt.Errorf("xlsx: %w", err)
		}
		header[i] = excelize.Cell{StyleID: bold, Value: col.header}
	}
	err = x.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}})
	if err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	x.vals = make([]any, len(x.cols))
	return x.sw.SetRow("A1", header)
}

func (x *xlsxRoster) row(_ *RosterExport, e *rosterEntry) error {
	for i, col := range x.cols {
		x.vals[i] = col.cell(e)
	}
	cell, err := excelize.CoordinatesToCellName(1, e.Seq+1)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, x.vals)
}

func (x *xlsxRoster) end(int) error {
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	if _, err := x.f.WriteTo(x.w); err != nil {
		return fmt.Errorf("xlsx: %w", err)
	}
	return nil
}

func (x *xlsxRoster) close() {
	if x.f != nil {
		_ = x.f.Close() // removes the temporary file
	}
}
