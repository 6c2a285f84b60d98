package main

import (
	"strings"
	"testing"
)

func TestSummaryShowsWhereEverythingIs(t *testing.T) {
	s := summary{
		NATS:     endpoint{URL: "nats://127.0.0.1:4222", Origin: "embedded"},
		Postgres: endpoint{URL: "postgres://app:secret@db:5432/nuanxin", Origin: "from DATABASE_URL"},
		Services: []serviceSummary{{Name: "registry", URL: "http://127.0.0.1:8081", LogPath: "/repo/.data/logs/registry.log"}},
		Seed:     "seeded just now",
		Tokens: []roleToken{
			{Role: "district_admin", Scope: "whole district", Token: "tok-district"},
			{Role: "worker", Scope: "王海涛", Token: "tok-worker"},
		},
		Rider: &riderLogin{Name: "王海涛", Mobile: "13953501201", CodeLog: "/repo/.data/logs/identity.log"},
	}
	var b strings.Builder
	printSummary(&b, s)
	out := b.String()
	for _, want := range []string{
		"nats://127.0.0.1:4222",
		"postgres://app:xxxxx@db:5432/nuanxin",
		"http://127.0.0.1:8081/metrics",
		"http://127.0.0.1:8081/healthz",
		"/repo/.data/logs/registry.log",
		"seeded just now",
		"district_admin (whole district):\n    tok-district",
		"worker (王海涛):\n    tok-worker",
		"TOKEN=tok-district",
		"curl -s -H \"Authorization: Bearer $TOKEN\" 'http://127.0.0.1:8081/v1/workers?limit=5'",
		"Rider sign-in (王海涛's mobile; the SMS code is printed as \"DEV SMS\" in /repo/.data/logs/identity.log)",
		`curl -s http://127.0.0.1:8086/v1/otp -H 'Content-Type: application/json' -d '{"mobile":"13953501201"}'`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret") {
		t.Errorf("summary shows the database password:\n%s", out)
	}
}
