package policy

import "github.com/renkei-dev/renkei/internal/store"

// ---- TAXII subscriptions ----
//
// A subscription belongs to the organization of the administrator who made it: the
// center's (made by a center admin) or a member organization's (made by its org admin). It
// carries that organization's credentials for a remote server, so it is seen, run and
// removed by that organization's administrators only: other organizations, and people who
// are not administrators, are told it does not exist. It is made for a local collection
// the administrator may write (pull) or read (push); the scheduler runs it as its maker
// and checks that rule again at every run.

// TaxiiSubFacts are what the subscription rules need.
type TaxiiSubFacts struct {
	OrgID int64
}

// CanManageTaxiiSubs: center admins and org admins keep subscriptions for their own
// organization.
func CanManageTaxiiSubs(a Actor) bool {
	return a.UserID != 0 && a.OrgID != 0 && a.IsOrgAdmin()
}

// CanViewTaxiiSub is the rule above for one subscription.
func CanViewTaxiiSub(a Actor, s TaxiiSubFacts) bool {
	return CanManageTaxiiSubs(a) && a.OrgID == s.OrgID
}

// TaxiiSubFilter is CanViewTaxiiSub over the alias s of taxii_subscriptions.
func TaxiiSubFilter(a Actor) store.Filter {
	if !CanManageTaxiiSubs(a) {
		return store.Filter{SQL: "FALSE"}
	}
	return store.Filter{SQL: "s.org_id = ?", Args: []any{a.OrgID}}
}

// CanUseCollectionForTaxiiSub: a pull writes into the local collection, a push reads it.
func CanUseCollectionForTaxiiSub(a Actor, k CollectionFacts, push bool) bool {
	if push {
		return CanReadCollection(a, k)
	}
	return CanWriteCollection(a, k)
}
