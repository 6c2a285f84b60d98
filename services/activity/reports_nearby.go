package activity

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Nearby is an open report close to a place, as stored; what a caller is
// shown of it is a NearbyReport.
type Nearby struct {
	ID        uuid.UUID
	Street    string
	Community string
	Category  string
	Status    string
	Distance  float64
	CreatedAt time.Time
}

// NearbyReport is what anyone about to report is told of an open report
// close by: never who made it or what they wrote. Its id is given only to
// staff whose scope covers it.
type NearbyReport struct {
	ID        *uuid.UUID `json:"id,omitempty"`
	Category  string     `json:"category"`
	Status    string     `json:"status"`
	Distance  float64    `json:"distance_m"`
	CreatedAt time.Time  `json:"created_at"`
}

// NearbyAnswer lists the open reports close by, and says how close and
// how recent counts.
type NearbyAnswer struct {
	Items       []NearbyReport `json:"items"`
	RadiusM     float64        `json:"radius_m"`
	WindowHours int            `json:"window_hours"`
}

// NearbyQuery is a place and a category. LatGiven and LngGiven say
// whether the parameters were there.
type NearbyQuery struct {
	Lat, Lng           float64
	LatGiven, LngGiven bool
	Category           string
}

// NearbyReports answers the open reports of a category within the
// duplicate radius of a place from the duplicate window, nearest first —
// what SubmitReport would answer as likely duplicates — so that a rider
// sees "already reported nearby" before sending. Workers (known, on the
// ledger) and staff may ask; wherever the place is, only the category,
// status, distance and time are told, and the id only to staff who
// manage the report.
func (s *Service) NearbyReports(ctx context.Context, p auth.Principal, q NearbyQuery) (NearbyAnswer, error) {
	if !p.IsStaff() {
		if _, err := s.callerWorker(ctx, p); err != nil {
			return NearbyAnswer{}, err
		}
	}
	var c validate.Collector
	if c.Check(q.LatGiven, "lat", validate.CodeRequired, "is required") && c.Check(q.LngGiven, "lng", validate.CodeRequired, "is required") {
		c.LatLng("lat", "lng", q.Lat, q.Lng)
	}
	if q.Category == "" {
		c.Add("category", validate.CodeRequired, "is required")
	} else {
		c.OneOf("category", q.Category, ReportCategories)
	}
	if err := c.Err(); err != nil {
		return NearbyAnswer{}, err
	}
	near, err := s.store.NearbyReports(ctx, q.Lat, q.Lng, q.Category, s.now().Add(-duplicateWindow))
	if err != nil {
		return NearbyAnswer{}, err
	}
	out := make([]NearbyReport, len(near))
	for i, n := range near {
		out[i] = NearbyReport{Category: n.Category, Status: n.Status, Distance: n.Distance, CreatedAt: n.CreatedAt}
		if p.IsStaff() && p.SeesCommunity(n.Street, n.Community) {
			out[i].ID = &n.ID
		}
	}
	return NearbyAnswer{Items: out, RadiusM: duplicateRadius, WindowHours: int(duplicateWindow / time.Hour)}, nil
}
