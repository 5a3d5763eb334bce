package search

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// sampleTexts are documents for the round-trip tests: each must be found by a search for
// its own text.
var sampleTexts = []string{
	"DDoS攻撃に関する注意喚起",
	"大規模なＤＤｏＳ攻撃が観測されています。",
	"脆弱性情報: CVE-2026-12345 (Apache HTTP Server)",
	"ふぃっしんぐサイトへの誘導に注意",
	"ﾌｨｯｼﾝｸﾞﾒｰﾙの報告",
	"IOC: 192.0.2.10, evil.example.com, d41d8cd98f00b204e9800998ecf8427e",
	"ラーメン屋のWi-Fiが攻撃された",
	"大学で情報セキュリティを専攻。",
	"한국어 텍스트와 日本語 mixed text",
	"🔥緊急🔥 ランサムウェア被害 (TLP:AMBER+STRICT)",
	"Straße İstanbul café ΣΑΣ",
	"12e3abc 5e5e5 3e45abcd version1.2.3",
	"葛\U000E0100飾区の事案",
	"攻\u200b撃 secu\u00adrity",
	"“引用符”と「かぎ括弧」と'single'",
	"a b c 1 2 3 あ い う",
	strings.Repeat("長い単語", 60),
	strings.Repeat("x", 300) + " tail",
}

// nastyQueries are inputs for the syntax tests of FTS5 and TSQuery: every operator and
// quoting character of both languages, alone and in combination.
func nastyQueries() []string {
	qs := []string{
		"", " ", "　", `"`, `""`, `"""`, `" "`, `"攻撃`, `攻撃"`, `a"b"c`, `"a" "b"`, "“攻撃 情報”", "＂攻撃＂",
		"*", "**", "a*", "*a", "^", "^a", "a^", ":", "a:b", "title_tokens:攻撃", "{title_tokens}:a", "-", "-a", "a-",
		"+", "+a", "(", ")", "()", "(a)", "(a OR b)", "a OR b", "a AND b", "NOT a", "a NOT b", "NEAR(a b)",
		"NEAR(a b, 2)", "near", "AND", "OR", "NOT", "and or not", "'", "''", "'a'", `\`, `\\`, `\'`, `'\`, ":*", "a:*",
		"<->", "<1>", "a <-> b", "!", "!a", "&", "|", "a & b", "a | b", "a&b|c", "!(a|b)", "'a':*A", "a:A", "a:*B",
		"$1", "?", "%", "_", ";", "; DROP TABLE topics; --", "--", "/*", "*/", "\x00", "a\x00b", "\xff", "\xfe\xff",
		"\u200b", "\u200d", "\ufeff", "\u0301", "a\u0301", "🔥", "👨\u200d💻", "攻撃🔥情報", "ＤＤｏＳ", "ﾌｨｯｼﾝｸﾞ",
		"攻", "攻 撃", "攻撃", "攻撃情報", "DDoS攻撃", "攻撃DDoS", "攻DDoS", "ddo", "a", "1", "12e3abc", "5e5e", "3e45ab",
		"CVE-2026-12345", "192.168.1.1", "http://example.com/?q=1&x='2'", "user@example.com", "<b>tag</b>", "&amp;",
		strings.Repeat("a ", 16), strings.Repeat("攻", 200), strings.Repeat(`"`, 200), strings.Repeat("'", 200),
		strings.Repeat(`\`, 200), strings.Repeat("あ ", 20), strings.Repeat("x", 200), strings.Repeat("x", 201),
	}
	// Random mixtures of the same characters, reproducibly.
	pool := []rune(`"'\*^:()-+!&|<>{}[],.;?~$%_ ` + "　“”＂aAzZ09éßΣ攻撃情報あいうアイウーｱｲ한🔥\u200d\u0301\x00")
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		n := rng.IntN(24) + 1
		var b strings.Builder
		for range n {
			b.WriteRune(pool[rng.IntN(len(pool))])
		}
		qs = append(qs, b.String())
	}
	return qs
}

var memDB struct {
	once sync.Once
	db   *sql.DB
	err  error
	mu   sync.Mutex
	next int64
}

// ftsDB returns an in-memory SQLite database with an FTS5 table fts configured like
// topic_fts (one connection, shared by the tests of this package).
func ftsDB(t testing.TB) *sql.DB {
	t.Helper()
	memDB.once.Do(func() {
		db, err := sql.Open("sqlite", ":memory:")
		if err != nil {
			memDB.err = err
			return
		}
		db.SetMaxOpenConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		_, err = db.Exec(`CREATE VIRTUAL TABLE fts USING fts5 (title_tokens, body_tokens, tokenize='unicode61 remove_diacritics 0');
			INSERT INTO fts (rowid, title_tokens, body_tokens) VALUES (1, 'ddos 攻撃 撃', 'a b c');`)
		memDB.db, memDB.err, memDB.next = db, err, 2
	})
	if memDB.err != nil {
		t.Fatal(memDB.err)
	}
	return memDB.db
}

// ftsInsert adds a document to the shared FTS5 table and returns its rowid.
func ftsInsert(t testing.TB, tokens string) int64 {
	t.Helper()
	db := ftsDB(t)
	memDB.mu.Lock()
	id := memDB.next
	memDB.next++
	memDB.mu.Unlock()
	if _, err := db.Exec("INSERT INTO fts (rowid, title_tokens, body_tokens) VALUES (?, '', ?)", id, tokens); err != nil {
		t.Fatal(err)
	}
	return id
}

// ftsMatch runs a MATCH on the shared FTS5 table and returns the rowids found.
func ftsMatch(t testing.TB, expr string) ([]int64, error) {
	t.Helper()
	rows, err := ftsDB(t).Query("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid", expr)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// checkTSQuery fails unless s is what TSQuery may produce: terms joined by " & ", each a
// quoted token or a parenthesized phrase of tokens joined by " <-> ", a :* only after the
// last token of a term, and no quote or backslash inside a token.
func checkTSQuery(s string) error {
	if s == "" {
		return nil
	}
	for _, term := range strings.Split(s, " & ") {
		phrase := strings.HasPrefix(term, "(")
		if phrase {
			if !strings.HasSuffix(term, ")") {
				return fmt.Errorf("term %q: unclosed parenthesis", term)
			}
			term = term[1 : len(term)-1]
		}
		ops := strings.Split(term, " <-> ")
		if phrase != (len(ops) > 1) {
			return fmt.Errorf("term %q: parentheses around %d tokens", term, len(ops))
		}
		for i, op := range ops {
			if i == len(ops)-1 {
				op = strings.TrimSuffix(op, ":*")
			}
			if len(op) < 3 || op[0] != '\'' || op[len(op)-1] != '\'' {
				return fmt.Errorf("operand %q is not quoted", op)
			}
			if in := op[1 : len(op)-1]; strings.ContainsAny(in, `'\`) {
				return fmt.Errorf("operand %q holds a quote or backslash", op)
			}
		}
	}
	return nil
}

// render shows highlight output as text with marks in [] and cuts as ….
func render(segs []Segment, cutStart, cutEnd bool) string {
	var b strings.Builder
	if cutStart {
		b.WriteString("…")
	}
	for _, s := range segs {
		if s.Mark {
			b.WriteString("[" + s.Text + "]")
		} else {
			b.WriteString(s.Text)
		}
	}
	if cutEnd {
		b.WriteString("…")
	}
	return b.String()
}
