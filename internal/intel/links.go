package intel

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
)

// Indicators meet topics and cases in two ways: by a shared value (correlation, computed
// on every read from the value indexes) and by a link a person made. Both show only what
// the viewer may open: topics, cases and indicators pass their own policy filters in SQL,
// links pass policy.IndicatorLinkFilter, so nothing hints at an item the viewer cannot see.

// Limits of correlation and links.
const (
	// MaxCorrelatedItems bounds the topics and the cases listed with an indicator, and the
	// indicators listed with a topic or a case.
	MaxCorrelatedItems = 50
	// MaxCorrelationValues bounds the values of a topic or case looked up (each is one
	// index look-up).
	MaxCorrelationValues = 100
	// MaxLinks bounds the links of one indicator, topic or case.
	MaxLinks = 100
)

// correlateItems finds the topics and cases the viewer may open that share a value.
func (s *Service) correlateItems(ctx context.Context, p auth.Principal, values []store.StixValue) (topics, cases []store.ValueItem, err error) {
	c := s.db.Read()
	if topics, err = store.CorrelatedTopics(ctx, c, policy.TopicFilter(p.Actor), values, 0, MaxCorrelatedItems); err != nil {
		return nil, nil, err
	}
	cases, err = store.CorrelatedCases(ctx, c, policy.CaseFilter(p.Actor), values, 0, MaxCorrelatedItems)
	return topics, cases, err
}

// objectLinks lists the links of an object the viewer may see.
func (s *Service) objectLinks(ctx context.Context, p auth.Principal, v store.StixVersion) ([]store.IndicatorLink, error) {
	return store.ListIndicatorLinks(ctx, s.db.Read(), policy.IndicatorLinkFilter(p.Actor),
		store.LinkEnd{CollectionID: v.CollectionID, StixID: v.StixID}, MaxLinks)
}

// Related is what a topic's or a case's page shows of indicators: those the viewer may
// see that share a value with it, and the links the viewer may see.
type Related struct {
	Correlated []Indicator
	Links      []store.IndicatorLink
}

// TopicIndicators is Related for a topic the viewer may see (NotFound otherwise).
func (s *Service) TopicIndicators(ctx context.Context, p auth.Principal, topicID int64) (Related, error) {
	c := s.db.Read()
	f, err := topicFacts(ctx, c, topicID)
	if err != nil || !policy.CanViewTopic(p.Actor, f) {
		return Related{}, notFoundOr(err)
	}
	values, err := store.TopicValues(ctx, c, topicID, MaxCorrelationValues)
	if err != nil {
		return Related{}, err
	}
	return s.related(ctx, p, values, store.LinkEnd{TopicID: topicID})
}

// CaseIndicators is Related for a case the viewer may see (NotFound otherwise).
func (s *Service) CaseIndicators(ctx context.Context, p auth.Principal, caseID int64) (Related, error) {
	c := s.db.Read()
	f, err := caseFacts(ctx, c, caseID)
	if err != nil || !policy.CanViewCase(p.Actor, f) {
		return Related{}, notFoundOr(err)
	}
	values, err := store.CaseValues(ctx, c, caseID)
	if err != nil {
		return Related{}, err
	}
	if len(values) > MaxCorrelationValues {
		values = values[:MaxCorrelationValues]
	}
	return s.related(ctx, p, values, store.LinkEnd{CaseID: caseID})
}

func (s *Service) related(ctx context.Context, p auth.Principal, values []store.StixValue, end store.LinkEnd) (Related, error) {
	c := s.db.Read()
	vs, err := store.Correlated(ctx, c, policy.StixFilter(p.Actor), "", values, MaxCorrelatedItems)
	if err != nil {
		return Related{}, err
	}
	var r Related
	if r.Correlated, err = s.withValues(ctx, vs); err != nil {
		return r, err
	}
	r.Links, err = store.ListIndicatorLinks(ctx, c, policy.IndicatorLinkFilter(p.Actor), end, MaxLinks)
	return r, err
}

// notFoundOr turns a missing item into NotFound and passes other errors on; with no error
// (the item exists but is not visible) it is NotFound too.
func notFoundOr(err error) error {
	if err == nil || errors.Is(err, store.ErrNotFound) {
		return notFound()
	}
	return err
}

