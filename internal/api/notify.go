package api

// Notifications: the caller's email preferences and the webhooks of an organization
// (its org admins and center admins).

import (
	"net/http"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/notify"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// NotifyPrefs are the caller's email notification choices.
type NotifyPrefs struct {
	Important string `json:"important" doc:"【重要】 topics and their comments: immediate, digest or none"`
	Others    string `json:"others" doc:"everything else: hourly, daily or none"`
}

// Webhook is an organization's webhook (never its secret, except once in WebhookCreated
// and WebhookSecret).
type Webhook struct {
	ID        int64     `json:"id"`
	OrgID     int64     `json:"org_id"`
	URL       string    `json:"url"`
	Active    bool      `json:"active"`
	CreatedBy int64     `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

func webhookOut(w notify.Webhook) Webhook {
	return Webhook{ID: w.ID, OrgID: w.OrgID, URL: w.URL, Active: w.Active, CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt}
}

// WebhookInput registers a webhook.
type WebhookInput struct {
	URL string `json:"url" doc:"an absolute https URL"`
}

// WebhookCreated carries the signing secret, shown only in this response.
type WebhookCreated struct {
	Webhook
	Secret string `json:"secret" doc:"the HMAC-SHA256 signing secret; shown only in this response"`
}

// WebhookPatch pauses or resumes a webhook.
type WebhookPatch struct {
	Active *bool `json:"active"`
}

// WebhookSecret is a new signing secret, shown only in this response.
type WebhookSecret struct {
	Secret string `json:"secret"`
}

func (x *API) notifyRoutes() {
	x.add(&op{Method: "GET", Path: "/me/notifications", ID: "getNotificationPrefs", Tag: "notifications", Summary: "The caller's email notification choices", Resp: NotifyPrefs{}, Handle: x.getNotifyPrefs})
	x.add(&op{Method: "PUT", Path: "/me/notifications", ID: "setNotificationPrefs", Tag: "notifications", Summary: "Replace the caller's email notification choices", Body: NotifyPrefs{}, Resp: NotifyPrefs{}, Handle: x.setNotifyPrefs})
	x.add(&op{Method: "GET", Path: "/orgs/{id}/webhooks", ID: "listWebhooks", Tag: "notifications", Summary: "An organization's webhooks (its org admins and center admins)", Resp: List[Webhook]{}, Handle: x.listWebhooks})
	x.add(&op{Method: "POST", Path: "/orgs/{id}/webhooks", ID: "createWebhook", Tag: "notifications", Summary: "Register a webhook; its secret is in this response only", Body: WebhookInput{}, Resp: WebhookCreated{}, Status: 201, Handle: x.createWebhook})
	x.add(&op{Method: "PATCH", Path: "/webhooks/{id}", ID: "updateWebhook", Tag: "notifications", Summary: "Pause or resume a webhook", Body: WebhookPatch{}, Handle: x.updateWebhook})
	x.add(&op{Method: "DELETE", Path: "/webhooks/{id}", ID: "deleteWebhook", Tag: "notifications", Summary: "Delete a webhook; calls not yet sent are dropped", Handle: x.deleteWebhook})
	x.add(&op{Method: "POST", Path: "/webhooks/{id}/secret", ID: "rotateWebhookSecret", Tag: "notifications", Summary: "Give a webhook a new secret, in this response only", Resp: WebhookSecret{}, Handle: x.rotateWebhookSecret})
	x.add(&op{Method: "POST", Path: "/webhooks/{id}/ping", ID: "pingWebhook", Tag: "notifications", Summary: "Queue a test call (event ping) to a webhook", Handle: x.pingWebhook})
}

func (x *API) getNotifyPrefs(r *http.Request, p auth.Principal) (any, error) {
	prefs, err := x.app.Notify.Prefs(r.Context(), p)
	return NotifyPrefs{Important: prefs.Important, Others: prefs.Others}, err
}

func (x *API) setNotifyPrefs(r *http.Request, p auth.Principal) (any, error) {
	var in NotifyPrefs
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	prefs, err := x.app.Notify.SetPrefs(r.Context(), p, notify.Prefs{Important: in.Important, Others: in.Others})
	return NotifyPrefs{Important: prefs.Important, Others: prefs.Others}, err
}

// webhookOrg reads the organization of /orgs/{id}/webhooks: a person who does not manage
// its webhooks gets 403 for their own organization and 404 for any other.
func (x *API) webhookOrg(r *http.Request, p auth.Principal) (int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, err
	}
	if !policy.CanManageWebhooks(p.Actor, id) {
		if id == p.Actor.OrgID {
			return 0, fault.New(fault.Forbidden, "error.forbidden")
		}
		return 0, fault.New(fault.NotFound, "error.not_found")
	}
	if _, err := x.app.Directory.GetOrg(r.Context(), p, id); err != nil {
		return 0, err
	}
	return id, nil
}

func (x *API) listWebhooks(r *http.Request, p auth.Principal) (any, error) {
	orgID, err := x.webhookOrg(r, p)
	if err != nil {
		return nil, err
	}
	hooks, err := x.app.Notify.Webhooks(r.Context(), p, orgID)
	if err != nil {
		return nil, err
	}
	return listOf(hooks, store.Page{Limit: len(hooks) + 1}, func(w notify.Webhook) int64 { return w.ID }, webhookOut), nil
}

func (x *API) createWebhook(r *http.Request, p auth.Principal) (any, error) {
	orgID, err := x.webhookOrg(r, p)
	if err != nil {
		return nil, err
	}
	var in WebhookInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	w, secret, err := x.app.Notify.CreateWebhook(r.Context(), p, orgID, in.URL)
	if err != nil {
		return nil, err
	}
	return WebhookCreated{Webhook: webhookOut(w), Secret: secret}, nil
}

func (x *API) updateWebhook(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in WebhookPatch
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.Active == nil {
		return nil, fault.Field("active", "invalid.required")
	}
	return nil, x.app.Notify.SetWebhookActive(r.Context(), p, id, *in.Active)
}

func (x *API) deleteWebhook(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return nil, x.app.Notify.DeleteWebhook(r.Context(), p, id)
}

func (x *API) rotateWebhookSecret(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	secret, err := x.app.Notify.RotateWebhookSecret(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	return WebhookSecret{Secret: secret}, nil
}

func (x *API) pingWebhook(r *http.Request, p auth.Principal) (any, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	return nil, x.app.Notify.PingWebhook(r.Context(), p, id)
}
