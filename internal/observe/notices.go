package observe

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/notify"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// Notice kinds.
const (
	NoticeDDoS        = "ddos"
	NoticeDown        = "down"
	NoticeTLS         = "tls"
	NoticeDNS         = "dns"
	NoticeExposed     = "exposed"
	NoticeLookalike   = "lookalike"
	NoticePhishing    = "phishing"
	NoticeDarkWeb     = "darkweb"
	NoticeCredentials = "credentials"
	NoticeMatch       = "match"
	NoticeOther       = "other"
)

// NoticeKinds lists the kinds in the order forms offer them.
var NoticeKinds = []string{NoticeDDoS, NoticeDown, NoticeTLS, NoticeDNS, NoticeExposed, NoticeLookalike, NoticePhishing,
	NoticeDarkWeb, NoticeCredentials, NoticeMatch, NoticeOther}

// Severities, from the least to the most serious.
var Severities = []string{"info", "low", "medium", "high", "critical"}

// severityRank orders severities; unknown ones rank below info.
func severityRank(s string) int { return slices.Index(Severities, s) }

// Notice sources.
const (
	SourceAnalyst = "analyst"
	SourceMonitor = "monitor"
	SourceMatch   = "match"
)

// Notice is a private notice to one organization.
type Notice struct{ store.Notice }

// Title is the notice's title in a language (the other one when it has none).
func (n Notice) Title(lang model.Lang) string { return pick(lang, n.TitleJA, n.TitleEN) }

// Body is the notice's text in a language.
func (n Notice) Body(lang model.Lang) string { return pick(lang, n.BodyJA, n.BodyEN) }

// Action is the recommended action in a language.
func (n Notice) Action(lang model.Lang) string { return pick(lang, n.ActionJA, n.ActionEN) }

// EvidenceMap is the evidence as name → value.
func (n Notice) EvidenceMap() map[string]string {
	m := map[string]string{}
	_ = json.Unmarshal([]byte(n.Evidence), &m)
	return m
}

// EvidenceKeys are the evidence names in order.
func (n Notice) EvidenceKeys() []string { return slices.Sorted(maps.Keys(n.EvidenceMap())) }

// Read reports whether the target organization has read it.
func (n Notice) Read() bool { return !n.FirstReadAt.IsZero() }

// TimeToRead is the time from sending to the organization's first read (0 when unread).
func (n Notice) TimeToRead() time.Duration {
	if n.FirstReadAt.IsZero() {
		return 0
	}
	return n.FirstReadAt.Sub(n.CreatedAt)
}

func pick(lang model.Lang, ja, en string) string {
	if lang == model.LangEN && en != "" || ja == "" {
		return en
	}
	return ja
}

func facts(n store.Notice) policy.NoticeFacts { return policy.NoticeFacts{OrgID: n.OrgID} }

// NoticeInput is a notice written by hand: one text, sent to several organizations.
type NoticeInput struct {
	Orgs     []int64
	Title    string
	Body     string
	Action   string
	Severity string
	Kind     string
}

func (in NoticeInput) validate() (store.Notice, []int64, error) {
	var errs fault.List
	var n store.Notice
	var err error
	n.TitleJA, err = model.CleanText(in.Title, MaxTitleLen, true)
	errs.AddErr("title", err)
	n.BodyJA, err = model.CleanMultiline(in.Body, MaxBodyLen)
	errs.AddErr("body", err)
	if err == nil && n.BodyJA == "" {
		errs.Add("body", "invalid.required")
	}
	n.ActionJA, err = model.CleanMultiline(in.Action, MaxActionLen)
	errs.AddErr("action", err)
	n.Severity, n.Kind = in.Severity, in.Kind
	if !slices.Contains(Severities, n.Severity) {
		errs.Add("severity", "observe.bad_severity")
	}
	if !slices.Contains(NoticeKinds, n.Kind) {
		errs.Add("kind", "observe.bad_notice_kind")
	}
	orgs := slices.Clone(in.Orgs)
	slices.Sort(orgs)
	orgs = slices.Compact(orgs)
	switch {
	case len(orgs) == 0:
		errs.Add("orgs", "observe.orgs_required")
	case len(orgs) > MaxRecipients:
		errs.Add("orgs", "observe.too_many_orgs", "max", MaxRecipients)
	}
	return n, orgs, errs.Err()
}

