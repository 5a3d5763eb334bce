package community_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

var ctx = context.Background()

var sys = auth.System()

// cast: the center (a center admin, an analyst), organization A (an org admin and a
// member), B (a member) and C (a member who belongs to nothing), and community k that
// holds organization A as a whole and B's member personally.
type cast struct {
	e                     *testapp.Env
	db                    *store.DB
	center, a, b, cOrg    model.Org
	centerAdmin, analyst  model.User
	aAdmin, aMember       model.User
	bMember, cMember      model.User
	k                     model.Community
	admin                 auth.Principal
	kMembers, kNonMembers []model.User
}

func newCast(t *testing.T, db *store.DB) *cast {
	t.Helper()
	e := testapp.New(t, db)
	c := &cast{e: e, db: db}
	c.center = e.Org("対処調整センター", model.KindCenter)
	c.a = e.Org("東都電力", model.KindOperator)
	c.b = e.Org("西日本セキュリティ", model.KindPartner)
	c.cOrg = e.Org("北海道ガス", model.KindOperator)
	c.centerAdmin = e.Person(c.center, "admin@ccc.example", model.RoleCenterAdmin)
	c.analyst = e.Person(c.center, "analyst@ccc.example", model.RoleAnalyst)
	c.aAdmin = e.Person(c.a, "admin@toto.example", model.RoleOrgAdmin)
	c.aMember = e.Person(c.a, "m@toto.example", model.RoleMember)
	c.bMember = e.Person(c.b, "k@west.example", model.RoleMember)
	c.cMember = e.Person(c.cOrg, "h@hokkaido.example", model.RoleMember)
	c.admin = e.Principal(c.centerAdmin)
	k, err := e.Communities.Create(ctx, c.admin, community.Input{NameJA: "電力ISAC", NameEN: "Electricity ISAC", DescriptionJA: "電力分野の情報共有"})
	if err != nil {
		t.Fatal(err)
	}
	c.k = k
	c.must(t, e.Communities.AddOrg(ctx, c.admin, k.ID, c.a.ID))
	c.must(t, e.Communities.AddUser(ctx, c.admin, k.ID, c.bMember.ID))
	c.kMembers = []model.User{c.aAdmin, c.aMember, c.bMember}
	c.kNonMembers = []model.User{c.analyst, c.cMember}
	return c
}

func (c *cast) must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (c *cast) p(u model.User) auth.Principal { return c.e.Principal(u) }

