package validate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// withCheckChar appends the correct check character to 17 digits, so tests
// can build valid numbers for any birth date.
func withCheckChar(first17 string) string {
	return first17 + string(residentIDCheckChar(first17))
}

// codeOf returns the Code of a *ValueError, or "" for nil.
func codeOf(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ve *ValueError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v (%T) is not a *ValueError", err, err)
	}
	return ve.Code
}

// Hard-coded numbers whose check characters were computed by hand and with
// an independent script; they guard residentIDCheckChar itself.
func TestResidentIDCheckChar_matchesHandComputedExamples(t *testing.T) {
	for _, id := range []string{
		"11010519491231002X", // the published GB 11643 example
		"44030519900101123X",
		"310115200002290048", // born on a leap day
		"510108198506153112",
	} {
		if got := residentIDCheckChar(id[:17]); got != id[17] {
			t.Errorf("check character for %s = %c, want %c", id[:17], got, id[17])
		}
	}
}

func TestResidentID_acceptsValidNumbers(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"published example", "11010519491231002X", "11010519491231002X"},
		{"lowercase x is uppercased", "11010519491231002x", "11010519491231002X"},
		{"surrounding spaces are trimmed", "  510108198506153112 \t", "510108198506153112"},
		{"leap day", "310115200002290048", "310115200002290048"},
		{"born in 1900", withCheckChar("11010119000101001"), withCheckChar("11010119000101001")},
		{"born yesterday", withCheckChar("11010120240614001"), withCheckChar("11010120240614001")},
		{"born today", withCheckChar("11010120240615001"), withCheckChar("11010120240615001")},
	}
	today := time.Date(2024, 6, 15, 9, 0, 0, 0, chinaTime)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := residentID(tt.in, today)
			if err != nil {
				t.Fatalf("residentID(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("residentID(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestResidentID_rejectsInvalidNumbers(t *testing.T) {
	tests := []struct {
		name, in, code string
	}{
		{"empty", "", CodeRequired},
		{"only spaces", "   ", CodeRequired},
		{"17 characters", "11010519491231002", CodeInvalidLength},
		{"19 characters", "11010519491231002X1", CodeInvalidLength},
		{"old 15-digit format", "110105491231002", CodeInvalidLength},
		{"letter among the first 17", "1101051949123100AX", CodeInvalidFormat},
		{"inner space", "110105 9491231002X", CodeInvalidFormat},
		{"last character not digit or X", "11010519491231002Y", CodeInvalidFormat},
		{"non-ASCII last character", "11010519491231002Ｘ", CodeInvalidFormat},
		{"full-width digit", "１1010519491231002X", CodeInvalidFormat},
		{"month 13", withCheckChar("11010519491331002"), CodeInvalidDate},
		{"February 30", withCheckChar("11010519490230002"), CodeInvalidDate},
		{"February 29 in a common year", withCheckChar("11010519490229002"), CodeInvalidDate},
		{"day 00", withCheckChar("11010519490100002"), CodeInvalidDate},
		{"year before 1900", withCheckChar("11010518991231002"), CodeInvalidDate},
		{"born tomorrow", withCheckChar("11010120240616001"), CodeInvalidDate},
		{"far future", withCheckChar("11010129990101001"), CodeInvalidDate},
	}
	today := time.Date(2024, 6, 15, 9, 0, 0, 0, chinaTime)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := residentID(tt.in, today)
			if code := codeOf(t, err); code != tt.code {
				t.Fatalf("residentID(%q) code = %q (err %v), want %q", tt.in, code, err, tt.code)
			}
			if got != "" {
				t.Errorf("residentID(%q) = %q, want empty on error", tt.in, got)
			}
		})
	}
}

func TestResidentID_rejectsWrongCheckCharacter(t *testing.T) {
	const valid = "11010519491231002X"
	for _, last := range "0123456789" {
		in := valid[:17] + string(last)
		_, err := ResidentID(in)
		if code := codeOf(t, err); code != CodeInvalidCheckCharacter {
			t.Errorf("ResidentID(%q) code = %q, want %q", in, code, CodeInvalidCheckCharacter)
		}
	}
	// A single mistyped digit must be caught too.
	in := "11010519491231003X"
	if _, err := ResidentID(in); codeOf(t, err) != CodeInvalidCheckCharacter {
		t.Errorf("ResidentID(%q) error = %v, want invalid check character", in, err)
	}
}

func TestResidentID_doesNotEchoTheNumberInMessages(t *testing.T) {
	for _, in := range []string{
		"11010519491231003X", // wrong check character
		"11010518991231002X", // invalid date
		"1101051949123100AX", // bad characters
	} {
		_, err := ResidentID(in)
		if err == nil {
			t.Fatalf("ResidentID(%q) accepted an invalid number", in)
		}
		if msg := err.Error(); strings.Contains(msg, in[:14]) || strings.Contains(msg, in[6:14]) {
			t.Errorf("message %q leaks part of the ID number", msg)
		}
	}
}

func TestResidentID_judgesFutureDatesInChinaTime(t *testing.T) {
	// 16:30 UTC on 14 June is already 00:30 on 15 June in Beijing.
	now := time.Date(2024, 6, 14, 16, 30, 0, 0, time.UTC)
	id := withCheckChar("11010120240615001")
	if _, err := residentID(id, now); err != nil {
		t.Errorf("baby born today in Beijing rejected: %v", err)
	}
}

// FuzzResidentID checks that ResidentID never panics and that whatever it
// accepts is 18 characters long and passes validation again unchanged.
func FuzzResidentID(f *testing.F) {
	for _, seed := range []string{
		"11010519491231002X", "11010519491231002x", " 510108198506153112 ",
		"", "X", "11010519491231002", "1101051949123100２X", "11010519490230002X",
		"\xff\xfe11010519491231002X",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ResidentID(in)
		if err != nil {
			if got != "" {
				t.Errorf("ResidentID(%q) returned %q together with error %v", in, got, err)
			}
			return
		}
		if len(got) != 18 {
			t.Errorf("ResidentID(%q) = %q, length %d, want 18", in, got, len(got))
		}
		again, err := ResidentID(got)
		if err != nil || again != got {
			t.Errorf("ResidentID(%q) = %q, %v on re-validation, want %q, nil", got, again, err, got)
		}
	})
}
