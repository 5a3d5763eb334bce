package store

import (
	"context"

	"github.com/renkei-dev/renkei/internal/model"
)

// ---- Files on the desk's cases ----

const caseAttachmentColumns = "id, case_id, message_id, internal, name, content_type, size, sha256, uploaded_by, created_at"

func scanCaseAttachment(s scanner) (model.CaseAttachment, error) {
	var a model.CaseAttachment
	var created int64
	err := s.Scan(&a.ID, &a.CaseID, &a.MessageID, &a.Internal, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.UploadedBy, &created)
	a.CreatedAt = fromMS(created)
	return a, classify(err)
}

// InsertCaseAttachment records a file on a case or one of its messages; its contents must
// already be stored with PutBlob.
func InsertCaseAttachment(ctx context.Context, c Conn, a model.CaseAttachment) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO case_attachments (case_id, message_id, internal, name, content_type, size, sha256, uploaded_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, a.CaseID, a.MessageID, a.Internal, a.Name, a.ContentType, a.Size, a.SHA256,
		a.UploadedBy, ms(a.CreatedAt)).Scan(&id)
	return id, classify(err)
}

// GetCaseAttachment returns one file's record.
func GetCaseAttachment(ctx context.Context, c Conn, id int64) (model.CaseAttachment, error) {
	return scanCaseAttachment(c.QueryRow(ctx, "SELECT "+caseAttachmentColumns+" FROM case_attachments WHERE id = ?", id))
}

// ListCaseAttachments returns the files of a case and its messages, those of the case
// itself first; files of internal notes only when withInternal.
func ListCaseAttachments(ctx context.Context, c Conn, caseID int64, withInternal bool, limit int) ([]model.CaseAttachment, error) {
	q := "SELECT " + caseAttachmentColumns + " FROM case_attachments WHERE case_id = ?"
	if !withInternal {
		q += " AND internal = FALSE"
	}
	rows, err := c.Query(ctx, q+" ORDER BY message_id, id LIMIT ?", caseID, limit)
	return collect(rows, err, scanCaseAttachment)
}

// CountCaseAttachments returns how many files a case (messageID 0) or one of its messages
// has; messageID -1 counts them all, the case's and its messages'.
func CountCaseAttachments(ctx context.Context, c Conn, caseID, messageID int64) (int, error) {
	var n int
	var err error
	if messageID < 0 {
		err = c.QueryRow(ctx, "SELECT COUNT(*) FROM case_attachments WHERE case_id = ?", caseID).Scan(&n)
	} else {
		err = c.QueryRow(ctx, "SELECT COUNT(*) FROM case_attachments WHERE case_id = ? AND message_id = ?", caseID, messageID).Scan(&n)
	}
	return n, err
}
