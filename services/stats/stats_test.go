package stats_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/testenv"
	"github.com/nuanxin/nuanxin/services/stats"
)

// A small street, counted by hand: what a street admin reads.
func TestOverview_givesAStreetsCensusAsOfADate(t *testing.T) {
	h := newHarness(t)
	h.places()
	worker := func(id, community, occupation, status string, mobile bool) event.WorkerData {
		d := event.WorkerData{WorkerID: id, Street: "qishan", Community: community, Occupation: occupation, Platform: "meituan",
			PoliticalStatus: status, MobilePartyMember: mobile, Status: "active"}
		h.Publish(event.WorkerRegistered, "qishan", id, d)
		return d
	}
	worker("w1", "jianshelu", "courier", "masses", false)
	worker("w2", "jianshelu", "courier", "party_member", true)
	worker("w3", "tashan", "food_delivery", "applicant", false)
	left := worker("w4", "tashan", "food_delivery", "masses", false)
	left.Status = "left"
	h.Publish(event.WorkerLeft, "qishan", "w4", left)
	h.Publish(event.WorkerStatusChanged, "qishan", "w3", event.WorkerStatusChangedData{WorkerID: "w3", Street: "qishan",
		Community: "tashan", From: "applicant", To: "activist", EffectiveOn: "2026-11-02"})
	h.Publish(event.WorkerRegistered, "zhifu", "z2", event.WorkerData{WorkerID: "z2", Street: "zhifu", Community: "dongshan",
		Occupation: "courier", PoliticalStatus: "masses", Status: "active"})
	for i, ch := range []string{"online", "online", "station"} {
		h.Publish(event.WorkerCheckedIn, "qishan", "w1", event.CheckInData{WorkerID: "w1", Street: "qishan", Community: "jianshelu",
			Channel: ch, CheckedInAt: time.Date(2026, 11, 10+i, 2, 0, 0, 0, time.UTC)})
	}
	h.Publish(event.EnterpriseRegistered, "qishan", "e1", event.EnterpriseData{EnterpriseID: "e1", Kind: "express_outlet",
		Street: "qishan", Community: "jianshelu"})
	redeem := event.PointsData{EntryID: "p1", WorkerID: "w1", Street: "qishan", Community: "jianshelu", Kind: "redeem", Points: -400,
		RedemptionID: "r1", ItemID: "i1", Item: "雨衣", Quantity: 2, At: time.Now()}
	h.Publish(event.PointsRedeemed, "qishan", "w1", redeem)
	h.Publish(event.InboxStored, "qishan", "report", event.InboxStoredData{Street: "qishan", Category: "report", Count: 5,
		Cause: "event", At: time.Now()})
	h.Publish(event.BroadcastSent, "qishan", "b1", event.BroadcastSentData{BroadcastID: "b1", Street: "qishan", Category: "notice",
		Template: "t", Cause: "broadcast", Audience: 3, Reach: 3, StartedAt: time.Now(), FinishedAt: time.Now()})
	h.settle()

	f := h.overview(h.StreetAdmin("qishan"), q("scope", "street", "code", "qishan"))
	for _, c := range []struct {
		metric, key string
		want        float64
	}{
		{"workers", "", 3}, // w1, w2, w3, not the one who left nor zhifu's
		{"workers_left", "", 1},
		{"workers_by_occupation", "courier", 2},
		{"workers_by_occupation", "food_delivery", 1},
		{"party_members", "", 1},
		{"mobile_party_members", "", 1},
		{"candidates_by_stage", "activist", 1},
		{"candidates_by_stage", "applicant", 0},
		{"enterprises", "", 1},
		{"enterprises_by_kind", "express_outlet", 1},
		{"redemptions", "", 1},
		{"redemptions_by_item", "雨衣", 2},
		{"points_spent", "", 400},
		{"notifications_stored", "report", 5},
		{"broadcasts", "", 1},
		{"broadcast_reach", "", 3},
	} {
		if got := f.value(c.metric, c.key); got != c.want {
			t.Errorf("%s %s = %v, want %v", c.metric, c.key, got, c.want)
		}
	}
	// Check-ins are a flow: November's, as of the end of November.
	nov := h.overview(h.StreetAdmin("qishan"), q("scope", "street", "code", "qishan", "at", "2026-11-30"))
	if got := nov.value("checkins_by_channel", "online"); got != 2 {
		t.Errorf("online check-ins in November = %v, want 2", got)
	}
	if got := nov.value("checkins"); got != 3 {
		t.Errorf("check-ins in November = %v, want 3", got)
	}
	// As of a date before any of it: nothing.
	before := h.overview(h.StreetAdmin("qishan"), q("scope", "street", "code", "qishan", "at", "2026-11-01"))
	if got := before.value("checkins"); got != 0 {
		t.Errorf("check-ins as of 1 November = %v, want 0", got)
	}
	// A community's own figures.
	c := h.overview(h.Staff("qishan", "jianshelu"), q("scope", "community", "code", "jianshelu"))
	if got := c.value("workers"); got != 2 {
		t.Errorf("workers of 建设路社区 = %v, want 2", got)
	}
	// A district admin names the community alone.
	if got := h.overview(h.District(), q("scope", "community", "code", "jianshelu")).value("workers"); got != 2 {
		t.Errorf("workers of 建设路社区 as the district sees them = %v, want 2", got)
	}
	// The district sees both streets.
	d := h.overview(h.District(), q("scope", "district"))
	if got := d.value("workers"); got != 4 {
		t.Errorf("workers of the district = %v, want 5", got)
	}
}

