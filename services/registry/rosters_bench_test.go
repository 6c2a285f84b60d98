package registry_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// copyWorkers inserts n active food-delivery riders into community (of
// street) with COPY, far faster than registering them one by one. Names,
// masked values and hashes are synthetic but look real; the ciphertexts are
// mobileEnc and idEnc as given (any bytes do for a masked export). It
// returns the ids in insertion order, which is roster order.
func (h *harness) copyWorkers(n, firstSerial int, street, community string, mobileEnc, idEnc []byte) []uuid.UUID {
	h.t.Helper()
	ids := make([]uuid.UUID, n)
	now := time.Now().UTC()
	cols := []string{"id", "name", "mobile_enc", "mobile_hash", "mobile_masked", "id_number_enc", "id_number_hash",
		"id_number_masked", "occupation", "street", "community", "platform", "political_status", "created_at", "updated_at"}
	_, err := h.Pool.CopyFrom(context.Background(), pgx.Identifier{"workers"}, cols, pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		serial := firstSerial + i
		ids[i] = uuid.Must(uuid.NewV7())
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(serial))
		idHash := sha256.Sum256(append([]byte("id:"), b[:]...))
		mobileHash := sha256.Sum256(append([]byte("mobile:"), b[:]...))
		id := idNumber(serial)
		return []any{ids[i], fmt.Sprintf("骑手%d", serial), mobileEnc, mobileHash[:], fmt.Sprintf("139****%04d", serial%10000),
			idEnc, idHash[:], maskedID(id), "food_delivery", street, community, "美团", "masses", now, now}, nil
	}))
	if err != nil {
		h.t.Fatal(err)
	}
	return ids
}

// A roster that fails halfway must not pass for a whole one: before any
// byte is sent the caller gets a problem, after it a broken download.
func TestRoster_failureHalfwayIsAProblemOrABrokenDownloadNeverAShortRoster(t *testing.T) {
	h := newHarness(t, "")
	h.seedOrg()
	ctx := context.Background()
	valid := h.registerWorker(1, "tashan")
	var mobileEnc, idEnc []byte
	if err := h.Pool.QueryRow(ctx, "SELECT mobile_enc, id_number_enc FROM workers WHERE id = $1", valid).Scan(&mobileEnc, &idEnc); err != nil {
		t.Fatal(err)
	}
	// Thousands of workers whose data opens (a ciphertext is bound to its
	// column, not its row), then one whose ciphertext is corrupt, last in
	// roster order; and one corrupt worker alone in changsheng.
	h.copyWorkers(3000, 100, "qishan", "tashan", mobileEnc, idEnc)
	h.copyWorkers(1, 9000, "qishan", "tashan", []byte("corrupt"), idEnc)
	h.copyWorkers(1, 9001, "qishan", "changsheng", []byte("corrupt"), idEnc)
	admin := h.StreetAdmin("qishan")

	t.Run("before the first byte: problem+json", func(t *testing.T) {
		r := h.Do("GET", "/v1/rosters/workers?pii=full&community=changsheng&format=csv", admin, nil)
		if r.Status != 500 || r.Header.Get("Content-Type") != "application/problem+json" || r.Header.Get("Content-Disposition") != "" {
			t.Errorf("status %d, headers %v: %s", r.Status, r.Header, r.Raw)
		}
	})
	t.Run("an xlsx is sent whole or not at all", func(t *testing.T) {
		r := h.Do("GET", "/v1/rosters/workers?pii=full&community=tashan&format=xlsx", admin, nil)
		if r.Status != 500 || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("status %d, Content-Type %q", r.Status, r.Header.Get("Content-Type"))
		}
	})
	for _, format := range []string{"csv", "json"} {
		t.Run("a streamed "+format+" breaks off", func(t *testing.T) {
			req, _ := http.NewRequest("GET", h.URL+"/v1/rosters/workers?pii=full&community=tashan&format="+format, nil)
			req.Header.Set("Authorization", "Bearer "+admin)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			n, err := io.Copy(io.Discard, res.Body)
			if res.StatusCode != 200 || err == nil {
				t.Errorf("status %d, read %d bytes to a clean end; want a broken download", res.StatusCode, n)
			}
		})
	}
}

// BenchmarkRosterXLSX_100kWorkers exports a street's roster of 100,000
// workers as XLSX through HTTP: rows per second, and the peak heap in use
// (server and client share the process) while it runs.
func BenchmarkRosterXLSX_100kWorkers(b *testing.B) { benchRosterXLSX(b, 100_000) }

// BenchmarkRosterXLSX_10kWorkers is the same for a tenth of the rows: the
// peak heap barely moves, since rows stream through a bounded buffer.
func BenchmarkRosterXLSX_10kWorkers(b *testing.B) { benchRosterXLSX(b, 10_000) }

func benchRosterXLSX(b *testing.B, n int) {
	h := newHarness(b, "")
	h.seedOrg()
	h.copyWorkers(n, 1, "qishan", "tashan", []byte("sealed-mobile"), []byte("sealed-id-number"))
	token := h.StreetAdmin("qishan")
	runtime.GC()

	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()

	var size int64
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest("GET", h.URL+"/v1/rosters/workers?format=xlsx", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		size, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("status %d, %v", res.StatusCode, err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	close(stop)
	<-sampled
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(peak.Load())/1e6, "peak-MB")
	b.ReportMetric(float64(size)/1e6, "file-MB")
}
