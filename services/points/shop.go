package points

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

// The points supermarket (积分超市): stores of a street or a community,
// items with a points price and stock.

// Shop is a points supermarket. Community "" serves the whole street.
type Shop struct {
	ID        uuid.UUID `json:"id"`
	Street    string    `json:"street"`
	Community string    `json:"community,omitempty"`
	Name      string    `json:"name"`
	Address   string    `json:"address,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// Item is something a store gives for points.
type Item struct {
	ID        uuid.UUID  `json:"id"`
	StoreID   uuid.UUID  `json:"store_id"`
	Name      string     `json:"name"`
	Price     int        `json:"price"`
	Stock     int        `json:"stock"`
	Stocked   int64      `json:"stocked"` // everything ever put on the shelf
	Active    bool       `json:"active"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	Photo     *ItemPhoto `json:"photo,omitempty"` // nil when the item has none
}

// StoreInput opens a store.
type StoreInput struct {
	Name      string `json:"name"`
	Address   string `json:"address"`
	Street    string `json:"street"`
	Community string `json:"community"`
}

// ItemInput puts an item on a store's shelf.
type ItemInput struct {
	Name  string `json:"name"`
	Price *int   `json:"price" unit:"points"`
	Stock *int   `json:"stock"`
}

// ItemUpdate changes an item: its name, its price (for redemptions from now
// on; those placed keep theirs) or whether it is on sale. Absent fields stay.
type ItemUpdate struct {
	Name   *string `json:"name"`
	Price  *int    `json:"price" unit:"points"`
	Active *bool   `json:"active"`
}

// RestockInput adds stock to an item.
type RestockInput struct {
	Quantity *int `json:"quantity"`
}

// Limits of the supermarket.
const (
	MaxPrice       = 100000
	MaxStock       = 1000000
	MaxRedeemCount = 20 // items in one redemption
)

var (
	errStoreNotFound = fault.NotFoundf("store not found")
	errItemNotFound  = fault.NotFoundf("item not found")
)

// serves reports whether a store serves a worker's account.
func (sh Shop) serves(a Account) bool {
	return sh.Street == a.Street && (sh.Community == "" || sh.Community == a.Community)
}

// visibleTo reports whether p may see the store: its staff, community staff
// of its street for a street-wide store, and the workers it serves.
func (sh Shop) visibleTo(p auth.Principal, a *Account) bool {
	if p.Role == auth.Worker {
		return a != nil && sh.serves(*a)
	}
	return p.Manages(sh.Street, sh.Community) ||
		(p.Role == auth.CommunityStaff && sh.Community == "" && sh.Street == p.Street)
}

// OpenStore opens a points supermarket in the caller's scope.
func (s *Service) OpenStore(ctx context.Context, p auth.Principal, in StoreInput) (Shop, error) {
	if !p.IsStaff() {
		return Shop{}, fault.Forbiddenf("only staff open stores")
	}
	sh := Shop{ID: newID(), CreatedBy: p.Subject, CreatedAt: s.now()}
	var c validate.Collector
	// A store under a mistyped street or community would serve no one.
	var err error
	if sh.Street, sh.Community, err = s.store.places.Place(ctx, &c, p, in.Street, in.Community); err != nil {
		return Shop{}, err
	}
	sh.Name = c.Text("name", in.Name, 1, 100)
	sh.Address = c.Text("address", in.Address, 0, 200)
	if err := c.Err(); err != nil {
		return Shop{}, err
	}
	if err := s.store.AddShop(ctx, sh); err != nil {
		return Shop{}, err
	}
	return sh, nil
}

// callerAccount is the account of a worker token.
func (s *Service) callerAccount(ctx context.Context, p auth.Principal) (*Account, error) {
	id, err := uuid.Parse(p.WorkerID)
	if err != nil {
		return nil, errNoAccountYet
	}
	a, found, err := s.store.Account(ctx, id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errNoAccountYet
	}
	return &a, nil
}

// ListStores lists the stores the caller may use or look after.
func (s *Service) ListStores(ctx context.Context, p auth.Principal, street string) ([]Shop, error) {
	var a *Account
	if p.Role == auth.Worker {
		var err error
		if a, err = s.callerAccount(ctx, p); err != nil {
			return nil, err
		}
		if street, err = ownPlace(a, street, ""); err != nil {
			return nil, err
		}
	} else {
		var err error
		if street, _, err = s.scope(ctx, p, street, ""); err != nil {
			return nil, err
		}
	}
	shops, err := s.store.Shops(ctx, street)
	if err != nil {
		return nil, err
	}
	out := []Shop{}
	for _, sh := range shops {
		if sh.visibleTo(p, a) {
			out = append(out, sh)
		}
	}
	return out, nil
}

