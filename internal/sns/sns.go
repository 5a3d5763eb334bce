// Package sns is the sharing SNS: topics in communities with a TLP marking and a sharing
// scope, their versions, comments, attachments, read acknowledgements, bookmarks, read
// progress and search. Every read and write asks the policy package first; every change
// writes its event (for live updates and notifications) and, where it matters, its audit
// record in the same transaction.
package sns

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// Limits on what people write.
const (
	MaxTitleLen      = 200
	MaxBodyLen       = 100_000
	MaxCommentLen    = 20_000
	MaxTags          = 10
	MaxTagLen        = 40
	MaxAudience      = 500 // organizations plus people named on one topic
	MaxAttachments   = 10  // per topic or comment
	MaxAttachNameLen = 200
)

// Event kinds written to the event log.
const (
	EventTopicCreated   = "topic.created"
	EventTopicEdited    = "topic.edited"
	EventTopicWidened   = "topic.widened"
	EventTopicDeleted   = "topic.deleted"
	EventCommentCreated = "comment.created"
	EventTopicAcked     = "topic.acked"
)

// Service is the SNS service.
type Service struct {
	db            *store.DB
	now           func() time.Time
	maxAttachment int64
	signal        Signal
}

// Signal tells live listeners that events were written: Notify runs inside the writing
// transaction (PostgreSQL delivers it at commit, to every node), Wake after the commit (for
// listeners in this process).
type Signal interface {
	Notify(ctx context.Context, c store.Conn) error
	Wake()
}

// SetSignal connects the live updates; without it events are still written and read by
// polling.
func (s *Service) SetSignal(sig Signal) { s.signal = sig }

// write runs fn in a write transaction and, once it has committed, wakes live listeners.
func (s *Service) write(ctx context.Context, fn func(store.Conn) error) error {
	err := s.db.Write(ctx, fn) // the one direct use
	if err == nil && s.signal != nil {
		s.signal.Wake()
	}
	return err
}

// event appends to the event log in the caller's transaction and signals it.
func (s *Service) event(ctx context.Context, c store.Conn, e store.Event, now time.Time) (int64, error) {
	id, err := store.InsertEvent(ctx, c, e, now)
	if err == nil && s.signal != nil {
		err = s.signal.Notify(ctx, c)
	}
	return id, err
}

// New returns the service; maxAttachment is the largest file accepted, in bytes.
func New(db *store.DB, now func() time.Time, maxAttachment int64) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, now: now, maxAttachment: maxAttachment}
}

// MaxAttachment is the largest file accepted, in bytes.
func (s *Service) MaxAttachment() int64 { return s.maxAttachment }

// TopicInput is a topic as typed, for creating or editing.
type TopicInput struct {
	CommunityID  int64
	Title        string
	Body         string
	InfoType     string
	Priority     string
	Tags         []string
	TLP          string
	Scope        string
	Audience     model.Audience
	ShowAudience bool
}

func notFound() error { return fault.New(fault.NotFound, "error.not_found") }

func forbidden() error { return fault.New(fault.Forbidden, "error.forbidden") }

