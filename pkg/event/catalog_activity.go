package event

import "time"

// The activity service's events: what points and notification consume.
var (
	ActivityPublished  = Name{"activity", "activity", "published"}
	ActivityCancelled  = Name{"activity", "activity", "cancelled"}
	SignupCreated      = Name{"activity", "signup", "created"}
	SignupWithdrawn    = Name{"activity", "signup", "withdrawn"}
	AttendanceRecorded = Name{"activity", "attendance", "recorded"}
)

// ActivityData is the data of activity.activity.published and .cancelled.
type ActivityData struct {
	ActivityID       string    `json:"activity_id"`
	Title            string    `json:"title,omitempty"` // public, as on the notice board
	Address          string    `json:"address,omitempty"`
	Kind             string    `json:"kind"`
	Street           string    `json:"street"`
	Community        string    `json:"community,omitempty"` // empty: the whole street is invited
	StartsAt         time.Time `json:"starts_at"`
	EndsAt           time.Time `json:"ends_at"`
	Capacity         int       `json:"capacity,omitempty"` // 0: no limit
	VolunteerService bool      `json:"volunteer_service"`
	StationID        string    `json:"station_id,omitempty"`
}

// SignupData is the data of activity.signup.created and .withdrawn.
type SignupData struct {
	ActivityID string    `json:"activity_id"`
	WorkerID   string    `json:"worker_id"`
	Street     string    `json:"street"`
	Community  string    `json:"community,omitempty"`
	StartsAt   time.Time `json:"starts_at"`
}

// AttendanceData is the data of activity.attendance.recorded: what the
// points service credits.
type AttendanceData struct {
	ActivityID       string    `json:"activity_id"`
	WorkerID         string    `json:"worker_id"`
	Street           string    `json:"street"`
	Kind             string    `json:"kind"`
	Hours            float64   `json:"hours"`
	VolunteerService bool      `json:"volunteer_service"`
	CheckedInAt      time.Time `json:"checked_in_at"`
	CheckedOutAt     time.Time `json:"checked_out_at"`
	// Corrects marks a staff correction of an attendance already recorded:
	// Hours replaces PreviousHours (absent when it was 0). A consumer
	// replaces what the earlier record gave; points reverses its entries
	// for the activity and worker and credits the corrected hours.
	Corrects      bool    `json:"corrects,omitempty"`
	PreviousHours float64 `json:"previous_hours,omitempty"`
}
