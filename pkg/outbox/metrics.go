package outbox

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the relay's Prometheus series. A nil *Metrics records nothing.
type Metrics struct {
	backlog    prometheus.Gauge
	oldestAge  prometheus.Gauge
	publishedN prometheus.Counter
	failures   prometheus.Counter
	leader     prometheus.Gauge
	lag        prometheus.Histogram
}

// NewMetrics registers the relay's series with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		publishedN: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nuanxin_outbox_published_total", Help: "Events published and acknowledged by JetStream.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "nuanxin_outbox_publish_failures_total", Help: "Relay batches that stopped on a publish error (broker down, no ack).",
		}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nuanxin_outbox_relay_leader", Help: "1 while this instance holds the relay lock.",
		}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "nuanxin_outbox_publish_lag_seconds",
			Help:    "Time from the event's commit to its JetStream ack.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}),
	}
	reg.MustRegister(m.publishedN, m.failures, m.leader, m.lag)
	return m
}

func (m *Metrics) setLeader(on bool) {
	if m == nil {
		return
	}
	if on {
		m.leader.Set(1)
	} else {
		m.leader.Set(0)
	}
}

func (m *Metrics) published(rows []row) {
	if m == nil {
		return
	}
	now := time.Now()
	m.publishedN.Add(float64(len(rows)))
	for _, x := range rows {
		m.lag.Observe(now.Sub(x.created).Seconds())
	}
}

func (m *Metrics) publishFailed() {
	if m == nil {
		return
	}
	m.failures.Inc()
}

var (
	backlogDesc = prometheus.NewDesc("nuanxin_outbox_backlog",
		"Events committed but not yet acknowledged by JetStream.", nil, nil)
	oldestAgeDesc = prometheus.NewDesc("nuanxin_outbox_oldest_age_seconds",
		"Age of the oldest unpublished event (0 when the outbox is empty).", nil, nil)
)

// RegisterBacklog exports the outbox backlog, measured in the database at
// each scrape. Every instance reports the same truth, whether it holds the
// relay lock or not, and whether or not its relay is running at all (a
// gauge kept by the relay would go stale on standbys and read 0 while NATS
// is down at start).
func RegisterBacklog(reg prometheus.Registerer, pool *pgxpool.Pool) {
	reg.MustRegister(backlogCollector{pool})
}

type backlogCollector struct{ pool *pgxpool.Pool }

func (c backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- backlogDesc
	ch <- oldestAgeDesc
}

func (c backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var n int64
	var age float64
	err := c.pool.QueryRow(ctx, `SELECT count(*), COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)), 0)::float8 FROM outbox`).Scan(&n, &age)
	if err != nil {
		// No sample rather than a wrong one: the scrape shows the gap.
		ch <- prometheus.NewInvalidMetric(backlogDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(oldestAgeDesc, prometheus.GaugeValue, age)
}
