// Package clientip finds who sent a request: the peer's address, or —
// when the peer is a proxy the deployment trusts (an ingress, the web
// service in front of identity) — the address that proxy saw, from
// X-Forwarded-For. Rate limits and audit records count by it.
package clientip

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Of is the address r came from: its peer's, or when the peer is in
// trusted, the last address in X-Forwarded-For that is not (each trusted
// proxy appends the address it saw; an address a client wrote itself
// stands further left and is never reached past an untrusted hop). The
// zero Addr when RemoteAddr is not an address (a test's pipe).
func Of(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	addr := peer.Addr().Unmap()
	if !contains(trusted, addr) {
		return addr
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		addr = a.Unmap()
		if !contains(trusted, addr) {
			break
		}
	}
	return addr
}

func contains(prefixes []netip.Prefix, a netip.Addr) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrusted reads a comma-separated list of CIDR prefixes
// ("10.0.0.0/8, 127.0.0.1/32"); "" is none.
func ParseTrusted(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, p := range strings.Split(list, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("trusted proxies: %w", err)
		}
		out = append(out, prefix.Masked())
	}
	return out, nil
}
