package notification

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/places"
)

// The events the service follows, by producer.
var (
	registryEvents = []event.Name{event.CommunityCreated, event.WorkerRegistered, event.WorkerUpdated, event.WorkerLeft, event.WorkerRejected, event.WorkerTransferred,
		event.WorkerCheckedIn, event.StationOpened, event.PairingOverdue}
	activityEvents = []event.Name{event.ActivityPublished, event.ActivityCancelled, event.SignupCreated, event.SignupWithdrawn,
		event.ReportSubmitted, event.ReportStatusChanged, event.TaskCreated, event.TaskStatusChanged}
	pointsEvents = []event.Name{event.PointsEarned, event.PointsRedeemed, event.StarChanged}
)

// send renders a template for one recipient, in their language, and stores
// it with its push deliveries, inside tx; a cause already sent to them is
// skipped. A message stored is counted for inbox.stored: in the tally ctx
// carries (see summarising), else in a summary of its own.
func (s *Service) send(ctx context.Context, tx pgx.Tx, street string, r Recipient, key string, vars map[string]string, cause string, urgent bool) error {
	t, ok := templateByKey(key)
	if !ok {
		return fmt.Errorf("no template %s", key)
	}
	// Rendered in both languages, so that the insert picks the recipient's
	// as it reads their preferences, in the same round trip.
	zh, err := t.Render("zh-CN", vars)
	if err != nil {
		return consume.Permanent(err)
	}
	en, err := t.Render("en", vars)
	if err != nil {
		return consume.Permanent(err)
	}
	n := Notification{ID: newID(), Recipient: r, Street: street, Category: t.Category, Template: key, Title: zh.Title, Body: zh.Body,
		Urgent: urgent, cause: cause}
	now := s.now()
	stored, err := insertOne(ctx, tx, n, en, now)
	if err != nil || !stored {
		return err
	}
	return s.store.noteStored(ctx, tx, street, t.Category, cause, "", 1, now)
}

// labels turn codes into words for messages.
var (
	categoryLabel = map[string]string{"safety_hazard": "安全隐患", "fire_risk": "消防隐患", "traffic": "交通问题",
		"environment": "环境卫生", "dispute": "矛盾纠纷", "facility": "设施损坏", "suggestion": "意见建议", "other": "其他"}
	reportStatusLabel = map[string]string{"accepted": "已受理", "dispatched": "已派单处置", "resolved": "已处置完毕",
		"closed": "已办结", "rejected": "未予受理", "merged": "已与同一问题合并处理"}
)

func label(m map[string]string, code string) string {
	if l, ok := m[code]; ok {
		return l
	}
	return code
}

// when formats a time for a message, in Shanghai.
func when(t time.Time) string { return t.In(Shanghai).Format("1月2日 15:04") }

