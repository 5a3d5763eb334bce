package ioc

import (
	"regexp"
	"strings"
)

// The defanged forms undone, in order. Full-width forms (．＠：／) were already turned into
// ASCII by NFKC before these run.
var refangRules = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[\[\(\{]://[\]\)\}]`), "://"},                      // [://]
	{regexp.MustCompile(`[\[\(\{]:[\]\)\}]`), ":"},                          // [:]
	{regexp.MustCompile(`(?i)[\[\(\{](?:\.|dot)[\]\)\}]`), "."},             // [.] (.) {.} [dot] (dot)
	{regexp.MustCompile(`(?i)[\[\(\{](?:@|at)[\]\)\}]`), "@"},               // [@] [at] (at)
	{regexp.MustCompile(`\\\.`), "."},                                       // example\.com
	{regexp.MustCompile(`(?i)\bh(?:xx|\*\*|xt|tx)p(s?)://`), "http${1}://"}, // hxxp:// hXXps://
	{regexp.MustCompile(`(?i)\bf(?:x|\*)p://`), "ftp://"},                   // fxp://
	// "。" between two letters or digits is a dot typed in Japanese mode; the full stop
	// that ends a sentence after an indicator is left alone.
	{regexp.MustCompile(`([A-Za-z0-9])[。｡]([A-Za-z0-9])`), "${1}.${2}"},
}

// refang undoes the defanging in one whitespace-free chunk and says whether it changed.
func refang(chunk string) (string, bool) {
	if !strings.ContainsAny(chunk, "[({\\。｡") && !hasDefangedScheme(chunk) {
		return chunk, false
	}
	out := chunk
	for _, r := range refangRules {
		out = r.re.ReplaceAllString(out, r.with)
	}
	return out, out != chunk
}

func hasDefangedScheme(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "xp://") || strings.Contains(l, "*p://") || strings.Contains(l, "xps://") ||
		strings.Contains(l, "*ps://")
}

// tokens splits a refanged chunk into words at characters that cannot be part of an
// indicator: anything outside printable ASCII (Japanese text around an indicator has no
// spaces) and quotes, commas and the like; then trims surrounding punctuation.
func tokens(chunk string) []string {
	var out []string
	start := -1
	flush := func(end int) {
		if start >= 0 {
			out = appendWords(out, chunk[start:end])
			start = -1
		}
	}
	for i := 0; i < len(chunk); i++ {
		c := chunk[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"'`,;<>|", c) >= 0 {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
		}
	}
	flush(len(chunk))
	return out
}

// MaxWord is the longest word considered; a longer one is not an indicator.
const MaxWord = 8192

// appendWords trims a word and removes a label before it ("URL:", "MD5:", "mailto:").
// Brackets split a word that has no slash: only URLs keep brackets inside.
func appendWords(out []string, w string) []string {
	if len(w) > MaxWord {
		return out
	}
	w = stripLabel(trim(w))
	if w == "" {
		return out
	}
	if strings.ContainsRune(w, '/') || !strings.ContainsAny(w, "()[]{}") {
		return append(out, w)
	}
	for _, part := range strings.FieldsFunc(w, func(r rune) bool { return strings.ContainsRune("()[]{}", r) }) {
		if part = stripLabel(trim(part)); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// stripLabel removes "word:" before an indicator, unless the colon begins "://" or the
// word is part of an IPv6 address.
func stripLabel(w string) string {
	for range 3 {
		i := strings.IndexByte(w, ':')
		addr, _, _ := strings.Cut(w, "/")
		if i <= 0 || i > 32 || strings.HasPrefix(w[i:], "://") || i+1 == len(w) || looksIPv6(addr) || !isLabel(w[:i]) {
			return w
		}
		w = trim(w[i+1:])
	}
	return w
}

func isLabel(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// trim removes punctuation around a word: enclosing brackets, sentence punctuation at
// the ends, and unmatched brackets; it keeps brackets that match inside the word (a URL
// path, an IPv6 URL host) and a "::" at either end (an IPv6 address). Bracket counts are
// kept up to date rather than recounted, so a long word costs linear time.
func trim(t string) string {
	const opens, closes = "([{", ")]}"
	var open, close [3]int
	for i := 0; i < len(t); i++ {
		if k := strings.IndexByte(opens, t[i]); k >= 0 {
			open[k]++
		} else if k := strings.IndexByte(closes, t[i]); k >= 0 {
			close[k]++
		}
	}
	for t != "" {
		first, last := t[0], t[len(t)-1]
		fo, lc := strings.IndexByte(opens, first), strings.IndexByte(closes, last)
		switch {
		case len(t) >= 2 && fo >= 0 && lc == fo:
			open[fo]--
			close[lc]--
			t = t[1 : len(t)-1]
		case strings.IndexByte(".!?", last) >= 0, last == ':' && !strings.HasSuffix(t, "::"):
			t = t[:len(t)-1]
		case first == ':' && !strings.HasPrefix(t, "::"), first == '.':
			t = t[1:]
		case lc >= 0 && open[lc] < close[lc]:
			close[lc]--
			t = t[:len(t)-1]
		case fo >= 0 && open[fo] > close[fo]:
			open[fo]--
			t = t[1:]
		default:
			return t
		}
	}
	return t
}
