package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// ---- The consultation desk (そうだんの窓口): the report form, the queue, the case page ----

// registerDesk adds the desk's pages (the forms that carry files: registerCaseFiles).
func (web *Web) registerDesk(h func(string, http.HandlerFunc), s func(http.HandlerFunc) http.HandlerFunc) {
	h("GET /desk", s(web.deskQueue))
	h("GET /desk/new", s(web.deskNew))
	h("GET /desk/cases/{id}", s(web.deskCase))
	h("POST /desk/cases/{id}/transition", s(web.deskTransition))
	h("POST /desk/cases/{id}/assign", s(web.deskAssign))
	h("POST /desk/cases/{id}/partners", s(web.deskInvite))
	h("POST /desk/cases/{id}/partners/{org}/revoke", s(web.deskRevoke))
	h("POST /desk/cases/{id}/links", s(web.deskLink))
	h("GET /desk/cases/{id}/publish", s(web.deskPublishPage))
	h("POST /desk/cases/{id}/publish", s(web.deskPublish))
	h("GET /desk/oncall", s(web.deskOnCall))
	h("POST /desk/oncall", s(web.deskOnCallAdd))
	h("POST /desk/oncall/{id}/remove", s(web.deskOnCallRemove))
	h("GET /desk/report", s(web.deskReport))
	h("GET /desk/report.md", s(web.deskReportFile("md")))
	h("GET /desk/report.csv", s(web.deskReportFile("csv")))
}

// Template helpers: names of the desk's codes in the page's language.
func (p *page) CaseKindName(k model.CaseKind) string { return p.T("case_kind." + string(k)) }
func (p *page) CaseCategoryName(c model.CaseCategory) string {
	return p.T("case_category." + string(c))
}
func (p *page) CaseStateName(s model.CaseState) string { return p.T("case_state." + string(s)) }
func (p *page) UrgencyName(u model.Urgency) string     { return p.T("urgency." + string(u)) }
func (p *page) ImpactName(i model.Impact) string       { return p.T("impact." + string(i)) }
func (p *page) SLAName(f desk.Flag) string             { return p.T("sla." + string(f)) }
func (p *page) ObservableKindName(k model.ObservableKind) string {
	return p.T("observable_kind." + string(k))
}

// IsCenter lets templates show the center's tools; the service decides what is allowed.
func (p *page) IsCenter() bool { return policy.CanViewInternalNotes(p.Actor) }

// ---- The report form ----

// caseForm is the report form as typed: a failed post shows all of it again.
type caseForm struct {
	Kind, Category, Title, Description string
	DetectedAt                         string // datetime-local, in the reader's zone
	Affected                           string
	Impact, Urgency                    string
	Public                             bool
	Observables                        string
	HadFile                            bool // files were chosen: a failed post asks for them again
}

func readCaseForm(r *http.Request) caseForm {
	f := r.PostFormValue
	return caseForm{Kind: f("kind"), Category: f("category"), Title: f("title"), Description: f("description"),
		DetectedAt: f("detected_at"), Affected: f("affected_services"), Impact: f("event_impact"), Urgency: f("urgency"),
		Public: f("public_visibility") == "1", Observables: f("observables"), HadFile: hadFiles(r)}
}

// Is tells the form which choice is made.
func (in caseForm) Is(field, value string) bool {
	switch field {
	case "kind":
		return in.Kind == value
	case "urgency":
		return in.Urgency == value
	case "impact":
		return in.Impact == value
	case "category":
		return in.Category == value
	}
	return false
}

type caseFormData struct {
	Input      caseForm
	Kinds      []model.CaseKind
	Categories []model.CaseCategory
	Urgencies  []model.Urgency
	Impacts    []model.Impact
	Max        int
	MaxFiles   int
	MaxFileMiB int64
}

func (web *Web) newCaseFormData(in caseForm) caseFormData {
	return caseFormData{Input: in, Kinds: model.CaseKinds, Categories: model.CaseCategories, Urgencies: model.Urgencies,
		Impacts: model.Impacts, Max: desk.MaxObservables, MaxFiles: desk.MaxAttachmentsPerItem, MaxFileMiB: web.app.Desk.MaxAttachment() >> 20}
}

