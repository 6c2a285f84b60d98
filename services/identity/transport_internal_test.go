package identity

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// The limits count a request against the client's address (the walk
// through trusted proxies is pkg/clientip's, tested there), an IPv6 one by
// its /64.
func TestClientAddr_believesOnlyTrustedProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	for _, c := range []struct {
		name, peer, xff, want string
	}{
		{"an IPv4 client as itself", "203.0.113.5:4431", "", "203.0.113.5"},
		{"behind the BFF", "10.1.2.3:5000", "198.51.100.9", "198.51.100.9"},
		{"IPv6 by its /64", "[2001:db8:1:2:3:4:5:6]:443", "", "2001:db8:1:2::/64"},
		{"an IPv6 client behind an IPv6 proxy", "[::1]:443", "2001:db8:aa:bb::1", "2001:db8:aa:bb::/64"},
		{"not an address", "pipe", "", "pipe"},
	} {
		r := httptest.NewRequest("POST", "/v1/otp", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := clientAddr(r, trusted); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}
