package leaktest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// kinds is the table of every kind of item the policy guards. A new kind is one more
// entry: see the package documentation.
var kinds = []kind{
	// ---- Communities: belonging ----
	kindSpec[int64]{
		name:    "community membership",
		items:   colCommunities,
		facts:   func(w *world, id int64) int64 { return id },
		allowed: policy.IsCommunityMember,
		paths: []path{
			sqlFilter("policy.MemberFilter (SQL)", "communities c", "c.id", policy.MemberFilter),
			{name: "store.ListCommunities(MemberFilter)", ids: func(c *call) ([]int64, error) {
				return pageIDs(c, func(pg store.Page) ([]model.Community, error) {
					return store.ListCommunities(c.ctx, c.read(), policy.MemberFilter(c.v.actor()), pg)
				}, communityID)
			}},
			{name: "community.Service.Mine", ids: func(c *call) ([]int64, error) {
				return pageIDs(c, func(pg store.Page) ([]model.Community, error) {
					return c.w.env.Communities.Mine(c.ctx, c.v.p, pg)
				}, communityID)
			}},
			{name: "GET /api/v1/communities", api: true, ids: apiList(fixed("/api/v1/communities"), byID)},
			{name: "GET /api/v1/me (communities)", api: true, ids: meCommunities},
		},
	}.kind(),

	// ---- Communities: seeing one (name, description, members) ----
	kindSpec[int64]{
		name:    "community",
		items:   colCommunities,
		facts:   func(w *world, id int64) int64 { return id },
		allowed: policy.CanViewCommunity,
		paths: []path{
			sqlFilter("policy.CommunityFilter (SQL)", "communities c", "c.id", policy.CommunityFilter),
			{name: "store.ListCommunities(CommunityFilter)", ids: func(c *call) ([]int64, error) {
				return pageIDs(c, func(pg store.Page) ([]model.Community, error) {
					return store.ListCommunities(c.ctx, c.read(), policy.CommunityFilter(c.v.actor()), pg)
				}, communityID)
			}},
			{name: "community.Service.List", ids: func(c *call) ([]int64, error) {
				return pageIDs(c, func(pg store.Page) ([]model.Community, error) {
					return c.w.env.Communities.List(c.ctx, c.v.p, pg)
				}, communityID)
			}},
			{name: "community.Service.Get (every id)", ids: serviceGetEach(func(c *call, id int64) (model.Community, error) {
				return c.w.env.Communities.Get(c.ctx, c.v.p, id)
			}, communityID, nil)},
			{name: "community.Service.Members (every id)", ids: func(c *call) ([]int64, error) {
				var out []int64
				for _, id := range c.all {
					if _, err := c.w.env.Communities.Members(c.ctx, c.v.p, id, store.Page{Limit: 1}); err == nil {
						out = append(out, id)
					} else if !isNotFound(err) {
						return out, fmt.Errorf("community %d: %v (want success or not found)", id, err)
					}
				}
				return out, nil
			}},
			{name: "GET /api/v1/communities?all=true", api: true, ids: apiList(fixed("/api/v1/communities?all=true"), byID)},
			{name: "GET /api/v1/communities/{id}", api: true, ids: apiGetEach("/api/v1/communities/%d", byID)},
			{name: "page /communities/{id}", page: true, ids: pageGetEach("/communities/%d")},
			{name: "GET /api/v1/communities/{id}/members", api: true, ids: apiListEach("/api/v1/communities/%d/members")},
		},
	}.kind(),

	// ---- People ----
	kindSpec[policy.PersonFacts]{
		name:    "person",
		items:   colPeople,
		facts:   personFacts,
		allowed: policy.CanViewPerson,
		paths: []path{
			sqlFilter("policy.PersonFilter (SQL)", "users u", "u.id", policy.PersonFilter),
			{name: "store.ListUsers(PersonFilter, with disabled)", ids: func(c *call) ([]int64, error) {
				return pageIDs(c, func(pg store.Page) ([]model.User, error) {
					return store.ListUsers(c.ctx, c.read(), store.UserQuery{Access: policy.PersonFilter(c.v.actor()), IncludeDisabled: true, Page: pg})
				}, userID)
			}},
			{name: "store.ListUsers(PersonFilter)", narrow: enabledPerson, ids: func(c *call) ([]int64, error) {
				return pageIDs(c, func(pg store.Page) ([]model.User, error) {
					return store.ListUsers(c.ctx, c.read(), store.UserQuery{Access: policy.PersonFilter(c.v.actor()), Page: pg})
				}, userID)
			}},
			{name: "directory.Service.ListUsers", narrow: enabledPerson, ids: func(c *call) ([]int64, error) {
				return pageIDs(c, func(pg store.Page) ([]model.User, error) {
					return c.w.env.Directory.ListUsers(c.ctx, c.v.p, directory.UserQuery{Page: pg})
				}, userID)
			}},
			{name: "directory.Service.ListUsers(IncludeDisabled)", narrow: listedDisabledPerson, ids: func(c *call) ([]int64, error) {
				return pageIDs(c, func(pg store.Page) ([]model.User, error) {
					return c.w.env.Directory.ListUsers(c.ctx, c.v.p, directory.UserQuery{IncludeDisabled: true, Page: pg})
				}, userID)
			}},
			{name: "directory.Service.ListUsers(OrgID: each, IncludeDisabled)", narrow: listedDisabledPersonOfOrg, ids: func(c *call) ([]int64, error) {
				var out []int64
				for _, org := range c.w.ids[colOrgs] {
					users, err := pageAll(c, func(pg store.Page) ([]model.User, error) {
						return c.w.env.Directory.ListUsers(c.ctx, c.v.p, directory.UserQuery{OrgID: org, IncludeDisabled: true, Page: pg})
					}, userID)
					if err != nil {
						return out, err
					}
					for _, u := range users {
						if u.OrgID != org {
							return out, fmt.Errorf("the list of organization %d holds person %d of organization %d", org, u.ID, u.OrgID)
						}
						out = append(out, u.ID)
					}
				}
				return out, nil
			}},
			{name: "directory.Service.GetUser (every id)", ids: serviceGetEach(func(c *call, id int64) (model.User, error) {
				return c.w.env.Directory.GetUser(c.ctx, c.v.p, id)
			}, userID, nil)},
			{name: "community members (people, service)", narrow: personalMemberOfVisibleCommunity, ids: func(c *call) ([]int64, error) {
				var out []int64
				for _, id := range c.w.ids[colCommunities] {
					rows, err := pageAll(c, func(pg store.Page) ([]store.MemberRow, error) {
						return c.w.env.Communities.Members(c.ctx, c.v.p, id, pg)
					}, func(m store.MemberRow) int64 { return m.ID })
					if err != nil && !isNotFound(err) {
						return out, fmt.Errorf("community %d: %v", id, err)
					}
					for _, m := range rows {
						if m.UserID != 0 {
							out = append(out, m.UserID)
						}
					}
				}
				return uniq(out), nil
			}},
			{name: "GET /api/v1/users", api: true, narrow: enabledPerson, ids: apiList(fixed("/api/v1/users"), byID)},
			{name: "GET /api/v1/users?include_disabled=true", api: true, narrow: listedDisabledPerson,
				ids: apiList(fixed("/api/v1/users?include_disabled=true"), byID)},
			{name: "GET /api/v1/users?org_id=OWN&include_disabled=true", api: true, narrow: listedDisabledPersonOfOwnOrg,
				ids: apiList(func(c *call) string {
					return "/api/v1/users?include_disabled=true&org_id=" + strconv.FormatInt(c.v.p.User.OrgID, 10)
				}, byID)},
			{name: "GET /api/v1/users/{id}", api: true, ids: apiGetEach("/api/v1/users/%d", byID)},
			{name: "GET /api/v1/communities/{id}/members (people)", api: true, narrow: personalMemberOfVisibleCommunity,
				ids: apiMembers(func(m member) *int64 { return m.UserID })},
		},
	}.kind(),

	// ---- Organizations ----
	kindSpec[policy.OrgFacts]{
		name:    "organization",
		items:   colOrgs,
		facts:   orgFacts,
		allowed: policy.CanViewOrg,
		paths: []path{
			{name: "store.ListOrgs(IncludeDisabled: OrgFilter)", ids: func(c *call) ([]int64, error) {
				return pageIDs(c, func(pg store.Page) ([]model.Org, error) {
					return store.ListOrgs(c.ctx, c.read(), store.OrgQuery{IncludeDisabled: policy.OrgFilter(c.v.actor()), Page: pg})
				}, orgID)
			}},
			{name: "directory.Service.ListOrgs", narrow: enabledOrg, ids: func(c *call) ([]int64, error) {
				return pageIDs(c, func(pg store.Page) ([]model.Org, error) {
					return c.w.env.Directory.ListOrgs(c.ctx, c.v.p, directory.OrgQuery{Page: pg})
				}, orgID)
			}},
			{name: "directory.Service.ListOrgs(IncludeDisabled)", ids: func(c *call) ([]int64, error) {
				return pageIDs(c, func(pg store.Page) ([]model.Org, error) {
					return c.w.env.Directory.ListOrgs(c.ctx, c.v.p, directory.OrgQuery{IncludeDisabled: true, Page: pg})
				}, orgID)
			}},
			{name: "directory.Service.GetOrg (every id)", ids: serviceGetEach(func(c *call, id int64) (model.Org, error) {
				return c.w.env.Directory.GetOrg(c.ctx, c.v.p, id)
			}, orgID, nil)},
			{name: "community members (organizations, service)", narrow: orgMemberOfVisibleCommunity, ids: func(c *call) ([]int64, error) {
				var out []int64
				for _, id := range c.w.ids[colCommunities] {
					rows, err := pageAll(c, func(pg store.Page) ([]store.MemberRow, error) {
						return c.w.env.Communities.Members(c.ctx, c.v.p, id, pg)
					}, func(m store.MemberRow) int64 { return m.ID })
					if err != nil && !isNotFound(err) {
						return out, fmt.Errorf("community %d: %v", id, err)
					}
					for _, m := range rows {
						if m.OrgID != 0 {
							out = append(out, m.OrgID)
						}
					}
				}
				return uniq(out), nil
			}},
			{name: "GET /api/v1/orgs", api: true, narrow: enabledOrg, ids: apiList(fixed("/api/v1/orgs"), byID)},
			{name: "GET /api/v1/orgs?include_disabled=true", api: true, ids: apiList(fixed("/api/v1/orgs?include_disabled=true"), byID)},
			{name: "GET /api/v1/orgs/{id}", api: true, ids: apiGetEach("/api/v1/orgs/%d", byID)},
			{name: "page /directory/orgs/{id}", page: true, ids: pageGetEach("/directory/orgs/%d")},
			{name: "GET /api/v1/communities/{id}/members (organizations)", api: true, narrow: orgMemberOfVisibleCommunity,
				ids: apiMembers(func(m member) *int64 { return m.OrgID })},
		},
	}.kind(),

	// ---- An organization's contact points ----
	// Every generated organization has contacts, so whether they come back is observable:
	// the item is "the contacts of organization id".
	kindSpec[policy.OrgFacts]{
		name:  "organization contacts",
		items: colOrgs,
		facts: orgFacts,
		allowed: func(a policy.Actor, f policy.OrgFacts) bool {
			return policy.CanViewOrg(a, f) && policy.CanViewOrgContacts(a, f.ID)
		},
		paths: []path{
			{name: "directory.Service.ListOrgs(IncludeDisabled) contacts", ids: func(c *call) ([]int64, error) {
				orgs, err := pageAll(c, func(pg store.Page) ([]model.Org, error) {
					return c.w.env.Directory.ListOrgs(c.ctx, c.v.p, directory.OrgQuery{IncludeDisabled: true, Page: pg})
				}, orgID)
				var out []int64
				for _, o := range orgs {
					if len(o.Contacts) > 0 {
						out = append(out, o.ID)
					}
				}
				return out, err
			}},
			{name: "directory.Service.GetOrg (every id) contacts", ids: serviceGetEach(func(c *call, id int64) (model.Org, error) {
				return c.w.env.Directory.GetOrg(c.ctx, c.v.p, id)
			}, orgID, func(c *call, o model.Org) bool { return len(o.Contacts) > 0 })},
			{name: "GET /api/v1/orgs?include_disabled=true contacts", api: true, ids: apiList(fixed("/api/v1/orgs?include_disabled=true"), withContacts)},
			{name: "GET /api/v1/orgs/{id} contacts", api: true, ids: apiGetEach("/api/v1/orgs/%d", withContacts)},
			{name: "GET /api/v1/me (own organization's contacts)", api: true, narrow: ownOrg, ids: func(c *call) ([]int64, error) {
				var me struct {
					Org json.RawMessage `json:"org"`
				}
				if err := c.getJSON("/api/v1/me", &me); err != nil {
					return nil, err
				}
				id, keep, err := withContacts(me.Org)
				if !keep {
					return nil, err
				}
				return []int64{id}, err
			}},
		},
	}.kind(),
}

