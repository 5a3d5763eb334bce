package directory_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

var client = auth.Client{IP: "192.0.2.10", UserAgent: "test"}

func TestCreateUserNormalisesEmailAndFillsDefaults(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		u, err := c.e.Directory.CreateUser(ctx, c.p(c.aAdmin), directory.UserInput{OrgID: c.a.ID, Email: "  Sato.Hanako@TOTO.Example ",
			DisplayName: "  佐藤   花子 "})
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "Sato.Hanako@toto.example" || u.DisplayName != "佐藤 花子" || u.Role() != model.RoleMember ||
			u.Lang != model.LangJA || u.TimeZone != "Asia/Tokyo" || u.OrgID != c.a.ID || u.Disabled || u.HasPassword {
			t.Fatalf("%+v", u)
		}
		got := c.user(t, u.ID)
		if got.Email != u.Email || got.DisplayName != u.DisplayName || got.OrgRole != model.OrgMember || got.CenterRole != model.CenterNone ||
			got.Lang != model.LangJA || got.TimeZone != "Asia/Tokyo" || !got.CreatedAt.Equal(c.e.Clock.Now()) {
			t.Fatalf("stored %+v", got)
		}
		// Look-up ignores case everywhere.
		if f, err := c.e.Directory.FindUser(ctx, c.p(c.aMember), "SATO.HANAKO@toto.EXAMPLE"); err != nil || f.ID != u.ID {
			t.Fatalf("FindUser: %v", err)
		}
		_, err = c.e.Directory.FindUser(ctx, c.p(c.aMember), "nobody@toto.example")
		if fe := fault.As(err); fe.Kind != fault.NotFound || fe.Key != "user.not_found" {
			t.Fatalf("unknown: %v", err)
		}
		en, err := c.e.Directory.CreateUser(ctx, sys, directory.UserInput{OrgID: c.b.ID, Email: "en@west.example", DisplayName: "Alex",
			Role: "org-admin", Lang: "en", TimeZone: "Europe/London"})
		if err != nil || en.Lang != model.LangEN || en.TimeZone != "Europe/London" || en.Role() != model.RoleOrgAdmin {
			t.Fatalf("%+v %v", en, err)
		}
	})
}

func TestDuplicateEmailIsAConflictWhateverTheCase(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		before := records(t, db)
		for _, email := range []string{"m.suzuki@toto.example", "M.SUZUKI@TOTO.EXAMPLE", " m.suzuki@Toto.Example "} {
			_, err := c.e.Directory.CreateUser(ctx, sys, directory.UserInput{OrgID: c.b.ID, Email: email, DisplayName: "二人目"})
			wantFault(t, email, err, fault.Conflict, "email", "user.duplicate_email")
		}
		// Changing an address to one in use is a conflict too, and changes nothing.
		_, err := c.e.Directory.UpdateUser(ctx, sys, c.bMember.ID, directory.UserPatch{Email: ptr("M.Suzuki@toto.example"), DisplayName: ptr("改名")})
		wantFault(t, "update", err, fault.Conflict, "email", "user.duplicate_email")
		if got := c.user(t, c.bMember.ID); got.Email != c.bMember.Email || got.DisplayName != c.bMember.DisplayName {
			t.Fatalf("%+v", got)
		}
		if records(t, db) != before {
			t.Fatal("a duplicate was recorded")
		}
		// A person may change the case of their own address.
		if u, err := c.e.Directory.UpdateUser(ctx, sys, c.aMember.ID, directory.UserPatch{Email: ptr("M.Suzuki@toto.example")}); err != nil || u.Email != "M.Suzuki@toto.example" {
			t.Fatalf("%+v %v", u, err)
		}
	})
}

