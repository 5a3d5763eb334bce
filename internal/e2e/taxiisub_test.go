package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// An organization's admin, on a phone, subscribes the organization's collection to a
// collection of another Renkei over TAXII: the form refuses a bad interval and keeps what
// was typed, then the subscription is listed; once the scheduler has run it, the page shows
// the last success and the count pulled.
func TestBrowserTaxiiSubscription(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx, sys := testapp.Ctx(), auth.System()
		// The remote Renkei with three indicators in an organization's collection.
		remote := testapp.New(t, db)
		vendor := remote.Org("外部ベンダー", model.KindCTIVendor)
		reader := remote.Person(vendor, "feed@vendor.example", model.RoleMember)
		rk, err := remote.Intel.CreateCollection(ctx, sys, intel.CollectionInput{Title: "feed", OrgID: vendor.ID})
		if err != nil {
			t.Fatal(err)
		}
		var objs []string
		for i := range 3 {
			objs = append(objs, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-00000000000e","created":"2026-07-01T00:00:00.000Z","modified":"2026-07-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '203.0.113.%d']","pattern_type":"stix","valid_from":"2026-07-01T00:00:00Z"}`, i, i))
		}
		if st, err := remote.Intel.AddObjects(ctx, remote.Principal(reader), rk.UUID, strings.NewReader(`{"objects":[`+strings.Join(objs, ",")+`]}`)); err != nil || st.Success != 3 {
			t.Fatalf("remote: %+v %v", st, err)
		}
		remoteURL := remote.Server()

		cfg := testapp.Config(t)
		cfg.TaxiiAllowHTTP, cfg.TaxiiAllowPrivate = true, true
		env := testapp.NewWith(t, testdb.Open(t, db.Backend()), cfg)
		power := env.Org("東都電力株式会社", model.KindOperator)
		lk, err := env.Intel.CreateCollection(ctx, sys, intel.CollectionInput{Title: "東都電力IoC", OrgID: power.ID})
		if err != nil {
			t.Fatal(err)
		}
		admin := env.Person(power, "admin@toto-power.example", model.RoleOrgAdmin)
		secret := env.EnrolTOTP(admin)

		b := newBrowser(t, env.Server())
		b.do("emulating a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(3)))
		b.snsSignIn(env, admin, secret)
		b.open("/admin")
		b.click("TAXII購読")
		b.expectPage("/intel/subscriptions", "TAXII購読")
		b.fill("title", "ベンダーフィード")
		b.choose("collection", lk.UUID)
		b.fill("api_root", remoteURL+"/taxii2/renkei/")
		b.fill("remote_collection", rk.UUID)
		b.choose("auth_kind", "basic")
		b.fill("username", reader.Email)
		b.fill("secret", remote.Token(reader))
		b.fill("interval", "2")
		b.click("購読を追加")
		if got := b.text(".field.invalid .err"); got != "間隔は5〜10080分です。" {
			t.Errorf("interval error %q", got)
		}
		if got := b.value("title"); got != "ベンダーフィード" {
			t.Errorf("the title typed was lost: %q", got)
		}
		b.fill("interval", "30")
		b.fill("secret", remote.Token(reader))
		b.click("購読を追加")
		if got := b.text(".notice.ok"); got != "購読を追加しました。" {
			t.Errorf("flash %q", got)
		}
		if n, err := taxii.SubscriptionsOf(env.App).Tick(ctx); err != nil || n != 1 {
			t.Fatalf("scheduler ran %d: %v", n, err)
		}
		b.open("/intel/subscriptions")
		row := b.text("#subscriptions tbody tr")
		if !strings.Contains(row, "ベンダーフィード") || !strings.Contains(row, "取得 3件") || !strings.Contains(row, "正常") {
			t.Errorf("row after the run: %q", row)
		}
		b.noHorizontalScroll()
		b.screenshot("taxii-subscriptions")
	})
}
