// Package places keeps, in a service's own schema, the streets and
// communities the registry has created (from its street.created and
// community.created events), and checks a typed street or community code
// against them: a report, an activity or a store filed under a mistyped
// code would be seen by no one who looks after a community.
package places

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations is the streets and communities tables, for the service's
// db.Migrate, before its own migrations (which may seed them).
func Migrations() db.Source {
	sub, _ := fs.Sub(migrations, "migrations")
	return db.Source{Name: "places", FS: sub}
}

// Project records a street or community the registry created, inside the
// consumer runner's transaction. Applying one twice changes nothing.
func Project(ctx context.Context, tx pgx.Tx, e event.Envelope) error {
	name, err := e.Name()
	if err != nil {
		return consume.Permanent(err)
	}
	switch name {
	case event.StreetCreated:
		var d event.StreetData
		if err := e.Decode(&d); err != nil || d.Code == "" {
			return consume.Permanent(fmt.Errorf("%s %s: no street code (%v)", e.Type, e.ID, err))
		}
		_, err := tx.Exec(ctx, `INSERT INTO streets (code, name) VALUES ($1, $2)
			ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name`, d.Code, d.Name)
		return err
	case event.CommunityCreated:
		var d event.CommunityData
		if err := e.Decode(&d); err != nil || d.Code == "" || d.Street == "" {
			return consume.Permanent(fmt.Errorf("%s %s: no community or street code (%v)", e.Type, e.ID, err))
		}
		_, err := tx.Exec(ctx, `INSERT INTO communities (street, code, name) VALUES ($1, $2, $3)
			ON CONFLICT (street, code) DO UPDATE SET name = EXCLUDED.name`, d.Street, d.Code, d.Name)
		return err
	}
	return nil // not ours to project
}

// Consumer is the durable consumer (named durable, "<service>-places")
// that keeps the places. A durable of its own, rather than more filters on
// another: a new durable reads the registry's stream from its start, and
// so learns every place created before the service was.
func Consumer(durable string, pool *pgxpool.Pool, js jetstream.JetStream, subjects event.Subjects, log *slog.Logger, m *consume.Metrics) *consume.Runner {
	return &consume.Runner{
		Pool: pool, JS: js, Subjects: subjects, Logger: log, Metrics: m,
		Stream: subjects.Stream("registry"), Durable: durable,
		Filters: []string{subjects.Filter(event.StreetCreated), subjects.Filter(event.CommunityCreated)},
		Handle:  Project,
	}
}

// Checker checks typed codes against the places in Pool's schema.
type Checker struct {
	Pool *pgxpool.Pool
}

// Place is p.Place (the street and community a row goes under, from the
// caller's scope and what they asked) followed by a check that a street or
// community the caller named is one the registry has created. A community
// staff member's own, from the token, needs no check. Field errors go to
// c; the error returned is the database's.
func (k Checker) Place(ctx context.Context, c *validate.Collector, p auth.Principal, street, community string) (string, string, error) {
	street, community = p.Place(c, street, community)
	if c.Has("street") || c.Has("community") || p.Role == auth.CommunityStaff {
		return street, community, nil
	}
	if p.Role == auth.DistrictAdmin && street != "" {
		known, err := k.streetKnown(ctx, street)
		if err != nil {
			return "", "", err
		}
		if !c.Check(known, "street", validate.CodeUnknownValue, fmt.Sprintf("no street %s is known", street)) {
			return street, community, nil
		}
	}
	return street, community, k.Community(ctx, c, "community", street, community)
}

// Community adds an error on field unless community ("" for none) is one
// the registry has created in street.
func (k Checker) Community(ctx context.Context, c *validate.Collector, field, street, community string) error {
	if community == "" {
		return nil
	}
	var known bool
	err := k.Pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM communities WHERE street = $1 AND code = $2)",
		street, community).Scan(&known)
	if err != nil {
		return fmt.Errorf("community %s/%s known: %w", street, community, err)
	}
	c.Check(known, field, validate.CodeUnknownValue, fmt.Sprintf("street %s has no community %s", street, community))
	return nil
}

func (k Checker) streetKnown(ctx context.Context, street string) (bool, error) {
	var known bool
	err := k.Pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM streets WHERE code = $1)", street).Scan(&known)
	if err != nil {
		return false, fmt.Errorf("street %s known: %w", street, err)
	}
	return known, nil
}
