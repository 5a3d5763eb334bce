package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/markdown"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/search"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
)

// The pages of the sharing SNS: the timeline, search, topics with their comments, files
// and read progress, and the forms that post and edit them. Every read goes through the
// sns service, which answers NotFound for what the person may not see.

// ---- what the templates show of topics --------------------------------------------------

// InfoTypeName is the name of an information type (脆弱性情報, …).
func (p *page) InfoTypeName(t model.InfoType) string { return p.T("info_type." + string(t)) }

// PriorityTag is the tag shown before a title (【重要】, 【注意】), empty for none.
func (p *page) PriorityTag(pr model.Priority) string {
	if pr == model.PriorityNone {
		return ""
	}
	return p.T("priority." + string(pr))
}

// PriorityName names a priority in a picker, none included.
func (p *page) PriorityName(pr model.Priority) string {
	if pr == model.PriorityNone {
		return p.T("priority.none")
	}
	return p.T("priority." + string(pr))
}

// TLPName is a marking with what it means for the reader (TLP:RED — 指名された個人のみ).
func (p *page) TLPName(t model.TLP) string { return p.T("tlp." + t.Key()) }

// TLPClass is the CSS class of a marking's badge, in the FIRST colours.
func (p *page) TLPClass(t model.TLP) string { return "tlp tlp-" + t.Key() }

// ScopeName names a sharing scope.
func (p *page) ScopeName(s model.Scope) string { return p.T("scope." + string(s)) }

// RefName is the name of an organization or a person named by the service.
func (p *page) RefName(r sns.Ref) string { return r.Name(p.Lang) }

// RenderMarkdown renders a topic or comment body as safe HTML (see package markdown).
func (p *page) RenderMarkdown(src string) template.HTML { return markdown.Render(src) }

// FileSize is a size in bytes for people: 812 B, 14.2 KB, 3.4 MB.
func (p *page) FileSize(n int64) string {
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1024*1024:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB"
	}
	return strconv.FormatFloat(float64(n)/(1024*1024), 'f', 1, 64) + " MB"
}

// Elapsed is a duration for people: 3日4時間, 2時間5分, 12分, 1分未満.
func (p *page) Elapsed(d time.Duration) string {
	if d < time.Minute {
		return p.T("sns.elapsed_under_minute")
	}
	m := int64(d / time.Minute)
	days, hours, mins := m/(24*60), m/60%24, m%60
	switch {
	case days > 0:
		return p.T("sns.elapsed_days", "days", days, "hours", hours)
	case hours > 0:
		return p.T("sns.elapsed_hours", "hours", hours, "minutes", mins)
	}
	return p.T("sns.elapsed_minutes", "minutes", mins)
}

// ---- filters shared by the timeline and search ------------------------------------------

// topicFilter is the filter form as typed, kept to fill the form again and to build links.
type topicFilter struct {
	Community  int64
	InfoType   string
	Priority   string
	TLP        string
	Tag        string
	From, To   string // YYYY-MM-DD in the reader's time zone; To is inclusive
	Unread     bool
	Bookmarked bool
}

// values returns the filter as query parameters, leaving out what does not narrow.
func (f topicFilter) values() url.Values {
	v := url.Values{}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.Community != 0 {
		v.Set("community", itoa(f.Community))
	}
	set("info_type", f.InfoType)
	set("priority", f.Priority)
	set("tlp", f.TLP)
	set("tag", f.Tag)
	set("from", f.From)
	set("to", f.To)
	if f.Unread {
		v.Set("unread", "1")
	}
	if f.Bookmarked {
		v.Set("bookmarked", "1")
	}
	return v
}

// Active reports whether the filter narrows anything.
func (f topicFilter) Active() bool { return len(f.values()) > 0 }

