package validate

import "testing"

func TestMobile_acceptsCommonSpellings(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"plain", "13812345678"},
		{"spaces", " 138 1234 5678 "},
		{"dashes", "138-1234-5678"},
		{"plus 86", "+8613812345678"},
		{"plus 86 with space", "+86 138 1234 5678"},
		{"86 without plus", "8613812345678"},
		{"86 with dash", "86-138-1234-5678"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Mobile(tt.in)
			if err != nil {
				t.Fatalf("Mobile(%q) error: %v", tt.in, err)
			}
			if got != "13812345678" {
				t.Errorf("Mobile(%q) = %q, want 13812345678", tt.in, got)
			}
		})
	}
}

func TestMobile_acceptsEveryValidSecondDigit(t *testing.T) {
	for _, second := range "3456789" {
		in := "1" + string(second) + "812345678"
		if got, err := Mobile(in); err != nil || got != in {
			t.Errorf("Mobile(%q) = %q, %v, want %q, nil", in, got, err, in)
		}
	}
}

func TestMobile_rejectsInvalidNumbers(t *testing.T) {
	tests := []struct {
		name, in, code string
	}{
		{"empty", "", CodeRequired},
		{"only separators", " - ", CodeRequired},
		{"10 digits", "1381234567", CodeInvalidLength},
		{"12 digits", "138123456789", CodeInvalidLength},
		{"plus 86 with 10 digits", "+861381234567", CodeInvalidLength},
		{"86 with 12 digits is not stripped", "86138123456789", CodeInvalidLength},
		{"second digit 2", "12812345678", CodeInvalidFormat},
		{"second digit 0", "10812345678", CodeInvalidFormat},
		{"starts with 2", "23812345678", CodeInvalidFormat},
		{"letter", "1381234567a", CodeInvalidFormat},
		{"other country code", "+85291234567", CodeInvalidFormat},
		{"brackets", "(138)12345678", CodeInvalidFormat},
		{"plus in the middle", "138+12345678", CodeInvalidFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Mobile(tt.in)
			if code := codeOf(t, err); code != tt.code {
				t.Fatalf("Mobile(%q) code = %q (err %v), want %q", tt.in, code, err, tt.code)
			}
			if got != "" {
				t.Errorf("Mobile(%q) = %q, want empty on error", tt.in, got)
			}
		})
	}
}
