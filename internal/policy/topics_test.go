package policy_test

import (
	"testing"

	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
)

// Topics of the cast's communities (see policy_test.go): community 1 holds organization A
// (member, org-admin), community 2 the org admin of A personally, community 3 organization
// B (other-member).
var (
	// Shared with community 1, written by B's member (who is not in it).
	communityTopic = policy.TopicFacts{ID: 1, CommunityID: 1, AuthorID: otherMember.UserID, TLP: model.TLPGreen, Scope: model.ScopeCommunity}
	// Shared with organization B and the org admin of A, written by A's member.
	selectedTopic = policy.TopicFacts{ID: 2, CommunityID: 1, AuthorID: member.UserID, TLP: model.TLPAmber, Scope: model.ScopeSelected,
		AudienceOrgs: []int64{orgB}, AudienceUsers: []int64{orgAdmin.UserID}}
	// TLP:RED, naming organization A (which must not count) and B's member, by the center admin.
	redTopic = policy.TopicFacts{ID: 3, CommunityID: 1, AuthorID: centerAdmin.UserID, TLP: model.TLPRed, Scope: model.ScopeSelected,
		AudienceOrgs: []int64{orgA}, AudienceUsers: []int64{otherMember.UserID}}
)

func TestWhoSeesATopic(t *testing.T) {
	deleted := selectedTopic
	deleted.Deleted = true
	redCommunity := communityTopic // invalid input, but the rule must still hold
	redCommunity.TLP = model.TLPRed
	amberStrict := communityTopic
	amberStrict.TLP = model.TLPAmberStrict
	cases := []struct {
		name string
		t    policy.TopicFacts
		want map[string]bool
	}{
		// Center staff have no extra right to read; the operator reads nothing.
		{"community topic", communityTopic, only("member", "org-admin", "other-member")},
		{"community topic, AMBER+STRICT", amberStrict, only("member", "org-admin", "other-member")},
		{"community topic marked RED: its author only", redCommunity, only("other-member")},
		{"selected topic", selectedTopic, only("member", "org-admin", "other-member")},
		{"RED topic: named people, never organizations", redTopic, only("center-admin", "other-member")},
		{"deleted topic: nobody, not even its author", deleted, only()},
	}
	for _, tc := range cases {
		check(t, "view "+tc.name, tc.want, func(a policy.Actor) bool { return policy.CanViewTopic(a, tc.t) })
		check(t, "mention in "+tc.name, tc.want, func(a policy.Actor) bool { return policy.CanMention(a, tc.t) })
	}
	// A person who left the community no longer sees its community topics.
	left := member
	left.Communities = nil
	if policy.CanViewTopic(left, communityTopic) {
		t.Error("a former member sees a community topic")
	}
}

func TestWhoChangesATopic(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    policy.TopicFacts
		want map[string]bool
	}{
		{"community topic", communityTopic, only("other-member")},
		{"selected topic", selectedTopic, only("member")},
		{"RED topic", redTopic, only("center-admin")},
	} {
		check(t, "edit "+tc.name, tc.want, func(a policy.Actor) bool { return policy.CanEditTopic(a, tc.t) })
		check(t, "widen "+tc.name, tc.want, func(a policy.Actor) bool { return policy.CanWidenScope(a, tc.t) })
	}
	deleted := communityTopic
	deleted.Deleted = true
	if policy.CanEditTopic(otherMember, deleted) {
		t.Error("the author edits a deleted topic")
	}
	// Moderation needs both the moderator role and the sight of the topic.
	check(t, "moderate as moderator", only("member", "org-admin", "other-member"), func(a policy.Actor) bool {
		return policy.CanModerateTopic(a, communityTopic, true)
	})
	check(t, "moderate without the role", only(), func(a policy.Actor) bool { return policy.CanModerateTopic(a, communityTopic, false) })
	check(t, "moderate a RED topic", only("center-admin", "other-member"), func(a policy.Actor) bool { return policy.CanModerateTopic(a, redTopic, true) })
	check(t, "delete without the role", only("other-member"), func(a policy.Actor) bool { return policy.CanDeleteTopic(a, communityTopic, false) })
	check(t, "delete as moderator", only("member", "org-admin", "other-member"), func(a policy.Actor) bool {
		return policy.CanDeleteTopic(a, communityTopic, true)
	})
}

