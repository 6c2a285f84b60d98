package notification

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Delivery is the state of one push of a message on one channel: the
// delivery log.
type Delivery struct {
	NotificationID uuid.UUID `json:"notification_id"`
	Recipient      Recipient `json:"recipient"`
	Street         string    `json:"street"`
	Category       string    `json:"category"`
	Channel        string    `json:"channel"`
	Status         string    `json:"status"` // pending, delivered, failed
	Attempts       int       `json:"attempts"`
	NextAttemptAt  time.Time `json:"next_attempt_at"`
	Waiting        string    `json:"waiting,omitempty"` // for pending: why it has not gone yet (waitingFor)
	LastError      string    `json:"last_error,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Why a pending delivery has not gone yet (Delivery.Waiting). The store
// keeps the reason its next_attempt_at was set for; once that time has come
// the delivery is due whatever the reason was.
const (
	waitingDue        = "due"         // goes on the dispatcher's next round
	waitingQuietHours = "quiet_hours" // held until the recipient's quiet hours end
	waitingRetry      = "retry"       // the last attempt failed (last_error); tried again then
	waitingSending    = "sending"     // an instance is sending it; should it stop, tried again then
)

// waitingFor sets d.Waiting from the stored reason as it stands at now.
func (d *Delivery) waitingFor(now time.Time) {
	switch {
	case d.Status != "pending":
		d.Waiting = ""
	case d.Waiting == "" || !d.NextAttemptAt.After(now):
		d.Waiting = waitingDue
	}
}

// MessageDetail is one inbox message with the log of its push deliveries.
type MessageDetail struct {
	Notification
	Deliveries []Delivery `json:"deliveries"`
}

// GetMessage returns one of the caller's messages with its deliveries.
func (s *Service) GetMessage(ctx context.Context, p auth.Principal, id uuid.UUID) (MessageDetail, error) {
	r, err := recipientOf(p)
	if err != nil {
		return MessageDetail{}, err
	}
	n, err := scanNotification(s.store.pool.QueryRow(ctx, "SELECT "+notificationCols+" FROM notifications WHERE id = $1 AND recipient = $2", id, string(r)))
	if errors.Is(err, pgx.ErrNoRows) {
		return MessageDetail{}, errMessageNotFound
	}
	if err != nil {
		return MessageDetail{}, fmt.Errorf("message %s: %w", id, err)
	}
	ds, _, err := s.store.Deliveries(ctx, DeliveryQuery{NotificationID: id.String(), Limit: 10})
	now := s.now()
	for i := range ds {
		ds[i].waitingFor(now)
	}
	return MessageDetail{Notification: n, Deliveries: ds}, err
}

// DeliveryQuery filters the delivery log, newest change first.
type DeliveryQuery struct {
	Street         string
	Status         string
	Channel        string
	NotificationID string
	Limit          int
	Before         string // the next cursor of the previous page
}

// ListDeliveries is the delivery log for operators: street admins see their
// street's, the district admin all.
func (s *Service) ListDeliveries(ctx context.Context, p auth.Principal, q DeliveryQuery) (map[string]any, error) {
	if !p.AtLeastStreetAdmin() {
		return nil, fault.Forbiddenf("only a street or district admin sees the delivery log")
	}
	var c validate.Collector
	c.Check(q.Limit >= 1 && q.Limit <= 500, "limit", validate.CodeOutOfRange, "must be between 1 and 500")
	if q.Status != "" {
		c.OneOf("status", q.Status, []string{"pending", "delivered", "failed"})
	}
	if q.Channel != "" {
		c.OneOf("channel", q.Channel, Channels)
	}
	if q.Before != "" {
		_, ok := parseCursor(q.Before)
		c.Check(ok, "before", validate.CodeInvalidFormat, "must be the next cursor of a previous page")
	}
	q.Street = streetFilter(ctx, &c, p, q.Street)
	if err := c.Err(); err != nil {
		return nil, err
	}
	items, more, err := s.store.Deliveries(ctx, q)
	if err != nil {
		return nil, err
	}
	now := s.now()
	for i := range items {
		items[i].waitingFor(now)
	}
	out := map[string]any{"items": items}
	if more {
		last := items[len(items)-1]
		out["next"] = deliveryCursor{last.UpdatedAt, last.NotificationID, last.Channel}.String()
	}
	return out, nil
}

// deliveryCursor is where a page of the delivery log ended.
type deliveryCursor struct {
	at      time.Time
	id      uuid.UUID
	channel string
}

func (c deliveryCursor) String() string {
	return c.at.UTC().Format(time.RFC3339Nano) + "~" + c.id.String() + "~" + c.channel
}

func parseCursor(s string) (deliveryCursor, bool) {
	parts := strings.Split(s, "~")
	if len(parts) != 3 {
		return deliveryCursor{}, false
	}
	at, err1 := time.Parse(time.RFC3339Nano, parts[0])
	id, err2 := uuid.Parse(parts[1])
	if err1 != nil || err2 != nil || parts[2] == "" {
		return deliveryCursor{}, false
	}
	return deliveryCursor{at, id, parts[2]}, true
}

// Deliveries reads the delivery log.
func (s *Store) Deliveries(ctx context.Context, q DeliveryQuery) ([]Delivery, bool, error) {
	var f db.Filter
	f.Eq("n.street", q.Street)
	f.Eq("d.status", q.Status)
	f.Eq("d.channel", q.Channel)
	if q.NotificationID != "" {
		f.Where("d.notification_id = $%d::uuid", q.NotificationID)
	}
	if cur, ok := parseCursor(q.Before); ok {
		// Many deliveries share a time (a broadcast's batch): the id and
		// channel break the tie, so no page skips any.
		f.Args = append(f.Args, cur.at, cur.id, cur.channel)
		n := len(f.Args)
		f.Raw(fmt.Sprintf("(d.updated_at, d.notification_id, d.channel) < ($%d, $%d, $%d)", n-2, n-1, n))
	}
	f.Args = append(f.Args, q.Limit+1)
	rows, err := s.pool.Query(ctx, `SELECT d.notification_id, n.recipient, n.street, n.category, d.channel, d.status, d.attempts,
			d.next_attempt_at, d.waiting, d.last_error, d.updated_at
		FROM deliveries d JOIN notifications n ON n.id = d.notification_id`+f.Clause()+
		" ORDER BY d.updated_at DESC, d.notification_id DESC, d.channel DESC LIMIT $"+strconv.Itoa(len(f.Args)), f.Args...)
	if err != nil {
		return nil, false, fmt.Errorf("deliveries: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Delivery, error) {
		var d Delivery
		err := row.Scan(&d.NotificationID, &d.Recipient, &d.Street, &d.Category, &d.Channel, &d.Status, &d.Attempts,
			&d.NextAttemptAt, &d.Waiting, &d.LastError, &d.UpdatedAt)
		return d, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("deliveries: %w", err)
	}
	if items == nil {
		items = []Delivery{}
	}
	if len(items) > q.Limit {
		return items[:q.Limit], true, nil
	}
	return items, false, nil
}