// Each event counts once however often it arrives.
func TestRedelivery_countsEachEventOnce(t *testing.T) {
	h := newHarness(t)
	h.places()
	w := newWorld(7, 40)
	h.interleave(w)
	h.settle()
	want := h.dump()
	// Every event of the streams again, under new message ids (past the
	// stream's duplicate window, as a producer's retry would be).
	for _, service := range stats.Streams {
		for _, m := range h.Messages(service) {
			name, err := m.Envelope.Name()
			if err != nil {
				t.Fatal(err)
			}
			h.Republish(name, m.Envelope)
		}
	}
	h.settle()
	if d := diff(want, h.dump()); d != "" {
		t.Errorf("figures changed when every event came again:\n%s", d)
	}
	if len(want) == 0 {
		t.Fatal("the world counted nothing")
	}
}

// The streams are consumed independently, so one stream's events may be
// counted long before another's: a worker's points and check-ins before
// their registration. The figures come out the same.
func TestOutOfOrder_acrossStreams_givesTheSameFigures(t *testing.T) {
	w := newWorld(11, 40)
	inOrder := newHarness(t)
	inOrder.places()
	inOrder.publishWorld(w, "registry", "activity", "points", "notification")
	reversed := newHarness(t)
	reversed.places()
	reversed.publishWorld(w, "notification", "points", "activity", "registry")
	mixed := newHarness(t)
	mixed.places()
	mixed.interleave(w)
	inOrder.settle()
	reversed.settle()
	mixed.settle()
	want := inOrder.dump()
	if d := diff(want, reversed.dump()); d != "" {
		t.Errorf("streams in reverse order counted differently:\n%s", d)
	}
	if d := diff(want, mixed.dump()); d != "" {
		t.Errorf("streams interleaved counted differently:\n%s", d)
	}
}

// A rebuild started while events keep arriving ends with exactly the
// figures the live projection gives.
func TestRebuild_whileEventsArrive_givesTheLiveFigures(t *testing.T) {
	w1, w2 := newWorld(21, 60), newWorld(22, 60)
	// The truth: both worlds counted live, never rebuilt.
	live := newHarness(t)
	live.places()
	live.interleave(w1)
	live.interleave(w2)
	live.settle()
	want := live.dump()

	h := newHarness(t, harnessOpts{chunk: 50}) // small chunks: the rebuild takes many rounds
	h.places()
	h.interleave(w1)
	h.settle()
	before := h.Must(202, "POST", "/v1/stats/rebuild", h.District(), nil)
	if before.Body["rebuilding"] != true {
		t.Fatalf("rebuild answered %v", before.Body)
	}
	h.interleave(w2) // while it runs
	h.settle()
	if d := diff(want, h.dump()); d != "" {
		t.Errorf("the rebuilt figures differ from the live ones:\n%s", d)
	}
	st := h.Must(200, "GET", "/v1/stats/rebuild", h.District(), nil)
	if st.Num("generation") != 1 || st.Body["last_rebuilt_at"] == nil {
		t.Errorf("after a rebuild the figures are %v", st.Body)
	}
}

