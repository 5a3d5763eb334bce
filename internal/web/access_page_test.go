package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// accessWorld is a center, three member organizations and a disabled one: A has contact
// points and shares a community with C; B shares nothing.
type accessWorld struct {
	env                       *testapp.Env
	base                      string
	center, a, b, c, gone     model.Org
	chief, adminA             model.User
	chiefTOTP, adminATOTP     []byte
	memberA, memberB, memberC model.User
}

const (
	contactEmail = "soc-desk@toto-power.example"
	contactPhone = "03-1234-5678"
)

func newAccessWorld(t *testing.T, db *store.DB) *accessWorld {
	env := testapp.New(t, db)
	w := &accessWorld{env: env}
	ctx, sys := testapp.Ctx(), auth.System()
	w.center = env.Org("対処調整センター", model.KindCenter)
	a, err := env.Directory.CreateOrg(ctx, sys, directory.OrgInput{NameJA: "東都電力", NameEN: "Toto Power", Kind: string(model.KindOperator),
		Contacts: []model.Contact{{Label: "SOC窓口", Email: contactEmail, Phone: contactPhone}}})
	if err != nil {
		t.Fatal(err)
	}
	w.a = a
	w.b = env.Org("関東ガス", model.KindOperator)
	w.c = env.Org("西日本水道", model.KindOperator)
	w.gone = env.Org("解散した協議会", model.KindPartner)
	if w.gone, err = env.Directory.UpdateOrg(ctx, sys, w.gone.ID, directory.OrgInput{NameJA: w.gone.NameJA, NameEN: w.gone.NameEN,
		Kind: string(w.gone.Kind), Disabled: true}); err != nil {
		t.Fatal(err)
	}
	shared, err := env.Communities.Create(ctx, sys, community.Input{NameJA: "電力・水道", NameEN: "Power and water"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []model.Org{w.a, w.c} {
		if err := env.Communities.AddOrg(ctx, sys, shared.ID, o.ID); err != nil {
			t.Fatal(err)
		}
	}
	w.chief = env.Person(w.center, "chief@center.example", model.RoleCenterAdmin)
	w.chiefTOTP = env.EnrolTOTP(w.chief)
	w.adminA = env.Person(w.a, "admin@toto-power.example", model.RoleOrgAdmin)
	w.adminATOTP = env.EnrolTOTP(w.adminA)
	w.memberA = env.Person(w.a, "sato@toto-power.example", model.RoleMember)
	w.memberB = env.Person(w.b, "ito@kanto-gas.example", model.RoleMember)
	w.memberC = env.Person(w.c, "mori@nishi-water.example", model.RoleMember)
	w.base = env.Server()
	return w
}

func (w *accessWorld) visitor(t *testing.T, u model.User, totp []byte) *visitor {
	v := newVisitor(t, w.env, w.base)
	v.signInAs(u, totp)
	return v
}

// A member reaches no administration page, cannot post to one, and is not offered one.
func TestPageMemberCannotAdminister(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newAccessWorld(t, db)
		v := w.visitor(t, w.memberA, nil)

		home := v.get("/")
		expectStatus(t, "home", home, http.StatusOK)
		if strings.Contains(home.body, `href="/admin"`) {
			t.Error("a member's menu links to the administration")
		}
		for _, path := range []string{"/admin", "/admin/orgs", "/admin/orgs/new", "/admin/orgs/" + idText(w.a.ID), "/admin/users",
			"/admin/users/new", "/admin/users/" + idText(w.memberA.ID), "/admin/users/" + idText(w.memberB.ID), "/admin/communities",
			"/admin/communities/new", "/admin/audit", "/admin/settings"} {
			r := v.get(path)
			if r.status != http.StatusForbidden && r.status != http.StatusNotFound {
				t.Errorf("member GET %s: %d, want 403 or 404", path, r.status)
				continue
			}
			if want := map[int]string{403: jaForbidden, 404: jaNotFound}[r.status]; alertOf(r.body) != want {
				t.Errorf("member GET %s: %q shown, want %q", path, alertOf(r.body), want)
			}
		}

		for _, c := range []struct {
			path string
			form url.Values
		}{
			{"/admin/orgs", url.Values{"name_ja": {"偽の組織"}, "kind": {"operator"}}},
			{"/admin/orgs/" + idText(w.a.ID), url.Values{"name_ja": {"乗っ取られた東都電力"}, "kind": {"operator"}}},
			{"/admin/users/" + idText(w.memberA.ID), url.Values{"email": {w.memberA.Email}, "display_name": {"sato"},
				"role": {"org-admin"}, "lang": {"ja"}, "time_zone": {"Asia/Tokyo"}}},
			{"/admin/users", url.Values{"email": {"new@toto-power.example"}, "display_name": {"新人"}, "role": {"member"},
				"lang": {"ja"}, "time_zone": {"Asia/Tokyo"}}},
			{"/admin/settings", url.Values{"require_totp": {"on"}}},
			{"/admin/communities", url.Values{"name_ja": {"偽のコミュニティ"}}},
			{"/admin/audit/verify", nil},
			{"/admin/users/" + idText(w.memberB.ID) + "/link", nil},
			{"/admin/users/" + idText(w.adminA.ID) + "/reset-2fa", nil},
		} {
			r := v.postCSRF(c.path, c.form)
			if r.status != http.StatusForbidden && r.status != http.StatusNotFound {
				t.Errorf("member POST %s: %d, want 403 or 404", c.path, r.status)
			}
		}
		ctx, sys := testapp.Ctx(), auth.System()
		if _, err := w.env.Directory.FindOrg(ctx, sys, "偽の組織"); !fault.Is(err, fault.NotFound) {
			t.Errorf("a member created an organization (%v)", err)
		}
		if o, _ := w.env.Directory.GetOrg(ctx, sys, w.a.ID); o.NameJA != w.a.NameJA {
			t.Errorf("a member renamed their organization to %q", o.NameJA)
		}
		if got := readUser(w.env, w.memberA.ID); got.Role() != model.RoleMember {
			t.Errorf("a member made themselves %s", got.Role())
		}
		if _, err := w.env.Directory.FindUser(ctx, sys, "new@toto-power.example"); !fault.Is(err, fault.NotFound) {
			t.Errorf("a member added a person (%v)", err)
		}
		if on, _ := w.env.Auth.RequireTOTPForAll(ctx); on {
			t.Error("a member changed the platform settings")
		}
		if got := readUser(w.env, w.adminA.ID); !got.TOTPEnabled {
			t.Error("a member reset their org admin's second factor")
		}
		if list, _ := w.env.Communities.List(ctx, sys, store.Page{Limit: 10}); len(list) != 1 {
			t.Errorf("%d communities after a member's attempt, want 1", len(list))
		}
	})
}

