package search_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/renkei-dev/renkei/internal/search"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// The queries the application runs (without its access conditions and limit), newest
// first; find ranks what they return as the application does.
const (
	sqliteSearch = `SELECT rowid, title_tokens FROM topic_fts WHERE topic_fts MATCH '{title_tokens body_tokens} : (' || ? || ')'
		ORDER BY rowid DESC`
	postgresSearch = `SELECT topic_id, title_tokens FROM topic_search WHERE doc @@ to_tsquery('simple', ?) ORDER BY topic_id DESC`
)

// corpus is the test topics by name: title and body.
var corpus = []struct{ name, title, body string }{
	{"ddos", "DDoS攻撃に関する注意喚起", "大規模なＤＤｏＳ攻撃が観測されています。"},
	{"cve", "脆弱性情報: CVE-2026-12345", "Apache HTTP Server の脆弱性。攻撃コードが公開されています。"},
	{"phish", "フィッシングメールの報告", "銀行を装ったメールで偽サイトへ誘導する手口です。"},
	{"halfwidth", "週次まとめ", "ﾌｨｯｼﾝｸﾞの相談が2件ありました。"},
	{"weekly", "今週の共有", "今週は攻撃情報の共有が3件ありました。"},
	{"student", "新人紹介", "大学で情報セキュリティを専攻。"},
	{"english", "Phishing campaign targeting banks", "Credential harvesting via fake login pages; the botnet also ran DDoS."},
	{"ioc1", "IOC一覧", "接続先: 192.168.1.100 と evil.example.com"},
	{"ioc2", "IOC追加", "接続先: 192.168.1.1"},
	{"rankTitle", "ランサムウェア被害の報告", "詳細は添付を参照してください。"},
	{"rankBody", "週次レポート", "今週はランサムウェアに関する相談がありました。"},
}

// TestSearchSQL runs searches on both backends: the same topics must be found, a title
// match must rank above a match in the body only.
func TestSearchSQL(t *testing.T) {
	tests := []struct {
		q     string
		want  []string // in any order
		first string   // the best match, when set
	}{
		{"攻撃", []string{"ddos", "cve", "weekly"}, "ddos"},
		{"脆弱", []string{"cve"}, ""},
		{"攻撃情報", []string{"weekly"}, ""},
		{"攻", []string{"ddos", "cve", "weekly", "student"}, ""},
		{"報", []string{"cve", "phish", "weekly", "student", "rankTitle"}, ""},
		{"DDoS 攻撃", []string{"ddos"}, ""},
		{"DDoS攻撃", []string{"ddos"}, ""},
		{`"ＤＤｏＳ攻撃"`, []string{"ddos"}, ""},
		{"ddos", []string{"ddos", "english"}, ""},
		{"phish", []string{"english"}, ""},
		{"credential harvesting", []string{"english"}, ""},
		{`"login pages"`, []string{"english"}, ""},
		{"ＡＰＡＣＨＥ server", []string{"cve"}, ""},
		{"ふぃっしんぐ", []string{"phish", "halfwidth"}, "phish"},
		{"ﾌｨｯｼﾝｸﾞ", []string{"phish", "halfwidth"}, "phish"},
		{"CVE-2026-12345", []string{"cve"}, ""},
		{"192.168.1.1", []string{"ioc2"}, ""},
		{"192.168.1", []string{"ioc1", "ioc2"}, ""},
		{"evil.exam", []string{"ioc1"}, ""},
		{"ランサムウェア", []string{"rankTitle", "rankBody"}, "rankTitle"},
		{"報告 ランサム", []string{"rankTitle"}, ""},
		// Nothing.
		{"マルウェア", nil, ""},
		{"攻撃 phishing", nil, ""},
		{"CVE-2026-1234", nil, ""},
		{"192.168.1.10", nil, ""},
		{"情報攻撃", nil, ""},
		{`"phishing banks"`, nil, ""},
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		names := map[int64]string{}
		texts := make([][2]string, len(corpus))
		for i, c := range corpus {
			texts[i] = [2]string{c.title, c.body}
		}
		for i, id := range insertTopics(t, db, texts) {
			names[id] = corpus[i].name
		}
		if db.Backend() == store.Postgres {
			if err := search.CheckPostgres(ctx, db.Read()); err != nil {
				t.Error(err)
			}
		}
		for _, tt := range tests {
			q, err := search.Parse(tt.q)
			if err != nil {
				t.Fatal(err)
			}
			ids, err := find(ctx, db, q)
			if err != nil {
				t.Errorf("%q: %v", tt.q, err)
				continue
			}
			var got []string
			for _, id := range ids {
				got = append(got, names[id])
			}
			if !sameSet(got, tt.want) {
				t.Errorf("%q (%s | %s) found %v, want %v", tt.q, q.FTS5(), q.TSQuery(), got, tt.want)
			}
			if tt.first != "" && (len(got) == 0 || got[0] != tt.first) {
				t.Errorf("%q ranked %v, want %s first", tt.q, got, tt.first)
			}
		}
	})
}

