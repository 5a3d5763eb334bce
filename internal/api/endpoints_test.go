package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// endpointTests has, for every operation of the route table, a test of its happy path and
// of what the caller may not do. A hidden item is 404, like a missing one; 403 is for an
// item the caller may see but not change.
var endpointTests = map[string]func(t *testing.T, w *world){
	"GET /api/v1/me": func(t *testing.T, w *world) {
		var me api.Me
		w.as(t, w.memberA).get(api.Prefix+"/me").ok(t, 200, &me)
		if me.User.ID != w.memberA.ID || me.User.Email != w.memberA.Email || me.User.Role != "member" || me.Org.ID != w.orgA.ID ||
			!slices.Equal(me.Communities, []int64{w.c1.ID}) || me.TOTPRequired {
			t.Fatalf("me: %+v", me)
		}
		if len(me.Org.Contacts) != 1 {
			t.Errorf("people see their own organization's contacts: %+v", me.Org)
		}
		w.as(t, w.adminA).get(api.Prefix+"/me").ok(t, 200, &me)
		if me.User.Role != "org-admin" || !me.TOTPRequired || me.Communities == nil {
			t.Fatalf("org admin: %+v", me)
		}
		w.as(t, w.admin).get(api.Prefix+"/me").ok(t, 200, &me)
		if me.User.Role != "center-admin" || len(me.Communities) != 0 || me.Communities == nil {
			t.Fatalf("center admin: %+v", me)
		}
	},
	"PATCH /api/v1/me": func(t *testing.T, w *world) {
		c := w.as(t, w.memberA)
		var u api.User
		c.do("PATCH", api.Prefix+"/me", map[string]any{"display_name": "鈴木 一郎", "lang": "en"}).ok(t, 200, &u)
		if u.DisplayName != "鈴木 一郎" || u.Lang != "en" || u.TimeZone != "Asia/Tokyo" {
			t.Fatalf("updated: %+v", u)
		}
		var me api.Me
		c.get(api.Prefix+"/me").ok(t, 200, &me)
		if me.User.DisplayName != "鈴木 一郎" || me.User.Lang != "en" {
			t.Fatalf("not stored: %+v", me.User)
		}
		// An empty patch changes nothing.
		c.do("PATCH", api.Prefix+"/me", `{}`).ok(t, 200, &u)
		if u.DisplayName != "鈴木 一郎" {
			t.Fatalf("empty patch: %+v", u)
		}
		// People cannot raise their own role or re-enable themselves through their profile.
		c.do("PATCH", api.Prefix+"/me", `{"role":"center-admin"}`).problem(t, 400, "bad-request")
		c.do("PATCH", api.Prefix+"/me", `{"email":"boss@center.example"}`).problem(t, 400, "bad-request")
		c.do("PATCH", api.Prefix+"/me", `{"time_zone":"Mars/Olympus"}`).fieldProblem(t, "time_zone")
		c.do("PATCH", api.Prefix+"/me", `{"display_name":"  "}`).fieldProblem(t, "display_name")
		c.get(api.Prefix+"/me").ok(t, 200, &me)
		if me.User.Role != "member" || me.User.Email != w.memberA.Email {
			t.Fatalf("after refused patches: %+v", me.User)
		}
	},
	"GET /api/v1/orgs": func(t *testing.T, w *world) {
		var list api.List[api.Org]
		// Members see the enabled organizations, and contacts of their own only.
		w.as(t, w.memberA).get(api.Prefix+"/orgs?include_disabled=true").ok(t, 200, &list)
		if got := ids(list.Items, func(o api.Org) int64 { return o.ID }); !slices.Equal(got, []int64{w.center.ID, w.orgA.ID, w.orgB.ID}) || list.NextCursor != "" {
			t.Fatalf("member sees %v (cursor %q)", got, list.NextCursor)
		}
		for _, o := range list.Items {
			if (o.ID == w.orgA.ID) != (len(o.Contacts) > 0) {
				t.Errorf("member sees contacts of %d: %+v", o.ID, o.Contacts)
			}
		}
		// Center staff see disabled ones when they ask, and every contact.
		w.as(t, w.analyst).get(api.Prefix+"/orgs?include_disabled=true").ok(t, 200, &list)
		if len(list.Items) != 4 || list.Items[3].ID != w.disabledOrg.ID || !list.Items[3].Disabled || len(list.Items[2].Contacts) != 1 {
			t.Fatalf("analyst sees %+v", list.Items)
		}
		w.as(t, w.analyst).get(api.Prefix+"/orgs").ok(t, 200, &list)
		if len(list.Items) != 3 {
			t.Fatalf("analyst without include_disabled: %+v", list.Items)
		}
		// Filters.
		w.as(t, w.memberB).get(api.Prefix+"/orgs?kind=center").ok(t, 200, &list)
		if len(list.Items) != 1 || list.Items[0].ID != w.center.ID {
			t.Fatalf("kind=center: %+v", list.Items)
		}
		w.as(t, w.memberB).get(api.Prefix+"/orgs?q=%E6%9D%B1%E9%83%BD").ok(t, 200, &list) // 東都
		if len(list.Items) != 1 || list.Items[0].ID != w.orgA.ID {
			t.Fatalf("q=東都: %+v", list.Items)
		}
		w.as(t, w.memberB).get(api.Prefix+"/orgs?kind=bank").fieldProblem(t, "kind")
		w.as(t, w.memberB).get(api.Prefix+"/orgs?sector=nowhere").fieldProblem(t, "sector")
	},
	"POST /api/v1/orgs": func(t *testing.T, w *world) {
		in := map[string]any{"name_ja": "新しい組織", "name_en": "New Org", "kind": "partner", "sector": "finance",
			"contacts": []map[string]string{{"label": "CSIRT", "email": "csirt@new.example"}}}
		var o api.Org
		w.as(t, w.admin).do("POST", api.Prefix+"/orgs", in).ok(t, 201, &o)
		if o.ID == 0 || o.NameEN != "New Org" || o.Kind != "partner" || o.Sector != "finance" || len(o.Contacts) != 1 || !o.CreatedAt.Equal(w.e.Clock.Now()) {
			t.Fatalf("created: %+v", o)
		}
		got, err := w.e.Directory.GetOrg(ctx, auth.System(), o.ID)
		if err != nil || got.NameJA != "新しい組織" {
			t.Fatalf("stored: %+v %v", got, err)
		}
		w.as(t, w.admin).do("POST", api.Prefix+"/orgs", in).problem(t, 409, "conflict") // the same name
		for _, u := range []model.User{w.analyst, w.adminA, w.memberA} {
			in["name_ja"] = "不正な組織 " + u.Email
			w.as(t, u).do("POST", api.Prefix+"/orgs", in).problem(t, 403, "forbidden")
		}
		orgs, _ := store.ListOrgs(ctx, w.e.DB.Read(), store.OrgQuery{IncludeDisabled: true, Page: store.Page{Limit: 100}})
		if len(orgs) != 5 {
			t.Fatalf("%d organizations", len(orgs))
		}
	},
	"GET /api/v1/orgs/{id}": func(t *testing.T, w *world) {
		var o api.Org
		w.as(t, w.memberB).get(api.Prefix+"/orgs/"+id(w.orgA.ID)).ok(t, 200, &o)
		if o.ID != w.orgA.ID || o.NameJA != w.orgA.NameJA || o.Contacts != nil {
			t.Fatalf("another organization: %+v", o)
		}
		w.as(t, w.memberA).get(api.Prefix+"/orgs/"+id(w.orgA.ID)).ok(t, 200, &o)
		if len(o.Contacts) != 1 {
			t.Fatalf("own organization without contacts: %+v", o)
		}
		// Disabled organizations are hidden from all but center staff.
		w.as(t, w.memberA).get(api.Prefix+"/orgs/"+id(w.disabledOrg.ID)).problem(t, 404, "not-found")
		w.as(t, w.adminA).get(api.Prefix+"/orgs/"+id(w.disabledOrg.ID)).problem(t, 404, "not-found")
		w.as(t, w.analyst).get(api.Prefix+"/orgs/"+id(w.disabledOrg.ID)).ok(t, 200, &o)
		w.as(t, w.memberA).get(api.Prefix+"/orgs/999999").problem(t, 404, "not-found")
	},
	"PUT /api/v1/orgs/{id}": func(t *testing.T, w *world) {
		in := map[string]any{"name_ja": "西日本鉄道グループ", "kind": "operator", "sector": "railway"}
		var o api.Org
		w.as(t, w.admin).do("PUT", api.Prefix+"/orgs/"+id(w.orgB.ID), in).ok(t, 200, &o)
		if o.NameJA != "西日本鉄道グループ" || o.NameEN != "西日本鉄道グループ" || o.Sector != "railway" || len(o.Contacts) != 0 {
			t.Fatalf("replaced: %+v", o)
		}
		// Visible but not theirs to change: 403. Not visible: 404.
		w.as(t, w.memberB).do("PUT", api.Prefix+"/orgs/"+id(w.orgB.ID), map[string]any{"name_ja": "乗っ取り", "kind": "operator"}).problem(t, 403, "forbidden")
		w.as(t, w.analyst).do("PUT", api.Prefix+"/orgs/"+id(w.orgB.ID), map[string]any{"name_ja": "乗っ取り", "kind": "operator"}).problem(t, 403, "forbidden")
		w.as(t, w.adminA).do("PUT", api.Prefix+"/orgs/"+id(w.disabledOrg.ID), map[string]any{"name_ja": "乗っ取り", "kind": "operator"}).problem(t, 404, "not-found")
		w.as(t, w.admin).do("PUT", api.Prefix+"/orgs/999999", in).problem(t, 404, "not-found")
		w.as(t, w.admin).do("PUT", api.Prefix+"/orgs/"+id(w.orgB.ID), map[string]any{"name_ja": w.orgA.NameJA, "kind": "operator"}).problem(t, 409, "conflict")
		got, _ := w.e.Directory.GetOrg(ctx, auth.System(), w.orgB.ID)
		if got.NameJA != "西日本鉄道グループ" {
			t.Fatalf("after refused changes: %q", got.NameJA)
		}
		// Disabling an organization through PUT.
		in["disabled"] = true
		w.as(t, w.admin).do("PUT", api.Prefix+"/orgs/"+id(w.orgB.ID), in).ok(t, 200, &o)
		w.as(t, w.memberA).get(api.Prefix+"/orgs/"+id(w.orgB.ID)).problem(t, 404, "not-found")
	},
	"GET /api/v1/users": func(t *testing.T, w *world) {
		var list api.List[api.User]
		userIDs := func(l api.List[api.User]) []int64 { return ids(l.Items, func(u api.User) int64 { return u.ID }) }
		w.as(t, w.memberA).get(api.Prefix+"/users").ok(t, 200, &list)
		if got := userIDs(list); !slices.Equal(got, []int64{w.adminA.ID, w.memberA.ID, w.memberA2.ID}) {
			t.Fatalf("member A sees %v", got)
		}
		w.as(t, w.memberB).get(api.Prefix+"/users").ok(t, 200, &list)
		if got := userIDs(list); !slices.Equal(got, []int64{w.memberB.ID}) {
			t.Fatalf("member B sees %v", got)
		}
		// Asking for another organization's people does not widen the view.
		w.as(t, w.memberB).get(api.Prefix+"/users?org_id="+id(w.orgA.ID)).ok(t, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("member B sees A's people: %v", userIDs(list))
		}
		w.as(t, w.analyst).get(api.Prefix+"/users?org_id="+id(w.orgA.ID)+"&q=member").ok(t, 200, &list)
		if got := userIDs(list); !slices.Equal(got, []int64{w.memberA.ID, w.memberA2.ID}) {
			t.Fatalf("analyst, org A, q=member: %v", got)
		}
		// Disabled people: listed to those who manage them only.
		if _, err := w.e.Directory.UpdateUser(ctx, auth.System(), w.memberA2.ID, directoryDisable()); err != nil {
			t.Fatal(err)
		}
		w.as(t, w.memberA).get(api.Prefix+"/users?include_disabled=true&org_id="+id(w.orgA.ID)).ok(t, 200, &list)
		if got := userIDs(list); slices.Contains(got, w.memberA2.ID) {
			t.Fatalf("a member sees a disabled colleague: %v", got)
		}
		w.as(t, w.adminA).get(api.Prefix+"/users?include_disabled=true&org_id="+id(w.orgA.ID)).ok(t, 200, &list)
		if got := userIDs(list); !slices.Contains(got, w.memberA2.ID) {
			t.Fatalf("the org admin does not see a disabled colleague: %v", got)
		}
		w.as(t, w.memberA).get(api.Prefix+"/users?org_id=abc").fieldProblem(t, "org_id")
	},
	"POST /api/v1/users": func(t *testing.T, w *world) {
		var u api.UserCreated
		w.as(t, w.adminA).do("POST", api.Prefix+"/users", map[string]any{"org_id": w.orgA.ID, "email": "New@A.example", "display_name": "新人"}).ok(t, 201, &u)
		if u.ID == 0 || u.Email != "New@a.example" || u.Role != "member" || u.Lang != "ja" || u.TimeZone != "Asia/Tokyo" ||
			!strings.HasPrefix(u.SignInLink, "http://renkei.test/welcome/") || !u.SignInLinkExpiry.After(w.e.Clock.Now()) {
			t.Fatalf("created: %+v", u)
		}
		w.as(t, w.admin).do("POST", api.Prefix+"/users", map[string]any{"org_id": w.center.ID, "email": "analyst2@center.example",
			"display_name": "分析官", "role": "analyst", "lang": "en", "time_zone": "UTC"}).ok(t, 201, &u)
		if u.Role != "analyst" || u.Lang != "en" || u.TimeZone != "UTC" {
			t.Fatalf("created: %+v", u)
		}
		// Org admins add people to their own organization only, and grant no center role.
		w.as(t, w.adminA).do("POST", api.Prefix+"/users", map[string]any{"org_id": w.orgB.ID, "email": "x@b.example", "display_name": "x"}).problem(t, 403, "forbidden")
		w.as(t, w.adminA).do("POST", api.Prefix+"/users", map[string]any{"org_id": w.orgA.ID, "email": "y@a.example", "display_name": "y", "role": "center-admin"}).fieldProblem(t, "role")
		w.as(t, w.memberA).do("POST", api.Prefix+"/users", map[string]any{"org_id": w.orgA.ID, "email": "z@a.example", "display_name": "z"}).problem(t, 403, "forbidden")
		w.as(t, w.analyst).do("POST", api.Prefix+"/users", map[string]any{"org_id": w.orgA.ID, "email": "z@a.example", "display_name": "z"}).problem(t, 403, "forbidden")
		w.as(t, w.adminA).do("POST", api.Prefix+"/users", map[string]any{"org_id": w.orgA.ID, "email": w.memberA.Email, "display_name": "dup"}).problem(t, 409, "conflict")
		for _, email := range []string{"x@b.example", "y@a.example", "z@a.example"} {
			if _, err := store.GetUserByEmail(ctx, w.e.DB.Read(), email); err == nil {
				t.Errorf("%s was created", email)
			}
		}
	},
	"GET /api/v1/users/{id}": func(t *testing.T, w *world) {
		var u api.User
		w.as(t, w.memberA).get(api.Prefix+"/users/"+id(w.memberA2.ID)).ok(t, 200, &u)
		if u.ID != w.memberA2.ID || u.Email != w.memberA2.Email || u.OrgID != w.orgA.ID {
			t.Fatalf("colleague: %+v", u)
		}
		// Another organization's person, with no community in common: not found.
		w.as(t, w.memberA).get(api.Prefix+"/users/"+id(w.memberB.ID)).problem(t, 404, "not-found")
		w.as(t, w.adminA).get(api.Prefix+"/users/"+id(w.memberB.ID)).problem(t, 404, "not-found")
		w.as(t, w.memberB).get(api.Prefix+"/users/"+id(w.admin.ID)).problem(t, 404, "not-found")
		w.as(t, w.analyst).get(api.Prefix+"/users/"+id(w.memberB.ID)).ok(t, 200, &u)
		// Sharing a community makes them visible to each other.
		if err := w.e.Communities.AddUser(ctx, auth.System(), w.c1.ID, w.memberB.ID); err != nil {
			t.Fatal(err)
		}
		w.as(t, w.memberA).get(api.Prefix+"/users/"+id(w.memberB.ID)).ok(t, 200, &u)
		w.as(t, w.memberB).get(api.Prefix+"/users/"+id(w.memberA.ID)).ok(t, 200, &u)
	},
	"PATCH /api/v1/users/{id}": func(t *testing.T, w *world) {
		var u api.User
		w.as(t, w.adminA).do("PATCH", api.Prefix+"/users/"+id(w.memberA.ID), map[string]any{"role": "org-admin", "display_name": "昇格"}).ok(t, 200, &u)
		if u.Role != "org-admin" || u.DisplayName != "昇格" || u.Email != w.memberA.Email {
			t.Fatalf("patched: %+v", u)
		}
		// A colleague they may see but not manage: 403; someone they may not see: 404.
		w.as(t, w.memberA2).do("PATCH", api.Prefix+"/users/"+id(w.adminA.ID), map[string]any{"role": "member"}).problem(t, 403, "forbidden")
		w.as(t, w.memberA2).do("PATCH", api.Prefix+"/users/"+id(w.memberB.ID), map[string]any{"disabled": true}).problem(t, 404, "not-found")
		w.as(t, w.adminA).do("PATCH", api.Prefix+"/users/"+id(w.memberB.ID), map[string]any{"disabled": true}).problem(t, 404, "not-found")
		w.as(t, w.analyst).do("PATCH", api.Prefix+"/users/"+id(w.memberB.ID), map[string]any{"disabled": true}).problem(t, 403, "forbidden")
		w.as(t, w.adminA).do("PATCH", api.Prefix+"/users/"+id(w.memberA2.ID), map[string]any{"role": "analyst"}).fieldProblem(t, "role")
		w.as(t, w.adminA).do("PATCH", api.Prefix+"/users/"+id(w.adminA.ID), map[string]any{"disabled": true}).fieldProblem(t, "disabled")
		w.as(t, w.admin).do("PATCH", api.Prefix+"/users/"+id(w.admin.ID), map[string]any{"role": "member"}).fieldProblem(t, "role")
		got, _ := store.GetUser(ctx, w.e.DB.Read(), w.memberB.ID)
		if got.Disabled {
			t.Fatal("member B was disabled")
		}
		got, _ = store.GetUser(ctx, w.e.DB.Read(), w.memberA2.ID)
		if got.Role() != model.RoleMember {
			t.Fatal("member A2's role changed")
		}
		// Disabling through the API ends the person's API access.
		w.as(t, w.admin).do("PATCH", api.Prefix+"/users/"+id(w.memberB.ID), map[string]any{"disabled": true}).ok(t, 200, &u)
		if !u.Disabled {
			t.Fatalf("not disabled: %+v", u)
		}
		unauthorized(t, w.as(t, w.memberB).get(api.Prefix+"/me"))
	},
	"GET /api/v1/communities": func(t *testing.T, w *world) {
		var list api.List[api.Community]
		cids := func() []int64 { return ids(list.Items, func(c api.Community) int64 { return c.ID }) }
		w.as(t, w.memberA).get(api.Prefix+"/communities").ok(t, 200, &list)
		if !slices.Equal(cids(), []int64{w.c1.ID}) || list.Items[0].NameEN != w.c1.NameEN {
			t.Fatalf("member A: %+v", list.Items)
		}
		w.as(t, w.memberA).get(api.Prefix+"/communities?all=true").ok(t, 200, &list)
		if !slices.Equal(cids(), []int64{w.c1.ID}) {
			t.Fatalf("member A, all=true: %v", cids())
		}
		w.as(t, w.memberB).get(api.Prefix+"/communities?all=true").ok(t, 200, &list)
		if len(list.Items) != 0 || list.Items == nil {
			t.Fatalf("member B: %+v", list)
		}
		w.as(t, w.admin).get(api.Prefix+"/communities").ok(t, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("the center admin belongs to none: %v", cids())
		}
		w.as(t, w.admin).get(api.Prefix+"/communities?all=true").ok(t, 200, &list)
		if !slices.Equal(cids(), []int64{w.c1.ID, w.c2.ID}) {
			t.Fatalf("center admin, all=true: %v", cids())
		}
	},
	"POST /api/v1/communities": func(t *testing.T, w *world) {
		var c api.Community
		w.as(t, w.admin).do("POST", api.Prefix+"/communities", map[string]any{"name_ja": "電力", "description_ja": "電力事業者の集まり\n二行目"}).ok(t, 201, &c)
		if c.ID == 0 || c.NameJA != "電力" || c.NameEN != "電力" || c.DescriptionJA != "電力事業者の集まり\n二行目" {
			t.Fatalf("created: %+v", c)
		}
		w.as(t, w.admin).do("POST", api.Prefix+"/communities", map[string]any{"name_ja": "電力"}).problem(t, 409, "conflict")
		for _, u := range []model.User{w.analyst, w.adminA, w.memberA} {
			w.as(t, u).do("POST", api.Prefix+"/communities", map[string]any{"name_ja": "勝手な " + u.Email}).problem(t, 403, "forbidden")
		}
		all, _ := store.ListCommunities(ctx, w.e.DB.Read(), store.Filter{}, store.Page{Limit: 100})
		if len(all) != 3 {
			t.Fatalf("%d communities", len(all))
		}
	},
	"GET /api/v1/communities/{id}": func(t *testing.T, w *world) {
		var c api.Community
		w.as(t, w.memberA).get(api.Prefix+"/communities/"+id(w.c1.ID)).ok(t, 200, &c)
		if c.ID != w.c1.ID || c.NameJA != w.c1.NameJA {
			t.Fatalf("c1: %+v", c)
		}
		w.as(t, w.memberA).get(api.Prefix+"/communities/"+id(w.c2.ID)).problem(t, 404, "not-found")
		w.as(t, w.memberB).get(api.Prefix+"/communities/"+id(w.c1.ID)).problem(t, 404, "not-found")
		w.as(t, w.analyst).get(api.Prefix+"/communities/"+id(w.c1.ID)).problem(t, 404, "not-found")
		w.as(t, w.admin).get(api.Prefix+"/communities/"+id(w.c2.ID)).ok(t, 200, &c)
		w.as(t, w.admin).get(api.Prefix+"/communities/999999").problem(t, 404, "not-found")
	},
	"PUT /api/v1/communities/{id}": func(t *testing.T, w *world) {
		var c api.Community
		in := map[string]any{"name_ja": "改名", "name_en": "Renamed", "description_en": "About"}
		w.as(t, w.admin).do("PUT", api.Prefix+"/communities/"+id(w.c1.ID), in).ok(t, 200, &c)
		if c.ID != w.c1.ID || c.NameJA != "改名" || c.NameEN != "Renamed" || c.DescriptionEN != "About" || c.DescriptionJA != "" ||
			!c.CreatedAt.Equal(w.c1.CreatedAt) || !c.UpdatedAt.Equal(w.e.Clock.Now()) {
			t.Fatalf("replaced: %+v", c)
		}
		w.as(t, w.memberA).do("PUT", api.Prefix+"/communities/"+id(w.c1.ID), map[string]any{"name_ja": "乗っ取り"}).problem(t, 403, "forbidden")
		w.as(t, w.memberA).do("PUT", api.Prefix+"/communities/"+id(w.c2.ID), map[string]any{"name_ja": "乗っ取り"}).problem(t, 404, "not-found")
		w.as(t, w.admin).do("PUT", api.Prefix+"/communities/"+id(w.c2.ID), map[string]any{"name_ja": "改名"}).problem(t, 409, "conflict")
		got, _ := store.GetCommunity(ctx, w.e.DB.Read(), w.c1.ID)
		if got.NameJA != "改名" {
			t.Fatalf("stored: %+v", got)
		}
	},
	"GET /api/v1/communities/{id}/members": func(t *testing.T, w *world) {
		if err := w.e.Communities.AddUser(ctx, auth.System(), w.c1.ID, w.analyst.ID); err != nil {
			t.Fatal(err)
		}
		var list api.List[api.Member]
		w.as(t, w.memberA).get(api.Prefix+"/communities/"+id(w.c1.ID)+"/members").ok(t, 200, &list)
		if len(list.Items) != 2 {
			t.Fatalf("members: %+v", list.Items)
		}
		org, person := list.Items[0], list.Items[1]
		if org.OrgID == nil || *org.OrgID != w.orgA.ID || org.UserID != nil || org.NameJA != w.orgA.NameJA {
			t.Fatalf("organization member: %+v", org)
		}
		if person.UserID == nil || *person.UserID != w.analyst.ID || person.OrgID != nil || person.NameJA != w.analyst.DisplayName {
			t.Fatalf("personal member: %+v", person)
		}
		w.as(t, w.memberB).get(api.Prefix+"/communities/"+id(w.c1.ID)+"/members").problem(t, 404, "not-found")
		w.as(t, w.memberA).get(api.Prefix+"/communities/"+id(w.c2.ID)+"/members").problem(t, 404, "not-found")
		w.as(t, w.admin).get(api.Prefix+"/communities/"+id(w.c2.ID)+"/members").ok(t, 200, &list)
		if len(list.Items) != 0 || list.Items == nil {
			t.Fatalf("c2: %+v", list)
		}
	},
	"POST /api/v1/communities/{id}/members": func(t *testing.T, w *world) {
		path := api.Prefix + "/communities/" + id(w.c1.ID) + "/members"
		w.as(t, w.memberB).get(api.Prefix+"/communities/"+id(w.c1.ID)).problem(t, 404, "not-found")
		r := w.as(t, w.admin).do("POST", path, map[string]any{"org_id": w.orgB.ID})
		r.ok(t, 204, nil)
		if len(r.body) != 0 {
			t.Fatalf("204 with a body: %s", r.body)
		}
		w.as(t, w.memberB).get(api.Prefix+"/communities/"+id(w.c1.ID)).ok(t, 200, nil)
		w.as(t, w.admin).do("POST", path, map[string]any{"user_id": w.analyst.ID}).ok(t, 204, nil)
		// Adding twice is harmless.
		w.as(t, w.admin).do("POST", path, map[string]any{"user_id": w.analyst.ID}).ok(t, 204, nil)
		var me api.Me
		w.as(t, w.analyst).get(api.Prefix+"/me").ok(t, 200, &me)
		if !slices.Equal(me.Communities, []int64{w.c1.ID}) {
			t.Fatalf("analyst's communities: %v", me.Communities)
		}
		// Exactly one of the two, and an existing one.
		w.as(t, w.admin).do("POST", path, `{}`).fieldProblem(t, "org_id")
		w.as(t, w.admin).do("POST", path, map[string]any{"org_id": w.orgB.ID, "user_id": w.memberB.ID}).fieldProblem(t, "org_id")
		w.as(t, w.admin).do("POST", path, map[string]any{"org_id": 999999}).fieldProblem(t, "org_id")
		w.as(t, w.admin).do("POST", path, map[string]any{"user_id": 999999}).fieldProblem(t, "user_id")
		// Members may see the community but not change it; others may not see it.
		w.as(t, w.memberA).do("POST", path, map[string]any{"user_id": w.memberA2.ID}).problem(t, 403, "forbidden")
		w.as(t, w.memberA).do("POST", api.Prefix+"/communities/"+id(w.c2.ID)+"/members", map[string]any{"org_id": w.orgA.ID}).problem(t, 404, "not-found")
		w.as(t, w.analyst).do("POST", api.Prefix+"/communities/"+id(w.c2.ID)+"/members", map[string]any{"org_id": w.orgA.ID}).problem(t, 404, "not-found")
		rows, _ := store.ListMemberRows(ctx, w.e.DB.Read(), w.c1.ID, store.Filter{}, store.Page{Limit: 100})
		rows2, _ := store.ListMemberRows(ctx, w.e.DB.Read(), w.c2.ID, store.Filter{}, store.Page{Limit: 100})
		if len(rows) != 3 || len(rows2) != 0 {
			t.Fatalf("memberships: %d in c1, %d in c2", len(rows), len(rows2))
		}
	},
	"DELETE /api/v1/communities/{id}/members/orgs/{org_id}": func(t *testing.T, w *world) {
		path := api.Prefix + "/communities/" + id(w.c1.ID) + "/members/orgs/" + id(w.orgA.ID)
		w.as(t, w.memberA).do("DELETE", path, nil).problem(t, 403, "forbidden")
		w.as(t, w.memberB).do("DELETE", path, nil).problem(t, 404, "not-found")
		w.as(t, w.admin).do("DELETE", path, nil).ok(t, 204, nil)
		w.as(t, w.memberA).get(api.Prefix+"/communities/"+id(w.c1.ID)).problem(t, 404, "not-found")
		w.as(t, w.admin).do("DELETE", path, nil).problem(t, 404, "not-found") // no longer a member
		w.as(t, w.admin).do("DELETE", api.Prefix+"/communities/"+id(w.c1.ID)+"/members/orgs/999999", nil).fieldProblem(t, "org_id")
	},
	"DELETE /api/v1/communities/{id}/members/users/{user_id}": func(t *testing.T, w *world) {
		if err := w.e.Communities.AddUser(ctx, auth.System(), w.c2.ID, w.memberB.ID); err != nil {
			t.Fatal(err)
		}
		path := api.Prefix + "/communities/" + id(w.c2.ID) + "/members/users/" + id(w.memberB.ID)
		w.as(t, w.memberB).do("DELETE", path, nil).problem(t, 403, "forbidden") // not even themselves
		w.as(t, w.memberA).do("DELETE", path, nil).problem(t, 404, "not-found")
		w.as(t, w.memberB).get(api.Prefix+"/communities/"+id(w.c2.ID)).ok(t, 200, nil)
		w.as(t, w.admin).do("DELETE", path, nil).ok(t, 204, nil)
		w.as(t, w.memberB).get(api.Prefix+"/communities/"+id(w.c2.ID)).problem(t, 404, "not-found")
		w.as(t, w.admin).do("DELETE", path, nil).problem(t, 404, "not-found")
	},
	"PUT /api/v1/communities/{id}/moderators/{user_id}": func(t *testing.T, w *world) {
		path := api.Prefix + "/communities/" + id(w.c1.ID) + "/moderators/" + id(w.memberA.ID)
		w.as(t, w.memberA).do("PUT", path, nil).problem(t, 403, "forbidden")
		w.as(t, w.memberB).do("PUT", path, nil).problem(t, 404, "not-found")
		w.as(t, w.admin).do("PUT", path, nil).ok(t, 204, nil)
		mods, err := w.e.Communities.Moderators(ctx, auth.System(), w.c1.ID)
		if err != nil || len(mods) != 1 || mods[0].ID != w.memberA.ID {
			t.Fatalf("moderators: %v %v", mods, err)
		}
		// Only members can moderate.
		w.as(t, w.admin).do("PUT", api.Prefix+"/communities/"+id(w.c1.ID)+"/moderators/"+id(w.memberB.ID), nil).fieldProblem(t, "user_id")
		w.as(t, w.admin).do("PUT", api.Prefix+"/communities/"+id(w.c1.ID)+"/moderators/999999", nil).fieldProblem(t, "user_id")
	},
	"DELETE /api/v1/communities/{id}/moderators/{user_id}": func(t *testing.T, w *world) {
		if err := w.e.Communities.SetModerator(ctx, auth.System(), w.c1.ID, w.memberA.ID, true); err != nil {
			t.Fatal(err)
		}
		path := api.Prefix + "/communities/" + id(w.c1.ID) + "/moderators/" + id(w.memberA.ID)
		w.as(t, w.memberA).do("DELETE", path, nil).problem(t, 403, "forbidden")
		w.as(t, w.memberB).do("DELETE", path, nil).problem(t, 404, "not-found")
		w.as(t, w.admin).do("DELETE", path, nil).ok(t, 204, nil)
		if mods, _ := w.e.Communities.Moderators(ctx, auth.System(), w.c1.ID); len(mods) != 0 {
			t.Fatalf("moderators: %v", mods)
		}
	},
	"GET /api/v1/tokens": func(t *testing.T, w *world) {
		second, _, err := w.e.Auth.CreateToken(ctx, auth.System(), w.memberA.ID, "second")
		if err != nil {
			t.Fatal(err)
		}
		var list api.List[api.Token] // strict decoding: a secret ("token") would be an unknown field
		r := w.as(t, w.memberA).get(api.Prefix + "/tokens")
		r.ok(t, 200, &list)
		for _, secret := range []string{second, w.tokens[w.memberA.ID]} {
			if strings.Contains(string(r.body), secret[len(auth.TokenPrefix)+6:]) {
				t.Fatal("the list shows a secret")
			}
		}
		if len(list.Items) != 2 || list.Items[0].Name != "second" || list.Items[1].Name != "test" || list.NextCursor != "" {
			t.Fatalf("tokens: %+v", list)
		}
		for _, tok := range list.Items {
			if !tok.Active || !strings.HasPrefix(tok.Prefix, "rk_") || len(tok.Prefix) != 9 || tok.RevokedAt != nil {
				t.Errorf("token: %+v", tok)
			}
		}
		if !strings.HasPrefix(w.tokens[w.memberA.ID], list.Items[1].Prefix) {
			t.Errorf("prefix %q is not the start of the secret", list.Items[1].Prefix)
		}
		// Everyone sees their own tokens only, administrators included.
		w.as(t, w.adminA).get(api.Prefix+"/tokens").ok(t, 200, &list)
		if len(list.Items) != 1 {
			t.Fatalf("org admin sees %+v", list.Items)
		}
		w.as(t, w.admin).get(api.Prefix+"/tokens?user_id="+id(w.memberA.ID)).ok(t, 200, &list)
		if len(list.Items) != 1 {
			t.Fatalf("center admin sees %+v", list.Items)
		}
	},
	"POST /api/v1/tokens": func(t *testing.T, w *world) {
		var tc api.TokenCreated
		w.as(t, w.memberA).do("POST", api.Prefix+"/tokens", map[string]any{"name": "  CI pipeline  "}).ok(t, 201, &tc)
		if tc.Name != "CI pipeline" || !strings.HasPrefix(tc.Secret, "rk_") || !strings.HasPrefix(tc.Secret, tc.Prefix) || !tc.Active {
			t.Fatalf("created: %+v", tc)
		}
		var me api.Me
		(&client{t: t, base: w.base, header: http.Header{"Authorization": {"Bearer " + tc.Secret}}}).get(api.Prefix+"/me").ok(t, 200, &me)
		if me.User.ID != w.memberA.ID {
			t.Fatalf("the new token is %d's", me.User.ID)
		}
		// No way to make a token for someone else.
		w.as(t, w.admin).do("POST", api.Prefix+"/tokens", map[string]any{"name": "x", "user_id": w.memberA.ID}).problem(t, 400, "bad-request")
		w.as(t, w.memberA).do("POST", api.Prefix+"/tokens", map[string]any{"name": ""}).fieldProblem(t, "name")
		w.as(t, w.memberA).do("POST", api.Prefix+"/tokens", map[string]any{"name": strings.Repeat("長", auth.MaxTokenNameLen+1)}).fieldProblem(t, "name")
		if n := tokenCount(t, w, w.memberA.ID); n != 2 {
			t.Fatalf("%d tokens", n)
		}
		if n := tokenCount(t, w, w.admin.ID); n != 1 {
			t.Fatalf("%d admin tokens", n)
		}
	},
	"DELETE /api/v1/tokens/{id}": func(t *testing.T, w *world) {
		own := func(u model.User) int64 {
			ts, err := w.e.Auth.Tokens(ctx, u.ID)
			if err != nil || len(ts) == 0 {
				t.Fatal(ts, err)
			}
			return ts[0].ID
		}
		a, a2, b := own(w.memberA), own(w.memberA2), own(w.memberB)
		// Another organization's token is not found; a colleague's they do not manage
		// neither; their administrator may revoke it.
		w.as(t, w.memberA).do("DELETE", api.Prefix+"/tokens/"+id(b), nil).problem(t, 404, "not-found")
		w.as(t, w.memberA).do("DELETE", api.Prefix+"/tokens/"+id(a2), nil).problem(t, 404, "not-found")
		w.as(t, w.adminA).do("DELETE", api.Prefix+"/tokens/"+id(b), nil).problem(t, 404, "not-found")
		w.as(t, w.memberA).do("DELETE", api.Prefix+"/tokens/999999", nil).problem(t, 404, "not-found")
		w.as(t, w.memberB).get(api.Prefix+"/me").ok(t, 200, nil)
		w.as(t, w.memberA2).get(api.Prefix+"/me").ok(t, 200, nil)
		w.as(t, w.adminA).do("DELETE", api.Prefix+"/tokens/"+id(a2), nil).ok(t, 204, nil)
		unauthorized(t, w.as(t, w.memberA2).get(api.Prefix+"/me"))
		// A second token revokes the first; the revoked one shows as inactive.
		secret, _, err := w.e.Auth.CreateToken(ctx, auth.System(), w.memberA.ID, "spare")
		if err != nil {
			t.Fatal(err)
		}
		spare := &client{t: t, base: w.base, header: http.Header{"Authorization": {"Bearer " + secret}}}
		spare.do("DELETE", api.Prefix+"/tokens/"+id(a), nil).ok(t, 204, nil)
		unauthorized(t, w.as(t, w.memberA).get(api.Prefix+"/me"))
		var list api.List[api.Token]
		spare.get(api.Prefix+"/tokens").ok(t, 200, &list)
		if len(list.Items) != 2 || list.Items[1].ID != a || list.Items[1].Active || list.Items[1].RevokedAt == nil {
			t.Fatalf("tokens: %+v", list.Items)
		}
		spare.do("DELETE", api.Prefix+"/tokens/"+id(a), nil).problem(t, 409, "conflict")
	},
	"GET /api/v1/audit": func(t *testing.T, w *world) {
		var list api.List[api.AuditRecord]
		w.as(t, w.admin).get(api.Prefix+"/audit?action=token.created").ok(t, 200, &list)
		if len(list.Items) != 6 {
			t.Fatalf("%d token.created records", len(list.Items))
		}
		for i, r := range list.Items {
			if r.Action != "token.created" || r.TargetType != "user" || r.Hash == "" || len(r.PrevHash) != 64 || (i > 0 && r.Seq >= list.Items[i-1].Seq) {
				t.Errorf("record %d: %+v", i, r)
			}
		}
		w.as(t, w.admin).get(api.Prefix+"/audit?action=org.&target_type=org&target_id="+id(w.orgB.ID)).ok(t, 200, &list)
		if len(list.Items) != 1 || list.Items[0].Action != "org.created" || list.Items[0].TargetID != w.orgB.ID || string(list.Items[0].Detail) == "" {
			t.Fatalf("org B: %+v", list.Items)
		}
		// The log is for center admins only: other center staff and members are refused.
		for _, u := range []model.User{w.analyst, w.adminA, w.memberA} {
			w.as(t, u).get(api.Prefix+"/audit").problem(t, 403, "forbidden")
		}
		w.as(t, w.admin).get(api.Prefix+"/audit?since=yesterday").fieldProblem(t, "since")
		p := w.as(t, w.admin).get(api.Prefix+"/audit?actor_id=x&before=-1").problem(t, 422, "validation-error")
		if len(p.Errors) != 2 {
			t.Fatalf("errors: %+v", p.Errors)
		}
	},
	"GET /api/v1/openapi.json": func(t *testing.T, w *world) {
		// The document is public; TestOpenAPIDocument checks its content.
		r := w.anon(t).get(api.Prefix + "/openapi.json")
		r.ok(t, 200, nil)
		if r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
		}
	},
}

