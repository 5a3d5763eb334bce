package pattern

import (
	"fmt"
)

// MaxDepth bounds the nesting of parentheses and brackets, so that a hostile pattern
// cannot exhaust the stack.
const MaxDepth = 100

// SyntaxError says where a pattern stops making sense and what was expected there.
type SyntaxError struct {
	Offset int    // byte offset in the pattern
	Msg    string // in English, e.g. "expected ']', found 'AND'"
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg)
}

func errorf(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Offset: pos, Msg: fmt.Sprintf(format, args...)}
}

// Parse parses a STIX 2.1 pattern. A failure is a *SyntaxError.
func Parse(s string) (*Pattern, error) {
	p := &parser{lex: lexer{src: s}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	root, err := p.observationExpressions()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern")
	}
	return &Pattern{Root: root}, nil
}

type parser struct {
	lex   lexer
	tok   token
	depth int
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) unexpected(want string) error {
	return errorf(p.tok.pos, "expected %s, found %s", want, p.tok.describe())
}

func (p *parser) isKeyword(k string) bool { return p.tok.kind == tKeyword && p.tok.text == k }

// expect consumes a token of the given kind.
func (p *parser) expect(k tokenKind, want string) (token, error) {
	if p.tok.kind != k {
		return token{}, p.unexpected(want)
	}
	t := p.tok
	return t, p.advance()
}

func (p *parser) expectKeyword(k string) error {
	if !p.isKeyword(k) {
		return p.unexpected("'" + k + "'")
	}
	return p.advance()
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return errorf(p.tok.pos, "nesting deeper than %d levels", MaxDepth)
	}
	return nil
}

// observationExpressions: or (FOLLOWEDBY or)*
func (p *parser) observationExpressions() (ObservationExpr, error) {
	return p.observationChain(ObsFollowedBy)
}

// observationChain parses a left-associative chain of the operator op, whose operands are
// chains of the next tighter operator.
func (p *parser) observationChain(op ObsOperator) (ObservationExpr, error) {
	operand := func() (ObservationExpr, error) {
		if op == ObsAnd {
			return p.qualified()
		}
		return p.observationChain(op - 1)
	}
	left, err := operand()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(op.String()) {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := operand()
		if err != nil {
			return nil, err
		}
		left = &ObservationOp{Op: op, Left: left, Right: right}
	}
	return left, nil
}

// qualified: primary (WITHIN | START..STOP | REPEATS)*
func (p *parser) qualified() (ObservationExpr, error) {
	expr, err := p.primaryObservation()
	if err != nil {
		return nil, err
	}
	for {
		var q *Qualified
		switch {
		case p.isKeyword("WITHIN"):
			q, err = p.within(expr)
		case p.isKeyword("START"):
			q, err = p.startStop(expr)
		case p.isKeyword("REPEATS"):
			q, err = p.repeats(expr)
		default:
			return expr, nil
		}
		if err != nil {
			return nil, err
		}
		expr = q
	}
}

func (p *parser) within(expr ObservationExpr) (*Qualified, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	t := p.tok
	var n Literal
	switch {
	case t.kind == tInt && t.i > 0:
		n = Literal{Kind: IntLit, Int: t.i}
	case t.kind == tFloat && t.f > 0:
		n = Literal{Kind: FloatLit, Float: t.f}
	default:
		return nil, p.unexpected("a positive number of seconds after WITHIN")
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expectKeyword("SECONDS"); err != nil {
		return nil, err
	}
	return &Qualified{Expr: expr, Kind: Within, Seconds: n}, nil
}

func (p *parser) startStop(expr ObservationExpr) (*Qualified, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	start, err := p.expect(tTimestamp, "a timestamp t'...' after START")
	if err != nil {
		return nil, err
	}
	if err := p.expectKeyword("STOP"); err != nil {
		return nil, err
	}
	stop, err := p.expect(tTimestamp, "a timestamp t'...' after STOP")
	if err != nil {
		return nil, err
	}
	if !timestampBefore(start.str, stop.str) {
		return nil, errorf(stop.pos, "the STOP time must be later than the START time")
	}
	return &Qualified{Expr: expr, Kind: StartStop,
		Start: Literal{Kind: TimestampLit, Str: start.str},
		Stop:  Literal{Kind: TimestampLit, Str: stop.str}}, nil
}

func (p *parser) repeats(expr ObservationExpr) (*Qualified, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tInt || p.tok.i < 1 {
		return nil, p.unexpected("a positive integer after REPEATS")
	}
	n := p.tok.i
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expectKeyword("TIMES"); err != nil {
		return nil, err
	}
	return &Qualified{Expr: expr, Kind: Repeats, Times: n}, nil
}

// primaryObservation: '[' comparison ']' | '(' observationExpressions ')'
func (p *parser) primaryObservation() (ObservationExpr, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	switch p.tok.kind {
	case tLBrack:
		if err := p.advance(); err != nil {
			return nil, err
		}
		expr, err := p.comparisonChain(Or)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRBrack, "AND, OR or ']'"); err != nil {
			return nil, err
		}
		return &Observation{Expr: expr}, nil
	case tLParen:
		if err := p.advance(); err != nil {
			return nil, err
		}
		expr, err := p.observationExpressions()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, "AND, OR, FOLLOWEDBY, a qualifier or ')'"); err != nil {
			return nil, err
		}
		return expr, nil
	}
	return nil, p.unexpected("'[' or '('")
}

