package store

import (
	"context"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
)

const commentColumns = "id, topic_id, parent_id, author_id, author_org_id, body, created_at, edited_at, deleted_at"

func scanComment(s scanner) (model.Comment, error) {
	var x model.Comment
	var created, edited, deleted int64
	err := s.Scan(&x.ID, &x.TopicID, &x.ParentID, &x.AuthorID, &x.AuthorOrgID, &x.Body, &created, &edited, &deleted)
	x.CreatedAt, x.EditedAt, x.DeletedAt = fromMS(created), fromMS(edited), fromMS(deleted)
	return x, classify(err)
}

// InsertComment adds a comment and counts it on its topic.
func InsertComment(ctx context.Context, c Conn, x model.Comment, now time.Time) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO comments (topic_id, parent_id, author_id, author_org_id, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, x.TopicID, x.ParentID, x.AuthorID, x.AuthorOrgID, x.Body, ms(now)).Scan(&id)
	if err != nil {
		return 0, classify(err)
	}
	return id, TouchTopic(ctx, c, x.TopicID, now, 1)
}

// GetComment returns one comment.
func GetComment(ctx context.Context, c Conn, id int64) (model.Comment, error) {
	return scanComment(c.QueryRow(ctx, "SELECT "+commentColumns+" FROM comments WHERE id = ?", id))
}

// ListComments returns a page of a topic's comments in the order they were written.
func ListComments(ctx context.Context, c Conn, topicID int64, p Page) ([]model.Comment, error) {
	rows, err := c.Query(ctx, "SELECT "+commentColumns+" FROM comments WHERE topic_id = ? AND id > ? ORDER BY id LIMIT ?",
		topicID, p.After, p.limit())
	return collect(rows, err, scanComment)
}

// MarkCommentDeleted soft-deletes a comment; its body is kept for the audit trail only.
func MarkCommentDeleted(ctx context.Context, c Conn, id, by int64, now time.Time) error {
	res, err := c.Exec(ctx, "UPDATE comments SET deleted_at = ?, deleted_by = ? WHERE id = ? AND deleted_at = 0", ms(now), by, id)
	return affected(res, err)
}

// TopicTextForIndex returns what the search index holds of a topic besides its title: the
// body, the comments that are not deleted and the attachment names.
func TopicTextForIndex(ctx context.Context, c Conn, topicID int64) (title, rest string, err error) {
	var body string
	if err = c.QueryRow(ctx, "SELECT title, body FROM topics WHERE id = ?", topicID).Scan(&title, &body); err != nil {
		return "", "", classify(err)
	}
	parts := []string{body}
	rows, err := c.Query(ctx, "SELECT body FROM comments WHERE topic_id = ? AND deleted_at = 0 ORDER BY id", topicID)
	texts, err := collect(rows, err, scanString)
	if err != nil {
		return "", "", err
	}
	parts = append(parts, texts...)
	rows, err = c.Query(ctx, "SELECT name FROM attachments WHERE topic_id = ? ORDER BY id", topicID)
	names, err := collect(rows, err, scanString)
	parts = append(parts, names...)
	rest = ""
	for _, p := range parts {
		rest += p + "\n"
	}
	return title, rest, err
}

func scanString(s scanner) (string, error) {
	var v string
	err := s.Scan(&v)
	return v, err
}

// ---- Attachments ----

const attachmentColumns = "id, topic_id, comment_id, name, content_type, size, sha256, uploaded_by, created_at"

func scanAttachment(s scanner) (model.Attachment, error) {
	var a model.Attachment
	var created int64
	err := s.Scan(&a.ID, &a.TopicID, &a.CommentID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.UploadedBy, &created)
	a.CreatedAt = fromMS(created)
	return a, classify(err)
}

// PutBlob stores file contents under their SHA-256, once.
func PutBlob(ctx context.Context, c Conn, sha string, data []byte, now time.Time) error {
	_, err := c.Exec(ctx, "INSERT INTO blobs (sha256, size, data, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
		sha, len(data), data, ms(now))
	return classify(err)
}

