package ioc

import (
	"strings"
	"testing"
	"time"
)

// TestExtractWorstCaseInput checks that hostile text of the maximum size is handled in
// linear time (a quadratic trim or label loop would take minutes here).
func TestExtractWorstCaseInput(t *testing.T) {
	for _, unit := range []string{")", "(", "a:", "[.]", "[a", "1.", "。", "ａ．", "x@"} {
		text := strings.Repeat(unit, DefaultMaxBytes/len(unit))
		start := time.Now()
		if _, err := Extract(text, Limits{}); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{MaxWord - 10, 4000} { // just under the word cap, repeated
			word := strings.Repeat(unit, n/len(unit))
			if _, err := Extract(strings.Repeat(word+" ", DefaultMaxBytes/(len(word)+1)), Limits{}); err != nil {
				t.Fatal(err)
			}
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%q: %v", unit, d)
		}
	}
}