// An org admin manages the people of their own organization only: the list, a person's
// page and changes to them; naming another organization changes nothing.
func TestPageOrgAdminManagesOwnPeopleOnly(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newAccessWorld(t, db)
		v := w.visitor(t, w.adminA, w.adminATOTP)

		r := v.get("/admin")
		expectStatus(t, "admin index", r, http.StatusOK)
		if strings.Contains(r.body, `href="/admin/orgs"`) || strings.Contains(r.body, `href="/admin/audit"`) {
			t.Error("an org admin is offered the center's administration")
		}
		for _, path := range []string{"/admin/users", "/admin/users?org=" + idText(w.b.ID), "/admin/users?org=" + idText(w.center.ID) + "&q=center"} {
			r := v.get(path)
			expectStatus(t, path, r, http.StatusOK)
			if !strings.Contains(r.body, w.memberA.Email) && !strings.Contains(path, "q=") {
				t.Errorf("GET %s does not list the org admin's own member", path)
			}
			for _, other := range []model.User{w.memberB, w.memberC, w.chief} {
				if strings.Contains(r.body, other.Email) {
					t.Errorf("GET %s lists %s of another organization", path, other.Email)
				}
			}
		}
		for _, path := range []string{"/admin/orgs", "/admin/communities", "/admin/audit", "/admin/settings"} {
			if r := v.get(path); r.status != http.StatusForbidden {
				t.Errorf("org admin GET %s: %d, want 403", path, r.status)
			}
		}
		if r := v.get("/admin/users/" + idText(w.memberA.ID)); r.status != http.StatusOK {
			t.Errorf("org admin cannot open their own member: %d", r.status)
		}
		// memberB is not even visible to them; memberC is (shared community) but not theirs.
		if r := v.get("/admin/users/" + idText(w.memberB.ID)); r.status != http.StatusNotFound {
			t.Errorf("org admin GET another org's person: %d, want 404", r.status)
		}
		if r := v.get("/admin/users/" + idText(w.memberC.ID)); r.status != http.StatusForbidden {
			t.Errorf("org admin GET a visible person of another org: %d, want 403", r.status)
		}
		for _, other := range []model.User{w.memberB, w.memberC} {
			r := v.postCSRF("/admin/users/"+idText(other.ID), url.Values{"email": {other.Email}, "display_name": {"changed"},
				"role": {"member"}, "lang": {"en"}, "time_zone": {"UTC"}, "disabled": {"on"}})
			if r.status != http.StatusForbidden && r.status != http.StatusNotFound {
				t.Errorf("org admin POST to %s of another org: %d", other.Email, r.status)
			}
			if got := readUser(w.env, other.ID); got.Disabled || got.DisplayName != other.DisplayName {
				t.Errorf("org admin changed %s of another org: %+v", other.Email, got)
			}
		}

		for _, path := range []string{"/admin/users/" + idText(w.memberC.ID) + "/link", "/admin/users/" + idText(w.memberC.ID) + "/reset-2fa",
			"/admin/users/" + idText(w.chief.ID) + "/reset-2fa"} {
			r := v.postCSRF(path, nil)
			if r.status != http.StatusForbidden && r.status != http.StatusNotFound {
				t.Errorf("org admin POST %s: %d, want 403 or 404", path, r.status)
			}
			if strings.Contains(r.body, "/welcome/") {
				t.Errorf("org admin POST %s: a sign-in link is shown", path)
			}
		}
		if got := readUser(w.env, w.chief.ID); !got.TOTPEnabled {
			t.Error("an org admin reset the center admin's second factor")
		}

		// A person added while naming another organization lands in the admin's own.
		r = v.postCSRF("/admin/users", url.Values{"org": {idText(w.b.ID)}, "email": {"new@toto-power.example"},
			"display_name": {"新人"}, "role": {"member"}, "lang": {"ja"}, "time_zone": {"Asia/Tokyo"}})
		expectStatus(t, "add a person", r, http.StatusOK)
		added, err := w.env.Directory.FindUser(testapp.Ctx(), auth.System(), "new@toto-power.example")
		if err != nil || added.OrgID != w.a.ID {
			t.Errorf("person added in org %d (err %v), want the admin's own %d", added.OrgID, err, w.a.ID)
		}
		if !strings.Contains(r.body, "/welcome/") {
			t.Error("no one-time link shown for the person added")
		}
		r = v.postCSRF("/admin/users", url.Values{"email": {"boss@toto-power.example"}, "display_name": {"昇格"},
			"role": {"center-admin"}, "lang": {"ja"}, "time_zone": {"Asia/Tokyo"}})
		if r.status == http.StatusOK || r.status == http.StatusSeeOther {
			t.Errorf("org admin granting center-admin: %d", r.status)
		}
		if _, err := w.env.Directory.FindUser(testapp.Ctx(), auth.System(), "boss@toto-power.example"); !fault.Is(err, fault.NotFound) {
			t.Errorf("an org admin created a center admin (%v)", err)
		}
	})
}

