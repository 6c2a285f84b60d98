package validate

import "regexp"

// MaxCodeLength is the longest code (street, community, grid and other
// machine tokens) in runes, which are bytes here: codes are ASCII.
const MaxCodeLength = 64

// codeRe is the one definition of a code: lower-case ASCII letters, digits,
// '-' and '_', starting with a letter or digit — the pinyin the street
// offices use (qishan, tashan, jianshelu). A street code is a NATS subject
// token (event.ValidToken is this check), so a code never holds '.', '*',
// '>', white space, a NUL byte or anything outside ASCII.
var codeRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// codeMessage says what a code looks like, for every field that holds one.
const codeMessage = "must be a code: 1-64 lower-case letters, digits, '-' or '_', starting with a letter or digit"

// IsCode reports whether s is a well-formed code (see Code).
func IsCode(s string) bool { return len(s) <= MaxCodeLength && codeRe.MatchString(s) }

// Code checks a required code such as a street or community code and
// returns it unchanged: codes are machine tokens, so nothing is trimmed or
// folded (" Qishan" is not qishan). Checking the shape before a code is
// looked up keeps NUL bytes and invalid UTF-8 away from the database. The
// error is a *ValueError.
func Code(s string) (string, error) {
	if s == "" {
		return "", invalid(CodeRequired, "value is required")
	}
	if !IsCode(s) {
		return "", invalid(CodeInvalidFormat, codeMessage)
	}
	return s, nil
}

// Code checks a code (see Code) and returns it, or "" after recording the
// error. An empty code is recorded as required; for an optional one, call
// it only when the value is not empty.
func (c *Collector) Code(field, s string) string {
	v, err := Code(s)
	return c.keep(field, v, err)
}

// OptionalCode is Code for a field that may be left out: "" is returned
// as is, anything else must be a code.
func (c *Collector) OptionalCode(field, s string) string {
	if s == "" {
		return ""
	}
	return c.Code(field, s)
}