func TestCreateUserReportsEveryInvalidField(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		before := records(t, db)
		_, err := c.e.Directory.CreateUser(ctx, sys, directory.UserInput{OrgID: c.a.ID, Email: "not an address", DisplayName: " ",
			Role: "root", Lang: "fr", TimeZone: "Mars/Olympus"})
		want := map[string]string{"email": "invalid.email", "display_name": "invalid.required", "role": "invalid.role",
			"lang": "invalid.lang", "time_zone": "invalid.time_zone"}
		if fault.KindOf(err) != fault.Invalid || sprint(fieldKeys(err)) != sprint(want) {
			t.Fatalf("%v", err)
		}
		_, err = c.e.Directory.CreateUser(ctx, sys, directory.UserInput{OrgID: c.a.ID, Email: "long@toto.example",
			DisplayName: strings.Repeat("名", directory.MaxDisplayNameLen+1), TimeZone: "Local"})
		if got := fieldKeys(err); got["display_name"] != "invalid.too_long" || got["time_zone"] != "invalid.time_zone" {
			t.Fatalf("%v", err)
		}
		_, err = c.e.Directory.CreateUser(ctx, sys, directory.UserInput{OrgID: 99999, Email: "x@x.example", DisplayName: "x"})
		wantFault(t, "missing org", err, fault.Invalid, "org_id", "org.not_found")
		if records(t, db) != before {
			t.Fatal("an invalid person was written")
		}
	})
}

func TestOrgAdminsAddPeopleToTheirOwnOrganizationOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		admin := c.p(c.aAdmin)
		for _, role := range []string{"", "member", "org-admin"} {
			if _, err := c.e.Directory.CreateUser(ctx, admin, directory.UserInput{OrgID: c.a.ID, Email: "new-" + role + "@toto.example",
				DisplayName: "新人", Role: role}); err != nil {
				t.Fatalf("role %q: %v", role, err)
			}
		}
		before := records(t, db)
		_, err := c.e.Directory.CreateUser(ctx, admin, directory.UserInput{OrgID: c.b.ID, Email: "spy@west.example", DisplayName: "x"})
		wantFault(t, "other org", err, fault.Forbidden, "org_id", "user.org_not_allowed")
		_, err = c.e.Directory.CreateUser(ctx, admin, directory.UserInput{OrgID: c.center.ID, Email: "spy@ccc.example", DisplayName: "x"})
		wantFault(t, "the center", err, fault.Forbidden, "org_id", "user.org_not_allowed")
		for _, role := range []string{"analyst", "center-admin"} {
			_, err = c.e.Directory.CreateUser(ctx, admin, directory.UserInput{OrgID: c.a.ID, Email: role + "@toto.example", DisplayName: "x", Role: role})
			wantFault(t, "grant "+role, err, fault.Invalid, "role", "user.role_not_allowed")
		}
		// Members and analysts add nobody.
		for _, u := range []model.User{c.aMember, c.analyst} {
			_, err = c.e.Directory.CreateUser(ctx, c.p(u), directory.UserInput{OrgID: u.OrgID, Email: "friend@x.example", DisplayName: "x"})
			wantFault(t, u.Email, err, fault.Forbidden, "org_id", "user.org_not_allowed")
		}
		if records(t, db) != before {
			t.Fatal("a refused person was written")
		}
		if _, err := c.e.Directory.FindUser(ctx, sys, "spy@west.example"); !fault.Is(err, fault.NotFound) {
			t.Fatal("the refused person exists")
		}
	})
}

func TestAForbiddenRoleIsReportedAlongsideOtherErrors(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		_, err := c.e.Directory.CreateUser(ctx, c.p(c.aAdmin), directory.UserInput{OrgID: c.a.ID, Email: "x@toto.example",
			DisplayName: "x", Role: "center-admin", Lang: "xx"})
		if got := fieldKeys(err); got["role"] != "user.role_not_allowed" || got["lang"] != "invalid.lang" {
			t.Fatalf("%v", err)
		}
	})
}

