package notification

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
)

// Push is one delivery to make: a message to a recipient on a channel.
type Push struct {
	NotificationID uuid.UUID
	Channel        string
	Attempt        int // 1 for the first try
	Recipient      Recipient
	Street         string
	Category       string
	Title          string
	Body           string
	CreatedAt      time.Time
	WebhookURL     string
	WebhookSecret  string
	Urgent         bool
	quiet          QuietHours // the recipient's, for when a retry may go
	claimedUntil   time.Time  // this instance's hold on the delivery
	secretErr      error      // the webhook secret would not open: not sent, and said why
}

// Provider sends SMS or WeChat subscription messages. A real provider
// (an SMS gateway, the WeChat API) is one adapter away; it resolves the
// recipient's number or openid from its own binding.
type Provider interface {
	Send(ctx context.Context, p Push) error
}

// LogProvider only logs what it would send: for local use and tests, as
// nothing leaves this machine.
type LogProvider struct {
	Log *slog.Logger
}

// Send logs the message.
func (l LogProvider) Send(ctx context.Context, p Push) error {
	l.Log.InfoContext(ctx, "would send", "channel", p.Channel, "recipient", string(p.Recipient),
		"notification_id", p.NotificationID, "title", p.Title)
	return nil
}

// Webhook posts messages as JSON, signed with the recipient's secret:
// X-Nuanxin-Signature is "sha256=" and the hex HMAC-SHA256 of
// "<X-Nuanxin-Timestamp>.<body>", so a receiver can check the sender and
// refuse replays. X-Nuanxin-Id lets it drop a message it already has (a
// delivery may be retried after a timeout that in fact succeeded).
type Webhook struct {
	Client *http.Client // with a timeout; see NewWebhook
	Now    func() time.Time
}

// NewWebhook returns a webhook sender with a timeout per request. Unless
// allowPrivate, it refuses to connect to loopback, private and link-local
// addresses: a webhook URL is given by any user, and must not reach the
// service's own network (Postgres, NATS, metadata endpoints). The check is
// made on the address actually dialled, so a name that resolves there is
// refused too.
func NewWebhook(timeout time.Duration, allowPrivate bool) Webhook {
	dialer := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip, err := netip.ParseAddr(host)
			if err != nil || !publicAddr(ip.Unmap()) {
				return fmt.Errorf("webhook address %s is not public", host)
			}
			return nil
		}
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = dialer.DialContext
	transport.Proxy = nil
	return Webhook{Client: &http.Client{Timeout: timeout, Transport: transport,
		// A redirect could lead a signed message elsewhere; treat it as a failure.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// notPublic are the special-purpose ranges beside loopback, private and
// link-local: shared address space (100.64.0.0/10, where some clouds keep
// their metadata service), IETF protocol assignments, benchmarking.
var notPublic = []netip.Prefix{netip.MustParsePrefix("100.64.0.0/10"), netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"), netip.MustParsePrefix("0.0.0.0/8"), netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), netip.MustParsePrefix("fc00::/7")}

// publicAddr reports whether a webhook may be sent to ip.
func publicAddr(ip netip.Addr) bool {
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range notPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// Sign is the signature of body at timestamp ts with secret.
func Sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Send posts the message; any answer but 2xx is a failure.
func (w Webhook) Send(ctx context.Context, p Push) error {
	body, err := json.Marshal(map[string]any{"id": p.NotificationID, "recipient": p.Recipient, "category": p.Category,
		"title": p.Title, "body": p.Body, "created_at": p.CreatedAt})
	if err != nil {
		return err
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "nuanxin-notification/1")
	req.Header.Set("X-Nuanxin-Id", p.NotificationID.String())
	req.Header.Set("X-Nuanxin-Timestamp", ts)
	req.Header.Set("X-Nuanxin-Signature", Sign(p.WebhookSecret, ts, body))
	res, err := w.Client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return fmt.Errorf("webhook answered %s", res.Status)
	}
	return nil
}

// Dispatcher pushes due deliveries: it claims a batch (so that several
// instances share the work), sends each outside any transaction, and
// records the outcome with its event. A failure is retried with exponential
// backoff and jitter until MaxAttempts, then the delivery has failed.
type Dispatcher struct {
	Store       *Store
	Senders     map[string]Provider // by channel: sms, wechat, webhook
	Log         *slog.Logger
	Metrics     *Metrics // optional
	Now         func() time.Time
	MaxAttempts int           // default 5
	RetryBase   time.Duration // the first retry's delay; default 30 s, doubling
	Claim       time.Duration // how long a claimed delivery is held; default 2 minutes
	Poll        time.Duration // the pause when nothing is due; default 1 s
	Batch       int           // default 50
	SendTimeout time.Duration // the most one send may take; default 15 s
}

// withDefaults returns a copy of d with the defaults filled in; Run and Once
// work on the copy and never write d, which others may read meanwhile.
func (d *Dispatcher) withDefaults() *Dispatcher {
	c := *d
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 30 * time.Second
	}
	if c.Claim <= 0 {
		c.Claim = 2 * time.Minute
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	if c.Batch <= 0 {
		c.Batch = 50
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 15 * time.Second
	}
	if c.Now == nil {
		c.Now = func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
	}
	return &c
}

// backoff is the delay before retry n (1 for the first): RetryBase doubling,
// with up to a quarter of it added at random so retries do not come in waves.
func (d *Dispatcher) backoff(n int) time.Duration {
	delay := d.RetryBase << min(n-1, 10)
	return delay + time.Duration(rand.Int64N(int64(delay)/4+1))
}

// Run pushes deliveries until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	d = d.withDefaults()
	for ctx.Err() == nil {
		n, err := d.Once(ctx)
		if err != nil && ctx.Err() == nil {
			d.Log.Warn("dispatch", "err", err)
		}
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(d.Poll):
			}
		}
	}
}

