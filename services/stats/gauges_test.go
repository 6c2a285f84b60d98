package stats_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/services/stats"
)

// gaugeNames are the headline gauges, each one series per street.
var gaugeNames = []string{
	"nuanxin_stats_workers", "nuanxin_stats_party_members", "nuanxin_stats_mobile_party_members",
	"nuanxin_stats_stations", "nuanxin_stats_pairings", "nuanxin_stats_reports_open",
	"nuanxin_stats_checkins_month", "nuanxin_stats_service_hours_month",
	"nuanxin_stats_reports_submitted_month", "nuanxin_stats_points_earned_month",
}

// gathered reads the headline gauges of reg by name and street, failing
// the test on a series with any label but street.
func gathered(t *testing.T, reg prometheus.Gatherer) map[string]map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	wanted := map[string]bool{}
	for _, n := range gaugeNames {
		wanted[n] = true
	}
	out := map[string]map[string]float64{}
	for _, f := range families {
		if !wanted[f.GetName()] {
			continue
		}
		if f.GetType().String() != "GAUGE" {
			t.Errorf("%s is a %s, want a gauge", f.GetName(), f.GetType())
		}
		series := map[string]float64{}
		for _, m := range f.GetMetric() {
			street := "?"
			for _, l := range m.GetLabel() {
				if l.GetName() != "street" {
					t.Errorf("%s has a label %s=%q; only street is allowed", f.GetName(), l.GetName(), l.GetValue())
					continue
				}
				street = l.GetValue()
			}
			if _, dup := series[street]; dup {
				t.Errorf("%s has two series for street %q", f.GetName(), street)
			}
			series[street] = m.GetGauge().GetValue()
		}
		out[f.GetName()] = series
	}
	return out
}

