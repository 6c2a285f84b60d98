package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/natsserver"
	"github.com/nuanxin/nuanxin/pkg/pgcluster"
)

const (
	devNATSPort     = 4222
	devPGPort       = 5433
	readyTimeout    = 60 * time.Second
	serviceGrace    = 10 * time.Second // between SIGTERM and SIGKILL
	logTailLines    = 30
	devTokenTTL     = 7 * 24 * time.Hour
	seededMarker    = "seeded" // file in the data directory once demo data is in
	piiKeysFile     = "pii.env"
	devTokenSubject = "nuanxin-dev"
)

// devOptions are the parsed flags of `nuanxin dev`.
type devOptions struct {
	root     string // repository root (holds go.work)
	dataDir  string // absolute
	seedsDir string // the news reports the demo data is drawn from
	pgPort   int
}

func parseDevArgs(args []string, std stdio) (devOptions, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return devOptions{}, fmt.Errorf("working directory: %w", err)
	}
	root, err := findRepoRoot(cwd)
	if err != nil {
		return devOptions{}, err
	}
	flags := flag.NewFlagSet("nuanxin dev", flag.ContinueOnError)
	data := flags.String("data", filepath.Join(root, ".data"), "data directory: Postgres and NATS data, keys, binaries, logs")
	seeds := flags.String("seeds", filepath.Join(root, "..", "shared", "seeds"), "directory of the news reports the demo data is drawn from")
	pgPort := flags.Int("pg-port", devPGPort, "port of the dev Postgres on 127.0.0.1 (unless DATABASE_URL is set)")
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), "Usage: nuanxin dev [--data DIR] [--seeds DIR] [--pg-port 5433]")
		fmt.Fprintln(flags.Output(), "Runs NATS, Postgres and the services in the foreground until Ctrl-C.")
		fmt.Fprintln(flags.Output(), "NATS_URL and DATABASE_URL, when set, are used instead of starting servers.")
		flags.PrintDefaults()
	}
	if err := parseFlags(flags, args, std.err); err != nil {
		return devOptions{}, err
	}
	if flags.NArg() > 0 {
		return devOptions{}, usageErrorf("unexpected argument %q", flags.Arg(0))
	}
	if *pgPort < 1 || *pgPort > 65535 {
		return devOptions{}, usageErrorf("--pg-port %d is not a port", *pgPort)
	}
	dataDir, err := filepath.Abs(*data)
	if err != nil {
		return devOptions{}, fmt.Errorf("data directory: %w", err)
	}
	return devOptions{root: root, dataDir: dataDir, seedsDir: filepath.Clean(*seeds), pgPort: *pgPort}, nil
}

// devStack is one run of `nuanxin dev`: what it started and how to stop it.
type devStack struct {
	opts  devOptions
	log   *slog.Logger
	std   stdio
	stops cleanups

	procs  []*process
	exited chan *process // a service process ended; room for all of them
}

// runDev starts the stack, prints where everything is and waits for Ctrl-C
// or a service dying; then it stops everything it started.
func runDev(ctx context.Context, args []string, std stdio, signals <-chan os.Signal) error {
	opts, err := parseDevArgs(args, std)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopWatching := cancelOnSignal(signals, cancel)
	defer stopWatching()

	d := &devStack{
		opts:   opts,
		log:    slog.New(slog.NewTextHandler(std.err, nil)),
		std:    std,
		exited: make(chan *process, len(devServices())),
	}
	err = d.run(ctx)
	if ctx.Err() != nil && err != nil {
		// Ctrl-C during start-up: a normal way to stop, not a failure.
		d.log.Info("interrupted during start-up", "err", err)
		err = nil
	}
	d.log.Info("stopping")
	if stopErr := d.stops.run(context.Background()); stopErr != nil {
		err = errors.Join(err, fmt.Errorf("stop: %w", stopErr))
	}
	fmt.Fprintln(std.out, "stopped")
	return err
}

// run starts everything, then blocks until ctx ends (nil) or a service
// exits (an error with its last log lines).
func (d *devStack) run(ctx context.Context) error {
	sum, err := d.start(ctx)
	if err != nil {
		return err
	}
	printSummary(d.std.out, sum)
	select {
	case <-ctx.Done():
		return nil
	case p := <-d.exited:
		return fmt.Errorf("%s exited unexpectedly (%v); stopping everything\n--- last lines of %s ---\n%s",
			p.svc.Name, p.waitErr, p.logPath, logTail(p.logPath, p.logStart, logTailLines))
	}
}

