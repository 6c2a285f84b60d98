package registry

import (
	"testing"
	"time"
)

func TestMonthOf_isTheCalendarMonthInShanghai(t *testing.T) {
	cases := []struct {
		name string
		at   string
		want string
	}{
		{"17:00 UTC on 30 November is 1 December in Shanghai", "2026-11-30T17:00:00Z", "2026-12"},
		{"15:59:59 UTC on 30 November is still November", "2026-11-30T15:59:59Z", "2026-11"},
		{"16:00 UTC on 30 November is Shanghai midnight", "2026-11-30T16:00:00Z", "2026-12"},
		{"new year's eve 20:00 UTC is January", "2026-12-31T20:00:00Z", "2027-01"},
		{"an offset is read as the instant it names", "2026-12-01T00:30:00+08:00", "2026-12"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339, c.at)
			if err != nil {
				t.Fatal(err)
			}
			m := monthOf(at)
			if m.String() != c.want {
				t.Errorf("monthOf(%s) = %s, want %s", c.at, m, c.want)
			}
			if at.Before(m.Start) || !at.Before(m.End) {
				t.Errorf("%s outside [%s, %s)", at, m.Start, m.End)
			}
		})
	}
	if got := monthOf(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)).previous().String(); got != "2025-12" {
		t.Errorf("month before 2026-01 = %s", got)
	}
}

func TestOverdueMonths_areTheTwelveEndedMonthsOldestFirst(t *testing.T) {
	// 00:30 on 1 March in Shanghai is still 28 February in UTC.
	now := time.Date(2027, 2, 28, 16, 30, 0, 0, time.UTC)
	got := overdueMonths(now)
	if len(got) != overdueCatchUpMonths || overdueCatchUpMonths != 12 {
		t.Fatalf("%d months, want 12: %v", len(got), got)
	}
	if got[0].String() != "2026-03" || got[len(got)-1].String() != "2027-02" {
		t.Errorf("months %s .. %s, want 2026-03 .. 2027-02", got[0], got[len(got)-1])
	}
	for i := 1; i < len(got); i++ {
		if !got[i].Start.Equal(got[i-1].End) {
			t.Errorf("%s does not follow %s", got[i], got[i-1])
		}
	}
	if !got[len(got)-1].End.Equal(monthOf(now).Start) {
		t.Errorf("the last month checked, %s, is not the one just ended", got[len(got)-1])
	}
}
