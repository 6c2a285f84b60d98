package notification

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the notification service's business counters and the
// dispatcher's backlog.
type Metrics struct {
	pushes           *prometheus.CounterVec // push outcomes by channel and status
	broadcastsFailed prometheus.Counter
}

// NewMetrics registers the service's metrics in reg: push outcomes, and the
// deliveries due but not yet pushed (read from the database at each scrape,
// so every instance reports the truth whether or not its dispatcher runs).
func NewMetrics(reg prometheus.Registerer, pool *pgxpool.Pool) *Metrics {
	m := &Metrics{pushes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nuanxin_notification_pushes_total",
		Help: "Push attempts by channel and outcome: delivered, retry (to be tried again) or failed (given up)."},
		[]string{"channel", "outcome"}),
		broadcastsFailed: prometheus.NewCounter(prometheus.CounterOpts{Name: "nuanxin_notification_broadcasts_failed_total",
			Help: "Broadcasts ended failed because their template is gone or does not render their variables."})}
	for _, ch := range Channels {
		for _, o := range []string{"delivered", "retry", "failed"} {
			m.pushes.WithLabelValues(ch, o)
		}
	}
	reg.MustRegister(m.pushes, m.broadcastsFailed, dueCollector{pool})
	return m
}

func (m *Metrics) pushed(channel, outcome string) {
	if m != nil {
		m.pushes.WithLabelValues(channel, outcome).Inc()
	}
}

func (m *Metrics) broadcastFailed() {
	if m != nil {
		m.broadcastsFailed.Inc()
	}
}

var (
	dueDesc = prometheus.NewDesc("nuanxin_notification_deliveries_due",
		"Push deliveries whose time has come and that are not yet delivered or failed.", nil, nil)
	dueAgeDesc = prometheus.NewDesc("nuanxin_notification_oldest_due_seconds",
		"How long the oldest due delivery has waited past its time (0 when none).", nil, nil)
)

type dueCollector struct{ pool *pgxpool.Pool }

func (c dueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- dueDesc; ch <- dueAgeDesc }

func (c dueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var n int64
	var age float64
	err := c.pool.QueryRow(ctx, `SELECT count(*), COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(next_attempt_at)), 0)::float8
		FROM deliveries WHERE status = 'pending' AND next_attempt_at <= clock_timestamp()`).Scan(&n, &age)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(dueDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(dueDesc, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(dueAgeDesc, prometheus.GaugeValue, age)
}
