package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Indicators meet topics and cases: the values found in topics (topic_values), the values
// of case observables (case_observables.value_kind), and explicit links between an
// indicator and a topic or a case (indicator_links). Every correlation query looks each
// value up through an index on (kind, value, id); none compares items pairwise.

// ReplaceTopicValues rewrites the values of one topic (none for a deleted topic).
func ReplaceTopicValues(ctx context.Context, c Conn, topicID int64, values []StixValue) error {
	if _, err := c.Exec(ctx, "DELETE FROM topic_values WHERE topic_id = ?", topicID); err != nil {
		return classify(err)
	}
	for start := 0; start < len(values); start += 200 {
		chunk := values[start:min(start+200, len(values))]
		args := make([]any, 0, 3*len(chunk))
		for _, v := range chunk {
			args = append(args, topicID, v.Kind, v.Value)
		}
		if _, err := c.Exec(ctx, "INSERT INTO topic_values (topic_id, kind, value) VALUES "+repeatRows("(?, ?, ?)", len(chunk)),
			args...); err != nil {
			return classify(err)
		}
	}
	return nil
}

// TopicValues returns up to limit values of a topic.
func TopicValues(ctx context.Context, c Conn, topicID int64, limit int) ([]StixValue, error) {
	rows, err := c.Query(ctx, "SELECT kind, value FROM topic_values WHERE topic_id = ? ORDER BY kind, value LIMIT ?", topicID, limit)
	return collect(rows, err, scanValue)
}

// CaseValues returns the values of a case's observables, with the kinds of stix_values.
func CaseValues(ctx context.Context, c Conn, caseID int64) ([]StixValue, error) {
	rows, err := c.Query(ctx, "SELECT value_kind, value FROM case_observables WHERE case_id = ? ORDER BY seq", caseID)
	return collect(rows, err, scanValue)
}

func scanValue(s scanner) (StixValue, error) {
	var v StixValue
	return v, s.Scan(&v.Kind, &v.Value)
}

// TopicsToBackfill returns, in the caller's write transaction, the next topics written
// before migration 0012 whose values were not indexed yet (at most limit), and locks the
// progress row on PostgreSQL so that nodes do not repeat each other's batches.
func TopicsToBackfill(ctx context.Context, c Conn, limit int) ([]int64, error) {
	lock := ""
	if c.Backend() == Postgres {
		lock = " FOR UPDATE"
	}
	var done, upTo int64
	err := classify(c.QueryRow(ctx, "SELECT done_through, up_to FROM topic_values_backfill WHERE id = 1"+lock).Scan(&done, &upTo))
	if errors.Is(err, ErrNotFound) || (err == nil && done >= upTo) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, "SELECT id FROM topics WHERE id > ? AND id <= ? ORDER BY id LIMIT ?", done, upTo, limit)
	ids, err := collect(rows, err, scanID)
	if err == nil && len(ids) == 0 {
		err = SetTopicsBackfilled(ctx, c, upTo)
	}
	return ids, err
}

// SetTopicsBackfilled records that every topic up to id has its values.
func SetTopicsBackfilled(ctx context.Context, c Conn, id int64) error {
	_, err := c.Exec(ctx, "UPDATE topic_values_backfill SET done_through = ? WHERE id = 1", id)
	return classify(err)
}

// valueMatch is the condition "the row's (kind, value) is one of values" over the given
// columns, one pair per value so that each is an index look-up.
func valueMatch(kindCol, valueCol string, values []StixValue) (string, []any) {
	alts := make([]string, len(values))
	args := make([]any, 0, 2*len(values))
	for i, v := range values {
		alts[i] = "(" + kindCol + " = ? AND " + valueCol + " = ?)"
		args = append(args, v.Kind, v.Value)
	}
	return strings.Join(alts, " OR "), args
}

// ValueItem is a topic or case found by a shared value: what a page lists of it.
type ValueItem struct {
	ID    int64
	Title string
	Mark  string // a topic's TLP, a case's state
}

