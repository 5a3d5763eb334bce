package web

// Notification pages: the signed-in person's email preferences, and the webhooks of an
// organization for those who manage them (its org admins and center admins).

import (
	"net/http"
	"slices"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/notify"
	"github.com/renkei-dev/renkei/internal/policy"
)

// notifyChoice is one radio button of the preferences form.
type notifyChoice struct {
	Value, Label string
	Checked      bool
}

type notifySettingsData struct {
	Important, Others []notifyChoice
}

// choiceLabel names a choice in the page's language.
func (web *Web) choiceLabel(p *page, value string) string {
	switch value {
	case notify.ImportantImmediate:
		return p.T("notify.choice_immediate")
	case notify.ImportantDigest:
		return p.T("notify.choice_digest")
	case notify.OthersHourly:
		return p.T("notify.choice_hourly")
	case notify.OthersDaily:
		return p.T("notify.choice_daily", "hour", web.app.Config.DigestHour)
	}
	return p.T("notify.choice_none")
}

func (web *Web) notifyChoices(p *page, values []string, chosen string) []notifyChoice {
	out := make([]notifyChoice, len(values))
	for i, v := range values {
		out[i] = notifyChoice{Value: v, Label: web.choiceLabel(p, v), Checked: v == chosen}
	}
	return out
}

func (web *Web) renderNotifySettings(w http.ResponseWriter, r *http.Request, status int, prefs notify.Prefs, err error) {
	p := web.newPage(w, r, "webnotify.settings_title", "profile")
	if err != nil {
		p.setErrors(err)
	}
	p.Data = &notifySettingsData{
		Important: web.notifyChoices(p, notify.ImportantChoices, prefs.Important),
		Others:    web.notifyChoices(p, notify.OthersChoices, prefs.Others),
	}
	web.render(w, r, status, "notify_settings", p)
}

func (web *Web) notifySettings(w http.ResponseWriter, r *http.Request) {
	prefs, err := web.app.Notify.Prefs(r.Context(), httpx.MustPrincipal(r))
	if err != nil {
		web.fail(w, r, err)
		return
	}
	web.renderNotifySettings(w, r, http.StatusOK, prefs, nil)
}

func (web *Web) notifySettingsPost(w http.ResponseWriter, r *http.Request) {
	in := notify.Prefs{Important: r.PostFormValue("important"), Others: r.PostFormValue("others")}
	if _, err := web.app.Notify.SetPrefs(r.Context(), httpx.MustPrincipal(r), in); err != nil {
		if fault.KindOf(err) != fault.Invalid {
			web.fail(w, r, err)
			return
		}
		web.renderNotifySettings(w, r, statusOf(fault.Invalid), in, err)
		return
	}
	web.redirectFlash(w, r, "/settings/notifications", "flash.notify_saved")
}

// ---- webhooks ----

type webhooksData struct {
	Org       model.Org
	Hooks     []notify.Webhook
	Max       int
	URL       string // what was typed, when the form failed
	NewSecret string // shown this once, after creation or rotation
	SecretFor string // the URL of the webhook the secret belongs to
}

// webhookOrg returns the organization of /orgs/{id}/webhooks when the person manages its
// webhooks; everyone else gets a 404 page, as if there were nothing here.
func (web *Web) webhookOrg(w http.ResponseWriter, r *http.Request) (model.Org, bool) {
	pr := httpx.MustPrincipal(r)
	id := idParam(r, "id")
	if id == 0 || !policy.CanManageWebhooks(pr.Actor, id) {
		web.renderError(w, r, http.StatusNotFound, "error.not_found")
		return model.Org{}, false
	}
	o, err := web.app.Directory.GetOrg(r.Context(), pr, id)
	if err != nil {
		web.fail(w, r, err)
		return model.Org{}, false
	}
	return o, true
}

func (web *Web) renderWebhooks(w http.ResponseWriter, r *http.Request, status int, o model.Org, edit func(*page, *webhooksData)) {
	hooks, err := web.app.Notify.Webhooks(r.Context(), httpx.MustPrincipal(r), o.ID)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "webnotify.webhooks_title", "")
	d := &webhooksData{Org: o, Hooks: hooks, Max: notify.MaxWebhooksPerOrg}
	if edit != nil {
		edit(p, d)
	}
	p.Data = d
	web.render(w, r, status, "org_webhooks", p)
}

func (web *Web) webhooksPage(w http.ResponseWriter, r *http.Request) {
	if o, ok := web.webhookOrg(w, r); ok {
		web.renderWebhooks(w, r, http.StatusOK, o, nil)
	}
}

func (web *Web) webhookCreate(w http.ResponseWriter, r *http.Request) {
	o, ok := web.webhookOrg(w, r)
	if !ok {
		return
	}
	rawURL := r.PostFormValue("url")
	hook, secret, err := web.app.Notify.CreateWebhook(r.Context(), httpx.MustPrincipal(r), o.ID, rawURL)
	if err != nil {
		kind := fault.KindOf(err)
		if kind != fault.Invalid && kind != fault.Conflict {
			web.fail(w, r, err)
			return
		}
		web.renderWebhooks(w, r, statusOf(kind), o, func(p *page, d *webhooksData) {
			p.setErrors(err)
			d.URL = rawURL
		})
		return
	}
	web.renderWebhooks(w, r, http.StatusOK, o, func(p *page, d *webhooksData) {
		d.NewSecret, d.SecretFor = secret, hook.URL
		p.Flash = p.T("flash.webhook_created")
	})
}

// webhookAction handles the buttons of one webhook. The webhook must belong to the
// organization of the path.
func (web *Web) webhookAction(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		o, ok := web.webhookOrg(w, r)
		if !ok {
			return
		}
		pr := httpx.MustPrincipal(r)
		ctx := r.Context()
		hooks, err := web.app.Notify.Webhooks(ctx, pr, o.ID)
		if err != nil {
			web.fail(w, r, err)
			return
		}
		id := idParam(r, "wid")
		i := slices.IndexFunc(hooks, func(h notify.Webhook) bool { return h.ID == id })
		if i < 0 {
			web.renderError(w, r, http.StatusNotFound, "error.not_found")
			return
		}
		back := "/orgs/" + itoa(o.ID) + "/webhooks"
		switch action {
		case "pause", "resume":
			err = web.app.Notify.SetWebhookActive(ctx, pr, id, action == "resume")
		case "delete":
			err = web.app.Notify.DeleteWebhook(ctx, pr, id)
		case "ping":
			err = web.app.Notify.PingWebhook(ctx, pr, id)
		case "rotate":
			secret, err := web.app.Notify.RotateWebhookSecret(ctx, pr, id)
			if err != nil {
				web.fail(w, r, err)
				return
			}
			web.renderWebhooks(w, r, http.StatusOK, o, func(p *page, d *webhooksData) {
				d.NewSecret, d.SecretFor = secret, hooks[i].URL
				p.Flash = p.T("flash.webhook_rotated")
			})
			return
		}
		if err != nil {
			web.fail(w, r, err)
			return
		}
		switch action {
		case "pause":
			web.redirectFlash(w, r, back, "flash.webhook_paused")
		case "resume":
			web.redirectFlash(w, r, back, "flash.webhook_resumed")
		case "delete":
			web.redirectFlash(w, r, back, "flash.webhook_deleted")
		default:
			web.redirectFlash(w, r, back, "flash.webhook_pinged")
		}
	}
}