func TestCenterRolesAreGrantedByCenterAdminsInTheCenterOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		admin := c.p(c.centerAdmin)
		for _, role := range []string{"analyst", "center-admin"} {
			_, err := c.e.Directory.CreateUser(ctx, admin, directory.UserInput{OrgID: c.a.ID, Email: role + "@toto.example", DisplayName: "x", Role: role})
			wantFault(t, role+" outside the center", err, fault.Invalid, "role", "user.role_not_allowed")
			u, err := c.e.Directory.CreateUser(ctx, admin, directory.UserInput{OrgID: c.center.ID, Email: role + "2@ccc.example", DisplayName: "x", Role: role})
			if err != nil || string(u.Role()) != role {
				t.Fatalf("%s in the center: %v", role, err)
			}
		}
		_, err := c.e.Directory.UpdateUser(ctx, admin, c.aMember.ID, directory.UserPatch{Role: ptr("analyst")})
		wantFault(t, "promote outside the center", err, fault.Invalid, "role", "user.role_not_allowed")
		if got := c.user(t, c.aMember.ID); got.Role() != model.RoleMember {
			t.Fatalf("role %s", got.Role())
		}
		// The admin of the center's own organization has no center role to give.
		_, err = c.e.Directory.CreateUser(ctx, c.p(c.centerOrgAdmin), directory.UserInput{OrgID: c.center.ID, Email: "a3@ccc.example", DisplayName: "x", Role: "analyst"})
		wantFault(t, "center org admin grants analyst", err, fault.Invalid, "role", "user.role_not_allowed")
		if _, err := c.e.Directory.CreateUser(ctx, c.p(c.centerOrgAdmin), directory.UserInput{OrgID: c.center.ID, Email: "clerk@ccc.example", DisplayName: "x"}); err != nil {
			t.Fatalf("center org admin adds a plain member: %v", err)
		}
	})
}

func TestUpdateUserRespectsWhoManagesWhom(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		// Org A's admin manages A's people.
		u, err := c.e.Directory.UpdateUser(ctx, c.p(c.aAdmin), c.aMember.ID, directory.UserPatch{DisplayName: ptr("鈴木 一郎"), Role: ptr("org-admin")})
		if err != nil || u.Role() != model.RoleOrgAdmin || u.DisplayName != "鈴木 一郎" {
			t.Fatalf("%+v %v", u, err)
		}
		if _, err := c.e.Directory.UpdateUser(ctx, c.p(c.aAdmin), c.aMember.ID, directory.UserPatch{Role: ptr("member")}); err != nil {
			t.Fatal(err)
		}
		before := records(t, db)
		cases := []struct {
			name   string
			actor  model.User
			target model.User
			kind   fault.Kind
		}{
			// Not visible at all: not found, so that the person's existence is not revealed.
			{"org admin, person of another org", c.aAdmin, c.bMember, fault.NotFound},
			{"member, person of another org", c.aMember, c.bMember, fault.NotFound},
			// Visible but not theirs to manage: forbidden.
			{"member, own org admin", c.aMember, c.aAdmin, fault.Forbidden},
			{"member, themself", c.aMember, c.aMember, fault.Forbidden},
			{"org admin, analyst", c.aAdmin, c.analyst, fault.NotFound},
			{"center org admin, analyst", c.centerOrgAdmin, c.analyst, fault.Forbidden},
			{"center org admin, center admin", c.centerOrgAdmin, c.centerAdmin, fault.Forbidden},
			{"analyst, member of A", c.analyst, c.aMember, fault.Forbidden},
			{"analyst, another center admin", c.analyst, c.centerAdmin, fault.Forbidden},
		}
		for _, tc := range cases {
			_, err := c.e.Directory.UpdateUser(ctx, c.p(tc.actor), tc.target.ID, directory.UserPatch{DisplayName: ptr("乗っ取り"), Disabled: ptr(true)})
			if fault.KindOf(err) != tc.kind {
				t.Errorf("%s: %v, want %s", tc.name, err, tc.kind)
			}
			if got := c.user(t, tc.target.ID); got.DisplayName == "乗っ取り" || got.Disabled {
				t.Errorf("%s: the change went through", tc.name)
			}
			m, err := c.e.Directory.ManagedUser(ctx, c.p(tc.actor), tc.target.ID)
			if fault.KindOf(err) != tc.kind || m != (model.User{}) {
				t.Errorf("%s: ManagedUser returned %+v, %v", tc.name, m, err)
			}
		}
		if records(t, db) != before {
			t.Fatal("a refused change was recorded")
		}
		// Once they share a community, B's member is visible to A's admin: forbidden, not hidden.
		k, err := c.e.Communities.Create(ctx, sys, community.Input{NameJA: "共有"})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.e.Communities.AddOrg(ctx, sys, k.ID, c.a.ID); err != nil {
			t.Fatal(err)
		}
		if err := c.e.Communities.AddUser(ctx, sys, k.ID, c.bMember.ID); err != nil {
			t.Fatal(err)
		}
		before = records(t, db)
		_, err = c.e.Directory.UpdateUser(ctx, c.p(c.aAdmin), c.bMember.ID, directory.UserPatch{Disabled: ptr(true)})
		wantFault(t, "visible person of another org", err, fault.Forbidden, "", "error.forbidden")
		if records(t, db) != before {
			t.Fatal("a refused change was recorded")
		}
		_, err = c.e.Directory.UpdateUser(ctx, c.p(c.aAdmin), 99999, directory.UserPatch{})
		wantFault(t, "missing person", err, fault.NotFound, "", "error.not_found")
		// The center admin manages everyone, center staff included.
		if u, err := c.e.Directory.UpdateUser(ctx, c.p(c.centerAdmin), c.analyst.ID, directory.UserPatch{Role: ptr("member")}); err != nil || u.Role() != model.RoleMember {
			t.Fatalf("demote analyst: %v", err)
		}
	})
}