// ---- Facts ----

// personFacts loads the people rule's facts as the service does, and checks their
// memberships against the generator's record.
func personFacts(w *world, id int64) policy.PersonFacts {
	f, err := directory.PersonFacts(w.ctx, w.db.Read(), w.users[id])
	w.must(err, "facts of person %d", id)
	if want := w.builtCommunities(id); !slices.Equal(f.Communities, want) {
		w.failf("facts: person %d belongs to communities %v as loaded, %v as built", id, f.Communities, want)
	}
	return f
}

func orgFacts(w *world, id int64) policy.OrgFacts {
	o := w.orgs[id]
	if len(o.Contacts) == 0 {
		w.t.Fatalf("seed %d: organization %d has no contacts: the contacts rule cannot be observed", w.seed, id)
	}
	return policy.OrgFacts{ID: o.ID, Disabled: o.Disabled}
}

func communityID(x model.Community) int64 { return x.ID }
func userID(x model.User) int64           { return x.ID }
func orgID(x model.Org) int64             { return x.ID }

// ---- What a path asks for (narrow) ----
// These describe the query, not the rule: whether an item is one the query selects.
// Where the selection itself depends on who asks, it asks the policy.

func enabledPerson(w *world, _ policy.Actor, id int64) bool { return !w.users[id].Disabled }