// validate checks the fields that do not depend on the database.
func (in TopicInput) validate() (model.Topic, error) {
	var errs fault.List
	var t model.Topic
	var err error
	t.CommunityID = in.CommunityID
	t.Title, err = model.CleanText(in.Title, MaxTitleLen, true)
	errs.AddErr("title", err)
	t.Body, err = model.CleanMultiline(in.Body, MaxBodyLen)
	errs.AddErr("body", err)
	if err == nil && t.Body == "" {
		errs.Add("body", "invalid.required")
	}
	t.InfoType, err = model.ParseInfoType(in.InfoType)
	errs.AddErr("info_type", err)
	t.Priority, err = model.ParsePriority(in.Priority)
	errs.AddErr("priority", err)
	t.TLP, err = model.ParseTLP(in.TLP)
	errs.AddErr("tlp", err)
	t.Scope, err = model.ParseScope(in.Scope)
	errs.AddErr("scope", err)
	t.Tags, err = cleanTags(in.Tags)
	errs.AddErr("tags", err)
	t.ShowAudience = in.ShowAudience
	if t.Scope == model.ScopeCommunity && !in.Audience.Empty() {
		errs.Add("audience", "topic.audience_with_community_scope")
	}
	if t.Scope == model.ScopeSelected && in.Audience.Empty() {
		errs.Add("audience", "topic.audience_required")
	}
	if len(in.Audience.Orgs)+len(in.Audience.Users) > MaxAudience {
		errs.Add("audience", "topic.audience_too_large", "max", MaxAudience)
	}
	if t.TLP == model.TLPRed {
		// TLP:RED is for named individuals: never a community, never whole organizations.
		if t.Scope == model.ScopeCommunity {
			errs.Add("tlp", "topic.red_needs_people")
		} else if len(in.Audience.Orgs) > 0 {
			errs.Add("audience", "topic.red_no_orgs")
		}
	}
	if t.Scope == model.ScopeCommunity {
		t.ShowAudience = false
	}
	return t, errs.Err()
}

// cleanTags trims, de-duplicates and checks free tags; a leading # is dropped.
func cleanTags(in []string) ([]string, error) {
	var out []string
	for _, raw := range in {
		for _, part := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == '、' || r == '，' }) {
			tag, err := model.CleanText(strings.TrimPrefix(strings.TrimSpace(part), "#"), MaxTagLen, false)
			if err != nil {
				return nil, err
			}
			if tag != "" && !slices.Contains(out, tag) {
				out = append(out, tag)
			}
		}
	}
	if len(out) > MaxTags {
		return nil, fault.New(fault.Invalid, "topic.too_many_tags", "max", MaxTags)
	}
	return out, nil
}

// checkAudience makes sure everyone named belongs to the community.
func checkAudience(ctx context.Context, c store.Conn, communityID int64, aud model.Audience) error {
	orgIn, userIn, err := store.CommunityMembership(ctx, c, communityID, aud.Orgs, aud.Users)
	if err != nil {
		return err
	}
	for _, o := range aud.Orgs {
		if !orgIn[o] {
			return fault.Field("audience", "topic.audience_not_member", "ref", o)
		}
	}
	for _, u := range aud.Users {
		if !userIn[u] {
			return fault.Field("audience", "topic.audience_not_member", "ref", u)
		}
	}
	return nil
}

func dedupe(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// CreateTopic posts a topic. Its scope and audience are written in the same transaction as
// the topic itself, with the event and the audit record.
func (s *Service) CreateTopic(ctx context.Context, p auth.Principal, in TopicInput) (model.Topic, error) {
	return s.CreateTopicWith(ctx, p, in, nil)
}

// CreateTopicWith is CreateTopic that also runs also (when not nil) in the topic's
// transaction, with the new topic: what another service records about the topic (the
// desk's link from a case) is written, or not, with it.
func (s *Service) CreateTopicWith(ctx context.Context, p auth.Principal, in TopicInput, also func(store.Conn, model.Topic) error) (model.Topic, error) {
	in.Audience = model.Audience{Orgs: dedupe(in.Audience.Orgs), Users: dedupe(in.Audience.Users)}
	t, err := in.validate()
	if err != nil {
		return t, err
	}
	if !policy.IsCommunityMember(p.Actor, t.CommunityID) {
		return model.Topic{}, fault.Field("community_id", "topic.not_member")
	}
	t.AuthorID, t.AuthorOrgID = p.User.ID, p.User.OrgID
	now := s.now()
	err = s.write(ctx, func(c store.Conn) error {
		if err := checkAudience(ctx, c, t.CommunityID, in.Audience); err != nil {
			return err
		}
		if t.ID, err = store.InsertTopic(ctx, c, t, in.Audience, now); err != nil {
			return err
		}
		if err := indexTopic(ctx, c, t.ID); err != nil {
			return err
		}
		if _, err := s.event(ctx, c, store.Event{Kind: EventTopicCreated, TopicID: t.ID, CommunityID: t.CommunityID,
			ActorID: p.User.ID}, now); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "topic.created", TargetType: "topic", TargetID: t.ID,
			Detail: map[string]any{"community_id": t.CommunityID, "tlp": t.TLP, "scope": t.Scope,
				"audience_orgs": len(in.Audience.Orgs), "audience_users": len(in.Audience.Users)}}, now)
		if err != nil || also == nil {
			return err
		}
		return also(c, t)
	})
	if err != nil {
		return model.Topic{}, err
	}
	t.Version, t.CreatedAt, t.LastActivity = 1, now, now
	return t, nil
}

