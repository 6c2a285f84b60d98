package validate

import (
	"strings"
	"testing"
)

func TestText_trimsAndAcceptsWithinLimits(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		min, max int
		want     string
	}{
		{"ASCII name", "Li Lei", 1, 50, "Li Lei"},
		{"Chinese name counts runes not bytes", "欧阳娜娜", 1, 4, "欧阳娜娜"},
		{"surrounding white space trimmed", " \t张三\n ", 1, 2, "张三"},
		{"exactly min", "ab", 2, 5, "ab"},
		{"exactly max", "abcde", 2, 5, "abcde"},
		{"optional and empty", "", 0, 10, ""},
		{"optional and blank", "   ", 0, 10, ""},
		{"emoji is not a control character", "骑手🛵", 1, 10, "骑手🛵"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Text(tt.in, tt.min, tt.max)
			if err != nil {
				t.Fatalf("Text(%q, %d, %d) error: %v", tt.in, tt.min, tt.max, err)
			}
			if got != tt.want {
				t.Errorf("Text(%q, %d, %d) = %q, want %q", tt.in, tt.min, tt.max, got, tt.want)
			}
		})
	}
}

func TestText_rejectsInvalidText(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		min, max int
		code     string
	}{
		{"required and empty", "", 1, 50, CodeRequired},
		{"required and blank", " \n ", 1, 50, CodeRequired},
		{"too short", "a", 2, 50, CodeTooShort},
		{"too long", strings.Repeat("a", 51), 1, 50, CodeTooLong},
		{"too long in runes", "欧阳娜娜", 1, 3, CodeTooLong},
		{"inner newline", "Li\nLei", 1, 50, CodeInvalidFormat},
		{"inner tab", "Li\tLei", 1, 50, CodeInvalidFormat},
		{"NUL byte", "Li\x00Lei", 1, 50, CodeInvalidFormat},
		{"escape character", "Li\x1b[31mLei", 1, 50, CodeInvalidFormat},
		{"C1 control character", "Li\u0085Lei", 1, 50, CodeInvalidFormat},
		{"invalid UTF-8", "Li\xffLei", 1, 50, CodeInvalidFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Text(tt.in, tt.min, tt.max)
			if code := codeOf(t, err); code != tt.code {
				t.Fatalf("Text(%q, %d, %d) code = %q (err %v), want %q", tt.in, tt.min, tt.max, code, err, tt.code)
			}
			if got != "" {
				t.Errorf("Text(%q) = %q, want empty on error", tt.in, got)
			}
		})
	}
}

func TestOneOf_acceptsOnlyListedValues(t *testing.T) {
	allowed := []string{"rider", "courier", "driver"}
	tests := []struct {
		name, in, code string
	}{
		{"listed value", "courier", ""},
		{"empty", "", CodeRequired},
		{"unlisted value", "pilot", CodeUnknownValue},
		{"case matters", "Rider", CodeUnknownValue},
		{"no trimming", " rider", CodeUnknownValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OneOf(tt.in, allowed)
			if code := codeOf(t, err); code != tt.code {
				t.Fatalf("OneOf(%q) code = %q (err %v), want %q", tt.in, code, err, tt.code)
			}
			if tt.code == "" && got != tt.in {
				t.Errorf("OneOf(%q) = %q, want %q", tt.in, got, tt.in)
			}
		})
	}
}

func TestOneOf_messageListsAllowedValues(t *testing.T) {
	_, err := OneOf("pilot", []string{"rider", "courier"})
	if want := "value must be one of: rider, courier"; err == nil || err.Error() != want {
		t.Errorf("OneOf error = %v, want %q", err, want)
	}
}
