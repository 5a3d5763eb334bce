package policy

import (
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
)

// ---- Observation: assets and private notices ----
//
// An organization's registered assets and the notices sent to it are seen by the people
// of that organization and by center staff, never by anyone else. Assets are proposed by
// the organization's admins and approved by the center; notices are written by center
// staff.

// AssetFacts are what the asset rules need.
type AssetFacts struct {
	OrgID   int64
	Deleted bool
}

// CanViewAsset: the people of the owning organization and center staff; a deleted asset
// by nobody.
func CanViewAsset(a Actor, f AssetFacts) bool {
	if f.Deleted {
		return false
	}
	return a.IsCenter() || (a.UserID != 0 && f.OrgID != 0 && a.OrgID == f.OrgID)
}

// AssetFilter is CanViewAsset over the alias oa of observe_assets.
func AssetFilter(a Actor) store.Filter {
	if a.IsCenter() {
		return store.Filter{SQL: "oa.deleted_at = 0"}
	}
	if a.UserID == 0 || a.OrgID == 0 {
		return store.Filter{SQL: "FALSE"}
	}
	return store.Filter{SQL: "oa.deleted_at = 0 AND oa.org_id = ?", Args: []any{a.OrgID}}
}

// CanProposeAsset: an organization's admins propose its assets; center staff may propose
// on its behalf (and their proposal is approved at once).
func CanProposeAsset(a Actor, orgID int64) bool {
	return a.IsCenter() || (a.UserID != 0 && a.OrgRole == model.OrgAdmin && a.OrgID == orgID)
}

// CanDecideAsset: the center approves or rejects what is watched.
func CanDecideAsset(a Actor) bool { return a.IsCenter() }

// CanDeleteAsset: whoever may propose it.
func CanDeleteAsset(a Actor, f AssetFacts) bool { return CanProposeAsset(a, f.OrgID) }

// NoticeFacts are what the notice rules need.
type NoticeFacts struct {
	OrgID int64
}

// CanViewNotice: a private notice is visible to its target organization and the center only.
func CanViewNotice(a Actor, f NoticeFacts) bool {
	return a.IsCenter() || (a.UserID != 0 && f.OrgID != 0 && a.OrgID == f.OrgID)
}

// NoticeFilter is CanViewNotice over the alias n of observe_notices.
func NoticeFilter(a Actor) store.Filter {
	if a.IsCenter() {
		return store.Filter{}
	}
	if a.UserID == 0 || a.OrgID == 0 {
		return store.Filter{SQL: "FALSE"}
	}
	return store.Filter{SQL: "n.org_id = ?", Args: []any{a.OrgID}}
}

// CanSendNotice: center staff (analysts and admins) write notices.
func CanSendNotice(a Actor) bool { return a.IsCenter() }

// CountsAsOrgRead: a read counts as the organization's (for the time to read) when the
// reader belongs to the target organization.
func CountsAsOrgRead(a Actor, f NoticeFacts) bool { return a.UserID != 0 && a.OrgID == f.OrgID }

// CanViewReadTimes: the time-to-read figures across organizations are for center staff.
func CanViewReadTimes(a Actor) bool { return a.IsCenter() }
