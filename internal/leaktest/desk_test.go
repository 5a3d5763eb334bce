package leaktest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/live"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// The consultation desk's kinds: cases (seen by the reporting organization, the center
// and currently invited partners) and the messages of their threads (internal notes for
// the center only).
const (
	colCases        = "cases"
	colCaseMessages = "case messages"
)

// caseWord is in every generated case's title, so that a search for it finds exactly the
// cases the viewer may see.
const caseWord = "窓口事案"

func init() {
	kinds = append(kinds, kindSpec[policy.CaseFacts]{
		name:     "case",
		items:    colCases,
		generate: generateCases,
		facts:    caseFacts,
		allowed:  policy.CanViewCase,
		paths: []path{
			sqlFilter("policy.CaseFilter (SQL)", "cases cs", "cs.id", policy.CaseFilter),
			{name: "store.ListCases(CaseFilter)", ids: func(c *call) ([]int64, error) {
				return pageTopics(c, func(before int64) ([]int64, int64, error) {
					ks, err := store.ListCases(c.ctx, c.read(), store.CaseQuery{Access: policy.CaseFilter(c.v.actor()), Before: before, Limit: c.w.pageSize})
					ids := make([]int64, len(ks))
					for i, k := range ks {
						ids[i] = k.ID
					}
					next := int64(0)
					if len(ks) == c.w.pageSize {
						next = ks[len(ks)-1].ID
					}
					return ids, next, err
				})
			}},
			{name: "desk.Service.List", ids: deskList(desk.ListQuery{})},
			{name: "desk.Service.List(Text)", ids: deskList(desk.ListQuery{Text: caseWord})},
			{name: "desk.Service.Counts (sum)", ids: caseCountsAsIDs},
			{name: "desk.Service.Get (every id)", ids: serviceGetEach(func(c *call, id int64) (desk.View, error) {
				return c.w.env.Desk.Get(c.ctx, c.v.p, id)
			}, func(v desk.View) int64 { return v.Case.ID }, nil)},
			{name: "desk.Service.Timeline (every id)", ids: eachTopic(func(c *call, id int64) error {
				_, err := c.w.env.Desk.Timeline(c.ctx, c.v.p, id, store.Page{})
				return err
			})},
			{name: "desk.Service.Get (linked cases of every visible case)", ids: linkedAsIDs},
			{name: "GET /api/v1/cases", api: true, ids: apiList(fixed("/api/v1/cases"), byID)},
			{name: "GET /api/v1/cases?q=", api: true, ids: apiList(fixed("/api/v1/cases?q="+url.QueryEscape(caseWord)), byID)},
			{name: "GET /api/v1/cases/{id}", api: true, ids: apiGetEach("/api/v1/cases/%d", byID)},
			{name: "GET /api/v1/cases/{id}/timeline", api: true, ids: apiListEach("/api/v1/cases/%d/timeline")},
			{name: "page /desk", page: true, ids: pageList("/desk", caseRow)},
			{name: "page /desk?q=", page: true, ids: pageList("/desk?q="+url.QueryEscape(caseWord), caseRow)},
			{name: "page /desk/cases/{id}", page: true, ids: pageGetEach("/desk/cases/%d")},
			// The live stream (SSE) passes a desk event to a viewer only if live.VisibleCase says so.
			{name: "live.VisibleCase(case.filed events)", ids: liveCaseEvents(desk.EventCaseFiled, func(d desk.CaseEvent) int64 { return d.CaseID })},
		},
	}.kind(), kindSpec[policy.CaseMessageFacts]{
		name:    "case message",
		items:   colCaseMessages,
		facts:   caseMessageFacts,
		allowed: policy.CanViewCaseMessage,
		paths: []path{
			sqlFilter("policy.CaseMessageFilter (SQL)", "case_messages m JOIN cases cs ON cs.id = m.case_id", "m.id", policy.CaseMessageFilter),
			{name: "desk.Service.Messages (every case)", ids: func(c *call) ([]int64, error) {
				var out []int64
				for _, id := range append(slices.Clone(c.w.ids[colCases]), 1<<40) {
					ms, err := c.w.env.Desk.Messages(c.ctx, c.v.p, id, store.Page{Limit: store.MaxPage})
					if err != nil && !isNotFound(err) {
						return out, fmt.Errorf("case %d: %v (want success or not found)", id, err)
					}
					for _, m := range ms {
						out = append(out, m.ID)
					}
				}
				return out, nil
			}},
			{name: "GET /api/v1/cases/{id}/messages (every case)", api: true, ids: func(c *call) ([]int64, error) {
				var out []int64
				for _, id := range append(slices.Clone(c.w.ids[colCases]), 1<<40) {
					_, err := c.apiPages(fmt.Sprintf("/api/v1/cases/%d/messages", id), func(item json.RawMessage) error {
						mid, _, err := byID(item)
						out = append(out, mid)
						return err
					})
					if err != nil {
						return out, err
					}
				}
				return out, nil
			}},
			{name: "live.VisibleCase(case.message events)", ids: liveCaseEvents(desk.EventCaseMessage, func(d desk.CaseEvent) int64 { return d.MessageID })},
		},
	}.kind())
}

