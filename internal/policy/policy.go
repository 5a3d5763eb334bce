// Package policy decides who may see and do what. It is the only place that does.
//
// Every rule about seeing an item exists in two forms that must agree: a predicate
// (CanView…) over facts the caller loaded, used when one item is opened, and a SQL filter
// (…Filter) that list queries apply, so that a list never returns what the predicate would
// refuse. The leak test in internal/leaktest builds random worlds and checks, on both
// database backends, that the two forms agree and that every path returns exactly what the
// predicate allows. A new kind of item adds its predicate and filter here and its entry
// there.
package policy

import (
	"slices"

	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
)

// Actor is the person on whose behalf something is read or done.
type Actor struct {
	UserID     int64
	OrgID      int64
	OrgRole    model.OrgRole
	CenterRole model.CenterRole
	// Communities are those the person belongs to, directly or through their organization.
	Communities []int64
	// System is the command line and background jobs, acting for the operator.
	System bool
}

// IsCenter reports whether the actor is coordination-center staff.
func (a Actor) IsCenter() bool { return a.CenterRole != model.CenterNone }

// IsCenterAdmin reports whether the actor administers the platform.
func (a Actor) IsCenterAdmin() bool { return a.CenterRole == model.CenterAdmin }

// IsOrgAdmin reports whether the actor administers their own organization.
func (a Actor) IsOrgAdmin() bool { return a.OrgRole == model.OrgAdmin || a.IsCenterAdmin() }

// InCommunity reports whether the actor belongs to a community.
func (a Actor) InCommunity(id int64) bool { return slices.Contains(a.Communities, id) }

// ---- Communities ----

// IsCommunityMember: a person belongs to a community through their organization or
// personally (Actor.Communities holds both kinds). Center staff are members like anyone else.
func IsCommunityMember(a Actor, communityID int64) bool { return a.InCommunity(communityID) }

// MemberFilter is IsCommunityMember over the alias c of communities.
func MemberFilter(a Actor) store.Filter {
	return store.Filter{
		SQL:  "c.id IN (SELECT community_id FROM community_members WHERE org_id = ? OR user_id = ?)",
		Args: []any{a.OrgID, a.UserID},
	}
}

// CanViewCommunity: a community's name, description and member list are seen by its
// members and by center admins, who administer communities. Seeing a community does not
// let anyone read its topics; their own rules decide that.
func CanViewCommunity(a Actor, communityID int64) bool {
	return IsCommunityMember(a, communityID) || CanManageCommunities(a)
}

// CommunityFilter is CanViewCommunity over the alias c of communities.
func CommunityFilter(a Actor) store.Filter {
	if CanManageCommunities(a) {
		return store.Filter{}
	}
	return MemberFilter(a)
}

// ---- Organizations ----

// OrgFacts are what the organization rules need.
type OrgFacts struct {
	ID       int64
	Disabled bool
}

// CanViewOrg: the directory of active organizations is open to every signed-in person (they
// pick audiences from it); disabled organizations are seen by center staff only.
func CanViewOrg(a Actor, o OrgFacts) bool { return !o.Disabled || a.IsCenter() }

// OrgFilter is CanViewOrg over the orgs table; it returns whether disabled ones are included.
func OrgFilter(a Actor) (includeDisabled bool) { return a.IsCenter() }

// CanViewOrgContacts: an organization's contact points are for the center and its own people.
func CanViewOrgContacts(a Actor, orgID int64) bool { return a.IsCenter() || a.OrgID == orgID }

// MemberFacts describe one row of a community's member list: an organization or a person.
type MemberFacts struct {
	Org            *OrgFacts
	PersonOrgID    int64
	PersonDisabled bool
}

// CanListMember: a community's member list shows the actor disabled organizations only where
// CanViewOrg allows, and disabled people only where CanListDisabledPeople allows.
func CanListMember(a Actor, m MemberFacts) bool {
	if m.Org != nil {
		return CanViewOrg(a, *m.Org)
	}
	return !m.PersonDisabled || CanListDisabledPeople(a, m.PersonOrgID)
}