// listedDisabledPerson: asking for disabled people too, across organizations.
func listedDisabledPerson(w *world, a policy.Actor, id int64) bool {
	return !w.users[id].Disabled || policy.CanListDisabledPeople(a, 0)
}

// listedDisabledPersonOfOrg: asking, organization by organization, for disabled people too.
func listedDisabledPersonOfOrg(w *world, a policy.Actor, id int64) bool {
	u := w.users[id]
	return !u.Disabled || policy.CanListDisabledPeople(a, u.OrgID)
}

// listedDisabledPersonOfOwnOrg: asking for the viewer's own organization, disabled people too.
func listedDisabledPersonOfOwnOrg(w *world, a policy.Actor, id int64) bool {
	return w.users[id].OrgID == a.OrgID && listedDisabledPersonOfOrg(w, a, id)
}

// personalMemberOfVisibleCommunity: walking the member lists of the communities the viewer
// may open, and taking the personal members.
func personalMemberOfVisibleCommunity(w *world, a policy.Actor, id int64) bool {
	for _, c := range w.ids[colCommunities] {
		if slices.Contains(w.userIn[c], id) && policy.CanViewCommunity(a, c) {
			u := w.users[id]
			return policy.CanListMember(a, policy.MemberFacts{PersonOrgID: u.OrgID, PersonDisabled: u.Disabled})
		}
	}
	return false
}

