package stats

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// ReportFormats are the formats the monthly report is given in.
var ReportFormats = []string{"xlsx", "csv", "json"}

// Headline are the figures the district's sheet of the monthly report
// gives for each street, in its column order: a stock's level at the
// month's end, a flow's amount in the month.
var Headline = []string{"workers", "party_members", "mobile_party_members", "checkins", "stations", "pairings",
	"activities", "service_hours", "reports_submitted", "reports_closed", "points_earned"}

// ReportQuery asks for an area's report of a month (YYYY-MM) in a format
// (xlsx by default).
type ReportQuery struct {
	Month, Scope, Code, Format string
}

// ReportRow is one line of a report: a figure, one key of a figure with a
// dimension, or a share. Month is the month's part (a stock's change in
// the month, a flow's or distinct count's amount, a share's value); Total
// is as of the month's end (a stock's level, a flow's total to then), nil
// for a distinct count or a share.
type ReportRow struct {
	Label  string   `json:"label"`
	Metric string   `json:"metric"`
	Kind   string   `json:"kind"` // stock, flow, distinct or share
	Key    string   `json:"key,omitempty"`
	Month  *float64 `json:"month"`
	Total  *float64 `json:"total"`
}

// shareKind is the kind of a report row that is a ratio.
const shareKind = "share"

// ReportPart is the report of one area: its full list of rows.
type ReportPart struct {
	Area Area        `json:"area"`
	Rows []ReportRow `json:"rows"`
}

// StreetLine is one street's headline figures (Headline's order) on the
// district's sheet.
type StreetLine struct {
	Code    string          `json:"code"`
	Name    string          `json:"name"`
	Figures []HeadlineValue `json:"figures"`
}

// HeadlineValue is one headline figure of a street.
type HeadlineValue struct {
	Metric string  `json:"metric"`
	Label  string  `json:"label"`
	Value  float64 `json:"value"`
}

// Report is an area's monthly report: its figures of the month as of the
// month's last day (today for this month), and the areas below it.
type Report struct {
	Area  Area        `json:"area"`
	Month string      `json:"month"`
	At    string      `json:"at"`
	Rows  []ReportRow `json:"rows"`
	// Streets are the district's streets' headline figures (a district
	// report only).
	Streets []StreetLine `json:"streets,omitempty"`
	// Parts are the areas below the asked one, each in full: a district's
	// streets, a street's communities (the spreadsheet's further sheets).
	Parts  []ReportPart `json:"-"`
	Format string       `json:"-"`
}

// Title is the report's name: the month, the area and 月报.
func (r *Report) Title() string {
	return fmt.Sprintf("%s %s 月报", r.Month, areaName(r.Area))
}

// areaName is an area's Chinese name, its code when it has none.
func areaName(a Area) string {
	switch {
	case a.Name != "":
		return a.Name
	case a.Code != "":
		return a.Code
	}
	return "全区"
}

