package points

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

const shopCols = "id, street, community, name, address, created_by, created_at"

// qualified is a list of columns (itemCols, shopCols) of table t, for a
// join where the bare names would be ambiguous.
func qualified(t, cols string) string {
	return t + "." + strings.Join(strings.Split(cols, ", "), ", "+t+".")
}

func scanShop(row pgx.Row) (Shop, error) {
	var sh Shop
	err := row.Scan(&sh.ID, &sh.Street, &sh.Community, &sh.Name, &sh.Address, &sh.CreatedBy, &sh.CreatedAt)
	return sh, err
}

// AddShop stores a new store. Like every write a POST makes, it runs in
// db.InTx, which records an Idempotency-Key's work with it.
func (s *Store) AddShop(ctx context.Context, sh Shop) error {
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO stores ("+shopCols+") VALUES ($1, $2, $3, $4, $5, $6, $7)",
			sh.ID, sh.Street, sh.Community, sh.Name, sh.Address, sh.CreatedBy, sh.CreatedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("add store: %w", err)
	}
	return nil
}

// Shops lists the stores of a street ("" for all), by id.
func (s *Store) Shops(ctx context.Context, street string) ([]Shop, error) {
	var f db.Filter
	f.Eq("street", street)
	rows, err := s.pool.Query(ctx, "SELECT "+shopCols+" FROM stores"+f.Clause()+" ORDER BY id", f.Args...)
	if err != nil {
		return nil, fmt.Errorf("list stores: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Shop, error) { return scanShop(row) })
}

// Shop returns one store.
func (s *Store) Shop(ctx context.Context, id uuid.UUID) (Shop, bool, error) {
	sh, err := scanShop(s.pool.QueryRow(ctx, "SELECT "+shopCols+" FROM stores WHERE id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Shop{}, false, nil
	}
	if err != nil {
		return Shop{}, false, fmt.Errorf("store %s: %w", id, err)
	}
	return sh, true, nil
}

const itemCols = "id, store_id, name, price, stock, stocked, active, created_at, updated_at"

// itemPhotoCols are the metadata of an item's photo (table p, joined on
// the item: NULL when it has none), never its bytes.
const itemPhotoCols = "p.content_type, p.size, p.version, p.updated_at"

// itemSelect reads items (table i) with their photos' metadata.
var itemSelect = "SELECT " + qualified("i", itemCols) + ", " + itemPhotoCols +
	" FROM items i LEFT JOIN item_photos p ON p.item_id = i.id"

// itemReturning answers a write of the item in CTE i (an UPDATE ...
// RETURNING itemCols) with its photo's metadata.
var itemReturning = "SELECT " + qualified("i", itemCols) + ", " + itemPhotoCols +
	" FROM i LEFT JOIN item_photos p ON p.item_id = i.id"

// scanItem scans itemCols and then itemPhotoCols.
func scanItem(row pgx.Row) (Item, error) {
	var it Item
	var (
		ct, version *string
		size        *int
		at          *time.Time
	)
	err := row.Scan(&it.ID, &it.StoreID, &it.Name, &it.Price, &it.Stock, &it.Stocked, &it.Active, &it.CreatedAt, &it.UpdatedAt,
		&ct, &size, &version, &at)
	if err == nil && ct != nil {
		it.Photo = &ItemPhoto{ContentType: *ct, Size: *size, Version: *version, UpdatedAt: *at}
	}
	return it, err
}

// AddItem stores a new item.
func (s *Store) AddItem(ctx context.Context, it Item) error {
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO items ("+itemCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
			it.ID, it.StoreID, it.Name, it.Price, it.Stock, it.Stocked, it.Active, it.CreatedAt, it.UpdatedAt)
		return err
	})
	if err != nil {
		return fmt.Errorf("add item: %w", err)
	}
	return nil
}

// Items lists a store's items, only those on sale if onSale.
func (s *Store) Items(ctx context.Context, storeID uuid.UUID, onSale bool) ([]Item, error) {
	rows, err := s.pool.Query(ctx, itemSelect+" WHERE i.store_id = $1 AND (i.active OR NOT $2) ORDER BY i.id",
		storeID, onSale)
	if err != nil {
		return nil, fmt.Errorf("items of %s: %w", storeID, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Item, error) { return scanItem(row) })
}

// Item returns one item.
func (s *Store) Item(ctx context.Context, id uuid.UUID) (Item, bool, error) {
	it, err := scanItem(s.pool.QueryRow(ctx, itemSelect+" WHERE i.id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Item{}, false, nil
	}
	if err != nil {
		return Item{}, false, fmt.Errorf("item %s: %w", id, err)
	}
	return it, true, nil
}

// UpdateItem sets an item's name, price and whether it is on sale; nil
// leaves a field as it is.
func (s *Store) UpdateItem(ctx context.Context, id uuid.UUID, name *string, price *int, active *bool, at time.Time) (Item, error) {
	return scanItem(s.pool.QueryRow(ctx, `WITH i AS (UPDATE items SET name = COALESCE($2, name), price = COALESCE($3, price),
			active = COALESCE($4, active), updated_at = $5
		WHERE id = $1 RETURNING `+itemCols+`) `+itemReturning, id, name, price, active, at))
}

// Restock adds q to an item's stock, up to MaxStock on the shelf.
func (s *Store) Restock(ctx context.Context, id uuid.UUID, q int, at time.Time) (Item, error) {
	var it Item
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) (err error) {
		it, err = scanItem(tx.QueryRow(ctx, `WITH i AS (UPDATE items SET stock = stock + $2, stocked = stocked + $2, updated_at = $3
			WHERE id = $1 AND stock + $2 <= $4 RETURNING `+itemCols+`) `+itemReturning, id, q, at, MaxStock))
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Item{}, fault.ConflictReason("stock_over_max", "a shelf holds at most %d of an item", MaxStock)
	}
	return it, err
}

// SetItemPhoto puts data, described by ph, as an item's photo in place of
// any it had, and marks the item updated at ph.UpdatedAt: one statement,
// so a photo is there whole or not at all. An unknown item is not found.
func (s *Store) SetItemPhoto(ctx context.Context, id uuid.UUID, ph ItemPhoto, data []byte) (Item, error) {
	it, err := scanItem(s.pool.QueryRow(ctx, `WITH p AS (
			INSERT INTO item_photos (item_id, content_type, bytes, size, version, updated_at)
			SELECT id, $2, $3, $4, $5, $6 FROM items WHERE id = $1
			ON CONFLICT (item_id) DO UPDATE SET content_type = EXCLUDED.content_type, bytes = EXCLUDED.bytes,
				size = EXCLUDED.size, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
			RETURNING item_id, content_type, size, version, updated_at),
		i AS (UPDATE items SET updated_at = $6 WHERE id = $1 RETURNING `+itemCols+`)
		SELECT `+qualified("i", itemCols)+`, `+itemPhotoCols+` FROM i JOIN p ON p.item_id = i.id`,
		id, ph.ContentType, data, ph.Size, ph.Version, ph.UpdatedAt))
	if errors.Is(err, pgx.ErrNoRows) {
		return Item{}, errItemNotFound
	}
	if err != nil {
		return Item{}, fmt.Errorf("photo of item %s: %w", id, err)
	}
	return it, nil
}

// DeleteItemPhoto removes an item's photo, if it has one (then the item is
// marked updated at at), and answers the item without it.
func (s *Store) DeleteItemPhoto(ctx context.Context, id uuid.UUID, at time.Time) (Item, error) {
	it, err := scanItem(s.pool.QueryRow(ctx, `WITH d AS (DELETE FROM item_photos WHERE item_id = $1 RETURNING item_id)
		UPDATE items SET updated_at = CASE WHEN EXISTS (SELECT FROM d) THEN $2 ELSE updated_at END
		WHERE id = $1 RETURNING `+itemCols+`, NULL::text, NULL::int, NULL::text, NULL::timestamptz`, id, at))
	if errors.Is(err, pgx.ErrNoRows) {
		return Item{}, errItemNotFound
	}
	if err != nil {
		return Item{}, fmt.Errorf("remove the photo of item %s: %w", id, err)
	}
	return it, nil
}

// ItemPhoto returns an item's photo: its metadata and bytes, read together.
func (s *Store) ItemPhoto(ctx context.Context, id uuid.UUID) (ItemPhoto, []byte, bool, error) {
	var ph ItemPhoto
	var data []byte
	err := s.pool.QueryRow(ctx, "SELECT content_type, size, version, updated_at, bytes FROM item_photos WHERE item_id = $1", id).
		Scan(&ph.ContentType, &ph.Size, &ph.Version, &ph.UpdatedAt, &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return ItemPhoto{}, nil, false, nil
	}
	if err != nil {
		return ItemPhoto{}, nil, false, fmt.Errorf("photo of item %s: %w", id, err)
	}
	return ph, data, true, nil
}

const redemptionCols = `r.id, r.worker_id, r.item_id, i.name, r.store_id, r.street, r.community, r.quantity, r.points,
	r.status, r.cancel_reason, r.closed_by, r.created_at, r.closed_at, r.caller, r.idempotency_key, r.request_hash,
	(SELECT balance_after FROM entries WHERE cause = 'redeem:' || r.id), a.street, a.community`

const redemptionFrom = " FROM redemptions r JOIN items i ON i.id = r.item_id JOIN accounts a ON a.worker_id = r.worker_id"

func scanRedemption(row pgx.Row) (Redemption, error) {
	var r Redemption
	err := row.Scan(&r.ID, &r.WorkerID, &r.ItemID, &r.ItemName, &r.StoreID, &r.Street, &r.Community, &r.Quantity,
		&r.Points, &r.Status, &r.CancelReason, &r.ClosedBy, &r.CreatedAt, &r.ClosedAt, &r.caller, &r.key, &r.hash, &r.Balance,
		&r.workerStreet, &r.workerCommunity)
	return r, err
}

// errKeyRace is an insert that lost to another request with the same key.
var errKeyRace = errors.New("idempotency key taken concurrently")

// Redeem records a redemption r (its worker, item, quantity, caller, key
// and hash set) in one transaction: it locks the account and then the item,
// lets check decide and fill in r, takes the stock and posts the debit. A
// key already used by the caller answers the first redemption (replayed)
// or, with another request, a validation error.
//
// It costs two round trips besides BEGIN and COMMIT: the locks and reads
// pipelined (Postgres runs them in order, so the account is locked before
// the item and the key is looked up under the account's lock), then the
// writes with the outbox rows (Store.inBook).
func (s *Store) Redeem(ctx context.Context, stars []int, r *Redemption, check func(a *Account, sh Shop, it Item) error) (replayed bool, err error) {
	err = s.write(ctx, stars, func(b *Book) error {
		batch := &pgx.Batch{}
		batch.Queue(lockAccountSQL, r.WorkerID)
		// Checked under the account's lock: a retry racing its original
		// waits for it and then finds it.
		batch.Queue("SELECT "+redemptionCols+redemptionFrom+" WHERE r.caller = $1 AND r.idempotency_key = $2", r.caller, r.key)
		batch.Queue("SELECT "+qualified("i", itemCols)+", "+qualified("s", shopCols)+` FROM items i
			JOIN stores s ON s.id = i.store_id WHERE i.id = $1 FOR UPDATE OF i`, r.ItemID)
		res := b.tx.SendBatch(ctx, batch)
		defer res.Close()

		acct, err := scanAccount(res.QueryRow())
		if errors.Is(err, pgx.ErrNoRows) {
			return errAccountNotFound
		}
		if err != nil {
			return fmt.Errorf("lock account %s: %w", r.WorkerID, err)
		}
		a := &acct
		prev, err := scanRedemption(res.QueryRow())
		if err == nil {
			if !bytes.Equal(prev.hash, r.hash) {
				return validate.Errors{{Field: "Idempotency-Key", Code: "reused",
					Message: "this key was used for a different redemption; use a new key for a new request"}}
			}
			*r, replayed = prev, true
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		var it Item
		var sh Shop
		err = res.QueryRow().Scan(&it.ID, &it.StoreID, &it.Name, &it.Price, &it.Stock, &it.Stocked, &it.Active, &it.CreatedAt,
			&it.UpdatedAt, &sh.ID, &sh.Street, &sh.Community, &sh.Name, &sh.Address, &sh.CreatedBy, &sh.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return errItemNotFound
		}
		if err != nil {
			return err
		}
		if err := res.Close(); err != nil {
			return err
		}
		if err := check(a, sh, it); err != nil {
			return err
		}
		// Sent with the debit and the events when the Book is done.
		b.writes.Queue("UPDATE items SET stock = stock - $2, updated_at = $3 WHERE id = $1", it.ID, r.Quantity, r.CreatedAt)
		b.writes.Queue(`INSERT INTO redemptions (id, worker_id, item_id, store_id, street, community, quantity,
			points, status, caller, idempotency_key, request_hash, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			r.ID, r.WorkerID, r.ItemID, r.StoreID, r.Street, r.Community, r.Quantity, r.Points, r.Status,
			r.caller, r.key, r.hash, r.CreatedAt)
		if err := b.Post(a, r.entry(KindRedeem, -r.Points, r.actor, ""), redeemedEvent(KindRedeem), r.CreatedAt); err != nil {
			return err
		}
		r.Balance = &a.Balance
		r.workerStreet, r.workerCommunity = a.Street, a.Community
		return nil
	})
	// Another request with the same key inserted its redemption first.
	if db.IsUniqueViolation(err, "redemptions_caller_idempotency_key_key") {
		return false, errKeyRace
	}
	return replayed, err
}

// Redemption returns one redemption.
func (s *Store) Redemption(ctx context.Context, id uuid.UUID) (Redemption, bool, error) {
	r, err := scanRedemption(s.pool.QueryRow(ctx, "SELECT "+redemptionCols+redemptionFrom+" WHERE r.id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Redemption{}, false, nil
	}
	if err != nil {
		return Redemption{}, false, fmt.Errorf("redemption %s: %w", id, err)
	}
	return r, true, nil
}

// CloseRedemption locks the redemption's account, the redemption and its
// item (the same order as Redeem), lets change close it, and stores it; an
// entry change returns (a refund) is posted and its stock put back.
func (s *Store) CloseRedemption(ctx context.Context, stars []int, id uuid.UUID, change func(r *Redemption) (*Entry, error)) (Redemption, error) {
	var r Redemption
	err := s.write(ctx, stars, func(b *Book) error {
		var workerID uuid.UUID
		err := b.tx.QueryRow(ctx, "SELECT worker_id FROM redemptions WHERE id = $1", id).Scan(&workerID)
		if errors.Is(err, pgx.ErrNoRows) {
			return errRedemptionNotFound
		}
		if err != nil {
			return err
		}
		a, err := b.Lock(workerID)
		if err != nil {
			return err
		}
		r, err = scanRedemption(b.tx.QueryRow(ctx, "SELECT "+redemptionCols+redemptionFrom+" WHERE r.id = $1 FOR UPDATE OF r", id))
		if err != nil {
			return err
		}
		if _, err := b.tx.Exec(ctx, "SELECT 1 FROM items WHERE id = $1 FOR UPDATE", r.ItemID); err != nil {
			return err
		}
		e, err := change(&r)
		if err != nil {
			return err
		}
		if _, err := b.tx.Exec(ctx, `UPDATE redemptions SET status = $2, cancel_reason = $3, closed_by = $4, closed_at = $5
			WHERE id = $1`, r.ID, r.Status, r.CancelReason, r.ClosedBy, r.ClosedAt); err != nil {
			return err
		}
		if e == nil {
			return nil
		}
		if _, err := b.tx.Exec(ctx, "UPDATE items SET stock = stock + $2, updated_at = $3 WHERE id = $1",
			r.ItemID, r.Quantity, *r.ClosedAt); err != nil {
			return err
		}
		if err := b.Post(a, e, redeemedEvent(e.Kind), *r.ClosedAt); err != nil {
			return err
		}
		r.Balance = &a.Balance
		return nil
	})
	if err != nil {
		return Redemption{}, fmt.Errorf("redemption %s: %w", id, err)
	}
	return r, nil
}

// ListRedemptions returns a page of redemptions, newest first.
func (s *Store) ListRedemptions(ctx context.Context, q RedemptionQuery) (Page[Redemption], error) {
	var f db.Filter
	f.Eq("r.worker_id", q.WorkerID)
	f.Eq("r.store_id", q.StoreID)
	f.Eq("r.status", q.Status)
	f.Eq("r.street", q.Street)
	f.Eq("r.community", q.Commun)
	if q.After != "" {
		f.Where("r.id < $%d", q.After)
	}
	f.Args = append(f.Args, q.Limit+1)
	rows, err := s.pool.Query(ctx, fmt.Sprintf("SELECT %s%s%s ORDER BY r.id DESC LIMIT $%d", redemptionCols, redemptionFrom,
		f.Clause(), len(f.Args)), f.Args...)
	if err != nil {
		return Page[Redemption]{}, fmt.Errorf("list redemptions: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Redemption, error) { return scanRedemption(row) })
	if err != nil {
		return Page[Redemption]{}, fmt.Errorf("list redemptions: %w", err)
	}
	p := Page[Redemption]{Items: items}
	if p.Items == nil {
		p.Items = []Redemption{}
	}
	if len(items) > q.Limit {
		p.Items = items[:q.Limit]
		p.Next = items[q.Limit-1].ID.String()
	}
	return p, nil
}
