package policy_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

var ctx = context.Background()

// world is a small fixed directory built through the services:
//
//	center  (center)    centerAdmin, analyst, centerMember
//	A       (operator)  aAdmin, aMember, aGone (disabled)
//	B       (partner)   bAdmin, bMember, bGone (disabled)
//	C       (venue)     cMember
//	D       (other, disabled)  dMember
//
//	k1: org A, bMember          k2: org B, dMember, analyst
//	k3: aGone                   k4: nobody
//	k5: org D, org C, bGone
type world struct {
	e      *testapp.Env
	db     *store.DB
	orgs   map[string]model.Org
	people map[string]model.User
	comms  map[string]model.Community
}

func buildWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	e := testapp.New(t, db)
	w := &world{e: e, db: db, orgs: map[string]model.Org{}, people: map[string]model.User{}, comms: map[string]model.Community{}}
	sys := auth.System()
	for name, kind := range map[string]model.OrgKind{"center": model.KindCenter, "A": model.KindOperator, "B": model.KindPartner,
		"C": model.KindVenue, "D": model.KindOther} {
		w.orgs[name] = e.Org("組織"+name, kind)
	}
	for _, p := range []struct {
		name, org string
		role      model.Role
	}{
		{"centerAdmin", "center", model.RoleCenterAdmin}, {"analyst", "center", model.RoleAnalyst}, {"centerMember", "center", model.RoleMember},
		{"aAdmin", "A", model.RoleOrgAdmin}, {"aMember", "A", model.RoleMember}, {"aGone", "A", model.RoleMember},
		{"bAdmin", "B", model.RoleOrgAdmin}, {"bMember", "B", model.RoleMember}, {"bGone", "B", model.RoleMember},
		{"cMember", "C", model.RoleMember}, {"dMember", "D", model.RoleMember},
	} {
		u, err := e.Directory.CreateUser(ctx, sys, directory.UserInput{OrgID: w.orgs[p.org].ID, Email: p.name + "@renkei.example",
			DisplayName: p.name, Role: string(p.role)})
		if err != nil {
			t.Fatal(err)
		}
		w.people[p.name] = u
	}
	for _, k := range []string{"k1", "k2", "k3", "k4", "k5"} {
		c, err := e.Communities.Create(ctx, sys, community.Input{NameJA: "コミュニティ" + k, NameEN: "Community " + k})
		if err != nil {
			t.Fatal(err)
		}
		w.comms[k] = c
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.Communities.AddOrg(ctx, sys, w.comms["k1"].ID, w.orgs["A"].ID))
	must(e.Communities.AddUser(ctx, sys, w.comms["k1"].ID, w.people["bMember"].ID))
	must(e.Communities.AddOrg(ctx, sys, w.comms["k2"].ID, w.orgs["B"].ID))
	must(e.Communities.AddUser(ctx, sys, w.comms["k2"].ID, w.people["dMember"].ID))
	must(e.Communities.AddUser(ctx, sys, w.comms["k2"].ID, w.people["analyst"].ID))
	must(e.Communities.AddUser(ctx, sys, w.comms["k3"].ID, w.people["aGone"].ID))
	must(e.Communities.AddOrg(ctx, sys, w.comms["k5"].ID, w.orgs["D"].ID))
	must(e.Communities.AddOrg(ctx, sys, w.comms["k5"].ID, w.orgs["C"].ID))
	must(e.Communities.AddUser(ctx, sys, w.comms["k5"].ID, w.people["bGone"].ID))
	yes := true
	for _, name := range []string{"aGone", "bGone"} {
		u, err := e.Directory.UpdateUser(ctx, sys, w.people[name].ID, directory.UserPatch{Disabled: &yes})
		must(err)
		w.people[name] = u
	}
	d := w.orgs["D"]
	o, err := e.Directory.UpdateOrg(ctx, sys, d.ID, directory.OrgInput{NameJA: d.NameJA, NameEN: d.NameEN, Kind: string(d.Kind), Disabled: true})
	must(err)
	w.orgs["D"] = o
	return w
}