// start brings up NATS, Postgres and the services, seeds demo data on the
// first run, and returns the summary to print.
func (d *devStack) start(ctx context.Context) (summary, error) {
	var sum summary
	data := d.opts.dataDir
	for _, dir := range []string{data, filepath.Join(data, "bin"), filepath.Join(data, "logs")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return sum, fmt.Errorf("create data directory: %w", err)
		}
	}

	var err error
	if sum.NATS, err = d.startNATS(); err != nil {
		return sum, err
	}
	if sum.Postgres, err = d.startPostgres(ctx); err != nil {
		return sum, err
	}
	key, err := auth.LoadOrCreateDevKey(data)
	if err != nil {
		return sum, fmt.Errorf("dev signing key: %w", err)
	}
	keys, err := loadOrCreatePIIKeys(filepath.Join(data, piiKeysFile))
	if err != nil {
		return sum, err
	}
	st := stackInfo{
		DatabaseURL:    sum.Postgres.URL,
		NATSURL:        sum.NATS.URL,
		PublicKeyFile:  filepath.Join(data, auth.DevPublicKeyFile),
		PrivateKeyFile: filepath.Join(data, auth.DevPrivateKeyFile),
		PII:            keys,
	}

	if err := d.startServices(ctx, st, &sum); err != nil {
		return sum, err
	}

	registry := newAPIClient(devServices()[0].URL())
	clients := seedClients{Registry: registry, Points: newAPIClient(devServiceURL("points")), Activity: newAPIClient(devServiceURL("activity")),
		Notification: newAPIClient(devServiceURL("notification"))}
	if sum.Seed, err = d.seed(ctx, clients, key); err != nil {
		return sum, err
	}
	if sum.Tokens, err = devTokens(ctx, registry, key); err != nil {
		return sum, err
	}
	if sum.Logins, err = devAccounts(ctx, newAPIClient(devServiceURL("identity")), key); err != nil {
		return sum, err
	}
	if w := demo().Workers; len(w) > 0 {
		sum.Rider = &riderLogin{Name: w[0].Name, Mobile: w[0].Mobile, CodeLog: filepath.Join(d.opts.dataDir, "logs", "identity.log")}
	}
	return sum, nil
}

// startNATS uses NATS_URL if set, else runs an embedded server on
// 127.0.0.1:4222 with JetStream data under the data directory.
func (d *devStack) startNATS() (endpoint, error) {
	if u := os.Getenv("NATS_URL"); u != "" {
		return endpoint{URL: u, Origin: "from NATS_URL"}, nil
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(devNATSPort))
	if err := checkPortFree(addr); err != nil {
		return endpoint{}, fmt.Errorf("start NATS: %w; stop whatever uses it, or set NATS_URL to use that server", err)
	}
	dir := filepath.Join(d.opts.dataDir, "nats")
	// The server's notices would drown our own lines; warnings still show.
	quiet := slog.New(slog.NewTextHandler(d.std.err, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := natsserver.Start(natsserver.Options{Port: devNATSPort, StoreDir: dir, Logger: quiet})
	if err != nil {
		return endpoint{}, err
	}
	d.stops.add(func(context.Context) error {
		srv.Shutdown()
		srv.WaitForShutdown()
		d.log.Info("NATS stopped")
		return nil
	})
	d.log.Info("NATS started", "url", natsserver.URL(srv), "store", dir)
	return endpoint{URL: natsserver.URL(srv), Origin: "embedded, JetStream data in " + dir}, nil
}

// startPostgres uses DATABASE_URL if set, else runs a cluster under the data
// directory on a fixed port, so its URL stays the same across restarts.
func (d *devStack) startPostgres(ctx context.Context) (endpoint, error) {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return endpoint{URL: u, Origin: "from DATABASE_URL"}, nil
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(d.opts.pgPort))
	if err := checkPortFree(addr); err != nil {
		return endpoint{}, fmt.Errorf("start Postgres: %w; stop whatever uses it, pick another port with --pg-port, or set DATABASE_URL", err)
	}
	dir := filepath.Join(d.opts.dataDir, "pg")
	cluster, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Port: d.opts.pgPort, Logger: d.log})
	if err != nil {
		if errors.Is(err, pgcluster.ErrNoBinaries) {
			return endpoint{}, noBinariesError(err)
		}
		return endpoint{}, err
	}
	d.stops.add(cluster.Stop)
	return endpoint{URL: cluster.URL("nuanxin"), Origin: "data in " + dir + ", log in " + filepath.Join(dir, "postgres.log")}, nil
}

// startServices builds and starts every service and waits until each is
// ready, in order.
func (d *devStack) startServices(ctx context.Context, st stackInfo, sum *summary) error {
	// One stop for all services, so they share the grace period.
	d.stops.add(func(context.Context) error { return stopServices(d.procs, serviceGrace) })

	binDir := filepath.Join(d.opts.dataDir, "bin")
	for _, svc := range devServices() {
		if err := checkPortFree(svc.Addr); err != nil {
			return fmt.Errorf("start %s: %w (an old %s still running?)", svc.Name, err, svc.Name)
		}
		d.log.Info("building", "service", svc.Name, "package", svc.Package)
		bin, err := buildService(ctx, d.opts.root, binDir, svc)
		if err != nil {
			return err
		}
		logPath := filepath.Join(d.opts.dataDir, "logs", svc.Name+".log")
		p, err := startService(svc, bin, d.opts.root, serviceEnv(svc, st), logPath, d.exited)
		if err != nil {
			return err
		}
		d.procs = append(d.procs, p)
		d.log.Info("started, waiting until ready", "service", svc.Name, "url", svc.URL(), "log", logPath)
		if err := waitReady(ctx, p, readyTimeout); err != nil {
			return fmt.Errorf("%w\n--- last lines of %s ---\n%s", err, logPath, logTail(logPath, p.logStart, logTailLines))
		}
		sum.Services = append(sum.Services, serviceSummary{Name: svc.Name, URL: svc.URL(), LogPath: logPath})
	}
	return nil
}

