package api

import (
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
)

// CaseAttachment is a file on a case or on a message of its thread.
type CaseAttachment struct {
	ID          int64     `json:"id"`
	CaseID      int64     `json:"case_id"`
	MessageID   int64     `json:"message_id" doc:"the message it is on, 0 for the case itself"`
	Internal    bool      `json:"internal" doc:"on an internal note (center staff only)"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedBy  int64     `json:"uploaded_by"`
	CreatedAt   time.Time `json:"created_at"`
	URL         string    `json:"url" doc:"where to download it (audited)"`
}

func caseAttachmentOut(a model.CaseAttachment) CaseAttachment {
	return CaseAttachment{ID: a.ID, CaseID: a.CaseID, MessageID: a.MessageID, Internal: a.Internal, Name: a.Name, ContentType: a.ContentType,
		Size: a.Size, SHA256: a.SHA256, UploadedBy: a.UploadedBy, CreatedAt: a.CreatedAt,
		URL: Prefix + "/cases/" + strconv.FormatInt(a.CaseID, 10) + "/attachments/" + strconv.FormatInt(a.ID, 10)}
}

func caseAttachmentsOut(list []model.CaseAttachment) List[CaseAttachment] {
	out := List[CaseAttachment]{Items: make([]CaseAttachment, 0, len(list))}
	for _, a := range list {
		out.Items = append(out.Items, caseAttachmentOut(a))
	}
	return out
}

const caseUploadDoc = "multipart/form-data with one or more parts named file (at most 5 on the case, and on each message, in all); " +
	"or one file's bytes as the body, its name in the name parameter"

func (x *API) caseAttachRoutes() {
	// A multipart body holds up to a full item's worth of files besides its headers.
	maxBody := func() int64 { return x.app.Config.MaxBodyBytes + desk.MaxAttachmentsPerItem*x.app.Desk.MaxAttachment() }
	name := []param{{"name", "string", "the file name, when the body is the file itself"}}
	x.add(&op{Method: "GET", Path: "/cases/{id}/attachments", ID: "listCaseAttachments", Tag: "cases",
		Summary: "Files of a case and of the messages the caller may see (files of internal notes for center staff); all of them, at most 1,000 per case", Resp: List[CaseAttachment]{}, Handle: x.listCaseAttachments})
	x.add(&op{Method: "POST", Path: "/cases/{id}/attachments", ID: "uploadCaseAttachments", Tag: "cases",
		Summary: "Attach files to a case (its reporting organization and the center; 409 once it is merged)", Query: name, Upload: true, Multipart: desk.MaxAttachmentsPerItem,
		BodyDoc: caseUploadDoc, MaxBody: maxBody, Resp: List[CaseAttachment]{}, Status: 201, Handle: x.uploadCaseAttachments})
	x.add(&op{Method: "POST", Path: "/cases/{id}/messages/{message_id}/attachments", ID: "uploadCaseMessageAttachments", Tag: "cases",
		Summary: "Attach files to a message of a case's thread (its author; 409 once the case is merged)", Query: name, Upload: true, Multipart: desk.MaxAttachmentsPerItem,
		BodyDoc: caseUploadDoc, MaxBody: maxBody, Resp: List[CaseAttachment]{}, Status: 201, Handle: x.uploadCaseAttachments})
	x.add(&op{Method: "GET", Path: "/cases/{id}/attachments/{attachment_id}", ID: "downloadCaseAttachment", Tag: "cases",
		Summary: "Download a file of a case (404 when the caller may not see it; every download is audited)", Download: true, Handle: x.downloadCaseAttachment})
}

func (x *API) listCaseAttachments(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	list, err := x.app.Desk.Attachments(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	return caseAttachmentsOut(list), nil
}

func (x *API) uploadCaseAttachments(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var messageID int64
	if r.PathValue("message_id") != "" {
		if messageID, err = pathID(r, "message_id"); err != nil {
			return nil, err
		}
	}
	ups, done, err := readUploads(r)
	defer done()
	if err == nil {
		var list []model.CaseAttachment
		if list, err = x.app.Desk.Attach(r.Context(), p, id, messageID, ups); err == nil {
			return caseAttachmentsOut(list), nil
		}
	}
	if isTooLarge(err) {
		return nil, fault.New(fault.TooLarge, "error.too_large")
	}
	return nil, err
}

// readUploads reads the files of a request: the parts named file of a multipart form, or
// the body itself named by the name parameter. done removes the form's temporary files.
func readUploads(r *http.Request) ([]desk.Upload, func(), error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return []desk.Upload{{Name: r.URL.Query().Get("name"), ContentType: r.Header.Get("Content-Type"), Body: r.Body}}, func() {}, nil
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		if isTooLarge(err) {
			return nil, func() {}, err
		}
		return nil, func() {}, fault.New(kindBadRequest, "error.bad_form")
	}
	done := func() { r.MultipartForm.RemoveAll() }
	var ups []desk.Upload
	for _, fh := range r.MultipartForm.File["file"] {
		f, err := fh.Open()
		if err != nil {
			return nil, done, err
		}
		ups = append(ups, desk.Upload{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Body: f})
		prev := done
		done = func() { f.Close(); prev() }
	}
	return ups, done, nil
}

func (x *API) downloadCaseAttachment(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	fileID, err := pathID(r, "attachment_id")
	if err != nil {
		return nil, err
	}
	a, data, err := x.app.Desk.OpenAttachment(r.Context(), p, id, fileID)
	if err != nil {
		return nil, err
	}
	return &File{Name: a.Name, ContentType: a.ContentType, SHA256: a.SHA256, Data: data}, nil
}