// MemberRowFilter is CanListMember over the aliases o (a member organization) and u (a
// personal member).
func MemberRowFilter(a Actor) store.Filter {
	if a.IsCenter() {
		return store.Filter{}
	}
	people := "u.disabled = FALSE"
	var args []any
	if a.OrgRole == model.OrgAdmin {
		people = "(u.disabled = FALSE OR u.org_id = ?)"
		args = append(args, a.OrgID)
	}
	return store.Filter{
		SQL:  "(o.id IS NULL OR o.disabled = FALSE) AND (u.id IS NULL OR " + people + ")",
		Args: args,
	}
}

// ---- People ----

// PersonFacts are what the people rule needs about one person.
type PersonFacts struct {
	ID          int64
	OrgID       int64
	Communities []int64
}

// CanViewPerson: people are seen by colleagues of their organization, by people who share a
// community with them, and by center staff.
func CanViewPerson(a Actor, p PersonFacts) bool {
	if a.IsCenter() || a.OrgID == p.OrgID || a.UserID == p.ID {
		return true
	}
	for _, c := range p.Communities {
		if a.InCommunity(c) {
			return true
		}
	}
	return false
}

// PersonFilter is CanViewPerson over the alias u of users.
func PersonFilter(a Actor) store.Filter {
	if a.IsCenter() {
		return store.Filter{}
	}
	return store.Filter{
		SQL: `u.org_id = ? OR u.id = ? OR EXISTS (
			SELECT 1 FROM community_members mine JOIN community_members theirs ON theirs.community_id = mine.community_id
			WHERE (mine.org_id = ? OR mine.user_id = ?) AND (theirs.org_id = u.org_id OR theirs.user_id = u.id))`,
		Args: []any{a.OrgID, a.UserID, a.OrgID, a.UserID},
	}
}

// ---- Administration ----

// CanManageOrgs: creating and changing organizations is for center admins.
func CanManageOrgs(a Actor) bool { return a.IsCenterAdmin() }

// CanManageCommunities: creating communities and changing their members is for center admins.
func CanManageCommunities(a Actor) bool { return a.IsCenterAdmin() }

// CanReadAudit: the audit log is for center admins.
func CanReadAudit(a Actor) bool { return a.IsCenterAdmin() }

// CanChangeSettings: platform settings are for center admins.
func CanChangeSettings(a Actor) bool { return a.IsCenterAdmin() }

// CanManagePeopleOf: center admins manage everyone; org admins manage their own
// organization's people.
func CanManagePeopleOf(a Actor, orgID int64) bool {
	return a.IsCenterAdmin() || (a.OrgRole == model.OrgAdmin && a.OrgID == orgID)
}

// CanListDisabledPeople: disabled people are listed to center staff, and to those who
// manage the people of the organization listed (orgID 0 means all organizations).
func CanListDisabledPeople(a Actor, orgID int64) bool {
	return a.IsCenter() || (orgID != 0 && CanManagePeopleOf(a, orgID))
}

// CanManagePerson: as CanManagePeopleOf, and only a center admin manages center staff.
func CanManagePerson(a Actor, target model.User) bool {
	if target.CenterRole != model.CenterNone && !a.IsCenterAdmin() {
		return false
	}
	return CanManagePeopleOf(a, target.OrgID)
}

// CanGrantRole: org admins grant member and org-admin in their own organization; center
// roles are granted by center admins only, and only to people of a center organization.
func CanGrantRole(a Actor, role model.Role, orgID int64, orgKind model.OrgKind) bool {
	if role.IsCenter() {
		return a.IsCenterAdmin() && orgKind == model.KindCenter
	}
	return CanManagePeopleOf(a, orgID)
}

// CanCreateTokenFor: people make their own API tokens; the operator (command line) makes
// them for anyone.
func CanCreateTokenFor(a Actor, userID int64) bool { return a.System || a.UserID == userID }

// CanRevokeTokenOf: a token is revoked by its owner, by whoever manages the owner, or by
// the operator.
func CanRevokeTokenOf(a Actor, owner model.User) bool {
	return a.System || a.UserID == owner.ID || CanManagePerson(a, owner)
}
