package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// Behind the ingress (WEB_TRUSTED_PROXIES), identity is told the browser's
// address, not the ingress's: else every clerk of the district would share
// one address's sign-in limits. Without it, a forwarded header is not
// believed.
func TestClientIP_isTheBrowsersBehindATrustedIngress(t *testing.T) {
	ingress := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, c := range []struct {
		name    string
		trusted []netip.Prefix
		peer    string
		want    string
	}{
		{"no proxy configured", nil, "10.2.3.4:5000", "10.2.3.4"},
		{"behind the ingress", ingress, "10.2.3.4:5000", "198.51.100.7"},
		{"a browser that forges the header", ingress, "203.0.113.9:5000", "203.0.113.9"},
	} {
		r := httptest.NewRequest("POST", "/api/session", nil)
		r.RemoteAddr = c.peer
		r.Header.Set("X-Forwarded-For", "198.51.100.7")
		got := transport{svc: &Service{cfg: Config{TrustedProxies: c.trusted}}}.clientIP(r)
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
