package notification

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Segment picks the workers a broadcast reaches: those of a street,
// optionally narrowed to a community, an occupation and a political status.
// ActivityID (set by the service only) picks those signed up for it.
type Segment struct {
	Street          string `json:"street"`
	Community       string `json:"community,omitempty"`
	Occupation      string `json:"occupation,omitempty"`
	PoliticalStatus string `json:"political_status,omitempty"`
	ActivityID      string `json:"activity_id,omitempty"`
}

// Broadcast is one message to a segment, fanned out in batches by a job.
type Broadcast struct {
	ID         uuid.UUID         `json:"id"`
	Street     string            `json:"street"`
	Segment    Segment           `json:"segment"`
	Template   string            `json:"template"`
	Variables  map[string]string `json:"variables"`
	Urgent     bool              `json:"urgent,omitempty"`
	Status     string            `json:"status"`          // pending, running, done, failed
	Error      string            `json:"error,omitempty"` // why it failed
	Total      *int              `json:"total,omitempty"`
	Sent       int               `json:"sent"`
	CreatedBy  string            `json:"created_by"`
	CreatedAt  time.Time         `json:"created_at"`
	FinishedAt *time.Time        `json:"finished_at,omitempty"`
	cause      string
}

// BroadcastInput is a street admin's broadcast.
type BroadcastInput struct {
	Template  string            `json:"template"`
	Variables map[string]string `json:"variables"`
	Segment   Segment           `json:"segment"`
	Urgent    bool              `json:"urgent"` // pushed even in quiet hours: for what cannot wait
}

var errBroadcastNotFound = fault.NotFoundf("broadcast not found")

// systemBroadcast is a broadcast the service makes for an event.
func systemBroadcast(street string, seg Segment, key string, vars map[string]string, cause string, at time.Time) Broadcast {
	return Broadcast{ID: newID(), Street: street, Segment: seg, Template: key, Variables: vars, Status: "pending",
		CreatedBy: "system", CreatedAt: at, cause: cause}
}

// CreateBroadcast queues a broadcast of a broadcastable template to a
// segment of the caller's street. It checks the template's variables and
// that the segment reaches someone, so nothing is queued that cannot go out.
func (s *Service) CreateBroadcast(ctx context.Context, p auth.Principal, in BroadcastInput) (Broadcast, error) {
	if !p.AtLeastStreetAdmin() {
		return Broadcast{}, fault.Forbiddenf("only a street or district admin broadcasts")
	}
	var c validate.Collector
	t, ok := templateByKey(in.Template)
	if !ok || !t.Broadcast {
		var keys []string
		for _, t := range templates {
			if t.Broadcast {
				keys = append(keys, t.Key)
			}
		}
		c.Add("template", validate.CodeUnknownValue, "must be one of "+strings.Join(keys, ", "))
	} else {
		t.checkVars(&c, in.Variables)
	}
	seg := checkSegment(&c, p, in.Segment)
	if err := c.Err(); err != nil {
		return Broadcast{}, err
	}
	if err := s.checkCommunity(ctx, seg); err != nil {
		return Broadcast{}, err
	}
	n, err := s.store.audience(ctx, seg)
	if err != nil {
		return Broadcast{}, err
	}
	if n == 0 {
		return Broadcast{}, validate.Errors{{Field: "segment", Code: validate.CodeOutOfRange,
			Message: "no active worker is in this segment"}}
	}
	if _, err := t.Render("zh-CN", in.Variables); err != nil {
		return Broadcast{}, err
	}
	b := Broadcast{ID: newID(), Street: seg.Street, Segment: seg, Template: t.Key, Variables: in.Variables,
		Urgent: in.Urgent, Status: "pending", CreatedBy: p.Subject, CreatedAt: s.now()}
	b.cause = "broadcast:" + b.ID.String()
	if err := s.store.AddBroadcast(ctx, b); err != nil {
		return Broadcast{}, err
	}
	return b, nil
}