// orgMemberOfVisibleCommunity: the same, taking the member organizations.
func orgMemberOfVisibleCommunity(w *world, a policy.Actor, id int64) bool {
	for _, c := range w.ids[colCommunities] {
		if slices.Contains(w.orgIn[c], id) && policy.CanViewCommunity(a, c) {
			return policy.CanListMember(a, policy.MemberFacts{Org: &policy.OrgFacts{ID: id, Disabled: w.orgs[id].Disabled}})
		}
	}
	return false
}

func enabledOrg(w *world, _ policy.Actor, id int64) bool { return !w.orgs[id].Disabled }

func ownOrg(w *world, a policy.Actor, id int64) bool { return a.OrgID == id }

// ---- API helpers specific to these kinds ----

func isNotFound(err error) bool { return fault.Is(err, fault.NotFound) }

// withContacts counts an organization when its contacts came back.
func withContacts(item json.RawMessage) (int64, bool, error) {
	var x struct {
		ID       int64             `json:"id"`
		Contacts []json.RawMessage `json:"contacts"`
	}
	if err := json.Unmarshal(item, &x); err != nil {
		return 0, false, err
	}
	return x.ID, len(x.Contacts) > 0, nil
}

// getJSON reads an object the viewer must be allowed to read.
func (c *call) getJSON(u string, out any) error {
	status, body, err := c.get(u)
	if err != nil {
		return err
	}
	if status != 200 {
		return fmt.Errorf("GET %s: status %d: %.300s", u, status, body)
	}
	return json.Unmarshal(body, out)
}

