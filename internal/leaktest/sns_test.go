package leaktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
)

// The sharing SNS's kinds: topics, and what hangs on them (comments, attachments), which
// follow the topic's rule.
const colTopics = "topics"

// searchWord is in every generated topic's title, so that a search for it should find
// exactly the topics the viewer may see.
const searchWord = "共通警戒"

func init() {
	kinds = append(kinds, kindSpec[policy.TopicFacts]{
		name:     "topic",
		items:    colTopics,
		generate: generateTopics,
		facts:    topicFacts,
		allowed:  policy.CanViewTopic,
		paths: []path{
			sqlFilter("policy.TopicFilter (SQL)", "topics t", "t.id", policy.TopicFilter),
			{name: "store.ListTopics(TopicSources)", ids: func(c *call) ([]int64, error) {
				return pageTopics(c, func(before int64) ([]int64, int64, error) {
					ts, err := store.ListTopics(c.ctx, c.read(), policy.TopicSources(c.v.actor()), store.TopicQuery{Before: before, Limit: c.w.pageSize})
					ids := make([]int64, len(ts))
					for i, t := range ts {
						ids[i] = t.ID
					}
					next := int64(0)
					if len(ts) == c.w.pageSize {
						next = ts[len(ts)-1].ID
					}
					return ids, next, err
				})
			}},
			{name: "sns.Service.Timeline", ids: func(c *call) ([]int64, error) {
				return pageTopics(c, func(before int64) ([]int64, int64, error) {
					items, next, err := c.w.env.SNS.Timeline(c.ctx, c.v.p, sns.TimelineQuery{Before: before, Limit: c.w.pageSize})
					ids := make([]int64, len(items))
					for i, it := range items {
						ids[i] = it.Topic.ID
					}
					return ids, next, err
				})
			}},
			{name: "sns.Service.Search", ids: func(c *call) ([]int64, error) {
				var out []int64
				for off := 0; off < 10_000; {
					hits, next, err := c.w.env.SNS.Search(c.ctx, c.v.p, sns.SearchQuery{Text: searchWord,
						TimelineQuery: sns.TimelineQuery{Limit: c.w.pageSize}, Offset: off})
					if err != nil {
						return out, err
					}
					for _, h := range hits {
						out = append(out, h.Topic.ID)
					}
					if next == 0 {
						return out, nil
					}
					off = next
				}
				return out, fmt.Errorf("search did not end")
			}},
			{name: "sns.Service.UnreadCounts (sum)", ids: unreadAsIDs},
			{name: "sns.Service.PeekTopic (every id)", ids: serviceGetEach(func(c *call, id int64) (sns.TopicView, error) {
				return c.w.env.SNS.PeekTopic(c.ctx, c.v.p, id)
			}, func(v sns.TopicView) int64 { return v.Topic.ID }, nil)},
			{name: "sns.Service.Comments (every id)", ids: eachTopic(func(c *call, id int64) error {
				_, err := c.w.env.SNS.Comments(c.ctx, c.v.p, id, store.Page{})
				return err
			})},
			{name: "sns.Service.Attachments (every id)", ids: eachTopic(func(c *call, id int64) error {
				_, err := c.w.env.SNS.Attachments(c.ctx, c.v.p, id)
				return err
			})},
			{name: "sns.Service.OpenAttachment (every file)", ids: openEachAttachment},
			{name: "GET /api/v1/topics", api: true, ids: apiList(fixed("/api/v1/topics"), byID)},
			{name: "GET /api/v1/topics?q=", api: true, ids: apiList(fixed("/api/v1/topics?q="+url.QueryEscape(searchWord)), byID)},
			{name: "GET /api/v1/topics/{id}", api: true, ids: apiGetEach("/api/v1/topics/%d", byID)},
			{name: "GET /api/v1/topics/{id}/comments", api: true, ids: apiListEach("/api/v1/topics/%d/comments")},
			{name: "page /topics (timeline)", page: true, ids: pageList("/topics", topicLink)},
			{name: "page /search?q=", page: true, ids: pageList("/search?q="+url.QueryEscape(searchWord), topicLink)},
			{name: "page /topics/{id}", page: true, ids: pageGetEach("/topics/%d")},
			{name: "page /topics/{id}/versions", page: true, ids: pageGetEach("/topics/%d/versions")},
			{name: "page /attachments/{id} (every file)", page: true, ids: func(c *call) ([]int64, error) {
				return downloadEachAttachment(c, func(id int64) (bool, error) { return pageOpens(c, fmt.Sprintf("/attachments/%d", id)) })
			}},
		},
	}.kind())
}

