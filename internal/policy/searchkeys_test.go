package policy_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
)

// The search keys are CanViewTopic in another form: for random people and topics over a
// few ids (so that they often meet), a person shares a key with a topic exactly when the
// person may see it.
func TestSearchKeysAgreeWithCanViewTopic(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ids := func(n int) []int64 {
		var out []int64
		for range r.IntN(n + 1) {
			out = append(out, 1+r.Int64N(4))
		}
		return out
	}
	scopes := []model.Scope{model.ScopeCommunity, model.ScopeSelected}
	for i := range 20000 {
		a := policy.Actor{UserID: r.Int64N(5), OrgID: 1 + r.Int64N(4), Communities: ids(3)}
		topic := policy.TopicFacts{ID: int64(i), CommunityID: 1 + r.Int64N(4), AuthorID: 1 + r.Int64N(4),
			TLP: model.TLPs[r.IntN(len(model.TLPs))], Scope: scopes[r.IntN(2)], Deleted: r.IntN(10) == 0,
			AudienceOrgs: ids(3), AudienceUsers: ids(3)}
		want := policy.CanViewTopic(a, topic)
		actorKeys := policy.ActorSearchKeys(a)
		got := slices.ContainsFunc(policy.TopicSearchKeys(topic), func(k string) bool { return slices.Contains(actorKeys, k) })
		if got != want {
			t.Fatalf("actor %+v, topic %+v: keys %v and %v meet: %v, CanViewTopic: %v",
				a, topic, actorKeys, policy.TopicSearchKeys(topic), got, want)
		}
	}
}

// A deleted topic is indexed under no key; a person who is nobody asks for none.
func TestSearchKeysOfNobody(t *testing.T) {
	if k := policy.TopicSearchKeys(policy.TopicFacts{AuthorID: 1, Deleted: true}); k != nil {
		t.Errorf("deleted topic keys %v", k)
	}
	if k := policy.ActorSearchKeys(policy.Actor{OrgID: 3}); k != nil {
		t.Errorf("keys without a person %v", k)
	}
}