func records(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRow(ctx, "SELECT COUNT(*) FROM audit_log").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func lastRecord(t *testing.T, db *store.DB) model.AuditRecord {
	t.Helper()
	recs, err := audit.List(ctx, db, sys.Actor, audit.Query{Limit: 1})
	if err != nil || len(recs) != 1 {
		t.Fatal(err)
	}
	return recs[0]
}

func wantFault(t *testing.T, what string, err error, kind fault.Kind, field, key string) {
	t.Helper()
	fs := fault.Fields(err)
	if len(fs) != 1 || fault.KindOf(err) != kind || fs[0].Kind != kind || fs[0].Field != field || fs[0].Key != key {
		t.Errorf("%s: got %v, want %s %s: %s", what, err, field, kind, key)
	}
}

func fieldKeys(err error) string {
	m := map[string]string{}
	for _, f := range fault.Fields(err) {
		m[f.Field] = f.Key
	}
	return fmt.Sprint(m)
}

// memberLabels lists a community's whole member list as seen by p: "org:NAME" and "user:EMAIL".
func (c *cast) memberLabels(t *testing.T, p auth.Principal, id int64) []string {
	t.Helper()
	var out []string
	page := store.Page{Limit: 2}
	for {
		rows, err := c.e.Communities.Members(ctx, p, id, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.OrgID != 0 {
				out = append(out, "org:"+r.OrgNameJA)
			} else {
				out = append(out, "user:"+r.UserEmail)
			}
		}
		if len(rows) < page.Limit {
			return out
		}
		page.After = rows[len(rows)-1].ID
	}
}

func TestCreateCleansInputAndIsForCenterAdmins(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		c.e.Clock.Advance(time.Hour)
		x, err := c.e.Communities.Create(ctx, c.admin, community.Input{NameJA: "  交通  ISAC ", DescriptionJA: "\r\n鉄道・航空\r\n\r\n  と道路\n", DescriptionEN: " "})
		if err != nil {
			t.Fatal(err)
		}
		if x.NameJA != "交通 ISAC" || x.NameEN != "交通 ISAC" || x.DescriptionJA != "鉄道・航空\n\n  と道路" || x.DescriptionEN != "" ||
			!x.CreatedAt.Equal(c.e.Clock.Now()) {
			t.Fatalf("%+v", x)
		}
		got, err := c.e.Communities.Get(ctx, c.admin, x.ID)
		if err != nil || got.NameJA != x.NameJA || got.DescriptionJA != x.DescriptionJA || !got.CreatedAt.Equal(x.CreatedAt) {
			t.Fatalf("%+v %v", got, err)
		}
		if r := lastRecord(t, db); r.Action != "community.created" || r.TargetID != x.ID || r.ActorUserID != c.centerAdmin.ID {
			t.Fatalf("%+v", r)
		}
		before := records(t, db)
		for _, u := range []model.User{c.aMember, c.aAdmin, c.analyst} {
			_, err := c.e.Communities.Create(ctx, c.p(u), community.Input{NameJA: "勝手なコミュニティ"})
			wantFault(t, u.Email, err, fault.Forbidden, "", "error.forbidden")
		}
		for _, tc := range []struct {
			in   community.Input
			want string
		}{
			{community.Input{}, "map[name_ja:invalid.required]"},
			{community.Input{NameJA: strings.Repeat("名", community.MaxNameLen+1), NameEN: strings.Repeat("n", community.MaxNameLen+1)},
				"map[name_en:invalid.too_long name_ja:invalid.too_long]"},
			{community.Input{NameJA: "x", DescriptionJA: strings.Repeat("説", community.MaxDescriptionLen+1), DescriptionEN: strings.Repeat("d", community.MaxDescriptionLen+1)},
				"map[description_en:invalid.too_long description_ja:invalid.too_long]"},
		} {
			_, err := c.e.Communities.Create(ctx, c.admin, tc.in)
			if fault.KindOf(err) != fault.Invalid || fieldKeys(err) != tc.want {
				t.Errorf("%v, want %s", err, tc.want)
			}
		}
		if _, err := c.e.Communities.Create(ctx, c.admin, community.Input{NameJA: "x", DescriptionJA: strings.Repeat("説", community.MaxDescriptionLen)}); err != nil {
			t.Errorf("a description of exactly the limit: %v", err)
		}
		if records(t, db) != before+1 {
			t.Fatal("a refused community was written")
		}
	})
}

func TestDuplicateCommunityNamesAreAConflict(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		before := records(t, db)
		for _, tc := range []struct {
			in    community.Input
			field string
		}{
			{community.Input{NameJA: "電力ISAC", NameEN: "Other"}, "name_ja"},
			{community.Input{NameJA: "電力ＩＳＡＣ", NameEN: "Other"}, "name_ja"},
			{community.Input{NameJA: "別名", NameEN: "electricity  isac"}, "name_en"},
		} {
			_, err := c.e.Communities.Create(ctx, c.admin, tc.in)
			wantFault(t, tc.in.NameJA, err, fault.Conflict, tc.field, "community.duplicate")
		}
		other, err := c.e.Communities.Create(ctx, c.admin, community.Input{NameJA: "ガスISAC"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.e.Communities.Update(ctx, c.admin, other.ID, community.Input{NameJA: "電力isac"})
		wantFault(t, "rename", err, fault.Conflict, "name_ja", "community.duplicate")
		if got, _ := c.e.Communities.Get(ctx, c.admin, other.ID); got.NameJA != "ガスISAC" {
			t.Fatalf("renamed to %s", got.NameJA)
		}
		if records(t, db) != before+1 {
			t.Fatal("a duplicate was recorded")
		}
	})
}

