package notification

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/outbox"
)

// Store holds the notification service's queries.
type Store struct {
	pool    *pgxpool.Pool
	outbox  outbox.Writer
	secrets Sealer
}

// Sealer encrypts what must not be read from a copy of the database:
// webhook signing secrets (a *pii.Box).
type Sealer interface {
	Seal(plaintext, aad string) ([]byte, error)
	Open(sealed []byte, aad string) (string, error)
}

// NewStore returns a store over pool (search_path: the notification
// schema) that seals webhook secrets with secrets.
func NewStore(pool *pgxpool.Pool, w outbox.Writer, secrets Sealer) *Store {
	return &Store{pool: pool, outbox: w, secrets: secrets}
}

// secretAAD binds a sealed webhook secret to its recipient: copied to
// another person's row, it does not open.
func secretAAD(r Recipient) string { return "notification.webhook_secret:" + string(r) }

// openSecret is a recipient's webhook secret in the clear: the sealed one,
// or one stored in the clear before secrets were sealed.
func (s *Store) openSecret(r Recipient, sealed []byte, legacy string) (string, error) {
	if len(sealed) == 0 {
		return legacy, nil
	}
	secret, err := s.secrets.Open(sealed, secretAAD(r))
	if err != nil {
		return "", fmt.Errorf("webhook secret of %s: %w", r, err)
	}
	return secret, nil
}

// SealLegacySecrets seals the webhook secrets stored in the clear by a
// version of the service that did not seal them, and reports how many.
func (s *Store) SealLegacySecrets(ctx context.Context) (int, error) {
	rows, err := s.pool.Query(ctx, "SELECT recipient, webhook_secret FROM preferences WHERE webhook_secret <> ''")
	if err != nil {
		return 0, fmt.Errorf("legacy webhook secrets: %w", err)
	}
	type legacy struct {
		r      Recipient
		secret string
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (legacy, error) {
		var l legacy
		err := row.Scan(&l.r, &l.secret)
		return l, err
	})
	if err != nil {
		return 0, fmt.Errorf("legacy webhook secrets: %w", err)
	}
	for _, l := range list {
		sealed, err := s.secrets.Seal(l.secret, secretAAD(l.r))
		if err != nil {
			return 0, err
		}
		// Only if unchanged since read: a new secret saved meanwhile stays.
		if _, err := s.pool.Exec(ctx, `UPDATE preferences SET webhook_secret_sealed = $3, webhook_secret = ''
			WHERE recipient = $1 AND webhook_secret = $2`, l.r, l.secret, sealed); err != nil {
			return 0, fmt.Errorf("seal webhook secret of %s: %w", l.r, err)
		}
	}
	return len(list), nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

const prefCols = `recipient, lang, channels, quiet_start::text, quiet_end::text, webhook_url, webhook_secret,
	webhook_secret_sealed, updated_at`

// scanPrefs reads preferences; a secret stays sealed (only a push needs it).
func scanPrefs(row pgx.Row) (Preferences, error) {
	var p Preferences
	var start, end string
	var channels []byte
	err := row.Scan(&p.Recipient, &p.Lang, &channels, &start, &end, &p.WebhookURL, &p.secret, &p.sealed, &p.UpdatedAt)
	if err != nil {
		return p, err
	}
	p.QuietHours = QuietHours{Start: start[:5], End: end[:5]}
	p.SecretSet = p.secret != "" || len(p.sealed) > 0
	if err := json.Unmarshal(channels, &p.Channels); err != nil {
		return p, fmt.Errorf("channels of %s: %w", p.Recipient, err)
	}
	return p, nil
}

// preferences returns the recipients' preferences that differ from the
// defaults (those not in the map have none).
func preferences(ctx context.Context, q querier, rs []Recipient) (map[Recipient]Preferences, error) {
	prefs, err := collectPrefs(q.Query(ctx, "SELECT "+prefCols+" FROM preferences WHERE recipient = ANY($1)", rs))
	if err != nil {
		return nil, fmt.Errorf("preferences: %w", err)
	}
	return prefs, nil
}

// collectPrefs reads rows of prefCols into a map by recipient.
func collectPrefs(rows pgx.Rows, err error) (map[Recipient]Preferences, error) {
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Preferences, error) { return scanPrefs(row) })
	if err != nil {
		return nil, err
	}
	out := make(map[Recipient]Preferences, len(list))
	for _, p := range list {
		out[p.Recipient] = p
	}
	return out, nil
}

// Preferences returns a recipient's preferences, or the defaults.
func (s *Store) Preferences(ctx context.Context, r Recipient) (Preferences, error) {
	p, err := scanPrefs(s.pool.QueryRow(ctx, "SELECT "+prefCols+" FROM preferences WHERE recipient = $1", r))
	if errors.Is(err, pgx.ErrNoRows) {
		return defaultPreferences(r), nil
	}
	return p, err
}

