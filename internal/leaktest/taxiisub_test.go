package leaktest

import (
	"fmt"
	"time"

	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
)

// TAXII subscriptions: each belongs to the organization of the administrator who made it.
const colTaxiiSubs = "taxii subscriptions"

func init() {
	kinds = append(kinds, kindSpec[policy.TaxiiSubFacts]{
		name:     "taxii subscription",
		items:    colTaxiiSubs,
		generate: generateTaxiiSubs,
		facts: func(w *world, id int64) policy.TaxiiSubFacts {
			s, err := store.GetTaxiiSub(w.ctx, w.db.Read(), id)
			w.must(err, "load subscription %d", id)
			return policy.TaxiiSubFacts{OrgID: s.OrgID}
		},
		allowed: policy.CanViewTaxiiSub,
		paths: []path{
			sqlFilter("policy.TaxiiSubFilter (SQL)", "taxii_subscriptions s", "s.id", policy.TaxiiSubFilter),
			{name: "taxii.Subscriptions.List", ids: func(c *call) ([]int64, error) {
				subs, err := taxii.SubscriptionsOf(c.w.env.App).List(c.ctx, c.v.p, store.Page{Limit: store.MaxPage})
				var out []int64
				for _, s := range subs {
					out = append(out, s.ID)
				}
				return out, err
			}},
			{name: "taxii.Subscriptions.Get (every id)", ids: serviceGetEach(func(c *call, id int64) (taxii.Subscription, error) {
				return taxii.SubscriptionsOf(c.w.env.App).Get(c.ctx, c.v.p, id)
			}, func(s taxii.Subscription) int64 { return s.ID }, nil)},
			{name: "page /intel/subscriptions", page: true, ids: pageList("/intel/subscriptions", taxiiSubRow)},
			{name: "page /intel/subscriptions/{id}/edit", page: true, ids: pageGetEach("/intel/subscriptions/%d/edit")},
		},
	}.kind())
}

// generateTaxiiSubs has some administrators subscribe a collection they may read to a
// remote one (push, which needs read only).
func generateTaxiiSubs(g *gen) {
	w := g.w
	subs := taxii.SubscriptionsOf(w.env.App)
	for _, uid := range w.ids[colPeople] {
		p := principal(g, uid)
		if !policy.CanManageTaxiiSubs(p.Actor) || p.User.Disabled || !g.chance(0.6) {
			continue
		}
		ks, err := w.env.Intel.Collections(g.ctx, p)
		w.must(err, "collections of %d", uid)
		if len(ks) == 0 {
			continue
		}
		for range 1 + g.r.IntN(2) {
			k := ks[g.r.IntN(len(ks))]
			s, err := subs.Create(g.ctx, p, taxii.SubscriptionInput{Title: "feed", Direction: "push", Collection: k.UUID,
				APIRoot: "https://taxii.example.test/api1/", RemoteCollection: fmt.Sprintf("remote-%d", uid), AuthKind: "none", Interval: time.Hour})
			w.must(err, "create subscription for %d", uid)
			w.ids[colTaxiiSubs] = append(w.ids[colTaxiiSubs], s.ID)
		}
	}
}