// Report answers the area's report of the month.
func (s *Service) Report(ctx context.Context, p auth.Principal, q ReportQuery) (*Report, error) {
	var c validate.Collector
	a, err := s.area(ctx, p, &c, q.Scope, q.Code)
	if err != nil {
		return nil, err
	}
	var month time.Time
	if c.Check(q.Month != "", "month", validate.CodeRequired, "name the month as YYYY-MM") {
		month = parseMonth(&c, "month", q.Month)
	}
	if q.Format == "" {
		q.Format = "xlsx"
	}
	c.OneOf("format", q.Format, ReportFormats)
	if err := c.Err(); err != nil {
		return nil, err
	}
	today := dayOf(s.now())
	current := month.Equal(monthStart(today))
	at := month.AddDate(0, 1, -1)
	if current {
		at = today
	}
	r := &Report{Area: a, Month: month.Format("2006-01"), At: at.Format(time.DateOnly), Format: q.Format}
	err = readTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if r.Rows, err = reportRows(ctx, tx, a, month, at, current); err != nil {
			return err
		}
		// The areas below: for a district always (its street lines), for a
		// street only in the spreadsheet, which has a sheet for each.
		if a.Scope == "community" || (a.Scope == "street" && q.Format != "xlsx") {
			return nil
		}
		below, err := areasBelow(ctx, tx, a)
		if err != nil {
			return err
		}
		for _, b := range below {
			figures, err := figuresAt(ctx, tx, b, at)
			if err != nil {
				return err
			}
			if a.Scope == "district" {
				r.Streets = append(r.Streets, streetLine(b, figures))
			}
			if q.Format != "xlsx" {
				continue
			}
			shares, err := reportShares(ctx, tx, b, month, at, current)
			if err != nil {
				return err
			}
			r.Parts = append(r.Parts, ReportPart{Area: b, Rows: rowsOf(figures, shares, r.Month)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// reportRows are an area's rows of the month as of at.
func reportRows(ctx context.Context, tx pgx.Tx, a Area, month, at time.Time, current bool) ([]ReportRow, error) {
	figures, err := figuresAt(ctx, tx, a, at)
	if err != nil {
		return nil, err
	}
	shares, err := reportShares(ctx, tx, a, month, at, current)
	if err != nil {
		return nil, err
	}
	return rowsOf(figures, shares, month.Format("2006-01")), nil
}

// reportShares are the ratios of the month. For this month they are the
// overview's (pairings contacted on time only known for the month before);
// a past month has them all of its own.
func reportShares(ctx context.Context, tx pgx.Tx, a Area, month, at time.Time, current bool) ([]Share, error) {
	if current {
		return sharesAt(ctx, tx, a, at)
	}
	out := make([]Share, 0, len(Ratios))
	for _, r := range Ratios {
		sh, err := shareIn(ctx, tx, a, r, month)
		if err != nil {
			return nil, err
		}
		out = append(out, sh)
	}
	return out, nil
}

// rowsOf lays figures and shares out as a report's rows: a figure with a
// dimension one row per key (its bare label when it has none yet), a
// share labelled with its month when that is not the report's.
func rowsOf(figures []Figure, shares []Share, month string) []ReportRow {
	out := make([]ReportRow, 0, len(figures)+len(shares))
	for _, f := range figures {
		if f.Dim == "" || len(f.By) == 0 {
			mo, to := columns(f.Kind, f.Value, f.Month, f.Total)
			out = append(out, ReportRow{Label: f.Label, Metric: f.Metric, Kind: string(f.Kind), Month: mo, Total: to})
			continue
		}
		for _, p := range f.By {
			mo, to := columns(f.Kind, p.Value, p.Month, p.Total)
			out = append(out, ReportRow{Label: f.Label + "：" + p.Label, Metric: f.Metric, Kind: string(f.Kind), Key: p.Key,
				Month: mo, Total: to})
		}
	}
	for _, sh := range shares {
		label := sh.Label
		if sh.Month != month {
			label += "（" + sh.Month + "）"
		}
		out = append(out, ReportRow{Label: label, Metric: sh.Name, Kind: shareKind, Month: sh.Value})
	}
	return out
}

// columns maps a figure's value onto the report's two columns: 本月 and
// 截至月末.
func columns(kind Kind, value float64, month, total *float64) (*float64, *float64) {
	v := value
	switch kind {
	case Stock:
		return orZero(month), &v
	case Flow:
		return &v, orZero(total)
	}
	return &v, nil
}

func orZero(p *float64) *float64 {
	if p == nil {
		var z float64
		return &z
	}
	return p
}

// streetLine is a street's headline figures.
func streetLine(a Area, figures []Figure) StreetLine {
	by := make(map[string]Figure, len(figures))
	for _, f := range figures {
		by[f.Metric] = f
	}
	line := StreetLine{Code: a.Code, Name: areaName(a)}
	for _, m := range Headline {
		line.Figures = append(line.Figures, HeadlineValue{Metric: m, Label: metricByName[m].Label, Value: by[m].Value})
	}
	return line
}

// areasBelow are a district's streets or a street's communities, by code.
func areasBelow(ctx context.Context, tx pgx.Tx, a Area) ([]Area, error) {
	var rows pgx.Rows
	var err error
	if a.Scope == "district" {
		rows, err = tx.Query(ctx, "SELECT code, name FROM streets ORDER BY code")
	} else {
		rows, err = tx.Query(ctx, "SELECT code, name FROM communities WHERE street = $1 ORDER BY code", a.Street)
	}
	if err != nil {
		return nil, fmt.Errorf("areas of the report: %w", err)
	}
	defer rows.Close()
	var out []Area
	for rows.Next() {
		var code, name string
		if err := rows.Scan(&code, &name); err != nil {
			return nil, fmt.Errorf("areas of the report: %w", err)
		}
		if a.Scope == "district" {
			out = append(out, Area{Scope: "street", Code: code, Name: name, Street: code})
		} else {
			out = append(out, Area{Scope: "community", Code: code, Name: name, Street: a.Street, Community: code})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("areas of the report: %w", err)
	}
	return out, nil
}
