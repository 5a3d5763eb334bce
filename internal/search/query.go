package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/renkei-dev/renkei/internal/fault"
	"golang.org/x/text/unicode/norm"
)

// Limits on a query, to keep its cost bounded.
const (
	MaxQueryRunes = 200 // characters, after trimming the white space around it
	MaxTerms      = 16  // terms that have something to search for
)

// Query is a parsed search: every term must match (AND).
type Query struct{ Terms []Term }

// Term is one word or quoted phrase of a query.
type Term struct {
	// Tokens must appear adjacent and in this order.
	Tokens []string
	// Prefix makes the last token match any token that begins with it.
	Prefix bool
	// Text is the normalized term as typed (without quotes and the punctuation around
	// it), for highlighting.
	Text string
}

// Parse parses a search as typed. It fails when q is longer than MaxQueryRunes or has
// more than MaxTerms terms; an empty query (or one with nothing to search for, such as
// only punctuation) gives a Query with no terms. The errors are fault.Invalid errors on
// the field "q".
func Parse(q string) (Query, error) {
	q = strings.TrimSpace(q)
	if utf8.RuneCountInString(q) > MaxQueryRunes {
		return Query{}, fault.Field("q", "search.too_long", "max", MaxQueryRunes)
	}
	var out Query
	seen := map[string]bool{}
	var err error
	splitTerms(norm.NFKC.String(q), func(raw string, quoted bool) bool {
		t, ok := parseTerm(raw, quoted)
		if !ok {
			return true
		}
		key := t.FTS5()
		if seen[key] {
			return true
		}
		seen[key] = true
		if len(out.Terms) == MaxTerms {
			err = fault.Field("q", "search.too_many_terms", "max", MaxTerms)
			return false
		}
		out.Terms = append(out.Terms, t)
		return true
	})
	if err != nil {
		return Query{}, err
	}
	return out, nil
}

// isQuote reports whether r opens or closes a phrase. NFKC has already turned ＂ into ".
func isQuote(r rune) bool { return r == '"' || r == '“' || r == '”' }

// splitTerms calls fn with each term of q: the runs between white space, and the text
// between quotes (an unclosed quote runs to the end). It stops when fn returns false.
func splitTerms(q string, fn func(raw string, quoted bool) bool) {
	start := -1 // start of the current unquoted term
	for i := 0; i < len(q); {
		r, n := utf8.DecodeRuneInString(q[i:])
		switch {
		case isQuote(r):
			if start >= 0 && !fn(q[start:i], false) {
				return
			}
			start = -1
			j := i + n
			end := len(q)
			for k := j; k < len(q); {
				r2, n2 := utf8.DecodeRuneInString(q[k:])
				if isQuote(r2) {
					end = k
					break
				}
				k += n2
			}
			if !fn(q[j:end], true) {
				return
			}
			if end == len(q) {
				return
			}
			_, n2 := utf8.DecodeRuneInString(q[end:])
			i = end + n2
			continue
		case unicode.IsSpace(r):
			if start >= 0 && !fn(q[start:i], false) {
				return
			}
			start = -1
		default:
			if start < 0 {
				start = i
			}
		}
		i += n
	}
	if start >= 0 {
		fn(q[start:], false)
	}
}

type token struct {
	text string
	kind kind
}

// parseTerm turns one term into the phrase that finds it; ok is false when the term has
// nothing to search for.
func parseTerm(raw string, quoted bool) (Term, bool) {
	f := fold(raw)
	var toks []token
	scan(f, func(s string, k kind) bool { toks = append(toks, token{s, k}); return true })
	if len(toks) == 0 {
		return Term{}, false
	}
	t := Term{Text: trimSep(f)}
	last := toks[len(toks)-1]
	switch last.kind {
	case kLast:
		// The text goes on after a run that ends here only when the run ends here in
		// the document too; otherwise its last character is followed by more of the
		// run. The bigrams before already hold it.
		toks = toks[:len(toks)-1]
	case kSingle:
		// A single character is the start of a bigram or the end of a run.
		t.Prefix = true
	case kWord:
		t.Prefix = !quoted && prefixWord(last.text)
	}
	t.Tokens = make([]string, len(toks))
	for i, tk := range toks {
		t.Tokens[i] = tk.text
	}
	return t, true
}

// prefixWord reports whether a word typed last in a term matches as a prefix: when it has
// two characters or more and a letter in it. Numbers match exactly, so that 192.168.1.1
// does not find 192.168.1.100, and a single letter would match most of the index.
func prefixWord(w string) bool {
	if utf8.RuneCountInString(w) < 2 {
		return false
	}
	for _, r := range w {
		if !unicode.IsNumber(r) {
			return true
		}
	}
	return false
}

// trimSep removes separators from both ends of folded text.
func trimSep(f string) string {
	return strings.TrimFunc(f, func(r rune) bool { return classOf(r) == sep })
}

// Empty reports whether the query has nothing to search for; FTS5 and TSQuery are then
// empty strings, which neither database accepts as a search.
func (q Query) Empty() bool { return len(q.Terms) == 0 }

// FTS5 returns the expression for topic_fts MATCH ?: every term a quoted phrase, a
// prefix marked with * after its closing quote, the terms joined with AND.
func (q Query) FTS5() string {
	var b strings.Builder
	for i, t := range q.Terms {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(t.FTS5())
	}
	return b.String()
}

// FTS5 returns the term as an FTS5 phrase.
func (t Term) FTS5() string {
	var b strings.Builder
	b.WriteByte('"')
	for i, tok := range t.Tokens {
		if i > 0 {
			b.WriteByte(' ')
		}
		// Tokens hold only letters and digits; doubling quotes keeps any text a string.
		b.WriteString(strings.ReplaceAll(tok, `"`, `""`))
	}
	b.WriteByte('"')
	if t.Prefix {
		b.WriteByte('*')
	}
	return b.String()
}

// TSQuery returns the argument for to_tsquery('simple', ?): every token quoted, the tokens
// of a term joined with <-> (followed by), a prefix marked with :*, the terms joined with &.
func (q Query) TSQuery() string {
	var b strings.Builder
	for i, t := range q.Terms {
		if i > 0 {
			b.WriteString(" & ")
		}
		b.WriteString(t.TSQuery())
	}
	return b.String()
}

// TSQuery returns the term as a tsquery phrase.
func (t Term) TSQuery() string {
	var b strings.Builder
	if len(t.Tokens) > 1 {
		b.WriteByte('(')
	}
	for i, tok := range t.Tokens {
		if i > 0 {
			b.WriteString(" <-> ")
		}
		b.WriteByte('\'')
		// Tokens hold only letters and digits; escaping keeps any text a string.
		b.WriteString(tsQuoter.Replace(tok))
		b.WriteByte('\'')
	}
	if t.Prefix {
		b.WriteString(":*")
	}
	if len(t.Tokens) > 1 {
		b.WriteByte(')')
	}
	return b.String()
}

var tsQuoter = strings.NewReplacer(`'`, `''`, `\`, `\\`)
