package desk

import (
	"context"
	"errors"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
)

// Files on cases: on the case itself (when it is filed, and later by the reporting
// organization or the center) and on the messages and internal notes of its thread (by
// their author). They are read and checked as the SNS reads its attachments (size limit,
// SHA-256, contents stored once in blobs), but belong to the case: a file is seen by
// whoever sees the case, a file on an internal note by center staff only
// (policy.CanViewCaseAttachment). Every download is audited.

// Limits on files.
const (
	// DefaultMaxAttachment is the largest file when SetMaxAttachment was not called (the
	// configuration's default, --attachment-max).
	DefaultMaxAttachment = 25 << 20
	// MaxAttachmentsPerItem is the most files on the case itself, and on each message.
	MaxAttachmentsPerItem = 5
	// MaxAttachmentsPerCase is the most files on a case and all its messages together, so
	// that its file list is always whole (Attachments returns them all).
	MaxAttachmentsPerCase = 1000
)

// Upload is a file to attach: its name, declared type and contents.
type Upload = sns.Upload

// SetMaxAttachment sets the largest file accepted, in bytes (the configuration's
// attachment limit, shared with the SNS).
func (s *Service) SetMaxAttachment(n int64) { s.maxAttachment = n }

// MaxAttachment is the largest file accepted, in bytes.
func (s *Service) MaxAttachment() int64 { return s.maxAttachment }

// EventCaseAttachment is the event log kind of a file added to a case; its detail names the
// case, the file and, for a file on a message, the message and whether it is a note.
const EventCaseAttachment = "case.attachment"

