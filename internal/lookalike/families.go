package lookalike

import (
	"slices"
	"strings"
)

// The families. Each works on the registrable label as characters (runes), so that a
// Japanese label is cut between characters, never inside one; rules about keys, vowels
// and bits touch only its ASCII characters.

const alnum = "0123456789abcdefghijklmnopqrstuvwxyz"

func addition(g *gen) {
	rs := append(slices.Clone(g.label), 0)
	for _, c := range alnum {
		rs[len(rs)-1] = c
		g.runes(rs)
	}
}

// bitsquatting flips each bit of each ASCII character, keeping flips that give a letter,
// digit or hyphen. For an IDN label it also flips the bits of its punycode form, which is
// what travels in DNS messages and memory.
func bitsquatting(g *gen) {
	rs := slices.Clone(g.label)
	for i, r := range g.label {
		if r >= 0x80 {
			continue
		}
		for bit := 0; bit < 8; bit++ {
			if f := r ^ (1 << bit); isLDH(f) {
				rs[i] = f
				g.runes(rs)
			}
		}
		rs[i] = r
	}
	if a := g.n.labelASCII; strings.HasPrefix(a, "xn--") {
		b := []byte(a)
		for i := 4; i < len(b); i++ {
			c := b[i]
			for bit := 0; bit < 8; bit++ {
				if f := c ^ (1 << bit); isLDH(rune(f)) {
					b[i] = f
					g.bytes(b)
				}
			}
			b[i] = c
		}
	}
}