// SavePreferences stores a recipient's preferences whole: a secret in the
// clear (new, or from before secrets were sealed) is sealed, a sealed one
// kept.
func (s *Store) SavePreferences(ctx context.Context, p Preferences) error {
	channels, err := json.Marshal(p.Channels)
	if err != nil {
		return err
	}
	sealed := p.sealed
	if p.secret != "" {
		if sealed, err = s.secrets.Seal(p.secret, secretAAD(p.Recipient)); err != nil {
			return fmt.Errorf("seal webhook secret: %w", err)
		}
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO preferences (recipient, lang, channels, quiet_start, quiet_end, webhook_url,
			webhook_secret, webhook_secret_sealed, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, '', $7, $8)
		ON CONFLICT (recipient) DO UPDATE SET lang = EXCLUDED.lang, channels = EXCLUDED.channels,
			quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end, webhook_url = EXCLUDED.webhook_url,
			webhook_secret = '', webhook_secret_sealed = EXCLUDED.webhook_secret_sealed, updated_at = EXCLUDED.updated_at`,
		p.Recipient, p.Lang, channels, p.QuietHours.Start, p.QuietHours.End, p.WebhookURL, sealed, p.UpdatedAt)
	if err != nil {
		return fmt.Errorf("save preferences of %s: %w", p.Recipient, err)
	}
	return nil
}

// insert stores messages (one per recipient; a cause already sent to a
// recipient is skipped) and the push deliveries their preferences ask for,
// and returns how many were new.
func insert(ctx context.Context, tx pgx.Tx, ns []Notification, prefs map[Recipient]Preferences, now time.Time) (int, error) {
	if len(ns) == 0 {
		return 0, nil
	}
	ids, recipients, streets, categories, templates, titles, bodies, urgents, causes, broadcasts :=
		make([]uuid.UUID, len(ns)), make([]string, len(ns)), make([]string, len(ns)), make([]string, len(ns)), make([]string, len(ns)),
		make([]string, len(ns)), make([]string, len(ns)), make([]bool, len(ns)), make([]string, len(ns)), make([]*uuid.UUID, len(ns))
	for i, n := range ns {
		ids[i], recipients[i], streets[i], categories[i], templates[i] = n.ID, string(n.Recipient), n.Street, n.Category, n.Template
		titles[i], bodies[i], urgents[i], causes[i], broadcasts[i] = n.Title, n.Body, n.Urgent, n.cause, n.BroadcastID
	}
	rows, err := tx.Query(ctx, `INSERT INTO notifications (id, recipient, street, category, template, title, body, urgent,
			cause, broadcast_id, created_at)
		SELECT *, $11::timestamptz FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
			$7::text[], $8::bool[], $9::text[], $10::uuid[])
		ON CONFLICT (cause, recipient) DO NOTHING RETURNING id`,
		ids, recipients, streets, categories, templates, titles, bodies, urgents, causes, broadcasts, now)
	if err != nil {
		return 0, fmt.Errorf("insert notifications: %w", err)
	}
	inserted, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, fmt.Errorf("insert notifications: %w", err)
	}
	fresh := make(map[uuid.UUID]bool, len(inserted))
	for _, id := range inserted {
		fresh[id] = true
	}
	var sent []Notification
	for _, n := range ns {
		if fresh[n.ID] {
			sent = append(sent, n)
		}
	}
	if err := insertDeliveries(ctx, tx, sent, prefs, now); err != nil {
		return 0, err
	}
	return len(inserted), nil
}

// insertOne stores one message to one recipient, in their language (zh-CN
// unless their preferences say en, as Template.Render chooses): the caller
// gives it rendered in both, and the statement reads the preferences as it
// inserts, in one round trip. A cause already sent to the recipient is
// skipped; stored says whether the message is new. The push deliveries the
// preferences ask for follow, in a second round trip only for a recipient
// who set push channels.
func insertOne(ctx context.Context, tx pgx.Tx, n Notification, en Message, now time.Time) (stored bool, err error) {
	// One row if the message was stored: the recipient's preferences, or
	// NULLs for one with the defaults; none for a duplicate.
	rows, err := tx.Query(ctx, `WITH p AS (SELECT `+prefCols+` FROM preferences WHERE recipient = $2),
		n AS (
			INSERT INTO notifications (id, recipient, street, category, template, title, body, urgent, cause, created_at)
			SELECT $1, $2, $3, $4, $5, CASE WHEN p.lang = 'en' THEN $8 ELSE $6 END,
				CASE WHEN p.lang = 'en' THEN $9 ELSE $7 END, $10, $11, $12
			FROM (VALUES (true)) AS one LEFT JOIN p ON true
			ON CONFLICT (cause, recipient) DO NOTHING RETURNING id)
		SELECT p.* FROM n LEFT JOIN p ON true`,
		n.ID, string(n.Recipient), n.Street, n.Category, n.Template, n.Title, n.Body, en.Title, en.Body, n.Urgent, n.cause, now)
	if err != nil {
		return false, fmt.Errorf("insert notification: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Preferences, error) {
		if row.RawValues()[0] == nil {
			return Preferences{}, nil // the defaults, which push nothing
		}
		return scanPrefs(row)
	})
	if err != nil {
		return false, fmt.Errorf("insert notification: %w", err)
	}
	if len(list) == 0 {
		return false, nil // a duplicate
	}
	prefs := map[Recipient]Preferences{}
	if list[0].Recipient != "" {
		prefs[list[0].Recipient] = list[0]
	}
	return true, insertDeliveries(ctx, tx, []Notification{n}, prefs, now)
}

// insertDeliveries stores the push deliveries the recipients' preferences
// ask for, for messages just stored.
func insertDeliveries(ctx context.Context, tx pgx.Tx, ns []Notification, prefs map[Recipient]Preferences, now time.Time) error {
	var dIDs []uuid.UUID
	var dChannels, dWaiting []string
	var dAt []time.Time
	for _, n := range ns {
		p, ok := prefs[n.Recipient]
		if !ok {
			continue
		}
		at, waiting := p.QuietHours.DeliverAt(now, n.Urgent), ""
		if at.After(now) {
			waiting = waitingQuietHours
		}
		for _, ch := range p.pushChannels(n.Category) {
			dIDs, dChannels, dAt, dWaiting = append(dIDs, n.ID), append(dChannels, ch), append(dAt, at), append(dWaiting, waiting)
		}
	}
	if len(dIDs) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO deliveries (notification_id, channel, status, next_attempt_at, waiting, updated_at)
		SELECT id, channel, 'pending', at, waiting, $4
		FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $5::text[]) AS d(id, channel, at, waiting)`,
		dIDs, dChannels, dAt, now, dWaiting); err != nil {
		return fmt.Errorf("insert deliveries: %w", err)
	}
	return nil
}

