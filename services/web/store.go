package web

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

// store is the sessions table.
type store struct{ pool *pgxpool.Pool }

// querier is a pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// row is a session as stored: the tokens sealed.
type row struct {
	IDHash          []byte
	CSRF            string
	AccessToken     *string
	AccessExpires   *time.Time
	RefreshSealed   []byte
	EnrolmentSealed []byte
	Principal       auth.Principal
	DisplayName     string
	Expires         time.Time
	Created         time.Time
	LastSeen        time.Time
}

const rowColumns = `id_hash, csrf_token, access_token, access_expires_at, refresh_sealed, enrolment_sealed,
	subject, role, street, community, worker_id, display_name, expires_at, created_at, last_seen_at`

func (st store) insert(ctx context.Context, q querier, r row) error {
	_, err := q.Exec(ctx, `INSERT INTO sessions (`+rowColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		r.IDHash, r.CSRF, r.AccessToken, r.AccessExpires, r.RefreshSealed, r.EnrolmentSealed,
		r.Principal.Subject, string(r.Principal.Role), r.Principal.Street, r.Principal.Community, r.Principal.WorkerID,
		r.DisplayName, r.Expires, r.Created, r.LastSeen)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// get reads the session whose id hashes to idHash, locking its row for the
// transaction when lock is set. An expired session is not found.
func (st store) get(ctx context.Context, q querier, idHash []byte, now time.Time, lock bool) (row, bool, error) {
	sql := `SELECT ` + rowColumns + ` FROM sessions WHERE id_hash = $1 AND expires_at > $2`
	if lock {
		sql += ` FOR UPDATE`
	}
	var r row
	var role string
	err := q.QueryRow(ctx, sql, idHash, now).Scan(&r.IDHash, &r.CSRF, &r.AccessToken, &r.AccessExpires, &r.RefreshSealed,
		&r.EnrolmentSealed, &r.Principal.Subject, &role, &r.Principal.Street, &r.Principal.Community, &r.Principal.WorkerID,
		&r.DisplayName, &r.Expires, &r.Created, &r.LastSeen)
	if errors.Is(err, pgx.ErrNoRows) {
		return row{}, false, nil
	}
	if err != nil {
		return row{}, false, fmt.Errorf("read session: %w", err)
	}
	r.Principal.Role = auth.Role(role)
	return r, true, nil
}

// updateTokens stores a refresh's outcome: the new tokens, whom they are
// for, and the session's new end.
func (st store) updateTokens(ctx context.Context, q querier, r row) error {
	_, err := q.Exec(ctx, `UPDATE sessions SET access_token = $2, access_expires_at = $3, refresh_sealed = $4,
		subject = $5, role = $6, street = $7, community = $8, worker_id = $9, display_name = $10, expires_at = $11
		WHERE id_hash = $1`,
		r.IDHash, r.AccessToken, r.AccessExpires, r.RefreshSealed, r.Principal.Subject, string(r.Principal.Role),
		r.Principal.Street, r.Principal.Community, r.Principal.WorkerID, r.DisplayName, r.Expires)
	if err != nil {
		return fmt.Errorf("update session: %w", err)
	}
	return nil
}

// delete removes a session, answering whether there was one.
func (st store) delete(ctx context.Context, q querier, idHash []byte) (bool, error) {
	tag, err := q.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash)
	if err != nil {
		return false, fmt.Errorf("delete session: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// touch notes that a session was used now. It writes only when the last
// note is older than a minute: a page's burst of requests costs one write.
func (st store) touch(ctx context.Context, idHash []byte, now time.Time) error {
	_, err := st.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1 AND last_seen_at < $2::timestamptz - interval '1 minute'`,
		idHash, now)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// prune deletes the sessions that have ended or not been used since
// idleSince, answering how many.
func (st store) prune(ctx context.Context, now, idleSince time.Time) (int64, error) {
	tag, err := st.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2`, now, idleSince)
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
