// Package idempotency makes create endpoints safe to retry: a request sent
// with an Idempotency-Key header is carried out once per caller and key, and
// a repeat gets the first answer again (with Idempotent-Replayed: true).
//
// The answer is stored once the handler has answered, after its write has
// committed. That the write committed is recorded inside the write's own
// transaction (db.BeforeCommit marks the key from every db.InTx the request
// runs), so a retry never runs committed work again: a key still in
// progress after InProgressTTL is taken over only if nothing of its work
// committed, and one whose work committed but whose answer was lost (the
// instance died in between, or failed after its commit) answers 409 saying
// so, for the client to look the result up. A write made outside db.InTx
// (a single statement on the pool) is not marked, and keeps the weaker
// guarantee: after a crash in that window, a retry past InProgressTTL runs
// it again.
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/httpx"
	"github.com/nuanxin/nuanxin/pkg/validate"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations is the idempotency_keys table, for the service's db.Migrate.
func Migrations() db.Source {
	sub, _ := fs.Sub(migrations, "migrations")
	return db.Source{Name: "idempotency", FS: sub}
}

// Header is the request header carrying the key.
const Header = "Idempotency-Key"

// Keys are kept this long; a key still in progress after InProgressTTL is
// considered abandoned by a crashed instance.
const (
	Retention     = 24 * time.Hour
	InProgressTTL = time.Minute
)

// maxBody bounds what is read to hash the request (spreadsheet uploads are
// up to 32 MiB). A larger body is passed on whole, without idempotency: the
// handler refuses it as too large anyway.
const maxBody = 64 << 20

// Keys stores answers in the service's schema.
type Keys struct {
	Pool *pgxpool.Pool
}

// Middleware wraps a create handler. It must run after authentication, since
// keys are per caller.
func (k Keys) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(Header)
		if key == "" {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 200 {
			httpx.WriteProblem(w, r, httpx.ProblemFor(validate.Errors{{Field: Header, Code: validate.CodeTooLong, Message: "must be at most 200 characters"}}))
			return
		}
		p, _ := auth.FromContext(r.Context())
		caller := string(p.Role) + "|" + p.Street + "|" + p.Community + "|" + p.WorkerID + "|" + p.Subject
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			httpx.WriteProblem(w, r, httpx.ProblemFor(err))
			return
		}
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		if len(body) > maxBody {
			next.ServeHTTP(w, r)
			return
		}
		sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))

		ctx := r.Context()
		first, err := k.claim(ctx, caller, key, r.Pattern, sum[:])
		if err != nil {
			httpx.WriteProblem(w, r, httpx.ProblemFor(err))
			return
		}
		if !first {
			k.replay(w, r, caller, key, sum[:])
			return
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		// Only a transaction that wrote (and so has a transaction id) marks
		// the key: one that only read leaves a failed request free to retry.
		marked := db.BeforeCommit(ctx, func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE idempotency_keys SET committed = true
				WHERE caller = $1 AND key = $2 AND pg_current_xact_id_if_assigned() IS NOT NULL`, caller, key)
			return err
		})
		next.ServeHTTP(rec, r.WithContext(marked))
		k.finish(context.WithoutCancel(ctx), caller, key, rec)
	})
}

// claim inserts the key as in progress; false means it was there already.
// An abandoned claim (older than InProgressTTL, no answer, nothing of its
// work committed) is taken over, as is a key past Retention.
func (k Keys) claim(ctx context.Context, caller, key, route string, hash []byte) (bool, error) {
	tag, err := k.Pool.Exec(ctx, `
		INSERT INTO idempotency_keys (caller, key, route, request_hash) VALUES ($1, $2, $3, $4)
		ON CONFLICT (caller, key) DO UPDATE SET route = EXCLUDED.route, request_hash = EXCLUDED.request_hash, created_at = now(),
				committed = false, lost = false
			WHERE idempotency_keys.status IS NULL AND NOT idempotency_keys.committed
				AND idempotency_keys.created_at < now() - make_interval(secs => $5)
			   OR idempotency_keys.created_at < now() - make_interval(secs => $6)`,
		caller, key, route, hash, InProgressTTL.Seconds(), Retention.Seconds())
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}

func (k Keys) replay(w http.ResponseWriter, r *http.Request, caller, key string, hash []byte) {
	var (
		stored      []byte
		status      *int
		contentType string
		body        []byte
		lost        bool // committed, and it failed after, or its instance died
	)
	err := k.Pool.QueryRow(r.Context(), `SELECT request_hash, status, content_type, body,
			lost OR committed AND created_at < now() - make_interval(secs => $3)
		FROM idempotency_keys WHERE caller = $1 AND key = $2`, caller, key, InProgressTTL.Seconds()).
		Scan(&stored, &status, &contentType, &body, &lost)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// Finished and released between our claim and now (a 5xx): retry is safe.
		httpx.WriteProblem(w, r, httpx.ProblemFor(fault.ConflictReason("idempotency_failed", "the request with this Idempotency-Key failed; send it again")))
	case err != nil:
		httpx.WriteProblem(w, r, httpx.ProblemFor(err))
	case !bytes.Equal(stored, hash):
		httpx.WriteProblem(w, r, httpx.ProblemFor(validate.Errors{{Field: Header, Code: "reused",
			Message: "this key was already used for a different request; use a new key for a new request"}}))
	case status == nil && lost:
		httpx.WriteProblem(w, r, httpx.ProblemFor(fault.ConflictReason("idempotency_answer_lost",
			"the request with this Idempotency-Key was carried out, but its answer was lost; look the result up instead of sending it again")))
	case status == nil:
		httpx.WriteProblem(w, r, httpx.ProblemFor(fault.ConflictReason("idempotency_in_progress", "a request with this Idempotency-Key is still in progress")))
	default:
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(*status)
		_, _ = w.Write(body)
	}
}

// finish stores the answer, or after a server error releases the key so
// the client may retry — unless some of the work committed, in which case
// the key stays without an answer and a retry is told so; now and then it
// also drops expired keys.
func (k Keys) finish(ctx context.Context, caller, key string, rec *recorder) {
	if rec.status >= 500 {
		_, _ = k.Pool.Exec(ctx, "DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2 AND NOT committed", caller, key)
		_, _ = k.Pool.Exec(ctx, "UPDATE idempotency_keys SET lost = true WHERE caller = $1 AND key = $2", caller, key)
		return
	}
	_, _ = k.Pool.Exec(ctx, `UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5
		WHERE caller = $1 AND key = $2`, caller, key, rec.status, rec.Header().Get("Content-Type"), rec.body.Bytes())
	if time.Now().UnixNano()%100 == 0 {
		_, _ = k.Pool.Exec(ctx, "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)", Retention.Seconds())
	}
}

// recorder passes the answer through and keeps a copy.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}
