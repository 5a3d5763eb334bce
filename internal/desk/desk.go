// Package desk is the consultation desk (そうだんの窓口): organizations report incidents and
// ask for support or advice; the center triages, assigns a team and a handler, invites
// partner organizations, tracks each case through its states with SLA clocks, links and
// merges duplicates, and keeps a thread with the reporter and internal notes of its own.
// Every read asks the policy package; every change writes its timeline entry and its audit
// record in the same transaction.
package desk

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/ioc"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
)

// Limits on what people write.
const (
	MaxTitleLen       = 200
	MaxDescriptionLen = 20_000
	MaxAffectedLen    = 1_000
	MaxObservables    = 100
	MaxObservableLen  = 2_000
	MaxMessageLen     = 20_000
	MaxTeamLen        = 100
	MaxPartners       = 20 // organizations invited into one case at once
	MaxLinks          = 50 // related cases of one case
)

// Service is the consultation desk.
type Service struct {
	db     *store.DB
	now    func() time.Time
	sla    SLA
	filed  []func(model.Case)
	signal Signal
	sns    *sns.Service // where sanitized cases are published
	// maxAttachment is the largest file accepted on a case (see attach.go).
	maxAttachment int64
	// maxCaseFiles is MaxAttachmentsPerCase (lowered by tests).
	maxCaseFiles int
}

// Signal tells live listeners that something changed (see sns.Signal).
type Signal interface {
	Notify(ctx context.Context, c store.Conn) error
	Wake()
}

// New returns the service with the given SLA clocks (nil: the defaults).
func New(db *store.DB, now func() time.Time, sla SLA) *Service {
	if now == nil {
		now = time.Now
	}
	if sla == nil {
		sla = DefaultSLA()
	}
	return &Service{db: db, now: now, sla: sla, maxAttachment: DefaultMaxAttachment, maxCaseFiles: MaxAttachmentsPerCase}
}

// SLA returns the clocks in force.
func (s *Service) SLA() SLA { return s.sla }

// Now returns the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// OnFiled registers a function called (after the commit) with every newly filed case;
// the on-call alerts hang here.
func (s *Service) OnFiled(fn func(model.Case)) { s.filed = append(s.filed, fn) }

func notFound() error { return fault.New(fault.NotFound, "error.not_found") }

// withField returns a validation error of one field, named field.
func withField(err error, field string) error {
	fe := *fault.As(err)
	fe.Field = field
	return &fe
}
func forbidden() error { return fault.New(fault.Forbidden, "error.forbidden") }

// CaseInput is a case as typed by the reporter.
type CaseInput struct {
	Kind             string
	Category         string
	Title            string
	Description      string
	DetectedAt       time.Time
	AffectedServices string
	EventImpact      string
	PublicVisibility bool
	Urgency          string
	Observables      []ObservableInput
	// Files go on the case itself, in the transaction that files it (see attach.go).
	Files []Upload
}

// ObservableInput is one indicator as typed: its kind and value.
type ObservableInput struct {
	Kind  string
	Value string
}

func (in CaseInput) validate(now time.Time) (model.Case, error) {
	var errs fault.List
	var k model.Case
	var err error
	k.Kind, err = model.ParseCaseKind(in.Kind)
	errs.AddErr("kind", err)
	k.Category, err = model.ParseCaseCategory(in.Category)
	errs.AddErr("category", err)
	k.Title, err = model.CleanText(in.Title, MaxTitleLen, true)
	errs.AddErr("title", err)
	k.Description, err = model.CleanMultiline(in.Description, MaxDescriptionLen)
	errs.AddErr("description", err)
	if err == nil && k.Description == "" {
		errs.Add("description", "invalid.required")
	}
	k.AffectedServices, err = model.CleanMultiline(in.AffectedServices, MaxAffectedLen)
	errs.AddErr("affected_services", err)
	if in.EventImpact == "" {
		in.EventImpact = string(model.ImpactUnknown)
	}
	k.EventImpact, err = model.ParseImpact(in.EventImpact)
	errs.AddErr("event_impact", err)
	k.Urgency, err = model.ParseUrgency(in.Urgency)
	errs.AddErr("urgency", err)
	k.PublicVisibility = in.PublicVisibility
	if !in.DetectedAt.IsZero() {
		if in.DetectedAt.After(now.Add(5 * time.Minute)) {
			errs.Add("detected_at", "case.detected_in_future")
		}
		k.DetectedAt = in.DetectedAt.UTC().Truncate(time.Millisecond)
	}
	k.Observables, err = cleanObservables(in.Observables)
	errs.AddErr("observables", err)
	return k, errs.Err()
}

