package stats

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Figure is one figure of an overview. For a stock, Value is its level at
// the date and Month its change in the date's month up to it; for a flow,
// Value is the month's amount up to the date and Total all of it up to the
// date; for a distinct count, Value is the month's.
type Figure struct {
	Metric string `json:"metric"`
	Label  string `json:"label"`
	Kind   Kind   `json:"kind"`
	Dim    string `json:"dim,omitempty"`
	// Overlap: the parts overlap (a station under each of its
	// facilities), so Value, Month and Total are not given.
	Overlap bool     `json:"overlap,omitempty"`
	Value   float64  `json:"value"`
	Month   *float64 `json:"month_change,omitempty"`
	Total   *float64 `json:"total,omitempty"`
	By      []Part   `json:"by,omitempty"`
}

// Part is a figure's value for one key of its dimension.
type Part struct {
	Key   string   `json:"key"`
	Label string   `json:"label"`
	Value float64  `json:"value"`
	Month *float64 `json:"month_change,omitempty"`
	Total *float64 `json:"total,omitempty"`
}

// Share is a ratio of a month; Value is nil when its base is zero.
type Share struct {
	Name  string   `json:"name"`
	Label string   `json:"label"`
	Month string   `json:"month"`
	Value *float64 `json:"value"`
}

// Overview is every figure of an area as of a date.
type Overview struct {
	Area
	At      string   `json:"at"`
	Month   string   `json:"month"`
	Figures []Figure `json:"figures"`
	Shares  []Share  `json:"shares"`
}

// OverviewQuery asks for an area's figures as of a date (YYYY-MM-DD,
// Shanghai; "" for today).
type OverviewQuery struct {
	Scope, Code, At string
}

// Overview answers every figure of the area as of the date.
func (s *Service) Overview(ctx context.Context, p auth.Principal, q OverviewQuery) (Overview, error) {
	var c validate.Collector
	a, err := s.area(ctx, p, &c, q.Scope, q.Code)
	if err != nil {
		return Overview{}, err
	}
	at := dayOf(s.now())
	if q.At != "" {
		at = parseDay(&c, "at", q.At)
	}
	if err := c.Err(); err != nil {
		return Overview{}, err
	}
	o := Overview{Area: a, At: at.Format(time.DateOnly), Month: at.Format("2006-01")}
	err = readTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		o.Figures, err = figuresAt(ctx, tx, a, at)
		if err != nil {
			return err
		}
		o.Shares, err = sharesAt(ctx, tx, a, at)
		return err
	})
	return o, err
}

// parseDay reads a YYYY-MM-DD date into c.
func parseDay(c *validate.Collector, field, s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	c.Check(err == nil, field, validate.CodeInvalidDate, "a date as YYYY-MM-DD")
	return d
}

// parseMonth reads a YYYY-MM month into c, as its first day.
func parseMonth(c *validate.Collector, field, s string) time.Time {
	d, err := time.Parse("2006-01", s)
	c.Check(err == nil, field, validate.CodeInvalidDate, "a month as YYYY-MM")
	return d
}

