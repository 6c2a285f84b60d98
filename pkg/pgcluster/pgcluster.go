// Package pgcluster runs a private PostgreSQL cluster from the server
// binaries installed on the machine, so the developer stack and the tests get
// a real PostgreSQL without Docker.
//
// The cluster listens on 127.0.0.1 only, trusts every local connection and
// has one superuser, nuanxin, and one database, nuanxin.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// superuser is the role initdb creates; it is also the name of the
	// database Start creates for applications.
	superuser = "nuanxin"

	startTimeout = 30 * time.Second
	stopTimeout  = 30 * time.Second

	// maxSocketPath is the longest Unix-domain socket path Linux accepts
	// (sizeof(sun_path) - 1).
	maxSocketPath = 107
)

// Options configure Start.
type Options struct {
	// Dir is the data directory, e.g. ".data/pg". It is created and
	// initialised with initdb if it has no PG_VERSION file.
	Dir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// BinDir holds initdb and postgres. Default: $PG_BIN, else the highest
	// version under /usr/lib/postgresql/*/bin, else initdb's directory on $PATH.
	BinDir string
	// Fast trades durability for speed (fsync, synchronous_commit and
	// full_page_writes off). For tests only: a crash can corrupt the data.
	Fast bool
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
}

// Cluster is a running PostgreSQL server started by Start.
type Cluster struct {
	dir    string
	port   int
	logger *slog.Logger
	cmd    *exec.Cmd

	exited  chan struct{} // closed once the postmaster process has exited
	waitErr error         // result of cmd.Wait; read only after exited is closed

	mu      sync.Mutex // serialises Stop
	stopped bool
}

// Start initialises the data directory if needed and starts PostgreSQL on it,
// returning once the server accepts connections and the nuanxin database
// exists. The caller must call Stop.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if o.Dir == "" {
		return nil, errors.New("start postgres: Options.Dir is empty")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	bins, err := findBinaries(o.BinDir)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	acct, err := serverAccount()
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := prepareDir(dir, acct); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}

	_, err = os.Stat(filepath.Join(dir, "PG_VERSION"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		logger.Info("initialising PostgreSQL data directory", "dir", dir)
		if err := initdb(ctx, bins, dir, acct, o.Fast, logger); err != nil {
			return nil, fmt.Errorf("start postgres: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("start postgres: %w", err)
	}

	// A port picked by freePort can be taken by someone else before postgres
	// binds it (parallel test binaries do this), so retry a few times.
	for attempt := 1; ; attempt++ {
		port := o.Port
		if port == 0 {
			if port, err = freePort(); err != nil {
				return nil, fmt.Errorf("start postgres: %w", err)
			}
		}
		c, err := launch(ctx, bins, dir, port, acct, o.Fast, logger)
		if err == nil {
			logger.Info("PostgreSQL started", "dir", dir, "port", port)
			return c, nil
		}
		if o.Port != 0 || attempt == 3 || !errors.Is(err, errPortTaken) {
			return nil, fmt.Errorf("start postgres: %w", err)
		}
		logger.Warn("PostgreSQL port was taken, retrying with another", "port", port)
	}
}

// URL returns a connection URL for database on this cluster.
func (c *Cluster) URL(database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Port returns the TCP port the cluster listens on.
func (c *Cluster) Port() int { return c.port }

// Stop shuts the server down ("fast" mode: open transactions are rolled back
// and clients disconnected) and waits for it to exit. If ctx ends first, or
// after 30 seconds, the server's whole process group is killed. Calling Stop
// again does nothing.
func (c *Cluster) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	c.stopped = true

	select {
	case <-c.exited:
		c.logger.Warn("PostgreSQL had already exited", "dir", c.dir, "err", c.waitErr)
		return nil
	default:
	}

	// SIGINT is PostgreSQL's "fast shutdown" request.
	if err := c.cmd.Process.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop postgres: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, stopTimeout)
	defer cancel()
	select {
	case <-c.exited:
		c.logger.Info("PostgreSQL stopped", "dir", c.dir)
		return nil
	case <-ctx.Done():
		// Kill the group (postmaster and backends, thanks to Setpgid) so
		// that nothing is left running; the next Start recovers the data.
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		<-c.exited
		return fmt.Errorf("stop postgres: %w; killed it", ctx.Err())
	}
}

// prepareDir creates dir (mode 0700, as PostgreSQL demands), makes sure no
// live server uses it, removes a stale lock file, and hands it to acct.
func prepareDir(dir string, acct *account) error {
	if acct != nil {
		// Checked before creating anything, so a refused path leaves no trace.
		if err := checkTraversable(dir, acct); err != nil {
			return err
		}
	}
	// Parents must stay enterable by the server account, hence 0755.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("create parent of data directory: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create data directory: %w", err)
	}
	if err := checkLockFile(dir); err != nil {
		return err
	}
	if acct != nil {
		if err := chownTree(dir, acct); err != nil {
			return err
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("chmod data directory: %w", err)
	}
	return nil
}

// checkLockFile looks at postmaster.pid. If its process is alive, a cluster
// is running on dir and starting a second one would corrupt it. If it is
// dead (crash, kill -9, reboot), the file is stale and removed: postgres
// itself would refuse to start should its pid now belong to another process.
func checkLockFile(dir string) error {
	path := filepath.Join(dir, "postmaster.pid")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read lock file: %w", err)
	}
	firstLine, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(firstLine))
	if err == nil && pid > 0 && postmasterAlive(pid) {
		return fmt.Errorf("a PostgreSQL cluster is already running in %s (pid %d); stop it first", dir, pid)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove stale lock file: %w", err)
	}
	return nil
}

