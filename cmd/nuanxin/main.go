// Command nuanxin is the operator CLI of the nuanxin system: it runs the local
// development stack, provisions servers for the tests and issues dev tokens.
//
//	nuanxin dev   [--data DIR] [--seeds DIR] [--pg-port 5433]
//	nuanxin stack [--data DIR] -- COMMAND ARGS...
//	nuanxin token --role ROLE [--street CODE] [--community CODE] [--worker ID] [--sub NAME] [--ttl 24h] [--data DIR]
//	nuanxin events [--stream REGISTRY] [--last 10] [--subject FILTER] [--follow] [--nats URL]
//	nuanxin import workers|enterprises FILE [--registry URL] [--token TOKEN]
//	nuanxin stats [rebuild] [--scope district|street|community] [--code CODE] [--at DATE] [--stats URL] [--token TOKEN]
//
// Exit codes: 0 success, 1 failure, 2 bad usage; `stack` exits with its
// command's code.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `nuanxin is the operator CLI of the nuanxin system.

Usage:
  nuanxin dev   [--data DIR] [--seeds DIR] [--pg-port 5433]
        run NATS, Postgres and the services locally, seed demo data (make run)
  nuanxin stack [--data DIR] -- COMMAND ARGS...
        run COMMAND with a fresh Postgres and NATS, then remove them (make test)
  nuanxin token --role ROLE [--street CODE] [--community CODE] [--worker ID] [--sub NAME] [--ttl 24h] [--data DIR]
        print a development JWT
  nuanxin events [--stream REGISTRY] [--last 10] [--subject FILTER] [--follow] [--nats URL]
        print the newest events of a stream; with --follow, like tail -f, then new ones until Ctrl-C
  nuanxin import workers|enterprises FILE [--registry URL] [--token TOKEN]
        import a spreadsheet (XLSX or CSV) into the registry, with progress
  nuanxin stats [rebuild] [--scope district|street|community] [--code CODE] [--at DATE] [--stats URL] [--token TOKEN]
        print an area's figures as a table; "rebuild" rebuilds every figure from the archive

Run "nuanxin COMMAND -h" for a command's flags.
`

func main() {
	// SIGINT and SIGTERM are delivered here instead of killing the process,
	// so dev and stack can stop what they started (and stack can pass them
	// on to its command).
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)

	std := stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr}
	os.Exit(run(context.Background(), os.Args[1:], std, signals))
}

// stdio is where a command reads and writes, so tests can capture it.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// run dispatches to a subcommand and turns its result into an exit code.
func run(ctx context.Context, args []string, std stdio, signals <-chan os.Signal) int {
	if len(args) == 0 {
		fmt.Fprint(std.err, usage)
		return 2
	}
	name, rest := args[0], args[1:]
	var err error
	switch name {
	case "dev":
		err = runDev(ctx, rest, std, signals)
	case "stack":
		err = runStack(ctx, rest, std, signals)
	case "token":
		err = runToken(rest, std)
	case "events":
		err = runEvents(ctx, rest, std, signals)
	case "import":
		err = runImport(ctx, rest, std, signals)
	case "stats":
		err = runStats(ctx, rest, std, signals)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(std.out, usage)
		return 0
	default:
		fmt.Fprintf(std.err, "nuanxin: unknown command %q\n\n%s", name, usage)
		return 2
	}
	return exitCode(std.err, name, err)
}

// exitError is an error that asks for a particular exit code. Its err may be
// nil when there is nothing more to say (a flag error the flag package has
// already printed, or the exit code of stack's command).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit code %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a mistake in the command line (exit code 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// exitCode prints err (if it has a message) and returns the exit code it
// stands for: 0 for nil, the code of an *exitError, else 1.
func exitCode(stderr io.Writer, command string, err error) int {
	if err == nil {
		return 0
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	fmt.Fprintf(stderr, "nuanxin %s: %v\n", command, err)
	return code
}

// parseFlags parses args with fs, printing flag errors and help to stderr.
// It returns an *exitError with code 0 for -h and 2 for a bad flag.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return &exitError{code: 0}
	case err != nil:
		return &exitError{code: 2} // the flag package has printed the error and usage
	}
	return nil
}
