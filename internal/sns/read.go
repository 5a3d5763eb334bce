package sns

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// TopicView is one topic as a person sees it, with what they may do with it.
type TopicView struct {
	Topic model.Topic
	// Audience is set only when the person may see who received the topic.
	Audience     *model.Audience
	Read         model.ReadState
	CanEdit      bool
	CanDelete    bool
	CanModerate  bool
	CanProgress  bool
	CanWiden     bool
	AuthorName   string
	AuthorOrg    model.Org
	AudienceRefs []Ref // names of the audience, when shown
}

// Ref names an organization or a person.
type Ref struct {
	OrgID  int64
	UserID int64
	NameJA string
	NameEN string
}

// Name returns the name in lang.
func (r Ref) Name(lang model.Lang) string {
	if lang == model.LangEN && r.NameEN != "" {
		return r.NameEN
	}
	return r.NameJA
}

// GetTopic opens a topic: NotFound unless the person may see it. Opening records the view
// (first view time, count); opening a TLP:RED topic is audited.
func (s *Service) GetTopic(ctx context.Context, p auth.Principal, id int64) (TopicView, error) {
	v, err := s.view(ctx, p, id)
	if err != nil {
		return v, err
	}
	now := s.now()
	err = s.write(ctx, func(c store.Conn) error {
		if err := store.RecordView(ctx, c, id, p.User.ID, p.User.OrgID, now); err != nil {
			return err
		}
		if v.Topic.TLP != model.TLPRed {
			return nil
		}
		_, err := audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "topic.viewed_red", TargetType: "topic", TargetID: id}, now)
		return err
	})
	if v.Read.FirstViewAt.IsZero() {
		v.Read.FirstViewAt = now
	}
	v.Read.ViewCount++
	return v, err
}

// PeekTopic is GetTopic without recording a view (for the API's HEAD-like reads, live
// updates and tests).
func (s *Service) PeekTopic(ctx context.Context, p auth.Principal, id int64) (TopicView, error) {
	return s.view(ctx, p, id)
}

func (s *Service) view(ctx context.Context, p auth.Principal, id int64) (TopicView, error) {
	c := s.db.Read()
	l, err := s.load(ctx, c, p, id)
	if err != nil {
		return TopicView{}, err
	}
	v := TopicView{Topic: l.topic,
		CanEdit:     policy.CanEditTopic(p.Actor, l.facts),
		CanDelete:   policy.CanDeleteTopic(p.Actor, l.facts, l.moderator),
		CanModerate: policy.CanModerateTopic(p.Actor, l.facts, l.moderator),
		CanProgress: policy.CanViewProgress(p.Actor, l.facts, l.moderator),
		CanWiden:    policy.CanWidenScope(p.Actor, l.facts) && l.topic.Scope == model.ScopeSelected,
	}
	if l.topic.Scope == model.ScopeSelected && policy.CanSeeAudience(p.Actor, l.facts) {
		aud := l.audience
		v.Audience = &aud
		if v.AudienceRefs, err = s.refs(ctx, c, aud); err != nil {
			return v, err
		}
	}
	if v.Read, err = store.GetReadState(ctx, c, id, p.User.ID); err != nil {
		return v, err
	}
	author, err := store.GetUser(ctx, c, l.topic.AuthorID)
	if err != nil {
		return v, err
	}
	v.AuthorName = author.DisplayName
	v.AuthorOrg, err = store.GetOrg(ctx, c, l.topic.AuthorOrgID)
	return v, err
}

func (s *Service) refs(ctx context.Context, c store.Conn, aud model.Audience) ([]Ref, error) {
	var out []Ref
	for _, id := range aud.Orgs {
		o, err := store.GetOrg(ctx, c, id)
		if err != nil {
			return nil, err
		}
		out = append(out, Ref{OrgID: id, NameJA: o.NameJA, NameEN: o.NameEN})
	}
	for _, id := range aud.Users {
		u, err := store.GetUser(ctx, c, id)
		if err != nil {
			return nil, err
		}
		out = append(out, Ref{UserID: id, NameJA: u.DisplayName, NameEN: u.DisplayName})
	}
	return out, nil
}