// AudienceInput is a segment to count before broadcasting to it: the
// segment a BroadcastInput takes.
type AudienceInput struct {
	Segment Segment `json:"segment"`
}

// Audience is how many a broadcast to a segment would reach now.
type Audience struct {
	Segment    Segment `json:"segment"`
	Recipients int     `json:"recipients"`
}

// PreviewBroadcast counts the active workers a broadcast to the segment
// would reach if queued now, with the scope and checks of CreateBroadcast
// (a street admin their own street, a district admin the street named;
// others 403) — but a segment of no one is an answer (0), not an error.
// It queues and sends nothing. The fan-out counts again when it starts:
// workers registered or gone in between change the total.
func (s *Service) PreviewBroadcast(ctx context.Context, p auth.Principal, in AudienceInput) (Audience, error) {
	if !p.AtLeastStreetAdmin() {
		return Audience{}, fault.Forbiddenf("only a street or district admin broadcasts")
	}
	var c validate.Collector
	seg := checkSegment(&c, p, in.Segment)
	if err := c.Err(); err != nil {
		return Audience{}, err
	}
	if err := s.checkCommunity(ctx, seg); err != nil {
		return Audience{}, err
	}
	n, err := s.store.audience(ctx, seg)
	if err != nil {
		return Audience{}, err
	}
	return Audience{Segment: seg, Recipients: n}, nil
}

// checkSegment fits a requested segment to the caller's scope, adding to c
// what is wrong with it: a street admin's is their own street (naming
// another is an error), a district admin's the street they name; the
// activity is the service's alone to address.
func checkSegment(c *validate.Collector, p auth.Principal, seg Segment) Segment {
	seg.ActivityID = ""
	switch p.Role {
	case auth.DistrictAdmin:
		c.Check(seg.Street != "", "segment.street", validate.CodeRequired, "is required for a district admin")
	case auth.StreetAdmin:
		c.Check(seg.Street == "" || seg.Street == p.Street, "segment.street", validate.CodeUnknownValue, "must be your own street")
		seg.Street = p.Street
	}
	if seg.Occupation != "" {
		c.OneOf("segment.occupation", seg.Occupation, event.Occupations)
	}
	if seg.PoliticalStatus != "" {
		c.OneOf("segment.political_status", seg.PoliticalStatus, event.PoliticalStatuses)
	}
	return seg
}

// checkCommunity refuses a segment's community that registry events never
// named for its street.
func (s *Service) checkCommunity(ctx context.Context, seg Segment) error {
	if seg.Community == "" {
		return nil
	}
	known, err := s.store.communityKnown(ctx, seg.Street, seg.Community)
	if err != nil {
		return err
	}
	if !known {
		return validate.Errors{{Field: "segment.community", Code: validate.CodeUnknownValue,
			Message: fmt.Sprintf("street %s has no community %s", seg.Street, seg.Community)}}
	}
	return nil
}

// GetBroadcast returns a broadcast and its progress.
func (s *Service) GetBroadcast(ctx context.Context, p auth.Principal, id uuid.UUID) (Broadcast, error) {
	if !p.AtLeastStreetAdmin() {
		return Broadcast{}, fault.Forbiddenf("only a street or district admin sees broadcasts")
	}
	b, found, err := s.store.Broadcast(ctx, id)
	if err != nil {
		return Broadcast{}, err
	}
	if !found || !p.SeesStreet(b.Street) {
		return Broadcast{}, errBroadcastNotFound
	}
	return b, nil
}

// ListBroadcasts lists the broadcasts of the caller's street, newest first.
func (s *Service) ListBroadcasts(ctx context.Context, p auth.Principal, street string) ([]Broadcast, error) {
	if !p.AtLeastStreetAdmin() {
		return nil, fault.Forbiddenf("only a street or district admin sees broadcasts")
	}
	var c validate.Collector
	street = streetFilter(ctx, &c, p, street)
	if err := c.Err(); err != nil {
		return nil, err
	}
	return s.store.Broadcasts(ctx, street, 100)
}