// An organization's contact points are shown to its own people and the center, not to a
// member of a third organization, even one sharing a community with it; a disabled
// organization is gone for members and still there for the center.
func TestPageDirectoryContactsAndDisabledOrgs(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newAccessWorld(t, db)
		orgA := "/directory/orgs/" + idText(w.a.ID)

		for _, c := range []struct {
			who      string
			u        model.User
			totp     []byte
			contacts bool
		}{
			{"member of A", w.memberA, nil, true},
			{"center admin", w.chief, w.chiefTOTP, true},
			{"member of C (shares a community)", w.memberC, nil, false},
			{"member of B", w.memberB, nil, false},
		} {
			v := w.visitor(t, c.u, c.totp)
			r := v.get(orgA)
			expectStatus(t, c.who+" GET "+orgA, r, http.StatusOK)
			if !strings.Contains(r.body, "東都電力") {
				t.Errorf("%s: organization page lacks its name", c.who)
			}
			for _, s := range []string{contactEmail, contactPhone, "SOC窓口"} {
				if strings.Contains(r.body, s) != c.contacts {
					t.Errorf("%s: contact %q shown=%v, want %v", c.who, s, !c.contacts, c.contacts)
				}
			}
			dir := v.get("/directory")
			if strings.Contains(dir.body, contactEmail) {
				t.Errorf("%s: the directory list shows contact points", c.who)
			}
		}

		for _, c := range []struct {
			who  string
			u    model.User
			totp []byte
		}{{"member of B", w.memberB, nil}, {"org admin of A", w.adminA, w.adminATOTP}} {
			v := w.visitor(t, c.u, c.totp)
			for _, path := range []string{"/directory", "/directory?q=" + url.QueryEscape("解散"), "/directory?kind=partner"} {
				r := v.get(path)
				expectStatus(t, c.who+" GET "+path, r, http.StatusOK)
				if strings.Contains(r.body, w.gone.NameJA) || strings.Contains(r.body, "/directory/orgs/"+idText(w.gone.ID)+`"`) {
					t.Errorf("%s GET %s lists the disabled organization", c.who, path)
				}
			}
			if r := v.get("/directory"); !strings.Contains(r.body, "関東ガス") || !strings.Contains(r.body, "西日本水道") {
				t.Errorf("%s: the directory lacks active organizations", c.who)
			}
			gone, missing := v.get("/directory/orgs/"+idText(w.gone.ID)), v.get("/directory/orgs/9999999")
			expectStatus(t, c.who+" GET the disabled organization", gone, http.StatusNotFound)
			if alertOf(gone.body) != alertOf(missing.body) || missing.status != gone.status {
				t.Errorf("%s: a disabled organization answers differently from a missing one", c.who)
			}
			if strings.Contains(gone.body, w.gone.NameJA) {
				t.Errorf("%s: the not-found page names the disabled organization", c.who)
			}
		}

		chief := w.visitor(t, w.chief, w.chiefTOTP)
		if r := chief.get("/admin/orgs"); !strings.Contains(r.body, w.gone.NameJA) {
			t.Error("the center admin's organization list lacks the disabled organization")
		}
		if r := chief.get("/directory/orgs/" + idText(w.gone.ID)); r.status != http.StatusOK {
			t.Errorf("the center admin cannot open the disabled organization: %d", r.status)
		}
	})
}