// viewers returns every person's actor as a signed-in request would load it, and the operator's.
func (w *world) viewers(t *testing.T) map[string]policy.Actor {
	t.Helper()
	out := map[string]policy.Actor{"system": auth.System().Actor}
	for name, u := range w.people {
		out[name] = w.e.Principal(u).Actor
	}
	return out
}

// rows runs "SELECT col FROM from WHERE filter" and returns the ids.
func (w *world) rows(t *testing.T, col, from string, f store.Filter) []int64 {
	t.Helper()
	where := "TRUE"
	if f.SQL != "" {
		where = "(" + f.SQL + ")"
	}
	rs, err := w.db.Read().Query(ctx, "SELECT "+col+" FROM "+from+" WHERE "+where+" ORDER BY "+col, f.Args...)
	if err != nil {
		t.Fatalf("%s: %v", f.SQL, err)
	}
	defer rs.Close()
	var ids []int64
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// agree checks that the filter's rows are exactly the ids the predicate allows, and counts
// how often the predicate said yes and no, so that a test cannot pass on an empty world.
type tally struct{ yes, no int }

func agree(t *testing.T, what, viewer string, all, got []int64, allowed func(id int64) bool, n *tally) {
	t.Helper()
	for _, id := range all {
		want := allowed(id)
		if want {
			n.yes++
		} else {
			n.no++
		}
		if has := slices.Contains(got, id); has != want {
			t.Errorf("%s, viewer %s, id %d: filter %v, predicate %v", what, viewer, id, has, want)
		}
	}
	for _, id := range got {
		if !slices.Contains(all, id) {
			t.Errorf("%s, viewer %s: filter returned unknown id %d", what, viewer, id)
		}
	}
}

func (n tally) mixed(t *testing.T, what string) {
	t.Helper()
	if n.yes == 0 || n.no == 0 {
		t.Errorf("%s: the world never tests both answers (%d yes, %d no)", what, n.yes, n.no)
	}
}

func TestSQLFiltersAgreeWithTheirPredicates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := buildWorld(t, db)
		viewers := w.viewers(t)
		allComms := w.rows(t, "c.id", "communities c", store.Filter{})
		allUsers := w.rows(t, "u.id", "users u", store.Filter{})
		allOrgs := w.rows(t, "id", "orgs", store.Filter{})
		allRows := w.rows(t, "m.id", "community_members m", store.Filter{})
		if len(allComms) != 5 || len(allUsers) != 11 || len(allOrgs) != 5 || len(allRows) != 9 {
			t.Fatalf("world: %d communities, %d people, %d orgs, %d memberships", len(allComms), len(allUsers), len(allOrgs), len(allRows))
		}
		var member, view, person, memberRow, org tally
		for name, a := range viewers {
			agree(t, "MemberFilter", name, allComms, w.rows(t, "c.id", "communities c", policy.MemberFilter(a)),
				func(id int64) bool { return policy.IsCommunityMember(a, id) }, &member)
			agree(t, "CommunityFilter", name, allComms, w.rows(t, "c.id", "communities c", policy.CommunityFilter(a)),
				func(id int64) bool { return policy.CanViewCommunity(a, id) }, &view)
			agree(t, "PersonFilter", name, allUsers, w.rows(t, "u.id", "users u", policy.PersonFilter(a)),
				func(id int64) bool {
					u, err := store.GetUser(ctx, db.Read(), id)
					if err != nil {
						t.Fatal(err)
					}
					facts, err := directory.PersonFacts(ctx, db.Read(), u)
					if err != nil {
						t.Fatal(err)
					}
					return policy.CanViewPerson(a, facts)
				}, &person)
			agree(t, "MemberRowFilter", name, allRows,
				w.rows(t, "m.id", "community_members m LEFT JOIN orgs o ON o.id = m.org_id LEFT JOIN users u ON u.id = m.user_id", policy.MemberRowFilter(a)),
				func(id int64) bool { return policy.CanListMember(a, w.memberFacts(t, id)) }, &memberRow)
			listed, err := store.ListOrgs(ctx, db.Read(), store.OrgQuery{IncludeDisabled: policy.OrgFilter(a), Page: store.Page{Limit: store.MaxPage}})
			if err != nil {
				t.Fatal(err)
			}
			var orgIDs []int64
			for _, o := range listed {
				orgIDs = append(orgIDs, o.ID)
			}
			agree(t, "OrgFilter", name, allOrgs, orgIDs, func(id int64) bool {
				o, err := store.GetOrg(ctx, db.Read(), id)
				if err != nil {
					t.Fatal(err)
				}
				return policy.CanViewOrg(a, policy.OrgFacts{ID: o.ID, Disabled: o.Disabled})
			}, &org)
		}
		member.mixed(t, "MemberFilter")
		view.mixed(t, "CommunityFilter")
		person.mixed(t, "PersonFilter")
		memberRow.mixed(t, "MemberRowFilter")
		org.mixed(t, "OrgFilter")
	})
}