// cleanObservables checks each indicator with the ioc package: it must be exactly one
// indicator of the kind given (an IP address, a domain, a URL, an MD5/SHA-1/SHA-256 hash).
// Defanged forms are accepted and stored refanged; duplicates are folded.
func cleanObservables(in []ObservableInput) ([]model.Observable, error) {
	if len(in) > MaxObservables {
		return nil, fault.Field("observables", "case.too_many_observables", "max", MaxObservables)
	}
	var out []model.Observable
	for _, o := range in {
		if o.Kind == "" && o.Value == "" {
			continue
		}
		kind, err := model.ParseObservableKind(o.Kind)
		if err != nil {
			return nil, err
		}
		if len(o.Value) > MaxObservableLen {
			return nil, fault.Field("observables", "invalid.too_long", "max", MaxObservableLen)
		}
		res, err := ioc.Extract(o.Value, ioc.Limits{MaxBytes: MaxObservableLen, MaxItems: 2})
		if err != nil || len(res.Items) != 1 || len(res.Rejected) > 0 || !kindMatches(kind, res.Items[0].Kind) {
			return nil, fault.Field("observables", "case.bad_observable", "kind", string(kind), "value", o.Value)
		}
		ob := model.Observable{Kind: kind, Value: res.Items[0].Value}
		if !slices.Contains(out, ob) {
			out = append(out, ob)
		}
	}
	return out, nil
}

func kindMatches(want model.ObservableKind, got ioc.Kind) bool {
	switch want {
	case model.ObsIP:
		return got == ioc.IPv4 || got == ioc.IPv6
	case model.ObsDomain:
		return got == ioc.Domain
	case model.ObsURL:
		return got == ioc.URL
	case model.ObsHash:
		return got == ioc.MD5 || got == ioc.SHA1 || got == ioc.SHA256
	}
	return false
}

// File records a new case for the reporter's organization, in state new, with its SLA
// clocks started.
func (s *Service) File(ctx context.Context, p auth.Principal, in CaseInput) (model.Case, error) {
	if !policy.CanFileCase(p.Actor) {
		return model.Case{}, forbidden()
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	k, err := in.validate(now)
	if err != nil {
		return k, err
	}
	files, err := s.readFiles(in.Files)
	if err != nil {
		return model.Case{}, err
	}
	k.OrgID, k.ReporterID, k.State, k.CreatedAt, k.UpdatedAt = p.User.OrgID, p.User.ID, model.CaseNew, now, now
	s.sla.setClocks(&k)
	err = s.write(ctx, func(c store.Conn) error {
		if k.ID, err = store.InsertCase(ctx, c, k); err != nil {
			return err
		}
		if _, err := s.storeFiles(ctx, c, p, model.CaseAttachment{CaseID: k.ID}, files, now); err != nil {
			return err
		}
		if err := s.timeline(ctx, c, p, k.ID, "filed", "", model.CaseNew, map[string]any{"urgency": k.Urgency}, now); err != nil {
			return err
		}
		onCall, err := alertOnCall(ctx, c, k.ID, now)
		if err != nil {
			return err
		}
		if err := s.event(ctx, c, p.User.ID, EventCaseFiled, caseFiledEvent(k, onCall), now); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "case.filed", TargetType: "case", TargetID: k.ID,
			Detail: map[string]any{"org_id": k.OrgID, "kind": k.Kind, "category": k.Category, "urgency": k.Urgency,
				"event_impact": k.EventImpact, "observables": len(k.Observables), "files": len(files)}}, now)
		return err
	})
	if err != nil {
		return model.Case{}, err
	}
	for _, fn := range s.filed {
		fn(k)
	}
	return k, nil
}

