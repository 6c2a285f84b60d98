package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/nuanxin/nuanxin/pkg/auth"
	"github.com/nuanxin/nuanxin/pkg/event"
)

// tokenOptions are the parsed flags of `nuanxin token`.
type tokenOptions struct {
	principal auth.Principal
	ttl       time.Duration
	dataDir   string
}

// runToken prints a development token signed with the dev key in the data
// directory (created on first use, like `nuanxin dev` does).
func runToken(args []string, std stdio) error {
	opts, err := parseTokenArgs(args, std.err, defaultDataDir())
	if err != nil {
		return err
	}
	key, err := auth.LoadOrCreateDevKey(opts.dataDir)
	if err != nil {
		return fmt.Errorf("load dev signing key: %w", err)
	}
	tok, err := auth.Issue(key, opts.principal, opts.ttl)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(std.out, tok); err != nil {
		return err
	}
	// The token is signed offline, without asking the registry: say so
	// (on stderr, so $(nuanxin token ...) keeps only the token), since a
	// mistyped code only shows as the services' 401.
	if p := opts.principal; p.Street != "" {
		place := p.Street
		if p.Community != "" {
			place += "/" + p.Community
		}
		fmt.Fprintf(std.err, "note: %s is not checked here; services refuse (401) a token for a street or community the registry has not created\n", place)
	}
	return nil
}

// parseTokenArgs reads the flags of `nuanxin token` and checks that the role
// gets exactly the scope it needs. Mistakes are usage errors (exit code 2).
func parseTokenArgs(args []string, stderr io.Writer, defaultData string) (tokenOptions, error) {
	flags := flag.NewFlagSet("nuanxin token", flag.ContinueOnError)
	var (
		role      = flags.String("role", "", "district_admin, street_admin, community_staff or worker (required)")
		street    = flags.String("street", "", "street office code: street_admin, community_staff (optional for worker)")
		community = flags.String("community", "", "community code: community_staff")
		worker    = flags.String("worker", "", "worker id (UUID): worker")
		sub       = flags.String("sub", "", `token subject, who holds it (default "dev-<role>")`)
		ttl       = flags.Duration("ttl", 24*time.Hour, "how long the token is valid")
		data      = flags.String("data", defaultData, "data directory holding the dev signing key")
	)
	flags.Usage = func() {
		fmt.Fprintln(flags.Output(), "Usage: nuanxin token --role ROLE [--street CODE] [--community CODE] [--worker ID] [--sub NAME] [--ttl 24h] [--data DIR]")
		flags.PrintDefaults()
	}
	if err := parseFlags(flags, args, stderr); err != nil {
		return tokenOptions{}, err
	}
	if flags.NArg() > 0 {
		return tokenOptions{}, usageErrorf("unexpected argument %q", flags.Arg(0))
	}
	p := auth.Principal{
		Subject: *sub, Role: auth.Role(*role), Street: *street, Community: *community, WorkerID: *worker,
	}
	if p.Subject == "" {
		p.Subject = "dev-" + *role
	}
	if err := checkTokenScope(p); err != nil {
		return tokenOptions{}, &exitError{code: 2, err: err}
	}
	if *ttl <= 0 {
		return tokenOptions{}, usageErrorf("--ttl must be positive, got %s", *ttl)
	}
	return tokenOptions{principal: p, ttl: *ttl, dataDir: *data}, nil
}

// checkTokenScope checks that p's role is known and that it has the scope
// flags its role needs and no others: a flag the role ignores is almost
// always a mistake (the wrong role), and silently dropping it would issue a
// token wider than intended.
func checkTokenScope(p auth.Principal) error {
	if p.Role == "" {
		return fmt.Errorf("--role is required: one of %s, %s, %s, %s", auth.DistrictAdmin, auth.StreetAdmin, auth.CommunityStaff, auth.Worker)
	}
	if !p.Role.Valid() {
		return fmt.Errorf("unknown role %q: use %s, %s, %s or %s", p.Role, auth.DistrictAdmin, auth.StreetAdmin, auth.CommunityStaff, auth.Worker)
	}
	// Which scope flags each role may carry.
	allowed := map[auth.Role]struct{ street, community, worker bool }{
		auth.DistrictAdmin:  {},
		auth.StreetAdmin:    {street: true},
		auth.CommunityStaff: {street: true, community: true},
		auth.Worker:         {street: true, worker: true},
	}[p.Role]
	switch {
	case p.Street != "" && !allowed.street:
		return fmt.Errorf("a %s token has no street: drop --street", p.Role)
	case p.Community != "" && !allowed.community:
		return fmt.Errorf("a %s token has no community: drop --community", p.Role)
	case p.WorkerID != "" && !allowed.worker:
		return fmt.Errorf("a %s token has no worker: drop --worker", p.Role)
	}
	if err := p.Check(); err != nil {
		return fmt.Errorf("%w (use --street, --community, --worker)", err)
	}
	if p.Street != "" && !event.ValidToken(p.Street) {
		return fmt.Errorf("--street %q is not a street code (lowercase letters, digits, '-' or '_')", p.Street)
	}
	if p.Community != "" && !event.ValidToken(p.Community) {
		return fmt.Errorf("--community %q is not a community code (lowercase letters, digits, '-' or '_')", p.Community)
	}
	if p.WorkerID != "" {
		if _, err := uuid.Parse(p.WorkerID); err != nil {
			return fmt.Errorf("--worker %q is not a worker id (a UUID)", p.WorkerID)
		}
	}
	return nil
}

// devDistrictToken is a district admin's token for an hour, signed with
// the dev key in data: what the CLI's API commands use without --token.
func devDistrictToken(data string) (string, error) {
	key, err := auth.LoadOrCreateDevKey(data)
	if err != nil {
		return "", fmt.Errorf("no --token and no dev key: %w", err)
	}
	return auth.Issue(key, auth.Principal{Subject: "nuanxin-cli", Role: auth.DistrictAdmin}, time.Hour)
}
