package registry

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Limits on uploaded spreadsheets. A census round of a street is thousands
// of rows; 100,000 rows of XLSX are about 5 MB.
const (
	MaxImportBytes = 32 << 20  // the upload itself
	maxUnzipBytes  = 512 << 20 // what an XLSX may expand to: beyond is a zip bomb
	maxImportRows  = 200_000
)

// Spreadsheet formats an import accepts.
const (
	FormatXLSX = "xlsx"
	FormatCSV  = "csv"
)

// fileError is a problem with the uploaded file as a whole, told in Chinese
// and English, since clerks read the answer.
type fileError struct {
	zh, en string
}

func (e *fileError) Error() string { return e.en }

func badFile(zh, en string, args ...any) *fileError {
	return &fileError{zh: fmt.Sprintf(zh, args...), en: fmt.Sprintf(en, args...)}
}

// sheet reads a spreadsheet row by row without holding it all in memory.
type sheet interface {
	Next() bool
	Row() ([]string, error)
	Close() error
}

// sniffFormat tells an XLSX (a zip) from a CSV (text) by content, not by
// name or declared type, which clerks' browsers often get wrong.
func sniffFormat(data []byte) (string, error) {
	switch {
	case len(data) == 0:
		return "", badFile("文件为空", "the file is empty")
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return FormatXLSX, nil
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return "", badFile("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV", "old Excel files (.xls) are not supported; save as .xlsx or CSV")
	}
	probe := data[:min(len(data), 8192)]
	if bytes.IndexByte(probe, 0) >= 0 {
		return "", badFile("不是 XLSX 或 CSV 表格文件", "not an XLSX or CSV spreadsheet")
	}
	return FormatCSV, nil
}

// openSheet opens the first worksheet of an XLSX, or a CSV.
func openSheet(data []byte, format string) (sheet, error) {
	if format == FormatXLSX {
		return openXLSX(data)
	}
	return openCSV(data)
}

type xlsxSheet struct {
	f    *excelize.File
	rows *excelize.Rows
}

func openXLSX(data []byte) (sheet, error) {
	// excelize writes a worksheet or string table bigger than
	// UnzipXMLSizeLimit (16 MB by default, some 30,000 rows) to a temporary
	// file, in clear, left behind by a crash and recoverable from the disk
	// after: the limit at maxUnzipBytes keeps every part in memory, at the
	// cost of holding a large sheet's XML (about 110 MB for 200,000 rows).
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzipBytes, UnzipXMLSizeLimit: maxUnzipBytes})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size exceeds") {
			return nil, badFile("文件解压后超过 %d MB，已拒绝（可能是压缩炸弹）", "the file expands to more than %d MB and was refused (a zip bomb?)", maxUnzipBytes>>20)
		}
		return nil, badFile("无法读取 XLSX 文件：文件已损坏或不是 Excel 表格", "cannot read the XLSX file: it is damaged or not an Excel workbook")
	}
	list := f.GetSheetList()
	if len(list) == 0 {
		f.Close()
		return nil, badFile("工作簿中没有工作表", "the workbook has no worksheet")
	}
	name := f.GetSheetName(f.GetActiveSheetIndex())
	if name == "" {
		name = list[0]
	}
	rows, err := f.Rows(name)
	if err != nil {
		f.Close()
		return nil, badFile("无法读取工作表「%s」", "cannot read worksheet %q", name)
	}
	return &xlsxSheet{f: f, rows: rows}, nil
}

func (x *xlsxSheet) Next() bool { return x.rows.Next() }

func (x *xlsxSheet) Row() ([]string, error) {
	cols, err := x.rows.Columns()
	if err != nil {
		return nil, badFile("工作表内容损坏", "the worksheet is damaged")
	}
	return cols, nil
}

func (x *xlsxSheet) Close() error {
	x.rows.Close()
	return x.f.Close()
}

type csvSheet struct {
	r   *csv.Reader
	row []string
	err error
}

// openCSV reads UTF-8 (with or without a BOM) or, when the bytes are not
// UTF-8, GB18030 — a superset of GBK, what Excel on Chinese Windows writes.
func openCSV(data []byte) (sheet, error) {
	var r io.Reader
	if utf8.Valid(data) {
		r = bytes.NewReader(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")))
	} else {
		r = transform.NewReader(bytes.NewReader(data), simplifiedchinese.GB18030.NewDecoder())
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // short rows are common in hand-edited files
	cr.LazyQuotes = true
	return &csvSheet{r: cr}, nil
}

func (c *csvSheet) Next() bool {
	if c.err != nil {
		return false
	}
	c.row, c.err = c.r.Read()
	if errors.Is(c.err, io.EOF) {
		c.err = nil
		return false
	}
	return true
}

func (c *csvSheet) Row() ([]string, error) {
	if c.err != nil {
		var pe *csv.ParseError
		if errors.As(c.err, &pe) {
			return nil, badFile("CSV 第 %d 行格式错误", "CSV line %d is malformed", pe.Line)
		}
		return nil, badFile("无法读取 CSV 文件", "cannot read the CSV file")
	}
	return c.row, nil
}

func (c *csvSheet) Close() error { return nil }
