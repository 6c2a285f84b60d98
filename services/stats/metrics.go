package stats

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the projector's counters and, read from the database at
// each scrape, its lag and the rebuild's state.
type Metrics struct {
	events   *prometheus.CounterVec
	duration prometheus.Histogram
}

// NewMetrics registers the stats service's own metrics in reg.
func NewMetrics(reg prometheus.Registerer, pool *pgxpool.Pool) *Metrics {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nuanxin_stats_events_applied_total",
			Help: "Archived events applied to figures, by outcome: counted, or skipped (no figure counts the type)."},
			[]string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "nuanxin_stats_chunk_seconds",
			Help: "Time to apply one chunk of archived events to the figures.", Buckets: prometheus.DefBuckets}),
	}
	reg.MustRegister(m.events, m.duration, lagCollector{pool})
	return m
}

func (m *Metrics) applied(counted, skipped int, d time.Duration) {
	if m == nil {
		return
	}
	m.events.WithLabelValues("counted").Add(float64(counted))
	m.events.WithLabelValues("skipped").Add(float64(skipped))
	m.duration.Observe(d.Seconds())
}

var (
	lagDesc = prometheus.NewDesc("nuanxin_stats_lag_events",
		"Archived events the current figures have not applied yet.", nil, nil)
	rebuildDesc = prometheus.NewDesc("nuanxin_stats_rebuild_running",
		"1 while a rebuild fills a new generation of figures.", nil, nil)
)

type lagCollector struct{ pool *pgxpool.Pool }

func (c lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- lagDesc; ch <- rebuildDesc }

func (c lagCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var lag int64
	var building bool
	err := c.pool.QueryRow(ctx, `SELECT (SELECT coalesce(sum(archived), 0)::bigint FROM archive_counts) - p.applied, s.building_gen IS NOT NULL
		FROM state s JOIN progress p ON p.gen = s.current_gen`).Scan(&lag, &building)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(lag))
	ch <- prometheus.MustNewConstMetric(rebuildDesc, prometheus.GaugeValue, map[bool]float64{true: 1}[building])
}
