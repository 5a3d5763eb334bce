package sns

import (
	"context"
	"errors"
	"regexp"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// CommentInput is a comment as typed. Mentions name organizations and people to notify;
// "@address" in the body names a person too.
type CommentInput struct {
	ParentID int64
	Body     string
	Mentions model.Audience
}

// MaxMentions bounds the organizations and people one comment may notify.
const MaxMentions = 50

var mentionPattern = regexp.MustCompile(`@([A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})`)

// CommentView is a comment with its author's names.
type CommentView struct {
	model.Comment
	AuthorName string
	AuthorOrg  Ref
	CanDelete  bool
}

// AddComment adds a comment (or a reply to a top-level comment) to a topic the person may
// see. Mentioned organizations and people are notified only if they may see the topic;
// other mentions stay plain text.
func (s *Service) AddComment(ctx context.Context, p auth.Principal, topicID int64, in CommentInput) (model.Comment, error) {
	body, err := model.CleanMultiline(in.Body, MaxCommentLen)
	if err != nil {
		return model.Comment{}, fault.As(err).WithField("body")
	}
	if body == "" {
		return model.Comment{}, fault.Field("body", "invalid.required")
	}
	if len(in.Mentions.Orgs)+len(in.Mentions.Users) > MaxMentions {
		return model.Comment{}, fault.Field("mentions", "comment.too_many_mentions", "max", MaxMentions)
	}
	x := model.Comment{TopicID: topicID, ParentID: in.ParentID, AuthorID: p.User.ID, AuthorOrgID: p.User.OrgID, Body: body}
	now := s.now()
	err = s.write(ctx, func(c store.Conn) error {
		l, err := s.load(ctx, c, p, topicID)
		if err != nil {
			return err
		}
		if err := checkParent(ctx, c, topicID, in.ParentID); err != nil {
			return err
		}
		if x.ID, err = store.InsertComment(ctx, c, x, now); err != nil {
			return err
		}
		if err := indexTopic(ctx, c, topicID); err != nil {
			return err
		}
		eventID, err := s.event(ctx, c, store.Event{Kind: EventCommentCreated, TopicID: topicID, CommentID: x.ID,
			CommunityID: l.topic.CommunityID, ActorID: p.User.ID}, now)
		if err != nil {
			return err
		}
		return s.recordMentions(ctx, c, l, eventID, body, in.Mentions)
	})
	x.CreatedAt = now
	return x, err
}

func checkParent(ctx context.Context, c store.Conn, topicID, parentID int64) error {
	if parentID == 0 {
		return nil
	}
	parent, err := store.GetComment(ctx, c, parentID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && parent.TopicID != topicID) {
		return fault.Field("parent_id", "comment.parent_not_found")
	}
	if err != nil {
		return err
	}
	if parent.ParentID != 0 {
		return fault.Field("parent_id", "comment.one_level")
	}
	return nil
}

// recordMentions keeps, of the mentions, those who may see the topic.
func (s *Service) recordMentions(ctx context.Context, c store.Conn, l loaded, eventID int64, body string, m model.Audience) error {
	users := dedupe(m.Users)
	for _, match := range mentionPattern.FindAllStringSubmatch(body, MaxMentions) {
		u, err := store.GetUserByEmail(ctx, c, match[1])
		if err == nil {
			users = append(users, u.ID)
		}
	}
	for _, uid := range dedupe(users) {
		u, err := store.GetUser(ctx, c, uid)
		if err != nil || u.Disabled {
			continue
		}
		comms, err := store.UserCommunityIDs(ctx, c, u.ID, u.OrgID)
		if err != nil {
			return err
		}
		if policy.CanMention(auth.ActorFor(u, comms), l.facts) {
			if err := store.InsertMention(ctx, c, eventID, 0, uid); err != nil {
				return err
			}
		}
	}
	for _, oid := range dedupe(m.Orgs) {
		comms, err := store.OrgCommunityIDs(ctx, c, oid)
		if err != nil {
			return err
		}
		if policy.OrgReceives(oid, comms, l.facts) {
			if err := store.InsertMention(ctx, c, eventID, oid, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// Comments returns a page of a topic's comments with their authors; a deleted comment
// keeps its place with its text removed.
func (s *Service) Comments(ctx context.Context, p auth.Principal, topicID int64, page store.Page) ([]CommentView, error) {
	c := s.db.Read()
	l, err := s.load(ctx, c, p, topicID)
	if err != nil {
		return nil, err
	}
	list, err := store.ListComments(ctx, c, topicID, page)
	if err != nil {
		return nil, err
	}
	out := make([]CommentView, 0, len(list))
	names := map[int64]model.User{}
	for _, x := range list {
		u, ok := names[x.AuthorID]
		if !ok {
			if u, err = store.GetUser(ctx, c, x.AuthorID); err != nil {
				return nil, err
			}
			names[x.AuthorID] = u
		}
		o, err := store.GetOrg(ctx, c, x.AuthorOrgID)
		if err != nil {
			return nil, err
		}
		if x.Deleted() {
			x.Body = ""
		}
		out = append(out, CommentView{Comment: x, AuthorName: u.DisplayName, AuthorOrg: Ref{OrgID: o.ID, NameJA: o.NameJA, NameEN: o.NameEN},
			CanDelete: policy.CanDeleteComment(p.Actor, l.facts, policy.CommentFacts{AuthorID: x.AuthorID, Deleted: x.Deleted()}, l.moderator)})
	}
	return out, nil
}

// DeleteComment soft-deletes a comment (its author or a moderator); audited.
func (s *Service) DeleteComment(ctx context.Context, p auth.Principal, commentID int64) error {
	now := s.now()
	return s.write(ctx, func(c store.Conn) error {
		x, err := store.GetComment(ctx, c, commentID)
		if errors.Is(err, store.ErrNotFound) {
			return notFound()
		} else if err != nil {
			return err
		}
		l, err := s.load(ctx, c, p, x.TopicID)
		if err != nil {
			return err
		}
		if x.Deleted() {
			return notFound()
		}
		if !policy.CanDeleteComment(p.Actor, l.facts, policy.CommentFacts{AuthorID: x.AuthorID}, l.moderator) {
			return forbidden()
		}
		if err := store.MarkCommentDeleted(ctx, c, commentID, p.User.ID, now); err != nil {
			return err
		}
		if err := indexTopic(ctx, c, x.TopicID); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "comment.deleted", TargetType: "comment", TargetID: commentID,
			Detail: map[string]any{"topic_id": x.TopicID, "by_moderator": x.AuthorID != p.User.ID}}, now)
		return err
	})
}
