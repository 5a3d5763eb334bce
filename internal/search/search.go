// Package search is Renkei's full-text search: one tokenizer, written in Go, whose output
// both database backends index the same way, so that a search finds the same topics on
// SQLite and on PostgreSQL.
//
// # Why tokenize in Go
//
// Japanese is written without spaces, so a search engine has to cut text into pieces
// itself. Neither database does this well out of the box: SQLite's FTS5 trigram
// tokenizer cannot find words shorter than three characters (攻撃 "attack" finds
// nothing), its unicode61 tokenizer makes a whole run of kanji and kana one token (攻撃情報
// is a single word, so 攻撃 is not found in it), and the PostgreSQL extensions built for
// this (pg_bigm, PGroonga) are not in Debian's packages. So the text is cut here, the
// pieces are stored as plain space-separated words, and each database only has to split
// on spaces: FTS5 with the unicode61 tokenizer, PostgreSQL with to_tsvector('simple', …)
// and a GIN index.
//
// # The tokenizer
//
// Text is normalized first: NFKC (full-width ＤＤｏＳ becomes ddos, half-width ｶﾀｶﾅ becomes
// カタカナ, ① becomes 1), lower case, and hiragana folded to katakana (ふぃっしんぐ finds
// フィッシング). Combining marks and invisible format characters (variation selectors,
// zero-width spaces, soft hyphens) are dropped without breaking a word. Then:
//
//   - A run of CJK characters (kanji, hiragana, katakana with the prolonged sound mark ー,
//     hangul) becomes its overlapping two-character pieces plus its last character alone:
//     攻撃情報 → 攻撃 撃情 情報 報. A word of two or more characters is then a phrase of
//     adjacent pieces, and every character begins a piece, so a one-character search is
//     a prefix search.
//   - A run of letters and digits of any other script is one word: DDoS → ddos. Words are
//     split at anything else, so CVE-2026-12345 becomes the adjacent words cve 2026 12345
//     and the phrase finds it. Words are cut to their first MaxWord (128) characters: a
//     SHA-512 hash in hex stays whole.
//   - Everything else (punctuation, symbols, emoji, spaces, and numbers that are symbols
//     such as ❶) separates tokens and is dropped.
//
// The index is larger than a word index (about two tokens per CJK character) but needs no
// dictionary, never misses a word because a dictionary cut it differently, and is the
// same on both backends. An index text stops at MaxIndexBytes. Version is stored with
// every indexed row; when the rules here change, bump it and the rows written by an older
// version are rebuilt.
//
// # Queries
//
// A query is split at white space (the ideographic space too); a "quoted phrase" is one
// term, and every term must match. Each term is tokenized like the text and becomes a
// phrase of adjacent tokens:
//
//   - 攻撃情報 matches the adjacent pieces 攻撃 撃情 情報; a one-character CJK term such as
//     攻 is a prefix search for pieces starting with 攻.
//   - A word of two or more characters with a letter in it matches as a prefix: ddo finds
//     ddos. Numbers and single letters match exactly, so 192.168.1.1 does not find
//     192.168.1.100 and CVE-2026-1234 does not find CVE-2026-12345. A quoted phrase matches
//     its last word exactly too.
//   - A mixed term (DDoS攻撃) is one phrase of its words and pieces.
//
// There are no operators: characters such as - * ( ) : ^ and words such as OR and NOT are
// searched as text (punctuation is dropped, OR is a word). FTS5 and TSQuery quote every
// token, so no input can produce a syntax error.
//
// # PostgreSQL
//
// The 'simple' configuration lower-cases and keeps every word its parser finds, but the
// parser classifies characters with the C library and the database's LC_CTYPE:
//
//   - In a UTF-8 database (LC_CTYPE C, C.UTF-8 or any *.UTF-8 locale) it takes CJK as
//     letters, as needed. In a SQL_ASCII database it drops every non-ASCII character, and
//     search finds no Japanese at all; CheckPostgres detects this.
//   - It drops numbers that are symbols (❶ ⓫ ㉈) and letters newer than its C library's
//     Unicode version (glibc 2.36 in Debian 12 knows Unicode 14; Go's tables are 15), so
//     the tokenizer drops them too (see unicode15).
//   - It reads a few words as a number followed by a word (12e3abc → 12e3 abc) where FTS5
//     keeps one token; queries go through the same parser, so such words are still found.
//
// A tsvector keeps positions up to 16383 only, so in a text of more tokens than that (about
// 16,000 CJK characters) PostgreSQL misses a phrase that occurs only further on, where
// SQLite finds it; single tokens are still found. It refuses a tsvector over 1 MB, which
// MaxIndexBytes keeps clear of.
package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Version of the tokenizer; stored with each indexed row so the index can be rebuilt
// when it changes.
const Version = 1

// MaxWord is the length in characters at which a non-CJK word is cut (PostgreSQL does
// not index words over 2 KB).
const MaxWord = 128

