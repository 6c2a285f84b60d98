package points

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// ActivityKinds are the activity service's kinds of activity, which a rule
// may give points for attending.
var ActivityKinds = []string{"study", "council", "safety_training", "anti_fraud", "festival_visit",
	"health_check", "haircut", "volunteer_service", "campaign", "other"}

// Rule is how a street office awards points, from EffectiveFrom on. A
// service is scored by the rule in effect when it was done.
type Rule struct {
	ID             uuid.UUID      `json:"id,omitzero"` // none for the built-in default
	Street         string         `json:"street"`
	EffectiveFrom  time.Time      `json:"effective_from,omitzero"` // none for the built-in default
	PerHour        int            `json:"per_hour"`                // per volunteer-service hour
	PerActivity    map[string]int `json:"per_activity"`            // per attended activity, by kind
	PerValidReport int            `json:"per_valid_report"`        // per report closed as valid
	DailyCap       int            `json:"daily_cap"`               // most points earned in one Shanghai day
	Note           string         `json:"note,omitempty"`
	CreatedBy      string         `json:"created_by,omitempty"`
	CreatedAt      time.Time      `json:"created_at,omitzero"`
}

// DefaultRule applies where a street office has set none: 10 points an hour
// of volunteer service, 5 for attending any activity, 20 for a valid report,
// at most 200 a day.
func DefaultRule(street string) Rule {
	per := map[string]int{}
	for _, k := range ActivityKinds {
		per[k] = 5
	}
	return Rule{Street: street, PerHour: 10, PerActivity: per, PerValidReport: 20, DailyCap: 200}
}

// ruleID is the rule's id for an entry (nil for the default).
func (r Rule) ruleID() *uuid.UUID {
	if r.ID == uuid.Nil {
		return nil
	}
	return &r.ID
}

// forAttendance is what an attendance earns before the daily cap: the
// activity's points, and for volunteer service the hours' (rounded down:
// the ledger never credits a fraction it cannot show).
func (r Rule) forAttendance(kind string, volunteer bool, centihours int64) int64 {
	p := int64(r.PerActivity[kind])
	if volunteer {
		p += int64(r.PerHour) * centihours / 100
	}
	return p
}

// RuleInput sets a street's rule from a time on.
type RuleInput struct {
	Street         string         `json:"street"` // district admin only; street admins set their own
	EffectiveFrom  string         `json:"effective_from"`
	PerHour        *int           `json:"per_hour"`
	PerActivity    map[string]int `json:"per_activity"`
	PerValidReport *int           `json:"per_valid_report"`
	DailyCap       *int           `json:"daily_cap"`
	Note           string         `json:"note"`
}

// effectiveFrom reads when a rule starts: a date (its midnight in Shanghai)
// or an RFC 3339 time, not in the past — a rule never rescores service
// already done.
func effectiveFrom(c *validate.Collector, s string, now time.Time) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		c.Add("effective_from", validate.CodeRequired, "is required: the rule applies to service done from then on")
		return time.Time{}
	}
	t, err := time.ParseInLocation(time.DateOnly, s, Shanghai)
	if err != nil {
		t, err = time.Parse(time.RFC3339, s)
	}
	if err != nil {
		c.Add("effective_from", validate.CodeInvalidFormat, `must be a date ("2026-12-01") or an RFC 3339 time`)
		return time.Time{}
	}
	t = t.UTC().Truncate(time.Microsecond)
	c.Check(!t.Before(now.Add(-time.Minute)), "effective_from", validate.CodeOutOfRange,
		"must not be in the past: a rule applies to service done after it")
	return t
}

func amount(c *validate.Collector, field string, v *int, min, max int) int {
	if v == nil {
		c.Add(field, validate.CodeRequired, "is required")
		return 0
	}
	c.Check(*v >= min && *v <= max, field, validate.CodeOutOfRange, fmt.Sprintf("must be between %d and %d", min, max))
	return *v
}

// SetRule adds a version of a street's rule, effective from a time not in
// the past. Street admins set their own street's; the district admin any.
func (s *Service) SetRule(ctx context.Context, p auth.Principal, in RuleInput) (Rule, error) {
	if !p.AtLeastStreetAdmin() {
		return Rule{}, fault.Forbiddenf("only a street or district admin sets the points rules")
	}
	at := s.now()
	r := Rule{ID: newID(), CreatedBy: p.Subject, CreatedAt: at, PerActivity: map[string]int{}}
	var c validate.Collector
	r.Street = streetOf(&c, p, in.Street)
	r.EffectiveFrom = effectiveFrom(&c, in.EffectiveFrom, at)
	r.PerHour = amount(&c, "per_hour", in.PerHour, 0, 1000)
	r.PerValidReport = amount(&c, "per_valid_report", in.PerValidReport, 0, 1000)
	r.DailyCap = amount(&c, "daily_cap", in.DailyCap, 1, 100000)
	for _, k := range slices.Sorted(maps.Keys(in.PerActivity)) {
		v := in.PerActivity[k]
		if !slices.Contains(ActivityKinds, k) {
			c.Add("per_activity."+k, validate.CodeUnknownValue, "is not an activity kind; one of "+strings.Join(ActivityKinds, ", "))
			continue
		}
		c.Check(v >= 0 && v <= 1000, "per_activity."+k, validate.CodeOutOfRange, "must be between 0 and 1000")
		r.PerActivity[k] = v
	}
	r.Note = c.Text("note", in.Note, 0, 500)
	if err := c.Err(); err != nil {
		return Rule{}, err
	}
	if err := s.store.AddRule(ctx, r); err != nil {
		return Rule{}, err
	}
	return r, nil
}

