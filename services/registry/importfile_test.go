package registry

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// bigSheet is an XLSX whose worksheet XML is more than excelize's 16 MB
// in-memory limit: rows of census data with a long remark each. Made
// before the test points TMPDIR elsewhere, since writing spills too.
func bigSheet(t *testing.T, rows int) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if err := sw.SetRow("A1", []any{"姓名", "手机号", "身份证号", "职业", "所属社区", "备注"}); err != nil {
		t.Fatal(err)
	}
	remark := strings.Repeat("暖", 10_000) // 30,000 bytes of XML
	for i := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		row := []any{"骑手", fmt.Sprintf("139%08d", i), "370602199001011239", "外卖骑手", "塔山社区", remark}
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

// A sheet is read in memory: excelize would otherwise write a large
// worksheet, every mobile and ID number in it, to a temporary file.
func TestOpenSheet_keepsALargeWorksheetOutOfTemporaryFiles(t *testing.T) {
	data := bigSheet(t, 600) // 18 MB of worksheet XML
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	sh, err := openSheet(data, FormatXLSX)
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	n := 0
	for sh.Next() {
		if _, err := sh.Row(); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 601 {
		t.Errorf("read %d rows, want 601", n)
	}
	// While the sheet is open, which is when excelize's files exist.
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("temporary file %s written while reading the sheet", e.Name())
	}
}
