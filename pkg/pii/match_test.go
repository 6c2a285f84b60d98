package pii_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/pii"
)

func TestMobileMatch_dependsOnKeyAndNumberOnly(t *testing.T) {
	k1 := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("a", pii.KeySize)))
	k2 := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("b", pii.KeySize)))
	m1, err := pii.NewMobileMatchFromBase64(k1)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := pii.NewMobileMatchFromBase64(" " + k1 + "\n")
	m2, _ := pii.NewMobileMatchFromBase64(k2)
	a := m1.Of("13800138000")
	if len(a) != 64 || strings.Contains(a, "13800138000") {
		t.Errorf("match %q: want 64 hex digits, not the number", a)
	}
	if again.Of("13800138000") != a {
		t.Error("the same key and number gave two matches")
	}
	if m1.Of("13800138001") == a || m2.Of("13800138000") == a {
		t.Error("another number or another key gave the same match")
	}
	if s := fmt.Sprintf("%v %#v %s", m1, m1, m1); strings.Contains(s, k1) || strings.Contains(s, "aaaa") {
		t.Errorf("printing the match shows its key: %s", s)
	}
}

func TestNewMobileMatch_refusesBadKeys(t *testing.T) {
	for _, k := range []string{"", "not base64!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		if _, err := pii.NewMobileMatchFromBase64(k); err == nil {
			t.Errorf("key %q accepted", k)
		}
	}
}
