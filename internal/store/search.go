package store

import (
	"context"

	"github.com/renkei-dev/renkei/internal/model"
)

// IndexTopic writes a topic's search tokens (made by the search package's tokenizer of the
// given version). On SQLite triggers keep the FTS5 table in step; on PostgreSQL the
// weighted tsvector is computed here, title above the rest.
func IndexTopic(ctx context.Context, c Conn, topicID int64, tokenizer int, titleTokens, bodyTokens string) error {
	var err error
	if c.Backend() == Postgres {
		_, err = c.Exec(ctx, `INSERT INTO topic_search (topic_id, tokenizer, title_tokens, body_tokens, doc)
			VALUES (?, ?, ?, ?, setweight(to_tsvector('simple', ?), 'A') || setweight(to_tsvector('simple', ?), 'B'))
			ON CONFLICT (topic_id) DO UPDATE SET tokenizer = excluded.tokenizer, title_tokens = excluded.title_tokens,
			body_tokens = excluded.body_tokens, doc = excluded.doc`,
			topicID, tokenizer, titleTokens, bodyTokens, titleTokens, bodyTokens)
	} else {
		_, err = c.Exec(ctx, `INSERT INTO topic_search (topic_id, tokenizer, title_tokens, body_tokens) VALUES (?, ?, ?, ?)
			ON CONFLICT (topic_id) DO UPDATE SET tokenizer = excluded.tokenizer, title_tokens = excluded.title_tokens,
			body_tokens = excluded.body_tokens`, topicID, tokenizer, titleTokens, bodyTokens)
	}
	return classify(err)
}

// StaleSearchRows returns topics whose index rows were written by another tokenizer
// version (or are missing), after the given id, to rebuild them in batches.
func StaleSearchRows(ctx context.Context, c Conn, tokenizer int, after int64, limit int) ([]int64, error) {
	rows, err := c.Query(ctx, `SELECT t.id FROM topics t LEFT JOIN topic_search s ON s.topic_id = t.id
		WHERE t.id > ? AND (s.topic_id IS NULL OR s.tokenizer <> ?) ORDER BY t.id LIMIT ?`, after, tokenizer, Page{Limit: limit}.limit())
	return collect(rows, err, scanID)
}

// SearchQuery is one search: the match expression for each backend (from the search
// package), the access filter (from the policy package) and the list's other conditions.
type SearchQuery struct {
	FTS5    string
	TSQuery string
	Access  Filter
	Topics  TopicQuery // its Before and Limit are ignored
	Offset  int
	Limit   int
}

// SearchTopicIDs returns the ids of matching topics the access filter allows, best first.
func SearchTopicIDs(ctx context.Context, c Conn, q SearchQuery) ([]int64, error) {
	q.Topics.Before, q.Topics.Limit = 0, 0
	cond, cargs := q.Topics.conditions()
	limit := Page{Limit: q.Limit}.limit()
	var sqlText string
	var args []any
	if c.Backend() == Postgres {
		sqlText = `SELECT t.id FROM topic_search s JOIN topics t ON t.id = s.topic_id
			WHERE s.doc @@ to_tsquery('simple', ?) AND ` + q.Access.where() + ` AND ` + cond + `
			ORDER BY ts_rank(s.doc, to_tsquery('simple', ?)) DESC, t.id DESC LIMIT ? OFFSET ?`
		args = append(append(append([]any{q.TSQuery}, q.Access.Args...), cargs...), q.TSQuery, limit, q.Offset)
	} else {
		sqlText = `SELECT t.id FROM topic_fts JOIN topics t ON t.id = topic_fts.rowid
			WHERE topic_fts MATCH ? AND ` + q.Access.where() + ` AND ` + cond + `
			ORDER BY bm25(topic_fts, 10.0, 1.0), t.id DESC LIMIT ? OFFSET ?`
		args = append(append(append([]any{q.FTS5}, q.Access.Args...), cargs...), limit, q.Offset)
	}
	rows, err := c.Query(ctx, sqlText, args...)
	return collect(rows, err, scanID)
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
