package places

import (
	"context"
	"fmt"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// Lookup finds the places a list's filter names: the registry's own tables
// there, a Checker over the projection elsewhere.
type Lookup interface {
	// StreetKnown reports whether a street of that code was created.
	StreetKnown(ctx context.Context, street string) (bool, error)
	// StreetOf is the street of the community of that code (community
	// codes are unique district-wide); found is false when there is none.
	StreetOf(ctx context.Context, community string) (street string, found bool, err error)
}

// Filter fits a staff member's list filter — a street and a community
// code, "" for none — to their scope: a street admin's list is of their
// street, community staff's of their community. A street or community the
// caller names outside their scope is a field error (unknown_value, 422),
// worded exactly as for one that does not exist: an empty list would read
// as "there are none", and a 403 or a different message would tell a
// caller what exists in another street (docs/decisions.md, "Scope: 404,
// not 403", and "Query parameters: refused, never ignored"). Malformed
// codes are refused before anything is looked up. Field errors go to c;
// the error returned is the lookup's. A worker's lists are their own, and
// their callers fit them; Filter returns a worker's filter unchanged. With
// look nil (a service that keeps no places) only the scope is checked.
func Filter(ctx context.Context, look Lookup, c *validate.Collector, p auth.Principal, street, community string) (string, string, error) {
	street, community = c.OptionalCode("street", street), c.OptionalCode("community", community)
	if c.Has("street") || c.Has("community") {
		return street, community, nil
	}
	switch p.Role {
	case auth.StreetAdmin, auth.CommunityStaff:
		if street != "" && street != p.Street {
			c.Add("street", validate.CodeUnknownValue, "no such street")
			return "", "", nil
		}
		street = p.Street
		if p.Role == auth.CommunityStaff {
			if community != "" && community != p.Community {
				c.Add("community", validate.CodeUnknownValue, "no such community")
				return "", "", nil
			}
			return street, p.Community, nil
		}
	case auth.DistrictAdmin:
		if street != "" && look != nil {
			known, err := look.StreetKnown(ctx, street)
			if err != nil {
				return "", "", err
			}
			if !known {
				c.Add("street", validate.CodeUnknownValue, "no such street")
				return "", "", nil
			}
		}
	default:
		return street, community, nil
	}
	if community == "" || look == nil {
		return street, community, nil
	}
	in, found, err := look.StreetOf(ctx, community)
	if err != nil {
		return "", "", err
	}
	if !found || (street != "" && in != street) {
		c.Add("community", validate.CodeUnknownValue, "no such community")
		return "", "", nil
	}
	return street, community, nil
}

// StreetKnown reports whether the registry created a street of that code.
func (k Checker) StreetKnown(ctx context.Context, street string) (bool, error) {
	return k.streetKnown(ctx, street)
}

// StreetOf is the street of the community of that code.
func (k Checker) StreetOf(ctx context.Context, community string) (string, bool, error) {
	var street string
	err := k.Pool.QueryRow(ctx, "SELECT coalesce(min(street), '') FROM communities WHERE code = $1", community).Scan(&street)
	if err != nil {
		return "", false, fmt.Errorf("street of community %s: %w", community, err)
	}
	return street, street != "", nil
}
