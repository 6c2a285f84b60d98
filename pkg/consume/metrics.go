package consume

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the consumer runner's Prometheus series, labelled by consumer.
// A nil *Metrics records nothing.
type Metrics struct {
	handledN     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	redeliveries *prometheus.CounterVec
	dead         *prometheus.CounterVec
	pending      *prometheus.GaugeVec
	ackPending   *prometheus.GaugeVec
	batchSize    *prometheus.HistogramVec
}

// NewMetrics registers the consumer series with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		handledN: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nuanxin_consumer_messages_total", Help: "Messages settled, by consumer and outcome (handled, duplicate, retry).",
		}, []string{"consumer", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "nuanxin_consumer_handle_seconds", Help: "Time from taking a message to settling it, including its (batch's) transaction.",
			Buckets: prometheus.DefBuckets,
		}, []string{"consumer"}),
		redeliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nuanxin_consumer_redeliveries_total", Help: "Messages delivered more than once.",
		}, []string{"consumer"}),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nuanxin_consumer_dead_letters_total", Help: "Messages moved to the dead-letter subject.",
		}, []string{"consumer"}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "nuanxin_consumer_pending", Help: "Messages in the stream not yet delivered to the consumer (its lag).",
		}, []string{"consumer"}),
		ackPending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "nuanxin_consumer_ack_pending", Help: "Messages delivered and awaiting acknowledgement.",
		}, []string{"consumer"}),
		batchSize: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "nuanxin_consumer_batch_messages", Help: "Messages taken together to be handled in one transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10), // 1 … 512
		}, []string{"consumer"}),
	}
	reg.MustRegister(m.handledN, m.duration, m.redeliveries, m.dead, m.pending, m.ackPending, m.batchSize)
	return m
}

// start creates the consumer's counters at zero, so the first dead letter
// is an increase a rate or an alert can see.
func (m *Metrics) start(consumer string) {
	if m == nil {
		return
	}
	m.redeliveries.WithLabelValues(consumer)
	m.dead.WithLabelValues(consumer)
	for _, outcome := range []string{"handled", "duplicate", "retry"} {
		m.handledN.WithLabelValues(consumer, outcome)
	}
}

func (m *Metrics) handled(consumer, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.handledN.WithLabelValues(consumer, outcome).Inc()
	m.duration.WithLabelValues(consumer).Observe(d.Seconds())
}

func (m *Metrics) batch(consumer string, size int) {
	if m == nil {
		return
	}
	m.batchSize.WithLabelValues(consumer).Observe(float64(size))
}

func (m *Metrics) redelivered(consumer string) {
	if m == nil {
		return
	}
	m.redeliveries.WithLabelValues(consumer).Inc()
}

func (m *Metrics) deadLettered(consumer string) {
	if m == nil {
		return
	}
	m.dead.WithLabelValues(consumer).Inc()
}

func (m *Metrics) lag(consumer string, pending, ackPending uint64) {
	if m == nil {
		return
	}
	m.pending.WithLabelValues(consumer).Set(float64(pending))
	m.ackPending.WithLabelValues(consumer).Set(float64(ackPending))
}
