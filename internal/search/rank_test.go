package search_test

import (
	"testing"

	"github.com/renkei-dev/renkei/internal/search"
)

func TestTitleTerms(t *testing.T) {
	title := search.Tokens("【重要】DDoS攻撃の予告 (CVE-2026-12345)")
	for _, tt := range []struct {
		q    string
		want int
	}{
		{"攻撃", 1},
		{"DDoS 攻撃", 2},
		{"ddo", 1},           // a word typed last matches as a prefix
		{"攻", 1},             // a single character is the start of a bigram
		{"攻撃予告", 0},          // not adjacent in the title
		{"予告 フィッシング", 1},     // one of two
		{"cve-2026-1234", 0}, // numbers match exactly
		{"cve-2026-12345", 1},
		{"重要", 1},
		{"フィッシング", 0},
	} {
		q, err := search.Parse(tt.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.TitleTerms(title); got != tt.want {
			t.Errorf("%q in %q: %d terms, want %d", tt.q, title, got, tt.want)
		}
	}
	q, _ := search.Parse("攻撃")
	if n := q.TitleTerms(""); n != 0 {
		t.Errorf("empty title: %d", n)
	}
}