// readFiles reads and checks uploads before any transaction: too many, too large, empty or
// badly named files are refused and nothing is stored.
func (s *Service) readFiles(ups []Upload) ([]sns.File, error) {
	if len(ups) > MaxAttachmentsPerItem {
		return nil, fault.Field("file", "caseattach.too_many", "max", MaxAttachmentsPerItem)
	}
	files := make([]sns.File, 0, len(ups))
	for _, up := range ups {
		f, err := sns.ReadUpload(up, s.maxAttachment)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// storeFiles stores files on the item that base names (its case, message and internal
// flag), in the caller's transaction, after checking the count limit. Each file gets its
// event in the log (for the live pages) and its audit record.
func (s *Service) storeFiles(ctx context.Context, c store.Conn, p auth.Principal, base model.CaseAttachment, files []sns.File, now time.Time) ([]model.CaseAttachment, error) {
	if len(files) == 0 {
		return nil, nil
	}
	n, err := store.CountCaseAttachments(ctx, c, base.CaseID, base.MessageID)
	if err != nil {
		return nil, err
	}
	if n+len(files) > MaxAttachmentsPerItem {
		return nil, fault.Field("file", "caseattach.too_many", "max", MaxAttachmentsPerItem)
	}
	total, err := store.CountCaseAttachments(ctx, c, base.CaseID, -1)
	if err != nil {
		return nil, err
	}
	if total+len(files) > s.maxCaseFiles {
		return nil, fault.Field("file", "caseattach.case_full", "max", s.maxCaseFiles)
	}
	out := make([]model.CaseAttachment, 0, len(files))
	for _, f := range files {
		a := base
		a.Name, a.ContentType, a.Size, a.SHA256, a.UploadedBy, a.CreatedAt = f.Name, f.ContentType, f.Size, f.SHA256, p.User.ID, now
		if err := store.PutBlob(ctx, c, f.SHA256, f.Data, now); err != nil {
			return nil, err
		}
		if a.ID, err = store.InsertCaseAttachment(ctx, c, a); err != nil {
			return nil, err
		}
		ev := CaseEvent{CaseID: a.CaseID, MessageID: a.MessageID, AttachmentID: a.ID, Internal: a.Internal}
		if err := s.event(ctx, c, p.User.ID, EventCaseAttachment, ev, now); err != nil {
			return nil, err
		}
		if _, err := audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "case.attachment_added", TargetType: "case_attachment",
			TargetID: a.ID, Detail: map[string]any{"case_id": a.CaseID, "message_id": a.MessageID, "internal": a.Internal,
				"name": a.Name, "size": a.Size, "sha256": a.SHA256}}, now); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Attach adds files to a case (messageID 0) or to one of its messages. The case itself
// takes files from its reporting organization and the center; a message from its author.
func (s *Service) Attach(ctx context.Context, p auth.Principal, caseID, messageID int64, ups []Upload) ([]model.CaseAttachment, error) {
	if len(ups) == 0 {
		return nil, fault.Field("file", "caseattach.file_required")
	}
	files, err := s.readFiles(ups)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	var out []model.CaseAttachment
	err = s.write(ctx, func(c store.Conn) error {
		l, err := s.load(ctx, c, p, caseID)
		if err != nil {
			return err
		}
		base := model.CaseAttachment{CaseID: caseID}
		author := int64(0)
		if messageID != 0 {
			m, err := store.GetCaseMessage(ctx, c, messageID)
			if errors.Is(err, store.ErrNotFound) || (err == nil && (m.CaseID != caseID ||
				!policy.CanViewCaseMessage(p.Actor, policy.CaseMessageFacts{Case: l.facts, Internal: m.Internal}))) {
				return fault.Field("message_id", "caseattach.message_not_found")
			} else if err != nil {
				return err
			}
			base.MessageID, base.Internal, author = m.ID, m.Internal, m.AuthorID
		}
		if !policy.CanAttachToCase(p.Actor, l.facts, author) {
			return forbidden()
		}
		if err := refuseMerged(l.k); err != nil {
			return err
		}
		out, err = s.storeFiles(ctx, c, p, base, files, now)
		return err
	})
	return out, err
}

// Attachments lists the files of a case and its messages that the viewer may see: the
// case's own first, then by message.
func (s *Service) Attachments(ctx context.Context, p auth.Principal, caseID int64) ([]model.CaseAttachment, error) {
	c := s.db.Read()
	l, err := s.load(ctx, c, p, caseID)
	if err != nil {
		return nil, err
	}
	list, err := store.ListCaseAttachments(ctx, c, caseID, policy.CanViewInternalNotes(p.Actor), s.maxCaseFiles)
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, a := range list {
		if policy.CanViewCaseAttachment(p.Actor, policy.CaseAttachmentFacts{Case: l.facts, Internal: a.Internal}) {
			out = append(out, a)
		}
	}
	return out, nil
}

// OpenAttachment returns a file of a case after the access check on the case (and on the
// note it hangs on); a file the viewer may not see is NotFound, like a missing one. caseID
// 0 does not name the case; another case's id is NotFound. Every download is audited.
func (s *Service) OpenAttachment(ctx context.Context, p auth.Principal, caseID, id int64) (model.CaseAttachment, []byte, error) {
	c := s.db.Read()
	a, err := store.GetCaseAttachment(ctx, c, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && caseID != 0 && a.CaseID != caseID) {
		return model.CaseAttachment{}, nil, notFound()
	} else if err != nil {
		return model.CaseAttachment{}, nil, err
	}
	l, err := s.load(ctx, c, p, a.CaseID)
	if err != nil {
		return model.CaseAttachment{}, nil, err
	}
	if !policy.CanViewCaseAttachment(p.Actor, policy.CaseAttachmentFacts{Case: l.facts, Internal: a.Internal}) {
		return model.CaseAttachment{}, nil, notFound()
	}
	data, err := store.GetBlob(ctx, c, a.SHA256)
	if err != nil {
		return model.CaseAttachment{}, nil, err
	}
	err = s.db.Write(ctx, func(c store.Conn) error {
		_, err := audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "case.attachment_downloaded", TargetType: "case_attachment",
			TargetID: a.ID, Detail: map[string]any{"case_id": a.CaseID, "message_id": a.MessageID, "sha256": a.SHA256}}, s.now())
		return err
	})
	if err != nil {
		return model.CaseAttachment{}, nil, err
	}
	return a, data, nil
}