// Dates are shown in the reader's own time zone: JST by default, New York's once chosen.
func TestPageTimesInPersonsZone(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("関東ガス", model.KindOperator)
		u := env.Person(org, "ito@kanto-gas.example", model.RoleMember)
		v := newVisitor(t, env, env.Server())
		v.signInAs(u, nil) // at 2026-07-24 00:00 UTC
		const jst, newYork = "2026-07-24 09:00 JST", "2026-07-23 20:00 EDT"

		r := v.get("/profile")
		if !strings.Contains(r.body, jst) {
			t.Fatalf("the sessions list does not show the sign-in time as %q", jst)
		}
		r = v.postCSRF("/profile", url.Values{"display_name": {u.DisplayName}, "lang": {"ja"}, "time_zone": {"America/New_York"}})
		expectStatus(t, "choose New York", r, http.StatusSeeOther)
		page := v.get("/profile")
		if got := flashOf(page.body); got != "個人設定を保存しました。" {
			t.Errorf("flash after saving: %q", got)
		}
		if !strings.Contains(page.body, newYork) || strings.Contains(page.body, jst) {
			t.Errorf("in New York the sign-in time is not shown as %q (JST still shown: %v)", newYork, strings.Contains(page.body, jst))
		}
		if got, _ := inputValue(page.body, "time_zone"); got != "America/New_York" {
			t.Errorf("time zone field holds %q", got)
		}
		// Another reader of the same instant keeps JST.
		other := newVisitor(t, env, v.base)
		other.signInAs(env.Person(org, "ono@kanto-gas.example", model.RoleMember), nil)
		if r := other.get("/profile"); !strings.Contains(r.body, jst) {
			t.Errorf("a JST reader does not see %q", jst)
		}
	})
}
