package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/renkei-dev/renkei/internal/config"
	"github.com/renkei-dev/renkei/internal/lookalike"
)

// Limits of one lookalikes run: the domains on the command line and the lines of a word
// or TLD file.
const (
	maxLookalikeDomains = 1000
	maxListLines        = 10000
)

// runLookalikes prints the lookalike candidates of domains without resolving anything;
// it needs no database.
func runLookalikes(e *env, args []string) error {
	fs := flags(e, "lookalikes", "[--format list|json] [--families F1,F2,...] [--dictionary FILE] [--tlds FILE] DOMAIN...")
	format := fs.String("format", "list", "list (tab-separated: domain given, family, name, name in Unicode) or json (one object a line)")
	families := fs.String("families", "", "comma-separated families to generate (default: all, listed below)")
	dictFile := fs.String("dictionary", "", "file of words for the dictionary family, one a line (default: a built-in list)")
	tldFile := fs.String("tlds", "", "file of public suffixes for tld-swap, one a line (default: a built-in list)")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintln(e.stderr, "\nFamilies:")
		for _, f := range lookalike.Families() {
			fmt.Fprintf(e.stderr, "  %-14s %s\n", f, lookalike.FamilyDoc(f))
		}
	}
	domains, err := parseWithOperands(e, fs, args)
	if err != nil {
		return err
	}
	if len(domains) == 0 {
		fmt.Fprintln(e.stderr, "renkei lookalikes: give at least one DOMAIN")
		fs.Usage()
		return errUsage
	}
	if len(domains) > maxLookalikeDomains {
		return fmt.Errorf("at most %d domains at once, got %d", maxLookalikeDomains, len(domains))
	}
	if *format != "list" && *format != "json" {
		return fmt.Errorf("--format %q: want list or json", *format)
	}
	opt, err := lookalikeOptions(*families, *dictFile, *tldFile)
	if err != nil {
		return err
	}
	names := make([]lookalike.Name, len(domains))
	for i, d := range domains {
		if names[i], err = lookalike.Parse(d); err != nil {
			return err
		}
	}
	return writeAllLookalikes(e, *format, domains, names, opt)
}

// writeAllLookalikes generates the candidates of several names on all cores, a few names
// ahead of the one being written, and writes them in the order given.
func writeAllLookalikes(e *env, format string, domains []string, names []lookalike.Name, opt lookalike.Options) error {
	type job struct {
		cs   []lookalike.Candidate
		err  error
		done chan struct{}
	}
	queue := make(chan *job, runtime.GOMAXPROCS(0)) // bounds the names held in memory
	go func() {
		defer close(queue)
		for _, n := range names {
			j := &job{done: make(chan struct{})}
			queue <- j
			go func() {
				defer close(j.done)
				j.cs, j.err = n.Candidates(opt)
			}()
		}
	}()
	w := bufio.NewWriter(e.stdout)
	var err error
	i := 0
	for j := range queue {
		<-j.done
		if err == nil {
			err = j.err
		}
		if err == nil {
			err = writeLookalikes(w, format, domains[i], j.cs)
		}
		i++
	}
	if err != nil {
		return err
	}
	return w.Flush()
}

// parseWithOperands parses flags that may come before, between or after the operands
// (renkei lookalikes example.jp --format json), applies the environment, and returns the
// operands.
func parseWithOperands(e *env, fs *flag.FlagSet, args []string) ([]string, error) {
	var operands []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		operands = append(operands, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return operands, config.ApplyEnv(fs, e.getenv)
}

func lookalikeOptions(families, dictFile, tldFile string) (lookalike.Options, error) {
	var opt lookalike.Options
	for _, f := range strings.Split(families, ",") {
		if f = strings.TrimSpace(f); f != "" {
			opt.Families = append(opt.Families, f)
		}
	}
	for _, f := range opt.Families {
		if lookalike.FamilyDoc(f) == "" {
			return opt, fmt.Errorf("--families: unknown family %q (known: %s)", f, strings.Join(lookalike.Families(), ", "))
		}
	}
	var err error
	if dictFile != "" {
		if opt.Dictionary, err = readList("--dictionary", dictFile); err != nil {
			return opt, err
		}
	}
	if tldFile != "" {
		if opt.TLDs, err = readList("--tlds", tldFile); err != nil {
			return opt, err
		}
	}
	return opt, nil
}

// readList reads a file of one entry a line; blank lines and lines starting with # are
// skipped.
func readList(flagName, path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", flagName, err)
	}
	out := []string{}
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if len(out) > maxListLines {
		return nil, fmt.Errorf("%s %s: more than %d entries", flagName, path, maxListLines)
	}
	return out, nil
}

// lookalikeLine is one candidate in the json format.
type lookalikeLine struct {
	Input   string `json:"input"`
	Family  string `json:"family"`
	Domain  string `json:"domain"`
	Unicode string `json:"unicode"`
}

func writeLookalikes(w *bufio.Writer, format, input string, cs []lookalike.Candidate) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		for _, c := range cs {
			if err := enc.Encode(lookalikeLine{input, c.Family, c.Domain, c.Unicode}); err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range cs {
		for i, s := range []string{input, c.Family, c.Domain, c.Unicode} {
			if i > 0 {
				w.WriteByte('\t')
			}
			w.WriteString(s)
		}
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
	return nil
}
