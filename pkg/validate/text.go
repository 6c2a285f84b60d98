package validate

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text checks free text such as a name and returns it with surrounding
// white space trimmed.
//
// After trimming, the text must be valid UTF-8 without control characters
// (including tabs and newlines, which have no place in a single-line field
// and can forge lines in logs), and its length in runes (characters, not
// bytes, so "张三" counts as 2) must be between min and max.
// With min 0 the field is optional: empty text is returned without error.
// The error is a *ValueError.
func Text(s string, min, max int) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if min > 0 {
			return "", invalid(CodeRequired, "value is required")
		}
		return "", nil
	}
	if !utf8.ValidString(s) {
		return "", invalid(CodeInvalidFormat, "value is not valid UTF-8 text")
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "", invalid(CodeInvalidFormat, "value must not contain control characters such as tabs or line breaks")
	}
	n := utf8.RuneCountInString(s)
	if n < min {
		return "", invalid(CodeTooShort, fmt.Sprintf("value must be at least %d characters, got %d", min, n))
	}
	if n > max {
		return "", invalid(CodeTooLong, fmt.Sprintf("value must be at most %d characters, got %d", max, n))
	}
	return s, nil
}

// OneOf checks that value is exactly one of allowed (case-sensitive, no
// trimming: these are machine tokens, not free text) and returns it.
// Empty value is reported as required. The error is a *ValueError whose
// message lists the allowed values.
func OneOf(value string, allowed []string) (string, error) {
	if value == "" {
		return "", invalid(CodeRequired, "value is required")
	}
	if !slices.Contains(allowed, value) {
		return "", invalid(CodeUnknownValue, "value must be one of: "+strings.Join(allowed, ", "))
	}
	return value, nil
}
