package pattern

import (
	"reflect"
	"testing"
)

// FuzzParse checks that no input panics the parser, and that whatever parses prints to a
// canonical form that parses back to the same tree and prints the same again. The seed
// corpus is in testdata/fuzz/FuzzParse, and the valid and invalid test tables are added.
func FuzzParse(f *testing.F) {
	for _, tc := range validPatterns {
		f.Add(tc.in)
	}
	for _, s := range typicalPatterns {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			if p != nil {
				t.Fatalf("Parse(%q) returned a pattern and an error", s)
			}
			return
		}
		out := p.String()
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) is fine but its canonical form %q fails: %v", s, out, err)
		}
		if !reflect.DeepEqual(p, again) {
			t.Fatalf("round trip of %q through %q changed the tree", s, out)
		}
		if again.String() != out {
			t.Fatalf("canonical form is not stable: %q then %q", out, again.String())
		}
		_ = p.Observables()
	})
}
