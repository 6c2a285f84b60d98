package pii

import "testing"

func TestMaskMobile_hidesMiddleDigits(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812345678", "138****5678"},
		{"", ""},
		{"1", "1"},
		{"12", "12"},
		{"123", "*23"},
		{"1381234567", "********67"},         // 10 characters
		{"+8613812345678", "************78"}, // not normalised
		{"一二三四五六七八九十一", "一二三****八九十一"}, // 11 runes, not bytes
	}
	for _, tt := range tests {
		if got := MaskMobile(tt.in); got != tt.want {
			t.Errorf("MaskMobile(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskIDNumber_hidesBirthDateAndSequence(t *testing.T) {
	tests := []struct{ in, want string }{
		{"11010519491231002X", "110105********002X"},
		{"510108198506153112", "510108********3112"},
		{"", ""},
		{"110105491231002", "*************02"}, // old 15-digit number
		{"11010519491231002", "***************02"},
	}
	for _, tt := range tests {
		if got := MaskIDNumber(tt.in); got != tt.want {
			t.Errorf("MaskIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMaskName_keepsFirstCharacterOnly(t *testing.T) {
	tests := []struct{ in, want string }{
		{"张三", "张*"},
		{"欧阳娜娜", "欧***"},
		{"王小明", "王**"},
		{"李", "*"},
		{"", ""},
		{"Li Lei", "L*****"},
		{"阿卜杜热合曼·买买提", "阿*********"},
	}
	for _, tt := range tests {
		if got := MaskName(tt.in); got != tt.want {
			t.Errorf("MaskName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
