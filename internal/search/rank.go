package search

import (
	"slices"
	"strings"
)

// TitleTerms returns how many of the query's terms occur in a title, given as the
// space-separated tokens that Tokens made of it (as the index stores them). A term occurs
// when its tokens appear in a row, the last as a prefix when the term is one, exactly as
// the index matches it.
//
// Search ranks its candidates by this count and then by recency. It is computed in Go
// rather than by the databases' rank functions because SQLite's bm25 reads the whole
// posting list of every word to weigh it (tens of milliseconds for a common word in a
// national index), and because it gives the same order on both backends.
func (q Query) TitleTerms(titleTokens string) int {
	toks := strings.Fields(titleTokens)
	n := 0
	for _, t := range q.Terms {
		if t.occursIn(toks) {
			n++
		}
	}
	return n
}

func (t Term) occursIn(toks []string) bool {
	k := len(t.Tokens)
	if k == 0 {
		return false
	}
	for i := 0; i+k <= len(toks); i++ {
		if t.matchesAt(toks[i : i+k]) {
			return true
		}
	}
	return false
}

func (t Term) matchesAt(toks []string) bool {
	last := len(t.Tokens) - 1
	for j, want := range t.Tokens {
		if j == last && t.Prefix {
			return strings.HasPrefix(toks[j], want)
		}
		if toks[j] != want {
			return false
		}
	}
	return true
}

// Order returns the indexes of the candidates' titles (tokens, as TitleTerms takes them),
// best first: more of the query's terms in the title first; ties keep the order given,
// which is newest first.
func (q Query) Order(titles []string) []int {
	score := make([]int, len(titles))
	order := make([]int, len(titles))
	for i, t := range titles {
		score[i], order[i] = q.TitleTerms(t), i
	}
	slices.SortStableFunc(order, func(a, b int) int { return score[b] - score[a] })
	return order
}
