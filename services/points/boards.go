package points

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/route"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Leaderboards (积分榜) rank workers by the points they earned in a period —
// service, activities and reports, less reversals; not what they spent — in
// a community or a whole street. Equal points share a rank and the next rank
// skips ("1, 1, 3"); a board cut at its limit keeps everyone tied with the
// last place shown.

// BoardQuery asks for a leaderboard.
type BoardQuery struct {
	Street    string
	Community string // "" ranks the whole street
	Period    string // month, year or all
	Month     string // YYYY-MM, for a month (default: this month)
	Year      string // YYYY, for a year (default: this year)
	Limit     int
}

// Place is one worker's place on a board.
type Place struct {
	Rank     int       `json:"rank"`
	WorkerID uuid.UUID `json:"worker_id"`
	Points   int64     `json:"points"`
}

// Board is a leaderboard.
type Board struct {
	Street    string     `json:"street"`
	Community string     `json:"community,omitempty"`
	Period    string     `json:"period"`
	From      *time.Time `json:"from,omitempty"` // the period, in Shanghai time; none for all time
	To        *time.Time `json:"to,omitempty"`
	Items     []Place    `json:"items"`
	Me        *Place     `json:"me,omitempty"` // the calling worker's place, shown or not
}

// period turns a query's period into a time range (nil for all time).
func period(c *validate.Collector, q BoardQuery, now time.Time) (from, to *time.Time) {
	local := now.In(Shanghai)
	switch q.Period {
	case "", "month":
		m := q.Month
		if m == "" {
			m = local.Format("2006-01")
		}
		t, err := time.ParseInLocation("2006-01", m, Shanghai)
		if !c.Check(err == nil, "month", validate.CodeInvalidFormat, `must be a month, e.g. "2026-11"`) {
			return nil, nil
		}
		end := t.AddDate(0, 1, 0)
		return &t, &end
	case "year":
		y := q.Year
		if y == "" {
			y = strconv.Itoa(local.Year())
		}
		t, err := time.ParseInLocation("2006", y, Shanghai)
		if !c.Check(err == nil, "year", validate.CodeInvalidFormat, `must be a year, e.g. "2026"`) {
			return nil, nil
		}
		end := t.AddDate(1, 0, 0)
		return &t, &end
	case "all":
		return nil, nil
	}
	c.Add("period", validate.CodeUnknownValue, "must be month, year or all")
	return nil, nil
}

// Leaderboard ranks the workers of a community or a street. Workers see
// their own community's and street's boards; staff those of their scope.
func (s *Service) Leaderboard(ctx context.Context, p auth.Principal, q BoardQuery) (Board, error) {
	var c validate.Collector
	c.Check(q.Limit >= 1 && q.Limit <= 500, "limit", validate.CodeOutOfRange, "must be between 1 and 500")
	from, to := period(&c, q, s.now())
	if p.Role == auth.DistrictAdmin {
		c.Check(q.Street != "", "street", validate.CodeRequired, "is required for a district admin")
	}
	if err := c.Err(); err != nil {
		return Board{}, err
	}
	var me *uuid.UUID
	switch p.Role {
	case auth.Worker:
		a, err := s.callerAccount(ctx, p)
		if err != nil {
			return Board{}, err
		}
		if q.Street, err = ownPlace(a, q.Street, q.Community); err != nil {
			return Board{}, err
		}
		me = &a.WorkerID
	default:
		// Community staff see their street's boards too: the filter is
		// held to the street only, a community in it narrowing the board.
		scopeOf := p
		if p.Role == auth.CommunityStaff {
			scopeOf.Role, scopeOf.Community = auth.StreetAdmin, ""
		}
		var err error
		if q.Street, q.Community, err = s.scope(ctx, scopeOf, q.Street, q.Community); err != nil {
			return Board{}, err
		}
	}
	if q.Period == "" {
		q.Period = "month"
	}
	b := Board{Street: q.Street, Community: q.Community, Period: q.Period, From: from, To: to}
	var err error
	b.Items, b.Me, err = s.store.Board(ctx, q, from, to, me)
	if err != nil {
		return Board{}, fmt.Errorf("leaderboard: %w", err)
	}
	return b, nil
}

// boardSQL ranks the workers with earnings in the place and period
// ($1 street, $2 community or ”, $3..$4 the period or nulls).
const boardSQL = `WITH ranked AS (
	SELECT worker_id, sum(points) AS points, rank() OVER (ORDER BY sum(points) DESC) AS rnk
	FROM entries
	WHERE kind IN ('earn', 'reverse') AND street = $1 AND ($2 = '' OR community = $2)
	  AND ($3::date IS NULL OR service_day >= $3) AND ($4::date IS NULL OR service_day < $4)
	GROUP BY worker_id
	HAVING sum(points) > 0)`

// Board returns the top places (ties with the last one included) and, if
// me is given, that worker's place.
func (s *Store) Board(ctx context.Context, q BoardQuery, from, to *time.Time, me *uuid.UUID) ([]Place, *Place, error) {
	var fromDay, toDay *string
	if from != nil {
		f, t := from.In(Shanghai).Format(time.DateOnly), to.In(Shanghai).Format(time.DateOnly)
		fromDay, toDay = &f, &t
	}
	rows, err := s.pool.Query(ctx, boardSQL+`
		SELECT rnk, worker_id, points FROM ranked
		WHERE rnk <= coalesce((SELECT rnk FROM ranked ORDER BY rnk, worker_id OFFSET $5 - 1 LIMIT 1), $5)
		ORDER BY rnk, worker_id`, q.Street, q.Community, fromDay, toDay, q.Limit)
	if err != nil {
		return nil, nil, err
	}
	places, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Place, error) {
		var pl Place
		err := row.Scan(&pl.Rank, &pl.WorkerID, &pl.Points)
		return pl, err
	})
	if err != nil {
		return nil, nil, err
	}
	if places == nil {
		places = []Place{}
	}
	if me == nil {
		return places, nil, nil
	}
	mine := Place{WorkerID: *me}
	err = s.pool.QueryRow(ctx, boardSQL+` SELECT rnk, points FROM ranked WHERE worker_id = $5`,
		q.Street, q.Community, fromDay, toDay, *me).Scan(&mine.Rank, &mine.Points)
	if err != nil && err != pgx.ErrNoRows {
		return nil, nil, err
	}
	return places, &mine, nil
}

// mountBoards mounts the leaderboards.
func mountBoards(rt route.Router, svc *Service) {
	rt.Handle("GET /v1/leaderboards", route.Endpoint(func(ctx context.Context, p auth.Principal, req any) (any, error) {
		return svc.Leaderboard(ctx, p, req.(BoardQuery))
	}), func(ctx context.Context, r *http.Request) (any, error) {
		q := httpx.QueryFrom(ctx, r)
		out := BoardQuery{Street: q.Code("street"), Community: q.Code("community"), Period: q.Code("period"),
			Month: q.Text("month"), Year: q.Text("year"), Limit: q.Int("limit", 50)}
		return out, q.Err()
	})
}
