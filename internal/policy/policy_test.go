package policy_test

import (
	"fmt"
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
)

// A fixed cast for the predicate tables. Organization 1 is the coordination center;
// organizations 10 (A) and 20 (B) are members. Community 1 holds organization A; community 2
// holds the org admin of A personally; community 3 holds organization B.
const (
	centerOrg = 1
	orgA      = 10
	orgB      = 20
)

var (
	member         = policy.Actor{UserID: 100, OrgID: orgA, OrgRole: model.OrgMember, Communities: []int64{1}}
	orgAdmin       = policy.Actor{UserID: 101, OrgID: orgA, OrgRole: model.OrgAdmin, Communities: []int64{1, 2}}
	otherMember    = policy.Actor{UserID: 150, OrgID: orgB, OrgRole: model.OrgMember, Communities: []int64{3}}
	analyst        = policy.Actor{UserID: 200, OrgID: centerOrg, OrgRole: model.OrgMember, CenterRole: model.CenterAnalyst}
	centerAdmin    = policy.Actor{UserID: 201, OrgID: centerOrg, OrgRole: model.OrgAdmin, CenterRole: model.CenterAdmin}
	centerOrgAdmin = policy.Actor{UserID: 202, OrgID: centerOrg, OrgRole: model.OrgAdmin} // admin of the center's organization, no center role
	system         = auth.System().Actor
)

type namedActor struct {
	name string
	a    policy.Actor
}

var cast = []namedActor{
	{"member", member}, {"org-admin", orgAdmin}, {"other-member", otherMember}, {"analyst", analyst},
	{"center-admin", centerAdmin}, {"center-org-admin", centerOrgAdmin}, {"system", system},
}

// check compares a predicate's answer for each actor of the cast with want (by name).
func check(t *testing.T, what string, want map[string]bool, got func(policy.Actor) bool) {
	t.Helper()
	for _, c := range cast {
		w, ok := want[c.name]
		if !ok {
			t.Fatalf("%s: no expectation for %s", what, c.name)
		}
		if g := got(c.a); g != w {
			t.Errorf("%s for %s: got %v, want %v", what, c.name, g, w)
		}
	}
}

func only(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, c := range cast {
		m[c.name] = false
	}
	for _, n := range names {
		if _, ok := m[n]; !ok {
			panic("unknown actor " + n)
		}
		m[n] = true
	}
	return m
}

func TestActorRoleHelpers(t *testing.T) {
	check(t, "IsCenter", only("analyst", "center-admin", "system"), policy.Actor.IsCenter)
	check(t, "IsCenterAdmin", only("center-admin", "system"), policy.Actor.IsCenterAdmin)
	check(t, "IsOrgAdmin", only("org-admin", "center-admin", "center-org-admin", "system"), policy.Actor.IsOrgAdmin)
	// A center admin whose organization role were member still counts as an org admin.
	if !(policy.Actor{OrgRole: model.OrgMember, CenterRole: model.CenterAdmin}).IsOrgAdmin() {
		t.Error("center admin with member org role is not an org admin")
	}
}

func TestAdministrationIsForCenterAdminsAndTheOperator(t *testing.T) {
	want := only("center-admin", "system")
	check(t, "CanManageOrgs", want, policy.CanManageOrgs)
	check(t, "CanManageCommunities", want, policy.CanManageCommunities)
	check(t, "CanReadAudit", want, policy.CanReadAudit)
	check(t, "CanChangeSettings", want, policy.CanChangeSettings)
}

func TestCommunityMembershipAndVisibility(t *testing.T) {
	check(t, "member of 1", only("member", "org-admin"), func(a policy.Actor) bool { return policy.IsCommunityMember(a, 1) })
	check(t, "member of 2", only("org-admin"), func(a policy.Actor) bool { return policy.IsCommunityMember(a, 2) })
	check(t, "member of 4", only(), func(a policy.Actor) bool { return policy.IsCommunityMember(a, 4) })
	// Seeing a community: its members and center admins; analysts only where they are members.
	check(t, "view 1", only("member", "org-admin", "center-admin", "system"), func(a policy.Actor) bool { return policy.CanViewCommunity(a, 1) })
	check(t, "view 3", only("other-member", "center-admin", "system"), func(a policy.Actor) bool { return policy.CanViewCommunity(a, 3) })
	check(t, "view 4", only("center-admin", "system"), func(a policy.Actor) bool { return policy.CanViewCommunity(a, 4) })
	analystMember := analyst
	analystMember.Communities = []int64{4}
	if !policy.CanViewCommunity(analystMember, 4) || policy.CanViewCommunity(analystMember, 1) {
		t.Error("an analyst sees exactly the communities they belong to")
	}
}

