package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// service is one of the system's services as the dev stack runs it.
type service struct {
	Name    string   // names the binary and the log file
	Package string   // Go package of its main, relative to the repository root
	Addr    string   // HTTP listen address, host:port
	Env     []string // extra KEY=value settings beyond the common ones
	// Signs tokens: is given the dev key's private half
	// (AUTH_PRIVATE_KEY_FILE), which no other service reads.
	Signs bool
}

// devServices lists the services `nuanxin dev` builds and runs, in start
// order. A new service is one more line here.
func devServices() []service {
	return []service{
		{Name: "registry", Package: "./services/registry/cmd/registry", Addr: "127.0.0.1:8081"},
		{Name: "activity", Package: "./services/activity/cmd/activity", Addr: "127.0.0.1:8082"},
		{Name: "points", Package: "./services/points/cmd/points", Addr: "127.0.0.1:8083"},
		// Webhooks to 127.0.0.1 are how one tries them locally; never in production.
		{Name: "notification", Package: "./services/notification/cmd/notification", Addr: "127.0.0.1:8084",
			Env: []string{"NOTIFICATION_WEBHOOK_ALLOW_PRIVATE=true"}},
		// It reads the other four's streams from their start.
		{Name: "stats", Package: "./services/stats/cmd/stats", Addr: "127.0.0.1:8085"},
		// Sign-in; the first district admin is made with a dev password,
		// to be changed at the first sign-in (printed by `nuanxin dev`).
		{Name: "identity", Package: "./services/identity/cmd/identity", Addr: "127.0.0.1:8086", Signs: true,
			Env: []string{"IDENTITY_BOOTSTRAP_ADMIN=" + devDistrictAdmin, "IDENTITY_BOOTSTRAP_PASSWORD=" + devDistrictPassword,
				// Riders' one-time codes are printed to the identity log.
				"IDENTITY_SMS_PROVIDER=log",
				// The web service signs riders in from this machine: their
				// address is the X-Forwarded-For it sends.
				"IDENTITY_TRUSTED_PROXIES=127.0.0.1/32"}},
		// The console and the riders' pages, and their way to the services
		// (the services' URLs and its session key: serviceEnv).
		{Name: "web", Package: "./services/web/cmd/web", Addr: "127.0.0.1:8080",
			Env: []string{"WEB_ORIGIN=http://127.0.0.1:8080"}},
	}
}

// URL is the service's base URL.
func (s service) URL() string { return "http://" + s.Addr }

// stackInfo is what every service is told about the stack it runs in.
type stackInfo struct {
	DatabaseURL    string
	NATSURL        string
	PublicKeyFile  string // PEM public key that checks bearer tokens
	PrivateKeyFile string // its private half, for the service that signs
	PII            piiKeys
}

// serviceEnv is the environment a service runs with, on top of ours.
func serviceEnv(svc service, st stackInfo) []string {
	env := []string{
		"DATABASE_URL=" + st.DatabaseURL,
		"NATS_URL=" + st.NATSURL,
		"HTTP_ADDR=" + svc.Addr,
		"AUTH_PUBLIC_KEY_FILE=" + st.PublicKeyFile,
		// An AUTH_PUBLIC_KEY in the developer's shell would win over the
		// file and reject every dev token; empty means unset.
		"AUTH_PUBLIC_KEY=",
		"PII_ENC_KEY=" + st.PII.Enc,
		"PII_HASH_KEY=" + st.PII.Hash,
		// Read by the registry and identity only: the match of a worker's
		// mobile that signs a rider in.
		"MOBILE_MATCH_KEY=" + st.PII.Match,
		"LOG_LEVEL=info",
		// All four services share the embedded server, whose store is
		// bounded by the free disk, and JetStream reserves each stream's
		// byte limit: the production defaults (16.5 GiB) would not fit
		// every laptop, and demo data needs a few megabytes.
		"NATS_STREAM_MAX_BYTES=256MiB",
		"NATS_DEADLETTER_MAX_BYTES=64MiB",
	}
	if svc.Signs {
		env = append(env, "AUTH_PRIVATE_KEY_FILE="+st.PrivateKeyFile)
	} else {
		// The identity service's published keys, beside the dev key
		// (which is also the one identity signs with here).
		env = append(env, "AUTH_JWKS_URL="+devServiceURL("identity")+"/.well-known/jwks.json")
	}
	if svc.Name == "web" {
		env = append(env, webEnv(st)...)
	}
	return append(env, svc.Env...)
}

