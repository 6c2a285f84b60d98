package outbox_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func TestRegisterStreamUsage_reportsBytesAndLimitOfEachStream(t *testing.T) {
	js := connect(t, testenv.NATS(t))
	subj := event.Subjects{Namespace: "t" + testenv.Unique()}
	limits := event.StreamLimits{MaxBytes: 1 << 20, DeadLetterMaxBytes: 256 << 10}
	if err := subj.EnsureStreamsWith(t.Context(), js, "registry", 1, limits); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := js.Publish(t.Context(), subj.For(event.WorkerCheckedIn, "qishan"), []byte(`{"specversion":"1.0"}`)); err != nil {
			t.Fatal(err)
		}
	}
	registry, dead, missing := subj.Stream("registry"), subj.DeadLetterStream(), subj.Stream("nosuch")
	st, err := js.Stream(t.Context(), registry)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	reg := prometheus.NewRegistry()
	outbox.RegisterStreamUsage(reg, js, registry, dead, missing)
	// The stream that cannot be read makes Gather report an error (the
	// /metrics handler carries on without its samples); the others are there.
	families, _ := reg.Gather()
	got := gauges(families)

	tests := []struct {
		series string
		want   float64
	}{
		{`nuanxin_stream_bytes{stream="` + registry + `"}`, float64(info.State.Bytes)},
		{`nuanxin_stream_messages{stream="` + registry + `"}`, 3},
		{`nuanxin_stream_max_bytes{stream="` + registry + `"}`, 1 << 20},
		{`nuanxin_stream_bytes{stream="` + dead + `"}`, 0},
		{`nuanxin_stream_max_bytes{stream="` + dead + `"}`, 256 << 10},
	}
	for _, tt := range tests {
		if v, ok := got[tt.series]; !ok || v != tt.want {
			t.Errorf("%s = %v (present %v), want %v", tt.series, v, ok, tt.want)
		}
	}
	if info.State.Bytes == 0 {
		t.Error("the stream holds 3 events but 0 bytes")
	}
	for _, name := range []string{"nuanxin_stream_bytes", "nuanxin_stream_max_bytes"} {
		if _, ok := got[name+`{stream="`+missing+`"}`]; ok {
			t.Errorf("%s has a sample for a stream that does not exist", name)
		}
	}
}

// gauges flattens gathered gauge families to `name{label="value"}` → value.
func gauges(families []*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			key := f.GetName()
			if len(m.GetLabel()) > 0 {
				key += "{"
				for i, l := range m.GetLabel() {
					if i > 0 {
						key += ","
					}
					key += l.GetName() + `="` + l.GetValue() + `"`
				}
				key += "}"
			}
			if m.GetGauge() != nil {
				out[key] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}