func TestUpdateIsForCenterAdminsAndHiddenFromNonMembers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		before := records(t, db)
		in := community.Input{NameJA: "乗っ取り", DescriptionJA: "改ざん"}
		for _, u := range c.kMembers {
			_, err := c.e.Communities.Update(ctx, c.p(u), c.k.ID, in)
			wantFault(t, "member "+u.Email, err, fault.Forbidden, "", "error.forbidden")
		}
		for _, u := range c.kNonMembers {
			_, err := c.e.Communities.Update(ctx, c.p(u), c.k.ID, in)
			wantFault(t, "non-member "+u.Email, err, fault.NotFound, "", "error.not_found")
		}
		if got, _ := c.e.Communities.Get(ctx, c.admin, c.k.ID); got.NameJA != c.k.NameJA || got.DescriptionJA != c.k.DescriptionJA {
			t.Fatalf("%+v", got)
		}
		if records(t, db) != before {
			t.Fatal("a refused update was recorded")
		}
		c.e.Clock.Advance(time.Minute)
		x, err := c.e.Communities.Update(ctx, c.admin, c.k.ID, community.Input{NameJA: "電力・ガスISAC", NameEN: "Energy ISAC", DescriptionEN: "Energy"})
		if err != nil || x.NameJA != "電力・ガスISAC" || !x.UpdatedAt.Equal(c.e.Clock.Now()) {
			t.Fatalf("%+v %v", x, err)
		}
		got, _ := c.e.Communities.Get(ctx, c.p(c.aMember), c.k.ID)
		if got.NameEN != "Energy ISAC" || got.DescriptionJA != "" || got.DescriptionEN != "Energy" || !got.CreatedAt.Equal(c.k.CreatedAt) {
			t.Fatalf("%+v", got)
		}
		if r := lastRecord(t, db); r.Action != "community.updated" || r.TargetID != c.k.ID {
			t.Fatalf("%+v", r)
		}
		_, err = c.e.Communities.Update(ctx, c.admin, c.k.ID, community.Input{})
		wantFault(t, "invalid update", err, fault.Invalid, "name_ja", "invalid.required")
		_, err = c.e.Communities.Update(ctx, c.admin, 99999, community.Input{NameJA: "x"})
		wantFault(t, "missing", err, fault.NotFound, "", "error.not_found")
	})
}

