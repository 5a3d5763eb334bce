package policy

import (
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
)

// ---- Indicator sharing: TAXII collections and the STIX objects in them ----
//
// A collection is tied to one community or one organization, and that tie is the only
// source of its rights:
//   - a community's collection is read by the community's members; it is written by
//     center staff among them, and by every member when the collection says so
//     (member_write);
//   - an organization's collection is read and written by the organization's people, and
//     read by center staff (what an organization shares back to the center).
//
// A STIX object version is seen by those who may read its collection, except that a
// TLP:RED version goes to named individuals only: it is seen by the person who added it
// and by nobody else through the collection. The operator (System) writes but reads
// nothing through this rule.

// CollectionFacts are what the collection rules need.
type CollectionFacts struct {
	ID          int64
	CommunityID int64
	OrgID       int64
	MemberWrite bool
}

// CanReadCollection is the read rule above.
func CanReadCollection(a Actor, k CollectionFacts) bool {
	if a.UserID == 0 {
		return false
	}
	if k.CommunityID != 0 {
		return a.InCommunity(k.CommunityID)
	}
	return k.OrgID != 0 && (a.OrgID == k.OrgID || a.IsCenter())
}

// CanWriteCollection is the write rule above.
func CanWriteCollection(a Actor, k CollectionFacts) bool {
	if a.System {
		return true
	}
	if !CanReadCollection(a, k) {
		return false
	}
	if k.CommunityID != 0 {
		return k.MemberWrite || a.IsCenter()
	}
	return a.OrgID == k.OrgID
}

// CollectionReadFilter is CanReadCollection over the alias k of intel_collections.
func CollectionReadFilter(a Actor) store.Filter {
	if a.UserID == 0 {
		return store.Filter{SQL: "FALSE"}
	}
	org := "k.org_id = ?"
	if a.IsCenter() {
		org = "(k.org_id = ? OR k.org_id IS NOT NULL)"
	}
	return store.Filter{
		SQL:  "k.community_id IN (SELECT community_id FROM community_members WHERE org_id = ? OR user_id = ?) OR " + org,
		Args: []any{a.OrgID, a.UserID, a.OrgID},
	}
}

// CanManageCollections: center admins create collections for any community or
// organization; org admins for their own organization.
func CanManageCollections(a Actor, orgID int64) bool {
	return a.System || a.IsCenterAdmin() || (orgID != 0 && a.OrgRole == model.OrgAdmin && a.OrgID == orgID)
}

// StixFacts are what the object rule needs about one version.
type StixFacts struct {
	Collection CollectionFacts
	TLP        model.TLP
	AddedBy    int64
}

// CanViewStix is the object rule above, for one version.
func CanViewStix(a Actor, o StixFacts) bool {
	if !CanReadCollection(a, o.Collection) {
		return false
	}
	return o.TLP != model.TLPRed || (a.UserID != 0 && o.AddedBy == a.UserID)
}

// StixFilter is CanViewStix over the alias o of stix_objects.
func StixFilter(a Actor) store.Filter {
	if a.UserID == 0 {
		return store.Filter{SQL: "FALSE"}
	}
	k := CollectionReadFilter(a)
	return store.Filter{
		SQL:  "o.collection_id IN (SELECT k.id FROM intel_collections k WHERE " + k.SQL + ") AND (o.tlp <> 'red' OR o.added_by = ?)",
		Args: append(k.Args, a.UserID),
	}
}

// SightingFacts are what the sighting rule needs.
type SightingFacts struct {
	Object StixFacts // the indicator's latest version
	OrgID  int64     // the organization that saw it
}

// CanViewSighting: an organization's sightings of an indicator are shared back to the
// center; they are seen by center staff and by the organization itself, among those who
// may see the indicator.
func CanViewSighting(a Actor, s SightingFacts) bool {
	return CanViewStix(a, s.Object) && (a.IsCenter() || a.OrgID == s.OrgID)
}

// SightingFilter is the organization part of CanViewSighting over the alias s of
// intel_sightings; the caller has checked CanViewStix on the indicator.
func SightingFilter(a Actor) store.Filter {
	if a.IsCenter() {
		return store.Filter{}
	}
	return store.Filter{SQL: "s.org_id = ?", Args: []any{a.OrgID}}
}

// CanRecordSighting: a person records their own organization's sightings of an indicator
// they can see.
func CanRecordSighting(a Actor, o StixFacts) bool { return a.UserID != 0 && CanViewStix(a, o) }
