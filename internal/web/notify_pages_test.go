package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/notify"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// notifyWorld is the center, two operators and their people.
type notifyWorld struct {
	env                               *testapp.Env
	base                              string
	center, a, b                      model.Org
	chief, adminA, memberA, adminB    model.User
	chiefTOTP, adminATOTP, adminBTOTP []byte
}

func newNotifyWorld(t *testing.T, db *store.DB) *notifyWorld {
	env := testapp.New(t, db)
	w := &notifyWorld{env: env}
	w.center = env.Org("対処調整センター", model.KindCenter)
	w.a = env.Org("東都電力", model.KindOperator)
	w.b = env.Org("関東ガス", model.KindOperator)
	w.chief = env.Person(w.center, "chief@center.example", model.RoleCenterAdmin)
	w.chiefTOTP = env.EnrolTOTP(w.chief)
	w.adminA = env.Person(w.a, "admin@toto-power.example", model.RoleOrgAdmin)
	w.adminATOTP = env.EnrolTOTP(w.adminA)
	w.memberA = env.Person(w.a, "sato@toto-power.example", model.RoleMember)
	w.adminB = env.Person(w.b, "admin@kanto-gas.example", model.RoleOrgAdmin)
	w.adminBTOTP = env.EnrolTOTP(w.adminB)
	w.base = env.Server()
	return w
}

func (w *notifyWorld) visitor(t *testing.T, u model.User, totp []byte) *visitor {
	v := newVisitor(t, w.env, w.base)
	v.signInAs(u, totp)
	return v
}

func isRadioChecked(body, id string) bool {
	tag := regexp.MustCompile(`<input[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	return strings.Contains(tag, " checked")
}

func TestPageNotificationSettings(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newNotifyWorld(t, db)
		v := w.visitor(t, w.memberA, nil)

		if r := v.get("/profile"); !strings.Contains(r.body, `href="/settings/notifications"`) {
			t.Error("the profile does not link to the notification settings")
		}
		r := v.get("/settings/notifications")
		expectStatus(t, "settings page", r, http.StatusOK)
		if h1Of(r.body) != i18n.T(model.LangJA, "webnotify.settings_title") {
			t.Errorf("heading %q", h1Of(r.body))
		}
		if !isRadioChecked(r.body, "important-immediate") || !isRadioChecked(r.body, "others-daily") {
			t.Error("the defaults are not checked")
		}
		if strings.Contains(r.body, `href="/orgs/`) {
			t.Error("a member is offered the webhooks")
		}

		r = v.postCSRF("/settings/notifications", url.Values{"important": {"digest"}, "others": {"hourly"}})
		expectStatus(t, "save", r, http.StatusSeeOther)
		if r.location() != "/settings/notifications" {
			t.Errorf("saved to %q", r.location())
		}
		r = v.get("/settings/notifications")
		if flashOf(r.body) != i18n.T(model.LangJA, "flash.notify_saved") {
			t.Errorf("flash %q", flashOf(r.body))
		}
		if !isRadioChecked(r.body, "important-digest") || !isRadioChecked(r.body, "others-hourly") || isRadioChecked(r.body, "others-daily") {
			t.Error("the saved choices are not checked")
		}
		got, err := w.env.Notify.Prefs(testapp.Ctx(), w.env.Principal(w.memberA))
		if err != nil || got != (notify.Prefs{Important: "digest", Others: "hourly"}) {
			t.Errorf("stored %+v %v", got, err)
		}

		// A forged form changes nothing.
		forged := *v
		forged.csrf = "forged"
		expectStatus(t, "forged", forged.postCSRF("/settings/notifications", url.Values{"important": {"none"}, "others": {"none"}}), http.StatusForbidden)

		// An invalid choice is refused in the person's language, in Japanese then English.
		for _, l := range []model.Lang{model.LangJA, model.LangEN} {
			setUserLang(w.env, w.memberA, l)
			r = v.postCSRF("/settings/notifications", url.Values{"important": {"digest"}, "others": {"weekly"}})
			expectStatus(t, "invalid choice", r, http.StatusUnprocessableEntity)
			want := i18n.T(l, "notify.invalid_choice", "value", "weekly", "allowed", "hourly, daily, none")
			if !strings.Contains(html.UnescapeString(r.body), want) {
				t.Errorf("%s: the page does not say %q", l, want)
			}
			if langOf(r.body) != string(l) {
				t.Errorf("page language %q, want %s", langOf(r.body), l)
			}
		}
		got, _ = w.env.Notify.Prefs(testapp.Ctx(), w.env.Principal(w.memberA))
		if got.Others != "hourly" {
			t.Errorf("a refused choice was stored: %+v", got)
		}
	})
}

var reSecret = regexp.MustCompile(`rnk_whsec_[A-Za-z0-9_-]+`)

