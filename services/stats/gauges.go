package stats

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// The headline figures as Prometheus gauges, read from the current
// generation at each scrape as of today (Shanghai), one series per street
// of the streets table, labelled street="<code>". There is no district
// series: the district's figure is sum() over the streets (every figure
// here is a stock or a flow, which add up; a distinct count would not and
// is left out). A scrape costs one query, bounded by two seconds; when it
// fails the gauges are missing from that scrape, never wrong.

// headline is one gauge: a figure of the catalog, its level (a stock, as
// of today) or this month's amount so far (a flow), and for a figure with a
// dimension the keys it leaves out.
type headline struct {
	name   string // the gauge's name
	help   string
	metric string // the figure, in Catalog
	month  bool   // this month's amount up to today, not the level
	except []string
	desc   *prometheus.Desc
}

// gaugeLabels are the only labels a headline gauge has.
var gaugeLabels = []string{"street"}

var headlines = func() []*headline {
	hs := []*headline{
		{name: "nuanxin_stats_workers", metric: "workers",
			help: "新就业群体: workers registered and not left, as of today."},
		{name: "nuanxin_stats_party_members", metric: "party_members",
			help: "党员（含预备党员）: party members among the workers, as of today."},
		{name: "nuanxin_stats_mobile_party_members", metric: "mobile_party_members",
			help: "流动党员: mobile party members among the workers, as of today."},
		{name: "nuanxin_stats_stations", metric: "stations",
			help: "暖新驿站: stations open, as of today."},
		{name: "nuanxin_stats_pairings", metric: "pairings",
			help: "结对: pairings not ended, as of today."},
		{name: "nuanxin_stats_reports_open", metric: "reports_by_state", except: []string{"closed", "rejected", "merged"},
			help: "随手拍: riders' reports not closed, rejected or merged, as of today."},
		{name: "nuanxin_stats_checkins_month", metric: "checkins", month: true,
			help: "报到: check-ins this month (Shanghai) up to today."},
		{name: "nuanxin_stats_service_hours_month", metric: "service_hours", month: true,
			help: "服务时长（小时）: volunteer hours served this month (Shanghai) up to today."},
		{name: "nuanxin_stats_reports_submitted_month", metric: "reports_submitted", month: true,
			help: "随手拍上报: riders' reports submitted this month (Shanghai) up to today."},
		{name: "nuanxin_stats_points_earned_month", metric: "points_earned", month: true,
			help: "积分获得: volunteer points earned (less reversals) this month (Shanghai) up to today."},
	}
	for _, h := range hs {
		h.desc = prometheus.NewDesc(h.name, h.help, gaugeLabels, nil)
	}
	return hs
}()

// RegisterFigureGauges registers in reg the headline figures of each street
// as gauges read from pool at each scrape.
func RegisterFigureGauges(reg prometheus.Registerer, pool *pgxpool.Pool) {
	reg.MustRegister(&figureGauges{pool: pool, now: time.Now})
}

type figureGauges struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

func (g *figureGauges) Describe(ch chan<- *prometheus.Desc) {
	for _, h := range headlines {
		ch <- h.desc
	}
}

// figureGaugesSQL sums, per street of the streets table, each figure's
// changes of the current generation up to today ($2) and those of this
// month ($1 its first day), as figuresAt does for one area: whole months
// before this one from monthly, this month's days from daily. A street with
// no figure yet comes out as one row with a NULL metric, so it shows zeros.
const figureGaugesSQL = `WITH f AS (
		SELECT street, metric, key, value, false AS in_month FROM monthly
		WHERE gen = (SELECT current_gen FROM state) AND community = '' AND street <> '' AND metric = ANY($3) AND month < $1
		UNION ALL
		SELECT street, metric, key, value, true FROM daily
		WHERE gen = (SELECT current_gen FROM state) AND community = '' AND street <> '' AND metric = ANY($3)
		  AND day >= $1 AND day <= $2
	)
	SELECT s.code, f.metric, f.key, coalesce(sum(f.value), 0), coalesce(sum(f.value) FILTER (WHERE f.in_month), 0)
	FROM streets s LEFT JOIN f ON f.street = s.code
	GROUP BY s.code, f.metric, f.key`

func (g *figureGauges) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	values, err := g.read(ctx)
	if err != nil {
		return // no samples rather than wrong ones
	}
	for street, v := range values {
		for i, h := range headlines {
			ch <- prometheus.MustNewConstMetric(h.desc, prometheus.GaugeValue, v[i], street)
		}
	}
}

// read gives each street's headline values, in the order of headlines.
func (g *figureGauges) read(ctx context.Context) (map[string][]float64, error) {
	today := dayOf(g.now())
	metrics := make([]string, 0, len(headlines))
	for _, h := range headlines {
		metrics = append(metrics, h.metric)
	}
	rows, err := g.pool.Query(ctx, figureGaugesSQL, monthStart(today), today, metrics)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]float64{}
	for rows.Next() {
		var street string
		var metric, key *string
		var total, month int64
		if err := rows.Scan(&street, &metric, &key, &total, &month); err != nil {
			return nil, err
		}
		v, ok := out[street]
		if !ok {
			v = make([]float64, len(headlines))
			out[street] = v
		}
		if metric == nil {
			continue
		}
		for i, h := range headlines {
			if h.metric != *metric || slices.Contains(h.except, *key) {
				continue
			}
			amount := total
			if h.month {
				amount = month
			}
			v[i] += scaled(metricByName[h.metric], amount)
		}
	}
	return out, rows.Err()
}

// scaled is a stored whole number as the figure (hours are kept in
// hundredths).
func scaled(m Metric, v int64) float64 {
	if m.Scale > 0 {
		return float64(v) / float64(m.Scale)
	}
	return float64(v)
}
