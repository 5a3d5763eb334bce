package web

import (
	"bytes"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template/parse"
	"time"
	"unicode"

	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
)

// The tests of this file read the templates as text/template parse trees, before
// html/template rewrites them, and check that every word a page shows comes from the
// message catalogs, in Japanese and English alike, and that the pages need no inline
// styles or scripts, which the Content-Security-Policy forbids.

// i18nTemplateFile is one template file: its path and source.
type i18nTemplateFile struct{ name, src string }

func i18nTemplateFiles(t *testing.T) []i18nTemplateFile {
	t.Helper()
	var files []i18nTemplateFile
	err := fs.WalkDir(assets, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		b, err := fs.ReadFile(assets, path)
		files = append(files, i18nTemplateFile{path, string(b)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 10 {
		t.Fatalf("found only %d templates", len(files))
	}
	return files
}

// i18nParse parses a template file into its trees ({{define}} blocks and the file itself)
// without needing its functions.
func i18nParse(name, src string) (map[string]*parse.Tree, error) {
	tree := parse.New(name)
	tree.Mode = parse.SkipFuncCheck
	trees := map[string]*parse.Tree{}
	if _, err := tree.Parse(src, "{{", "}}", trees); err != nil {
		return nil, err
	}
	return trees, nil
}

// sortedTrees returns the trees in source order, for stable reports.
func sortedTrees(trees map[string]*parse.Tree) []*parse.Tree {
	var out []*parse.Tree
	for _, t := range trees {
		if t.Root != nil {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b *parse.Tree) int { return int(a.Root.Pos) - int(b.Root.Pos) })
	return out
}

func lineOf(src string, pos int) int { return 1 + strings.Count(src[:min(pos, len(src))], "\n") }

// ---- message keys ----------------------------------------------------------------------

// i18nKeyUse is one call of the translation method T in a template.
type i18nKeyUse struct {
	pos    string
	key    string   // a literal key, or ""
	prefix string   // for (print "prefix" .Code), the literal prefix
	names  []string // the argument names, when all are literal
	known  bool     // names is complete
	other  string   // a key given some other way, as written
}

// isTCall reports whether a command calls the page's T method (.T or $.T).
func isTCall(cmd *parse.CommandNode) bool {
	if len(cmd.Args) == 0 {
		return false
	}
	switch f := cmd.Args[0].(type) {
	case *parse.FieldNode:
		return f.Ident[len(f.Ident)-1] == "T"
	case *parse.VariableNode:
		return len(f.Ident) > 1 && f.Ident[len(f.Ident)-1] == "T"
	case *parse.ChainNode:
		return len(f.Field) > 0 && f.Field[len(f.Field)-1] == "T"
	}
	return false
}

// i18nVisitCommands calls fn for every command of the tree, nested pipelines included.
func i18nVisitCommands(n parse.Node, fn func(*parse.CommandNode)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				i18nVisitCommands(c, fn)
			}
		}
	case *parse.ActionNode:
		i18nVisitCommands(n.Pipe, fn)
	case *parse.IfNode:
		i18nVisitBranch(&n.BranchNode, fn)
	case *parse.RangeNode:
		i18nVisitBranch(&n.BranchNode, fn)
	case *parse.WithNode:
		i18nVisitBranch(&n.BranchNode, fn)
	case *parse.TemplateNode:
		i18nVisitCommands(n.Pipe, fn)
	case *parse.PipeNode:
		if n != nil {
			for _, c := range n.Cmds {
				i18nVisitCommands(c, fn)
			}
		}
	case *parse.CommandNode:
		fn(n)
		for _, a := range n.Args {
			i18nVisitCommands(a, fn)
		}
	case *parse.ChainNode:
		i18nVisitCommands(n.Node, fn)
	}
}

func i18nVisitBranch(b *parse.BranchNode, fn func(*parse.CommandNode)) {
	i18nVisitCommands(b.Pipe, fn)
	i18nVisitCommands(b.List, fn)
	if b.ElseList != nil {
		i18nVisitCommands(b.ElseList, fn)
	}
}