// HandleRegistry applies a registry event: the worker and station
// projections, a welcome on check-in, a reminder to staff of an overdue
// pairing.
func (s *Service) HandleRegistry(ctx context.Context, tx pgx.Tx, e event.Envelope) error {
	name, err := e.Name()
	if err != nil {
		return consume.Permanent(err)
	}
	switch name {
	case event.CommunityCreated:
		var d event.CommunityData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO communities (code, street, name) VALUES ($1, $2, $3)
			ON CONFLICT (street, code) DO UPDATE SET name = EXCLUDED.name`, d.Code, d.Street, d.Name)
		return err
	case event.WorkerRegistered, event.WorkerUpdated, event.WorkerLeft, event.WorkerRejected:
		var d event.WorkerData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		// A rejected self-registration is a departure: no more messages.
		status := "active"
		if d.Status == "left" || d.Status == "rejected" || name == event.WorkerRejected {
			status = "left"
		}
		_, err := tx.Exec(ctx, `INSERT INTO workers (id, street, community, occupation, political_status, status, event_time)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (id) DO UPDATE SET street = EXCLUDED.street, community = EXCLUDED.community,
				occupation = EXCLUDED.occupation, political_status = EXCLUDED.political_status, status = EXCLUDED.status,
				event_time = EXCLUDED.event_time
			WHERE workers.event_time <= EXCLUDED.event_time`,
			d.WorkerID, d.Street, d.Community, d.Occupation, d.PoliticalStatus, status, e.Time)
		return err
	case event.WorkerTransferred:
		var d event.WorkerTransferredData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		// Seen before the registration, it makes the row; the older
		// registration then changes nothing.
		_, err := tx.Exec(ctx, `INSERT INTO workers (id, street, community, status, event_time)
			VALUES ($1, $2, $3, 'active', $4)
			ON CONFLICT (id) DO UPDATE SET street = EXCLUDED.street, community = EXCLUDED.community,
				event_time = EXCLUDED.event_time
			WHERE workers.event_time <= EXCLUDED.event_time`, d.WorkerID, d.ToStreet, d.ToCommunity, e.Time)
		return err
	case event.StationOpened:
		var d event.StationData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		name := d.Name
		if name == "" {
			name = "暖新驿站"
		}
		_, err := tx.Exec(ctx, `INSERT INTO stations (id, name, address, street, community, lat, lng)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
			d.StationID, name, d.Address, d.Street, d.Community, d.Lat, d.Lng)
		return err
	case event.WorkerCheckedIn:
		var d event.CheckInData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		stations, err := s.store.nearestStations(ctx, tx, d.Street, d.Community, d.StationID, 3)
		if err != nil {
			return err
		}
		list := "可在“暖新地图”中查看"
		if len(stations) > 0 {
			list = strings.Join(stations, "、")
		}
		community, err := s.store.communityName(ctx, tx, d.Street, d.Community)
		if err != nil {
			return err
		}
		return s.send(ctx, tx, d.Street, WorkerRecipient(d.WorkerID), "welcome",
			map[string]string{"community": community, "stations": list}, "event:"+e.ID, false)
	case event.PairingOverdue:
		var d event.PairingOverdueData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		// Only the month just ended is worth a reminder: a registry catching
		// up after an outage flags older months too, which statistics want
		// and a staff member's inbox does not.
		lastMonth := e.Time.In(Shanghai).AddDate(0, 0, -e.Time.In(Shanghai).Day()).Format("2006-01")
		if d.StaffSubject == "" || d.Month < lastMonth {
			return nil
		}
		return s.send(ctx, tx, d.Street, StaffRecipient(d.StaffSubject), "pairing.overdue",
			map[string]string{"month": d.Month, "worker": shortID(d.WorkerID)}, "event:"+e.ID, false)
	}
	return nil
}

// shortID is the tail of an id, enough for a person to tell records apart.
func shortID(id string) string {
	if len(id) > 8 {
		return "…" + id[len(id)-8:]
	}
	return id
}

// HandleActivity applies an activity event: an activity's audience is told
// of it (a fan-out, run as a broadcast), sign-ups and tasks are projected for
// reminders, a reporter hears of their report.
func (s *Service) HandleActivity(ctx context.Context, tx pgx.Tx, e event.Envelope) error {
	name, err := e.Name()
	if err != nil {
		return consume.Permanent(err)
	}
	switch name {
	case event.ActivityPublished, event.ActivityCancelled:
		var d event.ActivityData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		status := "published"
		if name == event.ActivityCancelled {
			status = "cancelled"
		}
		if _, err := tx.Exec(ctx, `INSERT INTO activities (id, title, address, street, community, starts_at, status)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, title = EXCLUDED.title, address = EXCLUDED.address,
				starts_at = EXCLUDED.starts_at`,
			d.ActivityID, d.Title, d.Address, d.Street, d.Community, d.StartsAt, status); err != nil {
			return err
		}
		vars := activityVars(d.Title, d.Address, d.StartsAt)
		if name == event.ActivityCancelled {
			return s.store.addBroadcast(ctx, tx, systemBroadcast(d.Street, Segment{Street: d.Street, ActivityID: d.ActivityID},
				"activity.cancelled", map[string]string{"title": vars["title"]}, "event:"+e.ID, s.now()))
		}
		return s.store.addBroadcast(ctx, tx, systemBroadcast(d.Street, Segment{Street: d.Street, Community: d.Community},
			"activity.published", vars, "event:"+e.ID, s.now()))
	case event.SignupCreated, event.SignupWithdrawn:
		var d event.SignupData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO signups (activity_id, worker_id, active) VALUES ($1, $2, $3)
			ON CONFLICT (activity_id, worker_id) DO UPDATE SET active = EXCLUDED.active`,
			d.ActivityID, d.WorkerID, name == event.SignupCreated)
		return err
	case event.ReportSubmitted:
		var d event.ReportSubmittedData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		if d.WorkerID == "" {
			return nil // an event from before reports named their reporter
		}
		return s.send(ctx, tx, d.Street, WorkerRecipient(d.WorkerID), "report.submitted",
			map[string]string{"category": label(categoryLabel, d.Category), "due_at": when(d.DueAt)}, "event:"+e.ID, false)
	case event.ReportStatusChanged:
		var d event.ReportStatusChangedData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		status := label(reportStatusLabel, d.To)
		if d.To == "closed" && d.Valid != nil && *d.Valid {
			status = "已办结，经核实为有效反映，感谢您"
		}
		return s.send(ctx, tx, d.Street, WorkerRecipient(d.WorkerID), "report.status",
			map[string]string{"category": label(categoryLabel, d.Category), "status": status}, "event:"+e.ID, false)
	case event.TaskCreated, event.TaskStatusChanged:
		var d event.TaskData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO tasks (id, street, person_subject, deadline, status) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, deadline = EXCLUDED.deadline,
				person_subject = EXCLUDED.person_subject`,
			d.TaskID, d.Street, d.PersonSubject, d.Deadline, d.Status)
		return err
	}
	return nil
}