// liveCaseEvents reads the whole event log and returns the ids (named by id) of the desk
// events of one kind that the live stream would deliver to the viewer.
func liveCaseEvents(kind string, id func(desk.CaseEvent) int64) func(c *call) ([]int64, error) {
	return func(c *call) ([]int64, error) {
		var out []int64
		var after int64
		for {
			events, err := store.ListEvents(c.ctx, c.read(), after, store.MaxPage)
			if err != nil {
				return out, err
			}
			for _, e := range events {
				after = e.ID
				if e.Kind != kind {
					continue
				}
				if d, ok := live.VisibleCase(c.ctx, c.w.env.Desk, c.v.p, e); ok {
					out = append(out, id(d))
				}
			}
			if len(events) < store.MaxPage {
				return out, nil
			}
		}
	}
}

// generateCases files cases from random people of member organizations, has the center
// answer, write internal notes, invite partners (revoking some again), link and merge.
func generateCases(g *gen) {
	w := g.w
	var reporters, staff []int64
	var outsiders []int64 // organizations that can be invited
	for _, id := range w.ids[colPeople] {
		u, err := store.GetUser(g.ctx, w.db.Read(), id)
		w.must(err, "load person %d", id)
		if u.CenterRole != model.CenterNone {
			staff = append(staff, id)
		} else {
			reporters = append(reporters, id)
		}
	}
	outsiders = append(outsiders, w.ids[colOrgs][1:]...)
	if len(reporters) == 0 || len(staff) == 0 {
		return
	}
	for range 1 + g.r.IntN(8) {
		rp := principal(g, reporters[g.r.IntN(len(reporters))])
		in := desk.CaseInput{Kind: string(model.CaseKinds[g.r.IntN(3)]), Category: string(model.CaseCategories[g.r.IntN(len(model.CaseCategories))]),
			Title: fmt.Sprintf("%s %d", caseWord, len(w.ids[colCases])+1), Description: "内容", Urgency: string(model.Urgencies[g.r.IntN(4)]),
			EventImpact: string(model.Impacts[g.r.IntN(3)])}
		if g.chance(0.7) { // an address the indicators use, for correlation (valuelinks_test.go)
			in.Observables = []desk.ObservableInput{{Kind: "ip", Value: leakValue(g)}}
		}
		k, err := w.env.Desk.File(g.ctx, rp, in)
		w.must(err, "file a case")
		w.ids[colCases] = append(w.ids[colCases], k.ID)
		sp := principal(g, staff[g.r.IntN(len(staff))])
		msg := func(p auth.Principal, internal bool) {
			m, err := w.env.Desk.AddMessage(g.ctx, p, k.ID, "やりとり", internal)
			w.must(err, "message on case %d", k.ID)
			w.ids[colCaseMessages] = append(w.ids[colCaseMessages], m.ID)
		}
		if g.chance(0.6) {
			msg(rp, false)
		}
		if g.chance(0.5) {
			msg(sp, true)
		}
		if g.chance(0.5) {
			msg(sp, false)
		}
		for range g.r.IntN(3) {
			o := outsiders[g.r.IntN(len(outsiders))]
			if o == k.OrgID {
				continue
			}
			if err := w.env.Desk.InvitePartner(g.ctx, sp, k.ID, o); err != nil && !fault.Is(err, fault.Conflict) {
				w.must(err, "invite organization %d into case %d", o, k.ID)
			}
			if g.chance(0.3) {
				w.must(w.env.Desk.RevokePartner(g.ctx, sp, k.ID, o), "revoke organization %d from case %d", o, k.ID)
			}
		}
		if n := len(w.ids[colCases]); n > 1 && g.chance(0.3) {
			other := w.ids[colCases][g.r.IntN(n-1)]
			w.must(w.env.Desk.Link(g.ctx, sp, k.ID, other), "link case %d to %d", k.ID, other)
		}
	}
}

