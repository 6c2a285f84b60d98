package points

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/event"
	"github.com/nuanxin/nuanxin/pkg/outbox"
)

// Restar brings every account's star level in line with the thresholds the
// service runs with, emitting star.changed for each account it moves. Stars
// follow hours as entries are posted; this catches the accounts whose level
// changed because the thresholds did (POINTS_STAR_HOURS), at start. Several
// instances may run it at once: rows are locked, and a level already right
// is left alone. It works in batches, so a district of volunteers is not one
// transaction.
func (s *Service) Restar(ctx context.Context) (int, error) {
	level := "CASE"
	args := []any{}
	for i := len(s.stars) - 1; i >= 0; i-- {
		args = append(args, int64(s.stars[i])*100)
		level += fmt.Sprintf(" WHEN centihours >= $%d THEN %d", len(args), i+1)
	}
	level += " ELSE 0 END"
	total := 0
	for {
		var moved int
		err := db.InTx(ctx, s.store.pool, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `WITH off AS (
					SELECT worker_id, star AS old, `+level+` AS level FROM accounts
					WHERE star <> `+level+` ORDER BY worker_id LIMIT 500 FOR UPDATE)
				UPDATE accounts a SET star = off.level FROM off WHERE a.worker_id = off.worker_id
				RETURNING a.worker_id::text, a.street, a.community, off.old, off.level, a.centihours`, args...)
			if err != nil {
				return err
			}
			var drafts []outbox.Draft
			var d event.StarChangedData
			var centi int64
			if _, err := pgx.ForEachRow(rows, []any{&d.WorkerID, &d.Street, &d.Community, &d.From, &d.To, &centi}, func() error {
				d.Hours = hours(centi)
				drafts = append(drafts, outbox.Draft{Name: event.StarChanged, Street: d.Street, Subject: d.WorkerID, Data: d})
				return nil
			}); err != nil {
				return err
			}
			moved = len(drafts)
			_, err = s.store.outbox.AddAll(ctx, tx, drafts)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("restar: %w", err)
		}
		total += moved
		if moved == 0 {
			return total, nil
		}
	}
}
