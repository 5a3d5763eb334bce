package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
)

// ---- JSON shapes of the consultation desk ----

// ObservableJSON is one indicator of a case.
type ObservableJSON struct {
	Kind  string `json:"kind" doc:"ip, domain, url or hash (MD5, SHA-1 or SHA-256); defanged values are accepted"`
	Value string `json:"value"`
}

// CaseInput files a case.
type CaseInput struct {
	Kind             string           `json:"kind" doc:"incident, support or consultation"`
	Category         string           `json:"category" doc:"system-outage, cloud-outage, heavy-traffic, dos, defacement, unauthorized-access, malware, data-leak, phishing or other"`
	Title            string           `json:"title"`
	Description      string           `json:"description"`
	DetectedAt       *time.Time       `json:"detected_at,omitempty" doc:"when it was detected (RFC 3339)"`
	AffectedServices string           `json:"affected_services,omitempty" doc:"services and systems affected"`
	EventImpact      string           `json:"event_impact,omitempty" doc:"impact on the event's operations: yes, no or unknown (default)"`
	PublicVisibility bool             `json:"public_visibility,omitempty" doc:"reported in the press or on social media"`
	Urgency          string           `json:"urgency" doc:"critical, high, medium or low: sets the SLA clocks"`
	Observables      []ObservableJSON `json:"observables,omitempty" doc:"at most 100"`
}

// SLAJSON is where a case's clocks stand: ok, near, past (running); met, missed (stopped).
type SLAJSON struct {
	Response string `json:"response"`
	Resolve  string `json:"resolve"`
}

// Case is a case as the caller may see it. Partners, linked cases and the transitions the
// caller may make are given when one case is fetched.
type Case struct {
	ID               int64            `json:"id"`
	OrgID            int64            `json:"org_id" doc:"the reporting organization"`
	ReporterID       int64            `json:"reporter_id"`
	Kind             string           `json:"kind"`
	Category         string           `json:"category"`
	Title            string           `json:"title"`
	Description      string           `json:"description"`
	DetectedAt       *time.Time       `json:"detected_at"`
	AffectedServices string           `json:"affected_services"`
	EventImpact      string           `json:"event_impact"`
	PublicVisibility bool             `json:"public_visibility"`
	Urgency          string           `json:"urgency"`
	State            string           `json:"state"`
	Team             string           `json:"team"`
	HandlerID        int64            `json:"handler_id"`
	MergedInto       int64            `json:"merged_into" doc:"the case this duplicate was merged into, or 0"`
	Observables      []ObservableJSON `json:"observables"`
	CreatedAt        time.Time        `json:"created_at"`
	UpdatedAt        time.Time        `json:"updated_at"`
	FirstResponseAt  *time.Time       `json:"first_response_at"`
	ResolvedAt       *time.Time       `json:"resolved_at"`
	ClosedAt         *time.Time       `json:"closed_at"`
	ResponseDueAt    time.Time        `json:"response_due_at"`
	ResolveDueAt     time.Time        `json:"resolve_due_at"`
	SLA              SLAJSON          `json:"sla"`
	Partners         []int64          `json:"partners,omitempty" doc:"organizations currently invited (one case only)"`
	Linked           []int64          `json:"linked,omitempty" doc:"related cases the caller may see (one case only)"`
	Transitions      []string         `json:"transitions,omitempty" doc:"states the caller may move the case to (one case only)"`
}

func caseOut(k model.Case, sla desk.Status) Case {
	out := Case{ID: k.ID, OrgID: k.OrgID, ReporterID: k.ReporterID, Kind: string(k.Kind), Category: string(k.Category), Title: k.Title,
		Description: k.Description, DetectedAt: timePtr(k.DetectedAt), AffectedServices: k.AffectedServices, EventImpact: string(k.EventImpact),
		PublicVisibility: k.PublicVisibility, Urgency: string(k.Urgency), State: string(k.State), Team: k.Team, HandlerID: k.HandlerID,
		MergedInto: k.MergedInto, Observables: []ObservableJSON{}, CreatedAt: k.CreatedAt, UpdatedAt: k.UpdatedAt,
		FirstResponseAt: timePtr(k.FirstResponseAt), ResolvedAt: timePtr(k.ResolvedAt), ClosedAt: timePtr(k.ClosedAt),
		ResponseDueAt: k.ResponseDueAt, ResolveDueAt: k.ResolveDueAt, SLA: SLAJSON{Response: string(sla.Response), Resolve: string(sla.Resolve)}}
	for _, o := range k.Observables {
		out.Observables = append(out.Observables, ObservableJSON{Kind: string(o.Kind), Value: o.Value})
	}
	return out
}

