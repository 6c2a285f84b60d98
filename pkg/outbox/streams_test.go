package outbox_test

import (
	"slices"
	"testing"
	"time"

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

// A full stream refuses the relay's publishes (discard new): the events
// wait in the outbox, none is lost or published out of order, and all go
// out once the limit is raised.
func TestRelay_aFullStreamKeepsEventsInTheOutboxUntilThereIsRoom(t *testing.T) {
	e := setup(t, "")
	const small = 4 << 10 // room for a few events of about 600 bytes
	if err := e.subj.EnsureStreamsWith(e.ctx, e.js, "registry", 1, event.StreamLimits{MaxBytes: small}); err != nil {
		t.Fatal(err)
	}
	var ws []written
	for i := range 20 {
		ws = append(ws, e.write(t, i, nil))
	}
	reg := prometheus.NewRegistry()
	run(t, &outbox.Relay{Pool: e.pool, JS: e.js, Metrics: outbox.NewMetrics(reg), PollInterval: 100 * time.Millisecond, AckTimeout: 2 * time.Second})

	eventually(t, 30*time.Second, "the relay refused by the full stream", func() bool {
		return counter(t, reg, "nuanxin_outbox_publish_failures_total") > 0
	})
	inStream, left := e.streamCount(t), e.outboxRows(t)
	if inStream == 0 || left == 0 || int(inStream)+left != len(ws) {
		t.Fatalf("%d events in the stream and %d in the outbox, want some of each and %d in all", inStream, left, len(ws))
	}

	if err := e.subj.EnsureStreamsWith(e.ctx, e.js, "registry", 1, event.StreamLimits{MaxBytes: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the outbox emptied once the stream had room", func() bool { return e.outboxRows(t) == 0 })
	if got, want := e.streamEventIDs(t), byRowID(ws); !slices.Equal(got, want) {
		t.Errorf("stream holds\n%v\nwant every event once, in commit order\n%v", got, want)
	}
}

// counter reads an unlabelled counter from reg (0 when absent).
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return 0
}
