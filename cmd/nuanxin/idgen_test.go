package main

import (
	"testing"

	"github.com/nuanxin/nuanxin/pkg/validate"
)

func TestResidentIDAppendsTheCheckCharacter(t *testing.T) {
	tests := []struct {
		name             string
		area, birth, seq string
		want             string
	}{
		{"standard's own example, check character X", "110105", "19491231", "002", "11010519491231002X"},
		{"Zhifu district", "370602", "19880314", "231", residentID("370602", "19880314", "231")},
		{"born this century", "370613", "20010827", "057", residentID("370613", "20010827", "057")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := residentID(tt.area, tt.birth, tt.seq)
			if got != tt.want {
				t.Errorf("residentID = %s, want %s", got, tt.want)
			}
			if _, err := validate.ResidentID(got); err != nil {
				t.Errorf("validate.ResidentID(%s): %v", got, err)
			}
		})
	}
}

func TestCreditCodeAppendsTheCheckCharacter(t *testing.T) {
	tests := []struct {
		name    string
		first17 string
		want    string
	}{
		// Published codes: the check character must come out as printed.
		{"check character a letter", "91350100M000100Y4", "91350100M000100Y43"},
		{"check character a digit", "91110000100004447", "911100001000044477"},
		{"check character B", "91110000802100433", "91110000802100433B"},
		{"check character L", "91310000775785552", "91310000775785552L"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := creditCode(tt.first17)
			if got != tt.want {
				t.Errorf("creditCode = %s, want %s", got, tt.want)
			}
			if _, err := validate.CreditCode(got); err != nil {
				t.Errorf("validate.CreditCode(%s): %v", got, err)
			}
		})
	}
}
