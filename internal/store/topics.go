package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
)

const topicColumns = `t.id, t.community_id, t.author_id, t.author_org_id, t.title, t.body, t.info_type, t.priority,
	t.tlp, t.scope, t.show_audience, t.pinned, t.version, t.comment_count, t.ack_count,
	t.created_at, t.edited_at, t.last_activity_at, t.deleted_at`

func scanTopic(s scanner) (model.Topic, error) {
	var t model.Topic
	var created, edited, activity, deleted int64
	err := s.Scan(&t.ID, &t.CommunityID, &t.AuthorID, &t.AuthorOrgID, &t.Title, &t.Body, &t.InfoType, &t.Priority,
		&t.TLP, &t.Scope, &t.ShowAudience, &t.Pinned, &t.Version, &t.CommentCount, &t.AckCount,
		&created, &edited, &activity, &deleted)
	t.CreatedAt, t.EditedAt, t.LastActivity, t.DeletedAt = fromMS(created), fromMS(edited), fromMS(activity), fromMS(deleted)
	return t, classify(err)
}

// InsertTopic creates a topic with its tags and, for a selected scope, its audience, in the
// caller's transaction: the scope is never written apart from the topic.
func InsertTopic(ctx context.Context, c Conn, t model.Topic, aud model.Audience, now time.Time) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO topics (community_id, author_id, author_org_id, title, body, info_type, priority, tlp, scope,
		show_audience, created_at, last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.CommunityID, t.AuthorID, t.AuthorOrgID, t.Title, t.Body, t.InfoType, t.Priority, t.TLP, t.Scope,
		t.ShowAudience, ms(now), ms(now)).Scan(&id)
	if err != nil {
		return 0, classify(err)
	}
	if err := SetTopicTags(ctx, c, id, t.Tags); err != nil {
		return 0, err
	}
	return id, AddAudience(ctx, c, id, aud, now)
}

