package outbox

import "sync/atomic"

// Bell lets a service's writers wake the relay running in the same process
// without a round trip to Postgres. Writer rings it after a commit while a
// relay of this process leads and listens; otherwise (another instance
// leads, or no relay runs here) the writer sends a NOTIFY instead, which
// any instance's relay hears. Share one Bell between a process's Writer and
// Relay (app.Runtime does).
type Bell struct {
	rung      chan struct{}
	listening atomic.Bool
}

// NewBell returns a bell no relay listens to yet.
func NewBell() *Bell { return &Bell{rung: make(chan struct{}, 1)} }

// ring wakes the relay if one of this process listens, and reports whether
// one did. Rings while the relay is busy coalesce into one.
func (b *Bell) ring() bool {
	if b == nil || !b.listening.Load() {
		return false
	}
	select {
	case b.rung <- struct{}{}:
	default:
	}
	return true
}

// listen marks whether this process's relay leads and waits for rings.
func (b *Bell) listen(on bool) {
	if b != nil {
		b.listening.Store(on)
	}
}

// rings is what a relay waits on; nil (never ready) without a bell.
func (b *Bell) rings() <-chan struct{} {
	if b == nil {
		return nil
	}
	return b.rung
}