// memberFacts loads what CanListMember needs about one membership row.
func (w *world) memberFacts(t *testing.T, rowID int64) policy.MemberFacts {
	t.Helper()
	var orgID, userID int64
	err := w.db.Read().QueryRow(ctx, "SELECT COALESCE(org_id, 0), COALESCE(user_id, 0) FROM community_members WHERE id = ?", rowID).Scan(&orgID, &userID)
	if err != nil {
		t.Fatal(err)
	}
	if orgID != 0 {
		o, err := store.GetOrg(ctx, w.db.Read(), orgID)
		if err != nil {
			t.Fatal(err)
		}
		return policy.MemberFacts{Org: &policy.OrgFacts{ID: o.ID, Disabled: o.Disabled}}
	}
	u, err := store.GetUser(ctx, w.db.Read(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return policy.MemberFacts{PersonOrgID: u.OrgID, PersonDisabled: u.Disabled}
}

// TestTheWorldSeesWhatTheRulesSay pins a few answers of the small world by name, so that
// filters and predicates cannot agree on something wrong.
func TestTheWorldSeesWhatTheRulesSay(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := buildWorld(t, db)
		v := w.viewers(t)
		names := func(ids []int64, from map[string]int64) []string {
			var out []string
			for n, id := range from {
				if slices.Contains(ids, id) {
					out = append(out, n)
				}
			}
			slices.Sort(out)
			return out
		}
		commIDs := map[string]int64{}
		for n, c := range w.comms {
			commIDs[n] = c.ID
		}
		userIDs := map[string]int64{}
		for n, u := range w.people {
			userIDs[n] = u.ID
		}
		for _, tc := range []struct {
			viewer, what string
			got          []string
			want         string
		}{
			{"aMember", "communities", names(w.rows(t, "c.id", "communities c", policy.CommunityFilter(v["aMember"])), commIDs), "[k1]"},
			{"bMember", "communities", names(w.rows(t, "c.id", "communities c", policy.CommunityFilter(v["bMember"])), commIDs), "[k1 k2]"},
			{"analyst", "communities", names(w.rows(t, "c.id", "communities c", policy.CommunityFilter(v["analyst"])), commIDs), "[k2]"},
			{"centerAdmin", "communities", names(w.rows(t, "c.id", "communities c", policy.CommunityFilter(v["centerAdmin"])), commIDs), "[k1 k2 k3 k4 k5]"},
			{"centerAdmin", "own communities", names(w.rows(t, "c.id", "communities c", policy.MemberFilter(v["centerAdmin"])), commIDs), "[]"},
			{"dMember", "communities", names(w.rows(t, "c.id", "communities c", policy.CommunityFilter(v["dMember"])), commIDs), "[k2 k5]"},
			{"aMember", "people", names(w.rows(t, "u.id", "users u", policy.PersonFilter(v["aMember"])), userIDs), "[aAdmin aGone aMember bMember]"},
			{"cMember", "people", names(w.rows(t, "u.id", "users u", policy.PersonFilter(v["cMember"])), userIDs), "[bGone cMember dMember]"},
			{"centerMember", "people", names(w.rows(t, "u.id", "users u", policy.PersonFilter(v["centerMember"])), userIDs), "[analyst centerAdmin centerMember]"},
			{"bAdmin", "people", names(w.rows(t, "u.id", "users u", policy.PersonFilter(v["bAdmin"])), userIDs), "[analyst bAdmin bGone bMember dMember]"},
		} {
			if got := fmt.Sprint(tc.got); got != tc.want {
				t.Errorf("%s's %s: %s, want %s", tc.viewer, tc.what, got, tc.want)
			}
		}
	})
}

