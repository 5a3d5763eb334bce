package leaktest

import (
	"fmt"

	"github.com/renkei-dev/renkei/internal/observe"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// Observation: registered assets and private notices, seen by their organization and the
// center only.
const (
	colAssets  = "assets"
	colNotices = "notices"
)

func init() {
	kinds = append(kinds,
		kindSpec[policy.AssetFacts]{
			name:     "asset",
			items:    colAssets,
			generate: generateObservation,
			facts:    assetFacts,
			allowed:  policy.CanViewAsset,
			paths: []path{
				sqlFilter("policy.AssetFilter (SQL)", "observe_assets oa", "oa.id", policy.AssetFilter),
				{name: "observe.Service.Assets", ids: func(c *call) ([]int64, error) {
					return pageNewest(c, func(before int64) ([]int64, int64, error) {
						list, next, err := c.w.env.Observe.Assets(c.ctx, c.v.p, observe.AssetQuery{Before: before, Limit: c.w.pageSize})
						ids := make([]int64, len(list))
						for i, a := range list {
							ids[i] = a.ID
						}
						return ids, next, err
					})
				}},
				{name: "observe.Service.GetAsset (every id)", ids: serviceGetEach(func(c *call, id int64) (observe.Asset, error) {
					return c.w.env.Observe.GetAsset(c.ctx, c.v.p, id)
				}, func(a observe.Asset) int64 { return a.ID }, nil)},
				{name: "GET /api/v1/assets", api: true, ids: apiList(fixed("/api/v1/assets"), byID)},
				{name: "GET /api/v1/assets/{id}", api: true, ids: apiGetEach("/api/v1/assets/%d", byID)},
				{name: "page /assets", page: true, ids: pageList("/assets", assetRow)},
			},
		}.kind(),
		kindSpec[policy.NoticeFacts]{
			name:    "notice",
			items:   colNotices,
			facts:   noticeFacts,
			allowed: policy.CanViewNotice,
			paths: []path{
				sqlFilter("policy.NoticeFilter (SQL)", "observe_notices n", "n.id", policy.NoticeFilter),
				{name: "observe.Service.Notices", ids: func(c *call) ([]int64, error) {
					return pageNewest(c, func(before int64) ([]int64, int64, error) {
						list, next, err := c.w.env.Observe.Notices(c.ctx, c.v.p, observe.NoticeQuery{Before: before, Limit: c.w.pageSize})
						ids := make([]int64, len(list))
						for i, n := range list {
							ids[i] = n.ID
						}
						return ids, next, err
					})
				}},
				{name: "observe.Service.GetNotice (every id)", ids: serviceGetEach(func(c *call, id int64) (observe.NoticeView, error) {
					return c.w.env.Observe.GetNotice(c.ctx, c.v.p, id)
				}, func(n observe.NoticeView) int64 { return n.ID }, nil)},
				{name: "GET /api/v1/notices", api: true, ids: apiList(fixed("/api/v1/notices"), byID)},
				{name: "GET /api/v1/notices/{id}", api: true, ids: apiGetEach("/api/v1/notices/%d", byID)},
				{name: "page /notices", page: true, ids: pageList("/notices", noticeRow)},
				{name: "page /notices/{id}", page: true, ids: pageGetEach("/notices/%d")},
			},
		}.kind(),
	)
}

// generateObservation registers assets for some organizations (some approved by the
// center, some proposed by their admins, some deleted), sends notices by hand to random
// sets of organizations, reports findings on approved assets and matches shared values
// against them; some notices are read.
func generateObservation(g *gen) {
	w := g.w
	svc := w.env.Observe
	admins := map[int64][]int64{} // organization → its admins
	var readers []int64
	for _, uid := range w.ids[colPeople] {
		p := principal(g, uid)
		if p.Actor.OrgRole == "org-admin" && !p.Actor.IsCenter() {
			admins[p.User.OrgID] = append(admins[p.User.OrgID], uid)
		}
		readers = append(readers, uid)
	}
	var approved []observe.Asset
	for _, org := range w.ids[colOrgs] {
		if !g.chance(0.7) {
			continue
		}
		values := []observe.AssetInput{
			{OrgID: org, Kind: "domain", Value: fmt.Sprintf("org%d.example.jp", org)},
			{OrgID: org, Kind: "cidr", Value: fmt.Sprintf("10.%d.%d.0/24", org/250, org%250)},
			{OrgID: org, Kind: "keyword", Value: fmt.Sprintf("brand%d", org)},
		}
		for _, in := range values {
			p := g.sys
			if as := admins[org]; len(as) > 0 && g.chance(0.4) {
				p = principal(g, as[g.r.IntN(len(as))])
			}
			a, err := svc.ProposeAsset(g.ctx, p, in)
			w.must(err, "propose asset %s for organization %d", in.Value, org)
			w.ids[colAssets] = append(w.ids[colAssets], a.ID)
			if g.chance(0.1) {
				w.must(svc.DeleteAsset(g.ctx, g.sys, a.ID), "delete asset %d", a.ID)
			} else if a.Status == observe.StatusApproved {
				approved = append(approved, a)
			}
		}
	}
	orgs := w.ids[colOrgs]
	for i := range 1 + g.r.IntN(4) {
		var to []int64
		for range 1 + g.r.IntN(3) {
			to = append(to, orgs[g.r.IntN(len(orgs))])
		}
		sent, err := svc.SendNotice(g.ctx, g.sys, observe.NoticeInput{Orgs: to, Title: fmt.Sprintf("観測情報 %d", i+1),
			Body: "本文", Severity: observe.Severities[g.r.IntN(len(observe.Severities))], Kind: observe.NoticeKinds[g.r.IntN(len(observe.NoticeKinds))]})
		w.must(err, "send notice to %v", to)
		for _, n := range sent {
			w.ids[colNotices] = append(w.ids[colNotices], n.ID)
		}
	}
	for _, a := range approved {
		if a.Kind == "cidr" && g.chance(0.5) {
			w.must(svc.ReportFinding(g.ctx, observe.Finding{AssetID: a.ID, OrgID: a.OrgID, Check: "port", Key: "port:3389", Problem: true,
				Severity: "high", TitleJA: "RDP が公開されています", TitleEN: "RDP is exposed"}), "finding on asset %d", a.ID)
		}
		if a.Kind == "domain" && g.chance(0.5) {
			w.must(svc.MatchObservables(g.ctx, "indicator:1", []string{"mail." + a.Value}), "match on asset %d", a.ID)
		}
	}
	// The notices made by findings and matches are found by the center's view of all.
	all, err := store.ListNotices(g.ctx, w.db.Read(), store.NoticeQuery{Limit: store.MaxPage})
	w.must(err, "list notices")
	known := map[int64]bool{}
	for _, id := range w.ids[colNotices] {
		known[id] = true
	}
	for _, n := range all {
		if !known[n.ID] {
			w.ids[colNotices] = append(w.ids[colNotices], n.ID)
		}
	}
	for _, id := range w.ids[colNotices] {
		if len(readers) > 0 && g.chance(0.3) {
			uid := readers[g.r.IntN(len(readers))]
			if err := svc.MarkRead(g.ctx, principal(g, uid), id); err != nil && !isNotFound(err) {
				w.must(err, "read notice %d", id)
			}
		}
	}
}

func assetFacts(w *world, id int64) policy.AssetFacts {
	org, deleted, err := store.AssetOwner(w.ctx, w.db.Read(), id)
	w.must(err, "load asset %d", id)
	return policy.AssetFacts{OrgID: org, Deleted: deleted}
}

func noticeFacts(w *world, id int64) policy.NoticeFacts {
	n, err := store.GetNotice(w.ctx, w.db.Read(), id)
	w.must(err, "load notice %d", id)
	return policy.NoticeFacts{OrgID: n.OrgID}
}

// pageNewest walks a newest-first list by its "before" cursor.
func pageNewest(c *call, list func(before int64) ([]int64, int64, error)) ([]int64, error) {
	return pageTopics(c, list)
}
