package api

// Observation: an organization's registered assets and the private notices the center
// sends it.

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/observe"
)

// NoticeInput sends one notice to several organizations, each getting its own private copy.
type NoticeInput struct {
	Orgs     []int64 `json:"orgs" doc:"the target organizations (at most 1000)"`
	Title    string  `json:"title" doc:"at most 200 characters"`
	Body     string  `json:"body" doc:"plain text, at most 20,000 characters"`
	Action   string  `json:"action,omitempty" doc:"the recommended action"`
	Severity string  `json:"severity" doc:"info, low, medium, high or critical"`
	Kind     string  `json:"kind" doc:"ddos, down, tls, dns, exposed, lookalike, phishing, darkweb, credentials, match or other"`
}

// Notice is a private notice to one organization.
type Notice struct {
	ID          int64             `json:"id"`
	OrgID       int64             `json:"org_id"`
	Source      string            `json:"source" doc:"analyst, monitor or match"`
	Kind        string            `json:"kind"`
	Severity    string            `json:"severity"`
	TitleJA     string            `json:"title_ja"`
	TitleEN     string            `json:"title_en"`
	BodyJA      string            `json:"body_ja"`
	BodyEN      string            `json:"body_en"`
	ActionJA    string            `json:"action_ja"`
	ActionEN    string            `json:"action_en"`
	Evidence    map[string]string `json:"evidence"`
	AssetID     int64             `json:"asset_id,omitempty"`
	ObservedAt  *time.Time        `json:"observed_at"`
	CreatedAt   time.Time         `json:"created_at"`
	FirstReadAt *time.Time        `json:"first_read_at" doc:"when someone of the target organization first read it"`
	ReadByMe    bool              `json:"read_by_me"`
}

func noticeOut(n observe.Notice) Notice {
	return Notice{ID: n.ID, OrgID: n.OrgID, Source: n.Source, Kind: n.Kind, Severity: n.Severity, TitleJA: n.TitleJA, TitleEN: n.TitleEN,
		BodyJA: n.BodyJA, BodyEN: n.BodyEN, ActionJA: n.ActionJA, ActionEN: n.ActionEN, Evidence: n.EvidenceMap(), AssetID: n.AssetID,
		ObservedAt: timePtr(n.ObservedAt), CreatedAt: n.CreatedAt, FirstReadAt: timePtr(n.FirstReadAt), ReadByMe: n.ReadByMe}
}

// AssetInput proposes an asset.
type AssetInput struct {
	OrgID   int64  `json:"org_id,omitempty" doc:"the owning organization (default: the caller's)"`
	Kind    string `json:"kind" doc:"domain, url, ip, cidr or keyword"`
	Value   string `json:"value"`
	Contact string `json:"contact,omitempty" doc:"who owns it at the organization"`
}

// Asset is a registered asset.
type Asset struct {
	ID         int64      `json:"id"`
	OrgID      int64      `json:"org_id"`
	Kind       string     `json:"kind"`
	Value      string     `json:"value"`
	Contact    string     `json:"contact"`
	Status     string     `json:"status" doc:"proposed, approved or rejected; only approved assets are watched"`
	ProposedAt time.Time  `json:"proposed_at"`
	DecidedAt  *time.Time `json:"decided_at"`
}

func assetOut(a observe.Asset) Asset {
	return Asset{ID: a.ID, OrgID: a.OrgID, Kind: a.Kind, Value: a.Value, Contact: a.Contact, Status: a.Status, ProposedAt: a.ProposedAt,
		DecidedAt: timePtr(a.DecidedAt)}
}

// AssetDecision approves or rejects a proposed asset.
type AssetDecision struct {
	Approve bool `json:"approve"`
}