// Versions returns the earlier versions of a topic the person may see.
func (s *Service) Versions(ctx context.Context, p auth.Principal, id int64) ([]model.TopicVersion, error) {
	if _, err := s.load(ctx, s.db.Read(), p, id); err != nil {
		return nil, err
	}
	return store.ListTopicVersions(ctx, s.db.Read(), id)
}

// TimelineQuery narrows a person's timeline; zero fields do not narrow.
type TimelineQuery struct {
	CommunityID int64
	InfoType    model.InfoType
	Priority    model.Priority
	TLP         model.TLP
	Tag         string
	From, To    time.Time
	Unread      bool
	Bookmarked  bool
	Before      int64 // keyset cursor: topics older than this id
	Limit       int
}

// Item is a topic in a list, with the person's own read state.
type Item struct {
	Topic model.Topic
	Read  model.ReadState
}

// Timeline returns the newest topics the person may see across their communities (or in
// one), newest first, and the cursor of the next page (0 at the end).
func (s *Service) Timeline(ctx context.Context, p auth.Principal, q TimelineQuery) ([]Item, int64, error) {
	limit := store.Page{Limit: q.Limit}
	n := limitOf(limit)
	tq := store.TopicQuery{CommunityID: q.CommunityID, InfoType: q.InfoType, Priority: q.Priority, TLP: q.TLP, Tag: q.Tag,
		From: q.From, To: q.To, UserID: p.User.ID, Unread: q.Unread, Bookmarked: q.Bookmarked, Before: q.Before, Limit: n + 1}
	c := s.db.Read()
	topics, err := store.ListTopics(ctx, c, policy.TopicSources(p.Actor), tq)
	if err != nil {
		return nil, 0, err
	}
	var next int64
	if len(topics) > n {
		topics = topics[:n]
		next = topics[n-1].ID
	}
	items, err := s.items(ctx, c, p, topics)
	return items, next, err
}

func limitOf(p store.Page) int {
	switch {
	case p.Limit <= 0:
		return 50
	case p.Limit > 200:
		return 200
	}
	return p.Limit
}

func (s *Service) items(ctx context.Context, c store.Conn, p auth.Principal, topics []model.Topic) ([]Item, error) {
	ids := make([]int64, len(topics))
	for i, t := range topics {
		ids[i] = t.ID
	}
	states, err := store.ReadStates(ctx, c, p.User.ID, ids)
	if err != nil {
		return nil, err
	}
	items := make([]Item, len(topics))
	for i, t := range topics {
		items[i] = Item{Topic: t, Read: states[t.ID]}
	}
	return items, nil
}

// UnreadCounts returns, per community, the topics the person may see and has not opened.
func (s *Service) UnreadCounts(ctx context.Context, p auth.Principal) (map[int64]int, error) {
	return store.CountUnread(ctx, s.db.Read(), policy.TopicSources(p.Actor), p.User.ID)
}

// Acknowledge records the person's "I have read this" (the seeds' いいね). Doing it twice
// changes nothing.
func (s *Service) Acknowledge(ctx context.Context, p auth.Principal, id int64) error {
	now := s.now()
	return s.write(ctx, func(c store.Conn) error {
		l, err := s.load(ctx, c, p, id)
		if err != nil {
			return err
		}
		fresh, err := store.Acknowledge(ctx, c, id, p.User.ID, p.User.OrgID, now)
		if err != nil || !fresh {
			return err
		}
		_, err = s.event(ctx, c, store.Event{Kind: EventTopicAcked, TopicID: id, CommunityID: l.topic.CommunityID,
			ActorID: p.User.ID}, now)
		return err
	})
}

// SetBookmark adds or removes the person's bookmark on a topic.
func (s *Service) SetBookmark(ctx context.Context, p auth.Principal, id int64, on bool) error {
	now := s.now()
	return s.write(ctx, func(c store.Conn) error {
		if _, err := s.load(ctx, c, p, id); err != nil {
			return err
		}
		return store.SetBookmark(ctx, c, p.User.ID, id, on, now)
	})
}

