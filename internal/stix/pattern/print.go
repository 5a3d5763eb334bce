package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
)

// String prints the pattern in canonical form: single spaces, '=' and '!=' for the
// equality operators, parentheses only where precedence needs them, quotes on path keys
// only where the grammar needs them, hex in lower case and floats with a decimal point.
func (p *Pattern) String() string {
	var b strings.Builder
	writeObservation(&b, p.Root, 0)
	return b.String()
}

// Observation precedence: a child binding looser than its context gets parentheses.
const (
	precFollowedBy = 1
	precOr         = 2
	precAnd        = 3
	precAtom       = 4
)

func obsPrec(e ObservationExpr) int {
	if op, ok := e.(*ObservationOp); ok {
		switch op.Op {
		case ObsFollowedBy:
			return precFollowedBy
		case ObsOr:
			return precOr
		}
		return precAnd
	}
	return precAtom
}

func writeObservation(b *strings.Builder, e ObservationExpr, min int) {
	if obsPrec(e) < min {
		b.WriteByte('(')
		defer b.WriteByte(')')
	}
	switch e := e.(type) {
	case *Observation:
		b.WriteByte('[')
		writeComparison(b, e.Expr, 0)
		b.WriteByte(']')
	case *ObservationOp:
		prec := obsPrec(e)
		writeObservation(b, e.Left, prec)
		b.WriteString(" " + e.Op.String() + " ")
		writeObservation(b, e.Right, prec+1) // left-associative
	case *Qualified:
		writeObservation(b, e.Expr, precAtom)
		writeQualifier(b, e)
	}
}

func writeQualifier(b *strings.Builder, q *Qualified) {
	switch q.Kind {
	case Within:
		b.WriteString(" WITHIN ")
		writeLiteral(b, q.Seconds)
		b.WriteString(" SECONDS")
	case StartStop:
		b.WriteString(" START ")
		writeLiteral(b, q.Start)
		b.WriteString(" STOP ")
		writeLiteral(b, q.Stop)
	case Repeats:
		b.WriteString(" REPEATS ")
		b.WriteString(strconv.FormatInt(q.Times, 10))
		b.WriteString(" TIMES")
	}
}

func compPrec(e ComparisonExpr) int {
	if op, ok := e.(*ComparisonOp); ok {
		if op.Op == Or {
			return 1
		}
		return 2
	}
	return 3
}

func writeComparison(b *strings.Builder, e ComparisonExpr, min int) {
	if compPrec(e) < min {
		b.WriteByte('(')
		defer b.WriteByte(')')
	}
	switch e := e.(type) {
	case *ComparisonOp:
		prec := compPrec(e)
		writeComparison(b, e.Left, prec)
		b.WriteString(" " + e.Op.String() + " ")
		writeComparison(b, e.Right, prec+1)
	case *Exists:
		b.WriteString("EXISTS ")
		writePath(b, e.Path)
	case *Comparison:
		writePath(b, e.Path)
		if e.Negated {
			b.WriteString(" NOT")
		}
		b.WriteString(" " + e.Op.String() + " ")
		writeLiteral(b, e.Value)
	}
}

// String prints the path as in a pattern, e.g. file:hashes.'SHA-256'.
func (op ObjectPath) String() string {
	var b strings.Builder
	writePath(&b, op)
	return b.String()
}

func writePath(b *strings.Builder, p ObjectPath) {
	b.WriteString(p.Type)
	b.WriteByte(':')
	for i, s := range p.Steps {
		switch s.Kind {
		case KeyStep:
			if i > 0 {
				b.WriteByte('.')
			}
			writeKey(b, s.Key)
		case IndexStep:
			b.WriteByte('[')
			b.WriteString(strconv.FormatInt(s.Index, 10))
			b.WriteByte(']')
		case AnyStep:
			b.WriteString("[*]")
		}
	}
}

// writeKey writes a key bare when the lexer would read it back as a plain identifier.
func writeKey(b *strings.Builder, k string) {
	if plainIdentifier(k) {
		b.WriteString(k)
		return
	}
	writeString(b, k)
}

func plainIdentifier(k string) bool {
	if k == "" || !isIdentStart(k[0]) || keywords[k] || k == "true" || k == "false" {
		return false
	}
	for i := 1; i < len(k); i++ {
		if !isIdentPart(k[i]) {
			return false
		}
	}
	return true
}

func writeString(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
}

// String prints the literal as in a pattern.
func (l Literal) String() string {
	var b strings.Builder
	writeLiteral(&b, l)
	return b.String()
}

func writeLiteral(b *strings.Builder, l Literal) {
	switch l.Kind {
	case StringLit:
		writeString(b, l.Str)
	case IntLit:
		b.WriteString(strconv.FormatInt(l.Int, 10))
	case FloatLit:
		s := strconv.FormatFloat(l.Float, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		b.WriteString(s)
	case BoolLit:
		b.WriteString(strconv.FormatBool(l.Bool))
	case HexLit:
		b.WriteString("h'" + hex.EncodeToString(l.Bytes) + "'")
	case BinaryLit:
		b.WriteString("b'" + base64.StdEncoding.EncodeToString(l.Bytes) + "'")
	case TimestampLit:
		b.WriteString("t'" + l.Str + "'")
	case SetLit:
		b.WriteByte('(')
		for i, item := range l.Set {
			if i > 0 {
				b.WriteString(", ")
			}
			writeLiteral(b, item)
		}
		b.WriteByte(')')
	}
}
