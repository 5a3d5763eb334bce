package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// The admin changes a subscription through its edit page: the form comes filled in (never
// the secret), a bad interval is refused in Japanese with what was typed kept, a good edit
// keeps the stored secret; other organizations get 404s.
func TestPageTaxiiSubscriptionEdit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newNotifyWorld(t, db)
		ctx := testapp.Ctx()
		k, err := w.env.Intel.CreateCollection(ctx, auth.System(), intel.CollectionInput{Title: "東都電力IoC", OrgID: w.a.ID})
		if err != nil {
			t.Fatal(err)
		}
		subs := taxii.SubscriptionsOf(w.env.App)
		sub, err := subs.Create(ctx, w.env.Principal(w.adminA), taxii.SubscriptionInput{Title: "ベンダーフィード", Direction: "pull", Collection: k.UUID,
			APIRoot: "https://taxii.vendor.example/api1/", RemoteCollection: "remote-1", AuthKind: "bearer", Secret: "tok-123", Interval: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		path := "/intel/subscriptions/" + idText(sub.ID) + "/edit"
		admin := w.visitor(t, w.adminA, w.adminATOTP)
		if r := admin.get("/intel/subscriptions"); !strings.Contains(r.body, `href="`+path+`"`) {
			t.Error("no edit link in the list")
		}
		r := admin.get(path)
		expectStatus(t, "edit page", r, http.StatusOK)
		if v, _ := inputValue(r.body, "title"); v != "ベンダーフィード" || strings.Contains(r.body, "tok-123") {
			t.Errorf("edit form: title %q", v)
		}
		form := url.Values{"title": {"改名"}, "direction": {"pull"}, "collection": {k.UUID}, "api_root": {"https://taxii.vendor.example/api1/"},
			"remote_collection": {"remote-1"}, "auth_kind": {"bearer"}, "interval": {"1"}}
		r = admin.postCSRF(path, form)
		expectStatus(t, "bad interval", r, http.StatusUnprocessableEntity)
		if msg, invalid := fieldError(r.body, "interval"); !invalid || msg != i18n.T(model.LangJA, "taxiisub.bad_interval", "min", 5, "max", 10080) {
			t.Errorf("interval error %q", msg)
		}
		if v, _ := inputValue(r.body, "title"); v != "改名" {
			t.Errorf("title typed lost: %q", v)
		}
		form.Set("interval", "90")
		r = admin.postCSRF(path, form)
		expectStatus(t, "save", r, http.StatusSeeOther)
		if r := admin.get(r.location()); flashOf(r.body) != i18n.T(model.LangJA, "flash.taxiisub_updated") || !strings.Contains(r.body, "改名") {
			t.Errorf("after save: flash %q", flashOf(r.body))
		}
		got, _ := subs.Get(ctx, w.env.Principal(w.adminA), sub.ID)
		if got.Title != "改名" || got.Interval != 90*time.Minute || !got.HasSecret {
			t.Errorf("stored: %+v", got)
		}
		other := w.visitor(t, w.adminB, w.adminBTOTP)
		expectStatus(t, "other GET", other.get(path), http.StatusNotFound)
		expectStatus(t, "other POST", other.postCSRF(path, form), http.StatusNotFound)
		expectStatus(t, "member GET", w.visitor(t, w.memberA, nil).get(path), http.StatusNotFound)
	})
}