// Progress is the read progress of a topic, for its author, moderators and the center.
type Progress struct {
	TopicID int64
	Orgs    []OrgProgress
	// Waiting are the people named in the audience who have not acknowledged yet.
	Waiting []Ref
	// ReadOrgs is how many target organizations have at least one reader, of len(Orgs).
	ReadOrgs int
}

// OrgProgress is one target organization.
type OrgProgress struct {
	Ref
	Readers     int
	Viewers     int
	FirstReadAt time.Time
	// TimeToRead is from the topic's creation to the organization's first acknowledgement.
	TimeToRead time.Duration
}

// Progress returns which target organizations have read a topic, how soon, and who has
// not. The targets are the community's member organizations (and those of its personal
// members) for a community topic, the audience (and the organizations of the people named)
// for a selected one.
func (s *Service) Progress(ctx context.Context, p auth.Principal, id int64) (Progress, error) {
	c := s.db.Read()
	l, err := s.load(ctx, c, p, id)
	if err != nil {
		return Progress{}, err
	}
	if !policy.CanViewProgress(p.Actor, l.facts, l.moderator) {
		return Progress{}, forbidden()
	}
	orgs, users, err := s.targets(ctx, c, l)
	if err != nil {
		return Progress{}, err
	}
	reads, err := store.ReadsByOrg(ctx, c, id)
	if err != nil {
		return Progress{}, err
	}
	pr := Progress{TopicID: id}
	for _, oid := range orgs {
		o, err := store.GetOrg(ctx, c, oid)
		if err != nil {
			return Progress{}, err
		}
		r := reads[oid]
		op := OrgProgress{Ref: Ref{OrgID: oid, NameJA: o.NameJA, NameEN: o.NameEN}, Readers: r.Readers, Viewers: r.Viewers, FirstReadAt: r.FirstAt}
		if !r.FirstAt.IsZero() {
			op.TimeToRead = r.FirstAt.Sub(l.topic.CreatedAt)
			pr.ReadOrgs++
		}
		pr.Orgs = append(pr.Orgs, op)
	}
	acked, err := store.AckedUsers(ctx, c, id)
	if err != nil {
		return Progress{}, err
	}
	for _, uid := range users {
		if _, ok := acked[uid]; ok {
			continue
		}
		u, err := store.GetUser(ctx, c, uid)
		if err != nil {
			return Progress{}, err
		}
		pr.Waiting = append(pr.Waiting, Ref{UserID: uid, NameJA: u.DisplayName, NameEN: u.DisplayName})
	}
	return pr, nil
}

// targets returns the organizations and the named people a topic was meant for.
func (s *Service) targets(ctx context.Context, c store.Conn, l loaded) (orgs, users []int64, err error) {
	if l.topic.Scope == model.ScopeCommunity {
		orgs, err = store.CommunityOrgIDs(ctx, c, l.topic.CommunityID)
		if err != nil {
			return nil, nil, err
		}
		users, err = store.CommunityUserIDs(ctx, c, l.topic.CommunityID)
	} else {
		orgs, users = slices.Clone(l.audience.Orgs), slices.Clone(l.audience.Users)
	}
	if err != nil {
		return nil, nil, err
	}
	for _, uid := range users {
		u, err := store.GetUser(ctx, c, uid)
		if err != nil {
			return nil, nil, err
		}
		if !slices.Contains(orgs, u.OrgID) {
			orgs = append(orgs, u.OrgID)
		}
	}
	return orgs, users, nil
}

// CanSee reports whether the person may see a topic now, loading only the topic and its
// audience: the cheap check made for every live event and every listener.
func (s *Service) CanSee(ctx context.Context, p auth.Principal, id int64) (bool, error) {
	c := s.db.Read()
	t, err := store.GetTopic(ctx, c, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var aud model.Audience
	if t.Scope == model.ScopeSelected {
		if aud, err = store.GetAudience(ctx, c, id); err != nil {
			return false, err
		}
	}
	return policy.CanViewTopic(p.Actor, Facts(t, aud)), nil
}