// The streams keep a year of events; the archive keeps them all, so a
// rebuild after the streams have forgotten gives the same figures.
func TestRebuild_afterTheStreamsForgot_givesTheSameFigures(t *testing.T) {
	h := newHarness(t)
	h.places()
	h.interleave(newWorld(31, 40))
	h.settle()
	want := h.dump()
	for _, service := range stats.Streams {
		s, err := h.JS.Stream(h.ctx, h.Subjects.Stream(service))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Purge(h.ctx); err != nil { // as MaxAge would, a year on
			t.Fatal(err)
		}
	}
	h.Must(202, "POST", "/v1/stats/rebuild", h.District(), nil)
	h.settle()
	if d := diff(want, h.dump()); d != "" {
		t.Errorf("the figures rebuilt from the archive differ:\n%s", d)
	}
}

// A new version of the figures is rolled out by a rebuild on start.
func TestFiguresOfAnotherVersion_areRebuiltOnStart(t *testing.T) {
	h := newHarness(t)
	h.places()
	h.interleave(newWorld(41, 20))
	h.settle()
	want := h.dump()
	// Figures as an older version of the code left them: wrong, and marked.
	if _, err := h.env.Pool.Exec(h.ctx, `UPDATE state SET current_version = 0;
		UPDATE daily SET value = value + 1000; UPDATE monthly SET value = value + 1000`); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, func() bool {
		st, err := stats.ReadStatus(h.ctx, h.env.Pool)
		return err == nil && st.Version == stats.FiguresVersion && !st.Rebuilding && st.Generation > 0
	})
	h.settle()
	if d := diff(want, h.dump()); d != "" {
		t.Errorf("the figures were not rebuilt to this version's:\n%s", d)
	}
}

// Figures are staff's: a worker sees none, staff see their own area.
func TestScope_eachSeesTheirOwnArea(t *testing.T) {
	h := newHarness(t)
	h.places()
	h.settle()
	for _, c := range []struct {
		name   string
		token  string
		query  string
		status int
		field  string
	}{
		{"a worker", h.Worker("w1"), q("scope", "street", "code", "qishan"), 403, ""},
		{"a street admin, the district", h.StreetAdmin("qishan"), q("scope", "district"), 403, ""},
		{"a street admin, another street", h.StreetAdmin("qishan"), q("scope", "street", "code", "zhifu"), 422, "code"},
		{"a street admin, another street's community", h.StreetAdmin("qishan"), q("scope", "community", "code", "dongshan"), 422, "code"},
		{"community staff, their street", h.Staff("qishan", "jianshelu"), q("scope", "street", "code", "qishan"), 403, ""},
		{"community staff, another community", h.Staff("qishan", "jianshelu"), q("scope", "community", "code", "tashan"), 422, "code"},
		{"the district, a street that does not exist", h.District(), q("scope", "street", "code", "nowhere"), 422, "code"},
		{"an unknown scope", h.District(), q("scope", "city"), 422, "scope"},
		{"a date that is not one", h.District(), q("scope", "district", "at", "2026-02-30"), 422, "at"},
		{"a parameter no one reads", h.District(), q("scope", "district", "street", "qishan"), 400, ""},
		{"the district", h.District(), q("scope", "district"), 200, ""},
		{"a street admin, their street", h.StreetAdmin("qishan"), q("scope", "street", "code", "qishan"), 200, ""},
		{"a street admin, their community", h.StreetAdmin("qishan"), q("scope", "community", "code", "tashan"), 200, ""},
		{"community staff, by default", h.Staff("qishan", "jianshelu"), "", 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := h.Do("GET", "/v1/stats/overview?"+c.query, c.token, nil)
			if r.Status != c.status {
				t.Fatalf("answered %d %v, want %d", r.Status, r.Body, c.status)
			}
			if c.field != "" && r.Field() != c.field {
				t.Errorf("the problem names %q, want %q: %v", r.Field(), c.field, r.Body)
			}
		})
	}
	for _, path := range []string{"/v1/stats/rebuild"} {
		if r := h.Do("POST", path, h.StreetAdmin("qishan"), nil); r.Status != 403 {
			t.Errorf("a street admin's rebuild answered %d", r.Status)
		}
	}
}