// shopFor returns a store the caller may see (and, with manage, look after).
func (s *Service) shopFor(ctx context.Context, p auth.Principal, id uuid.UUID, manage bool) (Shop, error) {
	sh, found, err := s.store.Shop(ctx, id)
	if err != nil {
		return Shop{}, err
	}
	if !found {
		return Shop{}, errStoreNotFound
	}
	var a *Account
	if p.Role == auth.Worker {
		if a, err = s.callerAccount(ctx, p); err != nil {
			return Shop{}, err
		}
	}
	if !sh.visibleTo(p, a) {
		return Shop{}, errStoreNotFound
	}
	if manage && !p.Manages(sh.Street, sh.Community) {
		return Shop{}, fault.Forbiddenf("only the store's own staff manage its shelf")
	}
	return sh, nil
}

// AddItem puts an item on a store's shelf.
func (s *Service) AddItem(ctx context.Context, p auth.Principal, storeID uuid.UUID, in ItemInput) (Item, error) {
	if !p.IsStaff() {
		return Item{}, fault.Forbiddenf("only staff manage stores")
	}
	var c validate.Collector
	at := s.now()
	it := Item{ID: newID(), StoreID: storeID, Active: true, CreatedAt: at, UpdatedAt: at}
	it.Name = c.Text("name", in.Name, 1, 100)
	it.Price = amount(&c, "price", in.Price, 1, MaxPrice)
	it.Stock = amount(&c, "stock", in.Stock, 0, MaxStock)
	it.Stocked = int64(it.Stock)
	if err := c.Err(); err != nil {
		return Item{}, err
	}
	if _, err := s.shopFor(ctx, p, storeID, true); err != nil {
		return Item{}, err
	}
	if err := s.store.AddItem(ctx, it); err != nil {
		return Item{}, err
	}
	return it, nil
}

// ListItems lists a store's items for those who may see the store: the
// items on sale for a rider, every item for staff.
func (s *Service) ListItems(ctx context.Context, p auth.Principal, storeID uuid.UUID) ([]Item, error) {
	if _, err := s.shopFor(ctx, p, storeID, false); err != nil {
		return nil, err
	}
	return s.store.Items(ctx, storeID, p.Role == auth.Worker)
}

// managedItem returns an item whose store p, a staff member, looks after.
func (s *Service) managedItem(ctx context.Context, p auth.Principal, itemID uuid.UUID) (Item, error) {
	it, found, err := s.store.Item(ctx, itemID)
	if err != nil {
		return Item{}, err
	}
	if !found {
		return Item{}, errItemNotFound
	}
	if _, err := s.shopFor(ctx, p, it.StoreID, true); err != nil {
		if fault.KindOf(err) == fault.NotFound {
			return Item{}, errItemNotFound
		}
		return Item{}, err
	}
	return it, nil
}

// UpdateItem renames an item, reprices it, or takes it off sale (active
// false) and back: an item off sale is hidden from riders and refused at
// redemption, while its redemptions and history stay.
func (s *Service) UpdateItem(ctx context.Context, p auth.Principal, itemID uuid.UUID, in ItemUpdate) (Item, error) {
	if !p.IsStaff() {
		return Item{}, fault.Forbiddenf("only staff manage stores")
	}
	var c validate.Collector
	c.Check(in.Name != nil || in.Price != nil || in.Active != nil, "name", validate.CodeRequired,
		"send at least one of name, price and active")
	var name *string
	if in.Name != nil {
		n := c.Text("name", *in.Name, 1, 100)
		name = &n
	}
	var price *int
	if in.Price != nil {
		pr := amount(&c, "price", in.Price, 1, MaxPrice)
		price = &pr
	}
	if err := c.Err(); err != nil {
		return Item{}, err
	}
	if _, err := s.managedItem(ctx, p, itemID); err != nil {
		return Item{}, err
	}
	it, err := s.store.UpdateItem(ctx, itemID, name, price, in.Active, s.now())
	if err != nil {
		return Item{}, fmt.Errorf("update item %s: %w", itemID, err)
	}
	return it, nil
}

// Restock adds stock to an item.
func (s *Service) Restock(ctx context.Context, p auth.Principal, itemID uuid.UUID, in RestockInput) (Item, error) {
	if !p.IsStaff() {
		return Item{}, fault.Forbiddenf("only staff manage stores")
	}
	var c validate.Collector
	q := amount(&c, "quantity", in.Quantity, 1, MaxStock)
	if err := c.Err(); err != nil {
		return Item{}, err
	}
	if _, err := s.managedItem(ctx, p, itemID); err != nil {
		return Item{}, err
	}
	it, err := s.store.Restock(ctx, itemID, q, s.now())
	if err != nil {
		return Item{}, fmt.Errorf("restock %s: %w", itemID, err)
	}
	return it, nil
}