// generateTopics posts topics in every community, by random members, with every TLP and
// both scopes, random audiences among the members, comments, files, and some deletions
// and widenings.
func generateTopics(g *gen) {
	w := g.w
	tlps := []string{"clear", "green", "amber", "amber+strict", "red"}
	for _, cid := range w.ids[colCommunities] {
		var members []int64
		for _, uid := range w.ids[colPeople] {
			for _, c := range w.builtCommunities(uid) {
				if c == cid {
					members = append(members, uid)
				}
			}
		}
		if len(members) == 0 {
			continue
		}
		for range 1 + g.r.IntN(4) {
			author := principal(g, members[g.r.IntN(len(members))])
			in := sns.TopicInput{CommunityID: cid, Title: fmt.Sprintf("%s %d", searchWord, len(w.ids[colTopics])+1), Body: "本文",
				InfoType: string(model.InfoTypes[g.r.IntN(len(model.InfoTypes))]), TLP: tlps[g.r.IntN(len(tlps))], Scope: "community"}
			if in.TLP == "red" || g.chance(0.5) {
				in.Scope = "selected"
				in.Audience = randomAudience(g, cid, members, in.TLP == "red")
				in.ShowAudience = g.chance(0.3)
			}
			t, err := w.env.SNS.CreateTopic(g.ctx, author, in)
			w.must(err, "create topic in community %d", cid)
			w.ids[colTopics] = append(w.ids[colTopics], t.ID)
			if g.chance(0.5) {
				_, err := w.env.SNS.AddComment(g.ctx, author, t.ID, sns.CommentInput{Body: "コメント"})
				w.must(err, "comment on topic %d", t.ID)
			}
			if g.chance(0.4) {
				_, err := w.env.SNS.AddAttachment(g.ctx, author, t.ID, 0, sns.Upload{Name: "ioc.txt", Body: bytes.NewReader([]byte(fmt.Sprint(t.ID)))})
				w.must(err, "attach to topic %d", t.ID)
			}
			if t.Scope == model.ScopeSelected && g.chance(0.2) {
				wd := sns.Widening{Add: randomAudience(g, cid, members, t.TLP == model.TLPRed)}
				if t.TLP != model.TLPRed && g.chance(0.5) {
					wd = sns.Widening{ToCommunity: true}
				}
				w.must(w.env.SNS.WidenScope(g.ctx, author, t.ID, wd), "widen topic %d", t.ID)
			}
			if g.chance(0.1) {
				w.must(w.env.SNS.DeleteTopic(g.ctx, author, t.ID), "delete topic %d", t.ID)
			}
		}
	}
}

func principal(g *gen, userID int64) auth.Principal {
	p, err := g.w.env.Auth.Principal(g.ctx, userID)
	g.w.must(err, "principal of %d", userID)
	return p
}

// randomAudience names one to three members: people, or (not for RED) organizations that
// are members of the community as a whole.
func randomAudience(g *gen, cid int64, members []int64, peopleOnly bool) model.Audience {
	var a model.Audience
	orgs := g.w.orgIn[cid]
	for range 1 + g.r.IntN(3) {
		if !peopleOnly && len(orgs) > 0 && g.chance(0.5) {
			a.Orgs = append(a.Orgs, orgs[g.r.IntN(len(orgs))])
		} else {
			a.Users = append(a.Users, members[g.r.IntN(len(members))])
		}
	}
	return a
}

func topicFacts(w *world, id int64) policy.TopicFacts {
	t, err := store.GetTopic(w.ctx, w.db.Read(), id)
	w.must(err, "load topic %d", id)
	aud, err := store.GetAudience(w.ctx, w.db.Read(), id)
	w.must(err, "load audience of topic %d", id)
	return sns.Facts(t, aud)
}

