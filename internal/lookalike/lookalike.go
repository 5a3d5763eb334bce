// Package lookalike generates the domain names that imitate a registered domain:
// typing slips (omission, transposition, keyboard neighbours), bit flips, homoglyphs,
// whole-script Cyrillic twins, added words and swapped top-level domains — every family
// that dnstwist has — plus Japanese IDN lookalikes (kana and kanji drawn alike, small and
// voiced kana, Japanese characters that pass for ASCII ones).
//
// Only the registrable label is mutated: in www.example.co.jp, "example" changes while
// "co.jp" (the public suffix) and "www" stay. Every candidate is a name that could be
// delegated: a valid host name or IDN (UTS #46 lookup rules, IDNA2008 CONTEXTO rules),
// given in ASCII (punycode) and Unicode. Nothing is resolved here; see internal/dnscheck.
package lookalike

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
	"golang.org/x/text/unicode/bidi"
)

// Candidate is one lookalike name and the family of the rule that made it.
type Candidate struct {
	Domain  string `json:"domain"`  // ASCII form (punycode), the name to resolve
	Unicode string `json:"unicode"` // the same name as a person sees it
	Family  string `json:"family"`
}

// Options chooses what to generate. The zero value generates every family with the
// default word and TLD lists.
type Options struct {
	Families   []string // names from Families(); empty means all
	Dictionary []string // words for the dictionary family; nil means DefaultDictionary
	TLDs       []string // public suffixes for tld-swap; nil means DefaultTLDs
}

// ErrFamily is wrapped by the error for an unknown family name.
var ErrFamily = errors.New("unknown lookalike family")

// twoStepMax bounds the homoglyph family: a label gets look-alikes two at a time only when
// one at a time gives at most this many variants. Pairs grow with the square of that
// number, which is large for long labels and for characters repeated many times (every run
// of their occurrences is a variant); such labels get look-alikes one at a time.
const twoStepMax = 400

// family is one rule; run emits its candidates through g.
type family struct {
	name string
	doc  string
	run  func(g *gen)
}

// allFamilies in generation order. A name made by two families is kept under the first.
var allFamilies = []family{
	{"plural", "the plural (or -es, -ies) form", plural}, // before addition, which also adds an s
	{"addition", "a letter or digit added at the end", addition},
	{"bitsquatting", "one bit flipped in one character", bitsquatting},
	{"cyrillic", "every letter replaced by its Cyrillic twin", cyrillic},
	{"homoglyph", "one or two characters replaced by look-alikes", homoglyph},
	{"hyphenation", "a hyphen inserted", hyphenation},
	{"insertion", "a neighbouring key pressed as well", insertion},
	{"omission", "a character left out", omission},
	{"repetition", "a character typed twice", repetition},
	{"replacement", "a character replaced by a neighbouring key", replacement},
	{"subdomain", "a dot inserted, making a subdomain", subdomain},
	{"transposition", "two neighbouring characters swapped", transposition},
	{"vowel-swap", "a vowel replaced by another", vowelSwap},
	{"various", "the suffix merged into the label, or moved under .com", various},
	{"dictionary", "a word from the dictionary added before or after", dictionary},
	{"tld-swap", "the same label under another public suffix", tldSwap},
	{"ja-homoglyph", "ASCII characters replaced by Japanese look-alikes (〇 丨 ー 一)", jaHomoglyph},
	{"ja-confusable", "kana or kanji replaced by one drawn alike (ロ/口, 工/エ, ソ/ン)", jaConfusable},
	{"ja-kana", "small and full-size kana, voiced-mark variants (ツ/ッ, バ/パ)", jaKana},
}

// Families returns the family names in generation order.
func Families() []string {
	out := make([]string, len(allFamilies))
	for i, f := range allFamilies {
		out[i] = f.name
	}
	return out
}

// FamilyDoc returns a one-line description of a family, or "" for an unknown name.
func FamilyDoc(name string) string {
	for _, f := range allFamilies {
		if f.name == name {
			return f.doc
		}
	}
	return ""
}

// Generate returns the lookalike candidates of a domain name (see Parse for what is
// accepted), never including the name itself, each name once under the first family that
// made it, in a fixed order (families in the order of Families, each in its own order).
func Generate(domain string, opt Options) ([]Candidate, error) {
	n, err := Parse(domain)
	if err != nil {
		return nil, err
	}
	return n.Candidates(opt)
}

// Candidates is Generate for a name already parsed.
func (n Name) Candidates(opt Options) ([]Candidate, error) {
	fams, err := selectFamilies(opt.Families)
	if err != nil {
		return nil, err
	}
	g, err := newGen(n, opt)
	if err != nil {
		return nil, err
	}
	for _, f := range fams {
		g.family = f.name
		f.run(g)
	}
	return g.result(), nil
}