func isLDH(r rune) bool { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' }

// cyrillic writes the whole label in Cyrillic when every letter has a Cyrillic twin
// (digits and hyphens stay): a single-script label, which registries and browsers accept
// where a mixed one would be refused or shown as punycode.
func cyrillic(g *gen) {
	rs := slices.Clone(g.label)
	changed := false
	for i, r := range rs {
		if t, ok := cyrillicTwins[r]; ok {
			rs[i] = t
			changed = true
		} else if !(r >= '0' && r <= '9' || r == '-') {
			return
		}
	}
	if changed {
		g.runes(rs)
	}
}

// homoglyph replaces characters by look-alikes, in one or two steps (see twoStepMax). A
// step picks a character, one of its look-alikes and a run of consecutive occurrences of
// the character (one of them, some in a row, or all), and replaces that run.
func homoglyph(g *gen) {
	tab := tables().latin
	var first [][]rune
	kept := map[string]bool{}
	substitute(g.label, tab, func(v []rune) {
		g.runes(v)
		if !kept[string(v)] {
			kept[string(v)] = true
			first = append(first, slices.Clone(v))
		}
	})
	if len(first) > twoStepMax {
		return
	}
	for _, v := range first {
		substitute(v, tab, g.runes)
	}
}

// substitute calls emit with every variant of rs that one step of tab makes (see
// homoglyph). The slice passed to emit is reused: emit must copy what it keeps.
func substitute(rs []rune, tab glyphs, emit func([]rune)) {
	var out []rune
	var pos []int
	for i, c := range rs {
		gs := tab[c]
		if len(gs) == 0 || slices.Index(rs, c) < i {
			continue // no look-alike, or done at its first occurrence
		}
		pos = pos[:0]
		for j := i; j < len(rs); j++ {
			if rs[j] == c {
				pos = append(pos, j)
			}
		}
		for a := range pos {
			for b := a; b < len(pos); b++ {
				for _, glyph := range gs {
					out = out[:0]
					for j, r := range rs {
						if r == c && j >= pos[a] && j <= pos[b] {
							out = append(out, glyph...)
						} else {
							out = append(out, r)
						}
					}
					emit(out)
				}
			}
		}
	}
}

func hyphenation(g *gen) {
	for i := 1; i < len(g.label); i++ {
		g.runes(slices.Insert(slices.Clone(g.label), i, '-'))
	}
}

// insertion adds a key that touches a character, before or after it.
func insertion(g *gen) {
	nb := tables().neighbours
	for i, r := range g.label {
		for _, k := range nb[r] {
			g.runes(slices.Insert(slices.Clone(g.label), i, k))
			g.runes(slices.Insert(slices.Clone(g.label), i+1, k))
		}
	}
}

func omission(g *gen) {
	for i := range g.label {
		g.runes(slices.Delete(slices.Clone(g.label), i, i+1))
	}
}

// plural adds the English plural ending: -s, -es after s, x, z, ch and sh, and -ies for a
// final consonant and y.
func plural(g *gen) {
	l := g.n.Label
	if l == "" || !isLetter(rune(l[len(l)-1])) {
		return
	}
	g.str(l + "s")
	switch {
	case strings.HasSuffix(l, "s"), strings.HasSuffix(l, "x"), strings.HasSuffix(l, "z"),
		strings.HasSuffix(l, "ch"), strings.HasSuffix(l, "sh"):
		g.str(l + "es")
	case len(l) >= 2 && l[len(l)-1] == 'y' && !strings.ContainsRune("aeiou", rune(l[len(l)-2])):
		g.str(l[:len(l)-1] + "ies")
	}
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' }

func repetition(g *gen) {
	for i, r := range g.label {
		g.runes(slices.Insert(slices.Clone(g.label), i, r))
	}
}

// replacement types a key that touches a character instead of it.
func replacement(g *gen) {
	nb := tables().neighbours
	rs := slices.Clone(g.label)
	for i, r := range g.label {
		for _, k := range nb[r] {
			rs[i] = k
			g.runes(rs)
		}
		rs[i] = r
	}
}

// subdomain puts a dot inside the label: exam.ple.co.jp.
func subdomain(g *gen) {
	own := suffix{g.n.Suffix, g.n.suffixASCII}
	for i := 1; i < len(g.label); i++ {
		g.name(g.withPrefix(string(g.label[:i])+"."+string(g.label[i:])), own)
	}
}

func transposition(g *gen) {
	rs := slices.Clone(g.label)
	for i := 0; i+1 < len(rs); i++ {
		if rs[i] == rs[i+1] {
			continue
		}
		rs[i], rs[i+1] = rs[i+1], rs[i]
		g.runes(rs)
		rs[i], rs[i+1] = rs[i+1], rs[i]
	}
}

func vowelSwap(g *gen) {
	const vowels = "aeiou"
	rs := slices.Clone(g.label)
	for i, r := range g.label {
		if !strings.ContainsRune(vowels, r) {
			continue
		}
		for _, v := range vowels {
			if v != r {
				rs[i] = v
				g.runes(rs)
			}
		}
		rs[i] = r
	}
}

// various moves the public suffix around: into the label (exampleco.jp, example-co.jp,
// examplecom.com), out from under a second-level domain (example.jp for example.co.jp),
// under .com (example-co-jp.com, tokyo2020jp.com), and joins a prefix to the label
// (wwwexample.com, www-example.com).
func various(g *gen) {
	n := g.n
	own := suffix{n.Suffix, n.suffixASCII}
	firstU, restU, multi := strings.Cut(n.Suffix, ".")
	_, restA, _ := strings.Cut(n.suffixASCII, ".")
	if multi {
		rest := suffix{restU, restA}
		g.name(g.withPrefix(n.Label), rest)
		g.name(g.withPrefix(n.Label+firstU), rest)
		g.name(g.withPrefix(n.Label+"-"+firstU), rest)
	} else {
		g.name(g.withPrefix(n.Label+n.Suffix), own)
		g.name(g.withPrefix(n.Label+"-"+n.Suffix), own)
	}
	com := suffix{"com", "com"}
	g.name(g.withPrefix(n.Label+strings.ReplaceAll(n.Suffix, ".", "")), com)
	g.name(g.withPrefix(n.Label+"-"+strings.ReplaceAll(n.Suffix, ".", "-")), com)
	if p := n.Prefix; p != "" {
		g.name(p+n.Label, own)
		g.name(strings.ReplaceAll(p, ".", "")+n.Label, own)
		g.name(p+"-"+n.Label, own)
		g.name(strings.ReplaceAll(p, ".", "-")+"-"+n.Label, own)
	}
}

// dictionary joins each word to the label, before or after, with or without a hyphen, and
// for a hyphenated label also puts the word in place of its first or last part.
func dictionary(g *gen) {
	l := g.n.Label
	for _, w := range g.words {
		g.str(l + w)
		g.str(l + "-" + w)
		g.str(w + l)
		g.str(w + "-" + l)
	}
	if parts := strings.Split(l, "-"); len(parts) > 1 {
		head := strings.Join(parts[:len(parts)-1], "-")
		tail := strings.Join(parts[1:], "-")
		for _, w := range g.words {
			g.str(head + "-" + w)
			g.str(w + "-" + tail)
		}
	}
}

func tldSwap(g *gen) {
	for _, t := range g.tlds {
		if t.ascii != g.n.suffixASCII {
			g.name(g.withPrefix(g.n.Label), t)
		}
	}
}

func jaHomoglyph(g *gen)  { substitute(g.label, tables().jaASCII, g.runes) }
func jaConfusable(g *gen) { substitute(g.label, tables().jaConfuse, g.runes) }
func jaKana(g *gen)       { substitute(g.label, tables().jaKana, g.runes) }

// withPrefix puts the prefix labels, if any, in front of left.
func (g *gen) withPrefix(left string) string {
	if g.n.Prefix == "" {
		return left
	}
	return g.n.Prefix + "." + left
}