func (s *Service) write(ctx context.Context, fn func(store.Conn) error) error {
	err := s.db.Write(ctx, fn)
	if err == nil && s.signal != nil {
		s.signal.Wake()
	}
	return err
}

// SetSignal connects live updates.
func (s *Service) SetSignal(sig Signal) { s.signal = sig }

// timeline appends a timeline entry in the caller's transaction.
func (s *Service) timeline(ctx context.Context, c store.Conn, p auth.Principal, caseID int64, kind string,
	from, to model.CaseState, detail map[string]any, now time.Time) error {
	b := []byte("{}")
	if len(detail) > 0 {
		b, _ = json.Marshal(detail)
	}
	return store.InsertCaseEvent(ctx, c, model.CaseEvent{CaseID: caseID, ActorID: p.User.ID, Kind: kind,
		FromState: from, ToState: to, Detail: string(b), At: now})
}

// loaded is a case with the facts the policy needs.
type loaded struct {
	k        model.Case
	partners []model.CasePartner
	facts    policy.CaseFacts
}

// Facts are the policy facts of a case and its current partners.
func Facts(k model.Case, partners []model.CasePartner) policy.CaseFacts {
	f := policy.CaseFacts{ID: k.ID, OrgID: k.OrgID}
	for _, p := range partners {
		f.Partners = append(f.Partners, p.OrgID)
	}
	return f
}

// load reads a case and answers NotFound when it is missing or the principal may not see
// it: the two are never told apart.
func (s *Service) load(ctx context.Context, c store.Conn, p auth.Principal, id int64) (loaded, error) {
	k, err := store.GetCase(ctx, c, id)
	if errors.Is(err, store.ErrNotFound) {
		return loaded{}, notFound()
	}
	if err != nil {
		return loaded{}, err
	}
	partners, err := store.CasePartnerOrgs(ctx, c, id)
	if err != nil {
		return loaded{}, err
	}
	l := loaded{k: k, partners: partners, facts: Facts(k, partners)}
	if !policy.CanViewCase(p.Actor, l.facts) {
		return loaded{}, notFound()
	}
	return l, nil
}

// View is a case as one person sees it.
type View struct {
	Case     model.Case
	Partners []model.CasePartner
	Linked   []int64 // related cases the viewer can see
	SLA      Status
	// Center only: the topics published from the case.
	Publications []int64
	// What the viewer may do.
	CanHandle bool
	// CanReply and CanAttach: messages and files on the case itself. A merged case takes
	// neither; its conversation goes on in the case it was merged into.
	CanReply    bool
	CanAttach   bool
	IsReporter  bool
	Transitions []model.CaseState
}

// Get returns one case.
func (s *Service) Get(ctx context.Context, p auth.Principal, id int64) (View, error) {
	c := s.db.Read()
	l, err := s.load(ctx, c, p, id)
	if err != nil {
		return View{}, err
	}
	v := View{Case: l.k, Partners: l.partners, SLA: StatusOf(l.k, s.now()),
		CanHandle:  policy.CanHandleCase(p.Actor, l.facts),
		CanReply:   policy.CanReplyCase(p.Actor, l.facts) && l.k.MergedInto == 0,
		CanAttach:  policy.CanAttachToCase(p.Actor, l.facts, 0) && l.k.MergedInto == 0,
		IsReporter: policy.IsCaseReporter(p.Actor, l.facts)}
	if v.Linked, err = store.LinkedCases(ctx, c, policy.CaseFilter(p.Actor), id); err != nil {
		return View{}, err
	}
	if policy.CanViewInternalNotes(p.Actor) {
		if v.Publications, err = store.CasePublications(ctx, c, id); err != nil {
			return View{}, err
		}
	}
	v.Transitions = allowedTransitions(p.Actor, l)
	return v, nil
}

// ListQuery narrows the queue: zero fields do not narrow.
type ListQuery struct {
	State     string
	Open      bool
	Urgency   string
	Category  string
	Kind      string
	HandlerID int64
	Impact    string
	SLA       string // "near" or "past"
	Text      string
	Mine      bool // only the viewer's organization's own reports
	Before    int64
	Limit     int
}

