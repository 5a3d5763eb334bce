package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/cli"
)

// safeEnv points every command at a temporary data directory, so that a command that
// wrongly reaches the database does not write into the source tree.
func safeEnv(t *testing.T) map[string]string {
	return map[string]string{"RENKEI_DATA": t.TempDir(), "RENKEI_LISTEN": "127.0.0.1:0"}
}

// noDatabase are the commands that open no database and so have no storage flags;
// withOperands are those that take operands, where a stray argument is an operand.
var (
	noDatabase   = map[string]bool{"version": true, "lookalikes": true}
	withOperands = map[string]bool{"lookalikes": true}
)

// The command lines of the contract (issue 2); the usage texts must offer at least these.
var contract = map[string][]string{
	"serve": nil, "migrate": nil, "backup": nil, "version": nil,
	"org":       {"add", "list"},
	"user":      {"add", "list", "disable"},
	"token":     {"create", "revoke"},
	"community": {"add", "join"},
	"audit":     {"verify"},
}

// section returns the first words of the indented lines after header in a usage text.
func section(text, header string) []string {
	_, rest, ok := strings.Cut(text, header+"\n")
	if !ok {
		return nil
	}
	var names []string
	for _, l := range strings.Split(rest, "\n") {
		if !strings.HasPrefix(l, "  ") {
			break
		}
		names = append(names, strings.Fields(l)[0])
	}
	return names
}

// leafCommands discovers every command and subcommand from the usage texts themselves, so
// that commands added later are covered by the tests below. Groups map to their
// subcommands; plain commands map to nil.
func leafCommands(t *testing.T) map[string][]string {
	t.Helper()
	r := runCLI(t, safeEnv(t), "--help")
	if r.code != 0 {
		t.Fatalf("--help:\n%s", r)
	}
	all := map[string][]string{}
	for _, name := range section(r.stderr+r.stdout, "Commands:") {
		g := runCLI(t, safeEnv(t), name, "--help")
		if g.code != 0 {
			t.Fatalf("%s --help:\n%s", name, g)
		}
		all[name] = section(g.stderr+g.stdout, "Subcommands:")
	}
	for name, subs := range contract {
		got, ok := all[name]
		if !ok {
			t.Errorf("usage lacks the command %q of the contract", name)
		}
		for _, s := range subs {
			if !strings.Contains(" "+strings.Join(got, " ")+" ", " "+s+" ") {
				t.Errorf("'renkei %s --help' lacks the subcommand %q of the contract", name, s)
			}
		}
	}
	if len(all) < len(contract) {
		t.Fatalf("found only %d commands: %v", len(all), all)
	}
	return all
}

// paths lists every runnable command line: "serve", "org add", ….
func paths(t *testing.T) [][]string {
	var out [][]string
	for name, subs := range leafCommands(t) {
		if subs == nil {
			out = append(out, []string{name})
		}
		for _, s := range subs {
			out = append(out, []string{name, s})
		}
	}
	return out
}

func TestTopLevelUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		r := runCLI(t, safeEnv(t), args...)
		if r.code != 0 {
			t.Errorf("want exit 0:\n%s", r)
		}
		out := r.stdout + r.stderr
		for _, w := range []string{"Usage: renkei COMMAND", "serve", "migrate", "org", "user", "token", "community", "audit", "backup", "version", "RENKEI_"} {
			if !strings.Contains(out, w) {
				t.Errorf("renkei %s: usage lacks %q:\n%s", args[0], w, out)
			}
		}
	}
	r := runCLI(t, safeEnv(t))
	checkFail(t, r, 2, "Usage: renkei COMMAND")
}

// TestHelpEverywhere: --help and -h on every command and group exit 0, print the
// command's usage and touch no database.
func TestHelpEverywhere(t *testing.T) {
	t.Parallel()
	all := leafCommands(t)
	for name, subs := range all {
		if subs != nil {
			for _, h := range []string{"--help", "-h"} {
				r := runCLI(t, safeEnv(t), name, h)
				if r.code != 0 || !strings.Contains(r.stderr+r.stdout, "Usage: renkei "+name+" SUBCOMMAND") {
					t.Errorf("want exit 0 and the group's usage:\n%s", r)
				}
				for _, s := range subs {
					if !strings.Contains(r.stderr+r.stdout, "  "+s+" ") {
						t.Errorf("renkei %s %s does not list %q:\n%s", name, h, s, r)
					}
				}
			}
		}
	}
	for _, p := range paths(t) {
		for _, h := range []string{"--help", "-h"} {
			env := safeEnv(t)
			r := runCLI(t, env, append(p, h)...)
			out := r.stderr + r.stdout
			if r.code != 0 || !strings.Contains(out, "Usage: renkei "+strings.Join(p, " ")) {
				t.Errorf("want exit 0 and usage:\n%s", r)
			}
			if !noDatabase[p[0]] && !strings.Contains(out, "-data") {
				t.Errorf("usage of %q does not list the storage flags:\n%s", p, r)
			}
			if _, err := os.Stat(filepath.Join(env["RENKEI_DATA"], "renkei.db")); err == nil {
				t.Errorf("renkei %s %s opened the database", strings.Join(p, " "), h)
			}
		}
	}
}

// TestUsageErrors: unknown commands, subcommands and flags, and stray arguments exit 2 and
// say what was wrong, before touching the database.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	r := runCLI(t, safeEnv(t), "frobnicate")
	checkFail(t, r, 2, `unknown command "frobnicate"`, "Usage: renkei COMMAND")

	for name, subs := range leafCommands(t) {
		if subs == nil {
			continue
		}
		r := runCLI(t, safeEnv(t), name, "frobnicate")
		checkFail(t, r, 2, `unknown subcommand "frobnicate"`, "renkei "+name+" --help")
		r = runCLI(t, safeEnv(t), name)
		checkFail(t, r, 2, "Usage: renkei "+name+" SUBCOMMAND")
		r = runCLI(t, safeEnv(t), name, "--bogus")
		checkFail(t, r, 2, "--bogus")
	}

	for _, p := range paths(t) {
		env := safeEnv(t)
		r := runCLI(t, env, append(p, "--no-such-flag")...)
		checkFail(t, r, 2, "flag provided but not defined: -no-such-flag", "Usage: renkei "+strings.Join(p, " "))
		if !withOperands[p[0]] {
			r = runCLI(t, env, append(p, "stray")...)
			checkFail(t, r, 2, `unexpected argument "stray"`, "Usage: renkei "+strings.Join(p, " "))
		}
		if _, err := os.Stat(filepath.Join(env["RENKEI_DATA"], "renkei.db")); err == nil {
			t.Errorf("a usage error of %q opened the database", p)
		}
	}

	// a stray argument after good flags, and a flag with a missing value
	r = runCLI(t, safeEnv(t), "org", "add", "--name", "X", "--kind", "other", "extra")
	checkFail(t, r, 2, `unexpected argument "extra"`)
	r = runCLI(t, safeEnv(t), "org", "add", "--name")
	checkFail(t, r, 2, "flag needs an argument: -name")
	r = runCLI(t, safeEnv(t), "audit", "list", "--limit", "many")
	checkFail(t, r, 2, "-limit", "many")
}

func TestVersion(t *testing.T) {
	t.Parallel()
	r := runCLI(t, safeEnv(t), "version")
	if r.code != 0 || r.stdout != "renkei "+cli.Version+"\n" || r.stderr != "" {
		t.Fatalf("version:\n%s", r)
	}
}