// readTopicFilter reads the filter from the query string. Values that cannot be read are
// reported by field and leave that filter off.
func readTopicFilter(r *http.Request, loc *time.Location) (topicFilter, sns.TimelineQuery, error) {
	get := func(k string) string { return strings.TrimSpace(r.URL.Query().Get(k)) }
	var f topicFilter
	var q sns.TimelineQuery
	var errs fault.List
	if s := get("community"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			errs.Add("community", "timeline.bad_community")
		} else {
			f.Community, q.CommunityID = id, id
		}
	}
	if s := get("info_type"); s != "" {
		t, err := model.ParseInfoType(s)
		errs.AddErr("info_type", err)
		if err == nil {
			f.InfoType, q.InfoType = s, t
		}
	}
	if s := get("priority"); s != "" && s != "none" {
		pr, err := model.ParsePriority(s)
		errs.AddErr("priority", err)
		if err == nil {
			f.Priority, q.Priority = s, pr
		}
	}
	if s := get("tlp"); s != "" {
		t, err := model.ParseTLP(s)
		errs.AddErr("tlp", err)
		if err == nil {
			f.TLP, q.TLP = string(t), t
		}
	}
	if s := strings.TrimPrefix(get("tag"), "#"); s != "" {
		tag, err := model.CleanText(s, sns.MaxTagLen, false)
		errs.AddErr("tag", err)
		if err == nil {
			f.Tag, q.Tag = tag, tag
		}
	}
	day := func(field string) time.Time {
		s := get(field)
		if s == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(time.DateOnly, s, loc)
		if err != nil {
			errs.Add(field, "invalid.date", "value", s)
			return time.Time{}
		}
		return t
	}
	if from := day("from"); !from.IsZero() {
		f.From, q.From = get("from"), from
	}
	if to := day("to"); !to.IsZero() {
		f.To, q.To = get("to"), to.AddDate(0, 0, 1)
	}
	f.Unread, q.Unread = get("unread") != "", get("unread") != ""
	f.Bookmarked, q.Bookmarked = get("bookmarked") != "", get("bookmarked") != ""
	return f, q, errs.Err()
}

// filterData is what the filter form needs besides the filter itself.
type filterData struct {
	Filter      topicFilter
	Communities []model.Community
	Unread      map[int64]int
	InfoTypes   []model.InfoType
	Priorities  []model.Priority
	TLPs        []model.TLP
}

// ---- lists of topics --------------------------------------------------------------------

// topicRow is a topic in a list: the person's own state, its community and author's
// organization, and for search hits the marked title and snippet.
type topicRow struct {
	sns.Item
	Community model.Community
	AuthorOrg model.Org
	Hit       bool
	Title     []search.Segment
	Snippet   []search.Segment
	CutHead   bool
	CutTail   bool
}

// topicListBlock is what the topic_list template shows.
type topicListBlock struct {
	P    *page
	Rows []topicRow
}

// TopicList gathers the arguments of the topic_list template.
func (p *page) TopicList(rows []topicRow) topicListBlock { return topicListBlock{P: p, Rows: rows} }

// Unread reports whether the person has not opened the topic yet.
func (t topicRow) Unread() bool { return t.Read.FirstViewAt.IsZero() }

// listContext loads what every list of topics names: the person's communities and the
// organizations of the authors.
type listContext struct {
	web   *Web
	ctx   context.Context
	pr    auth.Principal
	comms map[int64]model.Community
	orgs  map[int64]model.Org
}

func (web *Web) newListContext(ctx context.Context, pr auth.Principal, comms []model.Community) *listContext {
	lc := &listContext{web: web, ctx: ctx, pr: pr, comms: map[int64]model.Community{}, orgs: map[int64]model.Org{}}
	for _, c := range comms {
		lc.comms[c.ID] = c
	}
	return lc
}

func (lc *listContext) row(it sns.Item) topicRow {
	row := topicRow{Item: it, Community: lc.comms[it.Topic.CommunityID]}
	o, ok := lc.orgs[it.Topic.AuthorOrgID]
	if !ok {
		// An organization the directory does not show (disabled) stays unnamed.
		o, _ = lc.web.app.Directory.GetOrg(lc.ctx, lc.pr, it.Topic.AuthorOrgID)
		lc.orgs[it.Topic.AuthorOrgID] = o
	}
	row.AuthorOrg = o
	return row
}

// topicRows turns a list of topics into rows naming their communities (among comms, the
// person's) and their authors' organizations.
func (web *Web) topicRows(ctx context.Context, pr auth.Principal, items []sns.Item, comms []model.Community) []topicRow {
	lc := web.newListContext(ctx, pr, comms)
	rows := make([]topicRow, 0, len(items))
	for _, it := range items {
		rows = append(rows, lc.row(it))
	}
	return rows
}