func monthStart(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// sums is a figure's values per key: as of the date, and in its month.
type sums struct{ total, month map[string]int64 }

// figuresAt reads every figure of a as of day at.
func figuresAt(ctx context.Context, tx pgx.Tx, a Area, at time.Time) ([]Figure, error) {
	rows, err := tx.Query(ctx, `SELECT metric, key, sum(value), coalesce(sum(value) FILTER (WHERE in_month), 0) FROM (
			SELECT metric, key, value, false AS in_month FROM monthly
			WHERE gen = (SELECT current_gen FROM state) AND street = $1 AND community = $2 AND month < $3
			UNION ALL
			SELECT metric, key, value, true FROM daily
			WHERE gen = (SELECT current_gen FROM state) AND street = $1 AND community = $2 AND day >= $3 AND day <= $4
		) t GROUP BY metric, key`, a.Street, a.Community, monthStart(at), at)
	if err != nil {
		return nil, fmt.Errorf("figures: %w", err)
	}
	got := map[string]sums{}
	for rows.Next() {
		var metric, key string
		var total, month int64
		if err := rows.Scan(&metric, &key, &total, &month); err != nil {
			return nil, fmt.Errorf("figures: %w", err)
		}
		s, ok := got[metric]
		if !ok {
			s = sums{map[string]int64{}, map[string]int64{}}
			got[metric] = s
		}
		s.total[key] += total
		s.month[key] += month
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("figures: %w", err)
	}
	overdue, err := tasksOverdue(ctx, tx, a, at)
	if err != nil {
		return nil, err
	}
	got["tasks_overdue"] = sums{map[string]int64{"": overdue}, map[string]int64{}}

	out := make([]Figure, 0, len(Catalog))
	for _, m := range Catalog {
		out = append(out, figureOf(m, got[m.Name]))
	}
	return out, nil
}

// figureOf shapes one metric's sums as a Figure.
func figureOf(m Metric, s sums) Figure {
	f := Figure{Metric: m.Name, Label: m.Label, Kind: m.Kind, Dim: m.Dim, Overlap: m.Overlap}
	scale := func(v int64) float64 {
		if m.Scale > 0 {
			return float64(v) / float64(m.Scale)
		}
		return float64(v)
	}
	value := func(key string) (float64, *float64, *float64) {
		total, month := scale(s.total[key]), scale(s.month[key])
		switch m.Kind {
		case Stock:
			return total, &month, nil
		case Flow:
			return month, nil, &total
		}
		return month, nil, nil
	}
	if m.Dim == "" {
		f.Value, f.Month, f.Total = value("")
		return f
	}
	keys := make([]string, 0, len(s.total))
	for k, v := range s.total {
		if v != 0 || s.month[k] != 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var month, total float64
	for _, k := range keys {
		v, mo, to := value(k)
		f.By = append(f.By, Part{Key: k, Label: KeyLabel(m.Dim, k), Value: v, Month: mo, Total: to})
		f.Value += v
		if mo != nil {
			month += *mo
		}
		if to != nil {
			total += *to
		}
	}
	switch {
	case m.Overlap:
		f.Value = 0
	case m.Kind == Stock:
		f.Month = &month
	case m.Kind == Flow:
		f.Total = &total
	}
	return f
}

// tasksOverdue counts the tasks of a past their deadline at the end of day
// at and not done or cancelled by then: a figure of time passing, counted
// from the tasks' state rather than from changes.
func tasksOverdue(ctx context.Context, tx pgx.Tx, a Area, at time.Time) (int64, error) {
	end := time.Date(at.Year(), at.Month(), at.Day()+1, 0, 0, 0, 0, Shanghai)
	var n int64
	err := tx.QueryRow(ctx, `SELECT count(*) FROM entities
		WHERE gen = (SELECT current_gen FROM state) AND kind = 'task'
		  AND ($1 = '' OR street = $1) AND ($2 = '' OR community = $2)
		  AND (state->'a'->>'created_at')::timestamptz < $3
		  AND (state->'a'->>'deadline')::timestamptz < $3
		  AND coalesce((state->'a'->>'done_at')::timestamptz >= $3, state->'a'->>'status' NOT IN ('done', 'cancelled'))`,
		a.Street, a.Community, end).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("tasks overdue: %w", err)
	}
	return n, nil
}

// sharesAt computes the ratios: pairings contacted on time in the last
// whole month before at (a month's overdue pairings are known once it has
// ended), reports closed on time in at's month.
func sharesAt(ctx context.Context, tx pgx.Tx, a Area, at time.Time) ([]Share, error) {
	out := make([]Share, 0, len(Ratios))
	for _, r := range Ratios {
		month := monthStart(at)
		if r.Complement {
			month = month.AddDate(0, -1, 0)
		}
		sh, err := shareIn(ctx, tx, a, r, month)
		if err != nil {
			return nil, err
		}
		out = append(out, sh)
	}
	return out, nil
}

func shareIn(ctx context.Context, tx pgx.Tx, a Area, r Ratio, month time.Time) (Share, error) {
	of, err := monthly(ctx, tx, a, metricByName[r.Of], month, month)
	if err != nil {
		return Share{}, err
	}
	over, err := monthly(ctx, tx, a, metricByName[r.Over], month, month)
	if err != nil {
		return Share{}, err
	}
	sh := Share{Name: r.Name, Label: r.Label, Month: month.Format("2006-01")}
	num, den := of[0].Value, over[0].Value
	if den > 0 {
		v := num / den
		if r.Complement {
			v = 1 - v
		}
		sh.Value = &v
	}
	return sh, nil
}

// Point is a figure's value in one month: a stock's level at the month's
// end, a flow's or a distinct count's amount in the month.
type Point struct {
	Month string  `json:"month"`
	Value float64 `json:"value"`
	By    []Part  `json:"by,omitempty"`
}

// monthly reads m's values per month from from to to (first days), for a.
func monthly(ctx context.Context, tx pgx.Tx, a Area, m Metric, from, to time.Time) ([]Point, error) {
	lower := from
	if m.Kind == Stock {
		lower = time.Time{} // a level adds up every change before
	}
	rows, err := tx.Query(ctx, `SELECT month, key, sum(value) FROM monthly
		WHERE gen = (SELECT current_gen FROM state) AND street = $1 AND community = $2 AND metric = $3
		  AND month >= $4 AND month <= $5
		GROUP BY month, key ORDER BY month`, a.Street, a.Community, m.Name, lower, to)
	if err != nil {
		return nil, fmt.Errorf("series of %s: %w", m.Name, err)
	}
	type row struct {
		month time.Time
		key   string
		value int64
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.month, &r.key, &r.value); err != nil {
			return nil, fmt.Errorf("series of %s: %w", m.Name, err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("series of %s: %w", m.Name, err)
	}
	level := map[string]int64{}
	var out []Point
	i := 0
	for month := from; !month.After(to); month = month.AddDate(0, 1, 0) {
		in := map[string]int64{}
		for ; i < len(got) && !got[i].month.After(month); i++ {
			if m.Kind == Stock {
				level[got[i].key] += got[i].value
			} else if got[i].month.Equal(month) {
				in[got[i].key] += got[i].value
			}
		}
		if m.Kind == Stock {
			in = level
		}
		out = append(out, pointOf(m, month, in))
	}
	return out, nil
}

func pointOf(m Metric, month time.Time, values map[string]int64) Point {
	p := Point{Month: month.Format("2006-01")}
	scale := func(v int64) float64 {
		if m.Scale > 0 {
			return float64(v) / float64(m.Scale)
		}
		return float64(v)
	}
	keys := make([]string, 0, len(values))
	for k, v := range values {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := scale(values[k])
		p.Value += v
		if m.Dim != "" {
			p.By = append(p.By, Part{Key: k, Label: KeyLabel(m.Dim, k), Value: v})
		}
	}
	return p
}

// Series is a figure month by month.
type Series struct {
	Area
	Metric string  `json:"metric"`
	Label  string  `json:"label"`
	Kind   Kind    `json:"kind"`
	Dim    string  `json:"dim,omitempty"`
	From   string  `json:"from"`
	To     string  `json:"to"`
	Points []Point `json:"points"`
}

// SeriesQuery asks for a figure's months from From to To (YYYY-MM).
type SeriesQuery struct {
	Metric, Scope, Code, From, To string
}

// maxMonths bounds a series: ten years.
const maxMonths = 120

// metricNames are the figures a series can be asked for.
func metricNames() []string {
	names := make([]string, 0, len(Catalog)+len(Ratios))
	for _, m := range Catalog {
		if m.Name != "tasks_overdue" { // counted from state, as of a date only
			names = append(names, m.Name)
		}
	}
	for _, r := range Ratios {
		names = append(names, r.Name)
	}
	return names
}

// Series answers a figure month by month; by default the twelve months to
// this one.
func (s *Service) Series(ctx context.Context, p auth.Principal, q SeriesQuery) (Series, error) {
	var c validate.Collector
	a, err := s.area(ctx, p, &c, q.Scope, q.Code)
	if err != nil {
		return Series{}, err
	}
	c.Check(q.Metric != "", "metric", validate.CodeRequired, "name a figure: "+strings.Join(metricNames(), ", "))
	if q.Metric != "" {
		c.OneOf("metric", q.Metric, metricNames())
	}
	to := monthStart(dayOf(s.now()))
	if q.To != "" {
		to = parseMonth(&c, "to", q.To)
	}
	from := to.AddDate(0, -11, 0)
	if q.From != "" {
		from = parseMonth(&c, "from", q.From)
	}
	if !c.Has("from") && !c.Has("to") {
		c.Check(!from.After(to), "from", validate.CodeOutOfRange, "from must not be after to")
		c.Check(!from.AddDate(0, maxMonths, 0).Before(to.AddDate(0, 1, 0)), "from", validate.CodeOutOfRange,
			fmt.Sprintf("at most %d months at once", maxMonths))
	}
	if err := c.Err(); err != nil {
		return Series{}, err
	}
	out := Series{Area: a, Metric: q.Metric, From: from.Format("2006-01"), To: to.Format("2006-01")}
	err = readTx(ctx, s.pool, func(tx pgx.Tx) error {
		if m, ok := metricByName[q.Metric]; ok {
			out.Label, out.Kind, out.Dim = m.Label, m.Kind, m.Dim
			out.Points, err = monthly(ctx, tx, a, m, from, to)
			return err
		}
		r := ratioByName(q.Metric)
		out.Label, out.Kind = r.Label, "share"
		for month := from; !month.After(to); month = month.AddDate(0, 1, 0) {
			sh, err := shareIn(ctx, tx, a, r, month)
			if err != nil {
				return err
			}
			pt := Point{Month: sh.Month}
			if sh.Value != nil {
				pt.Value = *sh.Value
			}
			out.Points = append(out.Points, pt)
		}
		return nil
	})
	return out, err
}

func ratioByName(name string) Ratio {
	for _, r := range Ratios {
		if r.Name == name {
			return r
		}
	}
	return Ratio{}
}