// comparisonChain parses left-associative AND (tighter) and OR chains.
func (p *parser) comparisonChain(op BoolOperator) (ComparisonExpr, error) {
	operand := func() (ComparisonExpr, error) {
		if op == And {
			return p.propTest()
		}
		return p.comparisonChain(And)
	}
	left, err := operand()
	if err != nil {
		return nil, err
	}
	for p.isKeyword(op.String()) {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := operand()
		if err != nil {
			return nil, err
		}
		left = &ComparisonOp{Op: op, Left: left, Right: right}
	}
	return left, nil
}

// propTest: '(' comparison ')' | EXISTS path | path NOT? operator literal
func (p *parser) propTest() (ComparisonExpr, error) {
	switch {
	case p.tok.kind == tLParen:
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		if err := p.advance(); err != nil {
			return nil, err
		}
		expr, err := p.comparisonChain(Or)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, "AND, OR or ')'"); err != nil {
			return nil, err
		}
		return expr, nil
	case p.isKeyword("EXISTS"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		path, err := p.objectPath()
		if err != nil {
			return nil, err
		}
		return &Exists{Path: path}, nil
	}
	path, err := p.objectPath()
	if err != nil {
		return nil, err
	}
	c := &Comparison{Path: path}
	if p.isKeyword("NOT") {
		c.Negated = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if err := p.operatorAndValue(c); err != nil {
		return nil, err
	}
	return c, nil
}

var keywordOps = map[string]Operator{"IN": In, "LIKE": Like, "MATCHES": Matches,
	"ISSUBSET": IsSubset, "ISSUPERSET": IsSuperset}

func (p *parser) operatorAndValue(c *Comparison) error {
	switch {
	case p.tok.kind == tOp:
		c.Op = p.tok.op
	case p.tok.kind == tKeyword && keywordOps[p.tok.text] != 0:
		c.Op = keywordOps[p.tok.text]
	default:
		return p.unexpected("a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)")
	}
	if err := p.advance(); err != nil {
		return err
	}
	var err error
	switch c.Op {
	case Eq, Neq:
		c.Value, err = p.literal(true, "a literal after "+c.Op.String())
	case Lt, Le, Gt, Ge:
		c.Value, err = p.literal(false, "a string, number, hex, binary or timestamp literal after "+c.Op.String())
	case In:
		c.Value, err = p.set()
	default:
		var t token
		t, err = p.expect(tString, "a string after "+c.Op.String())
		c.Value = Literal{Kind: StringLit, Str: t.str}
	}
	return err
}

// literal consumes a primitive literal; booleans only when allowBool.
func (p *parser) literal(allowBool bool, want string) (Literal, error) {
	t := p.tok
	var v Literal
	switch t.kind {
	case tString:
		v = Literal{Kind: StringLit, Str: t.str}
	case tInt:
		v = Literal{Kind: IntLit, Int: t.i}
	case tFloat:
		v = Literal{Kind: FloatLit, Float: t.f}
	case tHex:
		v = Literal{Kind: HexLit, Bytes: t.bytes}
	case tBinary:
		v = Literal{Kind: BinaryLit, Bytes: t.bytes}
	case tTimestamp:
		v = Literal{Kind: TimestampLit, Str: t.str}
	case tBool:
		if !allowBool {
			return Literal{}, p.unexpected(want)
		}
		v = Literal{Kind: BoolLit, Bool: t.b}
	default:
		return Literal{}, p.unexpected(want)
	}
	return v, p.advance()
}

// set: '(' ')' | '(' literal (',' literal)* ')'
func (p *parser) set() (Literal, error) {
	if _, err := p.expect(tLParen, "'(' to open the set after IN"); err != nil {
		return Literal{}, err
	}
	v := Literal{Kind: SetLit, Set: []Literal{}}
	if p.tok.kind == tRParen {
		return v, p.advance()
	}
	for {
		item, err := p.literal(true, "a literal in the set")
		if err != nil {
			return Literal{}, err
		}
		v.Set = append(v.Set, item)
		if p.tok.kind == tRParen {
			return v, p.advance()
		}
		if _, err := p.expect(tComma, "',' or ')' in the set"); err != nil {
			return Literal{}, err
		}
	}
}

// objectPath: type ':' first ('.' key | '[' index ']')*
func (p *parser) objectPath() (ObjectPath, error) {
	if p.tok.kind != tIdent && p.tok.kind != tIdentHyphen {
		return ObjectPath{}, p.unexpected("an object path such as file:name")
	}
	path := ObjectPath{Type: p.tok.text}
	if err := p.advance(); err != nil {
		return ObjectPath{}, err
	}
	if _, err := p.expect(tColon, "':' after the object type"); err != nil {
		return ObjectPath{}, err
	}
	key, err := p.key("a property name after ':'")
	if err != nil {
		return ObjectPath{}, err
	}
	path.Steps = append(make([]Step, 0, 2), Step{Kind: KeyStep, Key: key})
	for {
		switch p.tok.kind {
		case tDot:
			if err := p.advance(); err != nil {
				return ObjectPath{}, err
			}
			key, err := p.key("a property name after '.'")
			if err != nil {
				return ObjectPath{}, err
			}
			path.Steps = append(path.Steps, Step{Kind: KeyStep, Key: key})
		case tLBrack:
			step, err := p.index()
			if err != nil {
				return ObjectPath{}, err
			}
			path.Steps = append(path.Steps, step)
		default:
			return path, nil
		}
	}
}

// key consumes a property name: a plain identifier or a quoted string.
func (p *parser) key(want string) (string, error) {
	switch p.tok.kind {
	case tIdent:
		k := p.tok.text
		return k, p.advance()
	case tString:
		k := p.tok.str
		return k, p.advance()
	case tIdentHyphen:
		return "", errorf(p.tok.pos, "a property name with '-' must be quoted: '%s'", p.tok.text)
	}
	return "", p.unexpected(want)
}

// index: '[' (int | '*') ']'
func (p *parser) index() (Step, error) {
	if err := p.advance(); err != nil {
		return Step{}, err
	}
	var step Step
	switch p.tok.kind {
	case tStar:
		step = Step{Kind: AnyStep}
	case tInt:
		step = Step{Kind: IndexStep, Index: p.tok.i}
	default:
		return Step{}, p.unexpected("a list index or '*'")
	}
	if err := p.advance(); err != nil {
		return Step{}, err
	}
	_, err := p.expect(tRBrack, "']' after the list index")
	return step, err
}

// timestampBefore compares two checked timestamps. Both have the same fixed-width date
// and time, so the text compares; only the fraction needs care (".5" equals ".50").
func timestampBefore(a, b string) bool {
	const n = len("YYYY-MM-DDTHH:MM:SS")
	if a[:n] != b[:n] {
		return a[:n] < b[:n]
	}
	fa, fb := trimFraction(a[n:]), trimFraction(b[n:])
	return fa < fb
}

// trimFraction turns ".500Z" into "5" so that fractions compare as text.
func trimFraction(s string) string {
	s = s[:len(s)-1]
	if s == "" {
		return ""
	}
	s = s[1:]
	for len(s) > 0 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return s
}
