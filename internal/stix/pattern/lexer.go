package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokenKind uint8

const (
	tEOF tokenKind = iota
	tIdent
	tIdentHyphen // an identifier with a hyphen: only an object type may be one
	tString
	tInt
	tFloat
	tBool
	tHex
	tBinary
	tTimestamp
	tKeyword
	tLBrack
	tRBrack
	tLParen
	tRParen
	tColon
	tDot
	tComma
	tStar
	tOp // = == != <> < <= > >=
)

var tokenNames = [...]string{tEOF: "end of pattern", tIdent: "identifier", tIdentHyphen: "identifier",
	tString: "string", tInt: "integer", tFloat: "float", tBool: "boolean", tHex: "hex literal",
	tBinary: "binary literal", tTimestamp: "timestamp", tKeyword: "keyword", tLBrack: "'['",
	tRBrack: "']'", tLParen: "'('", tRParen: "')'", tColon: "':'", tDot: "'.'", tComma: "','",
	tStar: "'*'", tOp: "operator"}

// token is one lexeme. text is the slice of the input it came from; str holds the decoded
// value of a string literal (and the keyword or operator text).
type token struct {
	kind  tokenKind
	pos   int
	text  string
	str   string
	op    Operator
	i     int64
	f     float64
	b     bool
	bytes []byte
}

// describe names a token for an error message.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of pattern"
	case tKeyword, tOp:
		return "'" + t.text + "'"
	case tIdent, tIdentHyphen:
		return "identifier '" + t.text + "'"
	}
	return tokenNames[t.kind] + " " + t.text
}

// keywords are reserved in upper case exactly; "and" is an ordinary identifier.
var keywords = map[string]bool{"AND": true, "OR": true, "NOT": true, "FOLLOWEDBY": true,
	"LIKE": true, "MATCHES": true, "ISSUPERSET": true, "ISSUBSET": true, "EXISTS": true,
	"LAST": true, "IN": true, "START": true, "STOP": true, "SECONDS": true, "WITHIN": true,
	"REPEATS": true, "TIMES": true}

type lexer struct {
	src string
	pos int
}

// next returns the next token, skipping white space and comments.
func (l *lexer) next() (token, error) {
	if err := l.skipSpace(); err != nil {
		return token{}, err
	}
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.src[l.pos]
	switch {
	case c == '\'':
		return l.lexString(start)
	case (c == 'h' || c == 'b' || c == 't') && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\'':
		return l.lexPrefixed(c, start)
	case isIdentStart(c):
		return l.lexIdent(start), nil
	case isDigit(c) || c == '+' || c == '-' || (c == '.' && l.pos+1 < len(l.src) && isDigit(l.src[l.pos+1])):
		return l.lexNumber(start)
	}
	return l.lexPunct(c, start)
}

func (l *lexer) lexPunct(c byte, start int) (token, error) {
	one := func(k tokenKind) (token, error) {
		l.pos++
		return token{kind: k, pos: start, text: l.src[start:l.pos]}, nil
	}
	op := func(o Operator, n int) (token, error) {
		l.pos += n
		return token{kind: tOp, pos: start, text: l.src[start:l.pos], op: o}, nil
	}
	peek := byte(0)
	if l.pos+1 < len(l.src) {
		peek = l.src[l.pos+1]
	}
	switch c {
	case '[':
		return one(tLBrack)
	case ']':
		return one(tRBrack)
	case '(':
		return one(tLParen)
	case ')':
		return one(tRParen)
	case ':':
		return one(tColon)
	case '.':
		return one(tDot)
	case ',':
		return one(tComma)
	case '*':
		return one(tStar)
	case '=':
		if peek == '=' {
			return op(Eq, 2)
		}
		return op(Eq, 1)
	case '!':
		if peek == '=' {
			return op(Neq, 2)
		}
	case '<':
		switch peek {
		case '=':
			return op(Le, 2)
		case '>':
			return op(Neq, 2)
		}
		return op(Lt, 1)
	case '>':
		if peek == '=' {
			return op(Ge, 2)
		}
		return op(Gt, 1)
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.pos:])
	return token{}, errorf(start, "unexpected character %q", r)
}

// skipSpace skips the grammar's white space (ASCII and the Unicode spaces it lists) and
// /* */ and // comments.
func (l *lexer) skipSpace() error {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f':
			l.pos++
		case c == '/' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '*':
			end := strings.Index(l.src[l.pos+2:], "*/")
			if end < 0 {
				return errorf(l.pos, "unterminated comment")
			}
			l.pos += 2 + end + 2
		case c == '/' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '/':
			end := strings.IndexAny(l.src[l.pos:], "\r\n")
			if end < 0 {
				l.pos = len(l.src)
			} else {
				l.pos += end
			}
		case c >= 0x80:
			r, n := utf8.DecodeRuneInString(l.src[l.pos:])
			if !isUnicodeSpace(r) {
				return nil
			}
			l.pos += n
		default:
			return nil
		}
	}
	return nil
}