// SendNotice writes a notice by hand and sends it to each organization named: each gets
// its own private copy, which no other organization can see (nor that it was sent to
// others). Center staff only.
func (s *Service) SendNotice(ctx context.Context, p auth.Principal, in NoticeInput) ([]Notice, error) {
	if !policy.CanSendNotice(p.Actor) {
		return nil, forbidden()
	}
	n, orgs, err := in.validate()
	if err != nil {
		return nil, err
	}
	n.Source, n.CreatedBy, n.Evidence = SourceAnalyst, p.User.ID, "{}"
	now := s.now()
	n.ObservedAt = now
	var out []Notice
	err = s.db.Write(ctx, func(c store.Conn) error {
		var ids []int64
		for _, orgID := range orgs {
			o, err := store.GetOrg(ctx, c, orgID)
			if errors.Is(err, store.ErrNotFound) || (err == nil && o.Disabled) {
				return fault.Field("orgs", "observe.no_such_org_id", "id", orgID)
			}
			if err != nil {
				return err
			}
			copy := n
			copy.OrgID = orgID
			if copy.ID, err = store.InsertNotice(ctx, c, copy, now); err != nil {
				return err
			}
			copy.CreatedAt = now
			ids = append(ids, copy.ID)
			out = append(out, Notice{copy})
		}
		if err := store.SetNoticeBatch(ctx, c, ids, ids[0]); err != nil {
			return err
		}
		for i := range out {
			out[i].BatchID = ids[0]
		}
		_, err := audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "notice.sent", TargetType: "notice", TargetID: ids[0],
			Detail: map[string]any{"orgs": orgs, "kind": n.Kind, "severity": n.Severity}}, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// NoticeQuery selects notices to list.
type NoticeQuery struct {
	OrgID  int64 // one organization (center staff); 0: all the principal may see
	Unread bool  // only those the organization has not read
	Before int64
	Limit  int
}

// Notices lists the notices the principal may see, newest first, with whether the
// principal read each; the cursor of the next page is returned (0 at the end).
func (s *Service) Notices(ctx context.Context, p auth.Principal, q NoticeQuery) ([]Notice, int64, error) {
	n := limitOf(store.Page{Limit: q.Limit})
	list, err := store.ListNotices(ctx, s.db.Read(), store.NoticeQuery{Access: policy.NoticeFilter(p.Actor), OrgID: q.OrgID,
		Unread: q.Unread, Reader: p.User.ID, Before: q.Before, Limit: n})
	if err != nil {
		return nil, 0, err
	}
	out := make([]Notice, len(list))
	for i, x := range list {
		out[i] = Notice{x}
	}
	return out, nextCursor(len(list), n, func() int64 { return list[len(list)-1].ID }), nil
}

// NoticeView is one notice opened, with the principal's own read.
type NoticeView struct {
	Notice
	ReadAt time.Time // when the principal read it (zero: not yet)
	Org    model.Org // the target organization
}

// GetNotice opens a notice; NotFound when missing or not the principal's to see.
func (s *Service) GetNotice(ctx context.Context, p auth.Principal, id int64) (NoticeView, error) {
	c := s.db.Read()
	n, err := store.GetNotice(ctx, c, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !policy.CanViewNotice(p.Actor, facts(n))) {
		return NoticeView{}, notFound()
	}
	if err != nil {
		return NoticeView{}, err
	}
	v := NoticeView{Notice: Notice{n}}
	n.ReadByMe = false
	if v.ReadAt, err = store.ReadOf(ctx, c, id, p.User.ID); err != nil {
		return v, err
	}
	v.ReadByMe = !v.ReadAt.IsZero()
	v.Org, err = store.GetOrg(ctx, c, n.OrgID)
	return v, err
}

// MarkRead records that the principal read a notice; a read by someone of the target
// organization is also the organization's first read, if none came before.
func (s *Service) MarkRead(ctx context.Context, p auth.Principal, id int64) error {
	if p.User.ID == 0 {
		return notFound()
	}
	now := s.now()
	return s.db.Write(ctx, func(c store.Conn) error {
		n, err := store.GetNotice(ctx, c, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !policy.CanViewNotice(p.Actor, facts(n))) {
			return notFound()
		}
		if err != nil {
			return err
		}
		_, err = store.MarkNoticeRead(ctx, c, id, p.User.ID, policy.CountsAsOrgRead(p.Actor, facts(n)), now)
		return err
	})
}

// UnreadCount is how many notices the principal's organization has not read.
func (s *Service) UnreadCount(ctx context.Context, p auth.Principal) (int, error) {
	if p.User.ID == 0 || p.User.OrgID == 0 {
		return 0, nil
	}
	return store.CountUnreadNotices(ctx, s.db.Read(), p.User.OrgID)
}

// ---- Reminders ----

// Remind queues a reminder email to the people of each organization that has left a
// notice unread for longer than the configured time; each notice is reminded once. The
// email names only that notice and links to it. It reports how many notices were
// reminded.
func (s *Service) Remind(ctx context.Context) (int, error) {
	if s.remindAfter < 0 {
		return 0, nil
	}
	now := s.now()
	total := 0
	for {
		var due []store.Notice
		err := s.db.Write(ctx, func(c store.Conn) error {
			var err error
			if due, err = store.DueReminders(ctx, c, now.Add(-s.remindAfter), 100); err != nil {
				return err
			}
			for _, n := range due {
				var after int64
				for {
					people, err := store.OrgPeopleIDs(ctx, c, n.OrgID, after, store.MaxPage)
					if err != nil {
						return err
					}
					for _, uid := range people {
						if _, err := store.QueueOutbox(ctx, c, notify.NoticeReminder(uid, n.ID), now); err != nil {
							return err
						}
					}
					if len(people) < store.MaxPage {
						break
					}
					after = people[len(people)-1]
				}
				if err := store.MarkReminded(ctx, c, n.ID, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += len(due)
		if len(due) < 100 {
			break
		}
	}
	if total > 0 && s.signal != nil {
		s.signal.Wake()
	}
	return total, nil
}

// Run sends reminders every interval until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration, logErr func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.Remind(ctx); err != nil && ctx.Err() == nil && logErr != nil {
			logErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