func caseFacts(w *world, id int64) policy.CaseFacts {
	k, err := store.GetCase(w.ctx, w.db.Read(), id)
	w.must(err, "load case %d", id)
	ps, err := store.CasePartnerOrgs(w.ctx, w.db.Read(), id)
	w.must(err, "load partners of case %d", id)
	return desk.Facts(k, ps)
}

func caseMessageFacts(w *world, id int64) policy.CaseMessageFacts {
	m, err := store.GetCaseMessage(w.ctx, w.db.Read(), id)
	w.must(err, "load case message %d", id)
	return policy.CaseMessageFacts{Case: caseFacts(w, m.CaseID), Internal: m.Internal}
}

func deskList(q desk.ListQuery) func(c *call) ([]int64, error) {
	return func(c *call) ([]int64, error) {
		return pageTopics(c, func(before int64) ([]int64, int64, error) {
			q := q
			q.Before, q.Limit = before, c.w.pageSize
			items, next, err := c.w.env.Desk.List(c.ctx, c.v.p, q)
			ids := make([]int64, len(items))
			for i, it := range items {
				ids[i] = it.Case.ID
			}
			return ids, next, err
		})
	}
}

// caseCountsAsIDs checks that the counts by state add up to the visible cases of each
// state, and returns the visible cases when they do.
func caseCountsAsIDs(c *call) ([]int64, error) {
	counts, err := c.w.env.Desk.Counts(c.ctx, c.v.p, desk.ListQuery{}, "state")
	if err != nil {
		return nil, err
	}
	want := map[string]int{}
	var out []int64
	for _, id := range c.w.ids[colCases] {
		if policy.CanViewCase(c.v.actor(), caseFacts(c.w, id)) {
			k, err := store.GetCase(c.ctx, c.read(), id)
			if err != nil {
				return nil, err
			}
			want[string(k.State)]++
			out = append(out, id)
		}
	}
	got := map[string]int{}
	for _, x := range counts {
		got[x.Key] = x.Count
	}
	for s, n := range got {
		if want[s] != n {
			return nil, fmt.Errorf("counted %d cases in state %s, %d visible", n, s, want[s])
		}
	}
	for s, n := range want {
		if got[s] != n {
			return nil, fmt.Errorf("counted %d cases in state %s, %d visible", got[s], s, n)
		}
	}
	return out, nil
}

// linkedAsIDs opens every visible case and collects the related cases it names: each must
// be visible itself; it returns the visible cases plus any leaked one.
func linkedAsIDs(c *call) ([]int64, error) {
	var out []int64
	seen := map[int64]bool{}
	for _, id := range c.w.ids[colCases] {
		v, err := c.w.env.Desk.Get(c.ctx, c.v.p, id)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return out, err
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
		for _, l := range v.Linked {
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	return out, nil
}
