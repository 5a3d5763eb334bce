package e2e

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// A center admin registers an organization and a person in it; the person opens the
// one-time link in another browser, chooses a password and signs in.
func TestBrowserAdminCreatesOrgAndPerson(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		center := env.Org("対処調整センター", model.KindCenter)
		admin := env.Person(center, "admin@center.example", model.RoleCenterAdmin)
		secret := env.EnrolTOTP(admin)
		b := newBrowser(t, env.Server())

		b.signIn(admin.Email, testapp.Password)
		b.expectPage("/signin/2fa", "2段階認証")
		b.fill("code", env.Code(secret))
		b.click("確認")
		b.expectHome(admin.DisplayName)

		b.click("管理")
		b.expectPage("/admin", "管理")
		b.click("組織の管理")
		b.expectPage("/admin/orgs", "組織の管理")
		b.click("組織を登録")
		b.expectPage("/admin/orgs/new", "組織を登録")
		const nameJA, nameEN = "湾岸ガス株式会社", "Wangan Gas Co., Ltd."
		b.fill("name_ja", nameJA)
		b.fill("name_en", nameEN)
		b.choose("kind", "operator")
		b.choose("sector", "gas")
		// Every text field of the form is drawn alike, whatever its type (text, email, tel).
		if heights := eval[[]int](b, `[...new Set([...document.querySelectorAll("form.stack input:not([type=hidden]):not([type=checkbox])")]
			.map(e => Math.round(e.getBoundingClientRect().height)))]`); len(heights) != 1 {
			t.Errorf("the organization form's text fields have %d different heights (%v), want one", len(heights), heights)
		}
		b.fill("cl0", "セキュリティ窓口")
		b.fill("ce0", "soc@wangan-gas.example")
		b.click("作成")

		orgPath := b.location().Path
		orgID, err := strconv.ParseInt(strings.TrimPrefix(orgPath, "/admin/orgs/"), 10, 64)
		if err != nil {
			b.fatalf("after creating the organization: on %s, want /admin/orgs/ID", orgPath)
		}
		b.expectPage(orgPath, nameJA)
		if got := b.text(".notice.ok"); got != "組織を登録しました。" {
			t.Errorf("flash %q after creating the organization", got)
		}
		if got := b.value("sector"); got != "gas" {
			t.Errorf("the organization page shows sector %q, want gas", got)
		}
		b.screenshot("admin-org")

		b.click("利用者を登録")
		if got := b.location(); got.Path != "/admin/users/new" || got.Query().Get("org") != strconv.FormatInt(orgID, 10) {
			b.fatalf("on %s, want /admin/users/new?org=%d", got, orgID)
		}
		if got := b.value("org"); got != strconv.FormatInt(orgID, 10) {
			t.Errorf("the person form names organization %q, want %d", got, orgID)
		}
		const email, name = "yamada@wangan-gas.example", "山田 花子"
		b.fill("email", email)
		b.fill("display_name", name)
		b.choose("role", "member")
		b.click("登録してサインイン用リンクを発行")
		if got := b.text(".notice.ok"); !strings.HasPrefix(got, "利用者を登録しました。") {
			t.Errorf("flash %q after creating the person", got)
		}
		link := b.text("#signin-link")

		// What the browser did is in the database.
		org, err := env.Directory.GetOrg(testapp.Ctx(), auth.System(), orgID)
		if err != nil {
			t.Fatal(err)
		}
		if org.NameJA != nameJA || org.NameEN != nameEN || org.Kind != model.KindOperator || org.Sector != "gas" {
			t.Errorf("organization stored as %+v", org)
		}
		if len(org.Contacts) != 1 || org.Contacts[0].Email != "soc@wangan-gas.example" {
			t.Errorf("organization contacts stored as %+v", org.Contacts)
		}
		person, err := env.Directory.FindUser(testapp.Ctx(), auth.System(), email)
		if err != nil {
			t.Fatal(err)
		}
		if person.OrgID != orgID || person.DisplayName != name || person.Role() != model.RoleMember {
			t.Errorf("person stored as %+v", person)
		}

		// The link is made for the configured public address; the test server has another.
		welcome := strings.TrimPrefix(link, env.Config.PublicURL())
		if welcome == link || !strings.HasPrefix(welcome, "/welcome/") {
			t.Fatalf("sign-in link %q, want %s/welcome/…", link, env.Config.PublicURL())
		}

		// Another person, another browser profile: no session of the admin's.
		p := b.fresh()
		p.open(welcome)
		p.expectPage(pathOf(t, welcome), "パスワードの設定")
		if lead := p.text(".lead"); !strings.Contains(lead, email) {
			t.Errorf("welcome page says %q, want it to name %s", lead, email)
		}
		const password = "umi no mieru gas tanku 2026"
		p.fill("password", password)
		p.fill("password2", password)
		p.click("パスワードを設定")
		p.expectPage("/signin", "サインイン")
		if got := p.text(".notice.ok"); got != "パスワードを設定しました。サインインしてください。" {
			t.Errorf("flash %q after setting the password", got)
		}
		p.signIn(email, password)
		p.expectHome(name)
		if lead := p.text(".lead"); !strings.Contains(lead, nameJA) {
			t.Errorf("home page says %q, want it to name %s", lead, nameJA)
		}

		// The link was for one use only.
		if status := p.open(welcome); status < 400 {
			t.Errorf("the used sign-in link answered %d, want an error", status)
		}
		// The admin's own browser is still signed in as the admin.
		b.open("/")
		b.expectHome(admin.DisplayName)
	})
}

func pathOf(t *testing.T, s string) string {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}
