package points

import "github.com/prometheus/client_golang/prometheus"

// ledgerMetrics are the ledger's business counters, counted once the entries'
// transaction has committed.
type ledgerMetrics struct {
	entries *prometheus.CounterVec // entries posted, by kind
	points  *prometheus.CounterVec // points moved, by kind (absolute)
	stars   prometheus.Counter     // star level changes
}

func newMetrics(reg prometheus.Registerer) *ledgerMetrics {
	m := &ledgerMetrics{
		entries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nuanxin_points_entries_total",
			Help: "Ledger entries posted, by kind (earn, reverse, redeem, refund, adjust)."}, []string{"kind"}),
		points: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nuanxin_points_points_total",
			Help: "Points moved by ledger entries, by kind; reversals and redemptions counted as positive amounts."}, []string{"kind"}),
		stars: prometheus.NewCounter(prometheus.CounterOpts{Name: "nuanxin_points_star_changes_total",
			Help: "Workers whose star level changed."}),
	}
	// Every kind is shown from the start, at zero, so rates work before the
	// first entry of a kind.
	for _, k := range []string{KindEarn, KindReverse, KindRedeem, KindRefund, KindAdjust} {
		m.entries.WithLabelValues(k)
		m.points.WithLabelValues(k)
	}
	if reg != nil {
		reg.MustRegister(m.entries, m.points, m.stars)
	}
	return m
}

// count records what a committed Book posted.
func (m *ledgerMetrics) count(b *Book) {
	for _, e := range b.posted {
		m.entries.WithLabelValues(e.kind).Inc()
		m.points.WithLabelValues(e.kind).Add(float64(max(e.points, -e.points)))
	}
	m.stars.Add(float64(b.starChanges))
}