// postmasterAlive reports whether pid is a running postgres process.
func postmasterAlive(pid int) bool {
	// Signal 0 checks existence; EPERM means it exists but is not ours.
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	// The pid may since have been reused by an unrelated process.
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return true // cannot tell; assuming alive is the safe mistake
	}
	return strings.TrimSpace(string(comm)) == "postgres"
}

// initdb creates a new cluster in the (empty) dir.
func initdb(ctx context.Context, bins binaries, dir string, acct *account, fast bool, logger *slog.Logger) error {
	args := []string{"-D", dir, "-U", superuser, "--auth=trust", "-E", "UTF8"}
	if fast {
		args = append(args, "--no-sync")
	}
	var errs []error
	// C.UTF-8 sorts and classifies like C but understands UTF-8; minimal
	// systems may lack it, and plain C always exists.
	for _, locale := range []string{"C.UTF-8", "C"} {
		cmd := exec.CommandContext(ctx, bins.initdb, append(args, "--locale="+locale)...)
		cmd.Dir = dir // our own working directory may be unreadable to acct
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: acct.credential()}
		// On cancellation, interrupt rather than kill, so initdb removes
		// its half-made cluster instead of leaving one that looks complete.
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		cmd.WaitDelay = 10 * time.Second
		out, err := cmd.CombinedOutput()
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("initdb --locale=%s: %w\n%s", locale, err, bytes.TrimSpace(out)))
		if ctx.Err() != nil {
			break
		}
		logger.Warn("initdb failed", "locale", locale, "err", err)
	}
	return errors.Join(errs...)
}

// errPortTaken marks a start that failed because the port was in use.
var errPortTaken = errors.New("port already in use")

// launch starts postgres on dir and waits until it accepts connections.
func launch(ctx context.Context, bins binaries, dir string, port int, acct *account, fast bool, logger *slog.Logger) (*Cluster, error) {
	args := []string{
		"-D", dir,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + socketDir(dir, port),
		// Every service's pool may open db.DefaultMaxConns, and the test
		// suites share one cluster: more than the default 100.
		"-c", "max_connections=400",
	}
	if fast {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}

	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	// Remember where this run's output starts, for error messages.
	var logStart int64
	if fi, err := logFile.Stat(); err == nil {
		logStart = fi.Size()
	}

	cmd := exec.Command(bins.postgres, args...)
	cmd.Dir = dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group, so Ctrl-C in our terminal reaches only us
		// and we can shut postgres down cleanly.
		Setpgid: true,
		// If we die without calling Stop (panic, test timeout), ask postgres
		// for a fast shutdown rather than leave it running forever.
		Pdeathsig:  syscall.SIGINT,
		Credential: acct.credential(),
	}
	err = cmd.Start()
	logFile.Close() // postgres has its own copy of the descriptor
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", bins.postgres, err)
	}

	c := &Cluster{dir: dir, port: port, logger: logger, cmd: cmd, exited: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		close(c.exited)
	}()

	if err := c.waitReady(ctx); err != nil {
		_ = c.Stop(context.Background())
		tail := logTail(logPath, logStart)
		if strings.Contains(tail, "could not create any TCP/IP sockets") {
			err = fmt.Errorf("%w: %w", errPortTaken, err)
		}
		return nil, fmt.Errorf("%w\n--- %s ---\n%s", err, logPath, tail)
	}
	if err := c.createDatabase(ctx); err != nil {
		_ = c.Stop(context.Background())
		return nil, err
	}
	return c, nil
}

// socketDir is where postgres puts its Unix socket: the data directory,
// unless that path is too long for a socket, in which case TCP must do.
func socketDir(dir string, port int) string {
	if len(dir)+len("/.s.PGSQL.")+len(strconv.Itoa(port)) > maxSocketPath {
		return ""
	}
	return dir
}

// waitReady polls until a connection succeeds, postgres exits, ctx ends or
// startTimeout passes.
func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		attemptCtx, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(attemptCtx, c.URL("postgres"))
		cancelAttempt()
		if err == nil {
			return conn.Close(ctx)
		}
		select {
		case <-c.exited:
			return fmt.Errorf("postgres exited during startup (%v)", c.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("postgres not ready: %w (last error: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// createDatabase creates the nuanxin database unless it exists already.
func (c *Cluster) createDatabase(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to create database: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", superuser).Scan(&exists)
	if err != nil {
		return fmt.Errorf("look for database %s: %w", superuser, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{superuser}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", superuser, err)
	}
	return nil
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the last lines written to the log at or after offset.
func logTail(path string, offset int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}
