package leaktest

import (
	"fmt"

	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
)

// MISP feed imports: each is seen by the writers of its collection and by center staff.
const colMISPImports = "misp imports"

func init() {
	kinds = append(kinds, kindSpec[policy.MISPImportFacts]{
		name:     "misp feed import",
		items:    colMISPImports,
		generate: generateMISPImports,
		facts: func(w *world, id int64) policy.MISPImportFacts {
			m, err := store.GetMISPImport(w.ctx, w.db.Read(), id)
			w.must(err, "load import %d", id)
			return policy.MISPImportFacts{Collection: collectionFacts(w, m.CollectionID)}
		},
		allowed: policy.CanViewMISPImport,
		paths: []path{
			sqlFilter("policy.MISPImportFilter (SQL)", "misp_imports m", "m.id", policy.MISPImportFilter),
			{name: "taxii.FeedImports.List", ids: func(c *call) ([]int64, error) {
				return pageNewest(c, func(before int64) ([]int64, int64, error) {
					list, err := taxii.FeedImportsOf(c.w.env.App).List(c.ctx, c.v.p, store.Page{After: before, Limit: c.w.pageSize})
					var ids []int64
					for _, m := range list {
						ids = append(ids, m.ID)
					}
					next := int64(0)
					if len(list) == c.w.pageSize {
						next = list[len(list)-1].ID
					}
					return ids, next, err
				})
			}},
			{name: "taxii.FeedImports.Get (every id)", ids: serviceGetEach(func(c *call, id int64) (taxii.FeedImport, error) {
				return taxii.FeedImportsOf(c.w.env.App).Get(c.ctx, c.v.p, id)
			}, func(m taxii.FeedImport) int64 { return m.ID }, nil)},
			{name: "GET /api/v1/misp-imports", api: true, ids: apiList(fixed("/api/v1/misp-imports"), byID)},
			{name: "GET /api/v1/misp-imports/{id}", api: true, ids: apiGetEach("/api/v1/misp-imports/%d", byID)},
			{name: "page /intel/imports", page: true, ids: pageList("/intel/imports", importRow)},
			{name: "page /intel/imports/{id}", page: true, ids: pageGetEach("/intel/imports/%d")},
		},
	}.kind())
}

// generateMISPImports has some people start imports (by URL; nothing is fetched) into
// collections they may write.
func generateMISPImports(g *gen) {
	w := g.w
	feeds := taxii.FeedImportsOf(w.env.App)
	for _, uid := range w.ids[colPeople] {
		p := principal(g, uid)
		if p.User.Disabled || p.Org.Disabled || !g.chance(0.5) {
			continue
		}
		ks, err := w.env.Intel.Collections(g.ctx, p)
		w.must(err, "collections of %d", uid)
		var writable []intel.Collection
		for _, k := range ks {
			if policy.CanStartMISPImport(p.Actor, intel.CollectionFacts(k.IntelCollection)) {
				writable = append(writable, k)
			}
		}
		if len(writable) == 0 {
			continue
		}
		k := writable[g.r.IntN(len(writable))]
		m, err := feeds.StartURL(g.ctx, p, k.ID, fmt.Sprintf("https://feeds.example.test/%d/", uid), 0)
		w.must(err, "start an import for %d", uid)
		w.ids[colMISPImports] = append(w.ids[colMISPImports], m.ID)
	}
}