func (web *Web) deskNew(w http.ResponseWriter, r *http.Request) {
	p := web.newPage(w, r, "deskform.title", "desk")
	p.Data = web.newCaseFormData(caseForm{Kind: string(model.CaseIncident), Impact: string(model.ImpactUnknown), Urgency: string(model.UrgencyHigh)})
	web.render(w, r, http.StatusOK, "desk_new", p)
}

// deskCreate files the case. On any error the form comes back with everything typed
// (the page also keeps a draft in the browser, for a session that ended meanwhile).
func (web *Web) deskCreate(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	in := readCaseForm(r)
	p := web.newPage(w, r, "deskform.title", "desk")
	ci := desk.CaseInput{Kind: in.Kind, Category: in.Category, Title: in.Title, Description: in.Description,
		AffectedServices: in.Affected, EventImpact: in.Impact, PublicVisibility: in.Public, Urgency: in.Urgency}
	var errs fault.List
	if v := strings.TrimSpace(in.DetectedAt); v != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", v, p.loc)
		if err != nil {
			errs.Add("detected_at", "deskform.bad_time")
		}
		ci.DetectedAt = t
	}
	obs, err := desk.ObservablesFromText(in.Observables)
	errs.AddErr("observables", err)
	ci.Observables = obs
	ups, closeFiles, err := caseUploads(r)
	defer closeFiles()
	errs.AddErr("file", err)
	ci.Files = ups
	var k model.Case
	if len(errs) == 0 {
		k, err = web.app.Desk.File(r.Context(), pr, ci)
	} else {
		err = errs.Err()
	}
	if err != nil {
		if fault.KindOf(err) != fault.Invalid {
			web.fail(w, r, err)
			return
		}
		p.setErrors(err)
		if in.Kind == "" {
			in.Kind = string(model.CaseIncident)
		}
		p.Data = web.newCaseFormData(in)
		web.render(w, r, http.StatusUnprocessableEntity, "desk_new", p)
		return
	}
	web.redirectFlash(w, r, "/desk/cases/"+strconv.FormatInt(k.ID, 10)+"?filed=1", "flash.case_filed")
}

// ---- The queue ----

type deskRow struct {
	Case    model.Case
	SLA     desk.Status
	OrgName string
	Handler string
}

type deskQueueData struct {
	Rows       []deskRow
	Filter     desk.ListQuery
	HandlerArg string
	Next       string // query string of the next page, "" on the last
	States     []model.CaseState
	Urgencies  []model.Urgency
	Categories []model.CaseCategory
	Impacts    []model.Impact
	Staff      []model.User
	Counts     map[string]int
	LiveFrom   int64 // the live stream's position when the page was read (see liveFrom)
}

func (web *Web) deskQueue(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	from := web.liveFrom()
	q := r.URL.Query()
	lq := desk.ListQuery{State: q.Get("state"), Urgency: q.Get("urgency"), Category: q.Get("category"), Impact: q.Get("event_impact"),
		SLA: q.Get("sla"), Text: q.Get("q"), Open: q.Get("open") == "1", Limit: 50}
	lq.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	handler := q.Get("handler")
	switch handler {
	case "":
	case "me":
		lq.HandlerID = pr.User.ID
	default:
		lq.HandlerID, _ = strconv.ParseInt(handler, 10, 64)
	}
	items, next, err := web.app.Desk.List(r.Context(), pr, lq)
	p := web.newPage(w, r, "desk.title", "desk")
	if err != nil {
		if fault.KindOf(err) != fault.Invalid {
			web.fail(w, r, err)
			return
		}
		p.setErrors(err)
	}
	d := deskQueueData{Filter: lq, HandlerArg: handler, States: model.CaseStates, Urgencies: model.Urgencies,
		Categories: model.CaseCategories, Impacts: model.Impacts, Counts: map[string]int{}}
	names := web.names(r.Context(), pr)
	for _, it := range items {
		d.Rows = append(d.Rows, deskRow{Case: it.Case, SLA: it.SLA, OrgName: names.org(it.Case.OrgID, p.Lang),
			Handler: names.person(it.Case.HandlerID)})
	}
	if next != 0 {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("before", strconv.FormatInt(next, 10))
		d.Next = nq.Encode()
	}
	if counts, err := web.app.Desk.Counts(r.Context(), pr, desk.ListQuery{}, "state"); err == nil {
		for _, c := range counts {
			d.Counts[c.Key] = c.Count
		}
	}
	if p.IsCenter() {
		d.Staff = web.centerStaff(r.Context(), pr)
	}
	d.LiveFrom = from
	p.Data = d
	web.render(w, r, http.StatusOK, "desk_queue", p)
}

