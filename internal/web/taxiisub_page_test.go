package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// An organization's admin adds a TAXII subscription through the form (a refused form keeps
// what was typed and says why in Japanese), sees its status, runs it now and removes it;
// members and other organizations get 404s.
func TestPageTaxiiSubscriptions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newNotifyWorld(t, db)
		ctx := testapp.Ctx()
		k, err := w.env.Intel.CreateCollection(ctx, auth.System(), intel.CollectionInput{Title: "東都電力IoC", OrgID: w.a.ID})
		if err != nil {
			t.Fatal(err)
		}
		const path = "/intel/subscriptions"
		admin := w.visitor(t, w.adminA, w.adminATOTP)
		if r := admin.get("/admin"); !strings.Contains(r.body, `href="`+path+`"`) {
			t.Error("the org admin is not offered the subscriptions")
		}
		r := admin.get(path)
		expectStatus(t, "page", r, http.StatusOK)
		if !strings.Contains(r.body, i18n.T(model.LangJA, "webtaxiisub.none")) || !strings.Contains(r.body, "東都電力IoC") {
			t.Error("empty list or the collection choice missing")
		}
		form := url.Values{"title": {"ベンダーフィード"}, "direction": {"pull"}, "collection": {k.UUID}, "api_root": {"https://taxii.vendor.example/api1/"},
			"remote_collection": {"91a7b528-80eb-42ed-a74d-c6fbd5a26116"}, "auth_kind": {"bearer"}, "secret": {"tok-123"}, "interval": {"1"}}
		r = admin.postCSRF(path, form)
		expectStatus(t, "bad interval", r, http.StatusUnprocessableEntity)
		if msg, invalid := fieldError(r.body, "interval"); !invalid || msg != i18n.T(model.LangJA, "taxiisub.bad_interval", "min", 5, "max", 10080) {
			t.Errorf("interval error %q %v", msg, invalid)
		}
		if v, _ := inputValue(r.body, "title"); v != "ベンダーフィード" {
			t.Errorf("the title typed was lost: %q", v)
		}
		if strings.Contains(r.body, "tok-123") {
			t.Error("the secret is sent back")
		}
		form.Set("interval", "30")
		r = admin.postCSRF(path, form)
		expectStatus(t, "create", r, http.StatusSeeOther)
		r = admin.get(r.location())
		if flashOf(r.body) != i18n.T(model.LangJA, "flash.taxiisub_created") || !strings.Contains(r.body, "ベンダーフィード") ||
			!strings.Contains(r.body, i18n.T(model.LangJA, "webtaxiisub.state_waiting")) || strings.Contains(r.body, "tok-123") {
			t.Errorf("after create: flash %q", flashOf(r.body))
		}
		subs, err := taxii.SubscriptionsOf(w.env.App).List(ctx, w.env.Principal(w.adminA), store.Page{})
		if err != nil || len(subs) != 1 {
			t.Fatalf("subs %+v %v", subs, err)
		}
		one := path + "/" + idText(subs[0].ID)

		member := w.visitor(t, w.memberA, nil)
		expectStatus(t, "member GET", member.get(path), http.StatusNotFound)
		expectStatus(t, "member run", member.postCSRF(one+"/run", nil), http.StatusNotFound)
		other := w.visitor(t, w.adminB, w.adminBTOTP)
		if r := other.get(path); r.status != http.StatusOK || strings.Contains(r.body, "ベンダーフィード") {
			t.Errorf("another organization's admin: %d", r.status)
		}
		expectStatus(t, "other run", other.postCSRF(one+"/run", nil), http.StatusNotFound)
		expectStatus(t, "other delete", other.postCSRF(one+"/delete", nil), http.StatusNotFound)

		r = admin.postCSRF(one+"/run", nil)
		expectStatus(t, "run", r, http.StatusSeeOther)
		if r := admin.get(r.location()); flashOf(r.body) != i18n.T(model.LangJA, "flash.taxiisub_run") {
			t.Errorf("run: flash %q", flashOf(r.body))
		}
		r = admin.postCSRF(one+"/delete", nil)
		expectStatus(t, "delete", r, http.StatusSeeOther)
		if r := admin.get(path); strings.Contains(r.body, "ベンダーフィード") {
			t.Error("the removed subscription is listed")
		}
	})
}