func templateKeyUses(t *testing.T, f i18nTemplateFile) []i18nKeyUse {
	trees, err := i18nParse(f.name, f.src)
	if err != nil {
		t.Fatal(err)
	}
	var uses []i18nKeyUse
	for _, tree := range sortedTrees(trees) {
		i18nVisitCommands(tree.Root, func(cmd *parse.CommandNode) {
			if !isTCall(cmd) {
				return
			}
			u := i18nKeyUse{pos: fmt.Sprintf("%s:%d", f.name, lineOf(f.src, int(cmd.Pos)))}
			if len(cmd.Args) < 2 {
				u.other = cmd.String()
				uses = append(uses, u)
				return
			}
			switch k := cmd.Args[1].(type) {
			case *parse.StringNode:
				u.key = k.Text
			case *parse.PipeNode:
				// (print "role." .Role)
				if len(k.Cmds) == 1 && len(k.Cmds[0].Args) == 3 {
					id, ok1 := k.Cmds[0].Args[0].(*parse.IdentifierNode)
					s, ok2 := k.Cmds[0].Args[1].(*parse.StringNode)
					if ok1 && ok2 && id.Ident == "print" {
						u.prefix = s.Text
					}
				}
				if u.prefix == "" {
					u.other = k.String()
				}
			default:
				u.other = k.String()
			}
			u.known = true
			for i := 2; i < len(cmd.Args); i += 2 {
				s, ok := cmd.Args[i].(*parse.StringNode)
				if !ok {
					u.known = false
					break
				}
				u.names = append(u.names, s.Text)
			}
			uses = append(uses, u)
		})
	}
	return uses
}