func TestUpdateUserValidatesAndChangesNothingOnError(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		before := records(t, db)
		_, err := c.e.Directory.UpdateUser(ctx, sys, c.aMember.ID, directory.UserPatch{DisplayName: ptr(""), Email: ptr("bad"),
			Lang: ptr("de"), TimeZone: ptr("Local"), Role: ptr("owner")})
		want := map[string]string{"display_name": "invalid.required", "email": "invalid.email", "lang": "invalid.lang",
			"time_zone": "invalid.time_zone", "role": "invalid.role"}
		if sprint(fieldKeys(err)) != sprint(want) {
			t.Fatalf("%v", err)
		}
		if got := c.user(t, c.aMember.ID); got.DisplayName != c.aMember.DisplayName || got.Email != c.aMember.Email ||
			got.Lang != c.aMember.Lang || got.TimeZone != c.aMember.TimeZone || records(t, db) != before {
			t.Fatalf("%+v", got)
		}
		// People cannot disable themselves.
		_, err = c.e.Directory.UpdateUser(ctx, c.p(c.aAdmin), c.aAdmin.ID, directory.UserPatch{Disabled: ptr(true)})
		wantFault(t, "disable self", err, fault.Invalid, "disabled", "user.cannot_disable_self")
		if c.user(t, c.aAdmin.ID).Disabled {
			t.Fatal("disabled themself")
		}
	})
}

func TestUpdateUserRecordsEachKindOfChange(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		p := c.p(c.aAdmin)
		p.Client = client
		_, err := c.e.Directory.UpdateUser(ctx, p, c.aMember.ID, directory.UserPatch{Role: ptr("org-admin"), Disabled: ptr(true),
			Email: ptr("ichiro@toto.example"), DisplayName: ptr("一郎"), Lang: ptr("en"), TimeZone: ptr("UTC")})
		if err != nil {
			t.Fatal(err)
		}
		recs := lastRecords(t, db, 3)
		want := []struct{ action, detail string }{
			{"user.role_changed", `{"from":"member","to":"org-admin"}`},
			{"user.disabled", `{}`},
			{"user.updated", `{"display_name":{"from":"m.suzuki","to":"一郎"},"email":{"from":"m.suzuki@toto.example","to":"ichiro@toto.example"},"lang":"en","time_zone":"UTC"}`},
		}
		for i, w := range want {
			r := recs[i]
			if r.Action != w.action || r.Detail != w.detail || r.TargetType != "user" || r.TargetID != c.aMember.ID ||
				r.ActorUserID != c.aAdmin.ID || r.IP != client.IP {
				t.Errorf("record %d: %+v, want %s %s", i, r, w.action, w.detail)
			}
		}
		if _, err := c.e.Directory.UpdateUser(ctx, p, c.aMember.ID, directory.UserPatch{Disabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if r := lastRecords(t, db, 1)[0]; r.Action != "user.enabled" {
			t.Errorf("%+v", r)
		}
		// A patch that changes nothing records nothing.
		before := records(t, db)
		if _, err := c.e.Directory.UpdateUser(ctx, p, c.aMember.ID, directory.UserPatch{Role: ptr("org-admin"), Lang: ptr("en")}); err != nil {
			t.Fatal(err)
		}
		if records(t, db) != before {
			t.Error("a no-op was recorded")
		}
	})
}

