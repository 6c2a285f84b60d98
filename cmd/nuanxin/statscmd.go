package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// statsOverview is the stats service's overview (GET /v1/stats/overview),
// as much of it as the table shows.
type statsOverview struct {
	Scope   string `json:"scope"`
	Code    string `json:"code"`
	Name    string `json:"name"`
	At      string `json:"at"`
	Month   string `json:"month"`
	Figures []struct {
		Label   string   `json:"label"`
		Kind    string   `json:"kind"`
		Overlap bool     `json:"overlap"`
		Value   float64  `json:"value"`
		Month   *float64 `json:"month_change"`
		Total   *float64 `json:"total"`
		By      []struct {
			Key   string   `json:"key"`
			Label string   `json:"label"`
			Value float64  `json:"value"`
			Month *float64 `json:"month_change"`
			Total *float64 `json:"total"`
		} `json:"by"`
	} `json:"figures"`
	Shares []struct {
		Label string   `json:"label"`
		Month string   `json:"month"`
		Value *float64 `json:"value"`
	} `json:"shares"`
}

// statsState is the stats service's rebuild state (GET /v1/stats/rebuild).
type statsState struct {
	Generation int   `json:"generation"`
	Version    int   `json:"version"`
	Archived   int64 `json:"archived_events"`
	Applied    int64 `json:"applied_events"`
	Rebuilding bool  `json:"rebuilding"`
	Rebuilt    int64 `json:"rebuilt_events"`
}

// runStats prints the figures of an area as a table, or rebuilds them.
//
//	nuanxin stats [--scope street --code qishan] [--at 2026-11-30]
//	nuanxin stats rebuild [--wait=false]
func runStats(ctx context.Context, args []string, std stdio, signals <-chan os.Signal) error {
	rebuild := len(args) > 0 && args[0] == "rebuild"
	if rebuild {
		args = args[1:]
	}
	fs := flag.NewFlagSet("nuanxin stats", flag.ContinueOnError)
	var (
		base  = fs.String("stats", envOr("STATS_URL", "http://127.0.0.1:8085"), "stats service base URL")
		token = fs.String("token", os.Getenv("NUANXIN_TOKEN"), "bearer token (default $NUANXIN_TOKEN, else a dev district_admin token)")
		data  = fs.String("data", defaultDataDir(), "data directory holding the dev signing key")
		scope = fs.String("scope", "", "district, street or community (default: the token's own area)")
		code  = fs.String("code", "", "the street's or community's code")
		at    = fs.String("at", "", "the date, YYYY-MM-DD (default today)")
		wait  = fs.Bool("wait", true, "rebuild: wait until the rebuilt figures are in place")
	)
	if err := parseFlags(fs, args, std.err); err != nil {
		return err
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
	if rebuild {
		return statsRebuild(ctx, api, *token, *wait, std)
	}
	q := url.Values{}
	for k, v := range map[string]string{"scope": *scope, "code": *code, "at": *at} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var o statsOverview
	if err := api.do(ctx, *token, "GET", "/v1/stats/overview?"+q.Encode(), nil, &o); err != nil {
		return err
	}
	printOverview(std.out, o)
	return nil
}

func statsRebuild(ctx context.Context, api *apiClient, token string, wait bool, std stdio) error {
	var st statsState
	if err := api.do(ctx, token, "POST", "/v1/stats/rebuild", nil, &st); err != nil {
		return err
	}
	for wait && st.Rebuilding {
		fmt.Fprintf(std.err, "\rrebuilding: %d of %d archived events", st.Rebuilt, st.Archived)
		select {
		case <-ctx.Done():
			fmt.Fprintln(std.err)
			return fmt.Errorf("stopped watching; the rebuild goes on in the stats service")
		case <-time.After(500 * time.Millisecond):
		}
		if err := api.do(ctx, token, "GET", "/v1/stats/rebuild", nil, &st); err != nil {
			return err
		}
	}
	if wait {
		fmt.Fprintln(std.err)
	}
	fmt.Fprintf(std.out, "figures: generation %d, version %d, %d of %d archived events applied", st.Generation, st.Version, st.Applied, st.Archived)
	if st.Rebuilding {
		fmt.Fprint(std.out, " (rebuilding)")
	}
	fmt.Fprintln(std.out)
	return nil
}

// printOverview writes the figures as a table: 指标, the value as of the
// date, and the month's change (a stock) or the total to date (a flow).
func printOverview(w io.Writer, o statsOverview) {
	title := o.Name
	if title == "" {
		title = o.Code
	}
	fmt.Fprintf(w, "%s（%s）截至 %s\n\n", title, o.Scope, o.At)
	rows := [][3]string{{"指标", "数值", "本月变化 / 累计"}}
	side := func(month, total *float64) string {
		switch {
		case month != nil:
			return signed(*month)
		case total != nil:
			return "累计 " + num(*total)
		}
		return ""
	}
	for _, f := range o.Figures {
		if f.Overlap { // the parts overlap: no total
			rows = append(rows, [3]string{f.Label, "", ""})
		} else {
			rows = append(rows, [3]string{f.Label, num(f.Value), side(f.Month, f.Total)})
		}
		for _, p := range f.By {
			rows = append(rows, [3]string{"    " + cmp.Or(p.Label, p.Key), num(p.Value), side(p.Month, p.Total)})
		}
	}
	for _, s := range o.Shares {
		v := "—"
		if s.Value != nil {
			v = strconv.FormatFloat(*s.Value*100, 'f', 1, 64) + "%"
		}
		rows = append(rows, [3]string{s.Label + "（" + s.Month + "）", v, ""})
	}
	var width [2]int
	for _, r := range rows {
		width[0], width[1] = max(width[0], displayWidth(r[0])), max(width[1], displayWidth(r[1]))
	}
	for _, r := range rows {
		line := pad(r[0], width[0]) + "  " + strings.Repeat(" ", width[1]-displayWidth(r[1])) + r[1] + "  " + r[2]
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func signed(v float64) string {
	if v > 0 {
		return "+" + num(v)
	}
	return num(v)
}

// displayWidth is how many terminal columns s takes: Chinese characters
// and full-width punctuation take two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 && (r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf || r >= 0xac00 && r <= 0xd7a3 ||
			r >= 0xf900 && r <= 0xfaff || r >= 0xfe30 && r <= 0xfe4f || r >= 0xff00 && r <= 0xff60 || r >= 0xffe0 && r <= 0xffe6) {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func pad(s string, width int) string { return s + strings.Repeat(" ", max(0, width-displayWidth(s))) }
