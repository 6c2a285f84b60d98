package registry_test

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// censusXLSX streams a census sheet of n valid workers spread over two
// communities, as a clerk's spreadsheet would hold them.
func censusXLSX(t testing.TB, n, serialBase int) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("A1", censusHeader); err != nil {
		t.Fatal(err)
	}
	communities := []string{"塔山社区", "长生社区"}
	occupations := []string{"外卖骑手", "快递员", "网约车司机"}
	for i := range n {
		s := serialBase + i
		row := []any{i + 1, fmt.Sprintf("骑手%06d", s), mobile(s), idNumber(s), occupations[i%3], communities[i%2], "美团", "群众", "否", ""}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A census of many batches imports completely, with an event for each
// worker committed alongside it. Ten batches show the batching; the
// 100,000-row sheet a large street sends is BenchmarkImportWorkers_100kXLSX
// in make bench: under -race on a busy CI machine it alone took minutes.
func TestImportWorkers_manyBatchesXLSX(t *testing.T) {
	const rows = 5_000 // ten of the importer's batches of 500
	h := newHarness(t, "")
	h.seedOrg()
	admin := h.StreetAdmin("qishan")
	file := censusXLSX(t, rows, 5_000_000)
	r := h.upload("workers", admin, "census.xlsx", file)
	if r.Status != 202 || num(r, "total_rows") != rows {
		t.Fatalf("upload: %d %s", r.Status, r.Raw)
	}
	job := h.waitImport(r.Str("id"), admin, 5*time.Minute)
	if job.Str("status") != "done" || num(job, "created") != rows || num(job, "rejected") != 0 {
		t.Fatalf("job = %s", job.Raw)
	}
	if n := h.count("workers"); n != rows {
		t.Errorf("workers = %d", n)
	}
	var events int
	if err := h.Pool.QueryRow(t.Context(), `SELECT count(*) FROM import_rows WHERE job_id = $1 AND status = 'created'`, r.Str("id")).Scan(&events); err != nil || events != rows {
		t.Errorf("created row outcomes = %d (%v)", events, err)
	}
	// Every created worker's event was committed with it: what is not yet
	// in the stream is still in the outbox.
	body := string(h.Must(200, "GET", "/metrics", "", nil).Raw)
	if want := fmt.Sprintf(`nuanxin_registry_events_total{street="qishan",type="nuanxin.registry.worker.registered"} %d`, rows); !bytes.Contains([]byte(body), []byte(want)) {
		t.Errorf("metrics lack %s", want)
	}
}

// BenchmarkImportWorkers_100kXLSX reports import throughput and the peak
// heap while 100,000 rows go from an uploaded XLSX into the ledger.
func BenchmarkImportWorkers_100kXLSX(b *testing.B) {
	const rows = 100_000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		h := newHarness(b, "")
		h.seedOrg()
		admin := h.StreetAdmin("qishan")
		file := censusXLSX(b, rows, 6_000_000)
		runtime.GC()
		var peak atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		})
		b.StartTimer()
		start := time.Now()
		r := h.upload("workers", admin, "census.xlsx", file)
		job := h.waitImport(r.Str("id"), admin, 10*time.Minute)
		elapsed := time.Since(start)
		b.StopTimer()
		close(stop)
		wg.Wait()
		if num(job, "created") != rows {
			b.Fatalf("job = %s", job.Raw)
		}
		b.ReportMetric(rows/elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(len(file))/(1<<20), "file-MB")
	}
}
