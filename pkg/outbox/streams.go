package outbox

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	streamBytesDesc = prometheus.NewDesc("nuanxin_stream_bytes",
		"Bytes the stream holds now.", []string{"stream"}, nil)
	streamMaxBytesDesc = prometheus.NewDesc("nuanxin_stream_max_bytes",
		"The stream's byte limit; when reached it refuses new events and the outbox backs up.", []string{"stream"}, nil)
	streamMessagesDesc = prometheus.NewDesc("nuanxin_stream_messages",
		"Messages the stream holds now.", []string{"stream"}, nil)
)

// RegisterStreamUsage exports how full each of the streams is (bytes held,
// byte limit, messages), read from JetStream at each scrape, so an alert can
// fire before a stream reaches its limit and starts refusing events. A
// stream that cannot be read (NATS down, stream not created yet) has no
// samples in that scrape rather than stale ones.
func RegisterStreamUsage(reg prometheus.Registerer, js jetstream.JetStream, streams ...string) {
	reg.MustRegister(streamCollector{js: js, streams: streams})
}

type streamCollector struct {
	js      jetstream.JetStream
	streams []string
}

func (c streamCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- streamBytesDesc
	ch <- streamMaxBytesDesc
	ch <- streamMessagesDesc
}

func (c streamCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, name := range c.streams {
		info, err := c.streamInfo(ctx, name)
		if err != nil {
			ch <- prometheus.NewInvalidMetric(streamBytesDesc, err)
			continue
		}
		ch <- prometheus.MustNewConstMetric(streamBytesDesc, prometheus.GaugeValue, float64(info.State.Bytes), name)
		ch <- prometheus.MustNewConstMetric(streamMessagesDesc, prometheus.GaugeValue, float64(info.State.Msgs), name)
		if info.Config.MaxBytes > 0 {
			// No sample for an unlimited stream: "bytes / max" has no meaning.
			ch <- prometheus.MustNewConstMetric(streamMaxBytesDesc, prometheus.GaugeValue, float64(info.Config.MaxBytes), name)
		}
	}
}

func (c streamCollector) streamInfo(ctx context.Context, name string) (*jetstream.StreamInfo, error) {
	st, err := c.js.Stream(ctx, name)
	if err != nil {
		return nil, err
	}
	return st.Info(ctx)
}
