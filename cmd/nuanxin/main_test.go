package main

import (
	"strings"
	"testing"
)

func TestRunDispatchesAndMapsExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"no command shows usage", nil, 2, "Usage:"},
		{"unknown command", []string{"deploy"}, 2, `unknown command "deploy"`},
		{"help", []string{"help"}, 0, ""},
		{"a command's help", []string{"token", "-h"}, 0, "Usage: nuanxin token"},
		{"unknown flag", []string{"token", "--colour", "red"}, 2, "flag provided but not defined: -colour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stderr := runCLI(t, nil, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", code, tt.wantCode)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.wantStderr)
			}
		})
	}
}