// TestSearchSQLSame searches many documents with odd text, on both backends: every
// document is found by a search for its own text, every query (however odd) runs, and
// both backends find the same documents.
func TestSearchSQLSame(t *testing.T) {
	var docs []string
	for _, s := range append(search.SampleTexts, search.NastyQueries()...) {
		if search.Tokens(s) != "" {
			docs = append(docs, s)
		}
	}
	queries := search.NastyQueries()
	for _, s := range search.SampleTexts {
		queries = append(queries, s)
		// Each half of a sample, to find it by parts.
		r := []rune(s)
		queries = append(queries, string(r[:len(r)/2]), string(r[len(r)/2:]))
	}
	var mu sync.Mutex
	found := map[store.Backend]map[string][]int{}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		texts := make([][2]string, len(docs))
		for i, s := range docs {
			texts[i] = [2]string{"", s}
		}
		index := map[int64]int{}
		for i, id := range insertTopics(t, db, texts) {
			index[id] = i
		}
		run := func(q search.Query) []int {
			ids, err := find(ctx, db, q)
			if err != nil {
				t.Fatalf("%s | %s: %v", q.FTS5(), q.TSQuery(), err)
			}
			var got []int
			for _, id := range ids {
				got = append(got, index[id])
			}
			slices.Sort(got)
			return got
		}
		for i, s := range docs {
			s = search.Unquote(s)
			q, err := search.Parse(s)
			if err != nil || q.Empty() {
				continue
			}
			if !slices.Contains(run(q), i) {
				t.Errorf("%q (tokens %q) is not found by %s | %s", s, search.Tokens(s), q.FTS5(), q.TSQuery())
			}
		}
		results := map[string][]int{}
		for _, s := range queries {
			q, err := search.Parse(s)
			if err != nil || q.Empty() {
				continue
			}
			results[s] = run(q)
		}
		mu.Lock()
		found[db.Backend()] = results
		mu.Unlock()
	})
	a, b := found[store.SQLite], found[store.Postgres]
	if a == nil || b == nil {
		return
	}
	for s, x := range a {
		if !slices.Equal(x, b[s]) {
			q, _ := search.Parse(s)
			t.Errorf("%q (%s | %s): SQLite found %v, PostgreSQL %v", s, q.FTS5(), q.TSQuery(), x, b[s])
		}
	}
}

// TestTokenCharsPostgres checks that PostgreSQL's parser keeps every character a token
// can hold as a lexeme of its own, unchanged.
func TestTokenCharsPostgres(t *testing.T) {
	db := testdb.Postgres(t)
	if db == nil {
		t.Skip("RENKEI_TEST_POSTGRES is not set")
	}
	if testing.Short() {
		t.Skip("slow")
	}
	chars := search.TokenChars()
	// A tsvector holds at most 1 MB: a few thousand characters at a time.
	const chunk = 5000
	for i := 0; i < len(chars); i += chunk {
		part := chars[i:min(i+chunk, len(chars))]
		var got string
		err := db.Read().QueryRow(context.Background(),
			"SELECT array_to_string(tsvector_to_array(to_tsvector('simple', ?)), ' ')", strings.Join(part, " ")).Scan(&got)
		if err != nil {
			t.Fatal(err)
		}
		lex := map[string]bool{}
		for _, l := range strings.Fields(got) {
			lex[l] = true
		}
		if len(lex) != len(part) {
			t.Errorf("characters %U…%U: %d lexemes for %d characters", []rune(part[0])[0], []rune(part[len(part)-1])[0], len(lex), len(part))
		}
		bad := 0
		for _, c := range part {
			if !lex[c] && bad < 10 {
				bad++
				t.Errorf("character %q (%U) is not a lexeme", c, []rune(c)[0])
			}
		}
	}
}