// i18nPlaceholders returns the sorted, distinct {names} of a message.
func i18nPlaceholders(msg string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`\{([^{}]*)\}`).FindAllStringSubmatch(msg, -1) {
		names = append(names, m[1])
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// dynamicKeyCodes lists, for each prefix the templates build keys from, every code that
// can follow it.
func dynamicKeyCodes() map[string][]string {
	codes := map[string][]string{}
	for _, r := range model.Roles {
		codes["role."] = append(codes["role."], string(r))
	}
	for _, k := range model.OrgKinds {
		codes["org.kind."] = append(codes["org.kind."], string(k))
	}
	for _, s := range model.Sectors {
		codes["sector."] = append(codes["sector."], string(s))
	}
	return codes
}

// TestTemplateKeysExist checks every call of T in the templates: a literal key is in both
// catalogs and gets exactly the arguments its placeholders name; a key built from a code
// exists for every code; no key is given in any other way the test cannot check.
func TestTemplateKeysExist(t *testing.T) {
	codes := dynamicKeyCodes()
	literal := 0
	for _, f := range i18nTemplateFiles(t) {
		for _, u := range templateKeyUses(t, f) {
			switch {
			case u.other != "":
				t.Errorf("%s: key %s cannot be checked; use a literal key or (print \"prefix.\" .Code)", u.pos, u.other)
			case u.prefix != "":
				list, ok := codes[u.prefix]
				if !ok {
					t.Errorf("%s: keys built from %q: add the codes that follow it to dynamicKeyCodes", u.pos, u.prefix)
				}
				for _, c := range list {
					for _, l := range []model.Lang{model.LangJA, model.LangEN} {
						if !i18n.Has(l, u.prefix+c) {
							t.Errorf("%s: %s has no message %s", u.pos, l, u.prefix+c)
						}
					}
				}
			default:
				literal++
				if !i18n.Has(model.LangJA, u.key) || !i18n.Has(model.LangEN, u.key) {
					t.Errorf("%s: key %q is missing from the catalogs", u.pos, u.key)
					continue
				}
				if !u.known {
					continue
				}
				got := slices.Clone(u.names)
				slices.Sort(got)
				got = slices.Compact(got)
				for _, l := range []model.Lang{model.LangJA, model.LangEN} {
					if want := i18nPlaceholders(i18n.T(l, u.key)); !slices.Equal(got, want) {
						t.Errorf("%s: %q is given arguments %v but its %s message takes %v", u.pos, u.key, got, l, want)
					}
				}
			}
		}
	}
	if literal < 100 {
		t.Fatalf("found only %d literal keys in the templates: is T still the translation method?", literal)
	}
}

// ---- text and inline code --------------------------------------------------------------

type htmlState int

const (
	hsText          htmlState = iota
	hsTagOpen                 // after <
	hsTagName                 // in the name of a tag
	hsInTag                   // between attributes
	hsAttrName                // in the name of an attribute
	hsAfterAttrName           // after a name, before = or the next attribute
	hsBeforeValue             // after =
	hsValueDQ                 // in a "value"
	hsValueSQ                 // in a 'value'
	hsValueUnq                // in an unquoted value
	hsDecl                    // in <!...>
	hsComment                 // in <!-- -->
	hsRaw                     // in the body of <script> or <style>
)

// i18nTextAttrs are attributes whose value people read (data-label heads the cells of
// narrow tables, data-confirm and data-done are shown by app.js).
var i18nTextAttrs = map[string]bool{
	"placeholder": true, "title": true, "alt": true, "label": true, "aria-label": true,
	"aria-description": true, "aria-placeholder": true, "aria-roledescription": true,
	"aria-valuetext": true, "data-label": true, "data-confirm": true, "data-done": true,
}

type htmlAttr struct {
	name    string
	lit     string // the literal part of the value
	dynamic bool   // the value has template actions
}

// htmlScanner follows the HTML context through the text of a template well enough to
// tell text from tags and attributes.
type htmlScanner struct {
	st      htmlState
	tag     string
	closing bool
	attrs   []htmlAttr
	cur     htmlAttr
	text    strings.Builder // the text run being read, with its start
	textAt  int
	decl    string
	raw     string // script or style
	rawBody string
	rawDyn  bool

	src      string
	name     string
	problems *[]string
}

func (s *htmlScanner) clone() htmlScanner {
	c := *s
	c.attrs = slices.Clone(s.attrs)
	c.text = strings.Builder{}
	return c
}

func (s *htmlScanner) report(pos int, format string, args ...any) {
	*s.problems = append(*s.problems, fmt.Sprintf("%s:%d: ", s.name, lineOf(s.src, pos))+fmt.Sprintf(format, args...))
}

var htmlEntityRe = regexp.MustCompile(`&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);`)

// hasWords reports whether literal text contains letters (of any script) once character
// references are removed: whitespace, digits, punctuation and symbols are fine.
func hasWords(s string) bool {
	return strings.ContainsFunc(htmlEntityRe.ReplaceAllString(s, ""), unicode.IsLetter)
}

func (s *htmlScanner) flushText() {
	if hasWords(s.text.String()) {
		s.report(s.textAt, "hard-coded text %q: use a catalog message", strings.TrimSpace(s.text.String()))
	}
	s.text.Reset()
}

func (s *htmlScanner) finishAttr() {
	s.attrs = append(s.attrs, s.cur)
	s.cur = htmlAttr{}
	s.st = hsInTag
}

func (s *htmlScanner) endTag(pos int) {
	if !s.closing {
		s.checkTag(pos)
	}
	s.st = hsText
	if !s.closing && (s.tag == "script" || s.tag == "style") {
		s.st, s.raw, s.rawBody, s.rawDyn = hsRaw, s.tag, "", false
	}
}

func (s *htmlScanner) checkTag(pos int) {
	typ := ""
	for _, a := range s.attrs {
		if a.name == "type" {
			typ = strings.ToLower(a.lit)
		}
	}
	if s.tag == "style" {
		s.report(pos, "<style> element: styles belong in /static/style.css (CSP style-src 'self')")
	}
	for _, a := range s.attrs {
		switch {
		case a.name == "style":
			s.report(pos, "inline style attribute on <%s> (CSP style-src 'self')", s.tag)
		case len(a.name) > 2 && strings.HasPrefix(a.name, "on"):
			s.report(pos, "inline event handler %s on <%s> (CSP script-src 'self')", a.name, s.tag)
		case i18nTextAttrs[a.name] || (a.name == "value" && (s.tag == "button" ||
			s.tag == "input" && (typ == "submit" || typ == "button" || typ == "reset"))):
			if hasWords(a.lit) {
				s.report(pos, "hard-coded %s=%q on <%s>: use a catalog message", a.name, a.lit, s.tag)
			}
		}
	}
}

// scanText advances through literal template text starting at byte offset pos.
func (s *htmlScanner) scanText(text string, pos int) {
	for i, c := range text {
		at := pos + i
		switch s.st {
		case hsText:
			if c == '<' {
				s.flushText()
				s.st, s.tag, s.closing, s.attrs = hsTagOpen, "", false, nil
				continue
			}
			if s.text.Len() == 0 {
				s.textAt = at
			}
			s.text.WriteRune(c)
		case hsTagOpen:
			switch {
			case c == '/' && !s.closing:
				s.closing = true
			case c == '!':
				s.st, s.decl = hsDecl, ""
			case unicode.IsLetter(c):
				s.st, s.tag = hsTagName, string(unicode.ToLower(c))
			default: // a lone "<" is text
				s.st = hsText
				s.textAt = at
				s.text.WriteRune('<')
				s.text.WriteRune(c)
			}
		case hsTagName:
			switch {
			case c == '>':
				s.endTag(at)
			case unicode.IsSpace(c) || c == '/':
				s.st = hsInTag
			default:
				s.tag += string(unicode.ToLower(c))
			}
		case hsInTag:
			switch {
			case c == '>':
				s.endTag(at)
			case unicode.IsSpace(c) || c == '/':
			default:
				s.st, s.cur = hsAttrName, htmlAttr{name: string(unicode.ToLower(c))}
			}
		case hsAttrName, hsAfterAttrName:
			switch {
			case c == '=':
				s.st = hsBeforeValue
			case c == '>':
				s.finishAttr()
				s.endTag(at)
			case unicode.IsSpace(c):
				s.st = hsAfterAttrName
			case c == '/':
				s.finishAttr()
			case s.st == hsAfterAttrName:
				s.finishAttr()
				s.st, s.cur = hsAttrName, htmlAttr{name: string(unicode.ToLower(c))}
			default:
				s.cur.name += string(unicode.ToLower(c))
			}
		case hsBeforeValue:
			switch {
			case c == '"':
				s.st = hsValueDQ
			case c == '\'':
				s.st = hsValueSQ
			case c == '>':
				s.finishAttr()
				s.endTag(at)
			case unicode.IsSpace(c):
			default:
				s.st = hsValueUnq
				s.cur.lit += string(c)
			}
		case hsValueDQ, hsValueSQ:
			if (c == '"' && s.st == hsValueDQ) || (c == '\'' && s.st == hsValueSQ) {
				s.finishAttr()
			} else {
				s.cur.lit += string(c)
			}
		case hsValueUnq:
			switch {
			case c == '>':
				s.finishAttr()
				s.endTag(at)
			case unicode.IsSpace(c):
				s.finishAttr()
			default:
				s.cur.lit += string(c)
			}
		case hsDecl:
			s.decl += string(c)
			if s.decl == "--" {
				s.st, s.decl = hsComment, ""
			} else if c == '>' {
				s.st = hsText
			}
		case hsComment:
			s.decl += string(c)
			if strings.HasSuffix(s.decl, "-->") {
				s.st = hsText
			}
		case hsRaw:
			s.rawBody += string(c)
			if end := "</" + s.raw; strings.HasSuffix(strings.ToLower(s.rawBody), end) {
				body := s.rawBody[:len(s.rawBody)-len(end)]
				if s.raw == "script" && (s.rawDyn || strings.TrimSpace(body) != "") {
					s.report(at, "inline <script> body: scripts belong in /static (CSP script-src 'self')")
				}
				s.st, s.tag, s.closing, s.attrs = hsTagName, s.raw, true, nil
			}
		}
	}
}

// action notes a template action at the current point: dynamic content.
func (s *htmlScanner) action() {
	switch s.st {
	case hsValueDQ, hsValueSQ, hsValueUnq:
		s.cur.dynamic = true
	case hsBeforeValue:
		s.st, s.cur.dynamic = hsValueUnq, true
	case hsRaw:
		s.rawDyn = true
	case hsText:
		s.flushText()
	}
}

// settle ends an attribute name at the end of a branch ({{if .X}}selected{{end}}).
func (s *htmlScanner) settle() {
	s.flushText()
	if s.st == hsAttrName || s.st == hsAfterAttrName {
		s.finishAttr()
	}
}

// branch scans the alternatives of if, with and range from the same context and carries
// on with what both produced: attributes written in either branch, and the literal text
// of a value from both.
func (s *htmlScanner) branch(b *parse.BranchNode) {
	s.action()
	start := s.clone()
	s.walk(b.List)
	s.settle()
	other := start.clone()
	if b.ElseList != nil {
		other.walk(b.ElseList)
	}
	other.settle()
	if other.st != s.st {
		s.report(int(b.Pos), "the branches of an {{if}}, {{with}} or {{range}} end in different HTML contexts")
		return
	}
	if len(other.attrs) > len(start.attrs) && len(s.attrs) >= len(start.attrs) {
		s.attrs = append(s.attrs, other.attrs[len(start.attrs):]...)
	}
	if strings.HasPrefix(other.cur.lit, start.cur.lit) {
		s.cur.lit += other.cur.lit[len(start.cur.lit):]
	}
	s.cur.dynamic = s.cur.dynamic || other.cur.dynamic
	s.rawDyn = s.rawDyn || other.rawDyn
}

func (s *htmlScanner) walk(list *parse.ListNode) {
	if list == nil {
		return
	}
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			s.scanText(string(n.Text), int(n.Pos))
		case *parse.IfNode:
			s.branch(&n.BranchNode)
		case *parse.RangeNode:
			s.branch(&n.BranchNode)
		case *parse.WithNode:
			s.branch(&n.BranchNode)
		case *parse.ActionNode, *parse.TemplateNode:
			s.action()
		}
	}
}

