package i18n_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
)

// keyRe is what a catalog key looks like: dotted lower-case words.
var keyRe = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_-]+)+$`)

// noArgs marks a convention whose message is shown without arguments.
const noArgs = -1

// A convention is a function that receives a catalog key as a literal string.
type convention struct {
	pkg    string // the package of a function ("fault"), or "" for a method of any receiver
	name   string
	key    int    // index of the key argument
	args   int    // index where the name, value pairs start, or noArgs
	prefix string // a prefix the key must have to be shown at all
}

// conventions lists how the Go code passes message keys. The web layer shows flash
// messages only for keys starting with "flash.", and page titles and error pages without
// arguments.
var conventions = []convention{
	{pkg: "fault", name: "New", key: 1, args: 2},
	{pkg: "fault", name: "Field", key: 1, args: 2},
	{name: "Add", key: 1, args: 2}, // fault.List.Add(field, key, args...)
	{pkg: "i18n", name: "T", key: 1, args: 2},
	{pkg: "i18n", name: "Format", key: 1, args: noArgs - 1}, // arguments in a map: see mapArgs
	{name: "T", key: 0, args: 1},                            // page.T(key, args...)
	{name: "newPage", key: 2, args: noArgs},                 // the page title
	{name: "renderError", key: 3, args: noArgs},
	{name: "redirectFlash", key: 3, args: noArgs, prefix: "flash."},
	{name: "showCodes", key: 3, args: noArgs, prefix: "flash."},
	{name: "showLink", key: 5, args: noArgs, prefix: "flash."},
}

func (c convention) matches(call *ast.CallExpr) bool {
	switch fn := call.Fun.(type) {
	case *ast.SelectorExpr:
		x, isIdent := fn.X.(*ast.Ident)
		if fn.Sel.Name != c.name {
			return false
		}
		if c.pkg != "" {
			return isIdent && x.Name == c.pkg
		}
		return !isIdent || (x.Name != "i18n" && x.Name != "fault")
	case *ast.Ident:
		return c.pkg == "" && fn.Name == c.name
	}
	return false
}

// use is one place where Go code names a message.
type use struct {
	key    string
	pos    string
	names  []string // argument names given, when they are all literal
	known  bool     // names is complete
	noArgs bool
	prefix string
	strict bool // found through a convention: the key must exist whatever it looks like
}

func stringLit(e ast.Expr) (string, bool) {
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(bl.Value)
	return s, err == nil
}

// mapArgs returns the literal keys of a map[string]any{...} literal.
func mapArgs(e ast.Expr) ([]string, bool) {
	cl, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil, false
	}
	var names []string
	for _, el := range cl.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			return nil, false
		}
		s, ok := stringLit(kv.Key)
		if !ok {
			return nil, false
		}
		names = append(names, s)
	}
	return names, true
}

// moduleRoot finds go.mod above the package directory.
func moduleRoot(t *testing.T) string {
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// goUses parses every non-test Go file of the module and returns the messages it names,
// and the places where it writes human text straight into a page.
func goUses(t *testing.T) (uses []use, hardcoded []string) {
	root := moduleRoot(t)
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel := func(p token.Pos) string {
			pos := fset.Position(p)
			r, _ := filepath.Rel(root, pos.Filename)
			return r + ":" + strconv.Itoa(pos.Line)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				uses = append(uses, callUses(n, rel)...)
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "renderErrorMsg" && len(n.Args) > 3 {
					if s, ok := stringLit(n.Args[3]); ok {
						hardcoded = append(hardcoded, rel(n.Pos())+": renderErrorMsg("+strconv.Quote(s)+")")
					}
				}
			case *ast.CompositeLit:
				uses = append(uses, literalUses(n, rel)...)
			case *ast.AssignStmt:
				// page.Flash = "...", page.FormError = "...": text that skips the catalog.
				for i, lhs := range n.Lhs {
					sel, ok := lhs.(*ast.SelectorExpr)
					if !ok || i >= len(n.Rhs) || (sel.Sel.Name != "Flash" && sel.Sel.Name != "FormError") {
						continue
					}
					if s, ok := stringLit(n.Rhs[i]); ok && s != "" {
						hardcoded = append(hardcoded, rel(n.Pos())+": "+sel.Sel.Name+" = "+strconv.Quote(s))
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return uses, hardcoded
}

func callUses(call *ast.CallExpr, rel func(token.Pos) string) []use {
	var out []use
	claimed := map[int]bool{}
	for _, c := range conventions {
		if !c.matches(call) || c.key >= len(call.Args) {
			continue
		}
		key, ok := stringLit(call.Args[c.key])
		if !ok {
			continue // a key in a variable: its origin is checked where it is a literal
		}
		claimed[c.key] = true
		u := use{key: key, pos: rel(call.Pos()), prefix: c.prefix, strict: true}
		switch {
		case c.args == noArgs:
			u.noArgs, u.known = true, len(call.Args) == c.key+1
		case c.args >= 0:
			u.known = !call.Ellipsis.IsValid()
			for i := c.args; i < len(call.Args); i += 2 {
				name, ok := stringLit(call.Args[i])
				if !ok {
					u.known = false
					break
				}
				u.names = append(u.names, name)
			}
		default: // i18n.Format(lang, key, map)
			if c.key+1 < len(call.Args) {
				u.names, u.known = mapArgs(call.Args[c.key+1])
			}
		}
		out = append(out, u)
	}
	// Anything else that looks like a key of a namespace the catalog has is checked too,
	// so that a new helper taking a key is not missed.
	for i, a := range call.Args {
		if s, ok := stringLit(a); ok && !claimed[i] && keyRe.MatchString(s) {
			out = append(out, use{key: s, pos: rel(call.Pos())})
		}
	}
	return out
}

// literalUses finds fault.Error{Key: "...", Args: map[string]any{...}} and the like.
func literalUses(cl *ast.CompositeLit, rel func(token.Pos) string) []use {
	var out []use
	var args []string
	argsKnown := false
	for _, el := range cl.Elts {
		if kv, ok := el.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "Args" {
				args, argsKnown = mapArgs(kv.Value)
			}
		}
	}
	for _, el := range cl.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		id, ok := kv.Key.(*ast.Ident)
		if !ok || (id.Name != "Key" && !strings.HasSuffix(id.Name, "Key")) {
			continue
		}
		if s, ok := stringLit(kv.Value); ok && keyRe.MatchString(s) {
			out = append(out, use{key: s, pos: rel(kv.Pos()), names: args, known: argsKnown, strict: true})
		}
	}
	return out
}

// TestGoCodeUsesKnownKeys checks every message key the Go code names literally: it exists
// in both catalogs, it gets exactly the arguments its placeholders need, and flash
// messages, page titles and error pages (shown without arguments) have no placeholders.
func TestGoCodeUsesKnownKeys(t *testing.T) {
	uses, _ := goUses(t)
	namespaces := map[string]bool{}
	for _, k := range i18n.Keys(model.LangJA) {
		namespaces[k[:strings.IndexByte(k, '.')]] = true
	}
	// Audit actions ("user.updated") are codes stored in the log, not messages.
	isAction := map[string]bool{}
	for _, a := range audit.Actions {
		isAction[a] = true
	}
	strict := 0
	for _, u := range uses {
		if !u.strict {
			if !namespaces[u.key[:strings.IndexByte(u.key, '.')]] || isAction[u.key] || i18n.Has(model.LangJA, u.key) {
				continue
			}
			t.Errorf("%s: %q looks like a message key but is in no catalog", u.pos, u.key)
			continue
		}
		strict++
		if !i18n.Has(model.LangJA, u.key) || !i18n.Has(model.LangEN, u.key) {
			t.Errorf("%s: key %q is missing from the catalogs", u.pos, u.key)
			continue
		}
		if u.prefix != "" && !strings.HasPrefix(u.key, u.prefix) {
			t.Errorf("%s: %q is shown only when it starts with %q", u.pos, u.key, u.prefix)
		}
		want := placeholders(raw(model.LangJA, u.key))
		if u.noArgs && len(want) > 0 {
			t.Errorf("%s: %q is shown without arguments but needs %v", u.pos, u.key, want)
		}
		if u.known && !u.noArgs {
			got := slices.Clone(u.names)
			slices.Sort(got)
			got = slices.Compact(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %q is given arguments %v but its message takes %v", u.pos, u.key, got, want)
			}
		}
	}
	// The scan must find the code's keys, or it checks nothing.
	if strict < 100 {
		t.Fatalf("found only %d keys in the Go code: did the conventions change?", strict)
	}
	t.Logf("checked %d uses of message keys in the Go code", strict)
}

// TestGoCodeWritesNoTextIntoPages checks that page messages come from the catalog.
func TestGoCodeWritesNoTextIntoPages(t *testing.T) {
	_, hardcoded := goUses(t)
	for _, h := range hardcoded {
		t.Errorf("%s: text that is not from the catalog", h)
	}
}
