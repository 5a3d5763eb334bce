package search

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/fault"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in        string
		fts5, tsq string
	}{
		{"", "", ""},
		{"   　 ", "", ""},
		{`"" "  " !!! 🔥 ★`, "", ""},
		// A CJK word is the phrase of its bigrams; the lone last character is not needed.
		{"攻撃", `"攻撃"`, `'攻撃'`},
		{"攻撃情報", `"攻撃 撃情 情報"`, `('攻撃' <-> '撃情' <-> '情報')`},
		{"脆弱", `"脆弱"`, `'脆弱'`},
		// One CJK character: a prefix, since it starts a bigram or ends a run.
		{"攻", `"攻"*`, `'攻':*`},
		// Hiragana folds to katakana, half-width to full-width.
		{"ふぃっしんぐ", `"フィ ィッ ッシ シン ング"`, `('フィ' <-> 'ィッ' <-> 'ッシ' <-> 'シン' <-> 'ング')`},
		{"ﾌｨｯｼﾝｸﾞ", `"フィ ィッ ッシ シン ング"`, `('フィ' <-> 'ィッ' <-> 'ッシ' <-> 'シン' <-> 'ング')`},
		// Words match as prefixes; numbers and single letters exactly.
		{"ddo", `"ddo"*`, `'ddo':*`},
		{"ＤＤｏＳ", `"ddos"*`, `'ddos':*`},
		{"a", `"a"`, `'a'`},
		{"2026", `"2026"`, `'2026'`},
		{"CVE-2026-12345", `"cve 2026 12345"`, `('cve' <-> '2026' <-> '12345')`},
		{"192.168.1.1", `"192 168 1 1"`, `('192' <-> '168' <-> '1' <-> '1')`},
		{"v1", `"v1"*`, `'v1':*`},
		// Mixed terms: one phrase; the run before a word keeps its last character.
		{"DDoS攻撃", `"ddos 攻撃"`, `('ddos' <-> '攻撃')`},
		{"攻撃DDoS", `"攻撃 撃 ddos"*`, `('攻撃' <-> '撃' <-> 'ddos':*)`},
		{"DDoS攻", `"ddos 攻"*`, `('ddos' <-> '攻':*)`},
		// Several terms: AND.
		{"DDoS 攻撃", `"ddos"* AND "攻撃"`, `'ddos':* & '攻撃'`},
		{"ddos　攻撃\t情報\n", `"ddos"* AND "攻撃" AND "情報"`, `'ddos':* & '攻撃' & '情報'`},
		// Quoted phrases: one term; the last word exact.
		{`"DDoS 攻撃"`, `"ddos 攻撃"`, `('ddos' <-> '攻撃')`},
		{`"phishing mail"`, `"phishing mail"`, `('phishing' <-> 'mail')`},
		{`"攻撃 情報"`, `"攻撃 撃 情報"`, `('攻撃' <-> '撃' <-> '情報')`},
		{"“phishing mail” 攻撃", `"phishing mail" AND "攻撃"`, `('phishing' <-> 'mail') & '攻撃'`},
		{"＂phishing mail＂", `"phishing mail"`, `('phishing' <-> 'mail')`},
		{`"unclosed phrase`, `"unclosed phrase"`, `('unclosed' <-> 'phrase')`},
		{`a"b c"d`, `"a" AND "b c" AND "d"`, `'a' & ('b' <-> 'c') & 'd'`},
		// Operators are text.
		{"a OR b", `"a" AND "or"* AND "b"`, `'a' & 'or':* & 'b'`},
		{"NOT 攻撃", `"not"* AND "攻撃"`, `'not':* & '攻撃'`},
		{"-攻撃 +情報 (a) title_tokens:x NEAR(a b)", `"攻撃" AND "情報" AND "a" AND "title tokens x" AND "near a" AND "b"`,
			`'攻撃' & '情報' & 'a' & ('title' <-> 'tokens' <-> 'x') & ('near' <-> 'a') & 'b'`},
		{`'; DROP TABLE x; -- \' :* <->`, `"drop"* AND "table"* AND "x"`, `'drop':* & 'table':* & 'x'`},
		// Duplicates count once.
		{"攻撃 攻撃 こうげき コウゲキ", `"攻撃" AND "コウ ウゲ ゲキ"`, `'攻撃' & ('コウ' <-> 'ウゲ' <-> 'ゲキ')`},
	}
	for _, tt := range tests {
		q, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := q.FTS5(); got != tt.fts5 {
			t.Errorf("Parse(%q).FTS5() = %s, want %s", tt.in, got, tt.fts5)
		}
		if got := q.TSQuery(); got != tt.tsq {
			t.Errorf("Parse(%q).TSQuery() = %s, want %s", tt.in, got, tt.tsq)
		}
		if q.Empty() != (tt.fts5 == "") {
			t.Errorf("Parse(%q).Empty() = %v", tt.in, q.Empty())
		}
	}
}

