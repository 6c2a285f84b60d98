package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Bytes returns the variable as a size in bytes, or def. It takes a whole
// number with an optional unit ("10GiB", "500MB", "1048576"), as operators
// write sizes; the value must be positive.
func (e *Env) Bytes(key string, def int64) int64 {
	v, ok := e.get(key)
	if !ok || v == "" {
		return def
	}
	n, err := parseBytes(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: %q %v", key, v, err))
		return def
	}
	return n
}

func parseBytes(s string) (int64, error) {
	// Longest suffixes first, so "GiB" is not read as "B".
	units := []struct {
		suffix string
		factor int64
	}{
		{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
		{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1},
	}
	num, factor := strings.TrimSpace(s), int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			num, factor = strings.TrimSpace(rest), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("is not a positive size like 10GiB, 500MB or 1048576")
	}
	if n > (1<<63-1)/factor {
		return 0, fmt.Errorf("is too large")
	}
	return n * factor, nil
}
