package main

import (
	"crypto/ed25519"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/nuanxin/nuanxin/pkg/auth"
)

const workerID = "0193a6c2-7f1e-7c3a-9b2d-5e4f3a2b1c0d"

func TestParseTokenArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    auth.Principal
		wantTTL time.Duration
		wantErr string // part of the message; "" means success
	}{
		{name: "district admin needs no scope", args: []string{"--role", "district_admin"},
			want: auth.Principal{Subject: "dev-district_admin", Role: auth.DistrictAdmin}, wantTTL: 24 * time.Hour},
		{name: "street admin with a street", args: []string{"--role", "street_admin", "--street", "qishan", "--ttl", "1h"},
			want: auth.Principal{Subject: "dev-street_admin", Role: auth.StreetAdmin, Street: "qishan"}, wantTTL: time.Hour},
		{name: "community staff with street and community", args: []string{"--role", "community_staff", "--street", "qishan", "--community", "tashan"},
			want: auth.Principal{Subject: "dev-community_staff", Role: auth.CommunityStaff, Street: "qishan", Community: "tashan"}, wantTTL: 24 * time.Hour},
		{name: "worker with an id and a chosen subject", args: []string{"--role", "worker", "--worker", workerID, "--sub", "wang"},
			want: auth.Principal{Subject: "wang", Role: auth.Worker, WorkerID: workerID}, wantTTL: 24 * time.Hour},
		{name: "worker may name their street", args: []string{"--role", "worker", "--worker", workerID, "--street", "qishan"},
			want: auth.Principal{Subject: "dev-worker", Role: auth.Worker, WorkerID: workerID, Street: "qishan"}, wantTTL: 24 * time.Hour},

		{name: "role is required", args: nil, wantErr: "--role is required"},
		{name: "unknown role is refused", args: []string{"--role", "mayor"}, wantErr: `unknown role "mayor"`},
		{name: "street admin without a street is refused", args: []string{"--role", "street_admin"}, wantErr: "needs a street"},
		{name: "community staff without a community is refused", args: []string{"--role", "community_staff", "--street", "qishan"}, wantErr: "needs a street and a community"},
		{name: "worker without an id is refused", args: []string{"--role", "worker"}, wantErr: "needs a worker_id"},
		{name: "district admin with a street is refused", args: []string{"--role", "district_admin", "--street", "qishan"}, wantErr: "drop --street"},
		{name: "street admin with a community is refused", args: []string{"--role", "street_admin", "--street", "qishan", "--community", "tashan"}, wantErr: "drop --community"},
		{name: "staff with a worker id is refused", args: []string{"--role", "community_staff", "--street", "qishan", "--community", "tashan", "--worker", workerID}, wantErr: "drop --worker"},
		{name: "street code must be a code", args: []string{"--role", "street_admin", "--street", "奇山"}, wantErr: "not a street code"},
		{name: "worker id must be a UUID", args: []string{"--role", "worker", "--worker", "42"}, wantErr: "not a worker id"},
		{name: "ttl must be positive", args: []string{"--role", "district_admin", "--ttl", "-1h"}, wantErr: "--ttl must be positive"},
		{name: "stray arguments are refused", args: []string{"--role", "district_admin", "extra"}, wantErr: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := parseTokenArgs(tt.args, io.Discard, "/data")
			if tt.wantErr != "" {
				var ee *exitError
				if !errors.As(err, &ee) || ee.code != 2 {
					t.Fatalf("err = %v, want a usage error (exit code 2)", err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %q, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if opts.principal != tt.want {
				t.Errorf("principal = %+v, want %+v", opts.principal, tt.want)
			}
			if opts.ttl != tt.wantTTL {
				t.Errorf("ttl = %s, want %s", opts.ttl, tt.wantTTL)
			}
			if opts.dataDir != "/data" {
				t.Errorf("data dir = %s, want the default /data", opts.dataDir)
			}
		})
	}
}

func TestTokenCommandPrintsAVerifiableToken(t *testing.T) {
	dir := t.TempDir()
	var out, errOut strings.Builder
	code := run(t.Context(), []string{"token", "--role", "street_admin", "--street", "qishan", "--data", dir}, stdio{out: &out, err: &errOut}, nil)
	if code != 0 {
		t.Fatalf("exit code %d, stderr: %s", code, errOut.String())
	}
	tok, ok := strings.CutSuffix(out.String(), "\n")
	if !ok || strings.Contains(tok, "\n") {
		t.Fatalf("stdout = %q, want the token and one newline", out.String())
	}
	key, err := auth.LoadOrCreateDevKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := auth.Verifier{Key: key.Public().(ed25519.PublicKey)}.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.Role != auth.StreetAdmin || p.Street != "qishan" {
		t.Errorf("principal = %+v", p)
	}
}

func TestTokenCommandSaysItDoesNotCheckTheStreet(t *testing.T) {
	for _, tc := range []struct {
		args []string
		note string // "" for none
	}{
		{[]string{"--role", "street_admin", "--street", "atlantis"}, "atlantis is not checked here"},
		{[]string{"--role", "community_staff", "--street", "qishan", "--community", "atlantis"}, "qishan/atlantis is not checked here"},
		{[]string{"--role", "district_admin"}, ""},
	} {
		var out, errOut strings.Builder
		code := run(t.Context(), append([]string{"token", "--data", t.TempDir()}, tc.args...), stdio{out: &out, err: &errOut}, nil)
		if code != 0 {
			t.Fatalf("%v: exit code %d, stderr: %s", tc.args, code, errOut.String())
		}
		if tc.note == "" && errOut.Len() != 0 || !strings.Contains(errOut.String(), tc.note) {
			t.Errorf("%v: stderr = %q, want %q", tc.args, errOut.String(), tc.note)
		}
	}
}

func TestTokenCommandRejectsBadRoleWithExitCode2(t *testing.T) {
	var out, errOut strings.Builder
	code := run(t.Context(), []string{"token", "--role", "mayor", "--data", t.TempDir()}, stdio{out: &out, err: &errOut}, nil)
	if code != 2 {
		t.Errorf("exit code = %d, want 2", code)
	}
	if out.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", out.String())
	}
	if !strings.Contains(errOut.String(), `unknown role "mayor"`) {
		t.Errorf("stderr = %q, want the reason", errOut.String())
	}
}
