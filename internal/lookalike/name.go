package lookalike

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Limits of a DNS name (RFC 1035), counted on the ASCII form.
const (
	maxLabel = 63
	maxName  = 253
)

// ErrDomain is wrapped by every error about a domain name given to Parse or Generate.
var ErrDomain = errors.New("invalid domain name")

// Name is a domain name split where lookalikes are made: the registrable label is mutated,
// the public suffix and any labels in front of the registrable one are kept. Each part is
// held in its canonical Unicode form (UTS #46 mapped: lower case, full-width folded) and in
// its ASCII form (punycode).
type Name struct {
	Prefix string // labels in front of the registrable label ("www"), or ""
	Label  string // the registrable label ("example", "日本レジストリ")
	Suffix string // the public suffix ("co.jp")

	prefixASCII, labelASCII, suffixASCII string
}

// String returns the name in Unicode.
func (n Name) String() string { return join(n.Prefix, n.Label, n.Suffix) }

// ASCII returns the name as it is resolved (punycode).
func (n Name) ASCII() string { return join(n.prefixASCII, n.labelASCII, n.suffixASCII) }

func join(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

// Parse checks a domain name and splits it around its registrable label, using the public
// suffix list: "www.example.co.jp" has the prefix "www", the label "example" and the suffix
// "co.jp". Unicode, punycode and full-width input ("ｅｘａｍｐｌｅ．ｊｐ") are accepted; a
// trailing dot is ignored. Names under a top-level domain the list does not know, public
// suffixes themselves and anything that is not a host name are refused.
func Parse(domain string) (Name, error) {
	s := strings.TrimSpace(domain)
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return Name{}, fmt.Errorf("%w: empty", ErrDomain)
	}
	if strings.ContainsAny(s, "/:@ \t?#") {
		return Name{}, fmt.Errorf("%w %q: give a host name, not a URL or an address", ErrDomain, domain)
	}
	ascii, err := idna.Lookup.ToASCII(s)
	if err != nil {
		return Name{}, fmt.Errorf("%w %q: not a valid host name or IDN (%v)", ErrDomain, domain, err)
	}
	ascii = strings.TrimSuffix(ascii, ".")
	if err := checkLengths(ascii); err != nil {
		return Name{}, fmt.Errorf("%w %q: %v", ErrDomain, domain, err)
	}
	suffix, icann := publicsuffix.PublicSuffix(ascii)
	if !icann && !strings.Contains(suffix, ".") {
		// Only the list's default rule gives a one-label suffix outside ICANN's section.
		return Name{}, fmt.Errorf("%w %q: unknown top-level domain %q", ErrDomain, domain, suffix)
	}
	reg, err := publicsuffix.EffectiveTLDPlusOne(ascii)
	if err != nil {
		return Name{}, fmt.Errorf("%w %q: a public suffix, not a registered domain", ErrDomain, domain)
	}
	n := Name{suffixASCII: suffix}
	n.labelASCII, _, _ = strings.Cut(reg, ".")
	n.prefixASCII = strings.TrimSuffix(strings.TrimSuffix(ascii, reg), ".")
	for _, p := range []struct {
		ascii string
		uni   *string
	}{{n.prefixASCII, &n.Prefix}, {n.labelASCII, &n.Label}, {n.suffixASCII, &n.Suffix}} {
		if *p.uni, err = idna.Lookup.ToUnicode(p.ascii); err != nil {
			return Name{}, fmt.Errorf("%w %q: %v", ErrDomain, domain, err)
		}
	}
	for _, l := range strings.Split(n.String(), ".") {
		if !contextOK(l) {
			return Name{}, fmt.Errorf("%w %q: a middle dot where IDNA2008 does not allow it", ErrDomain, domain)
		}
	}
	return n, nil
}

// checkLengths applies the DNS limits to a name in ASCII form.
func checkLengths(ascii string) error {
	if len(ascii) > maxName {
		return fmt.Errorf("longer than %d characters", maxName)
	}
	labels := strings.Split(ascii, ".")
	if len(labels) < 2 {
		return errors.New("a single label, not a domain")
	}
	for _, l := range labels {
		if l == "" || len(l) > maxLabel {
			return fmt.Errorf("each label must have 1 to %d characters", maxLabel)
		}
	}
	return nil
}

// labelForms returns the ASCII and canonical Unicode forms of one candidate label, and
// false when the label could not be delegated: not an LDH host name label (RFC 952/1123,
// with the "--" in the third and fourth places reserved for IDNA, RFC 5891 4.2.3.1), or an
// IDN label refused by the UTS #46 lookup rules (non-transitional, STD3, hyphen, joiner
// and bidi checks) or by the IDNA2008 CONTEXTO rules for the middle dots.
func (c *checker) labelForms(l string) (ascii, uni string, ok bool) {
	if isASCII(l) {
		if !ldh(l) {
			return "", "", false
		}
		if strings.HasPrefix(l, "xn--") {
			return c.fromPunycode(l)
		}
		if len(l) >= 4 && l[2] == '-' && l[3] == '-' {
			return "", "", false
		}
		return l, l, true
	}
	if c.simple(l) {
		c.buf = appendPunycode(c.buf[:0], []rune(l))
		if len(c.buf) > maxLabel {
			return "", "", false
		}
		return string(c.buf), l, true
	}
	a, err := idna.Lookup.ToASCII(l)
	if err != nil || len(a) > maxLabel || strings.Contains(a, ".") || a == "" {
		return "", "", false
	}
	if !isASCII(a) || (len(a) >= 4 && a[2] == '-' && a[3] == '-' && !strings.HasPrefix(a, "xn--")) {
		return "", "", false
	}
	if !strings.HasPrefix(a, "xn--") {
		// The mapping folded the label to plain ASCII (full-width letters, say).
		if !ldh(a) {
			return "", "", false
		}
		return a, a, true
	}
	return c.fromPunycode(a)
}

// fromPunycode checks an A-label: it must decode to a valid U-label that encodes back to
// the same A-label.
func (c *checker) fromPunycode(a string) (ascii, uni string, ok bool) {
	u, err := idna.Lookup.ToUnicode(a)
	if err != nil || u == a || strings.Contains(u, ".") || !contextOK(u) {
		return "", "", false
	}
	back, err := idna.Lookup.ToASCII(u)
	if err != nil || back != a {
		return "", "", false
	}
	return a, u, true
}

// ldh reports whether l is a host name label: letters, digits and inner hyphens.
func ldh(l string) bool {
	if l == "" || len(l) > maxLabel || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		b := l[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-') {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// contextOK applies the IDNA2008 CONTEXTO rules (RFC 5892 appendix A) that UTS #46 lookup
// leaves out, for the two code points a Japanese or Latin name may hold: the katakana
// middle dot needs a kana or kanji in the label, the middle dot must stand between two l.
func contextOK(u string) bool {
	if strings.ContainsRune(u, '・') && !strings.ContainsFunc(u, isKanaOrHan) {
		return false
	}
	rs := []rune(u)
	for i, r := range rs {
		if r == '·' && (i == 0 || i == len(rs)-1 || rs[i-1] != 'l' || rs[i+1] != 'l') {
			return false
		}
	}
	return true
}

func isKanaOrHan(r rune) bool {
	return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han)
}