func TestWhoSeesTheAudienceAndTheProgress(t *testing.T) {
	shown := selectedTopic
	shown.ShowAudience = true
	check(t, "audience of a community topic", only("member", "org-admin", "other-member"), func(a policy.Actor) bool {
		return policy.CanSeeAudience(a, communityTopic)
	})
	check(t, "hidden audience", only("member"), func(a policy.Actor) bool { return policy.CanSeeAudience(a, selectedTopic) })
	check(t, "shown audience", only("member", "org-admin", "other-member"), func(a policy.Actor) bool { return policy.CanSeeAudience(a, shown) })

	check(t, "progress, no moderator", only("other-member"), func(a policy.Actor) bool { return policy.CanViewProgress(a, communityTopic, false) })
	check(t, "progress, moderator", only("member", "org-admin", "other-member"), func(a policy.Actor) bool {
		return policy.CanViewProgress(a, communityTopic, true)
	})
	check(t, "progress of a hidden audience, moderator", only("member"), func(a policy.Actor) bool {
		return policy.CanViewProgress(a, selectedTopic, true)
	})
	check(t, "progress of a shown audience, moderator", only("member", "org-admin", "other-member"), func(a policy.Actor) bool {
		return policy.CanViewProgress(a, shown, true)
	})
	// Center staff see the progress of what they can see, but only where the audience is shown.
	inAudience := shown
	inAudience.AudienceUsers = []int64{analyst.UserID}
	check(t, "progress, analyst in a shown audience", only("member", "analyst"), func(a policy.Actor) bool {
		return policy.CanViewProgress(a, inAudience, false)
	})
	inAudience.ShowAudience = false
	check(t, "progress, analyst in a hidden audience", only("member"), func(a policy.Actor) bool {
		return policy.CanViewProgress(a, inAudience, false)
	})
}

func TestWhoDeletesAComment(t *testing.T) {
	mine := policy.CommentFacts{AuthorID: member.UserID}
	check(t, "own comment", only("member"), func(a policy.Actor) bool { return policy.CanDeleteComment(a, communityTopic, mine, false) })
	check(t, "as moderator", only("member", "org-admin", "other-member"), func(a policy.Actor) bool {
		return policy.CanDeleteComment(a, communityTopic, mine, true)
	})
	check(t, "already deleted", only(), func(a policy.Actor) bool {
		return policy.CanDeleteComment(a, communityTopic, policy.CommentFacts{AuthorID: member.UserID, Deleted: true}, true)
	})
	// A comment on a topic its author can no longer see cannot be deleted by them.
	check(t, "own comment on a RED topic", only(), func(a policy.Actor) bool {
		return policy.CanDeleteComment(a, redTopic, mine, false)
	})
}

func TestWhichOrganizationsReceiveATopic(t *testing.T) {
	deleted := communityTopic
	deleted.Deleted = true
	for _, tc := range []struct {
		name  string
		org   int64
		comms []int64
		t     policy.TopicFacts
		want  bool
	}{
		{"member org of the community", orgA, []int64{1}, communityTopic, true},
		{"org outside the community", orgB, []int64{3}, communityTopic, false},
		{"named org", orgB, nil, selectedTopic, true},
		{"org not named", orgA, []int64{1}, selectedTopic, false},
		{"named org of a RED topic", orgA, []int64{1}, redTopic, false},
		{"deleted topic", orgA, []int64{1}, deleted, false},
	} {
		if got := policy.OrgReceives(tc.org, tc.comms, tc.t); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTopicFiltersAreEmptyForTheOperator(t *testing.T) {
	if s := policy.TopicSources(system); len(s) != 0 {
		t.Errorf("the operator has topic sources: %v", s)
	}
	if f := policy.TopicFilter(system); f.SQL != "FALSE" {
		t.Errorf("the operator's topic filter is %q", f.SQL)
	}
	if f := policy.TopicFilter(member); len(f.Args) != 2+1+1+1 {
		t.Errorf("filter arguments %v", f.Args)
	}
}
