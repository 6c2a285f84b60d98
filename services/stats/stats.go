// Package stats is the statistics service: the district's figures — how
// many couriers, check-ins, stations, hours served — built only from the
// other services' events, for the district, each street and each community,
// as of any date and per month.
//
// Events are archived as they arrive (consumers.go) and the archive is
// turned into figures by one projector (projector.go, project.go). The
// archive outlives the streams' retention and is what a rebuild replays
// (docs/decisions.md, "Statistics: an archive, generations and a version").
package stats

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/outbox"
	"github.com/nuanxin/nuanxin/pkg/places"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Schema is the Postgres schema the stats service owns.
const Schema = "stats"

// Migrations lists what db.Migrate applies: the platform's tables, the
// places, then the service's own.
func Migrations() []db.Source {
	own, _ := fs.Sub(migrationFiles, "migrations")
	return []db.Source{outbox.Migrations(), consume.Migrations(), idempotency.Migrations(), places.Migrations(),
		{Name: "stats", FS: own}}
}

// Service answers questions about the figures.
type Service struct {
	pool   *pgxpool.Pool
	places places.Checker
	now    func() time.Time
}

// NewService is the service on pool; now is the clock (nil: the real one).
func NewService(pool *pgxpool.Pool, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{pool: pool, places: places.Checker{Pool: pool}, now: now}
}

// Scopes are the areas figures are asked for.
var Scopes = []string{"district", "street", "community"}

// Area is where figures are counted: the district (both empty), a street,
// or a community of a street.
type Area struct {
	Scope     string `json:"scope"`
	Code      string `json:"code,omitempty"`
	Name      string `json:"name,omitempty"`
	Street    string `json:"street,omitempty"`
	Community string `json:"community,omitempty"`
}

// area resolves a scope and code to an area the caller may see. An empty
// scope is the caller's own: the district for a district admin, their
// street or community for staff. Workers see no figures.
func (s *Service) area(ctx context.Context, p auth.Principal, c *validate.Collector, scope, code string) (Area, error) {
	if !p.IsStaff() {
		return Area{}, fault.Forbiddenf("figures are for staff")
	}
	if scope == "" {
		switch p.Role {
		case auth.DistrictAdmin:
			scope = "district"
		case auth.StreetAdmin:
			scope, code = "street", p.Street
		default:
			scope, code = "community", p.Community
		}
	}
	scope = c.OneOf("scope", scope, Scopes)
	if c.Has("scope") {
		return Area{}, nil
	}
	a := Area{Scope: scope}
	switch scope {
	case "district":
		c.Check(code == "", "code", validate.CodeUnknownValue, "the district has no code")
		if p.Role != auth.DistrictAdmin {
			return Area{}, fault.Forbiddenf("the district's figures are for district admins")
		}
		a.Name = "全区"
		return a, nil
	case "street":
		if p.Role == auth.CommunityStaff {
			return Area{}, fault.Forbiddenf("a street's figures are for its street and district admins")
		}
		if !c.Check(code != "", "code", validate.CodeRequired, "name the street") {
			return Area{}, nil
		}
		street, _, err := s.filter(ctx, c, p, code, "")
		if err != nil || c.Has("code") {
			return Area{}, err
		}
		a.Code, a.Street = street, street
	default:
		if !c.Check(code != "", "code", validate.CodeRequired, "name the community") {
			return Area{}, nil
		}
		street, community, err := s.filter(ctx, c, p, "", code)
		if err != nil || c.Has("code") {
			return Area{}, err
		}
		a.Code, a.Street, a.Community = community, street, community
	}
	name, err := placeName(ctx, s.pool, a.Street, a.Community)
	a.Name = name
	return a, err
}

// filter is places.Filter for an area named by code: a street or
// community outside the caller's scope, or one that does not exist, is an
// error on code, the parameter that named it.
func (s *Service) filter(ctx context.Context, c *validate.Collector, p auth.Principal, street, community string) (string, string, error) {
	var inner validate.Collector
	street, community, err := places.Filter(ctx, s.places, &inner, p, street, community)
	if err != nil {
		return "", "", err
	}
	switch {
	case inner.Has("street"):
		c.Add("code", validate.CodeUnknownValue, "no such street")
	case inner.Has("community"):
		c.Add("code", validate.CodeUnknownValue, "no such community")
	case community != "" && street == "":
		// A district admin names a community alone; Filter checked it
		// exists but leaves the street as asked.
		if street, _, err = s.places.StreetOf(ctx, community); err != nil {
			return "", "", err
		}
	}
	return street, community, nil
}

func placeName(ctx context.Context, pool *pgxpool.Pool, street, community string) (string, error) {
	var name string
	var err error
	if community != "" {
		err = pool.QueryRow(ctx, "SELECT name FROM communities WHERE street = $1 AND code = $2", street, community).Scan(&name)
	} else {
		err = pool.QueryRow(ctx, "SELECT name FROM streets WHERE code = $1", street).Scan(&name)
	}
	if err != nil && !errNoRows(err) {
		return "", fmt.Errorf("place name: %w", err)
	}
	return name, nil
}

// Rebuild starts rebuilding every figure from the archive (district
// admins only). Figures keep being served from the current generation
// until the new one has caught up.
func (s *Service) Rebuild(ctx context.Context, p auth.Principal) (RebuildStatus, error) {
	if p.Role != auth.DistrictAdmin {
		return RebuildStatus{}, fault.Forbiddenf("a rebuild is for district admins")
	}
	if _, err := StartRebuild(ctx, s.pool); err != nil && !errors.Is(err, ErrRebuilding) {
		return RebuildStatus{}, err
	}
	return s.RebuildStatus(ctx, p)
}

// RebuildStatus is where the figures stand: their generation and version,
// and a rebuild's progress.
type RebuildStatus struct {
	Generation    int        `json:"generation"`
	Version       int        `json:"version"`
	Archived      int64      `json:"archived_events"`
	Applied       int64      `json:"applied_events"`
	Rebuilding    bool       `json:"rebuilding"`
	Building      *int       `json:"building_generation,omitempty"`
	Rebuilt       int64      `json:"rebuilt_events,omitempty"`
	Since         *time.Time `json:"rebuilding_since,omitempty"`
	LastRebuiltAt *time.Time `json:"last_rebuilt_at,omitempty"`
}

// RebuildStatus reads where the figures stand (district admins only).
func (s *Service) RebuildStatus(ctx context.Context, p auth.Principal) (RebuildStatus, error) {
	if p.Role != auth.DistrictAdmin {
		return RebuildStatus{}, fault.Forbiddenf("the figures' state is for district admins")
	}
	return ReadStatus(ctx, s.pool)
}

// ReadStatus reads where the figures stand.
func ReadStatus(ctx context.Context, pool *pgxpool.Pool) (RebuildStatus, error) {
	var st RebuildStatus
	var rebuilt *int64
	err := pool.QueryRow(ctx, `SELECT s.current_gen, s.current_version, (SELECT coalesce(sum(archived), 0)::bigint FROM archive_counts),
			(SELECT applied FROM progress WHERE gen = s.current_gen), s.building_gen,
			(SELECT applied FROM progress WHERE gen = s.building_gen), s.building_since, s.last_rebuilt_at
		FROM state s`).Scan(&st.Generation, &st.Version, &st.Archived, &st.Applied, &st.Building, &rebuilt, &st.Since, &st.LastRebuiltAt)
	if err != nil {
		return st, fmt.Errorf("read figures state: %w", err)
	}
	st.Rebuilding = st.Building != nil
	if rebuilt != nil {
		st.Rebuilt = *rebuilt
	}
	return st, nil
}