// CaseMessage is one message of a case's thread; internal notes are shown to center staff only.
type CaseMessage struct {
	ID          int64     `json:"id"`
	CaseID      int64     `json:"case_id"`
	AuthorID    int64     `json:"author_id"`
	AuthorOrgID int64     `json:"author_org_id"`
	Internal    bool      `json:"internal"`
	Body        string    `json:"body"`
	CreatedAt   time.Time `json:"created_at"`
}

func caseMessageOut(m model.CaseMessage) CaseMessage {
	return CaseMessage{ID: m.ID, CaseID: m.CaseID, AuthorID: m.AuthorID, AuthorOrgID: m.AuthorOrgID, Internal: m.Internal, Body: m.Body, CreatedAt: m.CreatedAt}
}

// CaseMessageInput writes in a case's thread.
type CaseMessageInput struct {
	Body     string `json:"body"`
	Internal bool   `json:"internal,omitempty" doc:"an internal note, seen by center staff only (center staff only)"`
}

// CaseEvent is one entry of a case's timeline.
type CaseEvent struct {
	ID        int64          `json:"id"`
	ActorID   int64          `json:"actor_id"`
	Kind      string         `json:"kind" doc:"filed, state, assigned, urgency, partner_invited, partner_revoked, linked, merged or merged_from"`
	FromState string         `json:"from_state"`
	ToState   string         `json:"to_state"`
	Detail    map[string]any `json:"detail"`
	At        time.Time      `json:"at"`
}

// TransitionInput moves a case to another state.
type TransitionInput struct {
	To string `json:"to" doc:"new, triage, in-progress, waiting-partner, waiting-reporter, resolved or closed"`
}

// AssignmentInput names the IR team and the handler of a case.
type AssignmentInput struct {
	Team      string `json:"team,omitempty" doc:"empty: no team"`
	HandlerID int64  `json:"handler_id,omitempty" doc:"an analyst of the center; 0 or absent: no handler"`
}

// PartnerInput invites an organization into a case.
type PartnerInput struct {
	OrgID int64 `json:"org_id"`
}

// CaseLinkInput names another case.
type CaseLinkInput struct {
	OtherID int64 `json:"other_id"`
}

// CaseMergeInput names the case a duplicate is merged into.
type CaseMergeInput struct {
	Into int64 `json:"into"`
}

// UrgencyInput changes a case's urgency.
type UrgencyInput struct {
	Urgency string `json:"urgency"`
}

// CaseCount is one group of a count of cases.
type CaseCount struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// CaseCounts counts the cases the caller may see.
type CaseCounts struct {
	By     string      `json:"by"`
	Counts []CaseCount `json:"counts"`
}

var caseFilters = append([]param{
	{"state", "string", "one state"}, {"open", "boolean", "only cases not resolved or closed"},
	{"urgency", "string", "critical, high, medium or low"}, {"category", "string", "one category"},
	{"kind", "string", "incident, support or consultation"}, {"handler_id", "integer", "the analyst in charge"},
	{"event_impact", "string", "yes, no or unknown"}, {"sla", "string", "near or past: a running SLA clock near or past its limit"},
	{"q", "string", "part of the title"}, {"mine", "boolean", "only my organization's own reports"},
}, pageParams...)

// CaseReport is the event-impact report of a window.
type CaseReport struct {
	From       time.Time   `json:"from"`
	To         time.Time   `json:"to"`
	ByCategory []CaseCount `json:"by_category"`
	ByState    []CaseCount `json:"by_state"`
	Cases      []Case      `json:"cases" doc:"cases filed in the window with event impact or public visibility, oldest first"`
	Markdown   string      `json:"markdown" doc:"the report as Markdown, in the caller's language"`
	Truncated  bool        `json:"truncated"`
}

// UrgencyFigures are the response times of one urgency's cases.
type UrgencyFigures struct {
	Urgency                 string `json:"urgency"`
	Cases                   int    `json:"cases"`
	Responded               int    `json:"responded"`
	Resolved                int    `json:"resolved"`
	MedianResponseSeconds   int64  `json:"median_response_seconds" doc:"0 when none responded"`
	MedianResolutionSeconds int64  `json:"median_resolution_seconds" doc:"0 when none resolved"`
}

