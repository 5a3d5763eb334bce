package policy_test

import (
	"testing"

	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
)

// A case's files follow the case, a note's file the note; attaching is for the reporting
// organization and the center on the case itself, and for a message's author on it.
func TestCaseAttachmentRules(t *testing.T) {
	k := policy.CaseFacts{ID: 1, OrgID: 2, Partners: []int64{3}}
	center := policy.Actor{UserID: 10, OrgID: 1, CenterRole: model.CenterAnalyst}
	reporter := policy.Actor{UserID: 20, OrgID: 2}
	partner := policy.Actor{UserID: 30, OrgID: 3}
	other := policy.Actor{UserID: 40, OrgID: 4}
	for _, c := range []struct {
		name             string
		a                policy.Actor
		public, internal bool
		onCase, onOwn    bool
	}{
		{"center", center, true, true, true, true},
		{"reporter", reporter, true, false, true, true},
		{"partner", partner, true, false, false, true},
		{"other organization", other, false, false, false, false},
		{"nobody", policy.Actor{}, false, false, false, false},
	} {
		if got := policy.CanViewCaseAttachment(c.a, policy.CaseAttachmentFacts{Case: k}); got != c.public {
			t.Errorf("%s views a case file: %v", c.name, got)
		}
		if got := policy.CanViewCaseAttachment(c.a, policy.CaseAttachmentFacts{Case: k, Internal: true}); got != c.internal {
			t.Errorf("%s views a note's file: %v", c.name, got)
		}
		if got := policy.CanAttachToCase(c.a, k, 0); got != c.onCase {
			t.Errorf("%s attaches to the case: %v", c.name, got)
		}
		if got := policy.CanAttachToCase(c.a, k, c.a.UserID); got != c.onOwn && c.a.UserID != 0 {
			t.Errorf("%s attaches to own message: %v", c.name, got)
		}
		if policy.CanAttachToCase(c.a, k, 99) {
			t.Errorf("%s attaches to another's message", c.name)
		}
	}
}