// Every event of the catalog is counted by some figure or listed as
// ignored, with a reason: a new event type cannot be forgotten.
func TestCatalog_everyEventIsCountedOrIgnored(t *testing.T) {
	nameRe := regexp.MustCompile(`Name\{"([a-z_]+)", "([a-z_]+)", "([a-z_]+)"\}`)
	sources, _ := filepath.Glob("../../pkg/event/catalog_*.go")
	var n int
	for _, f := range sources {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range nameRe.FindAllStringSubmatch(string(src), -1) {
			n++
			name := event.Name{Service: m[1], Entity: m[2], Verb: m[3]}
			if !stats.Counts(name) && stats.Ignored[name] == "" {
				t.Errorf("%s is neither counted by a figure nor ignored with a reason (services/stats/project.go)", name.Type())
			}
		}
	}
	if n < 30 {
		t.Fatalf("found %d events in the catalog", n)
	}
}

// A pairing belongs to its worker's community: when the worker moves to
// another street, the pairing is counted there, as the registry lists it.
func TestPairing_movesWithItsWorker(t *testing.T) {
	h := newHarness(t)
	h.places()
	h.Publish(event.WorkerRegistered, "qishan", "w1", event.WorkerData{WorkerID: "w1", Street: "qishan", Community: "tashan",
		Occupation: "courier", PoliticalStatus: "masses", Status: "active"})
	for _, p := range []string{"p1", "p2"} {
		h.Publish(event.PairingCreated, "qishan", p, event.PairingData{PairingID: p, WorkerID: "w1", StaffSubject: "s",
			Street: "qishan", Community: "tashan", CreatedAt: time.Now()})
	}
	ended := time.Now()
	h.Publish(event.PairingEnded, "qishan", "p2", event.PairingData{PairingID: "p2", WorkerID: "w1", StaffSubject: "s",
		Street: "qishan", Community: "tashan", CreatedAt: time.Now(), EndedAt: &ended})
	move := event.WorkerTransferredData{WorkerID: "w1", FromStreet: "qishan", FromCommunity: "tashan", ToStreet: "zhifu",
		ToCommunity: "dongshan", PoliticalStatus: "masses", EffectiveOn: time.Now().In(stats.Shanghai).Format(time.DateOnly)}
	h.Publish(event.WorkerTransferred, "qishan", "w1", move)
	h.Publish(event.WorkerTransferred, "zhifu", "w1", move)
	h.settle()
	for _, c := range []struct {
		scope, code string
		want        float64
	}{{"street", "qishan", 0}, {"community", "tashan", 0}, {"street", "zhifu", 1}, {"community", "dongshan", 1}, {"district", "", 1}} {
		if got := h.overview(h.District(), q("scope", c.scope, "code", c.code)).value("pairings"); got != c.want {
			t.Errorf("pairings of %s %s = %v, want %v", c.scope, c.code, got, c.want)
		}
	}
}

