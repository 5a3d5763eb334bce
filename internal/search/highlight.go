package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Segment is a piece of highlighted text; Mark is set on the pieces that match a term.
type Segment struct {
	Text string
	Mark bool
}

// snapRunes is how far Highlight moves the ends of a window so as not to cut a word (at
// most an eighth of the window).
const snapRunes = 15

// Highlight returns text split into segments, marking every occurrence of a term
// (compared after the same normalization as Tokens: NFKC, lower case, hiragana folded to
// katakana). Punctuation and spaces inside a term match any run of separators (cve-2026
// marks "CVE 2026"); a term that starts with a word of a non-CJK script is marked only at
// the start of a word, and one whose last word matches exactly only at its end, as the
// search does. It returns at most max runes of text (no limit when max <= 0): the whole
// text if it fits, else a window around the first match, with cutStart and cutEnd set
// when text was left out before or after it. The window leaves a quarter of its length
// before the match, and its ends avoid cutting a word when they can.
func Highlight(text string, q Query, max int) (segs []Segment, cutStart, cutEnd bool) {
	if text == "" {
		return nil, false, false
	}
	text = strings.ToValidUTF8(text, "\uFFFD")
	marks := findMarks(text, q)
	wb, we := 0, len(text)
	if n := utf8.RuneCountInString(text); max > 0 && n > max {
		wb, we = window(text, n, marks, max)
	}
	return segments(text, marks, wb, we), wb > 0, we < len(text)
}

// span is a byte range of the original text.
type span struct{ start, end int }

// hchar is a character of folded text and the bytes of the original it came from.
type hchar struct {
	r     rune
	c     class
	start int32
	end   int32
}

// foldSpans folds text as fold does, remembering where each character came from. NFKC
// works on segments (a character and the marks that combine with it); every character
// it makes from a segment maps to the whole segment. A dropped transparent character
// joins the character before it.
func foldSpans(text string) []hchar {
	doc := make([]hchar, 0, len(text)/2+1)
	last, lastOut := -1, 0 // as in fold
	for i := 0; i < len(text); {
		r, n := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(text[i:])
		}
		if m, ok := quickNFKC(r); ok {
			last, lastOut = i, len(doc)
			m = mapRune(m)
			doc = append(doc, hchar{r: m, c: classOf(m), start: int32(i), end: int32(i + n)})
			i += n
			continue
		}
		start := i
		if last >= 0 {
			start, doc = last, doc[:lastOut]
		}
		j := i + n
		for j < len(text) && text[j] >= utf8.RuneSelf {
			r2, n2 := utf8.DecodeRuneInString(text[j:])
			if _, ok := quickNFKC(r2); ok {
				break
			}
			j += n2
		}
		// norm.Iter may give what a segment becomes in several pieces (㌐ → ギ, ガ) and
		// only then move on: the characters from pend on wait for the end of theirs.
		var it norm.Iter
		it.InitString(norm.NFKC, text[start:j])
		p0, pend := int32(start), len(doc)
		for !it.Done() {
			seg := it.Next()
			for len(seg) > 0 {
				r, n := utf8.DecodeRune(seg)
				seg = seg[n:]
				if m := mapRune(r); m >= 0 {
					doc = append(doc, hchar{r: m, c: classOf(m), start: p0})
				} else if len(doc) > 0 {
					pend = min(pend, len(doc)-1) // the character before takes it in
				}
			}
			if p1 := int32(start + it.Pos()); p1 > p0 {
				for k := pend; k < len(doc); k++ {
					doc[k].end = p1
				}
				p0, pend = p1, len(doc)
			}
		}
		for k := pend; k < len(doc); k++ {
			doc[k].end = int32(j)
		}
		last, i = -1, j
	}
	return doc
}

// The steps of a compiled term.
const (
	opLit    = iota // this character
	opSep           // one or more separators
	opOptSep        // any number of separators, where a word meets a CJK run
)

type step struct {
	op uint8
	r  rune
}

// pattern is a term compiled for Highlight.
type pattern struct {
	steps      []step
	startBound bool // must not follow a word character
	endBound   bool // must not be followed by a word character
}

func compile(t Term) (pattern, bool) {
	var p pattern
	var lastClass class
	lastLit := -1
	for _, r := range t.Text {
		c := classOf(r)
		if c == sep {
			if n := len(p.steps); n > 0 && p.steps[n-1].op == opLit {
				p.steps = append(p.steps, step{op: opSep})
			}
			continue
		}
		if n := len(p.steps); n > 0 && p.steps[n-1].op == opLit && lastClass != c {
			p.steps = append(p.steps, step{op: opOptSep})
		}
		p.steps = append(p.steps, step{op: opLit, r: r})
		lastLit, lastClass = len(p.steps)-1, c
	}
	if lastLit < 0 {
		return p, false
	}
	p.steps = p.steps[:lastLit+1]
	p.startBound = classOf(p.steps[0].r) == word
	p.endBound = lastClass == word && !t.Prefix
	return p, true
}