// seededPointsMarker says the points supermarkets are in too: a data
// directory seeded before the points service existed gets only those.
const seededPointsMarker = "seeded-points"

// seed loads the demo data once: the marker files in the data directory say
// it is done. Delete the marker to seed again (existing rows are kept). A
// data directory seeded before the points service existed gets the points
// supermarkets alone.
func (d *devStack) seed(ctx context.Context, clients seedClients, key ed25519.PrivateKey) (string, error) {
	marker := filepath.Join(d.opts.dataDir, seededMarker)
	pointsMarker := filepath.Join(d.opts.dataDir, seededPointsMarker)
	source := ""
	if _, err := os.Stat(d.opts.seedsDir); err == nil {
		source = " (drawn from the reports in " + d.opts.seedsDir + ")"
	}
	seeded, err := fileExists(marker)
	if err != nil {
		return "", fmt.Errorf("seed marker: %w", err)
	}
	pointsSeeded, err := fileExists(pointsMarker)
	if err != nil {
		return "", fmt.Errorf("seed marker: %w", err)
	}
	if seeded && pointsSeeded {
		return "seeded on an earlier run" + source + "; delete " + marker + " to seed again", nil
	}
	data, markers := demo(), []string{marker, pointsMarker}
	if seeded {
		data, markers = demoData{Stores: data.Stores}, []string{pointsMarker}
		d.log.Info("seeding the points supermarkets through the points API")
	} else {
		d.log.Info("seeding demo data through the registry, points and activity APIs")
	}
	res, err := seedDemo(ctx, clients, key, data)
	if err != nil {
		return "", fmt.Errorf("seed demo data: %w", err)
	}
	note := fmt.Sprintf("%s: %s\n", time.Now().Format(time.RFC3339), res)
	for _, m := range markers {
		if err := os.WriteFile(m, []byte(note), 0o644); err != nil {
			return "", fmt.Errorf("write seed marker: %w", err)
		}
	}
	if seeded {
		return fmt.Sprintf("seeded on an earlier run%s; the %d points supermarkets with %d items added just now",
			source, res.Stores, res.Items), nil
	}
	return "seeded just now: " + res.String() + source, nil
}

// fileExists reports whether path exists.
func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// devServiceURL is the base URL of the dev service called name.
func devServiceURL(name string) string {
	for _, svc := range devServices() {
		if svc.Name == name {
			return svc.URL()
		}
	}
	panic("no dev service " + name)
}

// devTokens issues a token for each role: the whole district, street
// qishan, community tashan, and the first worker in the ledger.
func devTokens(ctx context.Context, registry *apiClient, key ed25519.PrivateKey) ([]roleToken, error) {
	principals := []struct {
		p     auth.Principal
		scope string
	}{
		{auth.Principal{Role: auth.DistrictAdmin}, "whole district"},
		{auth.Principal{Role: auth.StreetAdmin, Street: "qishan"}, "street qishan 奇山街道"},
		{auth.Principal{Role: auth.CommunityStaff, Street: "qishan", Community: "tashan"}, "street qishan, community tashan 塔山社区"},
	}
	var out []roleToken
	for _, pr := range principals {
		pr.p.Subject = devTokenSubject + "-" + string(pr.p.Role)
		tok, err := auth.Issue(key, pr.p, devTokenTTL)
		if err != nil {
			return nil, err
		}
		out = append(out, roleToken{Role: string(pr.p.Role), Scope: pr.scope, Token: tok})
	}

	// The worker token needs a real worker id.
	var page struct {
		Items []struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Street string `json:"street"`
		} `json:"items"`
	}
	if err := registry.do(ctx, out[0].Token, http.MethodGet, "/v1/workers?limit=1", nil, &page); err != nil {
		return nil, fmt.Errorf("look up a worker for the worker token: %w", err)
	}
	if len(page.Items) == 0 {
		return out, nil
	}
	w := page.Items[0]
	p := auth.Principal{Subject: devTokenSubject + "-worker", Role: auth.Worker, WorkerID: w.ID, Street: w.Street}
	tok, err := auth.Issue(key, p, devTokenTTL)
	if err != nil {
		return nil, err
	}
	return append(out, roleToken{Role: string(auth.Worker), Scope: w.Name + ", id " + w.ID, Token: tok}), nil
}

// checkPortFree reports, as a readable error, that addr is taken.
func checkPortFree(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err == nil {
		return l.Close()
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%s is already in use", addr)
	}
	return fmt.Errorf("check %s: %w", addr, err)
}
