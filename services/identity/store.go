package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const accountCols = `id, username, display_name, role, street, community, grid, password_hash, must_change, disabled,
	failed_attempts, locked_until, created_by, created_at, updated_at`

func scanAccount(row pgx.Row) (Account, error) {
	var a Account
	err := row.Scan(&a.ID, &a.Username, &a.DisplayName, &a.Role, &a.Street, &a.Community, &a.Grid, &a.hash, &a.MustChange,
		&a.Disabled, &a.failed, &a.LockedUntil, &a.CreatedBy, &a.CreatedAt, &a.UpdatedAt)
	return a, err
}

// accountBy reads the account whose column ("id" or "username") is value,
// locking it when lock is set.
func accountBy(ctx context.Context, tx pgx.Tx, column string, value any, lock bool) (Account, bool, error) {
	if column != "id" && column != "username" {
		return Account{}, false, fmt.Errorf("account by %s: not a key", column)
	}
	sql := "SELECT " + accountCols + " FROM accounts WHERE " + column + " = $1"
	if lock {
		sql += " FOR UPDATE"
	}
	a, err := scanAccount(tx.QueryRow(ctx, sql, value))
	if errors.Is(err, pgx.ErrNoRows) {
		return Account{}, false, nil
	}
	if err != nil {
		return Account{}, false, fmt.Errorf("read account: %w", err)
	}
	return a, true, nil
}

func insertAccount(ctx context.Context, tx pgx.Tx, a Account) error {
	_, err := tx.Exec(ctx, `INSERT INTO accounts (id, username, display_name, role, street, community, grid, password_hash,
			must_change, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		a.ID, a.Username, a.DisplayName, a.Role, a.Street, a.Community, a.Grid, a.hash, a.MustChange, a.CreatedBy, a.CreatedAt, a.UpdatedAt)
	if err != nil {
		return fmt.Errorf("insert account: %w", err)
	}
	return nil
}

// listAccounts lists the accounts of street ("" for all), by username.
func listAccounts(ctx context.Context, pool *pgxpool.Pool, street string) ([]Account, error) {
	rows, err := pool.Query(ctx, "SELECT "+accountCols+" FROM accounts WHERE $1 = '' OR street = $1 ORDER BY username", street)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Account, error) { return scanAccount(r) })
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return out, nil
}