// addTopics posts topics of every kind to the world, and deletes one.
func (w *world) addTopics(t *testing.T) {
	t.Helper()
	post := func(author string, in sns.TopicInput) model.Topic {
		t.Helper()
		in.Title, in.Body, in.InfoType = "件名", "本文", "alert"
		x, err := w.e.SNS.CreateTopic(ctx, w.e.Principal(w.people[author]), in)
		if err != nil {
			t.Fatalf("%s posts %+v: %v", author, in, err)
		}
		return x
	}
	k1, k2, k5 := w.comms["k1"].ID, w.comms["k2"].ID, w.comms["k5"].ID
	post("aMember", sns.TopicInput{CommunityID: k1, TLP: "green", Scope: "community"})
	post("bMember", sns.TopicInput{CommunityID: k1, TLP: "amber+strict", Scope: "community"})
	post("aAdmin", sns.TopicInput{CommunityID: k1, TLP: "amber", Scope: "selected", Audience: model.Audience{Users: []int64{w.people["bMember"].ID}}})
	post("bMember", sns.TopicInput{CommunityID: k1, TLP: "amber", Scope: "selected", Audience: model.Audience{Orgs: []int64{w.orgs["A"].ID}}})
	post("aMember", sns.TopicInput{CommunityID: k1, TLP: "red", Scope: "selected", Audience: model.Audience{Users: []int64{w.people["bMember"].ID}}})
	post("analyst", sns.TopicInput{CommunityID: k2, TLP: "clear", Scope: "community"})
	post("dMember", sns.TopicInput{CommunityID: k2, TLP: "red", Scope: "selected", Audience: model.Audience{Users: []int64{w.people["bAdmin"].ID}}})
	post("bAdmin", sns.TopicInput{CommunityID: k2, TLP: "green", Scope: "selected", ShowAudience: true,
		Audience: model.Audience{Orgs: []int64{w.orgs["B"].ID}, Users: []int64{w.people["analyst"].ID}}})
	gone := post("cMember", sns.TopicInput{CommunityID: k5, TLP: "green", Scope: "community"})
	post("cMember", sns.TopicInput{CommunityID: k5, TLP: "amber", Scope: "community"})
	if err := w.e.SNS.DeleteTopic(ctx, w.e.Principal(w.people["cMember"]), gone.ID); err != nil {
		t.Fatal(err)
	}
}

func TestTopicFiltersAgreeWithCanViewTopic(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := buildWorld(t, db)
		w.addTopics(t)
		all := w.rows(t, "t.id", "topics t", store.Filter{})
		if len(all) != 10 {
			t.Fatalf("%d topics", len(all))
		}
		var n tally
		for name, a := range w.viewers(t) {
			allowed := func(id int64) bool {
				x, err := store.GetTopic(ctx, db.Read(), id)
				if err != nil {
					t.Fatal(err)
				}
				aud, err := store.GetAudience(ctx, db.Read(), id)
				if err != nil {
					t.Fatal(err)
				}
				return policy.CanViewTopic(a, sns.Facts(x, aud))
			}
			agree(t, "TopicFilter", name, all, w.rows(t, "t.id", "topics t", policy.TopicFilter(a)), allowed, &n)
			var union []int64
			for _, src := range policy.TopicSources(a) {
				for _, id := range w.rows(t, "t.id", "topics t", src) {
					if !slices.Contains(union, id) {
						union = append(union, id)
					}
				}
			}
			agree(t, "TopicSources", name, all, union, allowed, &n)
		}
		n.mixed(t, "topics")
	})
}