// CaseFigures are the desk's counts for metrics over a window.
type CaseFigures struct {
	From       time.Time        `json:"from"`
	To         time.Time        `json:"to"`
	ByCategory []CaseCount      `json:"by_category"`
	ByKind     []CaseCount      `json:"by_kind"`
	Urgencies  []UrgencyFigures `json:"urgencies"`
}

func countsOut(cs []store.CaseCount) []CaseCount {
	out := []CaseCount{}
	for _, c := range cs {
		out = append(out, CaseCount{Key: c.Key, Count: c.Count})
	}
	return out
}

var windowParams = []param{{"from", "string", "start of the window, RFC 3339 (required)"}, {"to", "string", "end of the window, RFC 3339 (required; at most 31 days after from)"}}

func window(r *http.Request) (time.Time, time.Time, error) {
	var errs fault.List
	from, err := queryTime(r, "from")
	errs.AddErr("from", err)
	to, err := queryTime(r, "to")
	errs.AddErr("to", err)
	return from, to, errs.Err()
}

func (x *API) caseReport(r *http.Request, p auth.Principal) (any, error) {
	from, to, err := window(r)
	if err != nil {
		return nil, err
	}
	rep, err := x.app.Desk.EventReport(r.Context(), p, from, to)
	if err != nil {
		return nil, err
	}
	if err := x.app.Desk.RecordExport(r.Context(), p, rep, "json"); err != nil {
		return nil, err
	}
	out := CaseReport{From: rep.From, To: rep.To, ByCategory: countsOut(rep.ByCategory), ByState: countsOut(rep.ByState), Cases: []Case{},
		Markdown: rep.Markdown(p.User.Lang, p.User.Location()), Truncated: rep.Truncated}
	for _, c := range rep.Cases {
		out.Cases = append(out.Cases, caseOut(c.Case, c.Status))
	}
	return out, nil
}

func (x *API) caseFigures(r *http.Request, p auth.Principal) (any, error) {
	from, to, err := window(r)
	if err != nil {
		return nil, err
	}
	f, err := x.app.Desk.Figures(r.Context(), p, from, to)
	if err != nil {
		return nil, err
	}
	out := CaseFigures{From: f.From, To: f.To, ByCategory: countsOut(f.ByCategory), ByKind: countsOut(f.ByKind), Urgencies: []UrgencyFigures{}}
	for _, u := range f.Urgencies {
		out.Urgencies = append(out.Urgencies, UrgencyFigures{Urgency: string(u.Urgency), Cases: u.Cases, Responded: u.Responded, Resolved: u.Resolved,
			MedianResponseSeconds: int64(u.MedianResponse / time.Second), MedianResolutionSeconds: int64(u.MedianResolution / time.Second)})
	}
	return out, nil
}