// centerStaff lists the analysts of the caller's own (center) organization, for the
// handler choice.
func (web *Web) centerStaff(ctx context.Context, pr auth.Principal) []model.User {
	users, err := web.app.Directory.ListUsers(ctx, pr, directory.UserQuery{OrgID: pr.User.OrgID, Page: store.Page{Limit: store.MaxPage}})
	if err != nil {
		return nil
	}
	var out []model.User
	for _, u := range users {
		if u.CenterRole != model.CenterNone {
			out = append(out, u)
		}
	}
	return out
}

// nameBook resolves the names of organizations and people shown on desk pages through
// the directory (so only what the reader may see); unknown ones show as a dash.
type nameBook struct {
	ctx   context.Context
	web   *Web
	pr    auth.Principal
	orgs  map[int64]model.Org
	users map[int64]string
}

func (web *Web) names(ctx context.Context, pr auth.Principal) *nameBook {
	return &nameBook{ctx: ctx, web: web, pr: pr, orgs: map[int64]model.Org{}, users: map[int64]string{}}
}

func (b *nameBook) org(id int64, lang model.Lang) string {
	if id == 0 {
		return "—"
	}
	o, ok := b.orgs[id]
	if !ok {
		var err error
		if o, err = b.web.app.Directory.GetOrg(b.ctx, b.pr, id); err != nil {
			o = model.Org{NameJA: "—"}
		}
		b.orgs[id] = o
	}
	return o.Name(lang)
}

func (b *nameBook) person(id int64) string {
	if id == 0 {
		return ""
	}
	n, ok := b.users[id]
	if !ok {
		n = ""
		if u, err := b.web.app.Directory.GetUser(b.ctx, b.pr, id); err == nil {
			n = u.DisplayName
		}
		b.users[id] = n
	}
	return n
}

// ---- The case page ----

type deskEntry struct {
	At       time.Time
	Who      string
	WhoOrg   string
	Message  *model.CaseMessage
	Event    *model.CaseEvent
	Detail   map[string]any
	OrgName  string // for partner entries
	Internal bool
}

type deskPartner struct {
	OrgID int64
	Name  string
}

type deskCaseData struct {
	View        desk.View
	OrgName     string
	Reporter    string
	Handler     string
	Entries     []deskEntry
	Partners    []deskPartner
	Invitable   []model.Org
	Staff       []model.User
	Filed       bool
	Message     string
	MaxMessage  int
	Transitions []model.CaseState
	LiveFrom    int64 // the live stream's position when the page was read (see liveFrom)
	Files       caseFilesData
	Indicators  intel.Related // indicators sharing a value, and links (intellinks.go)
}

func (web *Web) deskCase(w http.ResponseWriter, r *http.Request) {
	web.renderCase(w, r, http.StatusOK, nil, "")
}

