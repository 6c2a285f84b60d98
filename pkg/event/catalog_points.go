package event

import "time"

// The volunteer-points service's events: every ledger entry is one of the
// points events, so the stream is the ledger's public journal.
var (
	PointsEarned   = Name{"points", "points", "earned"}
	PointsRedeemed = Name{"points", "points", "redeemed"}
	PointsRefunded = Name{"points", "points", "refunded"}
	PointsAdjusted = Name{"points", "points", "adjusted"}
	StarChanged    = Name{"points", "star", "changed"}
)

// PointsData is the data of every points.* event: one ledger entry.
// Points is signed (a redemption or a reversal is negative); Balance is the
// account's balance after the entry. Hours are volunteer-service hours the
// entry adds (or, reversed, takes away).
type PointsData struct {
	EntryID   string  `json:"entry_id"`
	WorkerID  string  `json:"worker_id"`
	Street    string  `json:"street"`
	Community string  `json:"community,omitempty"`
	Kind      string  `json:"kind"` // earn, reverse, redeem, refund, adjust
	Points    int64   `json:"points"`
	Hours     float64 `json:"hours,omitempty"`
	Balance   int64   `json:"balance"`
	// Cause names what made the entry: the event id that earned it, the
	// redemption, or the adjustment's reason.
	CauseEventID string `json:"cause_event_id,omitempty"`
	RedemptionID string `json:"redemption_id,omitempty"`
	// ItemID, Item and Quantity say what a redemption (and its refund) is
	// of: the supermarket's item by id and by its public name (电动车头盔),
	// and how many. Added to dataversion 1; absent on other entries.
	ItemID   string `json:"item_id,omitempty"`
	Item     string `json:"item,omitempty"`
	Quantity int    `json:"quantity,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Capped is set when a daily cap cut what the rule gave.
	Capped bool      `json:"capped,omitempty"`
	At     time.Time `json:"at"`
}

// StarChangedData is the data of points.star.changed: a worker's star level
// (星级) moved with their cumulative volunteer-service hours.
type StarChangedData struct {
	WorkerID  string  `json:"worker_id"`
	Street    string  `json:"street"`
	Community string  `json:"community,omitempty"`
	From      int     `json:"from"`
	To        int     `json:"to"`
	Hours     float64 `json:"hours"`
}