// myCommunities lists the communities the person belongs to.
func (web *Web) myCommunities(ctx context.Context, pr auth.Principal) ([]model.Community, error) {
	return web.app.Communities.Mine(ctx, pr, store.Page{Limit: store.MaxPage})
}

// ---- the timeline -----------------------------------------------------------------------

type timelineData struct {
	filterData
	Community *model.Community // the community filtered on, when the person belongs to it
	Rows      []topicRow
	OlderURL  string
	NewestURL string // the first page with the same filters
	ClearURL  string
	Before    int64
	UnreadAll int
}

// beforeParam reads the keyset cursor of the timeline.
func beforeParam(r *http.Request) int64 {
	v, err := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	if err != nil || v < 0 {
		return 0
	}
	return v
}

func (web *Web) timelinePage(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	ctx := r.Context()
	p := web.newPage(w, r, "timeline.title", "timeline")
	f, q, ferr := readTopicFilter(r, pr.User.Location())
	if ferr != nil {
		p.setErrors(ferr)
	}
	q.Before, q.Limit = beforeParam(r), pageSize
	comms, err := web.myCommunities(ctx, pr)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	items, next, err := web.app.SNS.Timeline(ctx, pr, q)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	unread, err := web.app.SNS.UnreadCounts(ctx, pr)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	d := timelineData{filterData: filterData{Filter: f, Communities: comms, Unread: unread,
		InfoTypes: model.InfoTypes, Priorities: model.Priorities[1:], TLPs: model.TLPs}, Before: q.Before}
	for _, n := range unread {
		d.UnreadAll += n
	}
	for i := range comms {
		if comms[i].ID == f.Community {
			d.Community = &comms[i]
		}
	}
	d.Rows = web.topicRows(ctx, pr, items, comms)
	if next != 0 {
		v := f.values()
		v.Set("before", itoa(next))
		d.OlderURL = "/topics?" + v.Encode()
	}
	d.ClearURL, d.NewestURL = "/topics", "/topics"
	if f.Active() {
		d.NewestURL += "?" + f.values().Encode()
	}
	p.Data = d
	web.render(w, r, http.StatusOK, "timeline", p)
}

// ---- search -----------------------------------------------------------------------------

type searchData struct {
	filterData
	Query    string
	Searched bool
	Rows     []topicRow
	MoreURL  string
	Offset   int
}

func (web *Web) searchPage(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	ctx := r.Context()
	p := web.newPage(w, r, "searchpage.title", "search")
	f, q, ferr := readTopicFilter(r, pr.User.Location())
	if ferr != nil {
		p.setErrors(ferr)
	}
	text := r.URL.Query().Get("q")
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	offset = max(offset, 0)
	comms, err := web.myCommunities(ctx, pr)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	d := searchData{filterData: filterData{Filter: f, Communities: comms,
		InfoTypes: model.InfoTypes, Priorities: model.Priorities[1:], TLPs: model.TLPs}, Query: text, Offset: offset}
	if strings.TrimSpace(text) != "" {
		q.Limit = pageSize
		hits, next, err := web.app.SNS.Search(ctx, pr, sns.SearchQuery{Text: text, TimelineQuery: q, Offset: offset})
		switch {
		case fault.Is(err, fault.Invalid): // a query too long, or of too many words
			p.setErrors(err)
		case err != nil:
			web.fail(w, r, err)
			return
		}
		d.Searched = err == nil
		lc := web.newListContext(ctx, pr, comms)
		for _, h := range hits {
			row := lc.row(h.Item)
			row.Hit, row.Title, row.Snippet, row.CutHead, row.CutTail = true, h.Title, h.Snippet, h.CutHead, h.CutTail
			d.Rows = append(d.Rows, row)
		}
		if next != 0 {
			v := f.values()
			v.Set("q", text)
			v.Set("offset", strconv.Itoa(next))
			d.MoreURL = "/search?" + v.Encode()
		}
	}
	p.Data = d
	web.render(w, r, http.StatusOK, "search", p)
}

// ---- files ------------------------------------------------------------------------------

