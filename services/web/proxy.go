package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"

	"github.com/nuanxin/nuanxin/pkg/fault"
	"github.com/nuanxin/nuanxin/pkg/httpx"
)

// target is where a proxied request goes and with which token.
type target struct {
	service string
	url     *url.URL
	token   string
}

type targetKey struct{}

// proxy sends /api/{service}/{rest...} to the service's /v1/{rest...},
// with the query, with the session's access token instead of the
// browser's cookie, streaming both bodies.
func (t transport) proxy(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("service")
	base := t.svc.cfg.Upstreams[name]
	if base == nil || !slices.Contains(ServiceNames(), name) {
		t.problem(w, r, fault.NotFoundf("no such service: %s", name))
		return
	}
	// The rest as the browser escaped it; a dot segment would climb out
	// of /v1/ once the service cleans the path.
	rest := strings.TrimPrefix(r.URL.EscapedPath(), "/api/"+name+"/")
	for _, seg := range strings.Split(r.PathValue("rest"), "/") {
		if seg == "." || seg == ".." {
			t.problem(w, r, fault.NotFoundf("no such endpoint: %s %s", r.Method, r.URL.Path))
			return
		}
	}
	u, err := url.Parse(strings.TrimSuffix(base.String(), "/") + "/v1/" + rest)
	if err != nil {
		t.problem(w, r, fault.NotFoundf("no such endpoint: %s %s", r.Method, r.URL.Path))
		return
	}
	u.RawQuery = r.URL.RawQuery
	limit := t.svc.cfg.MaxBody
	if r.ContentLength > limit {
		tooLarge(w, r, limit)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	token, err := t.svc.Access(r.Context(), sessionOf(r))
	if err != nil {
		if errors.Is(err, errNotSignedIn) {
			clearCookie(w)
		}
		t.problem(w, r, err)
		return
	}
	ctx := context.WithValue(r.Context(), targetKey{}, target{service: name, url: u, token: token})
	t.reverseProxy().ServeHTTP(privateImages{w}, r.WithContext(ctx))
}

// privateCache is the Cache-Control a service's answer keeps through the
// proxy, or "": only an image's (or a 304's, which confirms a kept one),
// and only one the browser keeps for itself ("private"). Everything else
// the API answers stays no-store. An item's photo is the case: its URL
// names its version, so the phone keeps it and a slow network does not
// bring it again on every visit.
func privateCache(res *http.Response) string {
	cc := res.Header.Get("Cache-Control")
	image := strings.HasPrefix(res.Header.Get("Content-Type"), "image/") || res.StatusCode == http.StatusNotModified
	if !image || !strings.HasPrefix(cc, "private") {
		return ""
	}
	return cc
}

// privateImages puts a kept Cache-Control (privateCache) in place of the
// no-store every /api answer starts with: the proxy adds the service's
// headers to those already set, so the kept one comes last.
type privateImages struct{ http.ResponseWriter }

func (p privateImages) WriteHeader(code int) {
	h := p.Header()
	if v := h.Values("Cache-Control"); len(v) > 1 {
		h.Set("Cache-Control", v[len(v)-1])
	}
	p.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the writer's Flush.
func (p privateImages) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// reverseProxy is the proxy of every request: what it sends is in the
// request's context (target).
func (t transport) reverseProxy() *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Transport: t.svc.proxy,
		Rewrite: func(pr *httputil.ProxyRequest) {
			tg := pr.In.Context().Value(targetKey{}).(target)
			pr.Out.URL = tg.url
			pr.Out.Host = ""
			// The browser's credentials stay here; the service gets the
			// user's token. (Rewrite has already dropped the browser's
			// X-Forwarded-* headers: the service hears of its peer only.)
			for _, h := range []string{"Cookie", "Authorization", "X-Csrf-Token", "Origin", "Referer"} {
				pr.Out.Header.Del(h)
			}
			pr.Out.Header.Set("Authorization", "Bearer "+tg.token)
			pr.Out.Header.Set("X-Request-Id", httpx.RequestID(pr.In.Context()))
			pr.SetXForwarded()
		},
		ModifyResponse: func(res *http.Response) error {
			// This service's own headers win; a service sets no cookies.
			keep := privateCache(res)
			for _, h := range []string{"Set-Cookie", "X-Request-Id", "Cache-Control", "Content-Security-Policy",
				"X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy"} {
				res.Header.Del(h)
			}
			if keep != "" {
				res.Header.Set("Cache-Control", keep)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			tg, _ := r.Context().Value(targetKey{}).(target)
			if r.Context().Err() != nil {
				return // the browser went away
			}
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				tooLarge(w, r, tooBig.Limit)
				return
			}
			t.problem(w, r, t.svc.unreachable(r.Context(), tg.service, err))
		},
	}
}