// MaxIndexBytes bounds the index text of one text. PostgreSQL refuses a tsvector over
// 1 MB, which about 750 KB of index text of distinct bigrams reaches; what comes after
// the limit is not indexed (about 200 KB of Japanese text, 500 KB of English come first).
const MaxIndexBytes = 512 << 10

// Tokens returns the index text for s: its tokens separated by single spaces, at most
// MaxIndexBytes of them.
func Tokens(s string) string {
	f := fold(s)
	if f == "" {
		return ""
	}
	var b strings.Builder
	// A CJK character lands in two bigrams: 7 bytes of output for its 3.
	b.Grow(min(len(f)*5/2+16, MaxIndexBytes))
	scan(f, func(tok string, _ kind) bool {
		if b.Len()+1+len(tok) > MaxIndexBytes {
			return false
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(tok)
		return true
	})
	return b.String()
}

// class is what a character of folded text is to the tokenizer.
type class uint8

const (
	sep  class = iota // separates tokens and is dropped
	word              // part of a word of a non-CJK script
	cjk               // part of a CJK run, cut into bigrams
)

// kind says where a token came from, for the query parser.
type kind uint8

const (
	kWord   kind = iota // a whole (perhaps cut) word
	kBigram             // two adjacent characters of a CJK run
	kLast               // the last character of a CJK run of two or more
	kSingle             // a CJK run of one character
)

// asciiClass classifies folded ASCII: lower-case letters and digits are word characters.
var asciiClass = func() (t [128]class) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = word
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = word
	}
	return t
}()

// classOf classifies a character of folded text (see fold).
func classOf(r rune) class {
	if r < utf8.RuneSelf {
		return asciiClass[r]
	}
	// The common Japanese ranges first: kana (without punctuation such as ゠ and ・) and
	// the main kanji block.
	if (r >= 0x3041 && r <= 0x3096) || (r >= 0x309D && r <= 0x309F) || (r >= 0x30A1 && r <= 0x30FA) ||
		(r >= 0x30FC && r <= 0x30FF) || (r >= 0x4E00 && r <= 0x9FFF) {
		return cjk
	}
	// Letters, decimal digits and letter-like numbers (〇, Ⅻ); other numbers such as ❶
	// are symbols, which PostgreSQL's parser drops.
	if !unicode.IsLetter(r) && !unicode.In(r, unicode.Nd, unicode.Nl) {
		return sep
	}
	if r >= 0x11000 && unicode.Is(unicode15, r) {
		return sep
	}
	if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
		return cjk
	}
	return word
}

// unicode15 holds the letters and digits added in Unicode 15.0. Go's tables are Unicode
// 15.0, but PostgreSQL's parser classifies characters with the C library, and glibc 2.36
// (Debian 12) knows Unicode 14.0: it drops these, so they are separators here too, and
// both databases see the same tokens. TestUnicodeVersion fails when Go's tables change.
var unicode15 = &unicode.RangeTable{R32: []unicode.Range32{
	{Lo: 0x1123F, Hi: 0x11240, Stride: 1}, // Khojki
	{Lo: 0x11F00, Hi: 0x11F5F, Stride: 1}, // Kawi
	{Lo: 0x1342F, Hi: 0x1342F, Stride: 1}, // Egyptian hieroglyphs
	{Lo: 0x13441, Hi: 0x13446, Stride: 1},
	{Lo: 0x1B132, Hi: 0x1B132, Stride: 1}, // small kana ko
	{Lo: 0x1B155, Hi: 0x1B155, Stride: 1},
	{Lo: 0x1DF25, Hi: 0x1DF2A, Stride: 1}, // Latin extended-G
	{Lo: 0x1E4D0, Hi: 0x1E4FF, Stride: 1}, // Nag Mundari
	{Lo: 0x2B739, Hi: 0x2B739, Stride: 1}, // CJK extension C
	{Lo: 0x31350, Hi: 0x323AF, Stride: 1}, // CJK extension H
}}

// transparent reports whether r is dropped without ending a token: combining marks
// (including variation selectors) and invisible format characters. A few letters that
// were spacing marks in Unicode 6.1, whose tables FTS5's unicode61 tokenizer uses, count
// as marks too, so that FTS5 never splits a token.
func transparent(r rune) bool {
	if (r >= 0x19B0 && r <= 0x19C0) || r == 0x19C8 || r == 0x19C9 || r == 0x1CF2 || r == 0x1CF3 {
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc, unicode.Cf)
}

// mapRune lower-cases r and folds hiragana to katakana; it returns -1 for a transparent
// character. r is NFKC-normalized.
func mapRune(r rune) rune {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	case r >= 0x3041 && r <= 0x3096, r == 0x309D, r == 0x309E: // ぁ…ゖ ゝ ゞ → ァ…ヶ ヽ ヾ
		return r + 0x60
	case r >= 0x30A0 && r <= 0x30FF, r >= 0x4E00 && r <= 0x9FFF:
		return r
	case transparent(r):
		return -1
	case r == 'ς': // final sigma: FTS5 folds it to σ, PostgreSQL does not
		return 'σ'
	}
	return unicode.ToLower(r)
}