func TestOrganizationVisibility(t *testing.T) {
	all := only("member", "org-admin", "other-member", "analyst", "center-admin", "center-org-admin", "system")
	check(t, "view enabled org B", all, func(a policy.Actor) bool { return policy.CanViewOrg(a, policy.OrgFacts{ID: orgB}) })
	center := only("analyst", "center-admin", "system")
	check(t, "view disabled org", center, func(a policy.Actor) bool {
		return policy.CanViewOrg(a, policy.OrgFacts{ID: orgB, Disabled: true})
	})
	// Even one's own organization, once disabled, is hidden from its people.
	check(t, "view own disabled org A", center, func(a policy.Actor) bool {
		return policy.CanViewOrg(a, policy.OrgFacts{ID: orgA, Disabled: true})
	})
	check(t, "OrgFilter includes disabled", center, policy.OrgFilter)
	check(t, "contacts of A", only("member", "org-admin", "analyst", "center-admin", "system"), func(a policy.Actor) bool {
		return policy.CanViewOrgContacts(a, orgA)
	})
	check(t, "contacts of the center", only("analyst", "center-admin", "center-org-admin", "system"), func(a policy.Actor) bool {
		return policy.CanViewOrgContacts(a, centerOrg)
	})
}

func TestPersonVisibility(t *testing.T) {
	cases := []struct {
		name   string
		person policy.PersonFacts
		want   map[string]bool
	}{
		{"colleague in A, no community", policy.PersonFacts{ID: 102, OrgID: orgA},
			only("member", "org-admin", "analyst", "center-admin", "system")},
		{"B person in community 1 personally", policy.PersonFacts{ID: 151, OrgID: orgB, Communities: []int64{1}},
			only("member", "org-admin", "other-member", "analyst", "center-admin", "system")},
		{"B person sharing only community 2", policy.PersonFacts{ID: 152, OrgID: orgB, Communities: []int64{2, 3}},
			only("org-admin", "other-member", "analyst", "center-admin", "system")},
		{"person of a third org in community 4", policy.PersonFacts{ID: 300, OrgID: 30, Communities: []int64{4}},
			only("analyst", "center-admin", "system")},
		{"center staff, no community", policy.PersonFacts{ID: 203, OrgID: centerOrg},
			only("analyst", "center-admin", "center-org-admin", "system")},
		{"the member themself", policy.PersonFacts{ID: 100, OrgID: orgA, Communities: []int64{1}},
			only("member", "org-admin", "analyst", "center-admin", "system")},
	}
	for _, tc := range cases {
		check(t, tc.name, tc.want, func(a policy.Actor) bool { return policy.CanViewPerson(a, tc.person) })
	}
	// A person always sees themself, even when the facts name another organization.
	self := policy.Actor{UserID: 7, OrgID: 70}
	if !policy.CanViewPerson(self, policy.PersonFacts{ID: 7, OrgID: 71}) {
		t.Error("a person does not see themself")
	}
}

func TestManagingPeople(t *testing.T) {
	check(t, "manage people of A", only("org-admin", "center-admin", "system"), func(a policy.Actor) bool {
		return policy.CanManagePeopleOf(a, orgA)
	})
	check(t, "manage people of B", only("center-admin", "system"), func(a policy.Actor) bool {
		return policy.CanManagePeopleOf(a, orgB)
	})
	check(t, "manage people of the center", only("center-admin", "center-org-admin", "system"), func(a policy.Actor) bool {
		return policy.CanManagePeopleOf(a, centerOrg)
	})
	targets := []struct {
		name string
		u    model.User
		want map[string]bool
	}{
		{"member of A", model.User{ID: 102, OrgID: orgA, OrgRole: model.OrgMember}, only("org-admin", "center-admin", "system")},
		{"org admin of A", model.User{ID: 103, OrgID: orgA, OrgRole: model.OrgAdmin}, only("org-admin", "center-admin", "system")},
		{"member of B", model.User{ID: 151, OrgID: orgB}, only("center-admin", "system")},
		{"plain member of the center org", model.User{ID: 204, OrgID: centerOrg}, only("center-admin", "center-org-admin", "system")},
		{"analyst", model.User{ID: 205, OrgID: centerOrg, CenterRole: model.CenterAnalyst}, only("center-admin", "system")},
		{"center admin", model.User{ID: 206, OrgID: centerOrg, OrgRole: model.OrgAdmin, CenterRole: model.CenterAdmin}, only("center-admin", "system")},
	}
	for _, tg := range targets {
		check(t, "manage "+tg.name, tg.want, func(a policy.Actor) bool { return policy.CanManagePerson(a, tg.u) })
	}
}

