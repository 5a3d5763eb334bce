package web

// Observation pages: an organization's notices and its registered assets, the center's
// compose page (one notice to many organizations), its approval queue, and its view of
// how long notices take to be read.

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/observe"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// maxComposeOrgs bounds the organizations the compose and asset forms list.
const maxComposeOrgs = 2000

// SeverityName, NoticeKindName, AssetKindName and AssetStatusName name observation codes.
func (p *page) SeverityName(s string) string    { return p.T("observe.severity." + s) }
func (p *page) NoticeKindName(k string) string  { return p.T("observe.kind." + k) }
func (p *page) AssetKindName(k string) string   { return p.T("observe.asset_kind." + k) }
func (p *page) AssetStatusName(s string) string { return p.T("observe.status." + s) }

// Duration shows a time to read in hours and minutes, or days and hours.
func (p *page) Duration(d time.Duration) string {
	if d <= 0 {
		return p.T("webobserve.duration_minutes", "m", 0)
	}
	m := int(d.Round(time.Minute) / time.Minute)
	switch {
	case m < 60:
		return p.T("webobserve.duration_minutes", "m", m)
	case m < 48*60:
		return p.T("webobserve.duration_hours", "h", m/60, "m", m%60)
	}
	return p.T("webobserve.duration_days", "d", m/(24*60), "h", (m/60)%24)
}

// orgNames returns the names of organizations by id (those the reader may see).
func (web *Web) orgNames(r *http.Request, ids []int64) map[int64]model.Org {
	out := map[int64]model.Org{}
	pr := httpx.MustPrincipal(r)
	for _, id := range ids {
		if _, ok := out[id]; ok {
			continue
		}
		if o, err := web.app.Directory.GetOrg(r.Context(), pr, id); err == nil {
			out[id] = o
		}
	}
	return out
}

// activeOrgs lists the directory's active organizations, for the center's forms.
func (web *Web) activeOrgs(r *http.Request) ([]model.Org, error) {
	pr := httpx.MustPrincipal(r)
	var out []model.Org
	var after int64
	for len(out) < maxComposeOrgs {
		page, err := web.app.Directory.ListOrgs(r.Context(), pr, directory.OrgQuery{Page: store.Page{After: after, Limit: store.MaxPage}})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < store.MaxPage {
			break
		}
		after = page[len(page)-1].ID
	}
	return out, nil
}

// ---- Notices ----

type noticesData struct {
	Items      []observe.Notice
	Orgs       map[int64]model.Org
	Unread     int
	UnreadOnly bool
	OlderURL   string
}

func (web *Web) noticesPage(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	q := observe.NoticeQuery{OrgID: orgParam(r), Unread: r.URL.Query().Get("unread") == "1", Limit: 30}
	q.Before, _ = strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	list, next, err := web.app.Observe.Notices(r.Context(), pr, q)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	unread, err := web.app.Observe.UnreadCount(r.Context(), pr)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	d := &noticesData{Items: list, Unread: unread, UnreadOnly: q.Unread}
	// Only the notices' senders see them for several organizations, so only they need the names.
	if policy.CanSendNotice(pr.Actor) {
		var ids []int64
		for _, n := range list {
			ids = append(ids, n.OrgID)
		}
		d.Orgs = web.orgNames(r, ids)
	}
	if next != 0 {
		d.OlderURL = fmt.Sprintf("/notices?before=%d", next)
		if q.Unread {
			d.OlderURL += "&unread=1"
		}
		if q.OrgID != 0 {
			d.OlderURL += fmt.Sprintf("&org=%d", q.OrgID)
		}
	}
	p := web.newPage(w, r, "webobserve.notices_title", "notices")
	p.Data = d
	web.render(w, r, http.StatusOK, "observe_notices", p)
}

// orgParam reads the organization filter of the center's list.
func orgParam(r *http.Request) int64 {
	v, _ := strconv.ParseInt(r.URL.Query().Get("org"), 10, 64)
	return max(v, 0)
}

type noticeData struct {
	View observe.NoticeView
}

func (web *Web) noticePage(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	v, err := web.app.Observe.GetNotice(r.Context(), pr, idParam(r, "id"))
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "webobserve.notice_title", "notices")
	p.Data = &noticeData{View: v}
	web.render(w, r, http.StatusOK, "observe_notice", p)
}

func (web *Web) noticeRead(w http.ResponseWriter, r *http.Request) {
	id := idParam(r, "id")
	if err := web.app.Observe.MarkRead(r.Context(), httpx.MustPrincipal(r), id); err != nil {
		web.fail(w, r, err)
		return
	}
	web.redirectFlash(w, r, "/notices/"+itoa(id), "flash.notice_read")
}