// streetOf is the street an admin acts on: their own, or for the district
// admin the one they name.
func streetOf(c *validate.Collector, p auth.Principal, street string) string {
	street = strings.TrimSpace(street)
	if p.Role == auth.DistrictAdmin {
		if c.Check(street != "", "street", validate.CodeRequired, "is required for a district admin") {
			c.Check(event.ValidToken(street), "street", validate.CodeInvalidFormat,
				"must be a street code: lower-case letters, digits, - or _, at most 64")
		}
		return street
	}
	c.Check(street == "" || street == p.Street, "street", validate.CodeUnknownValue, "must be your own street")
	return p.Street
}

// RulesOf lists a street's rule versions, oldest first, and the one in
// effect now (the default when the street has set none yet), to staff of the
// street and to its workers.
func (s *Service) RulesOf(ctx context.Context, p auth.Principal, street string) (map[string]any, error) {
	if p.Role == auth.Worker {
		// A rider sees how their own street awards points.
		a, err := s.callerAccount(ctx, p)
		if err != nil {
			return nil, err
		}
		if street, err = ownPlace(a, street, ""); err != nil {
			return nil, err
		}
	} else {
		if p.Role == auth.DistrictAdmin && street == "" {
			return nil, validate.Errors{{Field: "street", Code: validate.CodeRequired, Message: "is required for a district admin"}}
		}
		var err error
		if street, _, err = s.scope(ctx, p, street, ""); err != nil {
			return nil, err
		}
	}
	versions, err := s.store.Rules(ctx, street)
	if err != nil {
		return nil, err
	}
	current, err := s.store.RuleAt(ctx, s.store.pool, street, s.now())
	if err != nil {
		return nil, err
	}
	return map[string]any{"street": street, "current": current, "versions": versions}, nil
}

const ruleCols = "id, street, effective_from, per_hour, per_activity, per_valid_report, daily_cap, note, created_by, created_at"

func scanRule(row pgx.Row) (Rule, error) {
	var r Rule
	err := row.Scan(&r.ID, &r.Street, &r.EffectiveFrom, &r.PerHour, &r.PerActivity, &r.PerValidReport, &r.DailyCap,
		&r.Note, &r.CreatedBy, &r.CreatedAt)
	return r, err
}

// AddRule stores a rule version; one per street and start time.
func (s *Store) AddRule(ctx context.Context, r Rule) error {
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO rules ("+ruleCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
			r.ID, r.Street, r.EffectiveFrom, r.PerHour, r.PerActivity, r.PerValidReport, r.DailyCap, r.Note, r.CreatedBy, r.CreatedAt)
		return err
	})
	if db.IsUniqueViolation(err, "") {
		return fault.ConflictReason("rule_exists", "street %s already has a rule starting at %s", r.Street, r.EffectiveFrom.Format(time.RFC3339))
	}
	if err != nil {
		return fmt.Errorf("add rule: %w", err)
	}
	return nil
}

// Rules lists a street's rule versions by start.
func (s *Store) Rules(ctx context.Context, street string) ([]Rule, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+ruleCols+" FROM rules WHERE street = $1 ORDER BY effective_from", street)
	if err != nil {
		return nil, fmt.Errorf("rules of %s: %w", street, err)
	}
	rules, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Rule, error) { return scanRule(row) })
	if err != nil {
		return nil, fmt.Errorf("rules of %s: %w", street, err)
	}
	if rules == nil {
		rules = []Rule{}
	}
	return rules, nil
}

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ruleAtSQL selects a street's ($1) rule in effect at $2.
const ruleAtSQL = "SELECT " + ruleCols + ` FROM rules WHERE street = $1 AND effective_from <= $2
	ORDER BY effective_from DESC LIMIT 1`

// scanRuleAt reads ruleAtSQL's answer: no row is the street's default rule.
func scanRuleAt(row pgx.Row, street string) (Rule, error) {
	r, err := scanRule(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return DefaultRule(street), nil
	}
	return r, err
}

// RuleAt is the street's rule in effect at t, or the default.
func (s *Store) RuleAt(ctx context.Context, q querier, street string, t time.Time) (Rule, error) {
	r, err := scanRuleAt(q.QueryRow(ctx, ruleAtSQL, street, t), street)
	if err != nil {
		return Rule{}, fmt.Errorf("rule of %s at %s: %w", street, t, err)
	}
	return r, nil
}
