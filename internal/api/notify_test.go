package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// The notification operations are tested here: their paths join elsewhere, so that the
// shared GET and required-field tables need not list them, and their endpoint tests join
// endpointTests. TestNotifyRequiredFields covers what the required-field test would.
func init() {
	elsewhere = append(elsewhere, api.Prefix+"/me/notifications", api.Prefix+"/orgs/{id}/webhooks", api.Prefix+"/webhooks")
	endpointTests["GET /api/v1/me/notifications"] = testGetNotifyPrefs
	endpointTests["PUT /api/v1/me/notifications"] = testSetNotifyPrefs
	endpointTests["GET /api/v1/orgs/{id}/webhooks"] = testListWebhooks
	endpointTests["POST /api/v1/orgs/{id}/webhooks"] = testCreateWebhook
	endpointTests["PATCH /api/v1/webhooks/{id}"] = testUpdateWebhook
	endpointTests["DELETE /api/v1/webhooks/{id}"] = testDeleteWebhook
	endpointTests["POST /api/v1/webhooks/{id}/secret"] = testRotateWebhookSecret
	endpointTests["POST /api/v1/webhooks/{id}/ping"] = testPingWebhook
}

const hookURL = "https://hooks.example.com/renkei?token=abc"

func webhooksPath(orgID int64) string { return fmt.Sprintf("%s/orgs/%d/webhooks", api.Prefix, orgID) }
func webhookPath(id int64) string     { return fmt.Sprintf("%s/webhooks/%d", api.Prefix, id) }

// newHook registers a webhook for organization A as its org admin.
func newHook(t *testing.T, w *world) api.WebhookCreated {
	t.Helper()
	var c api.WebhookCreated
	w.as(t, w.adminA).do("POST", webhooksPath(w.orgA.ID), map[string]any{"url": hookURL}).ok(t, 201, &c)
	return c
}

func testGetNotifyPrefs(t *testing.T, w *world) {
	var got api.NotifyPrefs
	w.as(t, w.memberA).get(api.Prefix+"/me/notifications").ok(t, 200, &got)
	if got != (api.NotifyPrefs{Important: "immediate", Others: "daily"}) {
		t.Errorf("defaults %+v", got)
	}
}

func testSetNotifyPrefs(t *testing.T, w *world) {
	a := w.as(t, w.memberA)
	want := api.NotifyPrefs{Important: "digest", Others: "none"}
	var got api.NotifyPrefs
	a.do("PUT", api.Prefix+"/me/notifications", want).ok(t, 200, &got)
	if got != want {
		t.Errorf("answer %+v", got)
	}
	a.get(api.Prefix+"/me/notifications").ok(t, 200, &got)
	if got != want {
		t.Errorf("read back %+v, want %+v", got, want)
	}
	// Another person's choices are their own.
	var other api.NotifyPrefs
	w.as(t, w.memberA2).get(api.Prefix+"/me/notifications").ok(t, 200, &other)
	if other.Important != "immediate" {
		t.Errorf("another person's choices changed: %+v", other)
	}
	// An invalid choice is refused in the caller's language and changes nothing.
	for _, u := range []model.User{w.memberA, w.memberB} {
		p := w.as(t, u).do("PUT", api.Prefix+"/me/notifications", map[string]any{"important": "sometimes", "others": "daily"}).fieldProblem(t, "important")
		msg := i18n.T(u.Lang, "notify.invalid_choice", "value", "sometimes", "allowed", "immediate, digest, none")
		if p.Errors[0].Message != msg {
			t.Errorf("%s: message %q, want %q", u.Lang, p.Errors[0].Message, msg)
		}
	}
	a.get(api.Prefix+"/me/notifications").ok(t, 200, &got)
	if got != want {
		t.Errorf("a refused change was stored: %+v", got)
	}
}

func testListWebhooks(t *testing.T, w *world) {
	c := newHook(t, w)
	for _, u := range []model.User{w.adminA, w.admin} {
		var list api.List[api.Webhook]
		w.as(t, u).get(webhooksPath(w.orgA.ID)).ok(t, 200, &list)
		if len(list.Items) != 1 || list.Items[0] != c.Webhook {
			t.Errorf("%s lists %+v, want %+v", u.Email, list.Items, c.Webhook)
		}
	}
	w.as(t, w.memberA).get(webhooksPath(w.orgA.ID)).problem(t, 403, "forbidden")
	w.as(t, w.memberA).get(webhooksPath(w.orgB.ID)).problem(t, 404, "not-found")
	w.as(t, w.adminA).get(webhooksPath(w.orgB.ID)).problem(t, 404, "not-found")
	w.as(t, w.admin).get(webhooksPath(999999)).problem(t, 404, "not-found")
	var empty api.List[api.Webhook]
	w.as(t, w.admin).get(webhooksPath(w.orgB.ID)).ok(t, 200, &empty)
	if len(empty.Items) != 0 {
		t.Errorf("organization B has webhooks: %+v", empty.Items)
	}
}

