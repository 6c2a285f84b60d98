package activity

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// WorkerActivity is one activity a worker signed up for (a withdrawn
// sign-up too) or attended, with their sign-up and attendance: the
// worker's activity record as staff look it up (GET
// /v1/workers/{worker_id}/activities).
type WorkerActivity struct {
	// Activity is the activity, without its check-in code.
	Activity Activity `json:"activity"`
	// Signup is the worker's sign-up (signed_up or withdrawn); null when
	// staff checked them in without one.
	Signup *Signup `json:"signup"`
	// Attendance is their check-in, check-out and hours; null when they
	// were never checked in.
	Attendance *Attendance `json:"attendance"`
}

// WorkerActivityQuery pages a worker's activities, newest start first
// (keyset on starts_at and id).
type WorkerActivityQuery struct {
	Limit int
	After string // cursor: the starts_at and id of the last item of the previous page
	// Set by the service.
	worker            uuid.UUID
	street, community string // staff's scope: "" for none; community also takes street-wide ones
	afterStart        time.Time
	afterID           uuid.UUID
}

// startCursor is the next-page cursor of a list by starts_at: the last
// row's start (RFC 3339, UTC, to the microsecond) and id.
func startCursor(a Activity) string {
	return a.StartsAt.UTC().Format(time.RFC3339Nano) + "_" + a.ID.String()
}

// parseTimeCursor reads a startCursor or a dueCursor.
func parseTimeCursor(s string) (time.Time, uuid.UUID, bool) {
	at, id, ok := strings.Cut(s, "_")
	if !ok {
		return time.Time{}, uuid.Nil, false
	}
	t, err1 := time.Parse(time.RFC3339Nano, at)
	u, err2 := uuid.Parse(id)
	return t, u, err1 == nil && err2 == nil
}

// WorkerActivities lists the activities worker id signed up for or
// attended, newest start first, each with their sign-up and attendance.
// Staff whose scope covers the worker's community see those organised in
// their scope (community staff: their community's and their street's
// street-wide ones); a worker sees their own, all of them. Anyone else, or
// a worker out of the caller's scope, gets 404.
func (s *Service) WorkerActivities(ctx context.Context, p auth.Principal, id uuid.UUID, q WorkerActivityQuery) (Page[WorkerActivity], error) {
	var c validate.Collector
	c.Check(q.Limit >= 1 && q.Limit <= 500, "limit", validate.CodeOutOfRange, "must be between 1 and 500")
	if q.After != "" {
		var ok bool
		q.afterStart, q.afterID, ok = parseTimeCursor(q.After)
		c.Check(ok, "after", validate.CodeInvalidFormat, "must be the next cursor of a previous page")
	}
	if err := c.Err(); err != nil {
		return Page[WorkerActivity]{}, err
	}
	switch {
	case p.Role == auth.Worker:
		if p.WorkerID != id.String() {
			return Page[WorkerActivity]{}, errWorkerUnknown
		}
	case p.IsStaff():
		w, found, err := s.store.Worker(ctx, id)
		if err != nil {
			return Page[WorkerActivity]{}, err
		}
		if !found || !p.SeesCommunity(w.Street, w.Community) {
			return Page[WorkerActivity]{}, errWorkerUnknown
		}
		switch p.Role {
		case auth.StreetAdmin:
			q.street = p.Street
		case auth.CommunityStaff:
			q.street, q.community = p.Street, p.Community
		}
	default:
		return Page[WorkerActivity]{}, fault.Forbiddenf("only staff and the worker may list a worker's activities")
	}
	q.worker = id
	return s.store.WorkerActivities(ctx, q)
}