// renderCase shows a case; a failed form on it comes back with its error and what was typed.
func (web *Web) renderCase(w http.ResponseWriter, r *http.Request, status int, formErr error, typed string) {
	pr := httpx.MustPrincipal(r)
	from := web.liveFrom()
	ctx := r.Context()
	id := idParam(r, "id")
	v, err := web.app.Desk.Get(ctx, pr, id)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	msgs, err := web.app.Desk.Messages(ctx, pr, id, store.Page{Limit: store.MaxPage})
	if err != nil {
		web.fail(w, r, err)
		return
	}
	events, err := web.app.Desk.Timeline(ctx, pr, id, store.Page{Limit: store.MaxPage})
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "deskcase.title", "desk")
	if formErr != nil {
		p.setErrors(formErr)
	}
	names := web.names(ctx, pr)
	d := deskCaseData{View: v, OrgName: names.org(v.Case.OrgID, p.Lang), Reporter: names.person(v.Case.ReporterID),
		Handler: names.person(v.Case.HandlerID), Filed: r.URL.Query().Get("filed") == "1", Message: typed,
		MaxMessage: desk.MaxMessageLen, Transitions: v.Transitions, LiveFrom: from}
	d.Indicators = web.relatedIndicators(ctx, pr, 0, id)
	for i := range msgs {
		m := msgs[i]
		d.Entries = append(d.Entries, deskEntry{At: m.CreatedAt, Who: names.person(m.AuthorID), WhoOrg: names.org(m.AuthorOrgID, p.Lang),
			Message: &m, Internal: m.Internal})
	}
	for i := range events {
		e := events[i]
		en := deskEntry{At: e.At, Who: names.person(e.ActorID), Event: &e, Detail: map[string]any{}}
		_ = json.Unmarshal([]byte(e.Detail), &en.Detail)
		if o, ok := en.Detail["org_id"].(float64); ok {
			en.OrgName = names.org(int64(o), p.Lang)
		}
		if h, ok := en.Detail["handler_id"].(float64); ok && h != 0 {
			en.OrgName = names.person(int64(h))
		}
		d.Entries = append(d.Entries, en)
	}
	sortEntries(d.Entries)
	for _, pt := range v.Partners {
		d.Partners = append(d.Partners, deskPartner{OrgID: pt.OrgID, Name: names.org(pt.OrgID, p.Lang)})
	}
	if d.Files, err = web.caseFiles(r, v, names); err != nil {
		web.fail(w, r, err)
		return
	}
	if v.CanHandle {
		d.Staff = web.centerStaff(ctx, pr)
		d.Invitable = web.invitable(ctx, pr, v)
	}
	p.Data = d
	web.render(w, r, status, "desk_case", p)
}

// sortEntries orders the timeline by time, events before messages of the same instant.
func sortEntries(es []deskEntry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].At.Before(es[j-1].At); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// partnerKinds are the organizations offered first for an invitation: the security
// agencies and law enforcement of the seeds (IPA, JPCERT/CC, NICT, JC3, police), then
// ministries and CTI vendors.
var partnerKinds = []model.OrgKind{model.KindSecurityAgency, model.KindPolice, model.KindMinistry, model.KindCTIVendor}

func (web *Web) invitable(ctx context.Context, pr auth.Principal, v desk.View) []model.Org {
	invited := map[int64]bool{v.Case.OrgID: true}
	for _, pt := range v.Partners {
		invited[pt.OrgID] = true
	}
	var out []model.Org
	for _, k := range partnerKinds {
		orgs, err := web.app.Directory.ListOrgs(ctx, pr, directory.OrgQuery{Kind: string(k), Page: store.Page{Limit: store.MaxPage}})
		if err != nil {
			continue
		}
		for _, o := range orgs {
			if !invited[o.ID] {
				out = append(out, o)
			}
		}
	}
	return out
}

func (web *Web) caseURL(r *http.Request) string {
	return "/desk/cases/" + strconv.FormatInt(idParam(r, "id"), 10)
}

// afterCaseAction redirects back to the case, or shows it again with the form's error.
func (web *Web) afterCaseAction(w http.ResponseWriter, r *http.Request, err error, flash, typed string) {
	if err == nil {
		web.redirectFlash(w, r, web.caseURL(r), flash)
		return
	}
	switch fault.KindOf(err) {
	case fault.Invalid, fault.Conflict, fault.Forbidden:
		web.renderCase(w, r, statusOf(fault.KindOf(err)), err, typed)
	default:
		web.fail(w, r, err)
	}
}

