package registry

import "github.com/prometheus/client_golang/prometheus"

// Business counters are derived from the outbox events the store writes,
// so they count what was committed, never a request that failed halfway.
// They are registered with the service's registry by RegisterMetrics.
type businessMetrics struct {
	events *prometheus.CounterVec
}

func newBusinessMetrics(reg prometheus.Registerer) *businessMetrics {
	m := &businessMetrics{events: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "nuanxin_registry_events_total",
		Help: "Registry changes committed, by event type and street (workers registered, check-ins, ...).",
	}, []string{"type", "street"})}
	reg.MustRegister(m.events)
	return m
}

func (m *businessMetrics) committed(evs []pending) {
	if m == nil {
		return
	}
	for _, e := range evs {
		m.events.WithLabelValues(e.name.Type(), e.street).Inc()
	}
}
