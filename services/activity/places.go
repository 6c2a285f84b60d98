package activity

import (
	"context"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// place is where a row a caller creates goes: their scope and what they
// asked, a street or community they named being one the registry created
// (places.Checker.Place).
func (s *Service) place(ctx context.Context, c *validate.Collector, p auth.Principal, street, community string) (string, string, error) {
	return s.store.places.Place(ctx, c, p, street, community)
}

// knownCommunity adds an error on field unless community ("" for none) is
// one the registry created in street.
func (s *Service) knownCommunity(ctx context.Context, c *validate.Collector, field, street, community string) error {
	return s.store.places.Community(ctx, c, field, street, community)
}