const notificationCols = "seq, id, recipient, street, category, template, title, body, urgent, broadcast_id, created_at, read_at"

func scanNotification(row pgx.Row) (Notification, error) {
	var n Notification
	err := row.Scan(&n.Seq, &n.ID, &n.Recipient, &n.Street, &n.Category, &n.Template, &n.Title, &n.Body, &n.Urgent, &n.BroadcastID,
		&n.CreatedAt, &n.ReadAt)
	return n, err
}

// Inbox returns a recipient's messages newest first, before seq (0: from
// the newest), and whether there are more.
func (s *Store) Inbox(ctx context.Context, r Recipient, unread bool, before int64, limit int) ([]Notification, bool, error) {
	var f db.Filter
	f.Where("recipient = $%d", string(r))
	if unread {
		f.Raw("read_at IS NULL")
	}
	if before > 0 {
		f.Where("seq < $%d", before)
	}
	f.Args = append(f.Args, limit+1)
	rows, err := s.pool.Query(ctx, fmt.Sprintf("SELECT %s FROM notifications%s ORDER BY seq DESC LIMIT $%d",
		notificationCols, f.Clause(), len(f.Args)), f.Args...)
	if err != nil {
		return nil, false, fmt.Errorf("inbox: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Notification, error) { return scanNotification(row) })
	if err != nil {
		return nil, false, fmt.Errorf("inbox: %w", err)
	}
	if items == nil {
		items = []Notification{}
	}
	if len(items) > limit {
		return items[:limit], true, nil
	}
	return items, false, nil
}

// MarkRead marks a recipient's message read (once; reading again keeps the
// first time). It reports false when the recipient has no such message.
func (s *Store) MarkRead(ctx context.Context, r Recipient, id uuid.UUID, at time.Time) (Notification, bool, error) {
	n, err := scanNotification(s.pool.QueryRow(ctx, `UPDATE notifications SET read_at = coalesce(read_at, $3)
		WHERE id = $1 AND recipient = $2 RETURNING `+notificationCols, id, string(r), at))
	if errors.Is(err, pgx.ErrNoRows) {
		return Notification{}, false, nil
	}
	if err != nil {
		return Notification{}, false, fmt.Errorf("mark read: %w", err)
	}
	return n, true, nil
}

// MarkAllRead marks a recipient's unread messages up to seq through read,
// and answers how many it marked.
func (s *Store) MarkAllRead(ctx context.Context, r Recipient, through int64, at time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE notifications SET read_at = $3
		WHERE recipient = $1 AND seq <= $2 AND read_at IS NULL`, string(r), through, at)
	if err != nil {
		return 0, fmt.Errorf("mark all read: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Unread counts a recipient's unread messages.
func (s *Store) Unread(ctx context.Context, r Recipient) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, "SELECT count(*) FROM notifications WHERE recipient = $1 AND read_at IS NULL", string(r)).Scan(&n)
	return n, err
}
