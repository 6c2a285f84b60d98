package notification

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// InboxQuery pages the caller's inbox, newest first.
type InboxQuery struct {
	Unread bool
	Limit  int
	Before string // the next cursor of the previous page
}

// InboxPage is a page of the inbox with the unread count.
type InboxPage struct {
	Items  []Notification `json:"items"`
	Next   string         `json:"next,omitempty"`
	Unread int            `json:"unread"`
}

// Inbox returns the caller's messages: a worker's or a staff member's own.
func (s *Service) Inbox(ctx context.Context, p auth.Principal, q InboxQuery) (InboxPage, error) {
	var c validate.Collector
	c.Check(q.Limit >= 1 && q.Limit <= 200, "limit", validate.CodeOutOfRange, "must be between 1 and 200")
	var before int64
	if q.Before != "" {
		n, err := strconv.ParseInt(q.Before, 10, 64)
		c.Check(err == nil && n > 0, "before", validate.CodeInvalidFormat, "must be the next cursor of a previous page")
		before = n
	}
	if err := c.Err(); err != nil {
		return InboxPage{}, err
	}
	r, err := recipientOf(p)
	if err != nil {
		return InboxPage{}, err
	}
	items, more, err := s.store.Inbox(ctx, r, q.Unread, before, q.Limit)
	if err != nil {
		return InboxPage{}, err
	}
	page := InboxPage{Items: items}
	if more {
		page.Next = strconv.FormatInt(items[len(items)-1].Seq, 10)
	}
	page.Unread, err = s.store.Unread(ctx, r)
	return page, err
}

// errMessageNotFound answers for a message that is not the caller's, or is
// not there at all.
var errMessageNotFound = fault.NotFoundf("message not found")

// MarkRead marks one of the caller's messages read.
func (s *Service) MarkRead(ctx context.Context, p auth.Principal, id uuid.UUID) (Notification, error) {
	r, err := recipientOf(p)
	if err != nil {
		return Notification{}, err
	}
	n, found, err := s.store.MarkRead(ctx, r, id, s.now())
	if err != nil {
		return Notification{}, err
	}
	if !found {
		return Notification{}, errMessageNotFound
	}
	return n, nil
}

// ReadAllInput names the newest message the reader saw (its seq): it and
// every older unread message are marked read; a message that came after
// it, which the reader has not seen, stays unread.
type ReadAllInput struct {
	Through int64 `json:"through"`
}

// ReadAllResult says how many messages were marked and how many stay unread.
type ReadAllResult struct {
	Marked int `json:"marked"`
	Unread int `json:"unread"`
}

// MarkAllRead marks the caller's messages read, up to the newest they saw.
func (s *Service) MarkAllRead(ctx context.Context, p auth.Principal, in ReadAllInput) (ReadAllResult, error) {
	var c validate.Collector
	c.Check(in.Through > 0, "through", validate.CodeRequired, "must be the seq of the newest message the reader saw")
	if err := c.Err(); err != nil {
		return ReadAllResult{}, err
	}
	r, err := recipientOf(p)
	if err != nil {
		return ReadAllResult{}, err
	}
	marked, err := s.store.MarkAllRead(ctx, r, in.Through, s.now())
	if err != nil {
		return ReadAllResult{}, err
	}
	unread, err := s.store.Unread(ctx, r)
	if err != nil {
		return ReadAllResult{}, err
	}
	return ReadAllResult{Marked: marked, Unread: unread}, nil
}

// GetPreferences returns the caller's preferences (the defaults until set).
func (s *Service) GetPreferences(ctx context.Context, p auth.Principal) (Preferences, error) {
	r, err := recipientOf(p)
	if err != nil {
		return Preferences{}, err
	}
	return s.store.Preferences(ctx, r)
}

// PreferencesInput replaces the caller's preferences. Channels maps a
// category to each channel on or off; the inbox is always on.
type PreferencesInput struct {
	Lang       string                     `json:"lang"`
	Channels   map[string]map[string]bool `json:"channels"`
	QuietHours *QuietHours                `json:"quiet_hours"`
	WebhookURL string                     `json:"webhook_url"`
}

// checkWebhookURL accepts an absolute http(s) URL with a host.
func checkWebhookURL(c *validate.Collector, raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if !c.Check(err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil,
		"webhook_url", validate.CodeInvalidFormat, "must be an http:// or https:// address, e.g. https://example.org/hooks/nuanxin") {
		return ""
	}
	c.Check(len(raw) <= 500, "webhook_url", validate.CodeTooLong, "at most 500 characters")
	return raw
}

