package config_test

import (
	"strings"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/config"
)

func TestEnvBytes_readsSizesWithUnitsAndRefusesNonsense(t *testing.T) {
	tests := []struct {
		value   string
		want    int64
		wantErr string
	}{
		{"", 7, ""},
		{"1048576", 1 << 20, ""},
		{"10GiB", 10 << 30, ""},
		{"512 MiB", 512 << 20, ""},
		{"500MB", 500e6, ""},
		{"2TB", 2e12, ""},
		{"64KiB", 64 << 10, ""},
		{"0", 7, "is not a positive size"},
		{"-5GiB", 7, "is not a positive size"},
		{"1.5GiB", 7, "is not a positive size"},
		{"ten", 7, "is not a positive size"},
		{"9999999TiB", 7, "is too large"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			env := config.Env{Lookup: func(string) (string, bool) { return tt.value, true }}
			got := env.Bytes("NATS_STREAM_MAX_BYTES", 7)
			err := env.Err()
			if got != tt.want {
				t.Errorf("Bytes(%q) = %d, want %d", tt.value, got, tt.want)
			}
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "NATS_STREAM_MAX_BYTES")) {
				t.Errorf("Bytes(%q) error %v, want one naming the variable and saying %q", tt.value, err, tt.wantErr)
			}
		})
	}
}
