package validate

import (
	"fmt"
	"strings"
)

// Mobile checks a mainland China mobile number and returns its 11 digits.
//
// People type numbers in many shapes, so Mobile first removes spaces and
// dashes anywhere, then a leading "+86", or "86" when exactly 11 digits
// follow. What remains must be 11 digits starting with 13-19.
// The error is a *ValueError.
func Mobile(s string) (string, error) {
	s = strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(s))
	if s == "" {
		return "", invalid(CodeRequired, "mobile number is required")
	}
	switch {
	case strings.HasPrefix(s, "+86"):
		s = s[3:]
	case strings.HasPrefix(s, "+"):
		return "", invalid(CodeInvalidFormat, "only mainland China (+86) mobile numbers are accepted")
	case len(s) == 13 && strings.HasPrefix(s, "86"):
		// Without the "+", strip "86" only when 11 digits follow. A
		// mainland mobile number starts with 1, so a real 11-digit number
		// never loses digits here.
		s = s[2:]
	}
	if !allDigits(s) {
		return "", invalid(CodeInvalidFormat,
			"mobile number may contain only digits, spaces, dashes and a leading +86")
	}
	if len(s) != 11 {
		return "", invalid(CodeInvalidLength,
			fmt.Sprintf("mobile number must have 11 digits, got %d", len(s)))
	}
	if s[0] != '1' || s[1] < '3' {
		return "", invalid(CodeInvalidFormat, "mobile number must start with 13 to 19")
	}
	return s, nil
}
