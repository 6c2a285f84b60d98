// Package config reads a service's settings from environment variables,
// collecting every bad value so a misconfigured service says all that is
// wrong in one start.
package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Env reads variables through Lookup (os.LookupEnv when nil).
type Env struct {
	Lookup func(string) (string, bool)
	errs   []error
}

func (e *Env) get(key string) (string, bool) {
	if e.Lookup == nil {
		return os.LookupEnv(key)
	}
	return e.Lookup(key)
}

// String returns the variable, or def when it is unset or empty.
func (e *Env) String(key, def string) string {
	if v, ok := e.get(key); ok && v != "" {
		return v
	}
	return def
}

// Required returns the variable, recording an error when it is unset.
func (e *Env) Required(key string) string {
	v, ok := e.get(key)
	if !ok || v == "" {
		e.errs = append(e.errs, fmt.Errorf("%s is required", key))
	}
	return v
}

// Int returns the variable as an int, or def.
func (e *Env) Int(key string, def int) int {
	v, ok := e.get(key)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: %q is not an integer", key, v))
		return def
	}
	return n
}

// Duration returns the variable as a time.Duration ("5s"), or def.
func (e *Env) Duration(key string, def time.Duration) time.Duration {
	v, ok := e.get(key)
	if !ok || v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: %q is not a duration like 5s", key, v))
		return def
	}
	return d
}

// Check records an error for key unless ok, for rules the readers above
// cannot express ("must be positive").
func (e *Env) Check(ok bool, key, rule string) {
	if !ok {
		e.errs = append(e.errs, fmt.Errorf("%s: %s", key, rule))
	}
}

// Err joins every error recorded so far.
func (e *Env) Err() error { return errors.Join(e.errs...) }
