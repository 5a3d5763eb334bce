package pattern

import (
	"strconv"
	"strings"
)

// Observable is a plain value that a pattern looks for, such as ("ipv4-addr", "value",
// "198.51.100.1") or ("file", "hashes.SHA-256", "aec0...").
type Observable struct {
	Type  string // the object type, e.g. "domain-name"
	Path  string // the property path after the colon, keys joined by dots, e.g. "hashes.MD5"
	Value string
	// Sufficient is true when seeing this value alone makes the whole pattern match: the
	// comparison is joined to the rest only by OR and carries no qualifier. A blocklist
	// exports only sufficient values; correlation may use them all.
	Sufficient bool
}

// Observables lists the values that the pattern compares for equality (=, IN) with
// strings, and the address ranges of ISSUBSET on ipv4-addr and ipv6-addr values, in the
// order they appear. Negated comparisons and other operators are left out: they do not
// name a value that was seen.
func (p *Pattern) Observables() []Observable {
	var out []Observable
	collectObservation(p.Root, true, &out)
	return out
}

func collectObservation(e ObservationExpr, sufficient bool, out *[]Observable) {
	switch e := e.(type) {
	case *Observation:
		collectComparison(e.Expr, sufficient, out)
	case *ObservationOp:
		s := sufficient && e.Op == ObsOr
		collectObservation(e.Left, s, out)
		collectObservation(e.Right, s, out)
	case *Qualified:
		collectObservation(e.Expr, false, out)
	}
}

func collectComparison(e ComparisonExpr, sufficient bool, out *[]Observable) {
	switch e := e.(type) {
	case *ComparisonOp:
		s := sufficient && e.Op == Or
		collectComparison(e.Left, s, out)
		collectComparison(e.Right, s, out)
	case *Comparison:
		if e.Negated {
			return
		}
		add := func(v string) {
			*out = append(*out, Observable{Type: e.Path.Type, Path: e.Path.propertyPath(),
				Value: v, Sufficient: sufficient})
		}
		switch {
		case e.Op == Eq && e.Value.Kind == StringLit:
			add(e.Value.Str)
		case e.Op == In:
			for _, item := range e.Value.Set {
				if item.Kind == StringLit {
					add(item.Str)
				}
			}
		case e.Op == IsSubset && isAddressValue(e.Path):
			add(e.Value.Str)
		}
	}
}

func isAddressValue(p ObjectPath) bool {
	return (p.Type == "ipv4-addr" || p.Type == "ipv6-addr") && len(p.Steps) == 1 && p.Steps[0].Key == "value"
}

// propertyPath joins the keys with dots and writes list steps as [n] or [*].
func (op ObjectPath) propertyPath() string {
	if len(op.Steps) == 1 && op.Steps[0].Kind == KeyStep {
		return op.Steps[0].Key
	}
	var b strings.Builder
	for i, s := range op.Steps {
		switch s.Kind {
		case KeyStep:
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s.Key)
		case IndexStep:
			b.WriteString("[" + strconv.FormatInt(s.Index, 10) + "]")
		case AnyStep:
			b.WriteString("[*]")
		}
	}
	return b.String()
}