func (q ListQuery) store(p auth.Principal, now time.Time) (store.CaseQuery, error) {
	var errs fault.List
	sq := store.CaseQuery{Access: policy.CaseFilter(p.Actor), Open: q.Open, HandlerID: q.HandlerID, Now: now,
		Before: q.Before, Limit: q.Limit}
	var err error
	if q.State != "" {
		sq.State, err = model.ParseCaseState(q.State)
		errs.AddErr("state", err)
	}
	if q.Urgency != "" {
		sq.Urgency, err = model.ParseUrgency(q.Urgency)
		errs.AddErr("urgency", err)
	}
	if q.Category != "" {
		sq.Category, err = model.ParseCaseCategory(q.Category)
		errs.AddErr("category", err)
	}
	if q.Kind != "" {
		sq.Kind, err = model.ParseCaseKind(q.Kind)
		errs.AddErr("kind", err)
	}
	if q.Impact != "" {
		sq.Impact, err = model.ParseImpact(q.Impact)
		errs.AddErr("event_impact", err)
	}
	switch q.SLA {
	case "", "near", "past":
		sq.SLA = q.SLA
	default:
		errs.Add("sla", "invalid.sla_filter", "value", q.SLA, "allowed", "near, past")
	}
	if sq.Text, err = model.CleanText(q.Text, MaxTitleLen, false); err != nil {
		errs.AddErr("q", err)
	}
	if q.Mine {
		sq.OrgID = p.User.OrgID
	}
	return sq, errs.Err()
}

// Item is one row of the queue: a case and its SLA flags.
type Item struct {
	Case model.Case
	SLA  Status
}

// List returns a page of the cases the viewer may see, newest first, and the cursor of
// the next page (0 on the last).
func (s *Service) List(ctx context.Context, p auth.Principal, q ListQuery) ([]Item, int64, error) {
	now := s.now()
	sq, err := q.store(p, now)
	if err != nil {
		return nil, 0, err
	}
	if sq.Limit <= 0 {
		sq.Limit = 50
	}
	sq.Limit = min(sq.Limit, store.MaxPage)
	cases, err := store.ListCases(ctx, s.db.Read(), sq)
	if err != nil {
		return nil, 0, err
	}
	items := make([]Item, len(cases))
	for i, k := range cases {
		items[i] = Item{Case: k, SLA: StatusOf(k, now)}
	}
	var next int64
	if len(cases) == sq.Limit {
		next = cases[len(cases)-1].ID
	}
	return items, next, nil
}

// Counts counts the cases the viewer may see under a query, grouped by state, urgency,
// category or kind.
func (s *Service) Counts(ctx context.Context, p auth.Principal, q ListQuery, by string) ([]store.CaseCount, error) {
	sq, err := q.store(p, s.now())
	if err != nil {
		return nil, err
	}
	return store.CountCases(ctx, s.db.Read(), sq, by)
}

// Messages returns a page of a case's thread, oldest first; internal notes are included
// for center staff only.
func (s *Service) Messages(ctx context.Context, p auth.Principal, id int64, pg store.Page) ([]model.CaseMessage, error) {
	c := s.db.Read()
	if _, err := s.load(ctx, c, p, id); err != nil {
		return nil, err
	}
	return store.ListCaseMessages(ctx, c, id, policy.CanViewInternalNotes(p.Actor), pg)
}

// Timeline returns a page of a case's timeline, oldest first.
func (s *Service) Timeline(ctx context.Context, p auth.Principal, id int64, pg store.Page) ([]model.CaseEvent, error) {
	c := s.db.Read()
	if _, err := s.load(ctx, c, p, id); err != nil {
		return nil, err
	}
	return store.ListCaseEvents(ctx, c, id, pg)
}

// AddMessage writes in a case's thread; internal is a center-only note. A public message
// from the center is its first response when there was none.
func (s *Service) AddMessage(ctx context.Context, p auth.Principal, id int64, body string, internal bool) (model.CaseMessage, error) {
	return s.AddMessageWithFiles(ctx, p, id, body, internal, nil)
}

