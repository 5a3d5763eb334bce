package sns_test

import (
	"context"
	"testing"

	"github.com/renkei-dev/renkei/internal/search"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// A database from before search rows carried access keys (migration 3): the upgrade marks
// the old rows stale, the start-up reindex gives them keys, and the topic is found by a
// member of its community and by nobody else.
func TestUpgradeGivesOldSearchRowsTheirKeys(t *testing.T) {
	for _, b := range testdb.Backends {
		t.Run(string(b), func(t *testing.T) {
			db := testdb.At(t, b, 2)
			if db == nil {
				t.Skip("RENKEI_TEST_POSTGRES is not set")
			}
			ctx := context.Background()
			const now = 1753315200000
			must(t, db.Write(ctx, func(c store.Conn) error {
				for _, q := range []struct {
					sql  string
					args []any
				}{
					{`INSERT INTO orgs (id, name_ja, name_en, name_ja_key, name_en_key, kind, sector, created_at, updated_at)
						VALUES (1, '電力A', 'Power A', '電力a', 'power a', 'operator', '', ?, ?), (2, '鉄道B', 'Rail B', '鉄道b', 'rail b', 'operator', '', ?, ?)`,
						[]any{now, now, now, now}},
					{`INSERT INTO users (id, org_id, email, email_key, display_name, created_at, updated_at)
						VALUES (1, 1, 'a@a.example', 'a@a.example', '佐藤', ?, ?), (2, 2, 'b@b.example', 'b@b.example', '鈴木', ?, ?)`,
						[]any{now, now, now, now}},
					{`INSERT INTO communities (id, name_ja, name_en, name_ja_key, name_en_key, created_at, updated_at)
						VALUES (1, '電力', 'Power', '電力', 'power', ?, ?)`, []any{now, now}},
					{`INSERT INTO community_members (community_id, org_id, added_at) VALUES (1, 1, ?)`, []any{now}},
					{`INSERT INTO topics (id, community_id, author_id, author_org_id, title, body, info_type, tlp, scope, created_at, last_activity_at)
						VALUES (1, 1, 1, 1, '標的型メールの注意喚起', '本文', 'alert', 'green', 'community', ?, ?)`, []any{now, now}},
				} {
					if _, err := c.Exec(ctx, q.sql, q.args...); err != nil {
						return err
					}
				}
				title := search.Tokens("標的型メールの注意喚起")
				if b == store.Postgres {
					_, err := c.Exec(ctx, `INSERT INTO topic_search (topic_id, tokenizer, title_tokens, body_tokens, doc)
						VALUES (1, ?, ?, '', to_tsvector('simple', ?))`, search.Version, title, title)
					return err
				}
				_, err := c.Exec(ctx, `INSERT INTO topic_search (topic_id, tokenizer, title_tokens, body_tokens) VALUES (1, ?, ?, '')`,
					search.Version, title)
				return err
			}))
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			env := testapp.New(t, db)
			if n, err := env.SNS.ReindexStale(ctx); err != nil || n != 1 {
				t.Fatalf("reindexed %d, %v; want 1", n, err)
			}
			for user, want := range map[int64]int{1: 1, 2: 0} {
				p, err := env.Auth.Principal(ctx, user)
				must(t, err)
				hits, _, err := env.SNS.Search(ctx, p, sns.SearchQuery{Text: "標的"})
				if err != nil || len(hits) != want {
					t.Errorf("user %d: %d hits, %v; want %d", user, len(hits), err, want)
				}
			}
		})
	}
}
