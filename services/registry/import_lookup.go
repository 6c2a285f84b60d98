package registry

import (
	"context"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

// cachedLookup resolves the communities, streets and enterprises a
// spreadsheet names — by code or by the Chinese name clerks write — once
// per import rather than once per row. It also remembers which people the
// file has named already, to catch a person listed twice.
type cachedLookup struct {
	store       *Store
	actor       auth.Principal
	communities map[string]communityHit
	byName      map[string]string    // community name or code -> code ("" if none/ambiguous)
	enterprises map[uuid.UUID]entHit // by id
	entKeys     map[string]uuid.UUID // street + "\x00" + name or credit code -> id
	streets     map[string]string    // street name or code -> code
	seen        map[string]int       // key of a row already read (ID-number hash) -> its row number
}

type communityHit struct {
	c     Community
	found bool
}

type entHit struct {
	e     Enterprise
	found bool
}

func newCachedLookup(store *Store, actor auth.Principal) *cachedLookup {
	return &cachedLookup{store: store, actor: actor, communities: map[string]communityHit{}, byName: map[string]string{},
		enterprises: map[uuid.UUID]entHit{}, entKeys: map[string]uuid.UUID{}, streets: map[string]string{}, seen: map[string]int{}}
}

// Community finds a community by code.
func (l *cachedLookup) Community(ctx context.Context, code string) (Community, bool, error) {
	if h, ok := l.communities[code]; ok {
		return h.c, h.found, nil
	}
	c, found, err := l.store.Community(ctx, code)
	if err != nil {
		return Community{}, false, err
	}
	l.communities[code] = communityHit{c, found}
	return c, found, nil
}

// Enterprise finds an enterprise by id.
func (l *cachedLookup) Enterprise(ctx context.Context, id uuid.UUID) (Enterprise, bool, error) {
	if h, ok := l.enterprises[id]; ok {
		return h.e, h.found, nil
	}
	e, found, err := l.store.Enterprise(ctx, id)
	if err != nil {
		return Enterprise{}, false, err
	}
	l.enterprises[id] = entHit{e, found}
	return e, found, nil
}

// communityCode turns what the clerk wrote (塔山社区 or tashan) into a code:
// a code as is, else the one community of that name within the importer's
// scope. Unknown or ambiguous names come back unchanged, to be rejected by
// validation with the usual "no such community".
func (l *cachedLookup) communityCode(ctx context.Context, v string) (string, error) {
	if v == "" {
		return "", nil
	}
	if code, ok := l.byName[v]; ok {
		return code, nil
	}
	if _, found, err := l.Community(ctx, v); err != nil || found {
		l.byName[v] = v
		return v, err
	}
	all, err := l.store.CommunitiesByName(ctx, v)
	if err != nil {
		return "", err
	}
	code := v
	var inScope []Community
	for _, c := range all {
		if l.actor.SeesCommunity(c.Street, c.Code) {
			inScope = append(inScope, c)
		}
	}
	if len(inScope) == 1 {
		code = inScope[0].Code
		l.communities[code] = communityHit{inScope[0], true}
	}
	l.byName[v] = code
	return code, nil
}

// streetMatches reports whether what the clerk wrote in a street column
// (奇山街道 or qishan) names the given street.
func (l *cachedLookup) streetMatches(ctx context.Context, street, v string) bool {
	code, ok := l.streets[v]
	if !ok {
		var err error
		code, err = l.store.StreetCode(ctx, v)
		if err != nil {
			return true // a lookup failure must not reject the row; the community decides
		}
		l.streets[v] = code
	}
	return code == street
}

// enterpriseID finds an enterprise of the community's street by credit code
// or registered name; uuid.Nil when there is none.
func (l *cachedLookup) enterpriseID(ctx context.Context, community, v string) (uuid.UUID, error) {
	if id, err := uuid.Parse(v); err == nil {
		return id, nil
	}
	c, found, err := l.Community(ctx, community)
	if err != nil || !found {
		return uuid.Nil, err
	}
	key := c.Street + "\x00" + v
	if id, ok := l.entKeys[key]; ok {
		return id, nil
	}
	id, err := l.store.EnterpriseIDByKey(ctx, c.Street, v)
	if err != nil {
		return uuid.Nil, err
	}
	l.entKeys[key] = id
	return id, nil
}
