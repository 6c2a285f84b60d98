package event

import "time"

// The notification service's events: the outcome of each push delivery
// (SMS, WeChat, webhook); summaries of the inbox messages it stores; and
// each broadcast once it has gone out. No message text and no person
// travels in any of them.
var (
	NotificationDelivered = Name{"notification", "notification", "delivered"}
	NotificationFailed    = Name{"notification", "notification", "failed"}
	InboxStored           = Name{"notification", "inbox", "stored"}
	BroadcastSent         = Name{"notification", "broadcast", "sent"}
)

// DeliveryData is the data of notification.delivered and .failed.
// Recipient is "worker:<id>" or "staff:<token subject>"; no message text
// travels.
type DeliveryData struct {
	NotificationID string    `json:"notification_id"`
	Recipient      string    `json:"recipient"`
	Channel        string    `json:"channel"` // sms, wechat, webhook
	Category       string    `json:"category"`
	Attempts       int       `json:"attempts"`
	Error          string    `json:"error,omitempty"` // the last failure, on failed
	At             time.Time `json:"at"`
}

// InboxStoredData is the data of inbox.stored: a summary of the inbox
// messages one transaction stored, one per street, category and cause —
// Count new messages, never one event per message (a broadcast batch of
// 1,000 is one event). Messages skipped as already sent (an event
// delivered again) are not counted; no recipient and no text travels.
type InboxStoredData struct {
	Street   string `json:"street"`
	Category string `json:"category"` // welcome, activity, report, points, pairing, task, notice
	Count    int    `json:"count"`    // messages newly stored, ≥ 1
	// Cause is what made the messages: "event" (another service's event,
	// directly or through the broadcast it asked for), "broadcast" (a
	// street or district admin's) or "reminder" (an activity or task due).
	Cause       string    `json:"cause"`
	BroadcastID string    `json:"broadcast_id,omitempty"` // the broadcast that fanned them out, if any
	At          time.Time `json:"at"`
}

// BroadcastSentData is the data of broadcast.sent: a broadcast has gone
// out to its whole segment, published in the transaction that marks it
// done. A broadcast that ends failed publishes none.
type BroadcastSentData struct {
	BroadcastID string `json:"broadcast_id"`
	Street      string `json:"street"`
	Community   string `json:"community,omitempty"` // the segment's, when narrowed to one
	Category    string `json:"category"`
	Template    string `json:"template"`
	// Cause is who asked for it: "broadcast" (an admin), "event" (an
	// activity published or cancelled) or "reminder" (an activity tomorrow).
	Cause      string    `json:"cause"`
	Audience   int       `json:"audience"` // the segment's active workers, counted as it started
	Reach      int       `json:"reach"`    // messages stored (each person at most once)
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}
