package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// KeySet is the public keys tokens may be signed with, fetched from the
// identity service's JWKS (/.well-known/jwks.json) and kept by kid. A
// token of a kid the set does not hold makes it fetch the JWKS again (at
// most every MinRefresh), so a new key is accepted without a restart; the
// set is also fetched again once it is MaxAge old, so a key the identity
// service has retired stops being accepted within MaxAge.
type KeySet struct {
	URL string
	// Client fetches the JWKS; default: a 5-second timeout and a new
	// connection each time. (A kept-alive connection to an identity
	// instance that has since restarted fails the next fetch, and a new
	// key would then be refused until MinRefresh has passed.)
	Client     *http.Client
	MaxAge     time.Duration // default 5 minutes
	MinRefresh time.Duration // default 10 seconds

	mu      sync.Mutex
	static  bool // StaticKeys: never fetched
	keys    map[string]ed25519.PublicKey
	fetched time.Time // when keys were fetched
	tried   time.Time // the last fetch, successful or not
}

// Key returns the key of kid, fetching the JWKS when the set is stale or
// lacks it. found is false for a kid the identity service does not publish.
func (k *KeySet) Key(kid string) (ed25519.PublicKey, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now()
	maxAge, minRefresh := k.MaxAge, k.MinRefresh
	if maxAge <= 0 {
		maxAge = 5 * time.Minute
	}
	if minRefresh <= 0 {
		minRefresh = 10 * time.Second
	}
	key, ok := k.keys[kid]
	if k.static || ok && now.Sub(k.fetched) <= maxAge {
		return key, ok, nil
	}
	if now.Sub(k.tried) < minRefresh { // fetched a moment ago: not again
		return key, ok, nil
	}
	k.tried = now
	keys, err := k.fetch()
	if err != nil {
		// The identity service unreachable: the keys known stay good
		// until it answers again (a retired key with them; refusing every
		// token instead would sign the whole district out).
		return key, ok, err
	}
	k.keys, k.fetched = keys, now
	key, ok = keys[kid]
	return key, ok, nil
}

// StaticKeys is a KeySet of the keys given, never fetched: the identity
// service's own, which checks the tokens it is handed with the key it
// signs with and the ones it still publishes.
func StaticKeys(keys ...ed25519.PublicKey) *KeySet {
	k := &KeySet{static: true, keys: map[string]ed25519.PublicKey{}}
	for _, key := range keys {
		k.keys[KeyID(key)] = key
	}
	return k
}

func (k *KeySet) fetch() (map[string]ed25519.PublicKey, error) {
	client := k.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: %s answered %s", k.URL, resp.Status)
	}
	var set struct {
		Keys []JWK `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys := map[string]ed25519.PublicKey{}
	for _, j := range set.Keys {
		if j.Kty != "OKP" || j.Crv != "Ed25519" {
			continue
		}
		x, err := base64.RawURLEncoding.DecodeString(j.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			continue
		}
		key := ed25519.PublicKey(x)
		// A key is known by its thumbprint, whatever kid the set says.
		keys[KeyID(key)] = key
	}
	return keys, nil
}