// AddMessageWithFiles is AddMessage with files on the message, stored in its transaction;
// a message that carries files may have no text.
func (s *Service) AddMessageWithFiles(ctx context.Context, p auth.Principal, id int64, body string, internal bool, ups []Upload) (model.CaseMessage, error) {
	text, err := model.CleanMultiline(body, MaxMessageLen)
	if err != nil {
		return model.CaseMessage{}, withField(err, "body")
	}
	if text == "" && len(ups) == 0 {
		return model.CaseMessage{}, fault.Field("body", "invalid.required")
	}
	files, err := s.readFiles(ups)
	if err != nil {
		return model.CaseMessage{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	m := model.CaseMessage{CaseID: id, AuthorID: p.User.ID, AuthorOrgID: p.User.OrgID, Internal: internal, Body: text, CreatedAt: now}
	err = s.write(ctx, func(c store.Conn) error {
		l, err := s.load(ctx, c, p, id)
		if err != nil {
			return err
		}
		if !policy.CanReplyCase(p.Actor, l.facts) || (internal && !policy.CanViewInternalNotes(p.Actor)) {
			return forbidden()
		}
		if err := refuseMerged(l.k); err != nil {
			return err
		}
		if m.ID, err = store.InsertCaseMessage(ctx, c, m); err != nil {
			return err
		}
		if _, err := s.storeFiles(ctx, c, p, model.CaseAttachment{CaseID: id, MessageID: m.ID, Internal: internal}, files, now); err != nil {
			return err
		}
		if !internal && p.Actor.IsCenter() && l.k.FirstResponseAt.IsZero() {
			l.k.FirstResponseAt = now
			if err := store.UpdateCase(ctx, c, id, l.k, now); err != nil {
				return err
			}
		}
		if err := s.event(ctx, c, p.User.ID, EventCaseMessage, CaseEvent{CaseID: id, MessageID: m.ID, Internal: internal}, now); err != nil {
			return err
		}
		action := "case.message"
		if internal {
			action = "case.note"
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: action, TargetType: "case", TargetID: id,
			Detail: map[string]any{"message_id": m.ID, "files": len(files)}}, now)
		return err
	})
	if err != nil {
		return model.CaseMessage{}, err
	}
	return m, nil
}

// refuseMerged refuses a new message or file on a merged case, naming the case that
// carries the conversation now.
func refuseMerged(k model.Case) error {
	if k.MergedInto != 0 {
		return fault.New(fault.Conflict, "case.merged", "into", k.MergedInto)
	}
	return nil
}

// ---- States ----

// transitions is the table of allowed state changes. Center staff may make any of them;
// the reporting organization only those in byReporter.
var transitions = map[model.CaseState][]model.CaseState{
	model.CaseNew:             {model.CaseTriage, model.CaseInProgress, model.CaseClosed},
	model.CaseTriage:          {model.CaseInProgress, model.CaseWaitingPartner, model.CaseWaitingReporter, model.CaseResolved, model.CaseClosed},
	model.CaseInProgress:      {model.CaseWaitingPartner, model.CaseWaitingReporter, model.CaseResolved},
	model.CaseWaitingPartner:  {model.CaseInProgress, model.CaseWaitingReporter, model.CaseResolved},
	model.CaseWaitingReporter: {model.CaseInProgress, model.CaseWaitingPartner, model.CaseResolved},
	model.CaseResolved:        {model.CaseClosed, model.CaseInProgress},
	model.CaseClosed:          {model.CaseInProgress},
}

// byReporter are the changes the reporting organization may make: answer a question
// (back to in progress), confirm the resolution, reopen.
var byReporter = map[[2]model.CaseState]bool{
	{model.CaseWaitingReporter, model.CaseInProgress}: true,
	{model.CaseWaitingReporter, model.CaseResolved}:   true,
	{model.CaseResolved, model.CaseInProgress}:        true,
	{model.CaseClosed, model.CaseInProgress}:          true,
}

// CanTransition reports whether a state change is in the table, for the given side.
func CanTransition(from, to model.CaseState, center bool) bool {
	if !slices.Contains(transitions[from], to) {
		return false
	}
	return center || byReporter[[2]model.CaseState{from, to}]
}

func allowedTransitions(a policy.Actor, l loaded) []model.CaseState {
	var out []model.CaseState
	if l.k.MergedInto != 0 {
		return nil
	}
	center := policy.CanHandleCase(a, l.facts)
	if !center && !policy.IsCaseReporter(a, l.facts) {
		return nil
	}
	for _, to := range transitions[l.k.State] {
		if CanTransition(l.k.State, to, center) {
			out = append(out, to)
		}
	}
	return out
}

// Transition moves a case to another state: timestamped, attributed and audited.
func (s *Service) Transition(ctx context.Context, p auth.Principal, id int64, toText string) (model.Case, error) {
	to, err := model.ParseCaseState(toText)
	if err != nil {
		return model.Case{}, withField(err, "to")
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	var k model.Case
	err = s.write(ctx, func(c store.Conn) error {
		l, err := s.load(ctx, c, p, id)
		if err != nil {
			return err
		}
		center := policy.CanHandleCase(p.Actor, l.facts)
		if !center && !policy.IsCaseReporter(p.Actor, l.facts) {
			return forbidden()
		}
		if err := refuseMerged(l.k); err != nil {
			return err
		}
		from := l.k.State
		if !CanTransition(from, to, center) {
			if slices.Contains(transitions[from], to) {
				return forbidden()
			}
			return fault.New(fault.Conflict, "case.bad_transition", "from", string(from), "to", string(to))
		}
		k = l.k
		k.State = to
		reopen := !from.Open() && to.Open()
		switch {
		case reopen:
			k.ResolvedAt, k.ClosedAt = time.Time{}, time.Time{}
		case to == model.CaseResolved:
			k.ResolvedAt = now
		case to == model.CaseClosed:
			k.ClosedAt = now
			if k.ResolvedAt.IsZero() {
				k.ResolvedAt = now
			}
		}
		if center && k.FirstResponseAt.IsZero() {
			k.FirstResponseAt = now
		}
		if err := store.UpdateCase(ctx, c, id, k, now); err != nil {
			return err
		}
		detail := map[string]any{}
		if reopen {
			detail["reopened"] = true
		}
		if err := s.timeline(ctx, c, p, id, "state", from, to, detail, now); err != nil {
			return err
		}
		if err := s.event(ctx, c, p.User.ID, EventCaseState, CaseEvent{CaseID: id}, now); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "case.state", TargetType: "case", TargetID: id,
			Detail: map[string]any{"from": from, "to": to, "reopened": reopen}}, now)
		return err
	})
	k.UpdatedAt = now
	return k, err
}