// webEnv is what the web service needs besides: every other service's
// URL, and the key that seals the tokens its sessions hold. That key is
// derived from the dev stack's PII hashing key (HMAC-SHA256 under a label
// of its own), so it lives as long as the key file and needs no line of
// its own there; production gives WEB_SESSION_KEY its own random value.
func webEnv(st stackInfo) []string {
	var env []string
	for _, other := range devServices() {
		if other.Name != "web" {
			env = append(env, strings.ToUpper(other.Name)+"_URL="+other.URL())
		}
	}
	mac := hmac.New(sha256.New, []byte(st.PII.Hash))
	mac.Write([]byte("nuanxin dev WEB_SESSION_KEY"))
	return append(env, "WEB_SESSION_KEY="+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

// The dev district admin the identity service is bootstrapped with.
const (
	devDistrictAdmin    = "district.admin"
	devDistrictPassword = "nuanxin-dev-district"
)

// buildService compiles svc's binary into binDir, from the repository root
// so that go.work resolves the modules. Compiler output ends up in the error.
func buildService(ctx context.Context, root, binDir string, svc service) (string, error) {
	bin := filepath.Join(binDir, svc.Name)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, svc.Package)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build %s (go build -o %s %s): %w\n%s", svc.Name, bin, svc.Package, err, bytes.TrimSpace(out))
	}
	return bin, nil
}

// process is a running service.
type process struct {
	svc      service
	cmd      *exec.Cmd
	logPath  string
	logStart int64 // size of the log when this run started, so tails show only this run

	exited  chan struct{} // closed when the process has ended
	waitErr error         // how it ended; read only after exited is closed
}

// startService runs bin as its own process group, with env added to ours and
// its output appended to logPath. The process's end is reported on exited
// (which needs room for it, so the reporting goroutine never blocks).
func startService(svc service, bin, dir string, env []string, logPath string, exited chan<- *process) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: open log: %w", svc.Name, err)
	}
	defer logFile.Close() // the child has its own descriptor
	var logStart int64
	if fi, err := logFile.Stat(); err == nil {
		logStart = fi.Size()
	}

	cmd := exec.Command(bin)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own process group: Ctrl-C in the terminal reaches only us, and
		// we stop the services in order.
		Setpgid: true,
		// Should we die without stopping it, it is told to stop.
		Pdeathsig: syscall.SIGTERM,
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", svc.Name, err)
	}
	p := &process{svc: svc, cmd: cmd, logPath: logPath, logStart: logStart, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
		exited <- p
	}()
	return p, nil
}

// waitReady polls the service's /readyz until it answers 200, the process
// exits, or timeout passes.
func waitReady(ctx context.Context, p *process, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	url := p.svc.URL() + "/readyz"
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("wait for %s: %w", p.svc.Name, err)
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited while starting (%v)", p.svc.Name, p.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s: GET %s: %s", p.svc.Name, timeout, url, last)
		case <-tick.C:
		}
	}
}

// stopServices asks every process to stop (SIGTERM to its group), waits up
// to grace for all of them and kills the rest.
func stopServices(procs []*process, grace time.Duration) error {
	for _, p := range procs {
		// ESRCH: it has exited already, which the loop below notices.
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	expired := false
	var errs []error
	for _, p := range procs {
		if !expired {
			select {
			case <-p.exited:
				continue
			case <-timer.C:
				expired = true
			}
		}
		select {
		case <-p.exited: // made it just in time
		default:
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.exited
			errs = append(errs, fmt.Errorf("%s did not stop within %s; killed it", p.svc.Name, grace))
		}
	}
	return errors.Join(errs...)
}

// logTail returns the last n lines written to path from offset on.
func logTail(path string, offset int64, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	if offset > 0 && offset <= int64(len(b)) {
		b = b[offset:]
	}
	return lastLines(string(b), n)
}

// lastLines returns the last n lines of s, without a trailing newline.
func lastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