// TestIndexLimitPostgres checks that PostgreSQL takes the largest index of distinct
// bigrams Tokens makes, behind a long title.
func TestIndexLimitPostgres(t *testing.T) {
	db := testdb.Postgres(t)
	if db == nil {
		t.Skip("RENKEI_TEST_POSTGRES is not set")
	}
	title, body := search.Tokens(search.RandomKanji(2000)), search.Tokens(search.RandomKanji(1<<20))
	if len(body) < search.MaxIndexBytes-20 {
		t.Fatalf("body tokens are %d bytes", len(body))
	}
	var n int
	err := db.Read().QueryRow(context.Background(),
		"SELECT length(setweight(to_tsvector('simple', ?), 'A') || setweight(to_tsvector('simple', ?), 'B'))", title, body).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n < 50000 {
		t.Errorf("tsvector holds %d lexemes", n)
	}
}

// insertTopics creates a community, an organization and a person, then a topic for each
// title and body, indexed as the application indexes it; it returns the topic ids.
func insertTopics(t *testing.T, db *store.DB, texts [][2]string) []int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	err := db.Write(ctx, func(c store.Conn) error {
		const now = 1767225600000
		var org, user, comm int64
		if err := c.QueryRow(ctx, `INSERT INTO orgs (name_ja, name_en, name_ja_key, name_en_key, kind, created_at, updated_at)
			VALUES ('検索テスト組織', 'Search Test Org', 'search-ja', 'search-en', 'member', ?, ?) RETURNING id`, now, now).Scan(&org); err != nil {
			return fmt.Errorf("org: %w", err)
		}
		if err := c.QueryRow(ctx, `INSERT INTO users (org_id, email, email_key, display_name, created_at, updated_at)
			VALUES (?, 'search@example.com', 'search@example.com', '検索 太郎', ?, ?) RETURNING id`, org, now, now).Scan(&user); err != nil {
			return fmt.Errorf("user: %w", err)
		}
		if err := c.QueryRow(ctx, `INSERT INTO communities (name_ja, name_en, name_ja_key, name_en_key, created_at, updated_at)
			VALUES ('検索', 'Search', 'search-ja', 'search-en', ?, ?) RETURNING id`, now, now).Scan(&comm); err != nil {
			return fmt.Errorf("community: %w", err)
		}
		for _, tb := range texts {
			var id int64
			if err := c.QueryRow(ctx, `INSERT INTO topics (community_id, author_id, author_org_id, title, body, info_type, tlp, scope,
				created_at, last_activity_at) VALUES (?, ?, ?, ?, ?, 'alert', 'clear', 'community', ?, ?) RETURNING id`,
				comm, user, org, pgText(tb[0]), pgText(tb[1]), now, now).Scan(&id); err != nil {
				return fmt.Errorf("topic: %w", err)
			}
			title, body := search.Tokens(tb[0]), search.Tokens(tb[1])
			var err error
			if c.Backend() == store.Postgres {
				_, err = c.Exec(ctx, `INSERT INTO topic_search (topic_id, tokenizer, title_tokens, body_tokens, doc)
					VALUES (?, ?, ?, ?, setweight(to_tsvector('simple', ?), 'A') || setweight(to_tsvector('simple', ?), 'B'))`,
					id, search.Version, title, body, title, body)
			} else {
				_, err = c.Exec(ctx, `INSERT INTO topic_search (topic_id, tokenizer, title_tokens, body_tokens) VALUES (?, ?, ?, ?)`,
					id, search.Version, title, body)
			}
			if err != nil {
				return fmt.Errorf("topic_search: %w", err)
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// pgText makes s storable in PostgreSQL, which refuses NUL and invalid UTF-8 (the tokens
// never hold either).
func pgText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", " ")
}

// find runs a search the way the application does and returns the topic ids, best first.
func find(ctx context.Context, db *store.DB, q search.Query) ([]int64, error) {
	c := db.Read()
	sqlText, args := sqliteSearch, []any{q.FTS5()}
	if db.Backend() == store.Postgres {
		sqlText, args = postgresSearch, []any{q.TSQuery()}
	}
	rows, err := c.Query(ctx, sqlText, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	var titles []string
	for rows.Next() {
		var id int64
		var title string
		if err := rows.Scan(&id, &title); err != nil {
			return nil, err
		}
		ids, titles = append(ids, id), append(titles, title)
	}
	var best []int64
	for _, i := range q.Order(titles) {
		best = append(best, ids[i])
	}
	return best, rows.Err()
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
