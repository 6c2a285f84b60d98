package registry_test

import (
	"archive/zip"
	"bytes"
	"os"
	"testing"
)

// A roster too big for excelize's 16 MiB buffer is still built in memory:
// its StreamWriter would otherwise write the sheet XML beyond that — names,
// and with pii=full every mobile and ID number in full — to a temporary
// file, in clear, removed only if the request ends well.
func TestRosterXLSX_bigRosterWritesNoTemporaryFile(t *testing.T) {
	h := newHarness(t, "") // first: testenv makes its servers' directories in TMPDIR
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where os.TempDir, and so excelize, would write
	h.seedOrg()
	worker := h.registerWorker(1, "tashan")
	var mobileEnc, idEnc []byte
	if err := h.Pool.QueryRow(t.Context(), "SELECT mobile_enc, id_number_enc FROM workers WHERE id = $1", worker).
		Scan(&mobileEnc, &idEnc); err != nil {
		t.Fatal(err)
	}
	h.copyWorkers(30_000, 100, "qishan", "tashan", mobileEnc, idEnc)
	before, err := os.Stat(tmp)
	if err != nil {
		t.Fatal(err)
	}

	r := h.Do("GET", "/v1/rosters/workers?pii=full&format=xlsx", h.StreetAdmin("qishan"), nil)
	if r.Status != 200 {
		t.Fatalf("export: %d %s", r.Status, r.Raw)
	}
	zr, err := zip.NewReader(bytes.NewReader(r.Raw), int64(len(r.Raw)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" && f.UncompressedSize64 <= 16<<20 {
			t.Fatalf("the sheet XML is %d bytes, not beyond excelize's 16 MiB buffer: the test proves nothing", f.UncompressedSize64)
		}
	}
	// A file created and removed since moves the directory's time.
	after, err := os.Stat(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("a temporary file was written to %s while the roster was built", tmp)
	}
}
