package policy_test

import (
	"testing"

	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
)

func TestCanAttachIsForTheAuthorOfTheTopicOrComment(t *testing.T) {
	topic := policy.TopicFacts{ID: 1, CommunityID: 7, AuthorID: 10, TLP: model.TLPGreen, Scope: model.ScopeCommunity}
	author := policy.Actor{UserID: 10, OrgID: 1, Communities: []int64{7}}
	member := policy.Actor{UserID: 11, OrgID: 2, Communities: []int64{7}}
	outsider := policy.Actor{UserID: 12, OrgID: 3}
	for _, c := range []struct {
		name          string
		a             policy.Actor
		commentAuthor int64
		want          bool
	}{
		{"topic author on the topic", author, 0, true},
		{"member on the topic", member, 0, false},
		{"member on own comment", member, 11, true},
		{"member on another's comment", member, 10, false},
		{"outsider on own comment of a topic they cannot see", outsider, 12, false},
	} {
		if got := policy.CanAttach(c.a, topic, c.commentAuthor); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	deleted := topic
	deleted.Deleted = true
	if policy.CanAttach(author, deleted, 0) {
		t.Error("attached to a deleted topic")
	}
}