// Each street's headline figures as of today, one series per street of the
// streets table (a street with nothing yet at zero), labelled only by the
// street's code: no community, no district series.
func TestFigureGauges_givePerStreetHeadlinesAsOfToday(t *testing.T) {
	h := newHarness(t)
	stats.RegisterFigureGauges(h.env.Metrics, h.env.Pool)
	h.places()
	h.Publish(event.StreetCreated, "huangwu", "huangwu", event.StreetData{Code: "huangwu", Name: "黄务街道"})
	now := time.Now()
	lastMonth := now.AddDate(0, 0, -40) // in an earlier month, whatever today is

	worker := func(id, street, community, status string, mobile bool) event.WorkerData {
		d := event.WorkerData{WorkerID: id, Street: street, Community: community, Occupation: "courier", Platform: "meituan",
			PoliticalStatus: status, MobilePartyMember: mobile, Status: "active"}
		h.Publish(event.WorkerRegistered, street, id, d)
		return d
	}
	checkIn := func(id, street, community string, at time.Time) {
		h.Publish(event.WorkerCheckedIn, street, id, event.CheckInData{WorkerID: id, Street: street, Community: community,
			Channel: "online", CheckedInAt: at})
	}
	report := func(id, street, community string, to ...string) {
		h.Publish(event.ReportSubmitted, street, id, event.ReportSubmittedData{ReportID: id, Street: street, Community: community,
			Category: "traffic", Lat: 37.5, Lng: 121.4, DueAt: now.Add(72 * time.Hour), WorkerID: "w1"})
		from := "submitted"
		for _, s := range to {
			h.Publish(event.ReportStatusChanged, street, id, event.ReportStatusChangedData{ReportID: id, Street: street,
				Community: community, Category: "traffic", From: from, To: s, WorkerID: "w1"})
			from = s
		}
	}

	// 奇山街道: two workers (a mobile party member among them) and one who
	// left; three check-ins, one of them last month; a station; three
	// reports, one open; 1.5 hours served and 15 points earned.
	worker("w1", "qishan", "jianshelu", "party_member", true)
	worker("w2", "qishan", "tashan", "masses", false)
	left := worker("w3", "qishan", "tashan", "masses", false)
	left.Status = "left"
	h.Publish(event.WorkerLeft, "qishan", "w3", left)
	checkIn("w1", "qishan", "jianshelu", now)
	checkIn("w2", "qishan", "tashan", now)
	checkIn("w1", "qishan", "jianshelu", lastMonth)
	h.Publish(event.StationOpened, "qishan", "s1", event.StationData{StationID: "s1", Kind: "warm_station",
		Street: "qishan", Community: "tashan", Lat: 37.5, Lng: 121.4, Facilities: []string{"water"}})
	report("r1", "qishan", "jianshelu", "accepted")
	report("r2", "qishan", "jianshelu", "accepted", "resolved", "closed")
	report("r3", "qishan", "tashan", "merged")
	h.Publish(event.AttendanceRecorded, "qishan", "a1", event.AttendanceData{ActivityID: "a1", WorkerID: "w1", Street: "qishan",
		Kind: "study", Hours: 1.5, VolunteerService: true, CheckedInAt: now.Add(-2 * time.Hour), CheckedOutAt: now.Add(-30 * time.Minute)})
	h.Publish(event.PointsEarned, "qishan", "w1", event.PointsData{EntryID: "e1", WorkerID: "w1", Street: "qishan",
		Community: "jianshelu", Kind: "earn", Points: 15, Hours: 1.5, At: now.Add(-30 * time.Minute)})

	// 芝罘街道: a party member, checked in last month only; a pairing; a
	// report rejected.
	worker("z1", "zhifu", "dongshan", "party_member", false)
	checkIn("z1", "zhifu", "dongshan", lastMonth)
	h.Publish(event.PairingCreated, "zhifu", "p1", event.PairingData{PairingID: "p1", WorkerID: "z1", StaffSubject: "staff-1",
		Street: "zhifu", Community: "dongshan", CreatedAt: now})
	report("r4", "zhifu", "dongshan", "rejected")
	h.settle()

	got := gathered(t, h.env.Metrics)
	want := map[string]map[string]float64{
		"nuanxin_stats_workers":                 {"qishan": 2, "zhifu": 1, "huangwu": 0},
		"nuanxin_stats_party_members":           {"qishan": 1, "zhifu": 1, "huangwu": 0},
		"nuanxin_stats_mobile_party_members":    {"qishan": 1, "zhifu": 0, "huangwu": 0},
		"nuanxin_stats_stations":                {"qishan": 1, "zhifu": 0, "huangwu": 0},
		"nuanxin_stats_pairings":                {"qishan": 0, "zhifu": 1, "huangwu": 0},
		"nuanxin_stats_reports_open":            {"qishan": 1, "zhifu": 0, "huangwu": 0},
		"nuanxin_stats_checkins_month":          {"qishan": 2, "zhifu": 0, "huangwu": 0},
		"nuanxin_stats_service_hours_month":     {"qishan": 1.5, "zhifu": 0, "huangwu": 0},
		"nuanxin_stats_reports_submitted_month": {"qishan": 3, "zhifu": 1, "huangwu": 0},
		"nuanxin_stats_points_earned_month":     {"qishan": 15, "zhifu": 0, "huangwu": 0},
	}
	for _, name := range gaugeNames {
		series, ok := got[name]
		if !ok {
			t.Errorf("%s is missing", name)
			continue
		}
		if len(series) != len(want[name]) {
			t.Errorf("%s has series for %v, want one for each of the 3 streets", name, keys(series))
		}
		for street, v := range want[name] {
			if g, ok := series[street]; !ok || g != v {
				t.Errorf("%s{street=%q} = %v (present %v), want %v", name, street, g, ok, v)
			}
		}
	}

	// The district is the sum over the streets: the overview agrees.
	d := h.overview(h.District(), q("scope", "district"))
	for metric, gauge := range map[string]string{"workers": "nuanxin_stats_workers", "checkins": "nuanxin_stats_checkins_month",
		"service_hours": "nuanxin_stats_service_hours_month", "points_earned": "nuanxin_stats_points_earned_month"} {
		var sum float64
		for _, v := range got[gauge] {
			sum += v
		}
		if dv := d.value(metric); dv != sum {
			t.Errorf("the district's %s is %v, the sum of %s over the streets %v", metric, dv, gauge, sum)
		}
	}
}

// A scrape whose query fails gives no headline samples (and no error that
// would fail the whole scrape), and does not panic.
func TestFigureGauges_emitNothingWhenTheDatabaseFails(t *testing.T) {
	h := newHarness(t)
	pool, err := pgxpool.NewWithConfig(context.Background(), h.env.Pool.Config())
	if err != nil {
		t.Fatal(err)
	}
	pool.Close()
	reg := prometheus.NewRegistry()
	stats.RegisterFigureGauges(reg, pool)
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("the scrape failed: %v", err)
	}
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "nuanxin_stats_") {
			t.Errorf("%s was given while the database failed", f.GetName())
		}
	}
}

func keys(m map[string]float64) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
