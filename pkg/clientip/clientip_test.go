package clientip_test

import (
	"net/http/httptest"
	"testing"

	"github.com/nuanxin/nuanxin/pkg/clientip"
)

// A request counts against its peer, or — behind a trusted proxy — the
// nearest address in X-Forwarded-For that is not a proxy; a client cannot
// name another address to dodge a limit.
func TestOf_believesOnlyTrustedProxies(t *testing.T) {
	trusted, err := clientip.ParseTrusted("10.0.0.0/8, ::1/128")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, peer, xff, want string
	}{
		{"no proxy", "203.0.113.5:4431", "", "203.0.113.5"},
		{"an untrusted peer's X-Forwarded-For is ignored", "203.0.113.5:4431", "198.51.100.9", "203.0.113.5"},
		{"behind the BFF", "10.1.2.3:5000", "198.51.100.9", "198.51.100.9"},
		{"a forged first hop stays forged", "10.1.2.3:5000", "1.2.3.4, 198.51.100.9", "198.51.100.9"},
		{"two proxies", "10.1.2.3:5000", "198.51.100.9, 10.9.9.9", "198.51.100.9"},
		{"garbage stops the walk at the proxy", "10.1.2.3:5000", "not-an-ip", "10.1.2.3"},
		{"IPv4 mapped in IPv6", "[::ffff:203.0.113.5]:443", "", "203.0.113.5"},
		{"an IPv6 proxy", "[::1]:443", "2001:db8:aa:bb::1", "2001:db8:aa:bb::1"},
		{"not an address", "pipe", "198.51.100.9", "invalid IP"},
	} {
		r := httptest.NewRequest("POST", "/v1/otp", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := clientip.Of(r, trusted).String(); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestParseTrusted_refusesWhatIsNotAPrefix(t *testing.T) {
	for _, c := range []struct {
		list string
		n    int
		ok   bool
	}{
		{"", 0, true},
		{" 10.0.0.0/8 ,, 127.0.0.1/32", 2, true},
		{"10.0.0.1/8", 1, true}, // masked to 10.0.0.0/8
		{"10.0.0.0", 0, false},
		{"localhost", 0, false},
	} {
		got, err := clientip.ParseTrusted(c.list)
		if (err == nil) != c.ok || len(got) != c.n {
			t.Errorf("%q: %v, %v", c.list, got, err)
		}
	}
}
