package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/pii"
)

func TestPIIKeysAreCreatedOnceAndKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pii.env")
	first, err := loadOrCreatePIIKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pii.NewBoxFromBase64(first.Enc, first.Hash); err != nil {
		t.Fatalf("created keys are unusable: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	if want := "PII_ENC_KEY=" + first.Enc + "\nPII_HASH_KEY=" + first.Hash + "\n"; string(b) != want {
		t.Errorf("key file = %q, want %q", b, want)
	}

	again, err := loadOrCreatePIIKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Error("second load returned different keys; data encrypted before a restart would be lost")
	}
}

func TestPIIKeysFileProblemsAreReported(t *testing.T) {
	tests := []struct {
		name    string
		content string
		wantErr string
	}{
		{"a key missing", "PII_ENC_KEY=" + randomKey() + "\n", "need both"},
		{"not base64", "PII_ENC_KEY=???\nPII_HASH_KEY=" + randomKey() + "\n", "base64"},
		{"same key twice", "PII_ENC_KEY=" + strings.Repeat("A", 43) + "=" + "\nPII_HASH_KEY=" + strings.Repeat("A", 43) + "=" + "\n", "must be different"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "pii.env")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := loadOrCreatePIIKeys(path)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.wantErr)
			}
			if b, _ := os.ReadFile(path); string(b) != tt.content {
				t.Error("the bad file was changed; it must be left for the developer to look at")
			}
		})
	}
}