// BroadcastJob fans broadcasts out, batch by batch, until ctx ends. Several
// instances may run it: a broadcast is leased to one at a time, and a
// person is reached once whoever sends the batch (the cause is unique).
type BroadcastJob struct {
	Service *Service
	Log     *slog.Logger
	Batch   int           // recipients per transaction; default 1000
	Lease   time.Duration // how long a broadcast is held; default 1 minute
	Idle    time.Duration // the pause when there is nothing to do; default 1 s
	Metrics *Metrics      // counts broadcasts that failed; nil counts nothing
}

// Run runs the job until ctx ends.
func (j BroadcastJob) Run(ctx context.Context) {
	if j.Batch <= 0 {
		j.Batch = 1000
	}
	if j.Lease <= 0 {
		j.Lease = time.Minute
	}
	if j.Idle <= 0 {
		j.Idle = time.Second
	}
	for ctx.Err() == nil {
		worked, err := j.step(ctx)
		if err != nil && ctx.Err() == nil {
			j.Log.Warn("broadcast fan-out", "err", err)
		}
		if !worked || err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(j.Idle):
			}
		}
	}
}

// step sends one broadcast to the end, or until its lease is lost, and
// reports whether there was one.
func (j BroadcastJob) step(ctx context.Context) (bool, error) {
	st := j.Service.store
	b, found, err := st.claimBroadcast(ctx, j.Service.now(), j.Lease)
	if err != nil || !found {
		return false, err
	}
	// A template gone, or one that no longer renders the variables, will
	// not mend by trying again: the broadcast ends failed, and says why.
	t, ok := templateByKey(b.Template)
	if !ok {
		return true, j.fail(ctx, b, fmt.Sprintf("no template %q", b.Template))
	}
	zh, err := t.Render("zh-CN", b.Variables)
	if err != nil {
		return true, j.fail(ctx, b, err.Error())
	}
	en, err := t.Render("en", b.Variables)
	if err != nil {
		en = zh
	}
	for {
		done, err := st.fanOut(ctx, &b, t.Category, zh, en, j.Batch, j.Service.now(), j.Lease)
		if errors.Is(err, errLeaseLost) {
			return true, nil // another instance carries on
		}
		if err != nil {
			return true, fmt.Errorf("broadcast %s: %w", b.ID, err)
		}
		if done {
			j.Log.Info("broadcast sent", "broadcast_id", b.ID, "sent", b.Sent)
			return true, nil
		}
	}
}

// fail ends b as failed and counts it.
func (j BroadcastJob) fail(ctx context.Context, b leased, reason string) error {
	err := j.Service.store.failBroadcast(ctx, b, reason, j.Service.now())
	if errors.Is(err, errLeaseLost) {
		return nil
	}
	if err != nil {
		return err
	}
	j.Metrics.broadcastFailed()
	j.Log.Error("broadcast failed", "broadcast_id", b.ID, "template", b.Template, "reason", reason)
	return nil
}

var errLeaseLost = errors.New("the broadcast's lease was taken over")

// segmentSQL is the segment's WHERE clause over workers w, with its
// arguments numbered from first.
func segmentSQL(seg Segment, first int) (string, []any) {
	conds := []string{"w.status = 'active'"}
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, first+len(args)-1))
	}
	add("w.street = $%d", seg.Street)
	for _, f := range []struct{ col, v string }{{"community", seg.Community}, {"occupation", seg.Occupation},
		{"political_status", seg.PoliticalStatus}} {
		if f.v != "" {
			add("w."+f.col+" = $%d", f.v)
		}
	}
	if seg.ActivityID != "" {
		add("w.id IN (SELECT worker_id FROM signups WHERE activity_id = $%d::uuid AND active)", seg.ActivityID)
	}
	return strings.Join(conds, " AND "), args
}

// validLang reports whether a language is one templates speak.
func validLang(l string) bool { return slices.Contains([]string{"zh-CN", "en"}, l) }