func (x *API) deskRoutes() {
	x.add(&op{Method: "GET", Path: "/cases/report", ID: "caseReport", Tag: "cases", Summary: "The event-impact report of a window (center staff; audited)", Query: windowParams, Resp: CaseReport{}, Handle: x.caseReport})
	x.add(&op{Method: "GET", Path: "/cases/figures", ID: "caseFigures", Tag: "cases", Summary: "Cases by category and kind, median response and resolution times per urgency, of the cases the caller may see", Query: windowParams, Resp: CaseFigures{}, Handle: x.caseFigures})
	x.add(&op{Method: "POST", Path: "/cases", ID: "fileCase", Tag: "cases", Summary: "Report an incident, ask for support or advice", Body: CaseInput{}, Resp: Case{}, Status: 201, Handle: x.fileCase})
	x.add(&op{Method: "GET", Path: "/cases", ID: "listCases", Tag: "cases", Summary: "The center's queue, or the caller's own and partner cases; newest first", Query: caseFilters, Resp: List[Case]{}, Handle: x.listCases})
	x.add(&op{Method: "GET", Path: "/cases/counts", ID: "countCases", Tag: "cases", Summary: "Counts of the cases the caller may see",
		Query: append([]param{{"by", "string", "state (default), urgency, category or kind"}}, caseFilters[:len(caseFilters)-2]...), Resp: CaseCounts{}, Handle: x.countCases})
	x.add(&op{Method: "GET", Path: "/cases/{id}", ID: "getCase", Tag: "cases", Summary: "One case (404 when the caller may not see it)", Resp: Case{}, Handle: x.getCase})
	x.add(&op{Method: "GET", Path: "/cases/{id}/messages", ID: "listCaseMessages", Tag: "cases", Summary: "A case's thread, oldest first (internal notes for center staff)", Query: pageParams, Resp: List[CaseMessage]{}, Handle: x.listCaseMessages})
	x.add(&op{Method: "POST", Path: "/cases/{id}/messages", ID: "addCaseMessage", Tag: "cases", Summary: "Write in a case's thread, or an internal note (center staff); 409 once the case is merged", Body: CaseMessageInput{}, Resp: CaseMessage{}, Status: 201, Handle: x.addCaseMessage})
	x.add(&op{Method: "GET", Path: "/cases/{id}/timeline", ID: "caseTimeline", Tag: "cases", Summary: "A case's timeline: state changes, assignments, invitations, links", Query: pageParams, Resp: List[CaseEvent]{}, Handle: x.caseTimeline})
	x.add(&op{Method: "POST", Path: "/cases/{id}/transitions", ID: "transitionCase", Tag: "cases", Summary: "Move a case to another state (center staff; the reporter may answer, confirm and reopen)", Body: TransitionInput{}, Resp: Case{}, Handle: x.transitionCase})
	x.add(&op{Method: "PUT", Path: "/cases/{id}/assignment", ID: "assignCase", Tag: "cases", Summary: "Assign a team and a handler (center staff)", Body: AssignmentInput{}, Resp: Case{}, Handle: x.assignCase})
	x.add(&op{Method: "PUT", Path: "/cases/{id}/urgency", ID: "setCaseUrgency", Tag: "cases", Summary: "Change a case's urgency and its SLA clocks (center staff)", Body: UrgencyInput{}, Resp: Case{}, Handle: x.setCaseUrgency})
	x.add(&op{Method: "POST", Path: "/cases/{id}/partners", ID: "invitePartner", Tag: "cases", Summary: "Invite a partner organization into a case (center staff; audited)", Body: PartnerInput{}, Handle: x.invitePartner})
	x.add(&op{Method: "DELETE", Path: "/cases/{id}/partners/{org_id}", ID: "revokePartner", Tag: "cases", Summary: "End a partner's invitation: its access ends at once (center staff; audited)", Handle: x.revokePartner})
	x.add(&op{Method: "POST", Path: "/cases/{id}/links", ID: "linkCase", Tag: "cases", Summary: "Link a related case (center staff)", Body: CaseLinkInput{}, Handle: x.linkCase})
	x.add(&op{Method: "POST", Path: "/cases/{id}/merge", ID: "mergeCase", Tag: "cases", Summary: "Merge this duplicate into another case; it is closed (center staff)", Body: CaseMergeInput{}, Handle: x.mergeCase})
}

func (x *API) fileCase(r *http.Request, p auth.Principal) (any, error) {
	var in CaseInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	ci := desk.CaseInput{Kind: in.Kind, Category: in.Category, Title: in.Title, Description: in.Description,
		AffectedServices: in.AffectedServices, EventImpact: in.EventImpact, PublicVisibility: in.PublicVisibility, Urgency: in.Urgency}
	if in.DetectedAt != nil {
		ci.DetectedAt = *in.DetectedAt
	}
	if len(in.Observables) > desk.MaxObservables {
		return nil, fault.Field("observables", "case.too_many_observables", "max", desk.MaxObservables)
	}
	for _, o := range in.Observables {
		ci.Observables = append(ci.Observables, desk.ObservableInput{Kind: o.Kind, Value: o.Value})
	}
	k, err := x.app.Desk.File(r.Context(), p, ci)
	if err != nil {
		return nil, err
	}
	return caseOut(k, desk.StatusOf(k, x.app.Desk.Now())), nil
}

func caseListQuery(r *http.Request) (desk.ListQuery, error) {
	q := r.URL.Query()
	lq := desk.ListQuery{State: q.Get("state"), Open: q.Get("open") == "true", Urgency: q.Get("urgency"), Category: q.Get("category"),
		Kind: q.Get("kind"), Impact: q.Get("event_impact"), SLA: q.Get("sla"), Text: q.Get("q"), Mine: q.Get("mine") == "true"}
	var err error
	lq.HandlerID, err = queryInt64(r, "handler_id")
	return lq, err
}