func topicFacts(ctx context.Context, c store.Conn, id int64) (policy.TopicFacts, error) {
	t, err := store.GetTopic(ctx, c, id)
	if err != nil {
		return policy.TopicFacts{}, err
	}
	var aud model.Audience
	if t.Scope == model.ScopeSelected {
		if aud, err = store.GetAudience(ctx, c, id); err != nil {
			return policy.TopicFacts{}, err
		}
	}
	return sns.Facts(t, aud), nil
}

func caseFacts(ctx context.Context, c store.Conn, id int64) (policy.CaseFacts, error) {
	k, err := store.GetCase(ctx, c, id)
	if err != nil {
		return policy.CaseFacts{}, err
	}
	partners, err := store.CasePartnerOrgs(ctx, c, id)
	return desk.Facts(k, partners), err
}

// LinkFacts loads the policy facts of a link's two ends. An indicator whose versions are
// all gone is an end nobody sees.
func LinkFacts(ctx context.Context, c store.Conn, l store.IndicatorLink) (policy.IndicatorLinkFacts, error) {
	f := policy.IndicatorLinkFacts{LinkedBy: l.LinkedBy}
	v, err := store.LatestVersionOf(ctx, c, l.CollectionID, l.StixID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		f.Indicator = policy.StixFacts{TLP: model.TLPRed} // added by nobody: seen by nobody
	case err != nil:
		return f, err
	default:
		k, err := store.GetCollection(ctx, c, l.CollectionID)
		if err != nil {
			return f, err
		}
		f.Indicator = StixFacts(k, v)
	}
	if l.TopicID != 0 {
		t, err := topicFacts(ctx, c, l.TopicID)
		f.Topic = &t
		return f, err
	}
	k, err := caseFacts(ctx, c, l.CaseID)
	f.Case = &k
	return f, err
}

// LinkTarget is the other end of a new link: a topic or a case, by id.
type LinkTarget struct {
	TopicID int64
	CaseID  int64
}

