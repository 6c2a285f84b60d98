package notification

import (
	"context"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/places"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// streetFilter fits an admin's street filter ("" for none) to their scope
// (places.Filter, without a lookup: this service keeps no places to look
// in): a street admin's is their street, and naming another is a field
// error in c (422) — never quietly replaced by their own, which would
// answer another street's log than the one asked for.
func streetFilter(ctx context.Context, c *validate.Collector, p auth.Principal, street string) string {
	street, _, _ = places.Filter(ctx, nil, c, p, street, "") // without a lookup there is no error but c's
	return street
}
