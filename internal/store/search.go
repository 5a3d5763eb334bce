package store

import (
	"context"
	"strings"

	"github.com/renkei-dev/renkei/internal/model"
)

// IndexTopic writes a topic's search tokens (made by the search package's tokenizer of the
// given version) and its access keys (made by the policy package). On SQLite triggers keep
// the FTS5 table in step; on PostgreSQL the tsvector is computed here.
func IndexTopic(ctx context.Context, c Conn, topicID int64, tokenizer int, titleTokens, bodyTokens string, keys []string) error {
	var err error
	if c.Backend() == Postgres {
		_, err = c.Exec(ctx, `INSERT INTO topic_search (topic_id, tokenizer, title_tokens, body_tokens, doc)
			VALUES (?, ?, ?, ?, `+PostgresSearchDoc+`)
			ON CONFLICT (topic_id) DO UPDATE SET tokenizer = excluded.tokenizer, title_tokens = excluded.title_tokens,
			body_tokens = excluded.body_tokens, doc = excluded.doc`,
			topicID, tokenizer, titleTokens, bodyTokens, titleTokens, bodyTokens, PostgresKeys(keys))
	} else {
		_, err = c.Exec(ctx, `INSERT INTO topic_search (topic_id, tokenizer, title_tokens, body_tokens, access_keys) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (topic_id) DO UPDATE SET tokenizer = excluded.tokenizer, title_tokens = excluded.title_tokens,
			body_tokens = excluded.body_tokens, access_keys = excluded.access_keys`,
			topicID, tokenizer, titleTokens, bodyTokens, strings.Join(keys, " "))
	}
	return classify(err)
}

// PostgresSearchDoc is the tsvector of a search row from its title tokens, its other tokens
// and its access keys (three parameters, in that order; the keys as PostgresKeys writes
// them). The keys are lexemes of the same document, so that one GIN lookup intersects the
// words with what the searcher may see: with the keys in a column of their own, the
// planner could only combine two large bitmaps or walk the newest rows testing both, and
// a common word took a second at national scale.
const PostgresSearchDoc = `setweight(to_tsvector('simple', ?), 'A') || setweight(to_tsvector('simple', ?), 'B') || array_to_tsvector(?::text[])`

// keyLexeme marks an access key in the document. The simple parser splits words at '~',
// so no word of a text can become a key.
const keyLexeme = "~"

// PostgresKeys writes access keys as lexemes in a PostgreSQL array literal (for ?::text[]);
// keys are a letter and digits, which need no quoting.
func PostgresKeys(keys []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(keyLexeme + k)
	}
	b.WriteByte('}')
	return b.String()
}

// postgresKeyQuery is the tsquery matching any of the keys.
func postgresKeyQuery(keys []string) string {
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = "'" + keyLexeme + k + "'"
	}
	return strings.Join(quoted, " | ")
}

// StaleSearchRows returns topics whose index rows were written by another tokenizer
// version (or are missing), after the given id, to rebuild them in batches.
func StaleSearchRows(ctx context.Context, c Conn, tokenizer int, after int64, limit int) ([]int64, error) {
	rows, err := c.Query(ctx, `SELECT t.id FROM topics t LEFT JOIN topic_search s ON s.topic_id = t.id
		WHERE t.id > ? AND (s.topic_id IS NULL OR s.tokenizer <> ?) ORDER BY t.id LIMIT ?`, after, tokenizer, Page{Limit: limit}.limit())
	return collect(rows, err, scanID)
}

// SearchQuery is one search: the match expression for each backend (from the search
// package), the searcher's access keys and access filter (from the policy package) and
// the list's other conditions.
type SearchQuery struct {
	FTS5    string
	TSQuery string
	Keys    []string
	Access  Filter
	Topics  TopicQuery // its Before and Limit are ignored
}

// SearchCandidates is how many matches a search ranks: the newest ones the searcher may
// see. Ranking every match would cost as much as the matches are many (hundreds of
// thousands for a common word in a national index); the newest are what people look for,
// and a date range reaches further back.
const SearchCandidates = 1000

// SearchCandidate is a matching topic and its title's tokens, for ranking.
type SearchCandidate struct {
	ID          int64
	TitleTokens string
}

// SearchCandidatesOf returns the SearchCandidates newest topics that match, under the
// searcher's keys, and that the access filter allows, newest first.
func SearchCandidatesOf(ctx context.Context, c Conn, q SearchQuery) ([]SearchCandidate, error) {
	if len(q.Keys) == 0 {
		return nil, nil
	}
	q.Topics.Before, q.Topics.Limit = 0, 0
	cond, cargs := q.Topics.conditions()
	var sqlText string
	var args []any
	if c.Backend() == Postgres {
		// The index gives the matches under the keys first (an array, computed once); the
		// access filter and the list's conditions then look at those topics only, by their
		// key. Written as a join, the planner overestimates what the access filter lets
		// through and tests it on every topic instead.
		sqlText = `SELECT t.id, s.title_tokens FROM topics t JOIN topic_search s ON s.topic_id = t.id
			WHERE t.id = ANY(ARRAY(SELECT topic_id FROM topic_search WHERE doc @@ (to_tsquery('simple', ?) && ?::tsquery)))
			AND ` + q.Access.where() + ` AND ` + cond + `
			ORDER BY t.id DESC LIMIT ?`
		args = append(append([]any{q.TSQuery, postgresKeyQuery(q.Keys)}, q.Access.Args...), cargs...)
	} else {
		// The text is looked for in the title and the rest only; the keys in their column.
		sqlText = `SELECT t.id, s.title_tokens FROM topic_fts JOIN topics t ON t.id = topic_fts.rowid
			JOIN topic_search s ON s.topic_id = t.id
			WHERE topic_fts MATCH ? AND ` + q.Access.where() + ` AND ` + cond + `
			ORDER BY topic_fts.rowid DESC LIMIT ?`
		match := "{title_tokens body_tokens} : (" + q.FTS5 + ") AND access_keys : (" + strings.Join(q.Keys, " OR ") + ")"
		args = append(append([]any{match}, q.Access.Args...), cargs...)
	}
	rows, err := c.Query(ctx, sqlText, append(args, SearchCandidates)...)
	return collect(rows, err, func(s scanner) (SearchCandidate, error) {
		var x SearchCandidate
		err := s.Scan(&x.ID, &x.TitleTokens)
		return x, err
	})
}

// GetTopicsByID returns topics in the order of ids, with their tags; missing ids are skipped.
func GetTopicsByID(ctx context.Context, c Conn, ids []int64) ([]model.Topic, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := c.Query(ctx, "SELECT "+topicColumns+" FROM topics t WHERE t.id IN ("+placeholders(len(ids))+")", int64Args(ids)...)
	got, err := collect(rows, err, scanTopic)
	if err != nil {
		return nil, err
	}
	byID := map[int64]model.Topic{}
	for _, t := range got {
		byID[t.ID] = t
	}
	out := make([]model.Topic, 0, len(ids))
	for _, id := range ids {
		if t, ok := byID[id]; ok {
			out = append(out, t)
		}
	}
	return withTags(ctx, c, out)
}