// SetPreferences replaces the caller's preferences. Turning a webhook on
// for the first time (or pointing it elsewhere) makes a new signing secret,
// shown in this answer only.
func (s *Service) SetPreferences(ctx context.Context, p auth.Principal, in PreferencesInput) (Preferences, error) {
	r, err := recipientOf(p)
	if err != nil {
		return Preferences{}, err
	}
	cur, err := s.store.Preferences(ctx, r)
	if err != nil {
		return Preferences{}, err
	}
	next := Preferences{Recipient: r, Lang: "zh-CN", Channels: map[string][]string{}, QuietHours: DefaultQuietHours,
		UpdatedAt: s.now()}
	var c validate.Collector
	if in.Lang != "" {
		c.Check(validLang(in.Lang), "lang", validate.CodeUnknownValue, "must be zh-CN or en")
		next.Lang = in.Lang
	}
	// In a fixed order, so that the same request names its errors alike.
	for _, category := range slices.Sorted(maps.Keys(in.Channels)) {
		chans := in.Channels[category]
		if !slices.Contains(Categories, category) {
			c.Add("channels."+category, validate.CodeUnknownValue, "is not a category; one of "+strings.Join(Categories, ", "))
			continue
		}
		for _, ch := range slices.Sorted(maps.Keys(chans)) {
			on := chans[ch]
			field := "channels." + category + "." + ch
			switch {
			case ch == "inbox":
				c.Check(on, field, validate.CodeOutOfRange, "the inbox is always on")
			case !slices.Contains(Channels, ch):
				c.Add(field, validate.CodeUnknownValue, "is not a channel; one of inbox, "+strings.Join(Channels, ", "))
			case on:
				next.Channels[category] = append(next.Channels[category], ch)
			}
		}
		slices.Sort(next.Channels[category])
	}
	if in.QuietHours != nil {
		_, ok1 := clock(in.QuietHours.Start)
		_, ok2 := clock(in.QuietHours.End)
		c.Check(ok1, "quiet_hours.start", validate.CodeInvalidFormat, `must be a time of day, e.g. "22:00"`)
		c.Check(ok2, "quiet_hours.end", validate.CodeInvalidFormat, `must be a time of day, e.g. "07:00"`)
		next.QuietHours = *in.QuietHours
	}
	next.WebhookURL = checkWebhookURL(&c, in.WebhookURL)
	for category, chans := range next.Channels {
		if slices.Contains(chans, "webhook") && next.WebhookURL == "" {
			c.Add("channels."+category+".webhook", validate.CodeRequired, "a webhook needs webhook_url")
		}
	}
	if err := c.Err(); err != nil {
		return Preferences{}, err
	}
	next.secret, next.sealed = cur.secret, cur.sealed // kept as stored
	if next.WebhookURL != "" && (!cur.SecretSet || next.WebhookURL != cur.WebhookURL) {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return Preferences{}, fmt.Errorf("webhook secret: %w", err)
		}
		next.secret, next.sealed = "whsec_"+hex.EncodeToString(b), nil
		next.WebhookSecret = next.secret
	}
	if next.WebhookURL == "" {
		next.secret, next.sealed = "", nil
	}
	next.SecretSet = next.secret != "" || len(next.sealed) > 0
	if err := s.store.SavePreferences(ctx, next); err != nil {
		return Preferences{}, err
	}
	return next, nil
}

// PreviewInput renders a template with variables, to see a message before
// broadcasting it.
type PreviewInput struct {
	Variables map[string]string `json:"variables"`
	Lang      string            `json:"lang"`
}

// Preview renders a template for staff.
func (s *Service) Preview(p auth.Principal, key string, in PreviewInput) (Message, error) {
	if !p.IsStaff() {
		return Message{}, fault.Forbiddenf("only staff preview templates")
	}
	t, ok := templateByKey(key)
	if !ok {
		return Message{}, fault.NotFoundf("template not found")
	}
	var c validate.Collector
	t.checkVars(&c, in.Variables)
	if in.Lang != "" {
		c.Check(validLang(in.Lang), "lang", validate.CodeUnknownValue, "must be zh-CN or en")
	}
	if err := c.Err(); err != nil {
		return Message{}, err
	}
	return t.Render(in.Lang, in.Variables)
}
