// Package notification turns the other services' events into messages to
// people: a stored inbox for everyone, and push channels (SMS, WeChat
// subscription messages, webhooks) for those who turn them on, at a decent
// hour.
//
// Each message is one row per recipient whose cause (the event, broadcast or
// reminder that made it) is unique, so an event delivered three times is one
// message, and a broadcast never reaches a person twice. Recipients come from
// local projections fed by events (events.go), never from another
// service's tables. Push deliveries are retried with backoff and jitter by
// the dispatcher (dispatch.go). Through its outbox, in the transactions of
// the writes, it publishes each push's outcome, a summary per transaction
// of the inbox messages stored, and each broadcast once sent (published.go).
// This file holds the domain types; SQL is in store*.go, HTTP in
// transport_http.go.
package notification

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/fault"
)

// Shanghai is the zone quiet hours and dates are read in.
var Shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// Channels are the push channels; the inbox is always on besides them.
var Channels = []string{"sms", "wechat", "webhook"}

// Service implements the notification service's use cases.
type Service struct {
	store *Store
	now   func() time.Time
}

// NewService returns the service over store. now is the clock (nil: the
// real one); tests move it through quiet hours.
func NewService(store *Store, now func() time.Time) *Service {
	if now == nil {
		now = func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
	}
	return &Service{store: store, now: now}
}

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// Recipient names whom a message is for: "worker:<id>" or "staff:<subject>".
type Recipient string

// WorkerRecipient is a worker as a recipient.
func WorkerRecipient(id string) Recipient { return Recipient("worker:" + id) }

// StaffRecipient is a staff member (their token subject) as a recipient.
func StaffRecipient(subject string) Recipient { return Recipient("staff:" + subject) }

// recipientOf is the caller as a recipient.
func recipientOf(p auth.Principal) (Recipient, error) {
	if p.Role == auth.Worker {
		if _, err := uuid.Parse(p.WorkerID); err != nil {
			return "", fault.Forbiddenf("a worker token needs a worker id")
		}
		return WorkerRecipient(strings.ToLower(p.WorkerID)), nil
	}
	return StaffRecipient(p.Subject), nil
}

// Notification is one message to one recipient: an inbox entry.
type Notification struct {
	Seq         int64      `json:"seq"`
	ID          uuid.UUID  `json:"id"`
	Recipient   Recipient  `json:"recipient"`
	Street      string     `json:"street"`
	Category    string     `json:"category"`
	Template    string     `json:"template"`
	Title       string     `json:"title"`
	Body        string     `json:"body"`
	Urgent      bool       `json:"urgent,omitempty"`
	BroadcastID *uuid.UUID `json:"broadcast_id,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	ReadAt      *time.Time `json:"read_at,omitempty"`
	cause       string
}

// QuietHours is a daily window, in Shanghai time, when non-urgent messages
// are not pushed; they wait for its end. Start after End spans midnight.
type QuietHours struct {
	Start string `json:"start"` // HH:MM
	End   string `json:"end"`   // HH:MM
}

// DefaultQuietHours are 22:00–07:00.
var DefaultQuietHours = QuietHours{Start: "22:00", End: "07:00"}

// clock parses HH:MM into minutes after midnight.
func clock(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// DeliverAt is when a message made at now may be pushed: at once, or, for a
// non-urgent one inside the quiet hours, when they end.
func (q QuietHours) DeliverAt(now time.Time, urgent bool) time.Time {
	start, ok1 := clock(q.Start)
	end, ok2 := clock(q.End)
	if urgent || !ok1 || !ok2 || start == end {
		return now
	}
	local := now.In(Shanghai)
	minute := local.Hour()*60 + local.Minute()
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, Shanghai)
	at := func(day, m int) time.Time { return midnight.AddDate(0, 0, day).Add(time.Duration(m) * time.Minute) }
	if start < end { // e.g. 13:00–14:00
		if minute >= start && minute < end {
			return at(0, end).UTC()
		}
		return now
	}
	switch { // spans midnight, e.g. 22:00–07:00
	case minute >= start:
		return at(1, end).UTC()
	case minute < end:
		return at(0, end).UTC()
	}
	return now
}

// Preferences are a recipient's choices: the push channels on for each
// category, quiet hours, language, and a webhook.
type Preferences struct {
	Recipient     Recipient           `json:"recipient"`
	Lang          string              `json:"lang"`
	Channels      map[string][]string `json:"channels"` // category → push channels on
	QuietHours    QuietHours          `json:"quiet_hours"`
	WebhookURL    string              `json:"webhook_url,omitempty"`
	WebhookSecret string              `json:"webhook_secret,omitempty"` // shown only when it is first made
	SecretSet     bool                `json:"webhook_secret_set"`
	UpdatedAt     time.Time           `json:"updated_at,omitzero"`
	secret        string              // a new secret, in the clear until it is saved
	sealed        []byte              // the stored one, sealed
}

// defaultPreferences are a recipient's until they choose: the inbox only
// (WeChat subscription messages and SMS need the person's consent), Chinese,
// quiet from 22:00 to 07:00.
func defaultPreferences(r Recipient) Preferences {
	return Preferences{Recipient: r, Lang: "zh-CN", Channels: map[string][]string{}, QuietHours: DefaultQuietHours}
}

// pushChannels are the channels a message of category goes out on for the
// recipient, beside the inbox.
func (p Preferences) pushChannels(category string) []string {
	var out []string
	for _, ch := range p.Channels[category] {
		if ch == "webhook" && p.WebhookURL == "" {
			continue
		}
		out = append(out, ch)
	}
	return out
}