// meCommunities is the list of community ids in GET /api/v1/me.
func meCommunities(c *call) ([]int64, error) {
	var me struct {
		Communities []int64 `json:"communities"`
	}
	err := c.getJSON("/api/v1/me", &me)
	return me.Communities, err
}

// apiListEach opens a list under every id (pattern with %d): a visible item's list is
// there (200, paged through), any other is 404.
func apiListEach(pattern string) func(*call) ([]int64, error) {
	return func(c *call) ([]int64, error) {
		var out []int64
		for _, id := range c.all {
			status, err := c.apiPages(fmt.Sprintf(pattern, id), func(json.RawMessage) error { return nil })
			if err != nil {
				return out, err
			}
			if status == 200 {
				out = append(out, id)
			}
		}
		return out, nil
	}
}

// member is an item of GET /api/v1/communities/{id}/members.
type member struct {
	OrgID  *int64 `json:"org_id"`
	UserID *int64 `json:"user_id"`
}

// apiMembers walks the member list of every community (those not visible are 404) and
// returns the ids pick takes from each membership.
func apiMembers(pick func(member) *int64) func(*call) ([]int64, error) {
	return func(c *call) ([]int64, error) {
		var out []int64
		for _, id := range c.w.ids[colCommunities] {
			_, err := c.apiPages(fmt.Sprintf("/api/v1/communities/%d/members", id), func(item json.RawMessage) error {
				var m member
				if err := json.Unmarshal(item, &m); err != nil {
					return err
				}
				if p := pick(m); p != nil {
					out = append(out, *p)
				}
				return nil
			})
			if err != nil {
				return out, err
			}
		}
		return uniq(out), nil
	}
}

// uniq sorts ids and drops repeats: for paths that are the union of several lists, where
// one item may rightly appear in more than one.
func uniq(ids []int64) []int64 {
	slices.Sort(ids)
	return slices.Compact(ids)
}
