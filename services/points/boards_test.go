package points_test

import (
	"strconv"
	"testing"
	"time"
)

func TestLeaderboard_ranksByPointsEarnedWithTiesSharingARank(t *testing.T) {
	h := newHarness(t, nil)
	a := h.openAccount("qishan", "tashan")
	b := h.openAccount("qishan", "tashan")
	c := h.openAccount("qishan", "tashan")
	d := h.openAccount("qishan", "changsheng")
	far := h.openAccount("zhifu", "baishi")
	when := time.Now().Add(-time.Hour)
	h.attendance(a, "qishan", "volunteer_service", 3, true, when) // 35
	h.attendance(b, "qishan", "volunteer_service", 3, true, when) // 35
	h.attendance(c, "qishan", "volunteer_service", 1, true, when) // 15
	h.attendance(d, "qishan", "volunteer_service", 5, true, when) // 55
	h.attendance(far, "zhifu", "volunteer_service", 9, true, when)
	h.Settled()
	// Spending does not lower a place; an adjustment is not earning.
	h.redeem(h.Worker(a), h.item("qishan", "", 30, 5), 1, "spend-a", 201)
	h.fund(c, 500)

	places := func(r map[string]any) [][2]any {
		var out [][2]any
		for _, it := range r["items"].([]any) {
			p := it.(map[string]any)
			out = append(out, [2]any{p["rank"], p["points"]})
		}
		return out
	}
	community := h.Must(200, "GET", "/v1/leaderboards?community=tashan", h.Worker(a), nil)
	if got := places(community.Body); len(got) != 3 || got[0] != [2]any{1.0, 35.0} || got[1] != [2]any{1.0, 35.0} || got[2] != [2]any{3.0, 15.0} {
		t.Fatalf("community board: %s", community.Raw)
	}
	if me := community.Body["me"].(map[string]any); me["rank"] != 1.0 || me["points"] != 35.0 {
		t.Fatalf("me: %s", community.Raw)
	}
	street := h.Must(200, "GET", "/v1/leaderboards", h.StreetAdmin("qishan"), nil)
	if got := places(street.Body); len(got) != 4 || got[0] != [2]any{1.0, 55.0} || got[3] != [2]any{4.0, 15.0} {
		t.Fatalf("street board: %s", street.Raw)
	}
	// Cut at two places, the tie for first keeps both; cut at one, too.
	if got := places(h.Must(200, "GET", "/v1/leaderboards?community=tashan&limit=1", h.Worker(a), nil).Body); len(got) != 2 {
		t.Fatalf("a board cut inside a tie: %v", got)
	}
	// Periods: this month and year hold it; last year does not; all time does.
	lastYear := time.Now().In(time.FixedZone("CST", 8*3600)).Year() - 1
	for _, q := range []string{"period=year", "period=all", "period=month"} {
		if got := places(h.Must(200, "GET", "/v1/leaderboards?"+q, h.StreetAdmin("qishan"), nil).Body); len(got) != 4 {
			t.Errorf("%s: %v", q, got)
		}
	}
	if got := h.Must(200, "GET", "/v1/leaderboards?period=year&year="+strconv.Itoa(lastYear), h.StreetAdmin("qishan"), nil).Items(); len(got) != 0 {
		t.Errorf("last year: %v", got)
	}
	// Scope and bad input.
	h.Must(422, "GET", "/v1/leaderboards?street=zhifu", h.Worker(a), nil)
	h.Must(422, "GET", "/v1/leaderboards?community=changsheng", h.Worker(a), nil)
	// Staff naming a street outside their scope: the filter is refused, as
	// for a street that does not exist.
	if r := h.Must(422, "GET", "/v1/leaderboards?street=zhifu", h.StreetAdmin("qishan"), nil); r.Field() != "street" {
		t.Errorf("another street: field %q, want street", r.Field())
	}
	for q, field := range map[string]string{"period=week": "period", "period=month&month=2026-13": "month",
		"limit=0": "limit", "": "street"} {
		if r := h.Do("GET", "/v1/leaderboards?"+q, h.District(), nil); r.Status != 422 || r.Field() != field {
			t.Errorf("%q: %d %s", q, r.Status, r.Raw)
		}
	}
}
