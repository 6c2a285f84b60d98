package web

import (
	"bytes"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/httpx"
)

// static serves the UI from assets: a file by its path, and for any other
// path the single-page app's index.html (the riders' m/index.html under
// /m/), whose router knows the page. Files under assets/ are named by
// their content's hash, so they are cached for a year; index.html is
// revalidated on every load, so a release is seen at once.
func static(assets fs.FS, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name != "" && name != "index.html" {
			if info, err := fs.Stat(assets, name); err == nil && !info.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				} else {
					w.Header().Set("Cache-Control", "no-cache")
				}
				http.ServeFileFS(w, r, assets, name)
				return
			}
			if strings.HasPrefix(name, "assets/") {
				// A missing script is an error, not a page.
				httpx.WriteProblem(w, r, httpx.ProblemFor(fault.NotFoundf("no such file: %s", r.URL.Path)))
				return
			}
		}
		index := "index.html"
		if name == "m" || strings.HasPrefix(name, "m/") {
			if _, err := fs.Stat(assets, "m/index.html"); err == nil {
				index = "m/index.html"
			}
		}
		page, err := fs.ReadFile(assets, index)
		if err != nil {
			log.ErrorContext(r.Context(), "the UI has no index.html", "err", err)
			httpx.WriteProblem(w, r, httpx.ProblemFor(err))
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeContent(w, r, index, time.Time{}, bytes.NewReader(page))
	})
}
