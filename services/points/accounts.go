package points

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// MaxAdjust is the most points one adjustment may move.
const MaxAdjust = 10000

// account returns an account the caller may see: a worker their own, staff
// those of their scope.
func (s *Service) account(ctx context.Context, p auth.Principal, id uuid.UUID) (Account, error) {
	if p.Role == auth.Worker && p.WorkerID != id.String() {
		return Account{}, fault.Forbiddenf("a worker sees only their own account")
	}
	a, found, err := s.store.Account(ctx, id)
	if err != nil {
		return Account{}, err
	}
	if !found || (p.Role != auth.Worker && !p.SeesCommunity(a.Street, a.Community)) {
		return Account{}, errAccountNotFound
	}
	return a, nil
}

// GetAccount returns an account's balance, hours and star level.
func (s *Service) GetAccount(ctx context.Context, p auth.Principal, id uuid.UUID) (Account, error) {
	a, err := s.account(ctx, p, id)
	if err != nil {
		return Account{}, err
	}
	a.NextStarHours = nextStar(a.Star, s.stars)
	return a, nil
}

// EntryQuery pages an account's entries, newest first.
type EntryQuery struct {
	Limit  int
	Before string // the next cursor of the previous page
}

// ListEntries returns an account's entries, newest first.
func (s *Service) ListEntries(ctx context.Context, p auth.Principal, id uuid.UUID, q EntryQuery) (Page[Entry], error) {
	var c validate.Collector
	c.Check(q.Limit >= 1 && q.Limit <= 500, "limit", validate.CodeOutOfRange, "must be between 1 and 500")
	var before int64
	if q.Before != "" {
		n, err := strconv.ParseInt(q.Before, 10, 64)
		c.Check(err == nil && n > 0, "before", validate.CodeInvalidFormat, "must be the next cursor of a previous page")
		before = n
	}
	if err := c.Err(); err != nil {
		return Page[Entry]{}, err
	}
	if _, err := s.account(ctx, p, id); err != nil {
		return Page[Entry]{}, err
	}
	items, more, err := s.store.Entries(ctx, id, before, q.Limit)
	if err != nil {
		return Page[Entry]{}, err
	}
	page := Page[Entry]{Items: items}
	if more {
		page.Next = strconv.FormatInt(items[len(items)-1].Seq, 10)
	}
	return page, nil
}

// AdjustInput moves points by hand, with the reason.
type AdjustInput struct {
	Points *int64 `json:"points" unit:"points"` // signed; unit names it in errors
	Reason string `json:"reason"`
}

// AdjustRequest is an adjustment with the caller's Idempotency-Key, if any.
type AdjustRequest struct {
	In  AdjustInput
	Key string
}

// Adjust lets staff credit or debit an account by hand. The reason is
// required and kept on the entry with who made it; an adjustment never takes
// a balance below zero. With an Idempotency-Key, a retry answers the entry
// already made.
func (s *Service) Adjust(ctx context.Context, p auth.Principal, id uuid.UUID, req AdjustRequest) (Entry, bool, error) {
	if !p.IsStaff() {
		return Entry{}, false, fault.Forbiddenf("only staff adjust points")
	}
	var c validate.Collector
	if req.In.Points == nil {
		c.Add("points", validate.CodeRequired, "is required: the points to add (or, negative, to take)")
	} else {
		c.Check(*req.In.Points != 0 && *req.In.Points >= -MaxAdjust && *req.In.Points <= MaxAdjust, "points",
			validate.CodeOutOfRange, fmt.Sprintf("must be between -%d and %d, and not 0", MaxAdjust, MaxAdjust))
	}
	reason := c.Text("reason", req.In.Reason, 2, 500)
	key := strings.TrimSpace(req.Key)
	c.Check(len(key) <= 200, "Idempotency-Key", validate.CodeTooLong, "at most 200 characters")
	if err := c.Err(); err != nil {
		return Entry{}, false, err
	}
	e := Entry{ID: newID(), Kind: KindAdjust, Points: *req.In.Points, Reason: reason, Actor: p.Subject}
	e.Cause = "adjust:" + e.ID.String()
	if key != "" {
		e.Cause = "adjust:" + callerOf(p) + ":" + key
	}
	var replayed bool
	err := s.store.write(ctx, s.stars, func(b *Book) error {
		if key != "" {
			// One key at a time, whichever account it names, so that a key
			// reused at once for two accounts is told apart as reused.
			if _, err := b.tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", e.Cause); err != nil {
				return err
			}
		}
		a, err := b.Lock(id)
		if err != nil {
			return err
		}
		if !p.SeesCommunity(a.Street, a.Community) {
			return errAccountNotFound
		}
		if key != "" {
			prev, found, err := s.store.EntryByCause(ctx, b.tx, e.Cause)
			if err != nil {
				return err
			}
			if found {
				if prev.WorkerID != id || prev.Points != e.Points || prev.Reason != e.Reason {
					return validate.Errors{{Field: "Idempotency-Key", Code: "reused",
						Message: "this key was used for a different adjustment; use a new key for a new request"}}
				}
				e, replayed = prev, true
				return nil
			}
		}
		return b.Post(a, &e, event.PointsAdjusted, s.now())
	})
	if err != nil {
		return Entry{}, false, fmt.Errorf("adjust %s: %w", id, err)
	}
	return e, replayed, nil
}

// Mismatch is an account, item or entry that breaks the ledger's invariant.
type Mismatch struct {
	Kind   string `json:"kind"` // account, entry, item
	ID     string `json:"id"`
	Detail string `json:"detail"`
}

// CheckReport is the result of checking the ledger.
type CheckReport struct {
	OK         bool       `json:"ok"`
	Street     string     `json:"street,omitempty"`
	Accounts   int64      `json:"accounts"`
	Entries    int64      `json:"entries"`
	Items      int64      `json:"items"`
	Mismatches []Mismatch `json:"mismatches"`
}

// CheckLedger verifies the invariant: every balance (and hours) equals the
// sum of its entries, every entry's balance after is the running sum, no
// balance and no stock is below zero, and every item's stock equals what was
// stocked less what redemptions not cancelled took. Street admins check
// their street; the district admin everything.
func (s *Service) CheckLedger(ctx context.Context, p auth.Principal, street string) (CheckReport, error) {
	if !p.AtLeastStreetAdmin() {
		return CheckReport{}, fault.Forbiddenf("only a street or district admin checks the ledger")
	}
	street, _, err := s.scope(ctx, p, street, "")
	if err != nil {
		return CheckReport{}, err
	}
	r, err := s.store.Check(ctx, street)
	if err != nil {
		return CheckReport{}, fmt.Errorf("check ledger: %w", err)
	}
	r.Street, r.OK = street, len(r.Mismatches) == 0
	return r, nil
}
