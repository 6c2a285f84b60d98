package activity

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/consume"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// ProjectPlace records a street or community registry has created, inside
// the consumer runner's transaction. Applying one twice changes nothing.
func ProjectPlace(ctx context.Context, tx pgx.Tx, e event.Envelope) error {
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

// PlaceConsumer is the durable consumer that keeps the streets and
// communities. A durable of its own, so that a new deployment reads the
// registry's stream from its start.
func PlaceConsumer(pool *pgxpool.Pool, js jetstream.JetStream, subjects event.Subjects, log *slog.Logger, m *consume.Metrics) *consume.Runner {
	return &consume.Runner{
		Pool: pool, JS: js, Subjects: subjects, Logger: log, Metrics: m,
		Stream: subjects.Stream("registry"), Durable: "activity-places",
		Filters: []string{subjects.Filter(event.StreetCreated), subjects.Filter(event.CommunityCreated)},
		Handle:  ProjectPlace,
	}
}

// place is p.Place (the street and community a row goes under, from the
// caller's scope and what they asked) followed by a check that a street or
// community the caller named is one registry has told of: a typo would put
// the row where no one looks. A community staff member's own, taken from
// the token, needs no check.
func (s *Service) place(ctx context.Context, c *validate.Collector, p auth.Principal, street, community string) (string, string, error) {
	street, community = p.Place(c, street, community)
	if c.Has("street") || c.Has("community") || p.Role == auth.CommunityStaff {
		return street, community, nil
	}
	if p.Role == auth.DistrictAdmin && street != "" {
		known, err := s.store.StreetKnown(ctx, street)
		if err != nil {
			return "", "", err
		}
		if !c.Check(known, "street", validate.CodeUnknownValue, fmt.Sprintf("no street %s is known", street)) {
			return street, community, nil
		}
	}
	return street, community, s.knownCommunity(ctx, c, "community", street, community)
}

// knownCommunity adds an error on field unless community ("" for none) is
// one registry has told of in street.
func (s *Service) knownCommunity(ctx context.Context, c *validate.Collector, field, street, community string) error {
	if community == "" {
		return nil
	}
	known, err := s.store.CommunityKnown(ctx, street, community)
	if err != nil {
		return err
	}
	c.Check(known, field, validate.CodeUnknownValue, fmt.Sprintf("street %s has no community %s", street, community))
	return nil
}
