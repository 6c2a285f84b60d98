package validate

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// residentIDWeights are the ISO 7064 MOD 11-2 weights for the first 17
// digits of a resident ID number (GB 11643-1999).
var residentIDWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// residentIDCheckChars maps (weighted sum mod 11) to the check character.
const residentIDCheckChars = "10X98765432"

// chinaTime is China Standard Time (UTC+8, no daylight saving). Birth dates
// are calendar dates in China, so "not in the future" is judged there: a
// baby born just after midnight in Beijing is valid while UTC is still on
// the previous day.
var chinaTime = time.FixedZone("CST", 8*60*60)

// ResidentID checks an 18-character mainland resident ID number
// (GB 11643-1999) and returns it normalised: surrounding spaces trimmed and a
// trailing lowercase x uppercased.
//
// It checks, in order: length, that the first 17 characters are digits and
// the last a digit or X, that characters 7-14 are a real birth date
// (YYYYMMDD, year 1900 or later, not in the future), and the check
// character. The error is a *ValueError whose Code tells which check failed.
func ResidentID(s string) (string, error) {
	return residentID(s, time.Now())
}

// residentID is ResidentID with the current time passed in, so tests can
// pin "today".
func residentID(s string, now time.Time) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", invalid(CodeRequired, "resident ID number is required")
	}
	// Count runes, not bytes, so the message matches what the user typed.
	// Any non-ASCII rune then fails the byte-wise digit checks below.
	if n := utf8.RuneCountInString(s); n != 18 {
		return "", invalid(CodeInvalidLength,
			fmt.Sprintf("resident ID number must be 18 characters, got %d", n))
	}
	if s[17] == 'x' {
		s = s[:17] + "X"
	}
	if !allDigits(s[:17]) {
		return "", invalid(CodeInvalidFormat, "resident ID number must start with 17 digits")
	}
	if last := s[17]; !isDigit(last) && last != 'X' {
		return "", invalid(CodeInvalidFormat, "resident ID number must end with a digit or X")
	}
	if err := checkBirthDate(s[6:14], now); err != nil {
		return "", err
	}
	// Do not tell the user which check character would be right: a
	// mismatch usually means a typo somewhere in the first 17 digits, and
	// "fixing" only the last character would turn it into a valid-looking
	// but wrong number.
	if s[17] != residentIDCheckChar(s[:17]) {
		return "", invalid(CodeInvalidCheckCharacter,
			"resident ID number check character does not match the other 17 characters; the number is probably mistyped")
	}
	return s, nil
}

// checkBirthDate checks the YYYYMMDD birth date embedded in a resident ID.
func checkBirthDate(yyyymmdd string, now time.Time) *ValueError {
	birth, err := time.ParseInLocation("20060102", yyyymmdd, chinaTime)
	if err != nil {
		// Parse rejects impossible dates such as 19990230 and month 13.
		return invalid(CodeInvalidDate, "resident ID number contains an invalid birth date")
	}
	if birth.Year() < 1900 {
		return invalid(CodeInvalidDate, "resident ID number birth year must be 1900 or later")
	}
	y, m, d := now.In(chinaTime).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, chinaTime)
	if birth.After(today) {
		return invalid(CodeInvalidDate, "resident ID number birth date is in the future")
	}
	return nil
}

// residentIDCheckChar computes the check character for the first 17 digits
// of a resident ID number. The caller must pass exactly 17 ASCII digits.
func residentIDCheckChar(first17 string) byte {
	sum := 0
	for i, w := range residentIDWeights {
		sum += int(first17[i]-'0') * w
	}
	return residentIDCheckChars[sum%11]
}

// isDigit reports whether b is an ASCII digit.
func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// allDigits reports whether s is non-empty and consists of ASCII digits only.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