func (x *API) listCases(r *http.Request, p auth.Principal) (any, error) {
	lq, err := caseListQuery(r)
	if err != nil {
		return nil, err
	}
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	lq.Before, lq.Limit = pg.After, pg.Limit
	items, next, err := x.app.Desk.List(r.Context(), p, lq)
	if err != nil {
		return nil, err
	}
	out := List[Case]{Items: make([]Case, 0, len(items)), NextCursor: cursorOf("id", next)}
	for _, it := range items {
		out.Items = append(out.Items, caseOut(it.Case, it.SLA))
	}
	return out, nil
}

func (x *API) countCases(r *http.Request, p auth.Principal) (any, error) {
	lq, err := caseListQuery(r)
	if err != nil {
		return nil, err
	}
	by := r.URL.Query().Get("by")
	switch by {
	case "":
		by = "state"
	case "state", "urgency", "category", "kind":
	default:
		return nil, fault.Field("by", "error.bad_param", "name", "by", "value", by)
	}
	counts, err := x.app.Desk.Counts(r.Context(), p, lq, by)
	if err != nil {
		return nil, err
	}
	out := CaseCounts{By: by, Counts: []CaseCount{}}
	for _, c := range counts {
		out.Counts = append(out.Counts, CaseCount{Key: c.Key, Count: c.Count})
	}
	return out, nil
}

func (x *API) getCase(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return x.getCaseByID(r, p, id)
}

func (x *API) listCaseMessages(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	ms, err := x.app.Desk.Messages(r.Context(), p, id, pg)
	if err != nil {
		return nil, err
	}
	return listOf(ms, pg, func(m model.CaseMessage) int64 { return m.ID }, caseMessageOut), nil
}

func (x *API) addCaseMessage(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in CaseMessageInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	m, err := x.app.Desk.AddMessage(r.Context(), p, id, in.Body, in.Internal)
	if err != nil {
		return nil, err
	}
	return caseMessageOut(m), nil
}

func (x *API) caseTimeline(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	es, err := x.app.Desk.Timeline(r.Context(), p, id, pg)
	if err != nil {
		return nil, err
	}
	return listOf(es, pg, func(e model.CaseEvent) int64 { return e.ID }, func(e model.CaseEvent) CaseEvent {
		out := CaseEvent{ID: e.ID, ActorID: e.ActorID, Kind: e.Kind, FromState: string(e.FromState), ToState: string(e.ToState),
			Detail: map[string]any{}, At: e.At}
		_ = json.Unmarshal([]byte(e.Detail), &out.Detail)
		return out
	}), nil
}

// caseResult answers with the case as it now is.
func (x *API) caseResult(r *http.Request, p auth.Principal, id int64, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return x.getCaseByID(r, p, id)
}

func (x *API) getCaseByID(r *http.Request, p auth.Principal, id int64) (any, error) {
	v, err := x.app.Desk.Get(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	out := caseOut(v.Case, v.SLA)
	for _, pt := range v.Partners {
		out.Partners = append(out.Partners, pt.OrgID)
	}
	out.Linked = v.Linked
	for _, s := range v.Transitions {
		out.Transitions = append(out.Transitions, string(s))
	}
	return out, nil
}

func (x *API) transitionCase(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in TransitionInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	_, err = x.app.Desk.Transition(r.Context(), p, id, in.To)
	return x.caseResult(r, p, id, err)
}

func (x *API) assignCase(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in AssignmentInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	_, err = x.app.Desk.Assign(r.Context(), p, id, desk.Assignment{Team: in.Team, HandlerID: in.HandlerID})
	return x.caseResult(r, p, id, err)
}

func (x *API) setCaseUrgency(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in UrgencyInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	_, err = x.app.Desk.SetUrgency(r.Context(), p, id, in.Urgency)
	return x.caseResult(r, p, id, err)
}

func (x *API) invitePartner(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in PartnerInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return nil, x.app.Desk.InvitePartner(r.Context(), p, id, in.OrgID)
}

func (x *API) revokePartner(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	org, err := pathID(r, "org_id")
	if err != nil {
		return nil, err
	}
	return nil, x.app.Desk.RevokePartner(r.Context(), p, id, org)
}

func (x *API) linkCase(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in CaseLinkInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return nil, x.app.Desk.Link(r.Context(), p, id, in.OtherID)
}

func (x *API) mergeCase(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in CaseMergeInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return nil, x.app.Desk.Merge(r.Context(), p, id, in.Into)
}
