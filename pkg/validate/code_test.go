package validate

import (
	"errors"
	"strings"
	"testing"
)

func TestCode_acceptsThePinyinCodesOfTheStreetOffices(t *testing.T) {
	for _, s := range []string{"qishan", "tashan", "jianshelu", "s01", "street_01", "street-01", "0", strings.Repeat("a", 64)} {
		if got, err := Code(s); err != nil || got != s {
			t.Errorf("Code(%q) = %q, %v; want it unchanged", s, got, err)
		}
	}
}

func TestCode_refusesAnythingElseWithAFieldCode(t *testing.T) {
	tests := []struct {
		name, s, code string
	}{
		{"empty", "", CodeRequired},
		{"NUL byte", "\x00nul", CodeInvalidFormat},
		{"NUL inside", "qi\x00shan", CodeInvalidFormat},
		{"invalid UTF-8", "\xff\xfe", CodeInvalidFormat},
		{"upper case", "Qishan", CodeInvalidFormat},
		{"Chinese", "奇山", CodeInvalidFormat},
		{"leading space", " qishan", CodeInvalidFormat},
		{"subject wildcard", "qishan.>", CodeInvalidFormat},
		{"reserved leading underscore", "_district", CodeInvalidFormat},
		{"leading dash", "-s", CodeInvalidFormat},
		{"too long", strings.Repeat("a", 65), CodeInvalidFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Code(tc.s)
			var ve *ValueError
			if !errors.As(err, &ve) || ve.Code != tc.code {
				t.Fatalf("Code(%q) error = %v, want code %s", tc.s, err, tc.code)
			}
			if strings.Contains(ve.Message, tc.s) && tc.s != "" {
				t.Errorf("message %q echoes the value", ve.Message)
			}
		})
	}
}

func TestCollector_OptionalCodeLetsAnEmptyCodeBe(t *testing.T) {
	var c Collector
	if got := c.OptionalCode("community", ""); got != "" || c.Err() != nil {
		t.Fatalf("OptionalCode(\"\") = %q, %v", got, c.Err())
	}
	c.OptionalCode("community", "%00")
	if !c.Has("community") {
		t.Fatal("a malformed optional code was not recorded")
	}
}
