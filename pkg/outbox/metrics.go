package outbox

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
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
		backlog: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nuanxin_outbox_backlog", Help: "Events committed but not yet acknowledged by JetStream.",
		}),
		oldestAge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "nuanxin_outbox_oldest_age_seconds", Help: "Age of the oldest unpublished event (0 when the outbox is empty).",
		}),
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
	reg.MustRegister(m.backlog, m.oldestAge, m.publishedN, m.failures, m.leader, m.lag)
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

func (m *Metrics) observeBacklog(ctx context.Context, pg *pgx.Conn) {
	if m == nil {
		return
	}
	var n int64
	var age float64
	err := pg.QueryRow(ctx, `SELECT count(*), COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(created_at)), 0)::float8 FROM outbox`).Scan(&n, &age)
	if err != nil {
		return // a metric must never stop the relay
	}
	m.backlog.Set(float64(n))
	m.oldestAge.Set(age)
}