func (web *Web) deskMessage(w http.ResponseWriter, r *http.Request) {
	body := r.PostFormValue("body")
	ups, closeFiles, err := caseUploads(r)
	defer closeFiles()
	if err == nil {
		_, err = web.app.Desk.AddMessageWithFiles(r.Context(), httpx.MustPrincipal(r), idParam(r, "id"), body, r.PostFormValue("internal") == "1", ups)
	}
	web.afterCaseAction(w, r, err, "flash.case_message_sent", body)
}

func (web *Web) deskTransition(w http.ResponseWriter, r *http.Request) {
	_, err := web.app.Desk.Transition(r.Context(), httpx.MustPrincipal(r), idParam(r, "id"), r.PostFormValue("to"))
	web.afterCaseAction(w, r, err, "flash.case_state_changed", "")
}

func (web *Web) deskAssign(w http.ResponseWriter, r *http.Request) {
	handler, _ := strconv.ParseInt(r.PostFormValue("handler_id"), 10, 64)
	_, err := web.app.Desk.Assign(r.Context(), httpx.MustPrincipal(r), idParam(r, "id"),
		desk.Assignment{Team: r.PostFormValue("team"), HandlerID: handler})
	web.afterCaseAction(w, r, err, "flash.case_assigned", "")
}

func (web *Web) deskInvite(w http.ResponseWriter, r *http.Request) {
	org, _ := strconv.ParseInt(r.PostFormValue("org_id"), 10, 64)
	err := web.app.Desk.InvitePartner(r.Context(), httpx.MustPrincipal(r), idParam(r, "id"), org)
	web.afterCaseAction(w, r, err, "flash.case_partner_invited", "")
}

func (web *Web) deskRevoke(w http.ResponseWriter, r *http.Request) {
	err := web.app.Desk.RevokePartner(r.Context(), httpx.MustPrincipal(r), idParam(r, "id"), idParam(r, "org"))
	web.afterCaseAction(w, r, err, "flash.case_partner_revoked", "")
}

func (web *Web) deskLink(w http.ResponseWriter, r *http.Request) {
	other, _ := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(r.PostFormValue("other_id")), "#"), 10, 64)
	pr := httpx.MustPrincipal(r)
	var err error
	if r.PostFormValue("merge") == "1" {
		err = web.app.Desk.Merge(r.Context(), pr, idParam(r, "id"), other)
	} else {
		err = web.app.Desk.Link(r.Context(), pr, idParam(r, "id"), other)
	}
	web.afterCaseAction(w, r, err, "flash.case_linked", "")
}

// CaseEventName names a timeline entry's kind.
func (p *page) CaseEventName(kind string) string { return p.T("deskcase.event." + kind) }

// ---- The event-impact report and the desk's figures ----

type deskReportData struct {
	From, To string // datetime-local values in the reader's zone
	Query    string // from=…&to=… for the download links
	Report   desk.Report
	Figures  desk.Figures
	Ready    bool
}

// reportWindow reads from and to (datetime-local, the reader's zone); without them the
// window is the current half-day, the seeds' AM and PM reports.
func reportWindow(r *http.Request, loc *time.Location, now time.Time) (time.Time, time.Time, error) {
	q := r.URL.Query()
	if q.Get("from") == "" && q.Get("to") == "" {
		n := now.In(loc)
		from := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
		if n.Hour() >= 12 {
			from = from.Add(12 * time.Hour)
		}
		return from, from.Add(12 * time.Hour), nil
	}
	var errs fault.List
	from, err := time.ParseInLocation("2006-01-02T15:04", q.Get("from"), loc)
	if err != nil {
		errs.Add("from", "deskform.bad_time")
	}
	to, err := time.ParseInLocation("2006-01-02T15:04", q.Get("to"), loc)
	if err != nil {
		errs.Add("to", "deskform.bad_time")
	}
	return from, to, errs.Err()
}

