package pii

import "strings"

// MaskMobile hides the middle of a mobile number for display:
// "13812345678" -> "138****5678". Anything that is not 11 characters long
// (so not a normalised mainland number) keeps only its last 2 characters.
func MaskMobile(s string) string {
	r := []rune(s)
	if len(r) != 11 {
		return maskAllButLast(r, 2)
	}
	return string(r[:3]) + "****" + string(r[7:])
}

// MaskIDNumber hides the birth date and sequence number of a resident ID
// number for display: 18 characters -> first 6 (region) + 8 '*' + last 4,
// e.g. "110105********002X". Anything else (such as an old 15-digit number)
// keeps only its last 2 characters.
func MaskIDNumber(s string) string {
	r := []rune(s)
	if len(r) != 18 {
		return maskAllButLast(r, 2)
	}
	return string(r[:6]) + "********" + string(r[14:])
}

// MaskName keeps the first character of a name, usually the family name,
// and hides the rest, one '*' per character: "张三" -> "张*",
// "欧阳娜娜" -> "欧***". A single character becomes "*"; empty stays "".
func MaskName(s string) string {
	r := []rune(s)
	switch len(r) {
	case 0:
		return ""
	case 1:
		return "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}

// maskAllButLast replaces all but the last keep runes with '*'.
func maskAllButLast(r []rune, keep int) string {
	hidden := max(len(r)-keep, 0)
	return strings.Repeat("*", hidden) + string(r[hidden:])
}
