package points

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// The statuses of a redemption.
const (
	RedemptionPlaced    = "placed"
	RedemptionFulfilled = "fulfilled"
	RedemptionCancelled = "cancelled"
)

// Redemption is points spent on an item: placed, then fulfilled (handed
// over) or cancelled (points and stock given back).
type Redemption struct {
	ID           uuid.UUID  `json:"id"`
	WorkerID     uuid.UUID  `json:"worker_id"`
	ItemID       uuid.UUID  `json:"item_id"`
	ItemName     string     `json:"item_name"`
	StoreID      uuid.UUID  `json:"store_id"`
	Street       string     `json:"street"`
	Community    string     `json:"community,omitempty"`
	Quantity     int        `json:"quantity"`
	Points       int64      `json:"points"`
	Status       string     `json:"status"`
	Balance      *int64     `json:"balance,omitempty"` // the account's balance after placing or cancelling
	CancelReason string     `json:"cancel_reason,omitempty"`
	ClosedBy     string     `json:"closed_by,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	caller       string
	key          string
	hash         []byte
	actor        string // who placed it (the token's subject)
	// The worker's place, for staff of the worker's community.
	workerStreet, workerCommunity string
}

// RedeemInput is a redemption request. A worker redeems for themself
// (WorkerID empty or their own); staff at the counter name the worker.
type RedeemInput struct {
	ItemID   string `json:"item_id"`
	Quantity *int   `json:"quantity"`
	WorkerID string `json:"worker_id"`
}

// RedeemRequest is a redemption request with its Idempotency-Key.
type RedeemRequest struct {
	In  RedeemInput
	Key string
	Raw []byte // the body as sent, hashed to tell a replay from a reused key
}

// CancelInput cancels a redemption, saying why.
type CancelInput struct {
	Reason string `json:"reason"`
}

var errRedemptionNotFound = fault.NotFoundf("redemption not found")

// Redeem spends points on an item: in one transaction it locks the account,
// then the item, checks balance and stock, takes both and records the
// redemption with its Idempotency-Key. The same key and body again returns
// the first answer (replayed true); the same key with another body is
// refused.
func (s *Service) Redeem(ctx context.Context, p auth.Principal, req RedeemRequest) (r Redemption, replayed bool, err error) {
	var c validate.Collector
	key := strings.TrimSpace(req.Key)
	c.Check(key != "", "Idempotency-Key", validate.CodeRequired,
		"send a unique Idempotency-Key header with each redemption, and the same one when retrying it")
	c.Check(len(key) <= 200, "Idempotency-Key", validate.CodeTooLong, "at most 200 characters")
	itemID, err := uuid.Parse(req.In.ItemID)
	c.Check(err == nil, "item_id", validate.CodeInvalidFormat, "must be an item id")
	qty := amount(&c, "quantity", req.In.Quantity, 1, MaxRedeemCount)
	workerID, err := s.redeemer(&c, p, req.In.WorkerID)
	if err != nil {
		return Redemption{}, false, err
	}
	if err := c.Err(); err != nil {
		return Redemption{}, false, err
	}
	sum := sha256.Sum256(req.Raw)
	r = Redemption{ID: newID(), WorkerID: workerID, ItemID: itemID, Quantity: qty, Status: RedemptionPlaced,
		caller: callerOf(p), key: key, hash: sum[:], actor: p.Subject}
	for attempt := 0; ; attempt++ {
		r.CreatedAt = s.now()
		replayed, err = s.store.Redeem(ctx, s.stars, &r, func(a *Account, sh Shop, it Item) error {
			// A store serves the workers of its street (or community),
			// whoever is at the counter; staff act within their scope.
			if p.Role != auth.Worker && !p.SeesCommunity(a.Street, a.Community) {
				return errAccountNotFound
			}
			if !sh.serves(*a) || (p.Role != auth.Worker && !sh.visibleTo(p, nil)) {
				return errItemNotFound
			}
			if a.Status != "active" {
				return fault.ConflictReason("worker_left", "the worker has left the ledger; their points can no longer be redeemed")
			}
			if !it.Active {
				return fault.ConflictReason("item_withdrawn", "%s is no longer offered", it.Name)
			}
			if it.Stock < qty {
				return &fault.Error{Kind: fault.Conflict, Message: fmt.Sprintf("only %d of %s left", it.Stock, it.Name),
					Details: map[string]any{"reason": "out_of_stock", "stock": it.Stock}}
			}
			r.ItemName, r.StoreID, r.Street, r.Community = it.Name, sh.ID, sh.Street, sh.Community
			r.Points = int64(it.Price) * int64(qty)
			return nil
		})
		// Two requests with one key at once: the loser finds the winner's
		// row when it tries again.
		if errors.Is(err, errKeyRace) && attempt < 3 {
			continue
		}
		return r, replayed, err
	}
}

// redeemer is the worker a redemption is for.
func (s *Service) redeemer(c *validate.Collector, p auth.Principal, asked string) (uuid.UUID, error) {
	if p.Role == auth.Worker {
		if asked != "" && asked != p.WorkerID {
			return uuid.Nil, fault.Forbiddenf("a worker redeems only their own points")
		}
		id, err := uuid.Parse(p.WorkerID)
		if err != nil {
			return uuid.Nil, errNoAccountYet
		}
		return id, nil
	}
	if !p.IsStaff() {
		return uuid.Nil, fault.Forbiddenf("only workers and staff redeem")
	}
	id, err := uuid.Parse(asked)
	if asked == "" {
		c.Add("worker_id", validate.CodeRequired, "staff redeem for a worker they name")
	} else {
		c.Check(err == nil, "worker_id", validate.CodeInvalidFormat, "must be a worker id")
	}
	return id, nil
}

// callerOf is whose Idempotency-Keys a request's key is among.
func callerOf(p auth.Principal) string {
	return string(p.Role) + "|" + p.Street + "|" + p.Community + "|" + p.WorkerID + "|" + p.Subject
}

// redeemedEvent is the entry Post writes for a placed redemption.
func (r *Redemption) entry(kind string, points int64, actor, reason string) *Entry {
	return &Entry{Kind: kind, Points: points, Cause: kind + ":" + r.ID.String(), RedemptionID: &r.ID,
		Street: r.Street, Community: r.Community, Actor: actor, Reason: reason,
		item: &redeemedItem{id: r.ItemID, name: r.ItemName, quantity: r.Quantity}}
}

// GetRedemption returns a redemption to its worker or to staff of its store
// or of the worker.
func (s *Service) GetRedemption(ctx context.Context, p auth.Principal, id uuid.UUID) (Redemption, error) {
	r, found, err := s.store.Redemption(ctx, id)
	if err != nil {
		return Redemption{}, err
	}
	if !found || !s.seesRedemption(ctx, p, r) {
		return Redemption{}, errRedemptionNotFound
	}
	return r, nil
}

// seesRedemption: its worker, the staff of its store, and the staff of the
// worker's community.
func (s *Service) seesRedemption(_ context.Context, p auth.Principal, r Redemption) bool {
	if p.Role == auth.Worker {
		return p.WorkerID == r.WorkerID.String()
	}
	return p.Manages(r.Street, r.Community) || p.SeesCommunity(r.workerStreet, r.workerCommunity)
}

// CancelRedemption cancels a placed redemption: its worker or the store's
// staff. The points are refunded and the stock restored, in one transaction.
func (s *Service) CancelRedemption(ctx context.Context, p auth.Principal, id uuid.UUID, in CancelInput) (Redemption, error) {
	var c validate.Collector
	reason := c.Text("reason", in.Reason, 0, 500)
	if p.IsStaff() {
		c.Check(reason != "", "reason", validate.CodeRequired, "staff say why they cancel a redemption")
	}
	if err := c.Err(); err != nil {
		return Redemption{}, err
	}
	return s.store.CloseRedemption(ctx, s.stars, id, func(r *Redemption) (*Entry, error) {
		if !s.seesRedemption(ctx, p, *r) {
			return nil, errRedemptionNotFound
		}
		if r.Status != RedemptionPlaced {
			return nil, fault.ConflictReason("redemption_not_cancellable", "a %s redemption cannot be cancelled", r.Status)
		}
		at := s.now()
		r.Status, r.CancelReason, r.ClosedBy, r.ClosedAt = RedemptionCancelled, reason, p.Subject, &at
		return r.entry(KindRefund, r.Points, p.Subject, reason), nil
	})
}

// FulfilRedemption marks a placed redemption handed over, by the store's staff.
func (s *Service) FulfilRedemption(ctx context.Context, p auth.Principal, id uuid.UUID) (Redemption, error) {
	if !p.IsStaff() {
		return Redemption{}, fault.Forbiddenf("the store's staff hand items over")
	}
	return s.store.CloseRedemption(ctx, s.stars, id, func(r *Redemption) (*Entry, error) {
		if !p.Manages(r.Street, r.Community) {
			return nil, errRedemptionNotFound
		}
		if r.Status != RedemptionPlaced {
			return nil, fault.ConflictReason("redemption_not_fulfillable", "a %s redemption cannot be fulfilled", r.Status)
		}
		at := s.now()
		r.Status, r.ClosedBy, r.ClosedAt = RedemptionFulfilled, p.Subject, &at
		return nil, nil
	})
}

// RedemptionQuery filters and pages redemptions (newest first).
type RedemptionQuery struct {
	WorkerID string
	StoreID  string
	Status   string
	Street   string // the redemption's (its store's) street; staff's is fitted to their scope
	Commun   string
	Limit    int
	After    string
}

// ListRedemptions lists a worker's own redemptions, or those of the stores
// staff look after.
func (s *Service) ListRedemptions(ctx context.Context, p auth.Principal, q RedemptionQuery) (Page[Redemption], error) {
	var c validate.Collector
	c.Check(q.Limit >= 1 && q.Limit <= 500, "limit", validate.CodeOutOfRange, "must be between 1 and 500")
	if q.After != "" {
		_, err := uuid.Parse(q.After)
		c.Check(err == nil, "after", validate.CodeInvalidFormat, "must be the next cursor of a previous page")
	}
	if q.Status != "" {
		c.OneOf("status", q.Status, []string{RedemptionPlaced, RedemptionFulfilled, RedemptionCancelled})
	}
	for _, f := range []struct{ name, v string }{{"worker_id", q.WorkerID}, {"store_id", q.StoreID}} {
		if f.v != "" {
			_, err := uuid.Parse(f.v)
			c.Check(err == nil, f.name, validate.CodeInvalidFormat, "must be an id")
		}
	}
	if err := c.Err(); err != nil {
		return Page[Redemption]{}, err
	}
	switch p.Role {
	case auth.Worker:
		if q.WorkerID != "" && q.WorkerID != p.WorkerID {
			return Page[Redemption]{}, fault.Forbiddenf("a worker sees only their own redemptions")
		}
		q.WorkerID = p.WorkerID
		if q.Street != "" {
			// Their own street only, as their other lists (ownPlace).
			a, err := s.callerAccount(ctx, p)
			if err != nil {
				return Page[Redemption]{}, err
			}
			if q.Street, err = ownPlace(a, q.Street, ""); err != nil {
				return Page[Redemption]{}, err
			}
		}
	default:
		// Staff: the street filter fitted to their scope (scope): a street
		// admin's is their own street, community staff's their community;
		// another street, or one the registry never created, is 422.
		var err error
		if q.Street, q.Commun, err = s.scope(ctx, p, q.Street, ""); err != nil {
			return Page[Redemption]{}, err
		}
	}
	return s.store.ListRedemptions(ctx, q)
}

// redeemedEvent names the event of a redemption's entry.
func redeemedEvent(kind string) event.Name {
	if kind == KindRefund {
		return event.PointsRefunded
	}
	return event.PointsRedeemed
}