// elsewhere are path prefixes whose operations are being written in another session
// (topics.go); their tests belong in endpointTests too, when they settle.
var elsewhere = []string{api.Prefix + "/topics", api.Prefix + "/comments", api.Prefix + "/attachments",
	api.Prefix + "/notices", api.Prefix + "/assets"} // observation: observe_test.go

func testedElsewhere(pattern string) bool {
	_, path, _ := strings.Cut(pattern, " ")
	for _, p := range elsewhere {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

func TestEveryEndpoint(t *testing.T) {
	t.Parallel()
	patterns := routePatterns(t)
	for _, p := range patterns {
		if endpointTests[p] == nil {
			if testedElsewhere(p) {
				t.Logf("no endpoint test here for %s", p)
				continue
			}
			t.Errorf("no endpoint test for %s", p)
		}
	}
	for p := range endpointTests {
		if !slices.Contains(patterns, p) {
			t.Errorf("endpoint test for %s, which is not in the route table", p)
		}
	}
	for _, p := range patterns {
		if fn := endpointTests[p]; fn != nil {
			method, path, _ := strings.Cut(p, " ")
			name := method + " " + strings.ReplaceAll(strings.TrimPrefix(path, api.Prefix+"/"), "/", " ") // no / in names, for -run
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				testdb.Each(t, func(t *testing.T, db *store.DB) { fn(t, newWorld(t, db)) })
			})
		}
	}
}

func directoryDisable() directory.UserPatch { return directory.UserPatch{Disabled: ptr(true)} }
