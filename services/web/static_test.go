package web

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

// A script goes compressed to a browser that takes gzip, as itself to one
// that does not; an image is never compressed again.
func TestStatic_compressesTextAssetsForBrowsersThatTakeGzip(t *testing.T) {
	script := strings.Repeat("console.log('暖新');\n", 200)
	assets := fstest.MapFS{
		"index.html":          {Data: []byte("<!doctype html><html lang=\"zh-CN\"></html>")},
		"assets/index-abc.js": {Data: []byte(script)},
		"assets/logo-abc.png": {Data: []byte("\x89PNG....")},
	}
	h := static(assets, slog.New(slog.DiscardHandler))
	get := func(path, accept string) *http.Response {
		r := httptest.NewRequest("GET", path, nil)
		if accept != "" {
			r.Header.Set("Accept-Encoding", accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result()
	}
	cases := []struct {
		name, path, accept, wantEncoding, wantType string
	}{
		{"gzip taken", "/assets/index-abc.js", "gzip, deflate, br", "gzip", "text/javascript; charset=utf-8"},
		{"gzip refused", "/assets/index-abc.js", "gzip;q=0, br", "", "text/javascript; charset=utf-8"},
		{"no Accept-Encoding", "/assets/index-abc.js", "", "", "text/javascript; charset=utf-8"},
		{"an image", "/assets/logo-abc.png", "gzip", "", "image/png"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for range 2 { // the second answer comes from the cache
				res := get(c.path, c.accept)
				if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != c.wantEncoding || res.Header.Get("Content-Type") != c.wantType {
					t.Fatalf("%d encoding %q type %q", res.StatusCode, res.Header.Get("Content-Encoding"), res.Header.Get("Content-Type"))
				}
				body := res.Body
				if c.wantEncoding == "gzip" {
					zr, err := gzip.NewReader(res.Body)
					if err != nil {
						t.Fatal(err)
					}
					body = zr
				}
				got, _ := io.ReadAll(body)
				if c.path == "/assets/index-abc.js" && string(got) != script {
					t.Fatalf("the script came back as %d bytes, not itself", len(got))
				}
			}
		})
	}
	if v := get("/assets/index-abc.js", "gzip").Header.Get("Vary"); v != "Accept-Encoding" {
		t.Errorf("Vary = %q", v)
	}
}
