package web

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
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
	zipped := &gzipped{assets: assets}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name != "" && name != "index.html" {
			if info, err := fs.Stat(assets, name); err == nil && !info.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				} else {
					w.Header().Set("Cache-Control", "no-cache")
				}
				if zipped.serve(w, r, name) {
					return
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

// gzipped serves the UI's text files compressed to a browser that takes
// gzip: the console's scripts are a third of their size on the wire. Each
// file is compressed once, on its first request, and kept (the assets are
// embedded, so they never change while the process runs).
type gzipped struct {
	assets fs.FS
	cache  sync.Map // name → []byte
}

// compressible are the extensions worth compressing (images and fonts
// already are).
var compressible = map[string]bool{".js": true, ".css": true, ".html": true, ".svg": true, ".json": true, ".txt": true}

// serve answers r with name compressed, when the browser accepts gzip and
// the file is text; false leaves the answer to the caller.
func (g *gzipped) serve(w http.ResponseWriter, r *http.Request, name string) bool {
	ext := path.Ext(name)
	if !compressible[ext] {
		return false
	}
	w.Header().Add("Vary", "Accept-Encoding")
	if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
		return false
	}
	body, ok := g.cache.Load(name)
	if !ok {
		raw, err := fs.ReadFile(g.assets, name)
		if err != nil {
			return false
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(raw)
		_ = zw.Close()
		body, _ = g.cache.LoadOrStore(name, buf.Bytes())
	}
	w.Header().Set("Content-Encoding", "gzip")
	if t := mime.TypeByExtension(ext); t != "" {
		w.Header().Set("Content-Type", t)
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body.([]byte)))
	return true
}

// acceptsGzip reports whether an Accept-Encoding header takes gzip (and
// does not refuse it with q=0).
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
