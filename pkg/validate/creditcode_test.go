package validate

import "testing"

func TestCreditCodeCheckChar_matchesHandComputedExamples(t *testing.T) {
	// 91350100M000100Y43 is a published example; the others were computed
	// with an independent script.
	for _, code := range []string{
		"91350100M000100Y43",
		"91110000100000000R",
		"12100000400000000W",
	} {
		if got := creditCodeCheckChar(code[:17]); got != code[17] {
			t.Errorf("check character for %s = %c, want %c", code[:17], got, code[17])
		}
	}
}

func TestCreditCode_acceptsValidCodes(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"published example", "91350100M000100Y43", "91350100M000100Y43"},
		{"lowercase is uppercased", "91350100m000100y43", "91350100M000100Y43"},
		{"surrounding spaces are trimmed", " 91110000100000000R ", "91110000100000000R"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CreditCode(tt.in)
			if err != nil {
				t.Fatalf("CreditCode(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("CreditCode(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCreditCode_rejectsInvalidCodes(t *testing.T) {
	tests := []struct {
		name, in, code string
	}{
		{"empty", " ", CodeRequired},
		{"17 characters", "91350100M000100Y4", CodeInvalidLength},
		{"19 characters", "91350100M000100Y433", CodeInvalidLength},
		{"letter I is not in the alphabet", "91350100M000100I43", CodeInvalidFormat},
		{"letter O is not in the alphabet", "91350100M000100O43", CodeInvalidFormat},
		{"letter S is not in the alphabet", "91350100M000100S43", CodeInvalidFormat},
		{"punctuation", "91350100M000100-43", CodeInvalidFormat},
		{"non-ASCII character", "91350100M000100Ｙ43", CodeInvalidFormat},
		{"letter in the division code", "913501A0M000100Y43", CodeInvalidFormat},
		{"wrong check character", "91350100M000100Y44", CodeInvalidCheckCharacter},
		{"mistyped body", "91350100M000200Y43", CodeInvalidCheckCharacter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CreditCode(tt.in)
			if code := codeOf(t, err); code != tt.code {
				t.Fatalf("CreditCode(%q) code = %q (err %v), want %q", tt.in, code, err, tt.code)
			}
			if got != "" {
				t.Errorf("CreditCode(%q) = %q, want empty on error", tt.in, got)
			}
		})
	}
}

func TestCreditCode_rejectsWrongCheckCharacter(t *testing.T) {
	const valid = "91350100M000100Y43"
	for i := 0; i < len(creditCodeAlphabet); i++ {
		c := creditCodeAlphabet[i]
		if c == valid[17] {
			continue
		}
		in := valid[:17] + string(c)
		if _, err := CreditCode(in); codeOf(t, err) != CodeInvalidCheckCharacter {
			t.Errorf("CreditCode(%q) error = %v, want invalid check character", in, err)
		}
	}
}