// ParseLinkTarget reads what a person typed to name a topic or a case: its page's
// address (…/topics/12, …/desk/cases/7) or, with the kind given ("topic" or "case"), its
// number.
func ParseLinkTarget(kind, text string) (LinkTarget, error) {
	text = strings.TrimSpace(text)
	bad := fault.Field("target", "indicator.bad_link_target")
	if text == "" {
		return LinkTarget{}, fault.Field("target", "invalid.required")
	}
	if len(text) > 2000 {
		return LinkTarget{}, bad
	}
	if id, err := strconv.ParseInt(strings.TrimPrefix(text, "#"), 10, 64); err == nil && id > 0 {
		switch kind {
		case "topic":
			return LinkTarget{TopicID: id}, nil
		case "case":
			return LinkTarget{CaseID: id}, nil
		}
		return LinkTarget{}, fault.Field("kind", "indicator.bad_link_kind")
	}
	u, err := url.Parse(text)
	if err != nil {
		return LinkTarget{}, bad
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	n := len(parts)
	if n < 2 {
		return LinkTarget{}, bad
	}
	id, err := strconv.ParseInt(parts[n-1], 10, 64)
	if err != nil || id <= 0 {
		return LinkTarget{}, bad
	}
	switch {
	case parts[n-2] == "topics":
		return LinkTarget{TopicID: id}, nil
	case parts[n-2] == "cases":
		return LinkTarget{CaseID: id}, nil
	}
	return LinkTarget{}, bad
}

// loadObject opens version seq for the viewer and returns the object's latest version
// (the indicator end of a link) with its facts.
func (s *Service) loadObject(ctx context.Context, c store.Conn, p auth.Principal, seq int64) (store.StixVersion, policy.StixFacts, error) {
	v, err := store.GetVersion(ctx, c, seq)
	if err != nil {
		return v, policy.StixFacts{}, notFoundOr(err)
	}
	k, err := store.GetCollection(ctx, c, v.CollectionID)
	if err != nil {
		return v, policy.StixFacts{}, err
	}
	if !policy.CanViewStix(p.Actor, StixFacts(k, v)) {
		return v, policy.StixFacts{}, notFound()
	}
	latest, err := store.LatestVersionOf(ctx, c, v.CollectionID, v.StixID)
	if err != nil {
		return v, policy.StixFacts{}, notFoundOr(err)
	}
	return latest, StixFacts(k, latest), nil
}

// Link links the indicator of version seq to a topic or a case. The person must see both
// ends (for a case, be one who may write in its thread); a topic or case they cannot see
// is answered as one that does not exist. Audited.
func (s *Service) Link(ctx context.Context, p auth.Principal, seq int64, to LinkTarget) (store.IndicatorLink, error) {
	var out store.IndicatorLink
	if (to.TopicID == 0) == (to.CaseID == 0) {
		return out, fault.Field("target", "indicator.bad_link_target")
	}
	now := s.now()
	err := s.db.Write(ctx, func(c store.Conn) error {
		v, sf, err := s.loadObject(ctx, c, p, seq)
		if err != nil {
			return err
		}
		f := policy.IndicatorLinkFacts{Indicator: sf, LinkedBy: p.User.ID}
		if to.TopicID != 0 {
			t, err := topicFacts(ctx, c, to.TopicID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			f.Topic = &t
			if err != nil || !policy.CanViewTopic(p.Actor, t) {
				return fault.Field("target", "indicator.link_target_not_found")
			}
		} else {
			k, err := caseFacts(ctx, c, to.CaseID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			f.Case = &k
			if err != nil || !policy.CanViewCase(p.Actor, k) {
				return fault.Field("target", "indicator.link_target_not_found")
			}
		}
		if !policy.CanLinkIndicator(p.Actor, f) {
			return forbidden()
		}
		if err := s.checkLinkRoom(ctx, c, p, v, to); err != nil {
			return err
		}
		out = store.IndicatorLink{CollectionID: v.CollectionID, StixID: v.StixID, TopicID: to.TopicID, CaseID: to.CaseID,
			LinkedBy: p.User.ID, LinkedAt: now}
		if out.ID, err = store.InsertIndicatorLink(ctx, c, out); errors.Is(err, store.ErrDuplicate) {
			return fault.New(fault.Conflict, "indicator.already_linked")
		} else if err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "intel.indicator_linked", TargetType: "collection",
			TargetID: v.CollectionID, Detail: map[string]any{"stix_id": v.StixID, "topic_id": to.TopicID, "case_id": to.CaseID, "link_id": out.ID}}, now)
		return err
	})
	if err != nil {
		return store.IndicatorLink{}, err
	}
	return store.GetIndicatorLink(ctx, s.db.Read(), out.ID)
}

// checkLinkRoom refuses a link past MaxLinks at either end. The links counted are those
// the person may see, so that a refusal never hints at links they cannot; the lists show
// at most MaxLinks anyway.
func (s *Service) checkLinkRoom(ctx context.Context, c store.Conn, p auth.Principal, v store.StixVersion, to LinkTarget) error {
	for _, end := range []store.LinkEnd{{CollectionID: v.CollectionID, StixID: v.StixID}, {TopicID: to.TopicID, CaseID: to.CaseID}} {
		ls, err := store.ListIndicatorLinks(ctx, c, policy.IndicatorLinkFilter(p.Actor), end, MaxLinks)
		if err != nil {
			return err
		}
		if len(ls) >= MaxLinks {
			return fault.Field("target", "indicator.too_many_links", "max", MaxLinks)
		}
	}
	return nil
}

// Unlink removes a link of the indicator of version seq: the person who made it or center
// staff, among those who see it. A link the person cannot see is not found. Audited.
func (s *Service) Unlink(ctx context.Context, p auth.Principal, seq, linkID int64) error {
	now := s.now()
	return s.db.Write(ctx, func(c store.Conn) error {
		v, _, err := s.loadObject(ctx, c, p, seq)
		if err != nil {
			return err
		}
		l, err := store.GetIndicatorLink(ctx, c, linkID)
		if err != nil {
			return notFoundOr(err)
		}
		if l.CollectionID != v.CollectionID || l.StixID != v.StixID {
			return notFound()
		}
		f, err := LinkFacts(ctx, c, l)
		if err != nil {
			return err
		}
		if !policy.CanViewIndicatorLink(p.Actor, f) {
			return notFound()
		}
		if !policy.CanUnlinkIndicator(p.Actor, f) {
			return forbidden()
		}
		if err := store.DeleteIndicatorLink(ctx, c, linkID); err != nil {
			return err
		}
		_, err = audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: "intel.indicator_unlinked", TargetType: "collection",
			TargetID: v.CollectionID, Detail: map[string]any{"stix_id": v.StixID, "topic_id": l.TopicID, "case_id": l.CaseID,
				"link_id": l.ID, "linked_by": l.LinkedBy}}, now)
		return err
	})
}

// CanUnlink says whether the viewer may remove a link they see (for the pages' buttons).
func (s *Service) CanUnlink(p auth.Principal, l store.IndicatorLink) bool {
	return policy.CanUnlinkSeenLink(p.Actor, l.LinkedBy)
}