// AddAudience names more organizations and people as recipients of a topic; names already
// there are kept.
func AddAudience(ctx context.Context, c Conn, topicID int64, aud model.Audience, now time.Time) error {
	for _, o := range aud.Orgs {
		if _, err := c.Exec(ctx, `INSERT INTO topic_audience (topic_id, org_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			topicID, o, ms(now)); err != nil {
			return classify(err)
		}
	}
	for _, u := range aud.Users {
		if _, err := c.Exec(ctx, `INSERT INTO topic_audience (topic_id, user_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			topicID, u, ms(now)); err != nil {
			return classify(err)
		}
	}
	return nil
}

// SetTopicScope changes a topic's scope (widening it to the community).
func SetTopicScope(ctx context.Context, c Conn, topicID int64, scope model.Scope, now time.Time) error {
	res, err := c.Exec(ctx, "UPDATE topics SET scope = ?, last_activity_at = ? WHERE id = ?", scope, ms(now), topicID)
	return affected(res, err)
}

// SetTopicTags replaces a topic's tags.
func SetTopicTags(ctx context.Context, c Conn, topicID int64, tags []string) error {
	if _, err := c.Exec(ctx, "DELETE FROM topic_tags WHERE topic_id = ?", topicID); err != nil {
		return err
	}
	for _, tag := range tags {
		if _, err := c.Exec(ctx, "INSERT INTO topic_tags (topic_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING", topicID, tag); err != nil {
			return classify(err)
		}
	}
	return nil
}

// GetTopic returns one topic with its tags, deleted or not.
func GetTopic(ctx context.Context, c Conn, id int64) (model.Topic, error) {
	t, err := scanTopic(c.QueryRow(ctx, "SELECT "+topicColumns+" FROM topics t WHERE t.id = ?", id))
	if err != nil {
		return t, err
	}
	tags, err := topicTags(ctx, c, []int64{id})
	t.Tags = tags[id]
	return t, err
}

// GetAudience returns the named audience of a topic.
func GetAudience(ctx context.Context, c Conn, topicID int64) (model.Audience, error) {
	rows, err := c.Query(ctx, "SELECT COALESCE(org_id, 0), COALESCE(user_id, 0) FROM topic_audience WHERE topic_id = ? ORDER BY org_id, user_id", topicID)
	if err != nil {
		return model.Audience{}, err
	}
	defer rows.Close()
	var a model.Audience
	for rows.Next() {
		var o, u int64
		if err := rows.Scan(&o, &u); err != nil {
			return a, err
		}
		if o != 0 {
			a.Orgs = append(a.Orgs, o)
		} else {
			a.Users = append(a.Users, u)
		}
	}
	return a, rows.Err()
}

func topicTags(ctx context.Context, c Conn, ids []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := c.Query(ctx, "SELECT topic_id, tag FROM topic_tags WHERE topic_id IN ("+placeholders(len(ids))+") ORDER BY topic_id, tag", int64Args(ids)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var tag string
		if err := rows.Scan(&id, &tag); err != nil {
			return nil, err
		}
		out[id] = append(out[id], tag)
	}
	return out, rows.Err()
}

// UpdateTopicContent saves the current state of a topic as a version and writes the new one.
func UpdateTopicContent(ctx context.Context, c Conn, old, next model.Topic, editor int64, now time.Time) error {
	if _, err := c.Exec(ctx, `INSERT INTO topic_versions (topic_id, version, title, body, info_type, priority, tlp, tags, edited_by, edited_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, old.ID, old.Version, old.Title, old.Body, old.InfoType, old.Priority, old.TLP,
		strings.Join(old.Tags, "\n"), editor, ms(now)); err != nil {
		return classify(err)
	}
	res, err := c.Exec(ctx, `UPDATE topics SET title = ?, body = ?, info_type = ?, priority = ?, tlp = ?, show_audience = ?,
		version = version + 1, edited_at = ?, last_activity_at = ? WHERE id = ? AND version = ?`,
		next.Title, next.Body, next.InfoType, next.Priority, next.TLP, next.ShowAudience, ms(now), ms(now), old.ID, old.Version)
	if err := affected(res, err); err != nil {
		return err
	}
	return SetTopicTags(ctx, c, old.ID, next.Tags)
}

// ListTopicVersions returns the earlier versions of a topic, newest first.
func ListTopicVersions(ctx context.Context, c Conn, topicID int64) ([]model.TopicVersion, error) {
	rows, err := c.Query(ctx, `SELECT topic_id, version, title, body, info_type, priority, tlp, tags, edited_by, edited_at
		FROM topic_versions WHERE topic_id = ? ORDER BY version DESC LIMIT 500`, topicID)
	return collect(rows, err, func(s scanner) (model.TopicVersion, error) {
		var v model.TopicVersion
		var tags string
		var at int64
		err := s.Scan(&v.TopicID, &v.Version, &v.Title, &v.Body, &v.InfoType, &v.Priority, &v.TLP, &tags, &v.EditedBy, &at)
		if tags != "" {
			v.Tags = strings.Split(tags, "\n")
		}
		v.EditedAt = fromMS(at)
		return v, err
	})
}

// MarkTopicDeleted soft-deletes a topic.
func MarkTopicDeleted(ctx context.Context, c Conn, id, by int64, now time.Time) error {
	res, err := c.Exec(ctx, "UPDATE topics SET deleted_at = ?, deleted_by = ? WHERE id = ? AND deleted_at = 0", ms(now), by, id)
	return affected(res, err)
}

// SetTopicPinned pins or unpins a topic.
func SetTopicPinned(ctx context.Context, c Conn, id int64, pinned bool) error {
	res, err := c.Exec(ctx, "UPDATE topics SET pinned = ? WHERE id = ?", pinned, id)
	return affected(res, err)
}

// TopicQuery narrows a list of topics; zero fields do not narrow.
type TopicQuery struct {
	CommunityID int64
	InfoType    model.InfoType
	Priority    model.Priority
	TLP         model.TLP
	Tag         string
	From, To    time.Time // created in [From, To)
	// For the person UserID: only topics they have not opened, only their bookmarks.
	UserID     int64
	Unread     bool
	Bookmarked bool
	IDs        []int64 // only these topics (search hits)
	// Keyset: topics with an id below Before (0: from the newest), at most Limit.
	Before int64
	Limit  int
}

func (q TopicQuery) conditions() (string, []any) {
	var where []string
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if q.CommunityID != 0 {
		add("t.community_id = ?", q.CommunityID)
	}
	if q.InfoType != "" {
		add("t.info_type = ?", q.InfoType)
	}
	if q.Priority != "" {
		add("t.priority = ?", q.Priority)
	}
	if q.TLP != "" {
		add("t.tlp = ?", q.TLP)
	}
	if q.Tag != "" {
		add("t.id IN (SELECT topic_id FROM topic_tags WHERE tag = ?)", q.Tag)
	}
	if !q.From.IsZero() {
		add("t.created_at >= ?", ms(q.From))
	}
	if !q.To.IsZero() {
		add("t.created_at < ?", ms(q.To))
	}
	if q.Unread {
		add("NOT EXISTS (SELECT 1 FROM topic_reads r WHERE r.topic_id = t.id AND r.user_id = ? AND r.first_view_at > 0)", q.UserID)
	}
	if q.Bookmarked {
		add("t.id IN (SELECT topic_id FROM bookmarks WHERE user_id = ?)", q.UserID)
	}
	if q.IDs != nil {
		if len(q.IDs) == 0 {
			add("FALSE")
		} else {
			add("t.id IN ("+placeholders(len(q.IDs))+")", int64Args(q.IDs)...)
		}
	}
	if q.Before > 0 {
		add("t.id < ?", q.Before)
	}
	if len(where) == 0 {
		return "TRUE", nil
	}
	return strings.Join(where, " AND "), args
}

// ListTopics returns the newest topics matching q among those the access sources allow
// (built by the policy package), newest first, with their tags. Each source is a branch of
// a UNION ALL, each with its own limit, so that each uses its own index; a topic found by
// two branches is returned once.
func ListTopics(ctx context.Context, c Conn, sources []Filter, q TopicQuery) ([]model.Topic, error) {
	if len(sources) == 0 {
		return nil, nil
	}
	limit := Page{Limit: q.Limit}.limit()
	cond, cargs := q.conditions()
	var parts []string
	var args []any
	for _, s := range sources {
		parts = append(parts, fmt.Sprintf("SELECT * FROM (SELECT t.id FROM topics t WHERE %s AND %s ORDER BY t.id DESC LIMIT %d) b%d",
			s.where(), cond, limit, len(parts)))
		args = append(append(args, s.Args...), cargs...)
	}
	sqlText := "SELECT " + topicColumns + " FROM topics t WHERE t.id IN (" + strings.Join(parts, " UNION ALL ") +
		fmt.Sprintf(") ORDER BY t.id DESC LIMIT %d", limit)
	rows, err := c.Query(ctx, sqlText, args...)
	topics, err := collect(rows, err, scanTopic)
	if err != nil {
		return nil, err
	}
	return withTags(ctx, c, topics)
}

func withTags(ctx context.Context, c Conn, topics []model.Topic) ([]model.Topic, error) {
	ids := make([]int64, len(topics))
	for i, t := range topics {
		ids[i] = t.ID
	}
	tags, err := topicTags(ctx, c, ids)
	for i := range topics {
		topics[i].Tags = tags[topics[i].ID]
	}
	return topics, err
}

// CountUnread returns, per community, how many topics the access sources allow that the
// person has not opened.
func CountUnread(ctx context.Context, c Conn, sources []Filter, userID int64) (map[int64]int, error) {
	out := map[int64]int{}
	if len(sources) == 0 {
		return out, nil
	}
	var parts []string
	var args []any
	for _, s := range sources {
		parts = append(parts, "SELECT t.id, t.community_id FROM topics t WHERE "+s.where())
		args = append(args, s.Args...)
	}
	args = append(args, userID)
	rows, err := c.Query(ctx, `SELECT v.community_id, COUNT(DISTINCT v.id) FROM (`+strings.Join(parts, " UNION ")+`) v
		WHERE NOT EXISTS (SELECT 1 FROM topic_reads r WHERE r.topic_id = v.id AND r.user_id = ? AND r.first_view_at > 0)
		GROUP BY v.community_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var cid int64
		var n int
		if err := rows.Scan(&cid, &n); err != nil {
			return nil, err
		}
		out[cid] = n
	}
	return out, rows.Err()
}

// ---- Reads and bookmarks ----

// RecordView notes that a person opened a topic: the first time, and how often.
func RecordView(ctx context.Context, c Conn, topicID, userID, orgID int64, now time.Time) error {
	_, err := c.Exec(ctx, `INSERT INTO topic_reads (topic_id, user_id, org_id, first_view_at, view_count) VALUES (?, ?, ?, ?, 1)
		ON CONFLICT (topic_id, user_id) DO UPDATE SET view_count = topic_reads.view_count + 1,
		first_view_at = CASE WHEN topic_reads.first_view_at = 0 THEN excluded.first_view_at ELSE topic_reads.first_view_at END`,
		topicID, userID, orgID, ms(now))
	return classify(err)
}

// Acknowledge records a person's "I have read this"; it reports whether it is new. The
// conditional UPDATE makes two concurrent acknowledgements count once on both backends.
func Acknowledge(ctx context.Context, c Conn, topicID, userID, orgID int64, now time.Time) (bool, error) {
	if _, err := c.Exec(ctx, `INSERT INTO topic_reads (topic_id, user_id, org_id) VALUES (?, ?, ?)
		ON CONFLICT (topic_id, user_id) DO NOTHING`, topicID, userID, orgID); err != nil {
		return false, classify(err)
	}
	res, err := c.Exec(ctx, `UPDATE topic_reads SET acked_at = ?, first_view_at = CASE WHEN first_view_at = 0 THEN ? ELSE first_view_at END
		WHERE topic_id = ? AND user_id = ? AND acked_at = 0`, ms(now), ms(now), topicID, userID)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	_, err = c.Exec(ctx, "UPDATE topics SET ack_count = ack_count + 1 WHERE id = ?", topicID)
	return true, err
}

// GetReadState returns what a person did with a topic.
func GetReadState(ctx context.Context, c Conn, topicID, userID int64) (model.ReadState, error) {
	var s model.ReadState
	var first, acked int64
	err := c.QueryRow(ctx, `SELECT COALESCE(MAX(first_view_at), 0), COALESCE(MAX(view_count), 0), COALESCE(MAX(acked_at), 0),
		EXISTS (SELECT 1 FROM bookmarks WHERE user_id = ? AND topic_id = ?) FROM topic_reads WHERE topic_id = ? AND user_id = ?`,
		userID, topicID, topicID, userID).Scan(&first, &s.ViewCount, &acked, &s.Bookmarked)
	s.FirstViewAt, s.AckedAt = fromMS(first), fromMS(acked)
	return s, err
}

// ReadStates returns the read states of a person for several topics.
func ReadStates(ctx context.Context, c Conn, userID int64, ids []int64) (map[int64]model.ReadState, error) {
	out := map[int64]model.ReadState{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := c.Query(ctx, "SELECT topic_id, first_view_at, view_count, acked_at FROM topic_reads WHERE user_id = ? AND topic_id IN ("+placeholders(len(ids))+")",
		append([]any{userID}, int64Args(ids)...)...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, first, acked int64
		var s model.ReadState
		if err := rows.Scan(&id, &first, &s.ViewCount, &acked); err != nil {
			rows.Close()
			return nil, err
		}
		s.FirstViewAt, s.AckedAt = fromMS(first), fromMS(acked)
		out[id] = s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = c.Query(ctx, "SELECT topic_id FROM bookmarks WHERE user_id = ? AND topic_id IN ("+placeholders(len(ids))+")",
		append([]any{userID}, int64Args(ids)...)...)
	marked, err := collect(rows, err, scanID)
	for _, id := range marked {
		s := out[id]
		s.Bookmarked = true
		out[id] = s
	}
	return out, err
}

// SetBookmark adds or removes a bookmark.
func SetBookmark(ctx context.Context, c Conn, userID, topicID int64, on bool, now time.Time) error {
	if on {
		_, err := c.Exec(ctx, "INSERT INTO bookmarks (user_id, topic_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", userID, topicID, ms(now))
		return classify(err)
	}
	_, err := c.Exec(ctx, "DELETE FROM bookmarks WHERE user_id = ? AND topic_id = ?", userID, topicID)
	return err
}

// OrgReads is, for one organization, how many of its people acknowledged a topic and when
// the first did.
type OrgReads struct {
	OrgID   int64
	Readers int
	Viewers int
	FirstAt time.Time
}

// ReadsByOrg returns the acknowledgements and views of a topic grouped by organization.
func ReadsByOrg(ctx context.Context, c Conn, topicID int64) (map[int64]OrgReads, error) {
	rows, err := c.Query(ctx, `SELECT org_id, SUM(CASE WHEN acked_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN first_view_at > 0 THEN 1 ELSE 0 END),
		COALESCE(MIN(CASE WHEN acked_at > 0 THEN acked_at END), 0) FROM topic_reads WHERE topic_id = ? GROUP BY org_id`, topicID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]OrgReads{}
	for rows.Next() {
		var r OrgReads
		var first int64
		if err := rows.Scan(&r.OrgID, &r.Readers, &r.Viewers, &first); err != nil {
			return nil, err
		}
		r.FirstAt = fromMS(first)
		out[r.OrgID] = r
	}
	return out, rows.Err()
}

// AckedUsers returns who acknowledged a topic.
func AckedUsers(ctx context.Context, c Conn, topicID int64) (map[int64]time.Time, error) {
	rows, err := c.Query(ctx, "SELECT user_id, acked_at FROM topic_reads WHERE topic_id = ? AND acked_at > 0", topicID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var id, at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = fromMS(at)
	}
	return out, rows.Err()
}

// CommunityOrgIDs returns the organizations that are members of a community as a whole.
func CommunityOrgIDs(ctx context.Context, c Conn, communityID int64) ([]int64, error) {
	rows, err := c.Query(ctx, "SELECT org_id FROM community_members WHERE community_id = ? AND org_id IS NOT NULL ORDER BY org_id", communityID)
	return collect(rows, err, scanID)
}

// CommunityUserIDs returns the people who are personal members of a community.
func CommunityUserIDs(ctx context.Context, c Conn, communityID int64) ([]int64, error) {
	rows, err := c.Query(ctx, "SELECT user_id FROM community_members WHERE community_id = ? AND user_id IS NOT NULL ORDER BY user_id", communityID)
	return collect(rows, err, scanID)
}

// TouchTopic moves a topic's last activity forward (a comment).
func TouchTopic(ctx context.Context, c Conn, id int64, now time.Time, comments int) error {
	_, err := c.Exec(ctx, "UPDATE topics SET last_activity_at = ?, comment_count = comment_count + ? WHERE id = ?", ms(now), comments, id)
	return err
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// IsModerator reports whether a person moderates a community.
func IsModerator(ctx context.Context, c Conn, communityID, userID int64) (bool, error) {
	var n int
	err := c.QueryRow(ctx, "SELECT COUNT(*) FROM community_moderators WHERE community_id = ? AND user_id = ?", communityID, userID).Scan(&n)
	return n > 0, err
}

// CommunityMembership returns which of the given organizations are members of a community as a
// whole, and which of the given people belong to it (personally or through their
// organization).
func CommunityMembership(ctx context.Context, c Conn, communityID int64, orgs, users []int64) (orgIn, userIn map[int64]bool, err error) {
	orgIn, userIn = map[int64]bool{}, map[int64]bool{}
	if len(orgs) > 0 {
		rows, err := c.Query(ctx, "SELECT org_id FROM community_members WHERE community_id = ? AND org_id IN ("+placeholders(len(orgs))+")",
			append([]any{communityID}, int64Args(orgs)...)...)
		ids, err := collect(rows, err, scanID)
		if err != nil {
			return nil, nil, err
		}
		for _, id := range ids {
			orgIn[id] = true
		}
	}
	if len(users) > 0 {
		rows, err := c.Query(ctx, `SELECT u.id FROM users u WHERE u.id IN (`+placeholders(len(users))+`) AND u.disabled = FALSE AND EXISTS (
			SELECT 1 FROM community_members m WHERE m.community_id = ? AND (m.org_id = u.org_id OR m.user_id = u.id))`,
			append(int64Args(users), communityID)...)
		ids, err := collect(rows, err, scanID)
		if err != nil {
			return nil, nil, err
		}
		for _, id := range ids {
			userIn[id] = true
		}
	}
	return orgIn, userIn, nil
}