func scanValueItem(s scanner) (ValueItem, error) {
	var x ValueItem
	return x, s.Scan(&x.ID, &x.Title, &x.Mark)
}

// correlatedTopicsQuery: the newest topics that the filter (over t) lets through and that
// hold one of the values.
func correlatedTopicsQuery(f Filter, values []StixValue, exceptTopic int64, limit int) (string, []any) {
	match, args := valueMatch("tv.kind", "tv.value", values)
	args = append(args, exceptTopic)
	return "SELECT t.id, t.title, t.tlp FROM topics t WHERE t.id IN (SELECT tv.topic_id FROM topic_values tv WHERE " + match +
		") AND t.id <> ? AND " + f.where() + fmt.Sprintf(" ORDER BY t.id DESC LIMIT %d", Page{Limit: limit}.limit()), append(args, f.Args...)
}

// correlatedCasesQuery: the newest cases that the filter (over cs) lets through and whose
// observables hold one of the values.
func correlatedCasesQuery(f Filter, values []StixValue, exceptCase int64, limit int) (string, []any) {
	match, args := valueMatch("co.value_kind", "co.value", values)
	args = append(args, exceptCase)
	return "SELECT cs.id, cs.title, cs.state FROM cases cs WHERE cs.id IN (SELECT co.case_id FROM case_observables co WHERE " + match +
		") AND cs.id <> ? AND " + f.where() + fmt.Sprintf(" ORDER BY cs.id DESC LIMIT %d", Page{Limit: limit}.limit()), append(args, f.Args...)
}

// CorrelatedTopics returns the newest topics (at most limit) that the filter lets through
// and that hold one of the values, other than exceptTopic.
func CorrelatedTopics(ctx context.Context, c Conn, f Filter, values []StixValue, exceptTopic int64, limit int) ([]ValueItem, error) {
	if len(values) == 0 {
		return nil, nil
	}
	q, args := correlatedTopicsQuery(f, values, exceptTopic, limit)
	rows, err := c.Query(ctx, q, args...)
	return collect(rows, err, scanValueItem)
}

// CorrelatedCases returns the newest cases (at most limit) that the filter lets through and
// whose observables hold one of the values, other than exceptCase.
func CorrelatedCases(ctx context.Context, c Conn, f Filter, values []StixValue, exceptCase int64, limit int) ([]ValueItem, error) {
	if len(values) == 0 {
		return nil, nil
	}
	q, args := correlatedCasesQuery(f, values, exceptCase, limit)
	rows, err := c.Query(ctx, q, args...)
	return collect(rows, err, scanValueItem)
}

// CorrelationPlans returns the query plans of the three correlation queries for the
// values under the filters (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL with
// sequential scans discouraged, as a large table would make them), keyed "indicators",
// "topics" and "cases", for tests that check each value is an index look-up.
func CorrelationPlans(ctx context.Context, db *DB, stix, topics, cases Filter, values []StixValue) (map[string]string, error) {
	queries := map[string]func() (string, []any){
		"indicators": func() (string, []any) { return correlatedQuery(stix, "", values, 50) },
		"topics":     func() (string, []any) { return correlatedTopicsQuery(topics, values, 0, 50) },
		"cases":      func() (string, []any) { return correlatedCasesQuery(cases, values, 0, 50) },
	}
	out := map[string]string{}
	err := db.Write(ctx, func(c Conn) error {
		prefix := "EXPLAIN QUERY PLAN "
		if c.Backend() == Postgres {
			prefix = "EXPLAIN "
			if _, err := c.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
				return err
			}
		}
		for name, build := range queries {
			q, args := build()
			plan, err := explain(ctx, c, prefix+q, args)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			out[name] = plan
		}
		return nil
	})
	return out, err
}

func explain(ctx context.Context, c Conn, q string, args []any) (string, error) {
	rows, err := c.Query(ctx, q, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		lines = append(lines, fmt.Sprint(vals[len(vals)-1]))
	}
	return strings.Join(lines, "\n"), rows.Err()
}

