package registry

import (
	"strings"
)

// Chinese labels of the registry's codes, as clerks write them in their
// spreadsheets. This is the one place they live: rosters write labelOf,
// the spreadsheet import reads codeOf, so an exported roster reads back.
//
// Vocabularies: "occupation", "political_status", "enterprise_kind",
// "status" (of a worker), "gender" (male/female, 男/女) and "boolean"
// (codes "true"/"false", 是/否).

// label is a code with its display label and the other spellings clerks
// use for it (accepted on reading, never written).
type label struct {
	code, label string
	aliases     []string
}

var labels = map[string][]label{
	"occupation": {
		{"food_delivery", "外卖骑手", []string{"外卖员", "骑手", "外卖配送员"}},
		{"courier", "快递员", []string{"快递小哥", "快递"}},
		{"ride_hailing_driver", "网约车司机", []string{"网约车"}},
		{"freight_driver", "货车司机", []string{"货运司机"}},
		{"designated_driver", "代驾司机", []string{"代驾"}},
		{"other", "其他", []string{"其它"}},
	},
	"political_status": {
		{"masses", "群众", nil},
		{"league_member", "共青团员", []string{"团员"}},
		{"applicant", "入党申请人", nil},
		{"activist", "入党积极分子", []string{"积极分子"}},
		{"development_target", "发展对象", nil},
		{"probationary_member", "预备党员", []string{"中共预备党员"}},
		{"party_member", "中共党员", []string{"党员", "正式党员"}},
		{"other_party", "民主党派", []string{"民主党派成员"}},
	},
	"enterprise_kind": {
		{"express_outlet", "快递末端网点", []string{"快递网点"}},
		{"parcel_station", "驿站（菜鸟驿站等）", []string{"驿站", "菜鸟驿站"}},
		{"logistics", "物流企业", []string{"物流公司"}},
		{"delivery_station", "外卖配送站", []string{"配送站", "外卖站点"}},
		{"ride_hailing", "网约车企业", []string{"网约车公司", "网约车平台"}},
		{"freight", "货运企业", []string{"货运公司"}},
		{"other", "其他", []string{"其它"}},
	},
	"status": {
		{StatusActive, "在册", nil},
		{StatusLeft, "已离开", []string{"离开", "已离册"}},
	},
	"gender": {
		{"male", "男", nil},
		{"female", "女", nil},
	},
	"boolean": {
		{"true", "是", []string{"Y", "yes", "1", "√"}},
		{"false", "否", []string{"N", "no", "0", "×"}},
	},
}

// labelOf returns the Chinese label of a code in a vocabulary, or the code
// itself when it has none (so an unexpected value still shows).
func labelOf(vocab, code string) string {
	for _, l := range labels[vocab] {
		if l.code == code {
			return l.label
		}
	}
	return code
}

// codeOf reads a value of a vocabulary as a clerk may have written it: the
// code, the Chinese label or one of its usual spellings, ignoring spaces,
// letter case and full-width brackets. ok is false for anything else.
func codeOf(vocab, labelOrCode string) (code string, ok bool) {
	want := normalLabel(labelOrCode)
	for _, l := range labels[vocab] {
		if want == normalLabel(l.code) || want == normalLabel(l.label) {
			return l.code, true
		}
		for _, a := range l.aliases {
			if want == normalLabel(a) {
				return l.code, true
			}
		}
	}
	return "", false
}

// yesNo is the label of a boolean: 是 or 否.
func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

var labelNormaliser = strings.NewReplacer("（", "(", "）", ")", " ", "", "\u3000", "", "\t", "")

func normalLabel(s string) string {
	return strings.ToLower(labelNormaliser.Replace(strings.TrimSpace(s)))
}