func TestParseTerms(t *testing.T) {
	q, err := Parse(`ＤＤｏＳ攻撃 "CVE-2026-12345" ふぃっしんぐ! 攻`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Term{
		{Tokens: []string{"ddos", "攻撃"}, Text: "ddos攻撃"},
		{Tokens: []string{"cve", "2026", "12345"}, Text: "cve-2026-12345"},
		{Tokens: []string{"フィ", "ィッ", "ッシ", "シン", "ング"}, Text: "フィッシング"},
		{Tokens: []string{"攻"}, Prefix: true, Text: "攻"},
	}
	if len(q.Terms) != len(want) {
		t.Fatalf("got %d terms %+v, want %+v", len(q.Terms), q.Terms, want)
	}
	for i, w := range want {
		g := q.Terms[i]
		if !slices.Equal(g.Tokens, w.Tokens) || g.Prefix != w.Prefix || g.Text != w.Text {
			t.Errorf("term %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestParseLimits(t *testing.T) {
	key := func(err error) string {
		var fe *fault.Error
		if !errors.As(err, &fe) {
			return "not a fault: " + err.Error()
		}
		if fe.Kind != fault.Invalid || fe.Field != "q" {
			return "bad kind or field: " + fe.Error()
		}
		return fe.Key
	}
	ok := []string{
		strings.Repeat("攻", MaxQueryRunes),
		"  " + strings.Repeat("x", MaxQueryRunes) + "\n ",
		"a b c d e f g h i j k l m n o p",       // 16 terms
		"a b c d e f g h i j k l m n o p a b",   // duplicates count once
		"a b c d e f g h i j k l m n o p ! ? 🔥", // so do terms with nothing to search for
	}
	for _, s := range ok {
		if _, err := Parse(s); err != nil {
			t.Errorf("Parse(%.20q…): %v", s, err)
		}
	}
	bad := map[string]string{
		strings.Repeat("攻", MaxQueryRunes+1): "search.too_long",
		strings.Repeat(`"`, MaxQueryRunes+1): "search.too_long",
		"a b c d e f g h i j k l m n o p q":  "search.too_many_terms",
	}
	for s, want := range bad {
		q, err := Parse(s)
		if err == nil {
			t.Errorf("Parse(%.20q…) = %d terms, want %s", s, len(q.Terms), want)
		} else if got := key(err); got != want {
			t.Errorf("Parse(%.20q…): %s, want %s", s, got, want)
		}
	}
}

// Every query's FTS5 expression is accepted by SQLite and its tsquery has the safe shape.
func TestQuerySyntax(t *testing.T) {
	for _, s := range nastyQueries() {
		checkQuery(t, s)
	}
}

func checkQuery(t *testing.T, s string) {
	t.Helper()
	q, err := Parse(s)
	if err != nil {
		if fault.As(err).Key == "" {
			t.Errorf("Parse(%q): %v", s, err)
		}
		return
	}
	for _, term := range q.Terms {
		if len(term.Tokens) == 0 || term.Text == "" {
			t.Errorf("Parse(%q): empty term %+v", s, term)
		}
		for _, tok := range term.Tokens {
			checkToken(t, s, tok)
		}
	}
	if q.Empty() {
		if q.FTS5() != "" || q.TSQuery() != "" {
			t.Errorf("Parse(%q): empty query with expressions %q %q", s, q.FTS5(), q.TSQuery())
		}
		return
	}
	if _, err := ftsMatch(t, q.FTS5()); err != nil {
		t.Errorf("Parse(%q).FTS5() = %s: %v", s, q.FTS5(), err)
	}
	if err := checkTSQuery(q.TSQuery()); err != nil {
		t.Errorf("Parse(%q).TSQuery() = %s: %v", s, q.TSQuery(), err)
	}
}

// A document is found by a search for any of its own text, on SQLite (PostgreSQL: see
// TestSelfMatchSQL).
func TestSelfMatch(t *testing.T) {
	for _, s := range append(sampleTexts, nastyQueries()...) {
		checkSelfMatch(t, s)
	}
}

func checkSelfMatch(t *testing.T, s string) {
	t.Helper()
	s = unquote(s)
	q, err := Parse(s)
	if err != nil || q.Empty() {
		return
	}
	id := ftsInsert(t, Tokens(s))
	ids, err := ftsMatch(t, q.FTS5())
	if err != nil {
		t.Fatalf("%q: %s: %v", s, q.FTS5(), err)
	}
	if !slices.Contains(ids, id) {
		t.Errorf("%q (tokens %q) is not found by %s", s, Tokens(s), q.FTS5())
	}
	if _, err := ftsDB(t).Exec("DELETE FROM fts WHERE rowid = ?", id); err != nil {
		t.Fatal(err)
	}
}

// unquote replaces the quotes in s with spaces, so that a search for s is the AND of its
// words.
func unquote(s string) string {
	return strings.Map(func(r rune) rune {
		if isQuote(r) || r == '＂' {
			return ' '
		}
		return r
	}, s)
}

// The tokens FTS5 and PostgreSQL see are those of Tokens: FTS5's unicode61 tokenizer keeps
// every character this package keeps as a token of its own, unchanged.
func TestTokenCharsFTS5(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	db := ftsDB(t)
	chars := tokenChars()
	if _, err := db.Exec(`CREATE VIRTUAL TABLE IF NOT EXISTS chars USING fts5 (x, tokenize='unicode61 remove_diacritics 0');
		CREATE VIRTUAL TABLE IF NOT EXISTS chars_vocab USING fts5vocab (chars, 'instance');
		DELETE FROM chars`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO chars (x) VALUES (?)", strings.Join(chars, " ")); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query("SELECT term, offset FROM chars_vocab")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := make([]string, len(chars))
	n := 0
	for rows.Next() {
		var term string
		var off int
		if err := rows.Scan(&term, &off); err != nil {
			t.Fatal(err)
		}
		n++
		if off < 0 || off >= len(got) {
			t.Fatalf("token %q at offset %d", term, off)
		}
		got[off] = term
	}
	if n != len(chars) {
		t.Errorf("FTS5 found %d tokens in %d characters", n, len(chars))
	}
	bad := 0
	for i, c := range chars {
		if got[i] != c && bad < 20 {
			bad++
			t.Errorf("character %q (%U) is token %q in FTS5", c, []rune(c)[0], got[i])
		}
	}
}

// tokenChars returns every character that can appear in a token, each as a string.
func tokenChars() []string {
	var out []string
	for r := rune(0); r <= 0x10FFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		s := string(r)
		if fold(s) == s && classOf(r) != sep {
			out = append(out, s)
		}
	}
	return out
}
