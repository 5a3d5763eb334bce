package policy

import (
	"slices"
	"strconv"

	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
)

// ---- Topics of the sharing SNS ----
//
// A topic with scope community is seen by the community's current members; with scope
// selected, by the organizations and people named in its audience; always by its author.
// TLP:RED is for named people only: a RED topic is never seen through a community or an
// organization, even if such a row existed. A deleted topic is seen by nobody. Center staff
// have no extra right to read: they see what their membership shows them.

// TopicFacts are what the topic rules need about one topic.
type TopicFacts struct {
	ID          int64
	CommunityID int64
	AuthorID    int64
	TLP         model.TLP
	Scope       model.Scope
	Deleted     bool
	// Audience of a selected-scope topic.
	AudienceOrgs  []int64
	AudienceUsers []int64
	ShowAudience  bool
}

// CanViewTopic is the rule above for one topic. Its comments and attachments follow it.
func CanViewTopic(a Actor, t TopicFacts) bool {
	if t.Deleted || a.UserID == 0 {
		return false
	}
	if t.AuthorID == a.UserID {
		return true
	}
	if t.Scope == model.ScopeCommunity {
		return t.TLP != model.TLPRed && a.InCommunity(t.CommunityID)
	}
	if slices.Contains(t.AudienceUsers, a.UserID) {
		return true
	}
	return t.TLP != model.TLPRed && slices.Contains(t.AudienceOrgs, a.OrgID)
}

// TopicSources is CanViewTopic over the alias t of topics, as branches whose union is the
// set of visible topics. Lists run one query per branch and merge them, which lets each
// branch use its own index (by community, by audience, by author) instead of a scan.
func TopicSources(a Actor) []store.Filter {
	if a.UserID == 0 {
		return nil
	}
	return []store.Filter{
		{SQL: `t.deleted_at = 0 AND t.scope = 'community' AND t.tlp <> 'red'
			AND t.community_id IN (SELECT community_id FROM community_members WHERE org_id = ? OR user_id = ?)`,
			Args: []any{a.OrgID, a.UserID}},
		{SQL: `t.deleted_at = 0 AND t.scope = 'selected' AND t.id IN (SELECT topic_id FROM topic_audience WHERE user_id = ?)`,
			Args: []any{a.UserID}},
		{SQL: `t.deleted_at = 0 AND t.scope = 'selected' AND t.tlp <> 'red' AND t.id IN (SELECT topic_id FROM topic_audience WHERE org_id = ?)`,
			Args: []any{a.OrgID}},
		{SQL: `t.deleted_at = 0 AND t.author_id = ?`, Args: []any{a.UserID}},
	}
}

// TopicFilter is CanViewTopic as one condition over the alias t, for queries that look at a
// few known topics (search hits, events) rather than walk a list.
func TopicFilter(a Actor) store.Filter {
	var f store.Filter
	for i, s := range TopicSources(a) {
		if i > 0 {
			f.SQL += " OR "
		}
		f.SQL += "(" + s.SQL + ")"
		f.Args = append(f.Args, s.Args...)
	}
	if f.SQL == "" {
		f.SQL = "FALSE"
	}
	return f
}

// CanEditTopic: only the author edits a topic (its text, type, priority, tags and TLP
// marking; a change of marking is audited). Who receives it is not changed by an edit:
// that is CanWidenScope.
func CanEditTopic(a Actor, t TopicFacts) bool {
	return CanViewTopic(a, t) && t.AuthorID == a.UserID
}

// CanModerateTopic: a moderator of the community (who can see the topic) may pin it and
// delete it or its comments.
func CanModerateTopic(a Actor, t TopicFacts, moderator bool) bool {
	return CanViewTopic(a, t) && moderator
}

// CanDeleteTopic: the author or a moderator.
func CanDeleteTopic(a Actor, t TopicFacts, moderator bool) bool {
	return CanEditTopic(a, t) || CanModerateTopic(a, t, moderator)
}

// CanWidenScope: widening who receives a topic is the author's explicit, audited act.
func CanWidenScope(a Actor, t TopicFacts) bool { return CanEditTopic(a, t) }

// CanSeeAudience: the list of recipients of a selected-scope topic is shown to its author,
// and to recipients only when the author chose to show it.
func CanSeeAudience(a Actor, t TopicFacts) bool {
	if !CanViewTopic(a, t) {
		return false
	}
	return t.Scope == model.ScopeCommunity || t.AuthorID == a.UserID || t.ShowAudience
}