// pageTopics walks a newest-first list by its "before" cursor.
func pageTopics(c *call, list func(before int64) ([]int64, int64, error)) ([]int64, error) {
	var out []int64
	before := int64(0)
	for range maxPages {
		ids, next, err := list(before)
		out = append(out, ids...)
		if err != nil || next == 0 {
			return out, err
		}
		before = next
	}
	return out, fmt.Errorf("more than %d pages", maxPages)
}

// eachTopic opens something under every topic id: success counts the topic, NotFound
// does not, anything else is reported.
func eachTopic(open func(c *call, id int64) error) func(*call) ([]int64, error) {
	return func(c *call) ([]int64, error) {
		var out []int64
		for _, id := range c.all {
			err := open(c, id)
			switch {
			case err == nil:
				out = append(out, id)
			case isNotFound(err):
			default:
				return out, fmt.Errorf("topic %d: %v (want success or not found)", id, err)
			}
		}
		return out, nil
	}
}

// openEachAttachment downloads every file through the service.
func openEachAttachment(c *call) ([]int64, error) {
	return downloadEachAttachment(c, func(id int64) (bool, error) {
		_, _, err := c.w.env.SNS.OpenAttachment(c.ctx, c.v.p, id)
		if isNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
}

// downloadEachAttachment downloads every file with open (which says whether it opened) and
// counts the topic of each one that opens; topics without files are counted as the
// predicate says, since there is nothing to open.
func downloadEachAttachment(c *call, open func(id int64) (bool, error)) ([]int64, error) {
	seen := map[int64]bool{}
	withFiles := map[int64]bool{}
	rows, err := c.read().Query(c.ctx, "SELECT id, topic_id FROM attachments ORDER BY id")
	if err != nil {
		return nil, err
	}
	type file struct{ id, topic int64 }
	var files []file
	for rows.Next() {
		var f file
		if err := rows.Scan(&f.id, &f.topic); err != nil {
			rows.Close()
			return nil, err
		}
		files = append(files, f)
	}
	rows.Close()
	for _, f := range files {
		withFiles[f.topic] = true
		ok, err := open(f.id)
		if err != nil {
			return nil, fmt.Errorf("file %d: %v", f.id, err)
		}
		if ok {
			seen[f.topic] = true
		}
	}
	var out []int64
	for _, id := range c.w.ids[colTopics] {
		if seen[id] || (!withFiles[id] && policy.CanViewTopic(c.v.actor(), topicFacts(c.w, id))) {
			out = append(out, id)
		}
	}
	return out, nil
}

// unreadAsIDs checks the unread counts against the visible topics: the counts must equal,
// per community, the number of visible topics (nobody has opened any through this path),
// and the path returns the visible topics when they do.
func unreadAsIDs(c *call) ([]int64, error) {
	counts, err := c.w.env.SNS.UnreadCounts(c.ctx, c.v.p)
	if err != nil {
		return nil, err
	}
	var out []int64
	got := map[int64]int{}
	for _, id := range c.w.ids[colTopics] {
		f := topicFacts(c.w, id)
		var st model.ReadState
		if c.v.p.User.ID != 0 {
			st, _ = store.GetReadState(c.ctx, c.read(), id, c.v.p.User.ID)
		}
		if policy.CanViewTopic(c.v.actor(), f) && st.FirstViewAt.IsZero() {
			got[f.CommunityID]++
			out = append(out, id)
		}
	}
	for cid, n := range counts {
		if got[cid] != n {
			b, _ := json.Marshal(counts)
			return nil, fmt.Errorf("unread counts %s disagree with the visible unopened topics in community %d (%d)", b, cid, got[cid])
		}
	}
	for cid, n := range got {
		if counts[cid] != n {
			return nil, fmt.Errorf("community %d: %d unread counted, %d visible and unopened", cid, counts[cid], n)
		}
	}
	// Opened topics are not counted; return every visible one so the comparison holds.
	out = out[:0]
	for _, id := range c.w.ids[colTopics] {
		if policy.CanViewTopic(c.v.actor(), topicFacts(c.w, id)) {
			out = append(out, id)
		}
	}
	return out, nil
}