func TestTheLastActiveCenterAdminCannotBeDisabledOrDemoted(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		before := records(t, db)
		for _, patch := range []directory.UserPatch{
			{Disabled: ptr(true)},
			{Role: ptr("analyst")},
			{Role: ptr("org-admin")},
			{Role: ptr("member"), DisplayName: ptr("元管理者")},
		} {
			_, err := c.e.Directory.UpdateUser(ctx, sys, c.centerAdmin.ID, patch)
			wantFault(t, sprint(patch), err, fault.Invalid, "role", "user.last_center_admin")
		}
		if got := c.user(t, c.centerAdmin.ID); got.Role() != model.RoleCenterAdmin || got.Disabled || got.DisplayName != c.centerAdmin.DisplayName {
			t.Fatalf("%+v", got)
		}
		if records(t, db) != before {
			t.Fatal("a refused change was recorded")
		}
		// Other changes to the last admin are fine.
		if _, err := c.e.Directory.UpdateUser(ctx, sys, c.centerAdmin.ID, directory.UserPatch{DisplayName: ptr("管理者")}); err != nil {
			t.Fatal(err)
		}
		// With a second admin, one may go; then the other is the last one.
		second := c.e.Person(c.center, "admin2@ccc.example", model.RoleCenterAdmin)
		if _, err := c.e.Directory.UpdateUser(ctx, c.p(second), c.centerAdmin.ID, directory.UserPatch{Role: ptr("analyst")}); err != nil {
			t.Fatal(err)
		}
		_, err := c.e.Directory.UpdateUser(ctx, sys, second.ID, directory.UserPatch{Disabled: ptr(true)})
		wantFault(t, "the second is now the last", err, fault.Invalid, "role", "user.last_center_admin")
		// A disabled center admin does not count as one.
		third := c.e.Person(c.center, "admin3@ccc.example", model.RoleCenterAdmin)
		if _, err := c.e.Directory.UpdateUser(ctx, sys, third.ID, directory.UserPatch{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		_, err = c.e.Directory.UpdateUser(ctx, sys, second.ID, directory.UserPatch{Role: ptr("member")})
		wantFault(t, "a disabled admin does not count", err, fault.Invalid, "role", "user.last_center_admin")
		// Re-enabling and promoting are always allowed.
		if _, err := c.e.Directory.UpdateUser(ctx, sys, third.ID, directory.UserPatch{Disabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.e.Directory.UpdateUser(ctx, sys, second.ID, directory.UserPatch{Disabled: ptr(true)}); err != nil {
			t.Fatalf("with the third enabled again: %v", err)
		}
	})
}

func TestDisablingAPersonEndsTheirSessions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		one, err := c.e.Auth.SignIn(ctx, c.aMember.Email, testapp.Password, client)
		if err != nil {
			t.Fatal(err)
		}
		two, _ := c.e.Auth.SignIn(ctx, c.aMember.Email, testapp.Password, client)
		other, _ := c.e.Auth.SignIn(ctx, c.bMember.Email, testapp.Password, client)
		// Changing the role or the name keeps the sessions.
		if _, err := c.e.Directory.UpdateUser(ctx, c.p(c.aAdmin), c.aMember.ID, directory.UserPatch{DisplayName: ptr("改名")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.e.Auth.Session(ctx, one.Secret); err != nil {
			t.Fatalf("a rename ended the session: %v", err)
		}
		if _, err := c.e.Directory.UpdateUser(ctx, c.p(c.aAdmin), c.aMember.ID, directory.UserPatch{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		left, err := store.ListUserSessions(ctx, db.Read(), c.aMember.ID, c.e.Clock.Now())
		if err != nil || len(left) != 0 {
			t.Fatalf("%d sessions left, %v", len(left), err)
		}
		// Enabling the person again does not bring the old sessions back.
		if _, err := c.e.Directory.UpdateUser(ctx, c.p(c.aAdmin), c.aMember.ID, directory.UserPatch{Disabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{one.Secret, two.Secret} {
			if _, err := c.e.Auth.Session(ctx, s); !fault.Is(err, fault.Unauthorized) {
				t.Errorf("session survived: %v", err)
			}
		}
		if _, err := c.e.Auth.Session(ctx, other.Secret); err != nil {
			t.Fatalf("someone else's session ended: %v", err)
		}
		if _, err := c.e.Auth.SignIn(ctx, c.aMember.Email, testapp.Password, client); err != nil {
			t.Fatalf("enabled again, cannot sign in: %v", err)
		}
	})
}

func TestUpdateProfile(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		p := c.p(c.aMember)
		c.e.Clock.Advance(time.Minute)
		u, err := c.e.Directory.UpdateProfile(ctx, p, directory.ProfileInput{DisplayName: "  Ichiro  Suzuki ", Lang: "en", TimeZone: "America/New_York"})
		if err != nil || u.DisplayName != "Ichiro Suzuki" || u.Lang != model.LangEN || u.TimeZone != "America/New_York" {
			t.Fatalf("%+v %v", u, err)
		}
		got := c.user(t, c.aMember.ID)
		if got.DisplayName != "Ichiro Suzuki" || got.Lang != model.LangEN || got.TimeZone != "America/New_York" || !got.UpdatedAt.Equal(c.e.Clock.Now()) {
			t.Fatalf("%+v", got)
		}
		if got.Email != c.aMember.Email || got.Role() != model.RoleMember {
			t.Fatalf("profile changed more than the profile: %+v", got)
		}
		for _, tc := range []struct {
			in   directory.ProfileInput
			want map[string]string
		}{
			{directory.ProfileInput{DisplayName: "x", Lang: "", TimeZone: "UTC"}, map[string]string{"lang": "invalid.lang"}},
			{directory.ProfileInput{DisplayName: "x", Lang: "ja", TimeZone: ""}, map[string]string{"time_zone": "invalid.time_zone"}},
			{directory.ProfileInput{DisplayName: "x", Lang: "ja", TimeZone: "Local"}, map[string]string{"time_zone": "invalid.time_zone"}},
			{directory.ProfileInput{DisplayName: "x", Lang: "ja", TimeZone: "Tokyo"}, map[string]string{"time_zone": "invalid.time_zone"}},
			{directory.ProfileInput{DisplayName: " ", Lang: "EN", TimeZone: "Asia/Tokyo"}, map[string]string{"display_name": "invalid.required", "lang": "invalid.lang"}},
		} {
			_, err := c.e.Directory.UpdateProfile(ctx, c.p(c.aMember), tc.in)
			if fault.KindOf(err) != fault.Invalid || sprint(fieldKeys(err)) != sprint(tc.want) {
				t.Errorf("%+v: %v", tc.in, err)
			}
		}
		if again := c.user(t, c.aMember.ID); again.DisplayName != got.DisplayName || again.Lang != got.Lang || again.TimeZone != got.TimeZone {
			t.Fatalf("a refused profile was saved: %+v", again)
		}
	})
}

func TestAProfileSavedWithAnOldPrincipalDoesNotUndoAnAdministrator(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		stale := c.p(c.aMember) // loaded when the request began
		if _, err := c.e.Directory.UpdateUser(ctx, c.p(c.aAdmin), c.aMember.ID, directory.UserPatch{Role: ptr("org-admin"),
			Email: ptr("new@toto.example")}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.e.Directory.UpdateUser(ctx, c.p(c.aAdmin), c.aMember.ID, directory.UserPatch{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.e.Directory.UpdateProfile(ctx, stale, directory.ProfileInput{DisplayName: "名前", Lang: "ja", TimeZone: "Asia/Tokyo"}); err != nil {
			t.Fatal(err)
		}
		got := c.user(t, c.aMember.ID)
		if !got.Disabled || got.Role() != model.RoleOrgAdmin || got.Email != "new@toto.example" {
			t.Fatalf("the profile undid the administrator's changes: %+v", got)
		}
		if got.DisplayName != "名前" {
			t.Fatalf("name %q", got.DisplayName)
		}
	})
}

func TestListUsersShowsDisabledPeopleOnlyToThoseAllowed(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		gone := c.e.Person(c.a, "gone@toto.example", model.RoleMember)
		if _, err := c.e.Directory.UpdateUser(ctx, sys, gone.ID, directory.UserPatch{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		lists := func(u model.User, q directory.UserQuery) bool {
			t.Helper()
			p := sys
			if u.ID != 0 {
				p = c.p(u)
			}
			q.Page.Limit = 100
			users, err := c.e.Directory.ListUsers(ctx, p, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range users {
				if x.ID == gone.ID {
					return true
				}
			}
			return false
		}
		for _, tc := range []struct {
			name string
			u    model.User
			q    directory.UserQuery
			want bool
		}{
			{"member, not asked", c.aMember, directory.UserQuery{}, false},
			{"member, asked", c.aMember, directory.UserQuery{IncludeDisabled: true}, false},
			{"member, asked for own org", c.aMember, directory.UserQuery{OrgID: c.a.ID, IncludeDisabled: true}, false},
			{"org admin, asked for every org", c.aAdmin, directory.UserQuery{IncludeDisabled: true}, false},
			{"org admin, asked for own org", c.aAdmin, directory.UserQuery{OrgID: c.a.ID, IncludeDisabled: true}, true},
			{"org admin, own org, not asked", c.aAdmin, directory.UserQuery{OrgID: c.a.ID}, false},
			{"analyst, asked", c.analyst, directory.UserQuery{IncludeDisabled: true}, true},
			{"center admin, asked for A", c.centerAdmin, directory.UserQuery{OrgID: c.a.ID, IncludeDisabled: true}, true},
			{"operator, asked", model.User{}, directory.UserQuery{IncludeDisabled: true}, true},
		} {
			if got := lists(tc.u, tc.q); got != tc.want {
				t.Errorf("%s: listed %v, want %v", tc.name, got, tc.want)
			}
		}
	})
}

func TestListUsersShowsOnlyVisiblePeopleAndFilters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		emails := func(p auth.Principal, q directory.UserQuery) string {
			t.Helper()
			users, err := c.e.Directory.ListUsers(ctx, p, q)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, u := range users {
				out = append(out, u.Email)
			}
			return strings.Join(out, " ")
		}
		member := c.p(c.aMember)
		if got := emails(member, directory.UserQuery{}); got != "admin@toto.example m.suzuki@toto.example" {
			t.Errorf("a member sees %s", got)
		}
		if got := emails(member, directory.UserQuery{OrgID: c.b.ID}); got != "" {
			t.Errorf("a member lists B: %s", got)
		}
		_, err := c.e.Directory.GetUser(ctx, member, c.bMember.ID)
		wantFault(t, "get B's member", err, fault.NotFound, "", "error.not_found")
		_, err = c.e.Directory.FindUser(ctx, member, c.bMember.Email)
		wantFault(t, "find B's member", err, fault.NotFound, "", "error.not_found")
		// Sharing a community makes people visible to each other.
		k, _ := c.e.Communities.Create(ctx, sys, community.Input{NameJA: "共有"})
		c.e.Communities.AddOrg(ctx, sys, k.ID, c.b.ID)
		c.e.Communities.AddUser(ctx, sys, k.ID, c.aMember.ID)
		member = c.p(c.aMember)
		if got := emails(member, directory.UserQuery{OrgID: c.b.ID}); got != "k.tanaka@west.example" {
			t.Errorf("after sharing a community: %s", got)
		}
		if _, err := c.e.Directory.GetUser(ctx, member, c.bMember.ID); err != nil {
			t.Errorf("after sharing: %v", err)
		}
		// The admin of A is not in the community: B stays hidden from them.
		if got := emails(c.p(c.aAdmin), directory.UserQuery{OrgID: c.b.ID}); got != "" {
			t.Errorf("A's admin sees %s", got)
		}
		analyst := c.p(c.analyst)
		for _, tc := range []struct {
			q    directory.UserQuery
			want string
		}{
			{directory.UserQuery{Text: "TOTO"}, "admin@toto.example m.suzuki@toto.example"},
			{directory.UserQuery{Text: "suzuki"}, "m.suzuki@toto.example"},
			{directory.UserQuery{Text: "analyst"}, "analyst@ccc.example"}, // the display name is the address's local part
			{directory.UserQuery{Text: "%"}, ""},
			{directory.UserQuery{OrgID: c.center.ID, Page: store.Page{Limit: 2}}, "admin@ccc.example analyst@ccc.example"},
			{directory.UserQuery{OrgID: c.center.ID, Page: store.Page{After: c.analyst.ID, Limit: 2}}, "office@ccc.example"},
		} {
			if got := emails(analyst, tc.q); got != tc.want {
				t.Errorf("%+v: %s, want %s", tc.q, got, tc.want)
			}
		}
	})
}

func TestConcurrentDemotionsLeaveACenterAdmin(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		for round := 0; round < 15; round++ {
			// Two active center admins; each is demoted at the same time by the other.
			admins := []model.User{c.centerAdmin, c.e.Person(c.center, fmt.Sprintf("admin-%d@ccc.example", round), model.RoleCenterAdmin)}
			var wg sync.WaitGroup
			for i := range admins {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c.e.Directory.UpdateUser(ctx, sys, admins[i].ID, directory.UserPatch{Role: ptr("analyst")})
				}()
			}
			wg.Wait()
			n, err := store.CountActiveCenterAdmins(ctx, db.Read())
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Fatalf("round %d: %d active center admins", round, n)
			}
			// Keep the survivor as the first admin of the next round.
			for _, a := range admins {
				if u := c.user(t, a.ID); u.Role() == model.RoleCenterAdmin {
					c.centerAdmin = u
				}
			}
		}
	})
}