// attachmentDownload serves a file after the service's access check: NotFound (the standard
// 404 page) when the person may not see its topic. Files are always downloaded, never shown
// in the page's origin: Content-Disposition: attachment, nosniff and a sandboxing policy.
func (web *Web) attachmentDownload(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	a, data, err := web.app.SNS.OpenAttachment(r.Context(), pr, idParam(r, "id"))
	if err != nil {
		web.fail(w, r, err)
		return
	}
	writeDownload(w, r, a.Name, a.ContentType, data)
}

// writeDownload sends a stored file as an attachment that the browser will not render
// (nosniff, a sandboxing CSP), never cached.
func writeDownload(w http.ResponseWriter, r *http.Request, name, ct string, data []byte) {
	if _, _, err := mime.ParseMediaType(ct); err != nil || ct == "" {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", contentDisposition(name))
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(data)
	}
}

// contentDisposition names a download: an ASCII fallback for old clients and the exact
// (UTF-8) name for the others (RFC 6266).
func contentDisposition(name string) string {
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, name)
	v := fmt.Sprintf("attachment; filename=%q", fallback)
	if fallback != name {
		v += "; filename*=UTF-8''" + url.PathEscape(name)
	}
	return v
}

// uploadMemory is how much of a multipart form is kept in memory; the rest of a file goes
// to a temporary file, which the server removes after the request.
const uploadMemory = 1 << 20

// limitUpload is limitBody for the forms that may carry a file: a multipart body may be as
// large as the largest attachment plus the usual form fields (any other body keeps the
// usual limit). The form is read here, before the session's CSRF check reads its token
// from it; a multipart request without a session cookie is not read at all, as
// requireSession refuses it.
func (web *Web) limitUpload(next http.Handler) http.Handler {
	return web.limitUploads(web.app.SNS.MaxAttachment, next)
}

// limitUploads is limitUpload for forms that carry up to files() bytes of files (the
// desk's forms take several).
func (web *Web) limitUploads(files func() int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		multi := mt == "multipart/form-data"
		if r.Body != nil {
			limit := web.app.Config.MaxBodyBytes
			if multi {
				limit += files()
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		if r.Method == http.MethodPost {
			var err error
			switch {
			case multi && cookieValue(r, sessionCookie) == "":
				r.PostForm = url.Values{}
			case multi:
				err = r.ParseMultipartForm(uploadMemory)
			default:
				err = r.ParseForm()
			}
			if r.MultipartForm != nil {
				// The server removes the temporary files of the request it parsed
				// itself, not of this copy of it.
				defer r.MultipartForm.RemoveAll()
			}
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					web.renderError(w, web.withSession(r), http.StatusRequestEntityTooLarge, "error.too_large")
					return
				}
				web.renderError(w, web.withSession(r), http.StatusBadRequest, "error.bad_form")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// formFile returns the file chosen in a form's file input, or nil when none was.
func formFile(r *http.Request, name string) *multipart.FileHeader {
	if r.MultipartForm == nil || len(r.MultipartForm.File[name]) == 0 {
		return nil
	}
	if fh := r.MultipartForm.File[name][0]; fh.Filename != "" {
		return fh
	}
	return nil
}

// checkUpload refuses an empty or oversized file before anything is written, so that a
// comment is not posted without the file that was meant to go with it.
func (web *Web) checkUpload(fh *multipart.FileHeader) error {
	limit := web.app.SNS.MaxAttachment()
	switch {
	case fh.Size <= 0:
		return fault.Field("file", "attachment.empty")
	case fh.Size > limit:
		return fault.Field("file", "attachment.too_large", "max_mib", limit>>20)
	}
	return nil
}

// attach stores an uploaded file on a topic (commentID 0) or a comment.
func (web *Web) attach(ctx context.Context, pr auth.Principal, topicID, commentID int64, fh *multipart.FileHeader) error {
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = web.app.SNS.AddAttachment(ctx, pr, topicID, commentID, sns.Upload{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), Body: f})
	return err
}

// idValues reads the numeric values of a repeated form field, ignoring what is not a
// positive number.
func idValues(vs []string) []int64 {
	var out []int64
	for _, s := range vs {
		if id, err := parseID(s); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}

// TLPMeaning is what a marking asks of its readers, without the marking itself (the badge
// shows it): "指名された個人のみ".
func (p *page) TLPMeaning(t model.TLP) string {
	name := p.TLPName(t)
	if _, after, ok := strings.Cut(name, " — "); ok {
		return after
	}
	return name
}