func (web *Web) deskReport(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	p := web.newPage(w, r, "deskreport.title", "desk")
	from, to, err := reportWindow(r, p.loc, web.app.Desk.Now())
	d := deskReportData{From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to")}
	if err == nil {
		d.From, d.To = from.In(p.loc).Format("2006-01-02T15:04"), to.In(p.loc).Format("2006-01-02T15:04")
		d.Query = url.Values{"from": {d.From}, "to": {d.To}}.Encode()
		d.Report, err = web.app.Desk.EventReport(r.Context(), pr, from, to)
	}
	if err == nil {
		d.Figures, err = web.app.Desk.Figures(r.Context(), pr, from, to)
	}
	status := http.StatusOK
	switch {
	case err == nil:
		d.Ready = true
	case fault.KindOf(err) == fault.Invalid:
		p.setErrors(err)
		status = http.StatusUnprocessableEntity
	default:
		web.fail(w, r, err)
		return
	}
	p.Data = d
	web.render(w, r, status, "desk_report", p)
}

// deskReportFile downloads the report as Markdown or CSV; each download is audited.
func (web *Web) deskReportFile(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pr := httpx.MustPrincipal(r)
		loc := pr.User.Location()
		from, to, err := reportWindow(r, loc, web.app.Desk.Now())
		var rep desk.Report
		if err == nil {
			rep, err = web.app.Desk.EventReport(r.Context(), pr, from, to)
		}
		if err == nil {
			err = web.app.Desk.RecordExport(r.Context(), pr, rep, format)
		}
		if err != nil {
			web.fail(w, r, err)
			return
		}
		name := "event-impact-" + from.In(loc).Format("20060102-1504")
		var body []byte
		if format == "csv" {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			body = rep.CSV(lang(r), loc)
			name += ".csv"
		} else {
			w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
			body = []byte(rep.Markdown(lang(r), loc))
			name += ".md"
		}
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
		w.Header().Set("Cache-Control", "no-store")
		w.Write(body)
	}
}

// Minutes shows a duration in whole minutes, or a dash for none.
func (p *page) Minutes(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return strconv.FormatInt(int64(d.Round(time.Minute)/time.Minute), 10)
}

// CaseCategoryCode and CaseStateCode name a category or state given as a code (counts).
func (p *page) CaseCategoryCode(code string) string {
	return p.CaseCategoryName(model.CaseCategory(code))
}
func (p *page) CaseStateCode(code string) string { return p.CaseStateName(model.CaseState(code)) }

// ---- Sanitized publication ----

type deskPublishData struct {
	Case        model.Case
	Input       desk.Publication
	Communities []model.Community
	TLPs        []model.TLP
}

func (web *Web) deskPublishForm(w http.ResponseWriter, r *http.Request, status int, in *desk.Publication, formErr error) {
	pr := httpx.MustPrincipal(r)
	id := idParam(r, "id")
	v, err := web.app.Desk.Get(r.Context(), pr, id)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "deskpubform.title", "desk")
	if in == nil {
		draft, err := web.app.Desk.PublicationDraft(r.Context(), pr, id, p.Lang)
		if err != nil {
			web.fail(w, r, err)
			return
		}
		in = &draft
	}
	comms, err := web.app.Communities.Mine(r.Context(), pr, store.Page{Limit: store.MaxPage})
	if err != nil {
		web.fail(w, r, err)
		return
	}
	if formErr != nil {
		p.setErrors(formErr)
	}
	p.Data = deskPublishData{Case: v.Case, Input: *in, Communities: comms, TLPs: []model.TLP{model.TLPClear, model.TLPGreen, model.TLPAmber, model.TLPAmberStrict}}
	web.render(w, r, status, "desk_publish", p)
}

func (web *Web) deskPublishPage(w http.ResponseWriter, r *http.Request) {
	web.deskPublishForm(w, r, http.StatusOK, nil, nil)
}

