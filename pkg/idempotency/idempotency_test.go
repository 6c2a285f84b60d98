package idempotency_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nuanxin/nuanxin/pkg/db"
	"github.com/nuanxin/nuanxin/pkg/idempotency"
	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// orders is the handler's own table: each run that commits adds a row.
var orders = db.Source{Name: "test", FS: fstest.MapFS{
	"0001_orders.sql": {Data: []byte("CREATE TABLE orders (id serial PRIMARY KEY)")},
}}

// How the handler ends a request.
const (
	answer         = iota // commits its write and answers 201
	dieAfterCommit        // commits, then the instance dies before answering
	failAfterWrite        // commits, then fails: 500
	dieBeforeWrite        // dies before anything commits
	readThenFail          // only reads in a transaction, then fails: 500
)

// shop is a create endpoint behind the middleware; end says how its next
// request ends.
type shop struct {
	pool *pgxpool.Pool
	url  string
	end  atomic.Int32
}

func newShop(t *testing.T) *shop {
	t.Helper()
	ctx := context.Background()
	pool, err := db.Open(ctx, testenv.Postgres(t), "shop")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := db.Migrate(ctx, pool, "shop", idempotency.Migrations(), orders); err != nil {
		t.Fatal(err)
	}
	s := &shop{pool: pool}
	srv := httptest.NewServer(idempotency.Keys{Pool: pool}.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		end := s.end.Load()
		if end == dieBeforeWrite {
			panic(http.ErrAbortHandler) // as a crash: no answer, nothing stored
		}
		if end == readThenFail {
			_ = db.InTx(r.Context(), pool, func(tx pgx.Tx) error {
				var n int
				return tx.QueryRow(r.Context(), "SELECT count(*) FROM orders").Scan(&n)
			})
			http.Error(w, "the answer could not be made", http.StatusInternalServerError)
			return
		}
		if err := db.InTx(r.Context(), pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(r.Context(), "INSERT INTO orders DEFAULT VALUES")
			return err
		}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		switch end {
		case dieAfterCommit:
			panic(http.ErrAbortHandler)
		case failAfterWrite:
			http.Error(w, "the answer could not be made", http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte(`{"ok":true}`))
		}
	})))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// post sends the same order with key, ending as end; 0 is a connection the
// dying instance cut.
func (s *shop) post(t *testing.T, key string, end int32) (int, string) {
	t.Helper()
	s.end.Store(end)
	req, _ := http.NewRequest("POST", s.url+"/v1/orders", strings.NewReader(`{"item":"头盔"}`))
	req.Header.Set(idempotency.Header, key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *shop) orders(t *testing.T) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), "SELECT count(*) FROM orders").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The middleware's promise across crashes and failures: work that
// committed is never done again, whatever happened to its answer; work
// that did not commit is done when the client retries.
func TestMiddleware_neverRunsCommittedWorkAgainAndRunsWhatDidNotCommit(t *testing.T) {
	s := newShop(t)
	tests := []struct {
		name   string
		first  int32
		later  bool // retried after InProgressTTL, when a dead instance's claim is given up
		status int
		text   string
		orders int
	}{
		{"answered: the retry replays the answer", answer, false, 201, `{"ok":true}`, 1},
		{"died after its commit, retried at once: still in progress", dieAfterCommit, false, 409, `"reason":"idempotency_in_progress"`, 1},
		{"died after its commit, retried later: done, the answer lost", dieAfterCommit, true, 409, `"reason":"idempotency_answer_lost"`, 1},
		{"failed after its commit: done, the answer lost", failAfterWrite, false, 409, `"reason":"idempotency_answer_lost"`, 1},
		{"died before its write, retried later: done now", dieBeforeWrite, true, 201, `{"ok":true}`, 1},
		{"died before its write, retried at once: still in progress", dieBeforeWrite, false, 409, `"reason":"idempotency_in_progress"`, 0},
		{"failed after only reading: the retry runs", readThenFail, false, 201, `{"ok":true}`, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.pool.Exec(context.Background(), "DELETE FROM orders"); err != nil {
				t.Fatal(err)
			}
			key := testenv.Unique()
			s.post(t, key, tc.first)
			if tc.later { // the clock moved past InProgressTTL
				if _, err := s.pool.Exec(context.Background(),
					"UPDATE idempotency_keys SET created_at = now() - interval '2 minutes' WHERE key = $1", key); err != nil {
					t.Fatal(err)
				}
			}
			status, text := s.post(t, key, answer)
			if status != tc.status || !strings.Contains(text, tc.text) {
				t.Errorf("retry: %d %s, want %d with %q", status, text, tc.status, tc.text)
			}
			if n := s.orders(t); n != tc.orders {
				t.Errorf("%d orders, want %d", n, tc.orders)
			}
		})
	}
}
