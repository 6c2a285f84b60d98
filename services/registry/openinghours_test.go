package registry

import (
	"testing"
	"time"
)

func TestOpeningHours_OpenAt(t *testing.T) {
	weekdays := OpeningHours{{Days: []int{1, 2, 3, 4, 5}, Open: "08:00", Close: "18:00"}}
	night := OpeningHours{{Days: []int{5, 6}, Open: "20:00", Close: "02:00"}} // Fri and Sat nights
	allDay := OpeningHours{{Days: []int{1, 2, 3, 4, 5, 6, 7}, Open: "00:00", Close: "24:00"}}
	// 2026-11-23 is a Monday. Times are Beijing time.
	at := func(day int, hhmm string) time.Time {
		tm, _ := time.ParseInLocation("2006-01-02 15:04", "2026-11-"+itoa(22+day)+" "+hhmm, Shanghai)
		return tm.UTC() // the check must convert back to Asia/Shanghai
	}
	cases := []struct {
		name string
		oh   OpeningHours
		t    time.Time
		want bool
	}{
		{"weekday morning", weekdays, at(1, "08:00"), true},
		{"weekday before opening", weekdays, at(1, "07:59"), false},
		{"weekday at closing", weekdays, at(5, "18:00"), false},
		{"saturday", weekdays, at(6, "10:00"), false},
		{"friday late evening", night, at(5, "23:30"), true},
		{"saturday small hours belong to friday", night, at(6, "01:59"), true},
		{"saturday 02:00 closed", night, at(6, "02:00"), false},
		{"sunday small hours belong to saturday", night, at(7, "01:00"), true},
		{"monday small hours: sunday is closed", night, at(1, "01:00"), false},
		{"all day at midnight", allDay, at(3, "00:00"), true},
		{"all day at 23:59", allDay, at(7, "23:59"), true},
	}
	for _, c := range cases {
		if got := c.oh.OpenAt(c.t); got != c.want {
			t.Errorf("%s: OpenAt(%s) = %v, want %v", c.name, c.t.In(Shanghai).Format("Mon 15:04"), got, c.want)
		}
	}
}

func itoa(n int) string { return time.Date(2000, 1, n, 0, 0, 0, 0, time.UTC).Format("02") }