// LatestVersionOf returns the latest version of an object of a collection.
func LatestVersionOf(ctx context.Context, c Conn, collectionID int64, stixID string) (StixVersion, error) {
	return scanVersion(false)(c.QueryRow(ctx, "SELECT "+versionColumns+
		" FROM stix_objects o WHERE o.collection_id = ? AND o.stix_id = ? AND o.is_latest", collectionID, stixID))
}

// IndicatorLink is an indicator linked to a topic or a case, with what a page shows of
// both ends: the indicator's latest version and name, the topic's or case's title.
type IndicatorLink struct {
	ID           int64
	CollectionID int64
	StixID       string
	TopicID      int64 // exactly one of TopicID and CaseID
	CaseID       int64
	LinkedBy     int64
	LinkedAt     time.Time
	Seq          int64 // the indicator's latest version
	Name         string
	Title        string
}

// InsertIndicatorLink links an object to a topic or a case; ErrDuplicate if it is.
func InsertIndicatorLink(ctx context.Context, c Conn, l IndicatorLink) (int64, error) {
	var topic, kase any
	if l.TopicID != 0 {
		topic = l.TopicID
	} else {
		kase = l.CaseID
	}
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO indicator_links (collection_id, stix_id, topic_id, case_id, linked_by, linked_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, l.CollectionID, l.StixID, topic, kase, l.LinkedBy, ms(l.LinkedAt)).Scan(&id)
	return id, classify(err)
}

// DeleteIndicatorLink removes a link.
func DeleteIndicatorLink(ctx context.Context, c Conn, id int64) error {
	_, err := c.Exec(ctx, "DELETE FROM indicator_links WHERE id = ?", id)
	return classify(err)
}

const linkQuery = `SELECT l.id, l.collection_id, l.stix_id, COALESCE(l.topic_id, 0), COALESCE(l.case_id, 0), l.linked_by, l.linked_at,
	COALESCE(lo.seq, 0), COALESCE(lo.name, ''), COALESCE(lt.title, lc.title, '')
	FROM indicator_links l
	LEFT JOIN stix_objects lo ON lo.collection_id = l.collection_id AND lo.stix_id = l.stix_id AND lo.is_latest
	LEFT JOIN topics lt ON lt.id = l.topic_id
	LEFT JOIN cases lc ON lc.id = l.case_id`

func scanLink(s scanner) (IndicatorLink, error) {
	var l IndicatorLink
	var at int64
	err := s.Scan(&l.ID, &l.CollectionID, &l.StixID, &l.TopicID, &l.CaseID, &l.LinkedBy, &at, &l.Seq, &l.Name, &l.Title)
	l.LinkedAt = fromMS(at)
	return l, classify(err)
}

// GetIndicatorLink returns one link, whoever may see it.
func GetIndicatorLink(ctx context.Context, c Conn, id int64) (IndicatorLink, error) {
	return scanLink(c.QueryRow(ctx, linkQuery+" WHERE l.id = ?", id))
}

// LinkEnd names the end of the links listed: an object, a topic or a case.
type LinkEnd struct {
	CollectionID int64
	StixID       string
	TopicID      int64
	CaseID       int64
}

// ListIndicatorLinks returns the links at one end that the filter (over l) lets through,
// oldest first, at most limit.
func ListIndicatorLinks(ctx context.Context, c Conn, f Filter, end LinkEnd, limit int) ([]IndicatorLink, error) {
	var where string
	var args []any
	switch {
	case end.TopicID != 0:
		where, args = "l.topic_id = ?", []any{end.TopicID}
	case end.CaseID != 0:
		where, args = "l.case_id = ?", []any{end.CaseID}
	default:
		where, args = "l.collection_id = ? AND l.stix_id = ?", []any{end.CollectionID, end.StixID}
	}
	rows, err := c.Query(ctx, linkQuery+" WHERE "+where+" AND "+f.where()+fmt.Sprintf(" ORDER BY l.id LIMIT %d", Page{Limit: limit}.limit()),
		append(args, f.Args...)...)
	return collect(rows, err, scanLink)
}
