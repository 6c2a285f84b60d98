package main

import "strings"

// The demo data needs resident ID numbers and credit codes that pass the
// registry's validation, so these helpers append the check character the
// same way pkg/validate checks it. The tests confirm every generated value
// with validate.ResidentID and validate.CreditCode.

// residentID builds an 18-character resident ID number (GB 11643-1999) from a
// 6-digit area code (e.g. 370602, Zhifu district), a YYYYMMDD birth date and
// a 3-digit sequence number (odd for men, even for women), appending the
// ISO 7064 MOD 11-2 check character.
func residentID(area, birth, seq string) string {
	first17 := area + birth + seq
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		if i < len(first17) {
			sum += int(first17[i]-'0') * w
		}
	}
	return first17 + string("10X98765432"[sum%11])
}

// creditCodeAlphabet is the 31 characters of unified social credit codes
// (no I, O, S, V, Z); a character's value is its index.
const creditCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditCode completes a unified social credit code (GB 32100-2015) from its
// first 17 characters: registration authority and kind ("91" a company,
// "92" a sole proprietorship), the 6-digit area code and a 9-character
// organisation code. It appends the check character: 31 - (Σ value×3^i mod
// 31) mod 31.
func creditCode(first17 string) string {
	weights := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i, w := range weights {
		if i < len(first17) {
			sum += strings.IndexByte(creditCodeAlphabet, first17[i]) * w
		}
	}
	return first17 + string(creditCodeAlphabet[(31-sum%31)%31])
}