func (web *Web) deskPublish(w http.ResponseWriter, r *http.Request) {
	community, _ := strconv.ParseInt(r.PostFormValue("community_id"), 10, 64)
	in := desk.Publication{CommunityID: community, Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), TLP: r.PostFormValue("tlp")}
	t, err := web.app.Desk.Publish(r.Context(), httpx.MustPrincipal(r), idParam(r, "id"), in)
	if err != nil {
		if k := fault.KindOf(err); k == fault.Invalid || k == fault.Forbidden {
			web.deskPublishForm(w, r, statusOf(k), &in, err)
			return
		}
		web.fail(w, r, err)
		return
	}
	web.redirectFlash(w, r, "/topics/"+strconv.FormatInt(t.ID, 10), "flash.case_published")
}

// ---- The on-call rota ----

type deskShift struct {
	ID       int64
	Name     string
	StartsAt time.Time
	EndsAt   time.Time
	Now      bool
}

type deskOnCallData struct {
	Shifts     []deskShift
	Staff      []model.User
	From, To   string
	UserID     int64
	MaxShiftDy int
}

func (web *Web) deskOnCallPage(w http.ResponseWriter, r *http.Request, status int, in *deskOnCallData, formErr error) {
	pr := httpx.MustPrincipal(r)
	shifts, err := web.app.Desk.Shifts(r.Context(), pr)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "deskoncall.title", "desk")
	if formErr != nil {
		p.setErrors(formErr)
	}
	d := deskOnCallData{}
	if in != nil {
		d = *in
	}
	d.Staff, d.MaxShiftDy = web.centerStaff(r.Context(), pr), int(desk.MaxShift/(24*time.Hour))
	names := web.names(r.Context(), pr)
	now := web.app.Desk.Now()
	for _, s := range shifts {
		d.Shifts = append(d.Shifts, deskShift{ID: s.ID, Name: names.person(s.UserID), StartsAt: s.StartsAt, EndsAt: s.EndsAt,
			Now: !now.Before(s.StartsAt) && now.Before(s.EndsAt)})
	}
	p.Data = d
	web.render(w, r, status, "desk_oncall", p)
}

func (web *Web) deskOnCall(w http.ResponseWriter, r *http.Request) {
	web.deskOnCallPage(w, r, http.StatusOK, nil, nil)
}

func (web *Web) deskOnCallAdd(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	loc := pr.User.Location()
	in := deskOnCallData{From: r.PostFormValue("starts_at"), To: r.PostFormValue("ends_at")}
	in.UserID, _ = strconv.ParseInt(r.PostFormValue("user_id"), 10, 64)
	var errs fault.List
	from, err := time.ParseInLocation("2006-01-02T15:04", in.From, loc)
	if err != nil {
		errs.Add("starts_at", "deskform.bad_time")
	}
	to, err := time.ParseInLocation("2006-01-02T15:04", in.To, loc)
	if err != nil {
		errs.Add("ends_at", "deskform.bad_time")
	}
	err = errs.Err()
	if err == nil {
		_, err = web.app.Desk.AddShift(r.Context(), pr, in.UserID, from, to)
	}
	if err != nil {
		if fault.KindOf(err) == fault.Invalid {
			web.deskOnCallPage(w, r, http.StatusUnprocessableEntity, &in, err)
			return
		}
		web.fail(w, r, err)
		return
	}
	web.redirectFlash(w, r, "/desk/oncall", "flash.oncall_added")
}

func (web *Web) deskOnCallRemove(w http.ResponseWriter, r *http.Request) {
	if err := web.app.Desk.RemoveShift(r.Context(), httpx.MustPrincipal(r), idParam(r, "id")); err != nil {
		web.fail(w, r, err)
		return
	}
	web.redirectFlash(w, r, "/desk/oncall", "flash.oncall_removed")
}

// liveFrom is where the desk pages' live updates start: the last event the hub had sent
// out before the page was read, so that an event in between is not lost (0 when the hub
// is not running: the stream then starts from the present).
func (web *Web) liveFrom() int64 {
	if web.app.Live == nil {
		return 0
	}
	select {
	case <-web.app.Live.Ready():
		return web.app.Live.Last()
	default:
		return 0
	}
}
