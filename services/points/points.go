// Package points keeps the volunteer-points ledger (志愿积分): points earned
// by volunteer service, attended activities and valid reports, and spent at
// the points supermarket (积分超市).
//
// Points are money-like to the riders who earn them, so the ledger is kept
// with a bank's care:
//   - every change of a balance is an entry, written by Book.Post alone, in
//     the same transaction as the account's row lock, its event and, for
//     earnings, the consumer's inbox row;
//   - entries are never changed or removed (a trigger refuses it): a
//     correction is a reversing entry;
//   - every entry names its cause once (a unique column), so one event or
//     one redemption can never credit or debit twice;
//   - balances and stock are checked in Go and again by CHECK constraints.
//
// Accounts are opened from registry events; earnings come from activity
// events (earn.go). This file holds the domain types; SQL is in store.go and
// book.go, HTTP in transport_http.go.
package points

import (
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/fault"
)

// Shanghai is the zone days, months and years are read in.
var Shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

// DefaultStarHours are the cumulative service hours of one to five stars
// (星级), the registered-volunteer convention.
var DefaultStarHours = []int{100, 300, 600, 1000, 1500}

// Service implements the points service's use cases.
type Service struct {
	store *Store
	stars []int // hours for one to five stars, ascending
	now   func() time.Time
}

// NewService returns the service over store. stars are the hours of one to
// five stars (nil: DefaultStarHours).
func NewService(store *Store, stars []int) *Service {
	if stars == nil {
		stars = DefaultStarHours
	}
	return &Service{store: store, stars: stars, now: now}
}

// now is the current time as Postgres keeps it (UTC, microseconds).
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func newID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// Account is a worker's points account.
type Account struct {
	WorkerID   uuid.UUID `json:"worker_id"`
	Street     string    `json:"street"`
	Community  string    `json:"community"`
	Status     string    `json:"status"` // active | left
	Balance    int64     `json:"balance"`
	CentiHours int64     `json:"-"`
	Hours      float64   `json:"hours"` // volunteer-service hours
	Star       int       `json:"star"`  // 0 to 5
	// NextStarHours is the hours the next star needs (0 at five stars).
	NextStarHours int       `json:"next_star_hours,omitempty"`
	OpenedAt      time.Time `json:"opened_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// The kinds of entry.
const (
	KindEarn    = "earn"    // credited for a service, an activity, a report
	KindReverse = "reverse" // takes back (part of) an earning, when corrected
	KindRedeem  = "redeem"  // spent at the supermarket
	KindRefund  = "refund"  // a cancelled redemption given back
	KindAdjust  = "adjust"  // staff, with a reason
)

// Entry is one line of the ledger.
type Entry struct {
	Seq          int64      `json:"seq"`
	ID           uuid.UUID  `json:"id"`
	WorkerID     uuid.UUID  `json:"worker_id"`
	Street       string     `json:"street"`
	Community    string     `json:"community,omitempty"`
	Kind         string     `json:"kind"`
	Points       int64      `json:"points"`
	CentiHours   int64      `json:"-"`
	Hours        float64    `json:"hours,omitempty"`
	BalanceAfter int64      `json:"balance_after"`
	Cause        string     `json:"-"`
	CauseEventID string     `json:"cause_event_id,omitempty"`
	Ref          string     `json:"ref,omitempty"`
	Reverses     *uuid.UUID `json:"reverses,omitempty"`
	RedemptionID *uuid.UUID `json:"redemption_id,omitempty"`
	RuleID       *uuid.UUID `json:"rule_id,omitempty"`
	ServiceDay   *time.Time `json:"-"`
	Capped       bool       `json:"capped,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	Actor        string     `json:"actor,omitempty"`
	At           time.Time  `json:"at"`
	// item is what a redemption's entry is of, for its event; not stored
	// with the entry (the redemption has it).
	item *redeemedItem
}

// redeemedItem is the item of a redemption, as its entries' events name it.
type redeemedItem struct {
	id       uuid.UUID
	name     string
	quantity int
}

// hours turns centihours into hours for display.
func hours(centi int64) float64 { return float64(centi) / 100 }

// starFor is the star level of cumulative service hours.
func starFor(centihours int64, thresholds []int) int {
	star := 0
	for i, h := range thresholds {
		if centihours >= int64(h)*100 {
			star = i + 1
		}
	}
	return star
}

// nextStar is the hours of the next star above level (0 at the top).
func nextStar(level int, thresholds []int) int {
	if level >= len(thresholds) {
		return 0
	}
	return thresholds[level]
}

// Page is one page of a list; Next is the cursor of the next one.
type Page[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

var (
	errAccountNotFound = fault.NotFoundf("account not found")
	errNoAccountYet    = fault.NotFoundf("no account yet: the worker is not known from the registry")
)
