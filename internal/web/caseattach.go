package web

import (
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/model"
)

// ---- Files on the desk's cases: the forms that carry them, the list, the download ----

// registerCaseFiles adds the desk's forms that may carry files (several per form, so the
// body may hold a full item's worth) and the download of a case's file.
func (web *Web) registerCaseFiles(mux *http.ServeMux, s func(http.HandlerFunc) http.HandlerFunc) {
	budget := func() int64 { return desk.MaxAttachmentsPerItem * web.app.Desk.MaxAttachment() }
	up := func(pattern string, fn http.HandlerFunc) { mux.Handle(pattern, web.limitUploads(budget, s(fn))) }
	up("POST /desk/new", web.deskCreate)
	up("POST /desk/cases/{id}/messages", web.deskMessage)
	up("POST /desk/cases/{id}/files", web.deskAttach)
	mux.Handle("GET /desk/cases/{id}/files/{file}", web.limitBody(s(web.deskFileDownload)))
}

// caseUploads opens the files chosen in a form's file input (name "file", multiple);
// closeAll closes them once the service has read them.
func caseUploads(r *http.Request) (ups []desk.Upload, closeAll func(), err error) {
	var opened []multipart.File
	closeAll = func() {
		for _, f := range opened {
			f.Close()
		}
	}
	if r.MultipartForm == nil {
		return nil, closeAll, nil
	}
	for _, fh := range r.MultipartForm.File["file"] {
		if fh.Filename == "" {
			continue // the empty part a browser sends when nothing was chosen
		}
		f, err := fh.Open()
		if err != nil {
			return nil, closeAll, err
		}
		opened = append(opened, f)
		ups = append(ups, desk.Upload{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Body: f})
	}
	return ups, closeAll, nil
}

// hadFiles tells a form shown again after a failed post that files had been chosen: the
// browser does not keep them, so the person must choose them again.
func hadFiles(r *http.Request) bool {
	if r.MultipartForm == nil {
		return false
	}
	for _, fh := range r.MultipartForm.File["file"] {
		if fh.Filename != "" {
			return true
		}
	}
	return false
}

// deskAttach adds files to the case itself (its reporting organization and the center).
func (web *Web) deskAttach(w http.ResponseWriter, r *http.Request) {
	ups, closeAll, err := caseUploads(r)
	defer closeAll()
	if err == nil {
		_, err = web.app.Desk.Attach(r.Context(), httpx.MustPrincipal(r), idParam(r, "id"), 0, ups)
	}
	web.afterCaseAction(w, r, err, "flash.case_files_added", "")
}

// deskFileDownload serves a case's file after the service's access check (and audit
// record): the standard 404 page when the person may not see it.
func (web *Web) deskFileDownload(w http.ResponseWriter, r *http.Request) {
	a, data, err := web.app.Desk.OpenAttachment(r.Context(), httpx.MustPrincipal(r), idParam(r, "id"), idParam(r, "file"))
	if err != nil {
		web.fail(w, r, err)
		return
	}
	writeDownload(w, r, a.Name, a.ContentType, data)
}

// caseFile is one row of a case's list of files.
type caseFile struct {
	model.CaseAttachment
	By string
}

// caseFilesData is what the case page shows of files: the list, the limits, and after a
// failed post which form it was ("message" or "case") and whether it carried files.
type caseFilesData struct {
	Files      []caseFile
	MaxFiles   int
	MaxFileMiB int64
	Posted     string
	HadFile    bool
	CanAttach  bool // on the case itself
}

// CaseFileOn is where a file hangs, in the page's language.
func (p *page) CaseFileOn(a model.CaseAttachment) string {
	switch {
	case a.MessageID == 0:
		return p.T("deskfiles.on_case")
	case a.Internal:
		return p.T("deskfiles.on_note")
	}
	return p.T("deskfiles.on_message")
}

// caseFiles reads the files of a case the viewer may see, for its page.
func (web *Web) caseFiles(r *http.Request, v desk.View, names *nameBook) (caseFilesData, error) {
	d := caseFilesData{MaxFiles: desk.MaxAttachmentsPerItem, MaxFileMiB: web.app.Desk.MaxAttachment() >> 20,
		CanAttach: v.CanAttach}
	if r.Method == http.MethodPost {
		d.HadFile = hadFiles(r)
		switch {
		case strings.HasSuffix(r.URL.Path, "/files"):
			d.Posted = "case"
		case strings.HasSuffix(r.URL.Path, "/messages"):
			d.Posted = "message"
		}
	}
	list, err := web.app.Desk.Attachments(r.Context(), httpx.MustPrincipal(r), v.Case.ID)
	if err != nil {
		return d, err
	}
	for _, a := range list {
		d.Files = append(d.Files, caseFile{CaseAttachment: a, By: names.person(a.UploadedBy)})
	}
	return d, nil
}

// caseFileInput is what the desk_file_input template needs.
type caseFileInput struct {
	P          *page
	ID         string
	Failed     bool // this form was posted and failed: its file error is shown here
	Again      bool // ... and it carried files, which must be chosen again
	MaxFiles   int
	MaxFileMiB int64
}

// CaseFileInput builds the argument of the desk_file_input template for the case page's
// form named form ("message" or "case").
func (p *page) CaseFileInput(id, form string) caseFileInput {
	in := caseFileInput{P: p, ID: id, MaxFiles: desk.MaxAttachmentsPerItem}
	if d, ok := p.Data.(deskCaseData); ok {
		in.MaxFileMiB = d.Files.MaxFileMiB
		in.Failed = d.Files.Posted == form
		in.Again = in.Failed && d.Files.HadFile
	}
	return in
}