func TestPageWebhooks(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newNotifyWorld(t, db)
		path := "/orgs/" + idText(w.a.ID) + "/webhooks"
		admin := w.visitor(t, w.adminA, w.adminATOTP)

		if r := admin.get("/settings/notifications"); !strings.Contains(r.body, `href="`+path+`"`) {
			t.Error("the org admin is not offered the webhooks")
		}
		r := admin.get(path)
		expectStatus(t, "webhooks page", r, http.StatusOK)

		// Refused URLs keep what was typed and say why.
		r = admin.postCSRF(path, url.Values{"url": {"http://hooks.example.com/x"}})
		expectStatus(t, "http URL", r, http.StatusUnprocessableEntity)
		if msg, invalid := fieldError(r.body, "url"); !invalid || msg != i18n.T(model.LangJA, "notify.webhook_url_https") {
			t.Errorf("url error %q %v", msg, invalid)
		}
		if v, _ := inputValue(r.body, "url"); v != "http://hooks.example.com/x" {
			t.Errorf("the URL typed was lost: %q", v)
		}

		// The secret is shown once, on the answer to the form.
		r = admin.postCSRF(path, url.Values{"url": {"https://hooks.example.com/renkei"}})
		expectStatus(t, "create", r, http.StatusOK)
		secret := reSecret.FindString(r.body)
		if secret == "" || flashOf(r.body) != i18n.T(model.LangJA, "flash.webhook_created") {
			t.Fatalf("no secret or flash on the answer (flash %q)", flashOf(r.body))
		}
		r = admin.get(path)
		if strings.Contains(r.body, secret) || reSecret.MatchString(r.body) {
			t.Error("the secret is shown again")
		}
		if !strings.Contains(r.body, "https://hooks.example.com/renkei") {
			t.Error("the webhook is not listed")
		}
		hooks, err := w.env.Notify.Webhooks(testapp.Ctx(), w.env.Principal(w.adminA), w.a.ID)
		if err != nil || len(hooks) != 1 {
			t.Fatalf("webhooks %+v %v", hooks, err)
		}
		hook := path + "/" + idText(hooks[0].ID)
		recs, err := audit.List(testapp.Ctx(), w.env.DB, auth.System().Actor, audit.Query{Action: "webhook.created", Limit: 10})
		if err != nil || len(recs) != 1 || recs[0].TargetID != hooks[0].ID || recs[0].ActorUserID != w.adminA.ID {
			t.Errorf("audit %+v %v", recs, err)
		}

		// Nobody else reaches them: a member of the organization, another organization's
		// admin, even through a path naming their own organization.
		member := w.visitor(t, w.memberA, nil)
		expectStatus(t, "member GET", member.get(path), http.StatusNotFound)
		expectStatus(t, "member create", member.postCSRF(path, url.Values{"url": {"https://evil.example.com/"}}), http.StatusNotFound)
		expectStatus(t, "member delete", member.postCSRF(hook+"/delete", nil), http.StatusNotFound)
		other := w.visitor(t, w.adminB, w.adminBTOTP)
		expectStatus(t, "other admin GET", other.get(path), http.StatusNotFound)
		expectStatus(t, "other admin via own org", other.postCSRF("/orgs/"+idText(w.b.ID)+"/webhooks/"+idText(hooks[0].ID)+"/delete", nil), http.StatusNotFound)
		if r := other.get("/orgs/" + idText(w.b.ID) + "/webhooks"); r.status != http.StatusOK || strings.Contains(r.body, "hooks.example.com") {
			t.Errorf("another organization's page: %d", r.status)
		}

		// Pause, resume, ping, rotate (a new secret, shown once) and delete.
		for _, step := range []struct{ action, flash string }{
			{"pause", "flash.webhook_paused"}, {"resume", "flash.webhook_resumed"}, {"ping", "flash.webhook_pinged"},
		} {
			r := admin.postCSRF(hook+"/"+step.action, nil)
			expectStatus(t, step.action, r, http.StatusSeeOther)
			if r := admin.get(r.location()); flashOf(r.body) != i18n.T(model.LangJA, step.flash) {
				t.Errorf("%s: flash %q", step.action, flashOf(r.body))
			}
		}
		forged := *admin
		forged.csrf = "forged"
		expectStatus(t, "forged pause", forged.postCSRF(hook+"/pause", nil), http.StatusForbidden)
		chief := w.visitor(t, w.chief, w.chiefTOTP)
		r = chief.postCSRF(hook+"/rotate", nil)
		expectStatus(t, "rotate", r, http.StatusOK)
		if s := reSecret.FindString(r.body); s == "" || s == secret {
			t.Errorf("rotated secret %q", s)
		}
		hooks, _ = w.env.Notify.Webhooks(testapp.Ctx(), w.env.Principal(w.adminA), w.a.ID)
		if !hooks[0].Active {
			t.Error("the webhook is still paused")
		}
		r = admin.postCSRF(hook+"/delete", nil)
		expectStatus(t, "delete", r, http.StatusSeeOther)
		if r := admin.get(path); strings.Contains(r.body, "https://hooks.example.com/renkei") {
			t.Error("the deleted webhook is listed")
		}
		expectStatus(t, "delete again", admin.postCSRF(hook+"/delete", nil), http.StatusNotFound)
	})
}

func TestPageWebhooksInEnglish(t *testing.T) {
	w := newNotifyWorld(t, testdb.SQLite(t))
	setUserLang(w.env, w.adminA, model.LangEN)
	v := w.visitor(t, w.adminA, w.adminATOTP)
	for _, p := range []string{"/orgs/" + idText(w.a.ID) + "/webhooks", "/settings/notifications"} {
		r := v.get(p)
		expectStatus(t, p, r, http.StatusOK)
		rest := strings.ReplaceAll(r.body, i18n.T(model.LangEN, "lang.name.ja"), "")
		rest = strings.ReplaceAll(rest, w.a.Name(model.LangEN), "") // the organization has a Japanese name only
		if langOf(r.body) != "en" || strings.ContainsFunc(rest, func(r rune) bool { return unicode.In(r, unicode.Hiragana, unicode.Katakana, unicode.Han) }) {
			t.Errorf("%s: not an English page", p)
		}
	}
}