// checkTemplateHTML returns the hard-coded text, inline styles and inline scripts of a
// template file; each {{define}} is read from the text context.
func checkTemplateHTML(name, src string) ([]string, error) {
	trees, err := i18nParse(name, src)
	if err != nil {
		return nil, err
	}
	var problems []string
	for _, tree := range sortedTrees(trees) {
		s := &htmlScanner{src: src, name: name, problems: &problems}
		s.walk(tree.Root)
		s.flushText()
		if s.st != hsText {
			s.report(len(src), "template %s ends inside a tag or comment", tree.Name)
		}
	}
	return problems, nil
}

func TestTemplatesHaveNoHardCodedTextOrInlineCode(t *testing.T) {
	for _, f := range i18nTemplateFiles(t) {
		problems, err := checkTemplateHTML(f.name, f.src)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Error(p)
		}
	}
}

// TestTemplateCheckerFindsProblems makes sure the checker above is not silently blind.
func TestTemplateCheckerFindsProblems(t *testing.T) {
	cases := []struct {
		src  string
		want []string // substrings of the problems, in order
	}{
		{`<p>Hello</p>`, []string{`text "Hello"`}},
		{`<p>{{.T "a"}} こんにちは{{.X}}</p>`, []string{`text "こんにちは"`}},
		{`<input placeholder="Name">`, []string{`placeholder="Name"`}},
		{`<button type="submit" value="Go">{{.T "x"}}</button>`, []string{`value="Go"`}},
		{`<input type="submit" value="送信">`, []string{`value="送信"`}},
		{`<input type="hidden" name="op" value="add-org">`, nil},
		{`<div style="color: red">{{.X}}</div>`, []string{"inline style"}},
		{`<div {{if .X}}style="x"{{end}}></div>`, []string{"inline style"}},
		{`<script>alert(1)</script>`, []string{"inline <script>"}},
		{`<script>{{.X}}</script>`, []string{"inline <script>"}},
		{`<script src="/static/app.js" defer></script>`, nil},
		{`<style>p { color: red }</style>`, []string{"<style> element"}},
		{`<button onclick="go()">{{.T "x"}}</button>`, []string{"event handler onclick"}},
		{`{{if .X}}<b>はい</b>{{else}}<i>No</i>{{end}}`, []string{`"はい"`, `"No"`}},
		{`{{range .X}}<li>{{.}} items</li>{{end}}`, []string{`"items"`}},
		{`<img src="/q.png" alt="{{if .X}}QR code{{end}}">`, []string{`alt="QR code"`}},
		{`<a title="{{.T "k"}}" aria-label="Close" href="/">×</a>`, []string{`aria-label="Close"`}},
		{`<td data-label="Name">{{.X}}</td>`, []string{`data-label="Name"`}},
		{`<button data-confirm="本当に？">{{.T "x"}}</button>`, []string{`data-confirm="本当に？"`}},
		{`{{define "content"}}<h1>Title</h1>{{end}}`, []string{`"Title"`}},
		// What is fine: comments, the doctype, punctuation, symbols, digits, references,
		// attributes that are not read, and values that are template actions.
		{`<!doctype html><!-- a note for developers -->`, nil},
		{`<span>{{.X}} · {{.Y}} — ({{.Z}}) | 2026 &nbsp;&amp;&#8230;…</span>`, nil},
		{`<input id="q" name="q" type="search" class="field {{if .E}}invalid{{end}}" value="{{.Q}}" {{if .A}}autofocus{{end}}>`, nil},
		{`<option value="ja" {{if eq .L "ja"}}selected{{end}}>{{.T "lang.name.ja"}}</option>`, nil},
		{`<a href="?q={{.Q}}&amp;after={{.N}}">{{.T "pager.next"}}</a>`, nil},
		{`<meta name="viewport" content="width=device-width, initial-scale=1">`, nil},
		{`<img src="{{.QR}}" alt="{{.T "totp.qr_alt"}}" width="192">`, nil},
	}
	for _, c := range cases {
		got, err := checkTemplateHTML("case.html", c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		ok := len(got) == len(c.want)
		for i := 0; ok && i < len(got); i++ {
			ok = strings.Contains(got[i], c.want[i])
		}
		if !ok {
			t.Errorf("%s\n got %q\nwant %q", c.src, got, c.want)
		}
	}
}

// TestEnglishPagesShowNoJapanese renders the pages that need no signed-in person in
// English, and checks that the only Japanese left is the name of the language in the
// switch; and in Japanese, that the page says so.
func TestEnglishPagesShowNoJapanese(t *testing.T) {
	tmpl, err := parseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	pages := []struct {
		name, title string
		data        any
	}{
		{"signin", "signin.title", signInForm{Email: "a@example.jp"}},
		{"signin_2fa", "signin2fa.title", signInForm{}},
		{"error", "error.title", 404},
		{"problem", "problem.title", problemData{Slug: "not-found", Text: "x"}},
	}
	for _, pg := range pages {
		for _, l := range []model.Lang{model.LangJA, model.LangEN} {
			p := &page{Lang: l, TitleKey: pg.title, Errors: map[string]string{}, Data: pg.data,
				CSRF: "token", Path: "/", loc: time.UTC, FormError: i18n.T(l, "signin.failed")}
			pt, ok := tmpl.pages[pg.name]
			if !ok {
				t.Fatalf("no page %s", pg.name)
			}
			var buf bytes.Buffer
			if err := pt.ExecuteTemplate(&buf, "layout", p); err != nil {
				t.Fatalf("%s: %v", pg.name, err)
			}
			html := buf.String()
			if !strings.Contains(html, `<html lang="`+string(l)+`">`) {
				t.Errorf("%s %s: the page does not declare its language", pg.name, l)
			}
			if !strings.Contains(html, "<title>"+i18n.T(l, pg.title)+" | ") {
				t.Errorf("%s %s: title is not %q", pg.name, l, i18n.T(l, pg.title))
			}
			if l == model.LangEN {
				rest := strings.ReplaceAll(html, i18n.T(l, "lang.name.ja"), "")
				if i := strings.IndexFunc(rest, func(r rune) bool {
					return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han)
				}); i >= 0 {
					t.Errorf("%s en: Japanese in the English page: %q", pg.name, rest[max(0, i-40):min(len(rest), i+40)])
				}
			}
		}
	}
}