// ImportLineError is one refused line of an import.
type ImportLineError struct {
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ImportResult is the outcome of a CSV import.
type ImportResult struct {
	Added  []Asset           `json:"added"`
	Errors []ImportLineError `json:"errors"`
}

func (x *API) observeRoutes() {
	x.add(&op{Method: "POST", Path: "/notices", ID: "sendNotice", Tag: "notices", Summary: "Send a notice to organizations, one private copy each (center staff)",
		Body: NoticeInput{}, Resp: List[Notice]{}, Status: 201, Handle: x.sendNotice})
	x.add(&op{Method: "GET", Path: "/notices", ID: "listNotices", Tag: "notices", Summary: "Notices to the caller's organization (center staff: all), newest first",
		Query: append([]param{{"org_id", "integer", "only this organization's (center staff)"}, {"unread", "boolean", "only those the organization has not read"}}, pageParams...),
		Resp:  List[Notice]{}, Handle: x.listNotices})
	x.add(&op{Method: "GET", Path: "/notices/{id}", ID: "getNotice", Tag: "notices", Summary: "One notice (404 for anyone but its organization and the center)", Resp: Notice{}, Handle: x.getNotice})
	x.add(&op{Method: "POST", Path: "/notices/{id}/read", ID: "readNotice", Tag: "notices", Summary: "Mark a notice read by the caller", Handle: x.readNotice})

	x.add(&op{Method: "GET", Path: "/assets", ID: "listAssets", Tag: "assets", Summary: "Registered assets of the caller's organization (center staff: all), newest first",
		Query: append([]param{{"org_id", "integer", "only this organization's (center staff)"}, {"status", "string", "proposed, approved or rejected"}}, pageParams...),
		Resp:  List[Asset]{}, Handle: x.listAssets})
	x.add(&op{Method: "POST", Path: "/assets", ID: "proposeAsset", Tag: "assets", Summary: "Propose an asset (org admins; center staff register it approved)",
		Body: AssetInput{}, Resp: Asset{}, Status: 201, Handle: x.proposeAsset})
	x.add(&op{Method: "POST", Path: "/assets/import", ID: "importAssets", Tag: "assets", Summary: "Propose assets from CSV lines kind,value[,contact] (the body, text/csv)",
		Query: []param{{"org_id", "integer", "the owning organization (default: the caller's)"}}, Upload: true,
		BodyDoc: "CSV text, one asset per line: kind,value[,contact]; a header line and lines starting with # are skipped",
		MaxBody: func() int64 { return observe.MaxImportBytes + 1 }, Resp: ImportResult{}, Handle: x.importAssets})
	x.add(&op{Method: "GET", Path: "/assets/{id}", ID: "getAsset", Tag: "assets", Summary: "One asset", Resp: Asset{}, Handle: x.getAsset})
	x.add(&op{Method: "POST", Path: "/assets/{id}/decision", ID: "decideAsset", Tag: "assets", Summary: "Approve or reject a proposed asset (center staff)",
		Body: AssetDecision{}, Resp: Asset{}, Handle: x.decideAsset})
	x.add(&op{Method: "DELETE", Path: "/assets/{id}", ID: "deleteAsset", Tag: "assets", Summary: "Stop watching an asset and give up its ownership", Handle: x.deleteAsset})
}

func (x *API) sendNotice(r *http.Request, p auth.Principal) (any, error) {
	var in NoticeInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	sent, err := x.app.Observe.SendNotice(r.Context(), p, observe.NoticeInput{Orgs: in.Orgs, Title: in.Title, Body: in.Body, Action: in.Action,
		Severity: in.Severity, Kind: in.Kind})
	if err != nil {
		return nil, err
	}
	out := List[Notice]{Items: make([]Notice, 0, len(sent))}
	for _, n := range sent {
		out.Items = append(out.Items, noticeOut(n))
	}
	return out, nil
}

func (x *API) listNotices(r *http.Request, p auth.Principal) (any, error) {
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	var errs fault.List
	org, err := queryInt64(r, "org_id")
	errs.AddErr("org_id", err)
	unread, err := queryBool(r, "unread")
	errs.AddErr("unread", err)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	list, next, err := x.app.Observe.Notices(r.Context(), p, observe.NoticeQuery{OrgID: org, Unread: unread, Before: pg.After, Limit: pg.Limit})
	if err != nil {
		return nil, err
	}
	out := List[Notice]{Items: make([]Notice, 0, len(list)), NextCursor: cursorOf("id", next)}
	for _, n := range list {
		out.Items = append(out.Items, noticeOut(n))
	}
	return out, nil
}

func (x *API) getNotice(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	v, err := x.app.Observe.GetNotice(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	return noticeOut(v.Notice), nil
}

func (x *API) readNotice(r *http.Request, p auth.Principal) (any, error) {
	return withID(func(r *http.Request, p auth.Principal, id int64) error {
		return x.app.Observe.MarkRead(r.Context(), p, id)
	})(r, p)
}

func (x *API) listAssets(r *http.Request, p auth.Principal) (any, error) {
	pg, err := page(r)
	if err != nil {
		return nil, err
	}
	org, err := queryInt64(r, "org_id")
	if err != nil {
		return nil, err
	}
	list, next, err := x.app.Observe.Assets(r.Context(), p, observe.AssetQuery{OrgID: org, Status: r.URL.Query().Get("status"), Before: pg.After, Limit: pg.Limit})
	if err != nil {
		return nil, err
	}
	out := List[Asset]{Items: make([]Asset, 0, len(list)), NextCursor: cursorOf("id", next)}
	for _, a := range list {
		out.Items = append(out.Items, assetOut(a))
	}
	return out, nil
}

func (x *API) proposeAsset(r *http.Request, p auth.Principal) (any, error) {
	var in AssetInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	a, err := x.app.Observe.ProposeAsset(r.Context(), p, observe.AssetInput{OrgID: in.OrgID, Kind: in.Kind, Value: in.Value, Contact: in.Contact})
	if err != nil {
		return nil, err
	}
	return assetOut(a), nil
}

func (x *API) importAssets(r *http.Request, p auth.Principal) (any, error) {
	org, err := queryInt64(r, "org_id")
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || len(body) > observe.MaxImportBytes {
		return nil, fault.New(fault.TooLarge, "error.too_large")
	}
	if err != nil {
		return nil, err
	}
	res, err := x.app.Observe.ImportCSV(r.Context(), p, org, string(body))
	if err != nil {
		return nil, err
	}
	lang := httpx.Lang(r)
	if lang == "" {
		lang = i18n.Match(r.Header.Get("Accept-Language"))
	}
	out := ImportResult{Added: make([]Asset, 0, len(res.Added)), Errors: make([]ImportLineError, 0, len(res.Errors))}
	for _, a := range res.Added {
		out.Added = append(out.Added, assetOut(a))
	}
	for _, e := range res.Errors {
		out.Errors = append(out.Errors, ImportLineError{Line: e.Line, Field: e.Field, Code: e.Key, Message: i18n.Format(lang, e.Key, e.Args)})
	}
	return out, nil
}

func (x *API) getAsset(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	a, err := x.app.Observe.GetAsset(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	return assetOut(a), nil
}

func (x *API) decideAsset(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in AssetDecision
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	a, err := x.app.Observe.DecideAsset(r.Context(), p, id, in.Approve)
	if err != nil {
		return nil, err
	}
	return assetOut(a), nil
}

func (x *API) deleteAsset(r *http.Request, p auth.Principal) (any, error) {
	return withID(func(r *http.Request, p auth.Principal, id int64) error {
		return x.app.Observe.DeleteAsset(r.Context(), p, id)
	})(r, p)
}
