package consume

import "github.com/nats-io/nats.go/jetstream"

// SetBeforeAck installs a hook that runs after a transaction has committed
// and before its messages are acknowledged; an error stands for a crash.
func SetBeforeAck(r *Runner, f func(batch []jetstream.Msg) error) { r.beforeAck = f }