// loaded is a topic with the facts the policy needs.
type loaded struct {
	topic     model.Topic
	audience  model.Audience
	facts     policy.TopicFacts
	moderator bool
}

// load reads a topic and answers NotFound when it is missing or the principal may not see
// it: the two are never told apart.
func (s *Service) load(ctx context.Context, c store.Conn, p auth.Principal, id int64) (loaded, error) {
	t, err := store.GetTopic(ctx, c, id)
	if errors.Is(err, store.ErrNotFound) {
		return loaded{}, notFound()
	}
	if err != nil {
		return loaded{}, err
	}
	var aud model.Audience
	if t.Scope == model.ScopeSelected {
		if aud, err = store.GetAudience(ctx, c, id); err != nil {
			return loaded{}, err
		}
	}
	l := loaded{topic: t, audience: aud, facts: Facts(t, aud)}
	if !policy.CanViewTopic(p.Actor, l.facts) {
		return loaded{}, notFound()
	}
	l.moderator, err = store.IsModerator(ctx, c, t.CommunityID, p.User.ID)
	return l, err
}

// Facts are the policy facts of a topic and its audience.
func Facts(t model.Topic, aud model.Audience) policy.TopicFacts {
	return policy.TopicFacts{ID: t.ID, CommunityID: t.CommunityID, AuthorID: t.AuthorID, TLP: t.TLP, Scope: t.Scope,
		Deleted: t.Deleted(), AudienceOrgs: aud.Orgs, AudienceUsers: aud.Users, ShowAudience: t.ShowAudience}
}

// EditTopic changes a topic's text, type, priority, tags, TLP and whether recipients see
// each other (its author only). The previous version is kept. The scope is not changed
// here: see WidenScope.
func (s *Service) EditTopic(ctx context.Context, p auth.Principal, id int64, in TopicInput) (model.Topic, error) {
	var next model.Topic
	now := s.now()
	err := s.write(ctx, func(c store.Conn) error {
		l, err := s.load(ctx, c, p, id)
		if err != nil {
			return err
		}
		if !policy.CanEditTopic(p.Actor, l.facts) {
			return forbidden()
		}
		in.CommunityID, in.Scope, in.Audience = l.topic.CommunityID, string(l.topic.Scope), l.audience
		if next, err = in.validate(); err != nil {
			return err
		}
		if err := store.UpdateTopicContent(ctx, c, l.topic, next, p.User.ID, now); err != nil {
			return err
		}
		if err := indexTopic(ctx, c, id); err != nil {
			return err
		}
		if _, err := s.event(ctx, c, store.Event{Kind: EventTopicEdited, TopicID: id, CommunityID: l.topic.CommunityID,
			ActorID: p.User.ID}, now); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "topic.edited", TargetType: "topic", TargetID: id,
			Detail: map[string]any{"version": l.topic.Version + 1, "tlp_before": l.topic.TLP, "tlp": next.TLP}}, now)
		return err
	})
	if err != nil {
		return model.Topic{}, err
	}
	return s.mustGet(ctx, id)
}

func (s *Service) mustGet(ctx context.Context, id int64) (model.Topic, error) {
	return store.GetTopic(ctx, s.db.Read(), id)
}

// Widening says how to widen a topic's audience: add organizations and people, or open it
// to the whole community.
type Widening struct {
	Add         model.Audience
	ToCommunity bool
}