func TestControlCharactersAreCleanedAndFindNothingOnBothBackends(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		c := newCast(t, db)
		// Stored text is cleaned the same way on both backends (PostgreSQL refuses NUL and
		// invalid UTF-8; SQLite would keep them).
		o, err := c.e.Directory.CreateOrg(ctx, sys, directory.OrgInput{NameJA: "悪意\x00の\x1b[31m組織\xff", Kind: "other",
			Contacts: []model.Contact{{Label: "窓口\x07"}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.org(t, o.ID); got.NameJA != "悪意 の [31m組織\uFFFD" || got.Contacts[0].Label != "窓口" {
			t.Fatalf("%q %q", got.NameJA, got.Contacts[0].Label)
		}
		u, err := c.e.Directory.CreateUser(ctx, sys, directory.UserInput{OrgID: o.ID, Email: "x@evil.example", DisplayName: "\x00名前\x1b"})
		if err != nil || c.user(t, u.ID).DisplayName != "名前" {
			t.Fatalf("%+v %v", u, err)
		}
		// Searches and look-ups with control characters answer, not fail.
		if orgs, err := c.e.Directory.ListOrgs(ctx, sys, directory.OrgQuery{Text: "悪意\x00の"}); err != nil || len(orgs) != 1 {
			t.Errorf("ListOrgs: %d, %v", len(orgs), err)
		}
		if _, err := c.e.Directory.ListUsers(ctx, sys, directory.UserQuery{Text: "名\x00前\xff"}); err != nil {
			t.Errorf("ListUsers: %v", err)
		}
		if _, err := c.e.Directory.FindOrg(ctx, sys, "no\x00such"); fault.As(err).Key != "org.not_found" {
			t.Errorf("FindOrg: %v", err)
		}
		if _, err := c.e.Directory.FindUser(ctx, sys, "x\x00@evil.example"); fault.As(err).Key != "user.not_found" {
			t.Errorf("FindUser: %v", err)
		}
		if _, err := c.e.Communities.Find(ctx, sys, "\x00"); fault.As(err).Key != "community.not_found" {
			t.Errorf("community Find: %v", err)
		}
		if _, err := c.e.Auth.SignIn(ctx, "m.suzuki\x00@toto.example", testapp.Password, client); fault.As(err).Key != "signin.failed" {
			t.Errorf("SignIn: %v", err)
		}
	})
}