// Once claims and pushes one batch of due deliveries, and returns how many.
func (d *Dispatcher) Once(ctx context.Context) (int, error) {
	d = d.withDefaults()
	pushes, err := d.Store.claimDeliveries(ctx, d.Now(), d.Claim, d.Batch)
	if err != nil {
		return 0, err
	}
	for i, p := range pushes {
		// A push that could not finish before the claim runs out is given
		// back untried, so no other instance sends it while this one might.
		if d.Now().Add(d.SendTimeout).After(p.claimedUntil) {
			return i, d.Store.release(ctx, pushes[i:], d.Now())
		}
		sender, ok := d.Senders[p.Channel]
		err := errors.New("no sender for the channel")
		if p.secretErr != nil {
			err, ok = p.secretErr, false
		}
		if ok {
			sctx, cancel := context.WithTimeout(ctx, d.SendTimeout)
			err = sender.Send(sctx, p)
			cancel()
		}
		if ctx.Err() != nil {
			return 0, ctx.Err() // the claim runs out and the delivery is tried again
		}
		out := outcome{Push: p, At: d.Now()}
		switch {
		case err == nil:
			out.Status = "delivered"
		case p.Attempt >= d.MaxAttempts:
			out.Status, out.Error = "failed", err.Error()
		default:
			// A retry that would fall in the recipient's quiet hours waits
			// for their end, as the first try did.
			retry := out.At.Add(d.backoff(p.Attempt))
			out.Status, out.Error, out.Waiting = "pending", err.Error(), waitingRetry
			out.Retry = p.quiet.DeliverAt(retry, p.Urgent)
			if !out.Retry.Equal(retry) {
				out.Waiting = waitingQuietHours
			}
		}
		if err := d.Store.recordOutcome(ctx, out); err != nil {
			return 0, err
		}
		outcomeLabel := out.Status
		if out.Status == "pending" {
			outcomeLabel = "retry"
		}
		d.Metrics.pushed(p.Channel, outcomeLabel)
		if out.Status != "delivered" {
			d.Log.Warn("push failed", "channel", p.Channel, "notification_id", p.NotificationID, "attempt", p.Attempt,
				"status", out.Status, "err", out.Error)
		}
	}
	return len(pushes), nil
}