// CanViewProgress: read progress (which organizations read, who has not) is for the
// author, the community's moderators and center staff, among those who can see the topic;
// for a selected-scope topic with a hidden audience, only the author (the progress names
// the recipients).
func CanViewProgress(a Actor, t TopicFacts, moderator bool) bool {
	if !CanViewTopic(a, t) {
		return false
	}
	if t.AuthorID == a.UserID {
		return true
	}
	return (moderator || a.IsCenter()) && CanSeeAudience(a, t)
}

// CommentFacts are what the comment rules need.
type CommentFacts struct {
	AuthorID int64
	Deleted  bool
}

// CanDeleteComment: its author or a moderator, on a topic the actor can see.
func CanDeleteComment(a Actor, t TopicFacts, c CommentFacts, moderator bool) bool {
	if c.Deleted || !CanViewTopic(a, t) {
		return false
	}
	return c.AuthorID == a.UserID || moderator
}

// CanMention: a person or organization is mentioned (and notified) only if the mentioned
// can see the topic; otherwise the mention stays plain text.
func CanMention(target Actor, t TopicFacts) bool { return CanViewTopic(target, t) }

// OrgReceives: an organization as a whole receives a topic (a mention of it, its webhook)
// when the topic is shared with a community the organization belongs to as a whole, or
// names the organization; never a TLP:RED topic, which is for named people only.
func OrgReceives(orgID int64, orgCommunities []int64, t TopicFacts) bool {
	if t.Deleted || t.TLP == model.TLPRed {
		return false
	}
	if t.Scope == model.ScopeCommunity {
		return slices.Contains(orgCommunities, t.CommunityID)
	}
	return slices.Contains(t.AudienceOrgs, orgID)
}

// CanManageWebhooks: an organization's webhooks (which receive what the organization
// receives) are managed by its org admins and by center admins.
func CanManageWebhooks(a Actor, orgID int64) bool { return CanManagePeopleOf(a, orgID) }

// CanAttach: files go on a topic by its author (commentAuthorID 0), or on a comment by the
// comment's author, among those who can see the topic.
func CanAttach(a Actor, t TopicFacts, commentAuthorID int64) bool {
	if !CanViewTopic(a, t) {
		return false
	}
	if commentAuthorID == 0 {
		return t.AuthorID == a.UserID
	}
	return commentAuthorID == a.UserID
}

// ---- Search access keys ----
//
// The search index stores, with each topic, keys naming who may see it, and a search asks
// only for topics under the searcher's keys. The database then intersects the text match
// with the access set inside the index, so a search costs the same whether the person may
// see one topic in a hundred or all of them. The keys are CanViewTopic in another form
// (the policy test checks they agree); the search still applies TopicFilter to what the
// index returns, so a stale key could hide a topic but never show one.

// TopicSearchKeys returns the keys a topic is indexed under: its community's (scope
// community, not TLP:RED), each named person's and, unless TLP:RED, each named
// organization's, and always its author's. A deleted topic has none.
func TopicSearchKeys(t TopicFacts) []string {
	if t.Deleted {
		return nil
	}
	keys := []string{userKey(t.AuthorID)}
	if t.Scope == model.ScopeCommunity {
		if t.TLP != model.TLPRed {
			keys = append(keys, communityKey(t.CommunityID))
		}
		return keys
	}
	for _, u := range t.AudienceUsers {
		if u != t.AuthorID {
			keys = append(keys, userKey(u))
		}
	}
	if t.TLP != model.TLPRed {
		for _, o := range t.AudienceOrgs {
			keys = append(keys, orgKey(o))
		}
	}
	return keys
}

// ActorSearchKeys returns the keys a person's search asks for: their own, their
// organization's and each of their communities'.
func ActorSearchKeys(a Actor) []string {
	if a.UserID == 0 {
		return nil
	}
	keys := []string{userKey(a.UserID), orgKey(a.OrgID)}
	for _, c := range a.Communities {
		keys = append(keys, communityKey(c))
	}
	return keys
}

// Keys are a letter and a number, which both databases' plain tokenizers keep whole.
func userKey(id int64) string      { return "u" + strconv.FormatInt(id, 10) }
func orgKey(id int64) string       { return "o" + strconv.FormatInt(id, 10) }
func communityKey(id int64) string { return "c" + strconv.FormatInt(id, 10) }
