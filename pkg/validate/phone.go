package validate

import (
	"regexp"
	"strings"
)

// A landline with its area code (0535-6612345, 010-12345678), maybe an
// extension (0535-6612345-801); or a 400/800 service number.
var (
	landlineRe = regexp.MustCompile(`^0[1-9]\d{1,2}-?[2-9]\d{6,7}(-\d{1,6})?$`)
	serviceRe  = regexp.MustCompile(`^[48]00-?\d{3}-?\d{4}$`)
)

// Phone checks a telephone number a person can call: a mainland mobile
// (see Mobile; answered as its 11 digits), a landline with its area code
// and an optional extension, or a 400/800 service number. Spaces are
// dropped; a landline's dashes are kept as typed, since they help reading.
// The error is a *ValueError.
func Phone(s string) (string, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	if s == "" {
		return "", invalid(CodeRequired, "phone number is required")
	}
	if strings.HasPrefix(s, "1") || strings.HasPrefix(s, "+") {
		return Mobile(s)
	}
	if landlineRe.MatchString(s) || serviceRe.MatchString(s) {
		return s, nil
	}
	return "", invalid(CodeInvalidFormat,
		"must be a mobile number, a landline with its area code (0535-6612345, an extension after a dash) or a 400/800 number")
}

// OptionalPhone checks a phone number that may be left empty (see Phone).
func (c *Collector) OptionalPhone(field, s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	v, err := Phone(s)
	return c.keep(field, v, err)
}
