package web

// MISP feed imports (internal/taxii/mispfeed.go): start an import from a feed's URL or an
// uploaded archive, follow its progress, and see past imports. The progress page reloads
// itself every few seconds while the import runs (an HTTP Refresh header, so no script is
// needed); a link turns that off.

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
)

func (web *Web) mispFeedRoutes(mux *http.ServeMux, h func(string, http.HandlerFunc), s func(http.HandlerFunc) http.HandlerFunc) {
	h("GET /intel/imports", s(web.mispImportsPage))
	h("POST /intel/imports", s(web.mispImportURL))
	// The archive form's body may be as large as an attachment.
	mux.Handle("POST /intel/imports/archive", web.limitUpload(s(web.mispImportArchive)))
	h("GET /intel/imports/{id}", s(web.mispImportPage))
	h("POST /intel/imports/{id}/cancel", s(web.mispImportCancel))
}

// mispImportsPageSize is how many past imports the list shows at once.
const mispImportsPageSize = 30

// mispFeedForm is what was typed into the URL form.
type mispFeedForm struct{ Collection, URL, Repeat string }

type mispImportsData struct {
	Imports     []taxii.FeedImport
	Collections []intel.Collection // those the person may write
	Form        mispFeedForm
	Next        int64 // cursor of the next page, 0 for none
	MinRepeat   int
	MaxRepeat   int
	MaxArchive  int64 // MB
}

// ImportStatus names an import's status.
func (p *page) ImportStatus(m taxii.FeedImport) string { return p.T("webmispfeed.status_" + m.Status) }

// ImportErrorText says what went wrong with one event (the codes are catalog keys made in
// internal/taxii).
func (p *page) ImportErrorText(e taxii.ImportError) string { return p.T(e.Code) }

// ImportRead is how many events of an import were read, done or failed.
func (p *page) ImportRead(m taxii.FeedImport) int64 { return m.EventsDone + m.EventsFailed }

// ImportRate formats an import's rate.
func (p *page) ImportRate(m taxii.FeedImport) string {
	return p.T("webmispfeed.rate_value", "rate", fmt.Sprintf("%.1f", m.Rate()))
}

func (web *Web) writableCollections(r *http.Request) ([]intel.Collection, error) {
	all, err := web.app.Intel.Collections(r.Context(), httpx.MustPrincipal(r))
	var out []intel.Collection
	for _, k := range all {
		if k.CanWrite {
			out = append(out, k)
		}
	}
	return out, err
}

func (web *Web) renderMISPImports(w http.ResponseWriter, r *http.Request, status int, edit func(*page, *mispImportsData)) {
	pr := httpx.MustPrincipal(r)
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	feeds := taxii.FeedImportsOf(web.app)
	list, err := feeds.List(r.Context(), pr, store.Page{After: before, Limit: mispImportsPageSize})
	if err != nil {
		web.fail(w, r, err)
		return
	}
	colls, err := web.writableCollections(r)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	d := &mispImportsData{Imports: list, Collections: colls, MinRepeat: int(taxii.MinSubInterval / time.Minute),
		MaxRepeat: int(taxii.MaxSubInterval / time.Minute), MaxArchive: web.maxArchiveUpload() >> 20}
	if len(list) == mispImportsPageSize {
		d.Next = list[len(list)-1].ID
	}
	p := web.newPage(w, r, "webmispfeed.title", "indicators")
	if edit != nil {
		edit(p, d)
	}
	p.Data = d
	web.render(w, r, status, "mispfeed_list", p)
}

// maxArchiveUpload is the largest archive the page takes: the form's body limit, or the
// importer's, whichever is smaller (the API takes archives up to the importer's limit).
func (web *Web) maxArchiveUpload() int64 {
	return min(web.app.SNS.MaxAttachment(), taxii.FeedImportsOf(web.app).Limits().ArchiveBytes)
}

func (web *Web) mispImportsPage(w http.ResponseWriter, r *http.Request) {
	web.renderMISPImports(w, r, http.StatusOK, nil)
}