// A figure month by month: a flow's months, a stock's level at each
// month's end; bad requests name the parameter at fault.
func TestSeries_givesEachMonthAndRefusesWhatItCannotAnswer(t *testing.T) {
	h := newHarness(t, harnessOpts{now: time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC)})
	h.places()
	for i, at := range []time.Time{time.Date(2026, 9, 30, 20, 0, 0, 0, time.UTC), // 1 October in Shanghai
		time.Date(2026, 10, 12, 2, 0, 0, 0, time.UTC), time.Date(2026, 11, 3, 2, 0, 0, 0, time.UTC)} {
		h.Publish(event.WorkerCheckedIn, "qishan", "w1", event.CheckInData{WorkerID: fmt.Sprint("w", i), Street: "qishan",
			Community: "tashan", Channel: "online", CheckedInAt: at})
	}
	h.settle()
	r := h.Must(200, "GET", "/v1/stats/series?"+q("metric", "checkins", "scope", "street", "code", "qishan", "from", "2026-09", "to", "2026-11"),
		h.StreetAdmin("qishan"), nil)
	points, _ := r.Body["points"].([]any)
	var got []string
	for _, p := range points {
		m := p.(map[string]any)
		got = append(got, fmt.Sprintf("%s=%v", m["month"], m["value"]))
	}
	if want := "2026-09=0 2026-10=2 2026-11=1"; strings.Join(got, " ") != want {
		t.Errorf("check-ins by month: %v, want %s", got, want)
	}
	// By default the twelve months to the service's today.
	r = h.Must(200, "GET", "/v1/stats/series?"+q("metric", "checkins", "scope", "district"), h.District(), nil)
	if r.Str("from") != "2025-12" || r.Str("to") != "2026-11" || len(r.Body["points"].([]any)) != 12 {
		t.Errorf("default series: from %s to %s, %d points", r.Str("from"), r.Str("to"), len(r.Body["points"].([]any)))
	}
	for _, c := range []struct {
		name, query, field string
	}{
		{"no figure", q("scope", "district"), "metric"},
		{"an unknown figure", q("metric", "happiness", "scope", "district"), "metric"},
		{"as of a date only", q("metric", "tasks_overdue", "scope", "district"), "metric"},
		{"a month that is not one", q("metric", "checkins", "scope", "district", "from", "2026-13"), "from"},
		{"from after to", q("metric", "checkins", "scope", "district", "from", "2026-11", "to", "2026-01"), "from"},
		{"more than ten years", q("metric", "checkins", "scope", "district", "from", "2010-01", "to", "2026-11"), "from"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := h.Do("GET", "/v1/stats/series?"+c.query, h.District(), nil)
			if r.Status != 422 || r.Field() != c.field {
				t.Errorf("answered %d naming %q, want 422 naming %q: %v", r.Status, r.Field(), c.field, r.Body)
			}
		})
	}
}

// A self-registered worker counts from registration; a clerk's rejection
// takes them out of every stock figure (as a departure does, but it is no
// departure: workers_left does not count it), and a confirmation changes
// nothing.
func TestRejectedSelfRegistration_noLongerCounts(t *testing.T) {
	h := newHarness(t)
	h.places()
	self := func(id string) event.WorkerData {
		d := event.WorkerData{WorkerID: id, Street: "qishan", Community: "tashan", Occupation: "food_delivery", Platform: "meituan",
			PoliticalStatus: "masses", Status: "active", SelfRegistered: true, Confirmation: "awaiting", MobileMatch: "ab" + id}
		h.Publish(event.WorkerRegistered, "qishan", id, d)
		return d
	}
	kept, rejected := self("s1"), self("s2")
	self("s3")
	kept.Confirmation = "confirmed"
	h.Publish(event.WorkerConfirmed, "qishan", "s1", kept)
	rejected.Confirmation, rejected.Status = "rejected", "rejected"
	h.Publish(event.WorkerRejected, "qishan", "s2", rejected)
	h.settle()

	f := h.overview(h.StreetAdmin("qishan"), q("scope", "street", "code", "qishan"))
	for _, c := range []struct {
		metric, key string
		want        float64
	}{
		{"workers", "", 2}, // s1 confirmed, s3 awaiting; not s2
		{"workers_by_occupation", "food_delivery", 2},
		{"workers_by_platform", "meituan", 2},
		{"workers_by_political_status", "masses", 2},
		{"workers_left", "", 0},
	} {
		if got := f.value(c.metric, c.key); got != c.want {
			t.Errorf("%s %s = %v, want %v", c.metric, c.key, got, c.want)
		}
	}
}
