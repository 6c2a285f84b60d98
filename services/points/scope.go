package points

import (
	"context"
	"fmt"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/places"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// scope fits a staff member's street and community filter ("" for none)
// to their scope (places.Filter): a street admin's is their street. A
// street or community named outside the scope, or one the registry never
// created, is a field error (422) — never quietly replaced by the caller's
// own, which would answer figures of another street than the one asked
// for.
func (s *Service) scope(ctx context.Context, p auth.Principal, street, community string) (string, string, error) {
	var c validate.Collector
	street, community, err := places.Filter(ctx, s.store.places, &c, p, street, community)
	if err != nil {
		return "", "", fmt.Errorf("scope: %w", err)
	}
	return street, community, c.Err()
}

// ownPlace refuses a worker's street or community filter that is not their
// account's (422, worded as for staff outside their scope), and returns
// their street: a worker's stores, rules and boards are their own place's.
func ownPlace(a *Account, street, community string) (string, error) {
	var c validate.Collector
	c.Check(street == "" || street == a.Street, "street", validate.CodeUnknownValue, "no such street")
	c.Check(community == "" || community == a.Community, "community", validate.CodeUnknownValue, "no such community")
	return a.Street, c.Err()
}
