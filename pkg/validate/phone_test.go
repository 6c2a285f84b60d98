package validate

import "testing"

func TestPhone(t *testing.T) {
	tests := []struct {
		in, want, code string
	}{
		{"0535-6612345", "0535-6612345", ""},
		{"05356612345", "05356612345", ""},
		{" 0535 661 2345 ", "05356612345", ""},
		{"010-62345678", "010-62345678", ""},
		{"0535-6612345-801", "0535-6612345-801", ""},
		{"400-123-4567", "400-123-4567", ""},
		{"8001234567", "8001234567", ""},
		{"138 0013 8000", "13800138000", ""},
		{"+86 13800138000", "13800138000", ""},
		{"", "", CodeRequired},
		{"6612345", "", CodeInvalidFormat},      // no area code
		{"0535-0612345", "", CodeInvalidFormat}, // a local number never starts with 0 or 1
		{"0535-661234", "", CodeInvalidFormat},  // too short
		{"12345678901", "", CodeInvalidFormat},  // not a mobile prefix
		{"0535-6612345 转 801", "", CodeInvalidFormat},
		{"+1 415 555 0100", "", CodeInvalidFormat},
	}
	for _, tc := range tests {
		got, err := Phone(tc.in)
		code := ""
		if err != nil {
			code = err.(*ValueError).Code
		}
		if got != tc.want || code != tc.code {
			t.Errorf("Phone(%q) = %q, %q; want %q, %q", tc.in, got, code, tc.want, tc.code)
		}
	}
}