// activityVars are an activity's message variables.
func activityVars(title, address string, start time.Time) map[string]string {
	if title == "" {
		title = "社区活动"
	}
	if address == "" {
		address = "活动地点（详见活动页面）"
	}
	return map[string]string{"title": title, "place": address, "starts_at": when(start)}
}

// HandlePoints tells a worker of points earned or spent and of a new star.
func (s *Service) HandlePoints(ctx context.Context, tx pgx.Tx, e event.Envelope) error {
	name, err := e.Name()
	if err != nil {
		return consume.Permanent(err)
	}
	switch name {
	case event.PointsEarned, event.PointsRedeemed:
		var d event.PointsData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		if d.Points == 0 || (name == event.PointsEarned && d.Points < 0) {
			return nil // a capped earning or a reversal is not news to push
		}
		key := "points.earned"
		if name == event.PointsRedeemed {
			key = "points.redeemed"
		}
		return s.send(ctx, tx, d.Street, WorkerRecipient(d.WorkerID), key, map[string]string{
			"points": strconv.FormatInt(max(d.Points, -d.Points), 10), "balance": strconv.FormatInt(d.Balance, 10)},
			"event:"+e.ID, false)
	case event.StarChanged:
		var d event.StarChangedData
		if err := e.Decode(&d); err != nil {
			return consume.Permanent(err)
		}
		if d.To <= d.From {
			return nil
		}
		return s.send(ctx, tx, d.Street, WorkerRecipient(d.WorkerID), "star.reached", map[string]string{
			"star": strconv.Itoa(d.To), "hours": strconv.FormatFloat(d.Hours, 'f', -1, 64)}, "event:"+e.ID, false)
	}
	return nil
}

// Consumers are the durable consumers the service runs, one per producer
// (each batch's events handled in its transaction, and the messages they
// store summarised once per batch: see summarising), and the places one (pkg/places): the streets and communities that
// tokens' places are checked against.
func (s *Service) Consumers(pool *pgxpool.Pool, js jetstream.JetStream, subjects event.Subjects, log *slog.Logger, m *consume.Metrics) []*consume.Runner {
	runner := func(producer string, names []event.Name, h consume.Handler) *consume.Runner {
		filters := make([]string, len(names))
		for i, n := range names {
			filters[i] = subjects.Filter(n)
		}
		return &consume.Runner{Pool: pool, JS: js, Subjects: subjects, Logger: log, Metrics: m,
			Stream: subjects.Stream(producer), Durable: "notification-" + producer, Filters: filters,
			HandleBatch: s.summarising(h)}
	}
	return []*consume.Runner{
		runner("registry", registryEvents, s.HandleRegistry),
		runner("activity", activityEvents, s.HandleActivity),
		runner("points", pointsEvents, s.HandlePoints),
		places.Consumer("notification-places", pool, js, subjects, log, m),
	}
}