// ---- Compose (center staff) ----

type composeData struct {
	Orgs       []model.Org
	Chosen     map[int64]bool
	In         observe.NoticeInput
	Severities []string
	Kinds      []string
}

func (web *Web) renderCompose(w http.ResponseWriter, r *http.Request, status int, in observe.NoticeInput, err error) {
	pr := httpx.MustPrincipal(r)
	if !policy.CanSendNotice(pr.Actor) {
		web.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	orgs, lerr := web.activeOrgs(r)
	if lerr != nil {
		web.fail(w, r, lerr)
		return
	}
	p := web.newPage(w, r, "webobserve.compose_title", "notices")
	if err != nil {
		p.setErrors(err)
	}
	d := &composeData{Orgs: orgs, Chosen: map[int64]bool{}, In: in, Severities: observe.Severities, Kinds: observe.NoticeKinds}
	for _, id := range in.Orgs {
		d.Chosen[id] = true
	}
	p.Data = d
	web.render(w, r, status, "observe_compose", p)
}

func (web *Web) composePage(w http.ResponseWriter, r *http.Request) {
	web.renderCompose(w, r, http.StatusOK, observe.NoticeInput{Severity: "medium", Kind: observe.NoticeOther}, nil)
}

func (web *Web) composePost(w http.ResponseWriter, r *http.Request) {
	in := observe.NoticeInput{Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), Action: r.PostFormValue("action"),
		Severity: r.PostFormValue("severity"), Kind: r.PostFormValue("kind")}
	for _, v := range r.PostForm["org"] {
		if id, err := parseID(v); err == nil && id > 0 {
			in.Orgs = append(in.Orgs, id)
		}
	}
	sent, err := web.app.Observe.SendNotice(r.Context(), httpx.MustPrincipal(r), in)
	if err != nil {
		kind := fault.KindOf(err)
		if kind != fault.Invalid {
			web.fail(w, r, err)
			return
		}
		web.renderCompose(w, r, statusOf(kind), in, err)
		return
	}
	web.redirectFlash(w, r, fmt.Sprintf("/notices?before=%d", sent[len(sent)-1].ID+1), "flash.notice_sent")
}

// ---- Time to read (center staff) ----

type bar struct {
	X, Y, W, H     int
	LabelX, CountY int
	Label          string
	Count          int
}

type readTimesData struct {
	RT      observe.ReadTimes
	Days    int
	Choices []int
	Bars    []bar
	Width   int
	Height  int
	BaseY   int
}

func (web *Web) readTimesPage(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	if !policy.CanViewReadTimes(pr.Actor) {
		web.renderError(w, r, http.StatusNotFound, "error.not_found")
		return
	}
	days := 30
	if v, err := strconv.Atoi(r.URL.Query().Get("days")); err == nil && slices.Contains([]int{1, 7, 30, 90, 365}, v) {
		days = v
	}
	p := web.newPage(w, r, "webobserve.readtimes_title", "notices")
	rt, err := web.app.Observe.ReadTimes(r.Context(), pr, web.app.Now().Add(-time.Duration(days)*24*time.Hour))
	if err != nil {
		web.fail(w, r, err)
		return
	}
	d := &readTimesData{RT: rt, Days: days, Choices: []int{1, 7, 30, 90, 365}, Width: 600, Height: 220, BaseY: 180}
	most := 1
	for _, b := range rt.Buckets {
		most = max(most, b.Count)
	}
	bw := d.Width / len(rt.Buckets)
	for i, b := range rt.Buckets {
		h := b.Count * 150 / most
		label := p.T("webobserve.bucket_over", "d", p.Duration(rt.Buckets[max(i-1, 0)].Upper))
		if b.Upper != 0 {
			label = p.T("webobserve.bucket_within", "d", p.Duration(b.Upper))
		}
		d.Bars = append(d.Bars, bar{X: i*bw + 8, Y: d.BaseY - h, W: bw - 16, H: h, LabelX: i*bw + bw/2, CountY: d.BaseY - h - 6,
			Label: label, Count: b.Count})
	}
	p.Data = d
	web.render(w, r, http.StatusOK, "observe_readtimes", p)
}

// ---- Assets ----

type assetsData struct {
	Assets     []observe.Asset
	Queue      []observe.Asset
	Orgs       map[int64]model.Org
	AllOrgs    []model.Org
	CanPropose bool
	Kinds      []string
	In         observe.AssetInput
	CSV        string
	Imported   int
	LineErrors []lineError
	OlderURL   string
}

type lineError struct {
	Line    int
	Message string
}

