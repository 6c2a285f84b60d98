package auth

import (
	"sync"
	"time"
)

// Verified remembers tokens that passed Verify, so the next request with
// the same token costs a map lookup instead of an Ed25519 verification —
// about a third of the CPU a worker's registration took. A token is a
// signed, immutable string: the same bytes verify the same way every time,
// so only its times can change the answer, and those are checked again on
// every use. It holds at most Max tokens; when full it forgets the
// expired ones, then some others (a client whose token was forgotten just
// pays one verification again). Safe for concurrent use.
type Verified struct {
	Max int // tokens remembered at most; default 4096

	mu     sync.Mutex
	tokens map[string]verified
}

type verified struct {
	p        Principal
	exp, nbf time.Time // nbf zero: none
	kid      string    // the key it was signed with, as its header named it
}

// usable reports whether a remembered token is still within its times at
// now, with Verify's Leeway either way.
func (v verified) usable(now time.Time) bool {
	return !now.After(v.exp.Add(Leeway)) && (v.nbf.IsZero() || !now.Before(v.nbf.Add(-Leeway)))
}

func (c *Verified) get(token string, now time.Time) (verified, bool) {
	if c == nil {
		return verified{}, false
	}
	c.mu.Lock()
	v, ok := c.tokens[token]
	c.mu.Unlock()
	if !ok || !v.usable(now) {
		return verified{}, false
	}
	return v, true
}

func (c *Verified) put(token string, v verified, now time.Time) {
	if c == nil {
		return
	}
	max := c.Max
	if max <= 0 {
		max = 4096
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tokens == nil {
		c.tokens = map[string]verified{}
	}
	if len(c.tokens) >= max {
		for t, old := range c.tokens {
			if !old.usable(now) {
				delete(c.tokens, t)
			}
		}
		// Still full: forget an eighth, whichever the map yields first.
		for t := range c.tokens {
			if len(c.tokens) < max-max/8 {
				break
			}
			delete(c.tokens, t)
		}
	}
	c.tokens[token] = v
}