// matchAt returns the end of a match of p starting at doc[i], or -1.
func (p pattern) matchAt(doc []hchar, i int) int {
	if p.startBound && i > 0 && doc[i-1].c == word {
		return -1
	}
	j := i
	for _, s := range p.steps {
		switch s.op {
		case opLit:
			if j >= len(doc) || doc[j].r != s.r {
				return -1
			}
			j++
		case opSep:
			if j >= len(doc) || doc[j].c != sep {
				return -1
			}
			fallthrough
		case opOptSep:
			for j < len(doc) && doc[j].c == sep {
				j++
			}
		}
	}
	if p.endBound && j < len(doc) && doc[j].c == word {
		return -1
	}
	return j
}

// findMarks returns the byte ranges of text that match a term, in order, merged where
// they overlap or touch.
func findMarks(text string, q Query) []span {
	var pats []pattern
	for _, t := range q.Terms {
		if p, ok := compile(t); ok {
			pats = append(pats, p)
		}
	}
	if len(pats) == 0 {
		return nil
	}
	doc := foldSpans(text)
	var marks []span
	for i := range doc {
		end := -1
		for _, p := range pats {
			if p.steps[0].r != doc[i].r {
				continue
			}
			if j := p.matchAt(doc, i); j > end {
				end = j
			}
		}
		if end < 0 {
			continue
		}
		s := span{int(doc[i].start), int(doc[end-1].end)}
		if n := len(marks); n > 0 && s.start <= marks[n-1].end {
			if s.end > marks[n-1].end {
				marks[n-1].end = s.end
			}
			continue
		}
		marks = append(marks, s)
	}
	return marks
}

// window chooses the bytes [wb, we) of text (n runes, more than size) to show.
func window(text string, n int, marks []span, size int) (wb, we int) {
	ws := 0 // in runes
	ms, me := 0, 0
	if len(marks) > 0 {
		ms = utf8.RuneCountInString(text[:marks[0].start])
		me = ms + utf8.RuneCountInString(text[marks[0].start:marks[0].end])
		switch {
		case me-ms >= size:
			ws = ms
		default:
			ws = ms - size/4
			if me-ws > size {
				ws = me - size
			}
		}
	}
	ws = min(max(ws, 0), n-size)
	wb = byteOffset(text, 0, ws)
	we = byteOffset(text, wb, size)
	limit := min(snapRunes, size/8)
	if len(marks) == 0 {
		return snap(text, wb, we, -1, -1, limit)
	}
	return snap(text, wb, we, marks[0].start, marks[0].end, limit)
}

// byteOffset returns the offset of the rune k runes after byte offset from.
func byteOffset(text string, from, k int) int {
	for i := from; i < len(text); {
		if k == 0 {
			return i
		}
		_, n := utf8.DecodeRuneInString(text[i:])
		i += n
		k--
	}
	return len(text)
}

// isWordRune reports whether r is part of a non-CJK word (or a mark inside one).
func isWordRune(r rune) bool {
	m := mapRune(r)
	return m < 0 || classOf(m) == word
}

// snap moves the ends of the window [wb, we) inwards so as not to cut a word, when the
// word's end is within limit runes and the first match [ms, me) stays inside; then it
// drops the spaces just inside a cut start or end, leaving at least one character. ms
// and me are -1 when nothing matched.
func snap(text string, wb, we, ms, me, limit int) (int, int) {
	if wb > 0 {
		b := wb
		for k := 0; k <= limit && b < we; k++ {
			prev, _ := utf8.DecodeLastRuneInString(text[:b])
			r, n := utf8.DecodeRuneInString(text[b:])
			if !isWordRune(prev) || !isWordRune(r) {
				if ms < 0 || b <= ms {
					wb = b
				}
				break
			}
			b += n
		}
		for wb < we && (ms < 0 || wb < ms) {
			r, n := utf8.DecodeRuneInString(text[wb:])
			if !unicode.IsSpace(r) || wb+n >= we {
				break
			}
			wb += n
		}
	}
	if we < len(text) {
		e := we
		for k := 0; k <= limit && e > wb; k++ {
			prev, n := utf8.DecodeLastRuneInString(text[:e])
			r, _ := utf8.DecodeRuneInString(text[e:])
			if !isWordRune(prev) || !isWordRune(r) {
				if e >= me {
					we = e
				}
				break
			}
			e -= n
		}
		for we > wb && we > me {
			r, n := utf8.DecodeLastRuneInString(text[:we])
			if !unicode.IsSpace(r) || we-n <= wb {
				break
			}
			we -= n
		}
	}
	return wb, we
}

// segments cuts text[wb:we] at the marks.
func segments(text string, marks []span, wb, we int) []Segment {
	var segs []Segment
	add := func(s, e int, mark bool) {
		s, e = max(s, wb), min(e, we)
		if s < e {
			segs = append(segs, Segment{Text: text[s:e], Mark: mark})
		}
	}
	pos := wb
	for _, m := range marks {
		if m.end <= wb {
			continue
		}
		if m.start >= we {
			break
		}
		add(pos, m.start, false)
		add(m.start, m.end, true)
		pos = max(pos, m.end)
	}
	add(pos, we, false)
	return segs
}