func (web *Web) renderAssets(w http.ResponseWriter, r *http.Request, status int, edit func(p *page, d *assetsData)) {
	pr := httpx.MustPrincipal(r)
	ctx := r.Context()
	before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
	list, next, err := web.app.Observe.Assets(ctx, pr, observe.AssetQuery{Before: before, Limit: 50})
	if err != nil {
		web.fail(w, r, err)
		return
	}
	d := &assetsData{Assets: list, Kinds: observe.AssetKinds, In: observe.AssetInput{Kind: observe.KindDomain},
		CanPropose: policy.CanProposeAsset(pr.Actor, pr.User.OrgID)}
	if next != 0 {
		d.OlderURL = fmt.Sprintf("/assets?before=%d", next)
	}
	ids := []int64{}
	if policy.CanDecideAsset(pr.Actor) {
		if d.Queue, _, err = web.app.Observe.Assets(ctx, pr, observe.AssetQuery{Status: observe.StatusProposed, Limit: 100}); err != nil {
			web.fail(w, r, err)
			return
		}
		if d.AllOrgs, err = web.activeOrgs(r); err != nil {
			web.fail(w, r, err)
			return
		}
		for _, a := range append(slices.Clone(list), d.Queue...) {
			ids = append(ids, a.OrgID)
		}
	}
	d.Orgs = web.orgNames(r, ids)
	p := web.newPage(w, r, "webobserve.assets_title", "assets")
	if edit != nil {
		edit(p, d)
	}
	p.Data = d
	web.render(w, r, status, "observe_assets", p)
}

func (web *Web) assetsPage(w http.ResponseWriter, r *http.Request) {
	web.renderAssets(w, r, http.StatusOK, nil)
}

func (web *Web) assetPropose(w http.ResponseWriter, r *http.Request) {
	in := observe.AssetInput{Kind: r.PostFormValue("kind"), Value: r.PostFormValue("value"), Contact: r.PostFormValue("contact")}
	in.OrgID, _ = parseID(r.PostFormValue("org"))
	if _, err := web.app.Observe.ProposeAsset(r.Context(), httpx.MustPrincipal(r), in); err != nil {
		kind := fault.KindOf(err)
		if kind != fault.Invalid && kind != fault.Conflict {
			web.fail(w, r, err)
			return
		}
		web.renderAssets(w, r, statusOf(kind), func(p *page, d *assetsData) {
			p.setErrors(err)
			d.In = in
		})
		return
	}
	web.redirectFlash(w, r, "/assets", "flash.asset_proposed")
}

func (web *Web) assetImport(w http.ResponseWriter, r *http.Request) {
	text := r.PostFormValue("csv")
	org, _ := parseID(r.PostFormValue("org"))
	res, err := web.app.Observe.ImportCSV(r.Context(), httpx.MustPrincipal(r), org, text)
	if err != nil {
		kind := fault.KindOf(err)
		if kind != fault.Invalid && kind != fault.TooLarge {
			web.fail(w, r, err)
			return
		}
		web.renderAssets(w, r, statusOf(kind), func(p *page, d *assetsData) {
			p.setErrors(err)
			d.CSV = text
		})
		return
	}
	status := http.StatusOK
	if len(res.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	web.renderAssets(w, r, status, func(p *page, d *assetsData) {
		d.Imported = len(res.Added)
		for _, e := range res.Errors {
			d.LineErrors = append(d.LineErrors, lineError{Line: e.Line, Message: i18n.Format(p.Lang, e.Key, e.Args)})
		}
		if len(res.Errors) > 0 {
			d.CSV = text // the refused lines can be corrected and sent again
		}
	})
}

// assetAction handles the buttons of one asset: approve, reject (center) and delete.
func (web *Web) assetAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pr := httpx.MustPrincipal(r)
		id := idParam(r, "id")
		var err error
		switch action {
		case "approve", "reject":
			_, err = web.app.Observe.DecideAsset(r.Context(), pr, id, action == "approve")
		default:
			err = web.app.Observe.DeleteAsset(r.Context(), pr, id)
		}
		if err != nil {
			if fault.KindOf(err) == fault.Conflict {
				web.renderAssets(w, r, http.StatusConflict, func(p *page, d *assetsData) { p.setErrors(err) })
				return
			}
			web.fail(w, r, err)
			return
		}
		switch action {
		case "approve":
			web.redirectFlash(w, r, "/assets", "flash.asset_approved")
		case "reject":
			web.redirectFlash(w, r, "/assets", "flash.asset_rejected")
		default:
			web.redirectFlash(w, r, "/assets", "flash.asset_deleted")
		}
	}
}