// WidenScope widens who receives a selected-scope topic: the author's explicit, audited
// act. Narrowing is not offered: what was shared cannot be unshared.
func (s *Service) WidenScope(ctx context.Context, p auth.Principal, id int64, w Widening) error {
	w.Add = model.Audience{Orgs: dedupe(w.Add.Orgs), Users: dedupe(w.Add.Users)}
	now := s.now()
	return s.write(ctx, func(c store.Conn) error {
		l, err := s.load(ctx, c, p, id)
		if err != nil {
			return err
		}
		if !policy.CanWidenScope(p.Actor, l.facts) {
			return forbidden()
		}
		if l.topic.Scope != model.ScopeSelected {
			return fault.New(fault.Conflict, "topic.already_community")
		}
		switch {
		case w.ToCommunity && l.topic.TLP == model.TLPRed:
			return fault.Field("scope", "topic.red_needs_people")
		case !w.ToCommunity && w.Add.Empty():
			return fault.Field("audience", "topic.audience_required")
		case l.topic.TLP == model.TLPRed && len(w.Add.Orgs) > 0:
			return fault.Field("audience", "topic.red_no_orgs")
		case len(l.audience.Orgs)+len(l.audience.Users)+len(w.Add.Orgs)+len(w.Add.Users) > MaxAudience:
			return fault.Field("audience", "topic.audience_too_large", "max", MaxAudience)
		}
		detail := map[string]any{"add_orgs": w.Add.Orgs, "add_users": w.Add.Users}
		if w.ToCommunity {
			if err := store.SetTopicScope(ctx, c, id, model.ScopeCommunity, now); err != nil {
				return err
			}
			detail = map[string]any{"scope": model.ScopeCommunity}
		} else {
			if err := checkAudience(ctx, c, l.topic.CommunityID, w.Add); err != nil {
				return err
			}
			if err := store.AddAudience(ctx, c, id, w.Add, now); err != nil {
				return err
			}
		}
		if err := indexTopic(ctx, c, id); err != nil { // the new recipients' keys
			return err
		}
		b, _ := json.Marshal(detail)
		if _, err := s.event(ctx, c, store.Event{Kind: EventTopicWidened, TopicID: id, CommunityID: l.topic.CommunityID,
			ActorID: p.User.ID, Detail: string(b)}, now); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "topic.scope_widened", TargetType: "topic",
			TargetID: id, Detail: detail}, now)
		return err
	})
}

// DeleteTopic soft-deletes a topic (its author or a moderator); audited.
func (s *Service) DeleteTopic(ctx context.Context, p auth.Principal, id int64) error {
	now := s.now()
	return s.write(ctx, func(c store.Conn) error {
		l, err := s.load(ctx, c, p, id)
		if err != nil {
			return err
		}
		if !policy.CanDeleteTopic(p.Actor, l.facts, l.moderator) {
			return forbidden()
		}
		if err := store.MarkTopicDeleted(ctx, c, id, p.User.ID, now); err != nil {
			return err
		}
		if err := indexTopic(ctx, c, id); err != nil { // a deleted topic has no keys
			return err
		}
		if _, err := s.event(ctx, c, store.Event{Kind: EventTopicDeleted, TopicID: id, CommunityID: l.topic.CommunityID,
			ActorID: p.User.ID}, now); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "topic.deleted", TargetType: "topic", TargetID: id,
			Detail: map[string]any{"title": l.topic.Title, "by_moderator": l.topic.AuthorID != p.User.ID}}, now)
		return err
	})
}

// SetPinned pins or unpins a topic (moderators).
func (s *Service) SetPinned(ctx context.Context, p auth.Principal, id int64, pinned bool) error {
	now := s.now()
	return s.write(ctx, func(c store.Conn) error {
		l, err := s.load(ctx, c, p, id)
		if err != nil {
			return err
		}
		if !policy.CanModerateTopic(p.Actor, l.facts, l.moderator) {
			return forbidden()
		}
		if err := store.SetTopicPinned(ctx, c, id, pinned); err != nil {
			return err
		}
		action := "topic.pinned"
		if !pinned {
			action = "topic.unpinned"
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: action, TargetType: "topic", TargetID: id}, now)
		return err
	})
}
