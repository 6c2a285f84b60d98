package validate

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// creditCodeAlphabet lists the 31 characters allowed in a unified social
// credit code (GB 32100-2015). I, O, S, V and Z are left out because they
// are easily confused with 1, 0, 5, U and 2. A character's value is its
// index in this string.
const creditCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditCodeWeights are the GB 32100-2015 weights for the first 17
// characters (3^i mod 31).
var creditCodeWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// CreditCode checks an 18-character unified social credit code
// (统一社会信用代码, GB 32100-2015) and returns it trimmed and uppercased.
//
// It checks length, the alphabet, that characters 3-8 (the administrative
// division code) are digits, and the check character. The error is a
// *ValueError.
func CreditCode(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return "", invalid(CodeRequired, "unified social credit code is required")
	}
	if n := utf8.RuneCountInString(s); n != 18 {
		return "", invalid(CodeInvalidLength,
			fmt.Sprintf("unified social credit code must be 18 characters, got %d", n))
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(creditCodeAlphabet, s[i]) < 0 {
			return "", invalid(CodeInvalidFormat,
				"unified social credit code may contain only digits and the letters A-Y except I, O, S, V")
		}
	}
	if !allDigits(s[2:8]) {
		return "", invalid(CodeInvalidFormat,
			"unified social credit code characters 3 to 8 (administrative division code) must be digits")
	}
	// As for resident IDs, do not reveal the expected check character.
	if s[17] != creditCodeCheckChar(s[:17]) {
		return "", invalid(CodeInvalidCheckCharacter,
			"unified social credit code check character does not match the other 17 characters; the code is probably mistyped")
	}
	return s, nil
}

// creditCodeCheckChar computes the check character for the first 17
// characters of a credit code. The caller must pass 17 alphabet characters.
func creditCodeCheckChar(first17 string) byte {
	sum := 0
	for i, w := range creditCodeWeights {
		sum += strings.IndexByte(creditCodeAlphabet, first17[i]) * w
	}
	check := 31 - sum%31
	if check == 31 {
		check = 0
	}
	return creditCodeAlphabet[check]
}