// GetBlob returns file contents.
func GetBlob(ctx context.Context, c Conn, sha string) ([]byte, error) {
	var data []byte
	err := c.QueryRow(ctx, "SELECT data FROM blobs WHERE sha256 = ?", sha).Scan(&data)
	return data, classify(err)
}

// InsertAttachment records a file on a topic or comment.
func InsertAttachment(ctx context.Context, c Conn, a model.Attachment, now time.Time) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO attachments (topic_id, comment_id, name, content_type, size, sha256, uploaded_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, a.TopicID, a.CommentID, a.Name, a.ContentType, a.Size, a.SHA256, a.UploadedBy, ms(now)).Scan(&id)
	return id, classify(err)
}

// GetAttachment returns one attachment's record.
func GetAttachment(ctx context.Context, c Conn, id int64) (model.Attachment, error) {
	return scanAttachment(c.QueryRow(ctx, "SELECT "+attachmentColumns+" FROM attachments WHERE id = ?", id))
}

// ListAttachments returns the attachments of a topic and its comments.
func ListAttachments(ctx context.Context, c Conn, topicID int64) ([]model.Attachment, error) {
	rows, err := c.Query(ctx, "SELECT "+attachmentColumns+" FROM attachments WHERE topic_id = ? ORDER BY comment_id, id LIMIT 1000", topicID)
	return collect(rows, err, scanAttachment)
}

// CountAttachments returns how many files a topic (commentID 0) or a comment has.
func CountAttachments(ctx context.Context, c Conn, topicID, commentID int64) (int, error) {
	var n int
	err := c.QueryRow(ctx, "SELECT COUNT(*) FROM attachments WHERE topic_id = ? AND comment_id = ?", topicID, commentID).Scan(&n)
	return n, err
}

// ---- Events ----

// Event is one entry of the event log.
type Event struct {
	ID          int64
	Kind        string
	TopicID     int64
	CommentID   int64
	CommunityID int64
	ActorID     int64
	Detail      string
	CreatedAt   time.Time
}

// InsertEvent appends to the event log in the caller's transaction.
func InsertEvent(ctx context.Context, c Conn, e Event, now time.Time) (int64, error) {
	if e.Detail == "" {
		e.Detail = "{}"
	}
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO events (kind, topic_id, comment_id, community_id, actor_id, detail, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, e.Kind, e.TopicID, e.CommentID, e.CommunityID, e.ActorID, e.Detail, ms(now)).Scan(&id)
	return id, classify(err)
}

// ListEvents returns events after the given id, oldest first.
func ListEvents(ctx context.Context, c Conn, after int64, limit int) ([]Event, error) {
	rows, err := c.Query(ctx, `SELECT id, kind, topic_id, comment_id, community_id, actor_id, detail, created_at
		FROM events WHERE id > ? ORDER BY id LIMIT ?`, after, Page{Limit: limit}.limit())
	return collect(rows, err, func(s scanner) (Event, error) {
		var e Event
		var at int64
		err := s.Scan(&e.ID, &e.Kind, &e.TopicID, &e.CommentID, &e.CommunityID, &e.ActorID, &e.Detail, &at)
		e.CreatedAt = fromMS(at)
		return e, err
	})
}

// LastEventID returns the id of the newest event, 0 when there is none.
func LastEventID(ctx context.Context, c Conn) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM events").Scan(&id)
	return id, err
}

// InsertMention records that an event mentions an organization or a person.
func InsertMention(ctx context.Context, c Conn, eventID, orgID, userID int64) error {
	_, err := c.Exec(ctx, "INSERT INTO mentions (event_id, org_id, user_id) VALUES (?, ?, ?)", eventID, orgID, userID)
	return err
}

// ListMentions returns the organizations and people an event mentions.
func ListMentions(ctx context.Context, c Conn, eventID int64) (orgs, users []int64, err error) {
	rows, err := c.Query(ctx, "SELECT org_id, user_id FROM mentions WHERE event_id = ?", eventID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var o, u int64
		if err := rows.Scan(&o, &u); err != nil {
			return nil, nil, err
		}
		if o != 0 {
			orgs = append(orgs, o)
		}
		if u != 0 {
			users = append(users, u)
		}
	}
	return orgs, users, rows.Err()
}
