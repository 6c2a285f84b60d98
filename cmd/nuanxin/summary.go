package main

import (
	"fmt"
	"io"
	"net/url"
)

// summary is what `nuanxin dev` tells the developer once everything runs.
type summary struct {
	NATS     endpoint
	Postgres endpoint
	Services []serviceSummary
	Seed     string // what happened to the demo data
	Tokens   []roleToken
	Logins   []staffLogin // staff sign-in on the identity service
	Rider    *riderLogin  // a rider's sign-in with a code, when the demo data has one
}

// riderLogin is how a developer signs in as a rider of the demo data: the
// identity service's dev SMS gateway prints the code to its log.
type riderLogin struct {
	Name, Mobile string
	CodeLog      string // the identity service's log
}

// endpoint is a server the stack uses and where it came from.
type endpoint struct {
	URL    string
	Origin string // e.g. "embedded, data in .data/nats" or "from NATS_URL"
}

type serviceSummary struct {
	Name, URL, LogPath string
}

// roleToken is a ready-made dev token for one role.
type roleToken struct {
	Role  string // e.g. "street_admin"
	Scope string // e.g. "street qishan"
	Token string
}

// printSummary writes the summary for a person to read and copy from.
func printSummary(w io.Writer, s summary) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }

	p("\nnuanxin dev is running. Press Ctrl-C to stop everything.\n\n")
	p("  %-10s %s  (%s)\n", "NATS", s.NATS.URL, s.NATS.Origin)
	p("  %-10s %s  (%s)\n", "Postgres", redactURL(s.Postgres.URL), s.Postgres.Origin)
	for _, svc := range s.Services {
		p("  %-10s %s  (metrics %s/metrics, health %s/healthz)\n", svc.Name, svc.URL, svc.URL, svc.URL)
		p("  %-10s log: %s\n", "", svc.LogPath)
	}
	p("\nDemo data: %s\n", s.Seed)

	p("\nDev tokens (valid 7 days; more with `go run ./cmd/nuanxin token --role ROLE ...`):\n")
	for _, t := range s.Tokens {
		p("  %s (%s):\n    %s\n", t.Role, t.Scope, t.Token)
	}
	if len(s.Logins) > 0 {
		p("\nStaff sign-in (POST %s/v1/sessions with username and password; the first time also new_password):\n",
			devServiceURL("identity"))
		for _, l := range s.Logins {
			note := ""
			if l.Note != "" {
				note = " (" + l.Note + ")"
			}
			p("  %-14s %-16s %-26s password %s%s\n", l.Username, l.Role, l.Scope, l.Password, note)
		}
	}
	if r := s.Rider; r != nil {
		identity := devServiceURL("identity")
		p("\nRider sign-in (%s's mobile; the SMS code is printed as \"DEV SMS\" in %s):\n", r.Name, r.CodeLog)
		p("  curl -s %s/v1/otp -H 'Content-Type: application/json' -d '{\"mobile\":\"%s\"}'\n", identity, r.Mobile)
		p("  curl -s %s/v1/sessions -H 'Content-Type: application/json' -d '{\"mobile\":\"%s\",\"code\":\"CODE\"}'\n", identity, r.Mobile)
		p("  A mobile the registry does not know answers an enrolment_token for the 报到 form (registry POST /v1/self-registrations).\n")
	}
	if len(s.Tokens) > 0 && len(s.Services) > 0 {
		p("\nTry:\n")
		p("  TOKEN=%s\n", s.Tokens[0].Token)
		p("  curl -s -H \"Authorization: Bearer $TOKEN\" '%s/v1/workers?limit=5'\n", s.Services[0].URL)
		p("  go run ./cmd/nuanxin stats --scope street --code qishan   # 奇山街道's figures\n")
	}
	p("\n")
}

// redactURL hides a password in a connection URL (one from DATABASE_URL
// may have one); anything unparsable is shown as it is.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}
