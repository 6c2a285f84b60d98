package identity

import "github.com/prometheus/client_golang/prometheus"

// metrics are the sign-in counters an operator watches: codes sent (an SMS
// bill, and an attack when "limited" climbs) and sign-ins by method and
// outcome.
type metrics struct {
	codes   *prometheus.CounterVec
	signIns *prometheus.CounterVec
}

func newMetrics() metrics {
	return metrics{
		codes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nuanxin_identity_codes_total",
			Help: "One-time codes asked for, by outcome: sent, limited (refused by a limit), gateway_failed.",
		}, []string{"outcome"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nuanxin_identity_sign_ins_total",
			Help: "Sign-ins by method (password, code, enrolment) and outcome (ok, enrolment, refused, error).",
		}, []string{"method", "outcome"}),
	}
}

// RegisterMetrics registers the service's counters with reg.
func (s *Service) RegisterMetrics(reg prometheus.Registerer) {
	reg.MustRegister(s.metrics.codes, s.metrics.signIns)
}