// outcome is what became of a push.
type outcome struct {
	Push
	Status  string // delivered, pending (to retry at Retry), failed
	Error   string
	Retry   time.Time
	Waiting string // for pending: why it waits until Retry
	At      time.Time
}

// claimDeliveries holds a batch of due deliveries for claim, counting the
// attempt, and returns them with what sending needs.
func (s *Store) claimDeliveries(ctx context.Context, now time.Time, claim time.Duration, batch int) ([]Push, error) {
	rows, err := s.pool.Query(ctx, `WITH due AS (
			SELECT notification_id, channel FROM deliveries
			WHERE status = 'pending' AND next_attempt_at <= $1
			ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
		UPDATE deliveries d SET attempts = d.attempts + 1, next_attempt_at = $2, waiting = '`+waitingSending+`', updated_at = $1
		FROM due, notifications n LEFT JOIN preferences p ON p.recipient = n.recipient
		WHERE d.notification_id = due.notification_id AND d.channel = due.channel AND n.id = d.notification_id
		RETURNING d.notification_id, d.channel, d.attempts, n.recipient, n.street, n.category, n.title, n.body, n.created_at,
			coalesce(p.webhook_url, ''), coalesce(p.webhook_secret, ''), p.webhook_secret_sealed, n.urgent,
			left(coalesce(p.quiet_start, '22:00')::text, 5), left(coalesce(p.quiet_end, '07:00')::text, 5)`, now, now.Add(claim), batch)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Push, error) {
		p := Push{claimedUntil: now.Add(claim)}
		var legacy string
		var sealed []byte
		err := row.Scan(&p.NotificationID, &p.Channel, &p.Attempt, &p.Recipient, &p.Street, &p.Category, &p.Title, &p.Body,
			&p.CreatedAt, &p.WebhookURL, &legacy, &sealed, &p.Urgent, &p.quiet.Start, &p.quiet.End)
		if err != nil || p.Channel != "webhook" {
			return p, err
		}
		// A secret that does not open (another key) fails this delivery
		// only, like any failed push, not the whole batch.
		p.WebhookSecret, p.secretErr = s.openSecret(p.Recipient, sealed, legacy)
		return p, nil
	})
}

// release gives claimed deliveries back untried: due again now, the
// attempt not counted.
func (s *Store) release(ctx context.Context, pushes []Push, now time.Time) error {
	for _, p := range pushes {
		if _, err := s.pool.Exec(ctx, `UPDATE deliveries SET attempts = attempts - 1, next_attempt_at = $5, waiting = ''
			WHERE notification_id = $1 AND channel = $2 AND attempts = $3 AND next_attempt_at = $4 AND status = 'pending'`,
			p.NotificationID, p.Channel, p.Attempt, p.claimedUntil, now); err != nil {
			return fmt.Errorf("release delivery: %w", err)
		}
	}
	return nil
}

// recordOutcome stores a push's outcome and, when it is final, its event.
func (s *Store) recordOutcome(ctx context.Context, o outcome) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		next := o.At
		if o.Status == "pending" {
			next = o.Retry
		}
		// Only while the claim is ours: the attempt and the hold are as we
		// claimed them. Otherwise another instance has the delivery now.
		tag, err := tx.Exec(ctx, `UPDATE deliveries SET status = $3, last_error = $4, next_attempt_at = $5, updated_at = $6,
				waiting = $9
			WHERE notification_id = $1 AND channel = $2 AND status = 'pending' AND attempts = $7 AND next_attempt_at = $8`,
			o.NotificationID, o.Channel, o.Status, o.Error, next, o.At, o.Attempt, o.claimedUntil, o.Waiting)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		if o.Status == "pending" {
			return nil
		}
		name := event.NotificationDelivered
		if o.Status == "failed" {
			name = event.NotificationFailed
		}
		_, err = s.outbox.Add(ctx, tx, name, o.Street, o.NotificationID.String(), event.DeliveryData{
			NotificationID: o.NotificationID.String(), Recipient: string(o.Recipient), Channel: o.Channel,
			Category: o.Category, Attempts: o.Attempt, Error: o.Error, At: o.At})
		return err
	})
}