// Assignment names the IR team and the handler (an analyst); empty values unassign.
type Assignment struct {
	Team      string
	HandlerID int64
}

// Assign sets a case's team and handler (center staff).
func (s *Service) Assign(ctx context.Context, p auth.Principal, id int64, in Assignment) (model.Case, error) {
	team, err := model.CleanText(in.Team, MaxTeamLen, false)
	if err != nil {
		return model.Case{}, withField(err, "team")
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	var k model.Case
	err = s.write(ctx, func(c store.Conn) error {
		l, err := s.load(ctx, c, p, id)
		if err != nil {
			return err
		}
		if !policy.CanHandleCase(p.Actor, l.facts) {
			return forbidden()
		}
		if in.HandlerID != 0 {
			u, err := store.GetUser(ctx, c, in.HandlerID)
			if errors.Is(err, store.ErrNotFound) || (err == nil && (u.CenterRole == model.CenterNone || u.Disabled)) {
				return fault.Field("handler_id", "case.handler_not_staff")
			}
			if err != nil {
				return err
			}
		}
		k = l.k
		k.Team, k.HandlerID = team, in.HandlerID
		if err := store.UpdateCase(ctx, c, id, k, now); err != nil {
			return err
		}
		d := map[string]any{"team": team, "handler_id": in.HandlerID, "team_before": l.k.Team, "handler_before": l.k.HandlerID}
		if err := s.timeline(ctx, c, p, id, "assigned", "", "", d, now); err != nil {
			return err
		}
		if err := s.event(ctx, c, p.User.ID, EventCaseAssigned, CaseEvent{CaseID: id}, now); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "case.assigned", TargetType: "case", TargetID: id, Detail: d}, now)
		return err
	})
	k.UpdatedAt = now
	return k, err
}

