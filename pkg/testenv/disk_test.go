package testenv_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/nuanxin/nuanxin/pkg/testenv"
)

func utf16Bytes(s string, bigEndian bool) []byte {
	var out []byte
	for _, u := range utf16.Encode([]rune(s)) {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

func TestFindInFiles_findsPersonalDataHoweverItIsWritten(t *testing.T) {
	const mobile, id = "13906380001", "37060219900101123X"
	tests := []struct {
		name    string
		content []byte
		want    []string
	}{
		{"plain text", []byte("name=张伟 mobile=13906380001"), []string{mobile}},
		{"a CSV line holding both", []byte("张伟,13906380001,37060219900101123X,courier\n"), []string{mobile, id}},
		{"run together with other digits", []byte("x9913906380001990"), []string{mobile}},
		{"lower-case x", []byte("37060219900101123x"), []string{id}},
		{"UTF-16LE", utf16Bytes("手机 13906380001", false), []string{mobile}},
		{"UTF-16BE", utf16Bytes("身份证 37060219900101123X", true), []string{id}},
		{"across the scanner's buffer", append(bytes.Repeat([]byte{'a'}, 1<<20-5), []byte("13906380001")...), []string{mobile}},
		{"a masked value is not the value", []byte("139****0001 370602********123X"), nil},
		{"split by another character", []byte("139063-80001"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.MkdirAll(filepath.Join(dir, "pg_wal"), 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "pg_wal", "000000010000000000000001")
			if err := os.WriteFile(path, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			hits, err := testenv.FindInFiles([]string{dir}, []string{mobile, id})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hits {
				if h.Path != path {
					t.Errorf("hit in %s, want %s", h.Path, path)
				}
				got = append(got, h.Value)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("found %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFindInFiles_refusesValuesItCannotFind(t *testing.T) {
	if _, err := testenv.FindInFiles([]string{t.TempDir()}, []string{"139-0638"}); err == nil {
		t.Error("a value with a dash was accepted; the scan would never find it")
	}
}

func TestDataDirs_areWhereTheServersKeepTheirData(t *testing.T) {
	d := testenv.DataDirs(t)
	if _, err := os.Stat(filepath.Join(d.Postgres, "PG_VERSION")); err != nil {
		t.Errorf("Postgres data directory %s: %v", d.Postgres, err)
	}
	if fi, err := os.Stat(d.NATS); err != nil || !fi.IsDir() {
		t.Errorf("NATS store directory %s: %v", d.NATS, err)
	}
}
