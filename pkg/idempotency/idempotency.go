// Package idempotency makes create endpoints safe to retry: a request sent
// with an Idempotency-Key header is carried out once per caller and key, and
// a repeat gets the first answer again (with Idempotent-Replayed: true).
//
// The stored answer is written after the handler commits, not in the same
// transaction; a crash in between leaves the key "in progress" until it
// expires (InProgressTTL), after which a retry runs the request again. The
// registry's creates are also naturally unique where it matters (ID numbers,
// credit codes, check-ins), so that window cannot double a worker.
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
		next.ServeHTTP(rec, r)
		k.finish(context.WithoutCancel(ctx), caller, key, rec)
	})
}

// claim inserts the key as in progress; false means it was there already.
// An abandoned claim (older than InProgressTTL, no answer) is taken over.
func (k Keys) claim(ctx context.Context, caller, key, route string, hash []byte) (bool, error) {
	tag, err := k.Pool.Exec(ctx, `
		INSERT INTO idempotency_keys (caller, key, route, request_hash) VALUES ($1, $2, $3, $4)
		ON CONFLICT (caller, key) DO UPDATE SET route = EXCLUDED.route, request_hash = EXCLUDED.request_hash, created_at = now()
			WHERE idempotency_keys.status IS NULL AND idempotency_keys.created_at < now() - make_interval(secs => $5)
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
	)
	err := k.Pool.QueryRow(r.Context(), `SELECT request_hash, status, content_type, body FROM idempotency_keys
		WHERE caller = $1 AND key = $2`, caller, key).Scan(&stored, &status, &contentType, &body)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// Finished and released between our claim and now (a 5xx): retry is safe.
		httpx.WriteProblem(w, r, httpx.ProblemFor(fault.Conflictf("the request with this Idempotency-Key failed; send it again")))
	case err != nil:
		httpx.WriteProblem(w, r, httpx.ProblemFor(err))
	case !bytes.Equal(stored, hash):
		httpx.WriteProblem(w, r, httpx.ProblemFor(validate.Errors{{Field: Header, Code: "reused",
			Message: "this key was already used for a different request; use a new key for a new request"}}))
	case status == nil:
		httpx.WriteProblem(w, r, httpx.ProblemFor(fault.Conflictf("a request with this Idempotency-Key is still in progress")))
	default:
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(*status)
		_, _ = w.Write(body)
	}
}

// finish stores the answer, or releases the key after a server error so
// the client may retry; now and then it also drops expired keys.
func (k Keys) finish(ctx context.Context, caller, key string, rec *recorder) {
	if rec.status >= 500 {
		_, _ = k.Pool.Exec(ctx, "DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2", caller, key)
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