// SetUrgency changes a case's urgency (center staff) and restarts its SLA clocks from the
// time it was filed with the new urgency's limits.
func (s *Service) SetUrgency(ctx context.Context, p auth.Principal, id int64, urgency string) (model.Case, error) {
	u, err := model.ParseUrgency(urgency)
	if err != nil {
		return model.Case{}, withField(err, "urgency")
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	var k model.Case
	err = s.write(ctx, func(c store.Conn) error {
		l, err := s.load(ctx, c, p, id)
		if err != nil {
			return err
		}
		if !policy.CanHandleCase(p.Actor, l.facts) {
			return forbidden()
		}
		k = l.k
		k.Urgency = u
		s.sla.setClocks(&k)
		if err := store.UpdateCase(ctx, c, id, k, now); err != nil {
			return err
		}
		d := map[string]any{"from": l.k.Urgency, "to": u}
		if err := s.timeline(ctx, c, p, id, "urgency", "", "", d, now); err != nil {
			return err
		}
		if err := s.event(ctx, c, p.User.ID, EventCaseUrgency, CaseEvent{CaseID: id}, now); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "case.urgency", TargetType: "case", TargetID: id, Detail: d}, now)
		return err
	})
	return k, err
}

// ---- Partners ----

// InvitePartner lets an organization (a security agency, law enforcement, any other
// partner) see and answer one case. Center staff only; audited.
func (s *Service) InvitePartner(ctx context.Context, p auth.Principal, id, orgID int64) error {
	now := s.now().UTC().Truncate(time.Millisecond)
	return s.write(ctx, func(c store.Conn) error {
		l, err := s.load(ctx, c, p, id)
		if err != nil {
			return err
		}
		if !policy.CanHandleCase(p.Actor, l.facts) {
			return forbidden()
		}
		o, err := store.GetOrg(ctx, c, orgID)
		switch {
		case errors.Is(err, store.ErrNotFound) || (err == nil && o.Disabled):
			return fault.Field("org_id", "case.partner_unknown")
		case err != nil:
			return err
		case o.ID == l.k.OrgID || o.Kind == model.KindCenter:
			return fault.Field("org_id", "case.partner_not_outside")
		case len(l.partners) >= MaxPartners:
			return fault.Field("org_id", "case.too_many_partners", "max", MaxPartners)
		}
		if err := store.AddCasePartner(ctx, c, id, orgID, p.User.ID, now); errors.Is(err, store.ErrDuplicate) {
			return fault.New(fault.Conflict, "case.partner_already")
		} else if err != nil {
			return err
		}
		d := map[string]any{"org_id": orgID}
		if err := s.timeline(ctx, c, p, id, "partner_invited", "", "", d, now); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "case.partner_invited", TargetType: "case", TargetID: id, Detail: d}, now)
		return err
	})
}

// RevokePartner ends an organization's invitation: its people lose access at once.
func (s *Service) RevokePartner(ctx context.Context, p auth.Principal, id, orgID int64) error {
	now := s.now().UTC().Truncate(time.Millisecond)
	return s.write(ctx, func(c store.Conn) error {
		l, err := s.load(ctx, c, p, id)
		if err != nil {
			return err
		}
		if !policy.CanHandleCase(p.Actor, l.facts) {
			return forbidden()
		}
		if err := store.RemoveCasePartner(ctx, c, id, orgID); errors.Is(err, store.ErrNotFound) {
			return fault.New(fault.NotFound, "case.partner_not_invited")
		} else if err != nil {
			return err
		}
		d := map[string]any{"org_id": orgID}
		if err := s.timeline(ctx, c, p, id, "partner_revoked", "", "", d, now); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "case.partner_revoked", TargetType: "case", TargetID: id, Detail: d}, now)
		return err
	})
}

// ---- Related cases ----

// Link records that two cases are related (center staff).
func (s *Service) Link(ctx context.Context, p auth.Principal, id, other int64) error {
	return s.linkOrMerge(ctx, p, id, other, false)
}

// Merge closes a duplicate into the case it repeats: the duplicate is linked, marked as
// merged and closed; its thread stays where it was (center staff).
func (s *Service) Merge(ctx context.Context, p auth.Principal, duplicate, into int64) error {
	return s.linkOrMerge(ctx, p, duplicate, into, true)
}