// fold returns s normalized for tokenizing: NFKC, every character mapped by mapRune, and
// transparent characters removed. Invalid UTF-8 becomes U+FFFD first, a separator.
//
// NFKC is the costly part, and most of a Japanese or English text does not need the
// general algorithm: the characters quickNFKC knows are mapped on the spot, and only the
// stretches between them go through norm, together with the character before (which a
// combining mark may join).
func fold(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	b := make([]byte, 0, len(s)+8)
	last, lastOut := -1, 0 // where the quick character just before i starts, in s and b
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			last, lastOut = i, len(b)
			b = append(b, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if m, ok := quickNFKC(r); ok {
			last, lastOut = i, len(b)
			switch {
			case m < utf8.RuneSelf:
				if 'A' <= m && m <= 'Z' {
					m += 'a' - 'A'
				}
				b = append(b, byte(m))
			case m >= 0x3041 && m <= 0x3096:
				b = utf8.AppendRune(b, m+0x60) // hiragana to katakana
			default:
				b = utf8.AppendRune(b, m)
			}
			i += n
			continue
		}
		start := i
		if last >= 0 {
			start, b = last, b[:lastOut]
		}
		j := i + n
		for j < len(s) && s[j] >= utf8.RuneSelf {
			r2, n2 := utf8.DecodeRuneInString(s[j:])
			if _, ok := quickNFKC(r2); ok {
				break
			}
			j += n2
		}
		for _, r := range norm.NFKC.String(s[start:j]) {
			if m := mapRune(r); m >= utf8.RuneSelf {
				b = utf8.AppendRune(b, m)
			} else if m >= 0 {
				b = append(b, byte(m))
			}
		}
		last, i = -1, j
	}
	return string(b)
}

// quickNFKC returns what NFKC makes of r for the characters that need no context, unless
// a combining mark follows: kana, the main kanji block, common Japanese punctuation, the
// ideographic space, and the full-width and half-width forms of ASCII and katakana.
// Composition never takes one of these (or what it becomes) as its second character, so
// such a character also ends the effect of what comes before it. (ASCII is the same but
// fold handles it before.)
func quickNFKC(r rune) (rune, bool) {
	switch {
	case r < utf8.RuneSelf,
		r >= 0x4E00 && r <= 0x9FFF,
		r >= 0x3041 && r <= 0x3096,
		r >= 0x30A1 && r <= 0x30FC,
		r >= 0x3001 && r <= 0x3002,
		r >= 0x300C && r <= 0x300F:
		return r, true
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		return r - 0xFEE0, true
	case r == 0x3000: // ideographic space
		return ' ', true
	case r >= 0xFF61 && r <= 0xFF9D: // half-width katakana and punctuation
		return halfWidth[r-0xFF61], true
	}
	return 0, false
}

// halfWidth holds NFKC of U+FF61…U+FF9D, one character each.
var halfWidth = func() (t [0xFF9D - 0xFF61 + 1]rune) {
	for i := range t {
		t[i], _ = utf8.DecodeRuneInString(norm.NFKC.String(string(rune(0xFF61 + i))))
	}
	return t
}()

// scan calls emit with every token of folded text f, in order, until emit returns false.
// Tokens are substrings of f: transparent characters are gone, so the two characters of
// a bigram are adjacent.
func scan(f string, emit func(tok string, k kind) bool) {
	wordStart, wordEnd, wordLen := -1, 0, 0 // current word: f[wordStart:wordEnd] kept
	runPrev, runLen := -1, 0                // current CJK run: start of its last character
	ok := true
	endRun := func(end int) {
		if runLen == 1 {
			ok = emit(f[runPrev:end], kSingle)
		} else if runLen > 1 {
			ok = emit(f[runPrev:end], kLast)
		}
		runPrev, runLen = -1, 0
	}
	endWord := func() {
		if wordStart >= 0 {
			ok = emit(f[wordStart:wordEnd], kWord)
			wordStart = -1
		}
	}
	for i := 0; i < len(f) && ok; {
		r, n := rune(f[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(f[i:])
		}
		switch classOf(r) {
		case word:
			if runLen > 0 {
				endRun(i)
			}
			if wordStart < 0 {
				wordStart, wordLen = i, 0
			}
			if wordLen < MaxWord {
				wordLen++
				wordEnd = i + n
			}
			// The rest of an ASCII word at once.
			for i+n < len(f) && f[i+n] < utf8.RuneSelf && asciiClass[f[i+n]] == word {
				if wordLen < MaxWord {
					wordLen++
					wordEnd = i + n + 1
				}
				n++
			}
		case cjk:
			endWord()
			if runLen > 0 {
				ok = emit(f[runPrev:i+n], kBigram)
			}
			runPrev = i
			runLen++
		default:
			endWord()
			if runLen > 0 {
				endRun(i)
			}
		}
		i += n
	}
	if ok {
		endWord()
	}
	if ok && runLen > 0 {
		endRun(len(f))
	}
}