func isUnicodeSpace(r rune) bool {
	switch r {
	case 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (l *lexer) lexIdent(start int) token {
	hyphen := false
	l.pos++
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if c == '-' {
			hyphen = true
		} else if !isIdentPart(c) {
			break
		}
		l.pos++
	}
	text := l.src[start:l.pos]
	switch {
	case hyphen:
		return token{kind: tIdentHyphen, pos: start, text: text}
	case text == "true" || text == "false":
		return token{kind: tBool, pos: start, text: text, b: text == "true"}
	case keywords[text]:
		return token{kind: tKeyword, pos: start, text: text}
	}
	return token{kind: tIdent, pos: start, text: text}
}

// lexString reads '...' where only \' and \\ are escapes.
func (l *lexer) lexString(start int) (token, error) {
	s, err := l.quoted(start)
	if err != nil {
		return token{}, err
	}
	return token{kind: tString, pos: start, text: l.src[start:l.pos], str: s}, nil
}

// quoted reads a quoted string starting at the quote at l.pos and returns its value.
func (l *lexer) quoted(start int) (string, error) {
	l.pos++ // opening quote
	begin := l.pos
	var b *strings.Builder
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch c {
		case '\'':
			l.pos++
			if b == nil {
				return l.src[begin : l.pos-1], nil
			}
			return b.String(), nil
		case '\\':
			if l.pos+1 >= len(l.src) || (l.src[l.pos+1] != '\'' && l.src[l.pos+1] != '\\') {
				return "", errorf(l.pos, "invalid escape in string: only \\' and \\\\ are allowed")
			}
			if b == nil {
				b = &strings.Builder{}
				b.WriteString(l.src[begin:l.pos])
			}
			b.WriteByte(l.src[l.pos+1])
			l.pos += 2
		default:
			if b != nil {
				b.WriteByte(c)
			}
			l.pos++
		}
	}
	return "", errorf(start, "unterminated string")
}

// lexPrefixed reads h'..', b'..' and t'..'.
func (l *lexer) lexPrefixed(prefix byte, start int) (token, error) {
	l.pos++
	body, err := l.quoted(start + 1)
	if err != nil {
		return token{}, err
	}
	text := l.src[start:l.pos]
	switch prefix {
	case 'h':
		v, err := hex.DecodeString(body)
		if err != nil || strings.ContainsAny(body, "\\'") {
			return token{}, errorf(start, "invalid hex literal %s: it needs pairs of hex digits", text)
		}
		return token{kind: tHex, pos: start, text: text, bytes: v}, nil
	case 'b':
		v, err := decodeBinary(body)
		if err != nil {
			return token{}, errorf(start, "invalid binary literal %s: it needs padded base64", text)
		}
		return token{kind: tBinary, pos: start, text: text, bytes: v}, nil
	}
	if msg := checkTimestamp(body); msg != "" {
		return token{}, errorf(start, "invalid timestamp %s: %s", text, msg)
	}
	return token{kind: tTimestamp, pos: start, text: text, str: body}, nil
}

// decodeBinary accepts the grammar's base64: groups of four characters, '=' padding only
// at the end.
func decodeBinary(s string) ([]byte, error) {
	if len(s)%4 != 0 {
		return nil, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := isIdentPart(c) && c != '_' || c == '+' || c == '/' ||
			c == '=' && (i >= len(s)-2) && (i == len(s)-1 || s[len(s)-1] == '=')
		if !ok {
			return nil, strconv.ErrSyntax
		}
	}
	return base64.StdEncoding.DecodeString(s)
}

var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// checkTimestamp checks YYYY-MM-DDTHH:MM:SS[.fraction]Z and a real calendar day; it
// returns what is wrong, or "".
func checkTimestamp(s string) string {
	const form = "YYYY-MM-DDTHH:MM:SS"
	if len(s) < len(form)+1 || s[len(s)-1] != 'Z' {
		return "the form is YYYY-MM-DDTHH:MM:SS[.s+]Z in UTC"
	}
	for i := 0; i < len(form); i++ {
		want := form[i]
		c := s[i]
		if want >= 'A' && want <= 'Z' && want != 'T' {
			if !isDigit(c) {
				return "the form is YYYY-MM-DDTHH:MM:SS[.s+]Z in UTC"
			}
		} else if c != want {
			return "the form is YYYY-MM-DDTHH:MM:SS[.s+]Z in UTC"
		}
	}
	frac := s[len(form) : len(s)-1]
	if frac != "" {
		if len(frac) < 2 || frac[0] != '.' || strings.TrimLeft(frac[1:], "0123456789") != "" {
			return "the fraction of a second is a dot and digits"
		}
	}
	num := func(a, b int) int { n, _ := strconv.Atoi(s[a:b]); return n }
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, second := num(11, 13), num(14, 16), num(17, 19)
	leap := year%4 == 0 && (year%100 != 0 || year%400 == 0)
	switch {
	case month < 1 || month > 12:
		return "no such month"
	case day < 1 || day > daysIn[month] || (month == 2 && day == 29 && !leap):
		return "no such day"
	case hour > 23 || minute > 59 || second > 60:
		return "no such time of day"
	}
	return ""
}

// lexNumber reads the grammar's signed integers and floats (no exponent).
func (l *lexer) lexNumber(start int) (token, error) {
	if c := l.src[l.pos]; c == '+' || c == '-' {
		l.pos++
	}
	digits := l.pos
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
	}
	intPart := l.src[digits:l.pos]
	isFloat := l.pos+1 < len(l.src) && l.src[l.pos] == '.' && isDigit(l.src[l.pos+1])
	if isFloat {
		l.pos++
		for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
			l.pos++
		}
		text := l.src[start:l.pos]
		f, err := strconv.ParseFloat(strings.TrimPrefix(text, "+"), 64)
		if err != nil {
			return token{}, errorf(start, "float %s out of range", text)
		}
		return token{kind: tFloat, pos: start, text: text, f: f}, nil
	}
	text := l.src[start:l.pos]
	if intPart == "" {
		return token{}, errorf(start, "expected digits after %q", text)
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return token{}, errorf(start, "integer %s has a leading zero", text)
	}
	i, err := strconv.ParseInt(strings.TrimPrefix(text, "+"), 10, 64)
	if err != nil {
		return token{}, errorf(start, "integer %s out of range", text)
	}
	return token{kind: tInt, pos: start, text: text, i: i}, nil
}