func TestOnlyMembersAndCenterAdminsSeeACommunity(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		empty, err := c.e.Communities.Create(ctx, c.admin, community.Input{NameJA: "空のコミュニティ"})
		if err != nil {
			t.Fatal(err)
		}
		ids := func(cs []model.Community, err error) []int64 {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, x := range cs {
				out = append(out, x.ID)
			}
			return out
		}
		for _, u := range c.kMembers {
			p := c.p(u)
			if _, err := c.e.Communities.Get(ctx, p, c.k.ID); err != nil {
				t.Errorf("%s: %v", u.Email, err)
			}
			if x, err := c.e.Communities.Find(ctx, p, "電力ｉｓａｃ"); err != nil || x.ID != c.k.ID {
				t.Errorf("%s finds: %v", u.Email, err)
			}
			if _, err := c.e.Communities.Members(ctx, p, c.k.ID, store.Page{}); err != nil {
				t.Errorf("%s members: %v", u.Email, err)
			}
			if _, err := c.e.Communities.Moderators(ctx, p, c.k.ID); err != nil {
				t.Errorf("%s moderators: %v", u.Email, err)
			}
			if got := ids(c.e.Communities.List(ctx, p, store.Page{})); fmt.Sprint(got) != fmt.Sprint([]int64{c.k.ID}) {
				t.Errorf("%s lists %v", u.Email, got)
			}
			if got := ids(c.e.Communities.Mine(ctx, p, store.Page{})); fmt.Sprint(got) != fmt.Sprint([]int64{c.k.ID}) {
				t.Errorf("%s: mine %v", u.Email, got)
			}
		}
		// Non-members, analysts included, get "not found", never "forbidden".
		for _, u := range c.kNonMembers {
			p := c.p(u)
			_, err := c.e.Communities.Get(ctx, p, c.k.ID)
			wantFault(t, u.Email+" get", err, fault.NotFound, "", "error.not_found")
			_, err = c.e.Communities.Find(ctx, p, "電力ISAC")
			if !fault.Is(err, fault.NotFound) {
				t.Errorf("%s finds: %v", u.Email, err)
			}
			_, err = c.e.Communities.Members(ctx, p, c.k.ID, store.Page{})
			wantFault(t, u.Email+" members", err, fault.NotFound, "", "error.not_found")
			_, err = c.e.Communities.Moderators(ctx, p, c.k.ID)
			wantFault(t, u.Email+" moderators", err, fault.NotFound, "", "error.not_found")
			if got := ids(c.e.Communities.List(ctx, p, store.Page{})); len(got) != 0 {
				t.Errorf("%s lists %v", u.Email, got)
			}
		}
		// The center admin sees every community but belongs to none.
		if got := ids(c.e.Communities.List(ctx, c.admin, store.Page{})); fmt.Sprint(got) != fmt.Sprint([]int64{c.k.ID, empty.ID}) {
			t.Errorf("admin lists %v", got)
		}
		if got := ids(c.e.Communities.Mine(ctx, c.admin, store.Page{})); len(got) != 0 {
			t.Errorf("admin's own: %v", got)
		}
		if _, err := c.e.Communities.Members(ctx, c.admin, empty.ID, store.Page{}); err != nil {
			t.Errorf("admin members: %v", err)
		}
		// An analyst added personally becomes a member like anyone else.
		c.must(t, c.e.Communities.AddUser(ctx, c.admin, c.k.ID, c.analyst.ID))
		if _, err := c.e.Communities.Get(ctx, c.p(c.analyst), c.k.ID); err != nil {
			t.Errorf("analyst after joining: %v", err)
		}
		_, err = c.e.Communities.Get(ctx, c.p(c.aMember), 99999)
		wantFault(t, "missing", err, fault.NotFound, "", "error.not_found")
		_, err = c.e.Communities.Find(ctx, c.admin, "存在しない")
		if fe := fault.As(err); fe.Kind != fault.NotFound || fe.Key != "community.not_found" || fe.Args["ref"] != "存在しない" {
			t.Errorf("unknown: %v", err)
		}
		if x, err := c.e.Communities.Find(ctx, c.admin, fmt.Sprint(c.k.ID)); err != nil || x.ID != c.k.ID {
			t.Errorf("find by id: %v", err)
		}
	})
}

