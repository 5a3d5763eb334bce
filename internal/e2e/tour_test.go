package e2e

import (
	"fmt"
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/demo"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// The demo data set, as a newcomer sees it after `renkei serve --demo`: a center admin signs
// in with 2FA and walks through every main page; each renders its heading without a script
// error. With RENKEI_SCREENSHOTS set, the pages are saved for the README.
func TestBrowserDemoTour(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		res, err := demo.Load(testapp.Ctx(), env.App)
		if err != nil || !res.Loaded {
			t.Fatalf("demo.Load: loaded=%v err=%v", res.Loaded, err)
		}
		admin, err := env.Directory.FindUser(testapp.Ctx(), auth.System(), "admin@ccc.example")
		if err != nil {
			t.Fatal(err)
		}
		secret := env.EnrolTOTP(admin)
		mine, err := env.Communities.Mine(testapp.Ctx(), env.Principal(admin), store.Page{})
		if err != nil || len(mine) == 0 {
			t.Fatalf("the demo admin belongs to %d communities (err %v)", len(mine), err)
		}

		b := newBrowser(t, env.Server())
		b.signIn(admin.Email, res.Password)
		b.expectPage("/signin/2fa", "2段階認証")
		b.fill("code", env.Code(secret))
		b.click("確認")
		b.expectHome(admin.DisplayName)
		b.screenshot("home")

		pages := []struct{ path, h1, shot string }{
			{fmt.Sprintf("/communities/%d", mine[0].ID), mine[0].NameJA, "community"},
			{"/directory", "", "directory"},
			{fmt.Sprintf("/directory/orgs/%d", admin.OrgID), "", "organization"},
			{"/profile", "個人設定", "profile"},
			{"/admin/orgs", "", "admin-orgs"},
			{"/admin/audit", "", "admin-audit"},
			{"/desk", "", "desk-queue"},
			{"/desk/report", "", "desk-report"},
			{"/indicators", "", "indicators"},
			{"/notices", "", "notices"},
			{"/notices/read-times", "", "notice-read-times"},
			{"/assets", "", "assets"},
			{"/intel/subscriptions", "", "taxii-subscriptions"},
		}
		for _, p := range pages {
			b.open(p.path)
			if got := b.location().Path; got != p.path {
				b.fatalf("opening %s led to %s", p.path, got)
			}
			h1 := b.text("h1")
			if h1 == "" || (p.h1 != "" && h1 != p.h1) {
				b.fatalf("%s: heading %q, want %q", p.path, h1, p.h1)
			}
			b.screenshot(p.shot)
		}
	})
}
