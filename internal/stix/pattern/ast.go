// Package pattern parses the STIX 2.1 patterning language (STIX 2.1 section 9) into a
// syntax tree, prints a tree back in one canonical form, and pulls the plain observable
// values (an address, a domain, a hash) out of a pattern for correlation and blocklists.
//
// The lexer and the recursive-descent parser are written by hand after the OASIS grammar
// (STIXPattern.g4), so that nothing at run time depends on a parser generator and a pattern
// parses in a few microseconds.
package pattern

// Pattern is a parsed STIX pattern. Parse(p.String()) gives a tree equal to p.
type Pattern struct {
	Root ObservationExpr
}

// ObservationExpr is one node of the observation level: an Observation ([...]), an
// ObservationOp (AND, OR, FOLLOWEDBY) or a Qualified expression.
type ObservationExpr interface{ observationNode() }

// ComparisonExpr is one node inside the brackets: a Comparison, an Exists test or a
// ComparisonOp (AND, OR).
type ComparisonExpr interface{ comparisonNode() }

// Observation is a bracketed comparison expression: [ ... ].
type Observation struct {
	Expr ComparisonExpr
}

// ObsOperator joins two observation expressions.
type ObsOperator uint8

// The observation operators from the tightest to the loosest binding.
const (
	ObsAnd ObsOperator = iota + 1
	ObsOr
	ObsFollowedBy
)

func (o ObsOperator) String() string {
	switch o {
	case ObsAnd:
		return "AND"
	case ObsOr:
		return "OR"
	case ObsFollowedBy:
		return "FOLLOWEDBY"
	}
	return "?"
}

// ObservationOp is Left Op Right; chains are left-associative.
type ObservationOp struct {
	Op          ObsOperator
	Left, Right ObservationExpr
}

// QualifierKind tells which qualifier a Qualified expression carries.
type QualifierKind uint8

// The three qualifiers of STIX 2.1 section 9.7.
const (
	Within QualifierKind = iota + 1
	StartStop
	Repeats
)

// Qualified is an observation expression followed by one qualifier. Several qualifiers
// nest: "[a] REPEATS 2 TIMES WITHIN 5 SECONDS" is Within(Repeats([a])).
type Qualified struct {
	Expr ObservationExpr
	Kind QualifierKind
	// Seconds is the WITHIN window: an IntLit or a FloatLit, always positive.
	Seconds Literal
	// Start and Stop are the START/STOP timestamps (TimestampLit), Start before Stop.
	Start, Stop Literal
	// Times is the REPEATS count, at least 1.
	Times int64
}

// BoolOperator joins two comparison expressions.
type BoolOperator uint8

// AND binds tighter than OR.
const (
	And BoolOperator = iota + 1
	Or
)

func (o BoolOperator) String() string {
	if o == And {
		return "AND"
	}
	return "OR"
}

// ComparisonOp is Left Op Right inside brackets; chains are left-associative.
type ComparisonOp struct {
	Op          BoolOperator
	Left, Right ComparisonExpr
}

// Operator is a comparison operator.
type Operator uint8

// The comparison operators of STIX 2.1 section 9.6.
const (
	Eq Operator = iota + 1
	Neq
	Lt
	Le
	Gt
	Ge
	In
	Like
	Matches
	IsSubset
	IsSuperset
)

var operatorText = [...]string{Eq: "=", Neq: "!=", Lt: "<", Le: "<=", Gt: ">", Ge: ">=",
	In: "IN", Like: "LIKE", Matches: "MATCHES", IsSubset: "ISSUBSET", IsSuperset: "ISSUPERSET"}

func (o Operator) String() string {
	if int(o) < len(operatorText) && operatorText[o] != "" {
		return operatorText[o]
	}
	return "?"
}

// Comparison tests one property: Path [NOT] Op Value.
type Comparison struct {
	Path    ObjectPath
	Negated bool
	Op      Operator
	Value   Literal
}

// Exists is EXISTS Path.
type Exists struct {
	Path ObjectPath
}

// ObjectPath is type:first.step[index]... The first step is always a key.
type ObjectPath struct {
	Type  string
	Steps []Step
}

// StepKind tells a property key from a list index.
type StepKind uint8

// Path steps.
const (
	KeyStep   StepKind = iota + 1 // .name or .'quoted name'
	IndexStep                     // [n]
	AnyStep                       // [*]
)

// Step is one component of an object path.
type Step struct {
	Kind  StepKind
	Key   string // KeyStep
	Index int64  // IndexStep
}

// LiteralKind tells which field of a Literal holds its value.
type LiteralKind uint8

// The literal kinds of the grammar, plus the set of IN.
const (
	StringLit    LiteralKind = iota + 1 // Str
	IntLit                              // Int
	FloatLit                            // Float
	BoolLit                             // Bool
	HexLit                              // Bytes
	BinaryLit                           // Bytes
	TimestampLit                        // Str: the text between t' and ', e.g. 2016-01-01T00:00:00Z
	SetLit                              // Set
)

// Literal is a constant on the right of a comparison.
type Literal struct {
	Kind  LiteralKind
	Str   string
	Int   int64
	Float float64
	Bool  bool
	Bytes []byte
	Set   []Literal
}

func (*Observation) observationNode()   {}
func (*ObservationOp) observationNode() {}
func (*Qualified) observationNode()     {}
func (*Comparison) comparisonNode()     {}
func (*Exists) comparisonNode()         {}
func (*ComparisonOp) comparisonNode()   {}