func TestGrantingRoles(t *testing.T) {
	type where struct {
		org  int64
		kind model.OrgKind
	}
	inA, inB, inCenter := where{orgA, model.KindOperator}, where{orgB, model.KindPartner}, where{centerOrg, model.KindCenter}
	cases := []struct {
		role model.Role
		at   where
		want map[string]bool
	}{
		{model.RoleMember, inA, only("org-admin", "center-admin", "system")},
		{model.RoleOrgAdmin, inA, only("org-admin", "center-admin", "system")},
		{model.RoleMember, inB, only("center-admin", "system")},
		{model.RoleOrgAdmin, inB, only("center-admin", "system")},
		{model.RoleMember, inCenter, only("center-admin", "center-org-admin", "system")},
		// Center roles: by center admins only, and only inside a center organization.
		{model.RoleAnalyst, inCenter, only("center-admin", "system")},
		{model.RoleCenterAdmin, inCenter, only("center-admin", "system")},
		{model.RoleAnalyst, inA, only()},
		{model.RoleCenterAdmin, inA, only()},
		{model.RoleCenterAdmin, inB, only()},
	}
	for _, tc := range cases {
		check(t, fmt.Sprintf("grant %s in org %d", tc.role, tc.at.org), tc.want, func(a policy.Actor) bool {
			return policy.CanGrantRole(a, tc.role, tc.at.org, tc.at.kind)
		})
	}
}

func TestListingDisabledPeople(t *testing.T) {
	center := []string{"analyst", "center-admin", "system"}
	check(t, "all orgs", only(center...), func(a policy.Actor) bool { return policy.CanListDisabledPeople(a, 0) })
	check(t, "org A", only(append(center, "org-admin")...), func(a policy.Actor) bool { return policy.CanListDisabledPeople(a, orgA) })
	check(t, "org B", only(center...), func(a policy.Actor) bool { return policy.CanListDisabledPeople(a, orgB) })
}

func TestListingCommunityMemberRows(t *testing.T) {
	enabledOrg, disabledOrg := &policy.OrgFacts{ID: orgB}, &policy.OrgFacts{ID: orgB, Disabled: true}
	all := only("member", "org-admin", "other-member", "analyst", "center-admin", "center-org-admin", "system")
	center := []string{"analyst", "center-admin", "system"}
	cases := []struct {
		name string
		m    policy.MemberFacts
		want map[string]bool
	}{
		{"enabled org", policy.MemberFacts{Org: enabledOrg}, all},
		{"disabled org", policy.MemberFacts{Org: disabledOrg}, only(center...)},
		{"enabled person", policy.MemberFacts{PersonOrgID: orgB}, all},
		{"disabled person of A", policy.MemberFacts{PersonOrgID: orgA, PersonDisabled: true}, only(append(center, "org-admin")...)},
		{"disabled person of B", policy.MemberFacts{PersonOrgID: orgB, PersonDisabled: true}, only(center...)},
	}
	for _, tc := range cases {
		check(t, tc.name, tc.want, func(a policy.Actor) bool { return policy.CanListMember(a, tc.m) })
	}
}

func TestTokens(t *testing.T) {
	check(t, "create own token", only("member", "system"), func(a policy.Actor) bool { return policy.CanCreateTokenFor(a, member.UserID) })
	check(t, "create a token for the org admin", only("org-admin", "system"), func(a policy.Actor) bool {
		return policy.CanCreateTokenFor(a, orgAdmin.UserID)
	})
	ownerA := model.User{ID: member.UserID, OrgID: orgA}
	check(t, "revoke a token of a member of A", only("member", "org-admin", "center-admin", "system"), func(a policy.Actor) bool {
		return policy.CanRevokeTokenOf(a, ownerA)
	})
	analystOwner := model.User{ID: analyst.UserID, OrgID: centerOrg, CenterRole: model.CenterAnalyst}
	check(t, "revoke an analyst's token", only("analyst", "center-admin", "system"), func(a policy.Actor) bool {
		return policy.CanRevokeTokenOf(a, analystOwner)
	})
}

func TestEmptyFiltersForCenterStaff(t *testing.T) {
	for _, a := range []policy.Actor{centerAdmin, system} {
		if f := policy.CommunityFilter(a); f.SQL != "" {
			t.Errorf("center admin's community filter %q", f.SQL)
		}
	}
	for _, a := range []policy.Actor{analyst, centerAdmin, system} {
		if f := policy.PersonFilter(a); f.SQL != "" {
			t.Errorf("center staff person filter %q", f.SQL)
		}
		if f := policy.MemberRowFilter(a); f.SQL != "" {
			t.Errorf("center staff member-row filter %q", f.SQL)
		}
	}
	for _, a := range []policy.Actor{member, orgAdmin, analyst} {
		if f := policy.CommunityFilter(a); f.SQL == "" {
			t.Errorf("%+v sees every community", a)
		}
	}
	for _, a := range []policy.Actor{member, orgAdmin, centerOrgAdmin} {
		if f := policy.PersonFilter(a); f.SQL == "" {
			t.Errorf("%+v sees every person", a)
		}
	}
}
