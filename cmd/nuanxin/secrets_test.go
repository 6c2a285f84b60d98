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
	if _, err := pii.NewMobileMatchFromBase64(first.Match); err != nil {
		t.Fatalf("created mobile match key is unusable: %v", err)
	}
	if want := "PII_ENC_KEY=" + first.Enc + "\nPII_HASH_KEY=" + first.Hash + "\nMOBILE_MATCH_KEY=" + first.Match + "\n"; string(b) != want {
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

func TestPIIKeys_anEarlierFileGainsAMobileMatchKeyAndKeepsItsOwn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pii.env")
	old := "PII_ENC_KEY=" + strings.Repeat("A", 43) + "=\nPII_HASH_KEY=" + strings.Repeat("B", 43) + "=\n"
	if err := os.WriteFile(path, []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	keys, err := loadOrCreatePIIKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if keys.Enc != strings.Repeat("A", 43)+"=" || keys.Hash != strings.Repeat("B", 43)+"=" || keys.Match == "" {
		t.Fatalf("keys %+v: want the file's two and a new match key", keys)
	}
	again, err := loadOrCreatePIIKeys(path)
	if err != nil || again != keys {
		t.Errorf("second load gave %+v, %v; want the same keys", again, err)
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
