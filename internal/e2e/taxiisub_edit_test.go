package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// An organization's admin opens a subscription from the list, changes its name and
// interval without typing the token again, and finds the list updated.
func TestBrowserTaxiiSubscriptionEdit(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := testapp.Ctx()
		env := testapp.New(t, db)
		power := env.Org("東都電力株式会社", model.KindOperator)
		k, err := env.Intel.CreateCollection(ctx, auth.System(), intel.CollectionInput{Title: "東都電力IoC", OrgID: power.ID})
		if err != nil {
			t.Fatal(err)
		}
		admin := env.Person(power, "admin@toto-power.example", model.RoleOrgAdmin)
		secret := env.EnrolTOTP(admin)
		sub, err := taxii.SubscriptionsOf(env.App).Create(ctx, env.Principal(admin), taxii.SubscriptionInput{Title: "ベンダーフィード", Direction: "pull",
			Collection: k.UUID, APIRoot: "https://taxii.vendor.example/api1/", RemoteCollection: "remote-1", AuthKind: "bearer", Secret: "tok-123",
			Interval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, env.Server())
		b.snsSignIn(env, admin, secret)
		b.open("/intel/subscriptions")
		b.click("変更")
		b.expectPage("/intel/subscriptions/"+strconv.FormatInt(sub.ID, 10)+"/edit", "TAXII購読の変更")
		b.fill("title", "ベンダーフィード（夜間）")
		b.fill("interval", "720")
		b.click("保存")
		if got := b.text(".notice.ok"); got != "購読を変更しました。" {
			t.Errorf("flash %q", got)
		}
		if row := b.text("#subscriptions tbody tr"); !strings.Contains(row, "ベンダーフィード（夜間）") || !strings.Contains(row, "720") {
			t.Errorf("row %q", row)
		}
		if got, _ := taxii.SubscriptionsOf(env.App).Get(ctx, env.Principal(admin), sub.ID); !got.HasSecret {
			t.Error("the token was lost")
		}
	})
}
