package outbox

// SetAfterPublish installs a hook that runs after a batch is acknowledged by
// JetStream and before its rows are deleted; an error stands for a crash.
func SetAfterPublish(r *Relay, f func() error) { r.afterPublish = f }
