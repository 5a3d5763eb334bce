package sns

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"unicode"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// Upload is a file to attach.
type Upload struct {
	Name        string
	ContentType string // as declared; checked against the content
	Body        io.Reader
}

// AddAttachment attaches a file to a topic (commentID 0) or to one of its comments. The
// file is read up to the size limit; a larger one is refused and nothing is stored.
func (s *Service) AddAttachment(ctx context.Context, p auth.Principal, topicID, commentID int64, up Upload) (model.Attachment, error) {
	f, err := ReadUpload(up, s.maxAttachment)
	if err != nil {
		return model.Attachment{}, err
	}
	data := f.Data
	a := model.Attachment{TopicID: topicID, CommentID: commentID, Name: f.Name, ContentType: f.ContentType,
		Size: f.Size, SHA256: f.SHA256, UploadedBy: p.User.ID}
	now := s.now()
	err = s.write(ctx, func(c store.Conn) error {
		l, err := s.load(ctx, c, p, topicID)
		if err != nil {
			return err
		}
		if err := s.checkAttachTarget(ctx, c, p, l, commentID); err != nil {
			return err
		}
		n, err := store.CountAttachments(ctx, c, topicID, commentID)
		if err != nil {
			return err
		}
		if n >= MaxAttachments {
			return fault.Field("file", "attachment.too_many", "max", MaxAttachments)
		}
		if err := store.PutBlob(ctx, c, a.SHA256, data, now); err != nil {
			return err
		}
		if a.ID, err = store.InsertAttachment(ctx, c, a, now); err != nil {
			return err
		}
		return indexTopic(ctx, c, topicID)
	})
	a.CreatedAt = now
	return a, err
}

// checkAttachTarget checks that the comment (if any) is a live one of the topic, and asks
// the policy whether the person may attach there.
func (s *Service) checkAttachTarget(ctx context.Context, c store.Conn, p auth.Principal, l loaded, commentID int64) error {
	commentAuthor := int64(0)
	if commentID != 0 {
		x, err := store.GetComment(ctx, c, commentID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && (x.TopicID != l.topic.ID || x.Deleted())) {
			return fault.Field("comment_id", "comment.parent_not_found")
		}
		if err != nil {
			return err
		}
		commentAuthor = x.AuthorID
	}
	if !policy.CanAttach(p.Actor, l.facts, commentAuthor) {
		return forbidden()
	}
	return nil
}

// Attachments lists the files of a topic and its comments.
func (s *Service) Attachments(ctx context.Context, p auth.Principal, topicID int64) ([]model.Attachment, error) {
	if _, err := s.load(ctx, s.db.Read(), p, topicID); err != nil {
		return nil, err
	}
	return store.ListAttachments(ctx, s.db.Read(), topicID)
}

// OpenAttachment returns a file after the access check on its topic. Every download of a
// TLP:RED or TLP:AMBER+STRICT file is audited.
func (s *Service) OpenAttachment(ctx context.Context, p auth.Principal, id int64) (model.Attachment, []byte, error) {
	c := s.db.Read()
	a, err := store.GetAttachment(ctx, c, id)
	if errors.Is(err, store.ErrNotFound) {
		return a, nil, notFound()
	} else if err != nil {
		return a, nil, err
	}
	l, err := s.load(ctx, c, p, a.TopicID)
	if err != nil {
		return model.Attachment{}, nil, err
	}
	if a.CommentID != 0 {
		if x, err := store.GetComment(ctx, c, a.CommentID); err != nil || x.Deleted() {
			return model.Attachment{}, nil, notFound()
		}
	}
	data, err := store.GetBlob(ctx, c, a.SHA256)
	if err != nil {
		return a, nil, err
	}
	if l.topic.TLP.LeavesPlatform() {
		return a, data, nil
	}
	err = s.write(ctx, func(c store.Conn) error {
		_, err := audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "attachment.downloaded", TargetType: "attachment",
			TargetID: id, Detail: map[string]any{"topic_id": a.TopicID, "tlp": l.topic.TLP, "sha256": a.SHA256}}, s.now())
		return err
	})
	return a, data, err
}

// File is an upload read and checked: its clean name, the type it is served with, its
// size, digest and contents.
type File struct {
	Name        string
	ContentType string
	Size        int64
	SHA256      string
	Data        []byte
}

// ReadUpload reads a file up to max bytes: a larger or empty one, or one without a usable
// name, is refused. The desk's case files are read the same way.
func ReadUpload(up Upload, max int64) (File, error) {
	name, err := cleanFileName(up.Name)
	if err != nil {
		return File{}, err
	}
	data, err := io.ReadAll(io.LimitReader(up.Body, max+1))
	if err != nil {
		return File{}, err
	}
	if int64(len(data)) > max {
		return File{}, fault.Field("file", "attachment.too_large", "max_mib", max>>20)
	}
	if len(data) == 0 {
		return File{}, fault.Field("file", "attachment.empty")
	}
	sum := sha256.Sum256(data)
	return File{Name: name, ContentType: contentType(name, up.ContentType, data), Size: int64(len(data)),
		SHA256: hex.EncodeToString(sum[:]), Data: data}, nil
}

// cleanFileName keeps the last path element, without control characters.
func cleanFileName(name string) (string, error) {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' {
			return -1
		}
		return r
	}, name)
	name, err := model.CleanText(name, MaxAttachNameLen, true)
	if err != nil || name == "." || name == "/" {
		return "", fault.Field("file", "attachment.bad_name")
	}
	return name, nil
}

// contentType is the declared type when it agrees with the content's family, else what the
// content looks like. Files are always served as attachments with nosniff, so the type
// only guides the reader's computer.
func contentType(name, declared string, data []byte) string {
	sniffed := http.DetectContentType(data)
	if declared == "" || declared == "application/octet-stream" {
		if byExt := mime.TypeByExtension(path.Ext(name)); byExt != "" {
			return byExt
		}
		return sniffed
	}
	if mt, _, err := mime.ParseMediaType(declared); err == nil {
		return mt
	}
	return sniffed
}
