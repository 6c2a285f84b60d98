package activity_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/registry"
)

// projected reads the projection row of a worker ("" when absent).
func (h *harness) projected(id string) (street, community, status string) {
	h.t.Helper()
	_ = h.Pool.QueryRow(h.ctx, "SELECT street, community, status FROM workers WHERE id = $1", id).Scan(&street, &community, &status)
	return
}

func TestProjection_followsRealRegistryEvents(t *testing.T) {
	h := newHarness(t)
	reg := h.registryService()
	ctx := context.Background()
	admin := auth.Principal{Role: auth.DistrictAdmin, Subject: "test"}
	if _, err := reg.CreateStreet(ctx, admin, registry.StreetInput{Code: "qishan", Name: "奇山街道"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"tashan", "changsheng"} {
		if _, err := reg.CreateCommunity(ctx, admin, "qishan", registry.CommunityInput{Code: c, Name: c}); err != nil {
			t.Fatal(err)
		}
	}
	w, err := reg.RegisterWorker(ctx, admin, registry.WorkerInput{Name: "王海涛", Mobile: "13953501201",
		IDNumber: "11010519491231002X", Occupation: "food_delivery", Community: "tashan"})
	if err != nil {
		t.Fatal(err)
	}
	id := w.ID.String()
	testenv.Eventually(t, 15*time.Second, func() bool { s, c, st := h.projected(id); return s == "qishan" && c == "tashan" && st == "active" })

	if _, err := reg.TransferWorker(ctx, admin, w.ID, registry.TransferInput{Community: "changsheng", Reason: "换了配送站"}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 15*time.Second, func() bool { _, c, _ := h.projected(id); return c == "changsheng" })

	if _, err := reg.LeaveWorker(ctx, admin, w.ID, registry.LeaveInput{Reason: "回老家"}); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 15*time.Second, func() bool { _, _, st := h.projected(id); return st == "left" })
}

// A registry event delivered five times changes the projection once: the
// inbox holds one row for it and the other four are counted as duplicates.
func TestProjection_eventRedeliveredFiveTimesChangesOnce(t *testing.T) {
	h := newHarness(t)
	reg := h.registryService()
	ctx := context.Background()
	admin := auth.Principal{Role: auth.DistrictAdmin, Subject: "test"}
	reg.CreateStreet(ctx, admin, registry.StreetInput{Code: "qishan", Name: "奇山街道"})
	reg.CreateCommunity(ctx, admin, "qishan", registry.CommunityInput{Code: "tashan", Name: "塔山社区"})
	w, err := reg.RegisterWorker(ctx, admin, registry.WorkerInput{Name: "李明辉", Mobile: "15153572306",
		IDNumber: "11010519491231002X", Occupation: "courier", Community: "tashan"})
	if err != nil {
		t.Fatal(err)
	}
	id := w.ID.String()
	testenv.Eventually(t, 15*time.Second, func() bool { _, _, st := h.projected(id); return st == "active" })

	// Take the real worker.registered message off the registry stream and
	// deliver it four more times (new message ids, so the stream keeps them).
	st, err := h.JS.Stream(ctx, h.Subjects.Stream("registry"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.GetLastMsgForSubject(ctx, h.Subjects.For(event.WorkerRegistered, "qishan"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		msg := &nats.Msg{Subject: m.Subject, Data: m.Data, Header: nats.Header{}}
		if _, err := h.JS.PublishMsg(ctx, msg, jetstream.WithMsgID(m.Header.Get("Nats-Msg-Id")+"-again-"+string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	// Meanwhile the projection moved on: an older copy must not roll it back.
	h.Pool.Exec(ctx, "UPDATE workers SET community = 'moved-on', event_time = now() WHERE id = $1", id)

	testenv.Eventually(t, 15*time.Second, func() bool {
		return h.gauge("nuanxin_consumer_messages_total", "duplicate") == 4
	})
	if n := h.count("SELECT count(*) FROM inbox WHERE event_id = (SELECT event_id FROM inbox ORDER BY processed_at LIMIT 1)"); n != 1 {
		t.Errorf("inbox rows for the event = %d", n)
	}
	if _, c, _ := h.projected(id); c != "moved-on" {
		t.Errorf("a redelivered event changed the projection again: community %q", c)
	}
}

// gauge sums a consumer counter's samples with the given outcome label.
func (h *harness) gauge(name, outcome string) float64 {
	h.t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		h.t.Fatal(err)
	}
	total := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == outcome {
					total += m.GetCounter().GetValue()
				}
			}
		}
	}
	return total
}
