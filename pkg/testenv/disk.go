package testenv

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// Hit is a value found in a file by FindInFiles.
type Hit struct {
	Path   string
	Offset int64 // where the run of characters holding it starts
	Value  string
}

func (h Hit) String() string { return fmt.Sprintf("%s at byte %d: %s", h.Path, h.Offset, h.Value) }

// maxRun bounds the run of digits FindInFiles holds at once; a longer run
// (binary data) is checked in overlapping windows.
const maxRun = 4096

// FindInFiles reads every regular file under roots (each a directory or a
// file) and reports where any of values occurs: written as ASCII or UTF-8,
// as UTF-16 (either byte order), or run together with other digits (the
// "13906380001,370602199001011239" of a CSV line holds both). Values are
// what personal data looks like here — mobiles, ID numbers — so they must
// consist of digits and X. Each value is reported once per file. Files that
// vanish during the walk (a server recycling its WAL) are passed over.
//
// It looks at runs of digits (and X) with NUL bytes skipped, not at every
// value at every offset, so that scanning a Postgres data directory and a
// NATS store takes seconds, not minutes.
func FindInFiles(roots []string, values []string) ([]Hit, error) {
	minLen := 0
	for _, v := range values {
		if v == "" || !isRunString(v) {
			return nil, fmt.Errorf("find in files: %q is not made of digits and X", v)
		}
		if minLen == 0 || len(v) < minLen {
			minLen = len(v)
		}
	}
	var hits []Hit
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			found, err := findInFile(path, values, minLen)
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			hits = append(hits, found...)
			return err
		})
		if err != nil {
			return hits, fmt.Errorf("find in files under %s: %w", root, err)
		}
	}
	return hits, nil
}

func isRunString(s string) bool {
	for i := range len(s) {
		if !isRunByte(s[i]) {
			return false
		}
	}
	return true
}

func isRunByte(b byte) bool { return b >= '0' && b <= '9' || b == 'X' || b == 'x' }

func findInFile(path string, values []string, minLen int) ([]Hit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		hits  []Hit
		seen  = map[string]bool{}
		run   = make([]byte, 0, maxRun)
		start int64 // offset of run's first byte
	)
	check := func() {
		if len(run) < minLen {
			return
		}
		for _, v := range values {
			if !seen[v] && containsFold(run, v) {
				seen[v] = true
				hits = append(hits, Hit{Path: path, Offset: start, Value: v})
			}
		}
	}
	buf := make([]byte, 1<<20)
	var off int64
	for {
		n, err := f.Read(buf)
		for _, b := range buf[:n] {
			switch {
			case b == 0:
				// UTF-16 puts a NUL beside each digit: skipping NULs finds
				// those as well as plain text.
			case isRunByte(b):
				if len(run) == 0 {
					start = off
				}
				if len(run) == maxRun {
					check()
					keep := slices.Clone(run[len(run)-maxRun/2:])
					run = append(run[:0], keep...)
				}
				run = append(run, b)
			default:
				check()
				run = run[:0]
			}
			off++
		}
		if err != nil {
			check()
			if errors.Is(err, io.EOF) {
				return hits, nil
			}
			return hits, fmt.Errorf("read %s: %w", path, err)
		}
	}
}

// containsFold reports whether run holds v, with x and X the same.
func containsFold(run []byte, v string) bool {
	n := len(v)
outer:
	for i := 0; i+n <= len(run); i++ {
		for j := range n {
			a, b := run[i+j], v[j]
			if a != b && !(a|0x20 == 'x' && b|0x20 == 'x') {
				continue outer
			}
		}
		return true
	}
	return false
}
