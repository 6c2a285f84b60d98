package event

import "time"

// The notification service's events: the outcome of each push delivery
// (SMS, WeChat, webhook). Inbox messages are stored, not pushed, and have no
// event.
var (
	NotificationDelivered = Name{"notification", "notification", "delivered"}
	NotificationFailed    = Name{"notification", "notification", "failed"}
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