func (s *Service) linkOrMerge(ctx context.Context, p auth.Principal, id, other int64, merge bool) error {
	now := s.now().UTC().Truncate(time.Millisecond)
	field := "other_id"
	if merge {
		field = "into"
	}
	return s.write(ctx, func(c store.Conn) error {
		l, err := s.load(ctx, c, p, id)
		if err != nil {
			return err
		}
		if !policy.CanHandleCase(p.Actor, l.facts) {
			return forbidden()
		}
		if other == id {
			return fault.Field(field, "case.link_self")
		}
		o, err := s.load(ctx, c, p, other)
		if fault.Is(err, fault.NotFound) {
			return fault.Field(field, "case.link_unknown")
		} else if err != nil {
			return err
		}
		linked, err := store.LinkedCases(ctx, c, store.Filter{}, id)
		if err != nil {
			return err
		}
		if len(linked) >= MaxLinks && !slices.Contains(linked, other) {
			return fault.Field(field, "case.too_many_links", "max", MaxLinks)
		}
		if merge && (l.k.MergedInto != 0 || o.k.MergedInto != 0) {
			return fault.New(fault.Conflict, "case.merged", "into", max(l.k.MergedInto, o.k.MergedInto))
		}
		if err := store.LinkCases(ctx, c, id, other, now); err != nil {
			return err
		}
		kind, action := "linked", "case.linked"
		if merge {
			kind, action = "merged", "case.merged"
			k := l.k
			k.MergedInto, k.State = other, model.CaseClosed
			k.ClosedAt = now
			if k.ResolvedAt.IsZero() {
				k.ResolvedAt = now
			}
			if err := store.UpdateCase(ctx, c, id, k, now); err != nil {
				return err
			}
			if err := s.timeline(ctx, c, p, other, "merged_from", "", "", map[string]any{"case_id": id}, now); err != nil {
				return err
			}
		} else if err := s.timeline(ctx, c, p, other, kind, "", "", map[string]any{"case_id": id}, now); err != nil {
			return err
		}
		to := model.CaseState("")
		if merge {
			to = model.CaseClosed
		}
		if err := s.timeline(ctx, c, p, id, kind, l.k.State, to, map[string]any{"case_id": other}, now); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: action, TargetType: "case", TargetID: id,
			Detail: map[string]any{"other_id": other}}, now)
		return err
	})
}

// ObservablesFromText reads indicators pasted one or more per line (a phone's form has
// one text box): each recognised IP address, domain, URL or hash becomes an observable of
// its kind; a word that looked like an indicator but is not valid is refused, so that a
// typo is not dropped silently.
func ObservablesFromText(text string) ([]ObservableInput, error) {
	if len(text) > MaxObservables*MaxObservableLen {
		return nil, fault.Field("observables", "invalid.too_long", "max", MaxObservables*MaxObservableLen)
	}
	res, err := ioc.Extract(text, ioc.Limits{MaxItems: MaxObservables + 1})
	if err != nil {
		return nil, fault.Field("observables", "case.too_many_observables", "max", MaxObservables)
	}
	if len(res.Rejected) > 0 {
		return nil, fault.Field("observables", "case.bad_observable_text", "value", res.Rejected[0].Text)
	}
	var out []ObservableInput
	for _, it := range res.Items {
		var kind model.ObservableKind
		switch it.Kind {
		case ioc.IPv4, ioc.IPv6:
			kind = model.ObsIP
		case ioc.Domain:
			kind = model.ObsDomain
		case ioc.URL:
			kind = model.ObsURL
		case ioc.MD5, ioc.SHA1, ioc.SHA256:
			kind = model.ObsHash
		default: // networks and email addresses are not case observables
			return nil, fault.Field("observables", "case.bad_observable_text", "value", it.Value)
		}
		out = append(out, ObservableInput{Kind: string(kind), Value: it.Value})
	}
	if len(out) > MaxObservables {
		return nil, fault.Field("observables", "case.too_many_observables", "max", MaxObservables)
	}
	return out, nil
}

// ObservablesText writes observables back one per line, as ObservablesFromText reads them.
func ObservablesText(obs []ObservableInput) string {
	var b []byte
	for _, o := range obs {
		b = append(b, o.Value...)
		b = append(b, '\n')
	}
	return string(b)
}
