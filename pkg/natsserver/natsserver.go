// Package natsserver runs an embedded NATS server with JetStream, so the
// developer stack and the tests need no nats-server binary.
package natsserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

const readyTimeout = 10 * time.Second

// Options configure Start.
type Options struct {
	// Host is the address to listen on; default 127.0.0.1.
	Host string
	// Port is the client port; 0 picks a random free port. Pass 4222
	// explicitly for the usual NATS port.
	Port int
	// StoreDir is where JetStream keeps its data (required).
	StoreDir string
	// Logger receives the server's notices, warnings and errors; nil
	// discards them. Debug and trace output is never produced.
	Logger *slog.Logger
	// UnsafeLazySync switches off fsync-before-ack and falls back to the
	// server's periodic sync. It exists only so a benchmark can show what
	// durability costs; never set it for a server the outbox relies on.
	UnsafeLazySync bool
}

// Start starts a NATS server with JetStream and waits until it accepts
// connections. Stop it with Shutdown (and WaitForShutdown if you need to
// know it is gone, e.g. before starting another on the same StoreDir).
func Start(o Options) (*server.Server, error) {
	if o.StoreDir == "" {
		return nil, errors.New("start nats: Options.StoreDir is empty")
	}
	host := o.Host
	if host == "" {
		host = "127.0.0.1"
	}
	port := o.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{
		Host:      host,
		Port:      port,
		JetStream: true,
		StoreDir:  o.StoreDir,
		// Fsync every write before acknowledging it. The default syncs
		// every 2 minutes, and Jepsen (2025) showed that loses acknowledged
		// messages when the machine crashes.
		SyncAlways: !o.UnsafeLazySync,
		// We are embedded: signals belong to the host program.
		NoSigs:                 true,
		DisableJetStreamBanner: true,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("start nats: %w", err)
	}
	logger := newLogAdapter(o.Logger)
	s.SetLoggerV2(logger, false, false, false)

	s.Start()
	// ReadyForConnections alone would wait the full timeout when the port is
	// taken, so also watch for the fatal error the server logs in that case.
	deadline := time.Now().Add(readyTimeout)
	for !s.ReadyForConnections(50 * time.Millisecond) {
		select {
		case msg := <-logger.fatal:
			s.Shutdown()
			return nil, fmt.Errorf("start nats on %s: %s", net.JoinHostPort(host, fmt.Sprint(o.Port)), msg)
		default:
		}
		if time.Now().After(deadline) {
			s.Shutdown()
			return nil, fmt.Errorf("start nats on %s: not ready for connections after %s", net.JoinHostPort(host, fmt.Sprint(o.Port)), readyTimeout)
		}
	}
	return s, nil
}

// URL returns the client URL of s, e.g. nats://127.0.0.1:4222. A server
// listening on all interfaces is reached through 127.0.0.1.
func URL(s *server.Server) string {
	u, err := url.Parse(s.ClientURL())
	if err != nil {
		return s.ClientURL()
	}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
		u.Host = net.JoinHostPort("127.0.0.1", u.Port())
	}
	return u.String()
}

// logAdapter passes the server's log calls to slog (server.Logger interface).
type logAdapter struct {
	log *slog.Logger
	// fatal receives the first Fatalf message, which Start reports as its
	// error. Fatalf does not exit the process: that is not a library's call.
	fatal chan string
}

func newLogAdapter(l *slog.Logger) *logAdapter {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &logAdapter{log: l.With("component", "nats"), fatal: make(chan string, 1)}
}

func (a *logAdapter) Noticef(format string, v ...any) { a.log.Info(fmt.Sprintf(format, v...)) }
func (a *logAdapter) Warnf(format string, v ...any)   { a.log.Warn(fmt.Sprintf(format, v...)) }
func (a *logAdapter) Errorf(format string, v ...any)  { a.log.Error(fmt.Sprintf(format, v...)) }
func (a *logAdapter) Debugf(string, ...any)           {}
func (a *logAdapter) Tracef(string, ...any)           {}

func (a *logAdapter) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	a.log.Error(msg)
	select {
	case a.fatal <- msg:
	default:
	}
}
