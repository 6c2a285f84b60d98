package registry

import "testing"

// Every code of the registry's vocabularies has a Chinese label, and what
// a roster writes the import reads back.
func TestLabels_everyCodeHasALabelThatReadsBack(t *testing.T) {
	vocabs := map[string][]string{
		"occupation":       Occupations,
		"political_status": PoliticalStatuses,
		"enterprise_kind":  EnterpriseKinds,
		"status":           {StatusActive, StatusLeft},
		"gender":           {"male", "female"},
		"boolean":          {"true", "false"},
	}
	for vocab, codes := range vocabs {
		if len(labels[vocab]) != len(codes) {
			t.Errorf("%s: %d labels for %d codes", vocab, len(labels[vocab]), len(codes))
		}
		seen := map[string]bool{}
		for _, code := range codes {
			l := labelOf(vocab, code)
			if l == code {
				t.Errorf("%s %q has no label", vocab, code)
			}
			if seen[l] {
				t.Errorf("%s: label %q given twice", vocab, l)
			}
			seen[l] = true
			if got, ok := codeOf(vocab, l); !ok || got != code {
				t.Errorf("codeOf(%s, %q) = %q, %v; want %q", vocab, l, got, ok, code)
			}
			if got, ok := codeOf(vocab, code); !ok || got != code {
				t.Errorf("codeOf(%s, %q) = %q, %v; want the code itself", vocab, code, got, ok)
			}
		}
	}
}

func TestCodeOf_readsWhatClerksWrite(t *testing.T) {
	cases := []struct {
		vocab, in, want string
		ok              bool
	}{
		{"occupation", "外卖骑手", "food_delivery", true},
		{"occupation", " 快递员 ", "courier", true},
		{"occupation", "快递小哥", "courier", true},
		{"occupation", "COURIER", "courier", true},
		{"enterprise_kind", "驿站 (菜鸟驿站等)", "parcel_station", true},
		{"enterprise_kind", "驿站（菜鸟驿站等）", "parcel_station", true},
		{"enterprise_kind", "菜鸟驿站", "parcel_station", true},
		{"political_status", "党员", "party_member", true},
		{"political_status", "中共党员", "party_member", true},
		{"political_status", "积极分子", "activist", true},
		{"political_status", "团员", "league_member", true},
		{"status", "在册", "active", true},
		{"boolean", "是", "true", true},
		{"boolean", "否", "false", true},
		{"occupation", "飞行员", "", false},
		{"occupation", "", "", false},
		{"boolean", "", "", false},
		{"no_such_vocab", "是", "", false},
	}
	for _, tc := range cases {
		got, ok := codeOf(tc.vocab, tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("codeOf(%s, %q) = %q, %v; want %q, %v", tc.vocab, tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if got := labelOf("occupation", "astronaut"); got != "astronaut" {
		t.Errorf("labelOf an unknown code = %q, want the code", got)
	}
}

func TestExcelText_keepsCellsAsTextInExcel(t *testing.T) {
	cases := []struct{ in, want string }{
		{"370602199001011234", "\t370602199001011234"}, // would become 3.70602E+17
		{"37060219900101123X", "37060219900101123X"},
		{"13906381234", "13906381234"}, // 11 digits: Excel shows them whole
		{"139****1234", "139****1234"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+86", "'+86"},
		{"-", "'-"},
		{"@sum", "'@sum"},
		{"张三", "张三"},
		{"", ""},
	}
	for _, tc := range cases {
		if got := excelText(tc.in); got != tc.want {
			t.Errorf("excelText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestGenderOf_readsThe17thCharacter(t *testing.T) {
	cases := map[string]string{
		"110105194912310021": "female", // 2: even
		"11010519491231002X": "female",
		"110105194912310013": "male", // 1: odd
		"110105********0013": "male",
		"1101051949123100":   "",
		"":                   "",
	}
	for id, want := range cases {
		if got := genderOf(id); got != want {
			t.Errorf("genderOf(%q) = %q, want %q", id, got, want)
		}
	}
}