func testCreateWebhook(t *testing.T, w *world) {
	c := newHook(t, w)
	if !strings.HasPrefix(c.Secret, "rnk_whsec_") || c.URL != hookURL || !c.Active || c.OrgID != w.orgA.ID || c.CreatedBy != w.adminA.ID {
		t.Errorf("created %+v", c)
	}
	recs := auditOf(t, w, "webhook.created")
	if len(recs) != 1 || recs[0].TargetType != "webhook" || recs[0].TargetID != c.ID || recs[0].ActorUserID != w.adminA.ID {
		t.Fatalf("audit %+v", recs)
	}
	if d := recs[0].Detail; !strings.Contains(d, "hooks.example.com") || strings.Contains(d, "token=abc") || strings.Contains(d, c.Secret) {
		t.Errorf("audit detail %s", d)
	}
	w.as(t, w.adminA).do("POST", webhooksPath(w.orgA.ID), map[string]any{"url": "http://hooks.example.com/"}).fieldProblem(t, "url")
	w.as(t, w.adminA).do("POST", webhooksPath(w.orgA.ID), map[string]any{"url": "https://10.0.0.1/"}).fieldProblem(t, "url")
	w.as(t, w.memberA).do("POST", webhooksPath(w.orgA.ID), map[string]any{"url": hookURL}).problem(t, 403, "forbidden")
	w.as(t, w.memberB).do("POST", webhooksPath(w.orgA.ID), map[string]any{"url": hookURL}).problem(t, 404, "not-found")
	if recs := auditOf(t, w, "webhook.created"); len(recs) != 1 {
		t.Errorf("refused creations were audited: %d records", len(recs))
	}
}

func testUpdateWebhook(t *testing.T, w *world) {
	c := newHook(t, w)
	for _, u := range []model.User{w.memberA, w.memberB, w.analyst} {
		w.as(t, u).do("PATCH", webhookPath(c.ID), map[string]any{"active": false}).problem(t, 404, "not-found")
	}
	w.as(t, w.adminA).do("PATCH", webhookPath(c.ID), map[string]any{}).fieldProblem(t, "active")
	w.as(t, w.adminA).do("PATCH", webhookPath(c.ID), map[string]any{"active": false}).ok(t, 204, nil)
	var list api.List[api.Webhook]
	w.as(t, w.adminA).get(webhooksPath(w.orgA.ID)).ok(t, 200, &list)
	if list.Items[0].Active {
		t.Error("the webhook was not paused")
	}
	w.as(t, w.admin).do("PATCH", webhookPath(c.ID), map[string]any{"active": true}).ok(t, 204, nil)
	if len(auditOf(t, w, "webhook.paused")) != 1 || len(auditOf(t, w, "webhook.resumed")) != 1 {
		t.Error("pause and resume are not audited")
	}
}

func testDeleteWebhook(t *testing.T, w *world) {
	c := newHook(t, w)
	w.as(t, w.memberA).do("DELETE", webhookPath(c.ID), nil).problem(t, 404, "not-found")
	w.as(t, w.adminA).do("DELETE", webhookPath(c.ID), nil).ok(t, 204, nil)
	w.as(t, w.adminA).do("DELETE", webhookPath(c.ID), nil).problem(t, 404, "not-found")
	var list api.List[api.Webhook]
	w.as(t, w.adminA).get(webhooksPath(w.orgA.ID)).ok(t, 200, &list)
	if len(list.Items) != 0 {
		t.Errorf("still listed: %+v", list.Items)
	}
}

func testRotateWebhookSecret(t *testing.T, w *world) {
	c := newHook(t, w)
	w.as(t, w.memberB).do("POST", webhookPath(c.ID)+"/secret", nil).problem(t, 404, "not-found")
	var s api.WebhookSecret
	w.as(t, w.adminA).do("POST", webhookPath(c.ID)+"/secret", nil).ok(t, 200, &s)
	if !strings.HasPrefix(s.Secret, "rnk_whsec_") || s.Secret == c.Secret {
		t.Errorf("new secret %q, old %q", s.Secret, c.Secret)
	}
	if len(auditOf(t, w, "webhook.secret_rotated")) != 1 {
		t.Error("rotation is not audited")
	}
}

func testPingWebhook(t *testing.T, w *world) {
	c := newHook(t, w)
	w.as(t, w.memberA).do("POST", webhookPath(c.ID)+"/ping", nil).problem(t, 404, "not-found")
	w.as(t, w.adminA).do("POST", webhookPath(c.ID)+"/ping", nil).ok(t, 204, nil)
	w.as(t, w.adminA).do("POST", webhookPath(999999)+"/ping", nil).problem(t, 404, "not-found")
}

// The documented required fields of the notification bodies are those the server requires.
func TestNotifyRequiredFields(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		c := newHook(t, w)
		cases := []struct {
			method, path string
			as           model.User
			body         map[string]any
			ok           int
		}{
			{"PUT", api.Prefix + "/me/notifications", w.memberA, map[string]any{"important": "digest", "others": "hourly"}, 200},
			{"POST", webhooksPath(w.orgA.ID), w.adminA, map[string]any{"url": "https://other.example.com/hook"}, 201},
			{"PATCH", webhookPath(c.ID), w.adminA, map[string]any{"active": true}, 204},
		}
		for _, tc := range cases {
			schema := spec.requestSchema(tc.method, tc.path)
			if schema == nil {
				t.Fatalf("%s %s: no documented request body", tc.method, tc.path)
			}
			req := required(schema)
			if len(req) != len(tc.body) {
				t.Errorf("%s %s: required %v, body %v", tc.method, tc.path, req, tc.body)
			}
			w.as(t, tc.as).do(tc.method, tc.path, tc.body).ok(t, tc.ok, nil)
			for _, field := range req {
				body := map[string]any{}
				for k, v := range tc.body {
					if k != field {
						body[k] = v
					}
				}
				w.as(t, tc.as).do(tc.method, tc.path, body).fieldProblem(t, field)
			}
		}
	})
}