func TestAddingAndRemovingMembers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		admin := c.admin
		admin.Client = auth.Client{IP: "192.0.2.5"}
		c.must(t, c.e.Communities.AddOrg(ctx, admin, c.k.ID, c.cOrg.ID))
		r := lastRecord(t, db)
		if r.Action != "community.member_added" || r.TargetType != "community" || r.TargetID != c.k.ID ||
			r.Detail != fmt.Sprintf(`{"org_id":%d}`, c.cOrg.ID) || r.ActorUserID != c.centerAdmin.ID || r.IP != "192.0.2.5" {
			t.Fatalf("%+v", r)
		}
		if _, err := c.e.Communities.Get(ctx, c.p(c.cMember), c.k.ID); err != nil {
			t.Fatalf("a person of a member organization does not see it: %v", err)
		}
		// Adding again changes nothing and records nothing.
		before := records(t, db)
		c.must(t, c.e.Communities.AddOrg(ctx, admin, c.k.ID, c.cOrg.ID))
		c.must(t, c.e.Communities.AddUser(ctx, admin, c.k.ID, c.bMember.ID))
		if records(t, db) != before {
			t.Error("a membership that already existed was recorded again")
		}
		want := []string{"org:東都電力", "user:k@west.example", "org:北海道ガス"}
		if got := c.memberLabels(t, c.admin, c.k.ID); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("members %v", got)
		}
		// A person may be a member personally and through their organization at once.
		c.must(t, c.e.Communities.AddUser(ctx, admin, c.k.ID, c.aMember.ID))
		c.must(t, c.e.Communities.RemoveOrg(ctx, admin, c.k.ID, c.a.ID))
		if r := lastRecord(t, db); r.Action != "community.member_removed" || r.Detail != fmt.Sprintf(`{"org_id":%d}`, c.a.ID) {
			t.Fatalf("%+v", r)
		}
		if _, err := c.e.Communities.Get(ctx, c.p(c.aMember), c.k.ID); err != nil {
			t.Errorf("the personal membership did not survive: %v", err)
		}
		if _, err := c.e.Communities.Get(ctx, c.p(c.aAdmin), c.k.ID); !fault.Is(err, fault.NotFound) {
			t.Errorf("the org's removal did not reach its admin: %v", err)
		}
		c.must(t, c.e.Communities.RemoveUser(ctx, admin, c.k.ID, c.aMember.ID))
		if r := lastRecord(t, db); r.Action != "community.member_removed" || r.Detail != fmt.Sprintf(`{"user_id":%d}`, c.aMember.ID) {
			t.Fatalf("%+v", r)
		}
		if _, err := c.e.Communities.Get(ctx, c.p(c.aMember), c.k.ID); !fault.Is(err, fault.NotFound) {
			t.Errorf("removed member still sees it: %v", err)
		}
		// Errors change nothing.
		before = records(t, db)
		wantFault(t, "remove a non-member org", c.e.Communities.RemoveOrg(ctx, admin, c.k.ID, c.a.ID), fault.NotFound, "", "community.not_a_member")
		wantFault(t, "remove a non-member", c.e.Communities.RemoveUser(ctx, admin, c.k.ID, c.cMember.ID), fault.NotFound, "", "community.not_a_member")
		wantFault(t, "add a missing org", c.e.Communities.AddOrg(ctx, admin, c.k.ID, 99999), fault.Invalid, "org_id", "org.not_found")
		wantFault(t, "add a missing person", c.e.Communities.AddUser(ctx, admin, c.k.ID, 99999), fault.Invalid, "user_id", "user.not_found")
		wantFault(t, "missing community", c.e.Communities.AddOrg(ctx, admin, 99999, c.a.ID), fault.NotFound, "", "error.not_found")
		for _, u := range []model.User{c.bMember, c.cMember} { // members of k
			p := c.p(u)
			wantFault(t, u.Email+" adds", c.e.Communities.AddUser(ctx, p, c.k.ID, c.aAdmin.ID), fault.Forbidden, "", "error.forbidden")
			wantFault(t, u.Email+" removes", c.e.Communities.RemoveOrg(ctx, p, c.k.ID, c.cOrg.ID), fault.Forbidden, "", "error.forbidden")
		}
		for _, u := range []model.User{c.aAdmin, c.analyst} { // not members of k
			p := c.p(u)
			wantFault(t, u.Email+" adds", c.e.Communities.AddOrg(ctx, p, c.k.ID, c.a.ID), fault.NotFound, "", "error.not_found")
			wantFault(t, u.Email+" removes", c.e.Communities.RemoveUser(ctx, p, c.k.ID, c.bMember.ID), fault.NotFound, "", "error.not_found")
		}
		if records(t, db) != before {
			t.Fatal("a refused change was recorded")
		}
		want = []string{"user:k@west.example", "org:北海道ガス"}
		if got := c.memberLabels(t, c.admin, c.k.ID); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("members %v", got)
		}
	})
}

