// Package cli implements the renkei command line: serve, migrate, and the administration
// commands. Every flag can also come from its RENKEI_* environment variable; errors name
// the bad flag or value and end with a non-zero exit status.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/config"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
)

// Version is set at build time with -ldflags "-X …/cli.Version=…".
var Version = "dev"

// env is what a command runs with.
type env struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

type command struct {
	name    string
	summary string
	run     func(e *env, args []string) error
}

// commands are the top-level commands; groups (org, user, …) dispatch again.
func commands() []command {
	return []command{
		{"serve", "run the web server, the API and background jobs", runServe},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"demo", "load the demo data set into an empty database", runDemo},
		{"org", "organizations: add, list, disable, enable", runGroup("org", orgCommands)},
		{"user", "people: add, list, disable, enable, link, reset-2fa", runGroup("user", userCommands)},
		{"token", "API tokens: create, list, revoke", runGroup("token", tokenCommands)},
		{"community", "communities: add, list, join, leave", runGroup("community", communityCommands)},
		{"audit", "the audit log: verify, list", runGroup("audit", auditCommands)},
		{"backup", "write a consistent copy of the SQLite database", runBackup},
		{"lookalikes", "print lookalike domains of DOMAIN... without resolving them", runLookalikes},
		{"version", "print the version", runVersion},
	}
}

func runVersion(e *env, args []string) error {
	fs := flags(e, "version", "")
	if err := parse(e, fs, args, nil); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "renkei", Version)
	return nil
}

// errUsage means the message was already printed with the usage.
var errUsage = errors.New("usage")

// Main runs the command line and returns the exit status.
func Main(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{ctx: ctx, stdout: stdout, stderr: stderr, getenv: getenv}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return exitCode(e, c.run(e, args[1:]))
		}
	}
	fmt.Fprintf(stderr, "renkei: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func exitCode(e *env, err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintln(e.stderr, "renkei:", message(err))
	return 1
}

// message renders service errors in English from the catalog, naming the field at fault.
func message(err error) string {
	var fe *fault.Error
	if !errors.As(err, &fe) {
		var es *fault.Errors
		if !errors.As(err, &es) {
			return err.Error()
		}
	}
	var parts []string
	for _, f := range fault.Fields(err) {
		msg := i18n.Format(model.LangEN, f.Key, f.Args)
		if f.Kind == fault.Internal && f.Err != nil {
			msg = f.Err.Error()
		}
		if f.Field != "" {
			msg = f.Field + ": " + msg
		}
		parts = append(parts, msg)
	}
	return strings.Join(parts, "; ")
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: renkei COMMAND [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'renkei COMMAND --help' for the flags of a command.")
	fmt.Fprintln(w, "Every flag can also be set with RENKEI_<FLAG> (for example RENKEI_DATABASE, RENKEI_LISTEN).")
}

// runGroup dispatches a command group such as "org add".
func runGroup(group string, subs func() []command) func(e *env, args []string) error {
	return func(e *env, args []string) error {
		list := subs()
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
			fmt.Fprintf(e.stderr, "Usage: renkei %s SUBCOMMAND [flags]\n\nSubcommands:\n", group)
			sort.Slice(list, func(i, j int) bool { return list[i].name < list[j].name })
			for _, c := range list {
				fmt.Fprintf(e.stderr, "  %-10s %s\n", c.name, c.summary)
			}
			if len(args) == 0 {
				return errUsage
			}
			return nil
		}
		for _, c := range list {
			if c.name == args[0] {
				return c.run(e, args[1:])
			}
		}
		fmt.Fprintf(e.stderr, "renkei %s: unknown subcommand %q (run 'renkei %s --help')\n", group, args[0], group)
		return errUsage
	}
}

// flags makes a flag set that reports errors without exiting.
func flags(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, strings.TrimSpace("Usage: renkei "+name+" "+synopsis))
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(e.stderr, "\nFlags (each also from RENKEI_<FLAG>):")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses flags, applies the environment and rejects stray arguments.
func parse(e *env, fs *flag.FlagSet, args []string, cfg *config.Config) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "renkei %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	if err := config.ApplyEnv(fs, e.getenv); err != nil {
		return err
	}
	if cfg != nil {
		return cfg.Validate()
	}
	return nil
}

// required checks that flags were given.
func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if f := fs.Lookup(n); f != nil && f.Value.String() == "" {
			return fmt.Errorf("--%s is required (see 'renkei %s --help')", n, fs.Name())
		}
	}
	return nil
}

// open opens the app for a command, logging only warnings.
func open(e *env, cfg config.Config) (*app.App, error) {
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return app.Open(e.ctx, cfg, log)
}

// storageCommand parses the storage flags plus the command's own, and opens the app.
func storageCommand(e *env, fs *flag.FlagSet, args []string, reqd ...string) (*app.App, error) {
	cfg := config.Defaults()
	cfg.BindStorage(fs)
	if err := parse(e, fs, args, &cfg); err != nil {
		return nil, err
	}
	if err := required(fs, reqd...); err != nil {
		return nil, err
	}
	return open(e, cfg)
}
