package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// importJob is the registry's view of an import (GET /v1/imports/{id}).
type importJob struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	TotalRows int    `json:"total_rows"`
	Processed int    `json:"processed"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Rejected  int    `json:"rejected"`
	ErrorZH   string `json:"error_zh"`
	ErrorEN   string `json:"error_en"`
}

type importRow struct {
	Row    int `json:"row"`
	Errors []struct {
		Column   string `json:"column"`
		ReasonZH string `json:"reason_zh"`
		ReasonEN string `json:"reason_en"`
	} `json:"errors"`
}

// runImport uploads a spreadsheet to the registry, shows the import's
// progress as it runs, and lists the rows it rejected.
//
//	nuanxin import workers 摸排表.xlsx [--registry URL] [--token TOKEN]
func runImport(ctx context.Context, args []string, std stdio, signals <-chan os.Signal) error {
	fs := flag.NewFlagSet("nuanxin import", flag.ContinueOnError)
	var (
		base  = fs.String("registry", envOr("REGISTRY_URL", "http://127.0.0.1:8081"), "registry base URL")
		token = fs.String("token", os.Getenv("NUANXIN_TOKEN"), "bearer token (default $NUANXIN_TOKEN, else a dev district_admin token)")
		data  = fs.String("data", defaultDataDir(), "data directory holding the dev signing key")
		show  = fs.Int("show", 20, "how many rejected rows to list at the end")
	)
	kind, file, rest, err := importArgs(args)
	if err != nil {
		return err
	}
	if err := parseFlags(fs, rest, std.err); err != nil {
		return err
	}
	content, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	if *token == "" {
		var err error
		if *token, err = devDistrictToken(*data); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer cancelOnSignal(signals, cancel)()

	api := newAPIClient(*base)
	var job importJob
	path := "/v1/imports/" + kind + "?filename=" + url.QueryEscape(filepath.Base(file))
	if err := api.do(ctx, *token, "POST", path, rawBody{"application/octet-stream", content}, &job); err != nil {
		return err
	}
	for job.Status != "done" && job.Status != "failed" {
		fmt.Fprint(std.err, "\r"+progressLine(job))
		select {
		case <-ctx.Done():
			fmt.Fprintln(std.err)
			return fmt.Errorf("stopped watching; the import %s goes on in the registry", job.ID)
		case <-time.After(500 * time.Millisecond):
		}
		if err := api.do(ctx, *token, "GET", "/v1/imports/"+job.ID, nil, &job); err != nil {
			return err
		}
	}
	fmt.Fprintln(std.err, "\r"+progressLine(job))
	return reportImport(ctx, api, *token, job, *show, std.out)
}

// importArgs takes the kind and file, which come before the flags.
func importArgs(args []string) (kind, file string, rest []string, err error) {
	if len(args) < 2 || strings.HasPrefix(args[0], "-") || strings.HasPrefix(args[1], "-") {
		return "", "", nil, usageErrorf("usage: nuanxin import workers|enterprises FILE [--registry URL] [--token TOKEN]")
	}
	if args[0] != "workers" && args[0] != "enterprises" {
		return "", "", nil, usageErrorf("import workers or enterprises, not %q", args[0])
	}
	return args[0], args[1], args[2:], nil
}

// progressLine draws the job's progress for a terminal, in the clerk's words.
func progressLine(j importJob) string {
	const width = 30
	done := 0
	if j.TotalRows > 0 {
		done = min(width, j.Processed*width/j.TotalRows)
	}
	return fmt.Sprintf("导入 [%s%s] %d/%d 行  新增 %d  更新 %d  未变 %d  拒绝 %d ",
		strings.Repeat("#", done), strings.Repeat(".", width-done), j.Processed, j.TotalRows,
		j.Created, j.Updated, j.Unchanged, j.Rejected)
}

func reportImport(ctx context.Context, api *apiClient, token string, job importJob, show int, out io.Writer) error {
	if job.Status == "failed" {
		return fmt.Errorf("导入失败：%s / import failed: %s (rows before the failure were kept)", job.ErrorZH, job.ErrorEN)
	}
	fmt.Fprintf(out, "import %s done: %d created, %d updated, %d unchanged, %d rejected\n",
		job.ID, job.Created, job.Updated, job.Unchanged, job.Rejected)
	if job.Rejected == 0 || show <= 0 {
		return nil
	}
	var page struct {
		Items []importRow `json:"items"`
	}
	if err := api.do(ctx, token, "GET", fmt.Sprintf("/v1/imports/%s/rows?status=rejected&limit=%d", job.ID, show), nil, &page); err != nil {
		return err
	}
	fmt.Fprintln(out, "rejected rows (行号 / 列 / 原因):")
	for _, r := range page.Items {
		for _, e := range r.Errors {
			fmt.Fprintf(out, "  %6d  %s  %s (%s)\n", r.Row, e.Column, e.ReasonZH, e.ReasonEN)
		}
	}
	if job.Rejected > len(page.Items) {
		fmt.Fprintf(out, "  … and %d more: GET /v1/imports/%s/rows?status=rejected\n", job.Rejected-len(page.Items), job.ID)
	}
	return nil
}
