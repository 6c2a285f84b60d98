package notification

import (
	"testing"
	"time"
)

// A pending delivery whose time has come is due, whatever held it; a
// finished one waits for nothing.
func TestDelivery_waitingForSaysDueOnceItsTimeHasCome(t *testing.T) {
	now := time.Date(2026, 11, 24, 7, 0, 0, 0, Shanghai)
	for _, tc := range []struct {
		name, status, stored string
		next                 time.Time
		want                 string
	}{
		{"held for quiet hours", "pending", waitingQuietHours, now.Add(time.Minute), waitingQuietHours},
		{"quiet hours over", "pending", waitingQuietHours, now, waitingDue},
		{"retry to come", "pending", waitingRetry, now.Add(time.Second), waitingRetry},
		{"retry due", "pending", waitingRetry, now.Add(-time.Second), waitingDue},
		{"being sent", "pending", waitingSending, now.Add(2 * time.Minute), waitingSending},
		{"a sender that stopped", "pending", waitingSending, now.Add(-time.Second), waitingDue},
		{"new and not held", "pending", "", now, waitingDue},
		{"delivered", "delivered", "", now.Add(-time.Hour), ""},
		{"failed", "failed", waitingRetry, now.Add(time.Hour), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := Delivery{Status: tc.status, Waiting: tc.stored, NextAttemptAt: tc.next}
			d.waitingFor(now)
			if d.Waiting != tc.want {
				t.Errorf("waiting %q, want %q", d.Waiting, tc.want)
			}
		})
	}
}