func selectFamilies(names []string) ([]family, error) {
	if len(names) == 0 {
		return allFamilies, nil
	}
	var out []family
	for _, f := range allFamilies {
		if slices.Contains(names, f.name) {
			out = append(out, f)
		}
	}
	for _, name := range names {
		if FamilyDoc(name) == "" {
			return nil, fmt.Errorf("%w %q (known: %s)", ErrFamily, name, strings.Join(Families(), ", "))
		}
	}
	return out, nil
}

// suffix is a public suffix in both forms.
type suffix struct{ uni, ascii string }

// gen collects the candidates of one name.
//
// Most candidates differ from the name only in the registrable label, so they are deduped
// by label: labels holds every label variant tried (valid or not) and the ASCII form of
// every one emitted, so that a repeat — frequent among two-step homoglyphs — costs one
// lookup and no allocation. Names that change more than the label are deduped whole.
type gen struct {
	n      Name
	family string
	check  checker
	label  []rune          // the registrable label
	labels map[string]bool // label variants tried and ASCII labels emitted
	names  map[string]bool // ASCII names emitted that differ in more than the label
	text   []byte          // the candidates' names, one after the other
	spans  []span          // the candidates, in order: where their names are in text
	buf    []byte          // scratch space for building a label
	words  []string        // dictionary words, canonical
	tlds   []suffix        // suffixes for tld-swap
}

func newGen(n Name, opt Options) (*gen, error) {
	words, err := normalizeWords(opt.Dictionary)
	if err != nil {
		return nil, err
	}
	tlds, err := normalizeTLDs(opt.TLDs)
	if err != nil {
		return nil, err
	}
	g := &gen{
		n:      n,
		check:  checker{local: map[rune]bool{}, bidiName: hasRTL(n.String())},
		label:  []rune(n.Label),
		labels: make(map[string]bool, estimate(n.Label)),
		names:  map[string]bool{n.ASCII(): true},
		words:  words,
		tlds:   tlds,
	}
	g.labels[n.Label] = true
	est := estimate(n.Label)
	g.spans = make([]span, 0, est/2)
	g.text = make([]byte, 0, est/2*2*(len(n.prefixASCII)+len(n.suffixASCII)+len(n.labelASCII)+12))
	return g, nil
}

// estimate guesses how many label variants a label gets (two-step homoglyphs grow with the
// square of the number of characters that have look-alikes), so that the map seldom grows.
func estimate(label string) int {
	n := 0
	for _, r := range label {
		if len(tables().latin[r]) > 0 {
			n++
		}
	}
	return min(500+n*n*150, 1<<17)
}

// runes emits the name with the label replaced by rs.
func (g *gen) runes(rs []rune) {
	g.buf = g.buf[:0]
	for _, r := range rs {
		g.buf = utf8.AppendRune(g.buf, r)
	}
	g.bytes(g.buf)
}

// bytes emits the name with the label replaced by l (UTF-8).
func (g *gen) bytes(l []byte) {
	if g.labels[string(l)] {
		return
	}
	raw := string(l)
	g.labels[raw] = true
	a, u, ok := g.check.labelForms(raw)
	if !ok {
		return
	}
	if u != raw {
		// Another variant may have had this canonical form (a punycode label, or one
		// that the UTS #46 mapping folds, such as full-width letters).
		if g.labels[u] {
			return
		}
		g.labels[u] = true
	}
	g.emitParts(a, u)
}

// emitParts adds the candidate whose label has these forms. Its names go into g.text,
// which becomes one string at the end (see result): one allocation for all candidates
// instead of one each, which matters at tens of thousands of candidates per name.
func (g *gen) emitParts(a, u string) {
	n := &g.n
	start := len(g.text)
	g.text = appendJoin(g.text, n.prefixASCII, a, n.suffixASCII)
	mid := len(g.text)
	if mid-start > maxName {
		g.text = g.text[:start]
		return
	}
	if a != u || n.Prefix != n.prefixASCII || n.Suffix != n.suffixASCII {
		g.text = appendJoin(g.text, n.Prefix, u, n.Suffix)
		if g.check.bidiName && !bidiOK(string(g.text[mid:])) {
			g.text = g.text[:start]
			return
		}
	}
	g.spans = append(g.spans, span{start, mid, len(g.text), g.family})
}

// span locates a candidate's names in g.text: the ASCII name is text[start:mid], the
// Unicode one text[mid:end], or the ASCII one again when that is empty.
type span struct {
	start, mid, end int
	family          string
}