func TestModeratorsMustBeMembersAndLoseTheRoleWithTheMembership(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		before := records(t, db)
		err := c.e.Communities.SetModerator(ctx, c.admin, c.k.ID, c.cMember.ID, true)
		wantFault(t, "non-member", err, fault.Invalid, "user_id", "community.moderator_not_member")
		err = c.e.Communities.SetModerator(ctx, c.admin, c.k.ID, 99999, true)
		wantFault(t, "missing person", err, fault.Invalid, "user_id", "user.not_found")
		wantFault(t, "member sets", c.e.Communities.SetModerator(ctx, c.p(c.aAdmin), c.k.ID, c.aAdmin.ID, true), fault.Forbidden, "", "error.forbidden")
		wantFault(t, "non-member sets", c.e.Communities.SetModerator(ctx, c.p(c.cMember), c.k.ID, c.cMember.ID, true), fault.NotFound, "", "error.not_found")
		if records(t, db) != before {
			t.Fatal("a refused change was recorded")
		}
		// A member through their organization, and one in person.
		c.must(t, c.e.Communities.SetModerator(ctx, c.admin, c.k.ID, c.aMember.ID, true))
		if r := lastRecord(t, db); r.Action != "community.moderator_added" || r.Detail != fmt.Sprintf(`{"user_id":%d}`, c.aMember.ID) {
			t.Fatalf("%+v", r)
		}
		c.must(t, c.e.Communities.SetModerator(ctx, c.admin, c.k.ID, c.bMember.ID, true))
		c.must(t, c.e.Communities.SetModerator(ctx, c.admin, c.k.ID, c.aAdmin.ID, true))
		moderators := func(p auth.Principal) string {
			t.Helper()
			us, err := c.e.Communities.Moderators(ctx, p, c.k.ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, u := range us {
				out = append(out, u.Email)
			}
			slices.Sort(out)
			return strings.Join(out, " ")
		}
		if got := moderators(c.p(c.bMember)); got != "admin@toto.example k@west.example m@toto.example" {
			t.Fatalf("moderators %s", got)
		}
		// The member list marks a personal member who moderates.
		rows, err := c.e.Communities.Members(ctx, c.p(c.aMember), c.k.ID, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Moderator != (r.UserID == c.bMember.ID) {
				t.Errorf("row %+v: moderator %v", r, r.Moderator)
			}
		}
		c.must(t, c.e.Communities.SetModerator(ctx, c.admin, c.k.ID, c.aAdmin.ID, false))
		if r := lastRecord(t, db); r.Action != "community.moderator_removed" {
			t.Fatalf("%+v", r)
		}
		// Giving someone a personal membership keeps them moderating when their organization goes.
		c.must(t, c.e.Communities.AddUser(ctx, c.admin, c.k.ID, c.aMember.ID))
		c.must(t, c.e.Communities.SetModerator(ctx, c.admin, c.k.ID, c.aAdmin.ID, true))
		c.must(t, c.e.Communities.RemoveOrg(ctx, c.admin, c.k.ID, c.a.ID))
		if got := moderators(c.admin); got != "k@west.example m@toto.example" {
			t.Fatalf("after removing organization A: %s", got)
		}
		r := lastRecord(t, db)
		if r.Action != "community.moderator_removed" || r.Detail != fmt.Sprintf(`{"reason":"no_longer_member","user_id":%d}`, c.aAdmin.ID) {
			t.Fatalf("%+v", r)
		}
		c.must(t, c.e.Communities.RemoveUser(ctx, c.admin, c.k.ID, c.bMember.ID))
		if got := moderators(c.admin); got != "m@toto.example" {
			t.Fatalf("after removing B's member: %s", got)
		}
		// Someone who left cannot be made moderator again without joining.
		err = c.e.Communities.SetModerator(ctx, c.admin, c.k.ID, c.bMember.ID, true)
		wantFault(t, "former member", err, fault.Invalid, "user_id", "community.moderator_not_member")
		if rep, err := audit.Verify(ctx, db); err != nil || !rep.OK() {
			t.Fatalf("%+v %v", rep, err)
		}
	})
}