// mispImportFailed shows the list again with the form's errors, or fails the request for
// errors that are not about the input.
func (web *Web) mispImportFailed(w http.ResponseWriter, r *http.Request, err error, f mispFeedForm) {
	kind := fault.KindOf(err)
	if kind != fault.Invalid && kind != fault.TooLarge {
		web.fail(w, r, err)
		return
	}
	web.renderMISPImports(w, r, statusOf(kind), func(p *page, d *mispImportsData) {
		p.setErrors(err)
		d.Form = f
	})
}

func (web *Web) mispImportURL(w http.ResponseWriter, r *http.Request) {
	f := mispFeedForm{Collection: r.PostFormValue("collection"), URL: r.PostFormValue("url"), Repeat: r.PostFormValue("repeat")}
	id, _ := strconv.ParseInt(f.Collection, 10, 64)
	if id == 0 {
		web.mispImportFailed(w, r, fault.Field("collection", "invalid.required"), f)
		return
	}
	minutes := 0
	if f.Repeat != "" {
		var err error
		if minutes, err = strconv.Atoi(f.Repeat); err != nil {
			minutes = -1 // reported by the service as out of range
		}
	}
	m, err := taxii.FeedImportsOf(web.app).StartURL(r.Context(), httpx.MustPrincipal(r), id, f.URL, time.Duration(minutes)*time.Minute)
	if err != nil {
		web.mispImportFailed(w, r, err, f)
		return
	}
	web.redirectFlash(w, r, fmt.Sprintf("/intel/imports/%d", m.ID), "flash.mispfeed_started")
}

func (web *Web) mispImportArchive(w http.ResponseWriter, r *http.Request) {
	f := mispFeedForm{Collection: r.PostFormValue("collection")}
	id, _ := strconv.ParseInt(f.Collection, 10, 64)
	fh := formFile(r, "archive")
	switch {
	case id == 0:
		web.mispImportFailed(w, r, fault.Field("archive_collection", "invalid.required"), f)
		return
	case fh == nil:
		web.mispImportFailed(w, r, fault.Field("archive", "invalid.required"), f)
		return
	case fh.Size > web.maxArchiveUpload():
		web.mispImportFailed(w, r, fault.New(fault.TooLarge, "mispfeed.archive_too_large", "max", web.maxArchiveUpload()).WithField("archive"), f)
		return
	}
	file, err := fh.Open()
	if err != nil {
		web.fail(w, r, err)
		return
	}
	defer file.Close()
	m, err := taxii.FeedImportsOf(web.app).StartArchive(r.Context(), httpx.MustPrincipal(r), id, fh.Filename, file)
	if err != nil {
		web.mispImportFailed(w, r, err, f)
		return
	}
	web.redirectFlash(w, r, fmt.Sprintf("/intel/imports/%d", m.ID), "flash.mispfeed_started")
}

type mispImportData struct {
	Import taxii.FeedImport
	Auto   bool // the page reloads itself
}

func (web *Web) mispImportPage(w http.ResponseWriter, r *http.Request) {
	m, err := taxii.FeedImportsOf(web.app).Get(r.Context(), httpx.MustPrincipal(r), idParam(r, "id"))
	if err != nil {
		web.fail(w, r, err)
		return
	}
	d := &mispImportData{Import: m, Auto: m.Status == "running" && r.URL.Query().Get("auto") != "0"}
	if d.Auto {
		w.Header().Set("Refresh", "3")
	}
	p := web.newPage(w, r, "webmispfeed.import_title", "indicators")
	p.Data = d
	web.render(w, r, http.StatusOK, "mispfeed_import", p)
}

func (web *Web) mispImportCancel(w http.ResponseWriter, r *http.Request) {
	id := idParam(r, "id")
	if err := taxii.FeedImportsOf(web.app).Cancel(r.Context(), httpx.MustPrincipal(r), id); err != nil {
		web.fail(w, r, err)
		return
	}
	web.redirectFlash(w, r, fmt.Sprintf("/intel/imports/%d", id), "flash.mispfeed_cancelled")
}