// result turns the spans into candidates sharing one string.
func (g *gen) result() []Candidate {
	text := string(g.text)
	out := make([]Candidate, len(g.spans))
	for i, s := range g.spans {
		c := Candidate{Domain: text[s.start:s.mid], Unicode: text[s.mid:s.end], Family: s.family}
		if s.mid == s.end {
			c.Unicode = c.Domain
		}
		out[i] = c
	}
	return out
}

func appendJoin(b []byte, prefix, label, suffix string) []byte {
	if prefix != "" {
		b = append(append(b, prefix...), '.')
	}
	return append(append(append(b, label...), '.'), suffix...)
}

func (g *gen) str(l string) { g.bytes(append(g.buf[:0], l...)) }

// name emits a name built from labels in front of a suffix: left may hold several labels
// (the subdomain and various families move dots). A name that differs from the input only
// in its registrable label goes the label's way, so that it is deduped with those.
func (g *gen) name(left string, s suffix) {
	if s.ascii == g.n.suffixASCII {
		rest, ok := strings.CutPrefix(left, g.n.Prefix)
		if g.n.Prefix != "" {
			rest, ok = strings.CutPrefix(rest, ".")
		}
		if ok && rest != "" && !strings.Contains(rest, ".") {
			g.str(rest)
			return
		}
	}
	var as, us []string
	for _, l := range strings.Split(left, ".") {
		a, u, ok := g.check.labelForms(l)
		if !ok {
			return
		}
		as, us = append(as, a), append(us, u)
	}
	ascii := strings.Join(as, ".") + "." + s.ascii
	if g.names[ascii] || len(ascii) > maxName {
		return
	}
	uni := strings.Join(us, ".") + "." + s.uni
	if g.check.bidiName && !bidiOK(uni) {
		return
	}
	g.names[ascii] = true
	start := len(g.text)
	g.text = append(append(g.text, ascii...), uni...)
	g.spans = append(g.spans, span{start, start + len(ascii), len(g.text), g.family})
}

// checker validates candidate labels; local caches the runes of the input that the
// prepared tables do not cover.
type checker struct {
	local    map[rune]bool
	bidiName bool // the name holds right-to-left text: whole names get the bidi rule
	buf      []byte
}

// simple reports whether a non-ASCII label is made only of lower-case ASCII letters,
// digits, inner hyphens and stable runes, so that encoding it is all that is left to do.
func (c *checker) simple(l string) bool {
	if c.bidiName || l[0] == '-' || l[len(l)-1] == '-' || len(l) >= 4 && l[2] == '-' && l[3] == '-' {
		return false
	}
	st := tables().stable
	for _, r := range l {
		if r < utf8.RuneSelf {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
			continue
		}
		ok, known := st[r]
		if !known {
			if ok, known = c.local[r]; !known {
				ok = stableRune(r)
				c.local[r] = ok
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func hasRTL(s string) bool {
	for _, r := range s {
		if p, _ := bidi.LookupRune(r); p.Class() == bidi.R || p.Class() == bidi.AL || p.Class() == bidi.AN {
			return true
		}
	}
	return false
}

// bidiOK applies the bidi rule across a whole name holding right-to-left labels.
func bidiOK(uni string) bool {
	_, err := idna.Lookup.ToASCII(uni)
	return err == nil
}

// normalizeWords maps dictionary words to their canonical form; each must be a label
// fragment (letters, digits, inner hyphens, or Japanese).
func normalizeWords(words []string) ([]string, error) {
	if words == nil {
		words = DefaultDictionary
	}
	out := make([]string, 0, len(words))
	for _, w := range words {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		u, err := idna.Lookup.ToUnicode(w)
		if err != nil || strings.Contains(u, ".") || u == "" || !utf8.ValidString(u) {
			return nil, fmt.Errorf("dictionary word %q: not usable in a domain label", w)
		}
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out, nil
}

// normalizeTLDs checks that each entry is a public suffix and gives both of its forms.
func normalizeTLDs(tlds []string) ([]suffix, error) {
	if tlds == nil {
		tlds = DefaultTLDs
	}
	out := make([]suffix, 0, len(tlds))
	for _, t := range tlds {
		t = strings.Trim(strings.TrimSpace(t), ".")
		if t == "" {
			continue
		}
		a, err := idna.Lookup.ToASCII(t)
		if err != nil {
			return nil, fmt.Errorf("TLD %q: not a valid domain name", t)
		}
		if ps, icann := publicsuffix.PublicSuffix(a); ps != a || (!icann && !strings.Contains(a, ".")) {
			return nil, fmt.Errorf("TLD %q: not a public suffix", t)
		}
		u, _ := idna.Lookup.ToUnicode(a)
		if !slices.ContainsFunc(out, func(s suffix) bool { return s.ascii == a }) {
			out = append(out, suffix{u, a})
		}
	}
	return out, nil
}