func TestDisabledMembersAreHiddenFromOrdinaryMembers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		gone := c.e.Org("解散組織", model.KindOther)
		aGone := c.e.Person(c.a, "gone@toto.example", model.RoleMember)
		bGone := c.e.Person(c.b, "gone@west.example", model.RoleMember)
		for _, id := range []int64{aGone.ID, bGone.ID} {
			c.must(t, c.e.Communities.AddUser(ctx, c.admin, c.k.ID, id))
		}
		c.must(t, c.e.Communities.AddOrg(ctx, c.admin, c.k.ID, gone.ID))
		c.must(t, c.e.Communities.AddUser(ctx, c.admin, c.k.ID, c.analyst.ID))
		c.must(t, c.e.Communities.SetModerator(ctx, c.admin, c.k.ID, bGone.ID, true))
		c.must(t, c.e.Communities.SetModerator(ctx, c.admin, c.k.ID, aGone.ID, true))
		c.must(t, c.e.Communities.SetModerator(ctx, c.admin, c.k.ID, c.bMember.ID, true))
		yes := true
		for _, id := range []int64{aGone.ID, bGone.ID} {
			if _, err := c.e.Directory.UpdateUser(ctx, sys, id, directory.UserPatch{Disabled: &yes}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.e.Directory.UpdateOrg(ctx, sys, gone.ID, directory.OrgInput{NameJA: gone.NameJA, Kind: "other", Disabled: true}); err != nil {
			t.Fatal(err)
		}
		everyone := "[org:東都電力 user:k@west.example user:gone@toto.example user:gone@west.example org:解散組織 user:analyst@ccc.example]"
		for _, tc := range []struct {
			name       string
			p          auth.Principal
			members    string
			moderators string
		}{
			{"member of A", c.p(c.aMember), "[org:東都電力 user:k@west.example user:analyst@ccc.example]", "k@west.example"},
			{"member of B", c.p(c.bMember), "[org:東都電力 user:k@west.example user:analyst@ccc.example]", "k@west.example"},
			// An org admin also sees the disabled people of their own organization.
			{"org admin of A", c.p(c.aAdmin), "[org:東都電力 user:k@west.example user:gone@toto.example user:analyst@ccc.example]", "gone@toto.example k@west.example"},
			{"analyst (a member)", c.p(c.analyst), everyone, "gone@toto.example gone@west.example k@west.example"},
			{"center admin (not a member)", c.admin, everyone, "gone@toto.example gone@west.example k@west.example"},
			{"operator", sys, everyone, "gone@toto.example gone@west.example k@west.example"},
		} {
			if got := fmt.Sprint(c.memberLabels(t, tc.p, c.k.ID)); got != tc.members {
				t.Errorf("%s sees members %s, want %s", tc.name, got, tc.members)
			}
			us, err := c.e.Communities.Moderators(ctx, tc.p, c.k.ID)
			if err != nil {
				t.Fatal(err)
			}
			var mods []string
			for _, u := range us {
				mods = append(mods, u.Email)
			}
			slices.Sort(mods)
			if got := strings.Join(mods, " "); got != tc.moderators {
				t.Errorf("%s sees moderators %s, want %s", tc.name, got, tc.moderators)
			}
		}
	})
}

func TestMembersArePagedByKeyset(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		x, err := c.e.Communities.Create(ctx, c.admin, community.Input{NameJA: "大規模"})
		if err != nil {
			t.Fatal(err)
		}
		const n = store.MaxPage + 20
		now := c.e.Clock.Now()
		err = db.Write(ctx, func(conn store.Conn) error {
			for i := 0; i < n; i++ {
				id, err := store.InsertOrg(ctx, conn, model.Org{NameJA: fmt.Sprintf("組織%03d", i), NameEN: fmt.Sprintf("Org %03d", i), Kind: model.KindOther}, now)
				if err != nil {
					return err
				}
				if _, err := store.AddMember(ctx, conn, x.ID, id, 0, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for limit, want := range map[int]int{0: 50, -3: 50, 1: 1, 37: 37, store.MaxPage: store.MaxPage, store.MaxPage + 1: store.MaxPage} {
			rows, err := c.e.Communities.Members(ctx, c.admin, x.ID, store.Page{Limit: limit})
			if err != nil || len(rows) != want {
				t.Errorf("limit %d: %d rows, want %d (%v)", limit, len(rows), want, err)
			}
		}
		// Walking the pages gives every member once, in the order they were added.
		var seen []string
		page := store.Page{Limit: 64}
		for pages := 0; ; pages++ {
			rows, err := c.e.Communities.Members(ctx, c.admin, x.ID, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				seen = append(seen, r.OrgNameJA)
			}
			if len(rows) < page.Limit {
				break
			}
			if pages > n {
				t.Fatal("paging does not end")
			}
			page.After = rows[len(rows)-1].ID
		}
		if len(seen) != n {
			t.Fatalf("%d members seen, want %d", len(seen), n)
		}
		for i, name := range seen {
			if name != fmt.Sprintf("組織%03d", i) {
				t.Fatalf("member %d is %s", i, name)
			}
		}
		// Another community's members never leak into the pages.
		rows, _ := c.e.Communities.Members(ctx, c.admin, c.k.ID, store.Page{Limit: store.MaxPage})
		if len(rows) != 2 {
			t.Fatalf("community k has %d rows", len(rows))
		}
	})
}
