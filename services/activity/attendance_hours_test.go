package activity_test

import (
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/services/activity"
)

func TestServedHours(t *testing.T) {
	start := time.Date(2026, 5, 1, 14, 0, 0, 0, time.UTC)
	end := start.Add(2 * time.Hour)
	at := func(d time.Duration) time.Time { return start.Add(d) }
	cases := []struct {
		name    string
		in, out time.Time
		want    float64
	}{
		{"inside the window", at(30 * time.Minute), at(90 * time.Minute), 1},
		{"the whole window", start, end, 2},
		{"starts early", at(-time.Hour), at(time.Hour), 1},
		{"leaves late", at(time.Hour), at(5 * time.Hour), 1},
		{"early and late", at(-time.Hour), at(5 * time.Hour), 2},
		{"entirely before", at(-3 * time.Hour), at(-time.Hour), 0},
		{"entirely after", at(3 * time.Hour), at(4 * time.Hour), 0},
		{"out exactly at start", at(-time.Hour), start, 0},
		{"zero length", at(time.Hour), at(time.Hour), 0},
		{"rounds down", start, at(20 * time.Minute), 0.33},
		{"rounds up", start, at(40 * time.Minute), 0.67},
		{"rounds half up", start, at(27 * time.Second), 0.01},
		{"below a hundredth", start, at(17 * time.Second), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := activity.ServedHours(tc.in, tc.out, start, end); got != tc.want {
				t.Fatalf("ServedHours = %v, want %v", got, tc.want)
			}
		})
	}
}
