package search

import (
	"strings"
	"testing"
)

// FuzzParse checks that no query makes an FTS5 expression SQLite rejects or a tsquery of
// another shape than the safe one (PostgreSQL runs the seeds in TestQuerySQL):
//
//	go test -fuzz FuzzParse ./internal/search/
func FuzzParse(f *testing.F) {
	for _, s := range nastyQueries() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkQuery(t, s)
	})
}

// FuzzSelfMatch checks that a document is found by a search for its own text.
func FuzzSelfMatch(f *testing.F) {
	for _, s := range append(sampleTexts, nastyQueries()...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkSelfMatch(t, s)
	})
}

// FuzzTokens checks the shape of the index text.
func FuzzTokens(f *testing.F) {
	for _, s := range append(sampleTexts, nastyQueries()...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Tokens(s)
		if got == "" {
			return
		}
		if strings.HasPrefix(got, " ") || strings.HasSuffix(got, " ") || strings.Contains(got, "  ") {
			t.Fatalf("Tokens(%q) = %q: bad spacing", s, got)
		}
		for _, tok := range strings.Split(got, " ") {
			checkToken(t, s, tok)
		}
	})
}

// FuzzHighlight checks that Highlight returns a window of the text.
func FuzzHighlight(f *testing.F) {
	f.Add("大規模なDDoS攻撃が発生", "ddos攻撃", 0)
	f.Add("ﾌｨｯｼﾝｸﾞ詐欺とフィッシング", "ふぃっしんぐ", 5)
	f.Add("CVE 2026 12345 と CVE-2026-12345", "cve-2026-12345", 12)
	f.Add("葛\U000E0100飾区 cafe\u0301", "葛飾 café", 3)
	f.Add(benchText[:500], "脆弱性 patch", 40)
	f.Fuzz(func(t *testing.T, text, qs string, max int) {
		q, err := Parse(qs)
		if err != nil {
			return
		}
		checkHighlight(t, text, q, max%1000)
	})
}
