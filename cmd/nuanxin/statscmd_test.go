package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The table a clerk reads in the terminal: labels in Chinese, values
// aligned, a stock's month change and a flow's total beside them.
func TestStats_printsTheOverviewAsATable(t *testing.T) {
	var asked string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.URL.RequestURI()
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"scope":"street","code":"qishan","name":"奇山街道","at":"2026-11-30","month":"2026-11",
			"figures":[{"metric":"workers","label":"新就业群体","kind":"stock","value":95,"month_change":3},
			{"metric":"checkins_by_channel","label":"报到（按方式）","kind":"flow","dim":"channel","value":102,"total":140,
			 "by":[{"key":"online","label":"线上报到","value":102,"total":140}]}],
			"shares":[{"name":"x","label":"随手拍按期办结率","month":"2026-11","value":0.875}]}`))
	}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"stats", "--stats", srv.URL, "--token", "tok", "--scope", "street", "--code", "qishan",
		"--at", "2026-11-30"}, stdio{out: &out, err: &errOut}, nil)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(asked, "scope=street") || !strings.Contains(asked, "code=qishan") || !strings.Contains(asked, "at=2026-11-30") {
		t.Errorf("asked %s", asked)
	}
	got := out.String()
	for _, want := range []string{"奇山街道（street）截至 2026-11-30", "新就业群体", "95  +3", "报到（按方式）", "102  累计 140",
		"    线上报到", "随手拍按期办结率（2026-11）", "87.5%"} {
		if !strings.Contains(got, want) {
			t.Errorf("the table lacks %q:\n%s", want, got)
		}
	}
	// The value column lines up whatever the label's width in columns.
	endOf := func(value string) int {
		for _, l := range strings.Split(got, "\n") {
			if i := strings.Index(l, "  "+value+"  "); i >= 0 {
				return displayWidth(l[:i+2+len(value)])
			}
		}
		t.Fatalf("no row with the value %s:\n%s", value, got)
		return 0
	}
	if a, b := endOf("95"), endOf("102"); a != b {
		t.Errorf("values end at columns %d and %d:\n%s", a, b, got)
	}
}

// A problem from the service is the CLI's error, exit 1.
func TestStats_reportsTheServicesProblem(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(422)
		_, _ = w.Write([]byte(`{"title":"Invalid request","status":422,"errors":[{"field":"code","code":"unknown_value","message":"no such street"}]}`))
	}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"stats", "--stats", srv.URL, "--token", "tok", "--scope", "street", "--code", "nowhere"},
		stdio{out: &out, err: &errOut}, nil); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errOut.String(), "no such street") {
		t.Errorf("the error does not say what is wrong: %s", errOut.String())
	}
}
