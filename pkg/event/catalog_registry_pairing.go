package event

import "time"

// The registry's pairing events (结对联系): each worker is paired with a
// community contact who must reach them at least once a month. Payloads
// carry ids, codes and dates only: the staff member's display name, the
// notes and the reason a pairing ended stay in the registry.
var (
	PairingCreated   = Name{"registry", "pairing", "created"}
	PairingContacted = Name{"registry", "pairing", "contacted"}
	PairingEnded     = Name{"registry", "pairing", "ended"}
	// PairingOverdue is emitted once per pairing and month, after the month
	// has ended (Asia/Shanghai), when nobody recorded a contact in it.
	PairingOverdue = Name{"registry", "pairing", "overdue"}
)

// PairingData is the data of registry.pairing.created and .ended.
type PairingData struct {
	PairingID    string     `json:"pairing_id"`
	WorkerID     string     `json:"worker_id"`
	StaffSubject string     `json:"staff_subject"` // the paired staff member's token subject
	Street       string     `json:"street"`
	Community    string     `json:"community"`
	CreatedAt    time.Time  `json:"created_at"`
	EndedAt      *time.Time `json:"ended_at,omitempty"` // on .ended
}

// PairingContactedData is the data of registry.pairing.contacted.
type PairingContactedData struct {
	PairingID    string    `json:"pairing_id"`
	ContactID    string    `json:"contact_id"`
	WorkerID     string    `json:"worker_id"`
	StaffSubject string    `json:"staff_subject"` // the paired staff member
	RecordedBy   string    `json:"recorded_by"`   // subject of whoever recorded the contact
	Street       string    `json:"street"`
	Community    string    `json:"community"`
	Method       string    `json:"method"` // visit | phone | wechat | group_chat | other
	ContactedAt  time.Time `json:"contacted_at"`
	Month        string    `json:"month"` // YYYY-MM in Asia/Shanghai the contact counts for
}

// PairingOverdueData is the data of registry.pairing.overdue.
type PairingOverdueData struct {
	PairingID     string     `json:"pairing_id"`
	WorkerID      string     `json:"worker_id"`
	StaffSubject  string     `json:"staff_subject"`
	Street        string     `json:"street"`
	Community     string     `json:"community"`
	Month         string     `json:"month"`                     // YYYY-MM in Asia/Shanghai without a contact
	LastContactAt *time.Time `json:"last_contact_at,omitempty"` // the latest contact before the month ended, if any
}
