package notify

// Webhooks: an organization registers an HTTPS endpoint; Renkei POSTs a small JSON body to
// it for each topic (and comment) the organization receives as a whole
// (policy.OrgReceives — never a TLP:RED topic, which is for named people only).
//
// Each webhook has its own random secret, shown once when the webhook is created or its
// secret rotated, and stored sealed with the secretbox key (the key that seals TOTP
// seeds, kept outside the database), bound to the webhook's id. A secret derived from the
// application key could not be shown again after a leak without changing the id, could
// not be rotated alone, and would tie every receiver to that one key; a sealed random
// secret has none of these problems and a copy of the database alone does not reveal it.
//
// Each call carries
//
//	X-Renkei-Timestamp: <Unix seconds>
//	X-Renkei-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//	X-Renkei-Event:     topic.created | topic.widened | comment.created | ping
//	X-Renkei-Delivery:  <id, the same for every attempt of one delivery>
//
// A receiver recomputes the MAC (Verify), rejects old timestamps (replays) and may use the
// delivery id to ignore a repeat.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// Headers of a webhook call.
const (
	HeaderSignature = "X-Renkei-Signature"
	HeaderTimestamp = "X-Renkei-Timestamp"
	HeaderEvent     = "X-Renkei-Event"
	HeaderDelivery  = "X-Renkei-Delivery"
)

// MaxWebhooksPerOrg bounds the webhooks of one organization.
const MaxWebhooksPerOrg = 5

const maxWebhookURLLen = 2000

// Sign returns the X-Renkei-Signature value of a body sent at timestamp (the
// X-Renkei-Timestamp value).
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature in constant time. Receivers should also reject timestamps
// more than a few minutes old.
func Verify(secret, timestamp string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature))
}

// Payload is the JSON body of a webhook call. Title is left out for a topic whose marking
// does not leave the platform (TLP:RED, TLP:AMBER+STRICT).
type Payload struct {
	Event       string    `json:"event"`
	TopicID     int64     `json:"topic_id,omitempty"`
	CommentID   int64     `json:"comment_id,omitempty"`
	CommunityID int64     `json:"community_id,omitempty"`
	Title       string    `json:"title,omitempty"`
	URL         string    `json:"url"`
	TLP         string    `json:"tlp,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Webhook is an organization's webhook as shown to those who manage it (never its secret).
type Webhook struct {
	ID        int64
	OrgID     int64
	URL       string
	Active    bool
	CreatedBy int64
	CreatedAt time.Time
}

func webhookOf(w store.Webhook) Webhook {
	return Webhook{ID: w.ID, OrgID: w.OrgID, URL: w.URL, Active: w.Active, CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt}
}

func secretPurpose(id int64) string { return fmt.Sprintf("webhook:%d", id) }

func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "rnk_whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

// canManageWebhooks: an organization's webhooks are managed by those who manage its
// people — its org admins and center admins (policy.CanManagePeopleOf).
func canManageWebhooks(a policy.Actor, orgID int64) bool { return policy.CanManageWebhooks(a, orgID) }

// CreateWebhook registers a webhook for an organization and returns it with its secret,
// which is shown this once. Audited.
func (n *Notifier) CreateWebhook(ctx context.Context, p auth.Principal, orgID int64, rawURL string) (Webhook, string, error) {
	if !canManageWebhooks(p.Actor, orgID) {
		return Webhook{}, "", fault.New(fault.Forbidden, "error.forbidden")
	}
	u, err := n.checkWebhookURL(rawURL)
	if err != nil {
		return Webhook{}, "", err
	}
	secret := newSecret()
	now := n.now()
	var w store.Webhook
	err = n.db.Write(ctx, func(c store.Conn) error {
		o, err := store.GetOrg(ctx, c, orgID)
		if errors.Is(err, store.ErrNotFound) {
			return fault.New(fault.NotFound, "error.not_found")
		}
		if err != nil {
			return err
		}
		count, err := store.CountWebhooks(ctx, c, o.ID)
		if err != nil {
			return err
		}
		if count >= MaxWebhooksPerOrg {
			return fault.New(fault.Conflict, "notify.too_many_webhooks", "max", MaxWebhooksPerOrg)
		}
		w = store.Webhook{OrgID: o.ID, URL: u, Active: true, CreatedBy: p.User.ID, CreatedAt: now}
		if w.ID, err = store.InsertWebhook(ctx, c, w, now); err != nil {
			return err
		}
		if err := store.SetWebhookSecret(ctx, c, w.ID, n.box.Seal([]byte(secret), secretPurpose(w.ID))); err != nil {
			return err
		}
		return n.auditWebhook(ctx, c, p, "webhook.created", w, now)
	})
	if err != nil {
		return Webhook{}, "", err
	}
	return webhookOf(w), secret, nil
}

func (n *Notifier) auditWebhook(ctx context.Context, c store.Conn, p auth.Principal, action string, w store.Webhook, now time.Time) error {
	host := ""
	if u, err := url.Parse(w.URL); err == nil {
		host = u.Host // not the path or query, which may hold a receiver's token
	}
	_, err := audit.Append(ctx, c, audit.Entry{Actor: p.AuditActor(), Action: action, TargetType: "webhook", TargetID: w.ID,
		Detail: map[string]any{"org_id": w.OrgID, "host": host}}, now)
	return err
}

// Webhooks lists an organization's webhooks.
func (n *Notifier) Webhooks(ctx context.Context, p auth.Principal, orgID int64) ([]Webhook, error) {
	if !canManageWebhooks(p.Actor, orgID) {
		return nil, fault.New(fault.Forbidden, "error.forbidden")
	}
	list, err := store.ListWebhooks(ctx, n.db.Read(), orgID)
	out := make([]Webhook, len(list))
	for i, w := range list {
		out[i] = webhookOf(w)
	}
	return out, err
}

// managed loads a webhook its manager may change; NotFound for anyone else.
func (n *Notifier) managed(ctx context.Context, c store.Conn, p auth.Principal, id int64) (store.Webhook, error) {
	w, err := store.GetWebhook(ctx, c, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !canManageWebhooks(p.Actor, w.OrgID)) {
		return w, fault.New(fault.NotFound, "error.not_found")
	}
	return w, err
}

// SetWebhookActive pauses or resumes a webhook. Audited.
func (n *Notifier) SetWebhookActive(ctx context.Context, p auth.Principal, id int64, active bool) error {
	now := n.now()
	return n.db.Write(ctx, func(c store.Conn) error {
		w, err := n.managed(ctx, c, p, id)
		if err != nil {
			return err
		}
		if err := store.SetWebhookActive(ctx, c, id, active); err != nil {
			return err
		}
		action := "webhook.paused"
		if active {
			action = "webhook.resumed"
		}
		return n.auditWebhook(ctx, c, p, action, w, now)
	})
}

// RotateWebhookSecret gives a webhook a new secret and returns it (shown this once).
// Calls not yet delivered are signed with the new one. Audited.
func (n *Notifier) RotateWebhookSecret(ctx context.Context, p auth.Principal, id int64) (string, error) {
	secret := newSecret()
	now := n.now()
	err := n.db.Write(ctx, func(c store.Conn) error {
		w, err := n.managed(ctx, c, p, id)
		if err != nil {
			return err
		}
		if err := store.SetWebhookSecret(ctx, c, id, n.box.Seal([]byte(secret), secretPurpose(id))); err != nil {
			return err
		}
		return n.auditWebhook(ctx, c, p, "webhook.secret_rotated", w, now)
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// DeleteWebhook removes a webhook; calls not yet delivered are dropped. Audited.
func (n *Notifier) DeleteWebhook(ctx context.Context, p auth.Principal, id int64) error {
	now := n.now()
	return n.db.Write(ctx, func(c store.Conn) error {
		w, err := n.managed(ctx, c, p, id)
		if err != nil {
			return err
		}
		if err := store.DeleteWebhook(ctx, c, id); err != nil {
			return err
		}
		return n.auditWebhook(ctx, c, p, "webhook.deleted", w, now)
	})
}

// PingWebhook queues a test call ({"event":"ping"}) to a webhook.
func (n *Notifier) PingWebhook(ctx context.Context, p auth.Principal, id int64) error {
	now := n.now()
	return n.db.Write(ctx, func(c store.Conn) error {
		if _, err := n.managed(ctx, c, p, id); err != nil {
			return err
		}
		j := job{Kind: jobPing, WebhookID: id, Event: jobPing, At: now.UnixMilli()}
		_, err := store.QueueOutbox(ctx, c, store.OutboxItem{Channel: channelWebhook,
			DedupeKey: fmt.Sprintf("webhook:%d:ping:%d", id, now.UnixNano()),
			Recipient: fmt.Sprintf("webhook:%d", id), Payload: j.encode()}, now)
		return err
	})
}

// checkWebhookURL accepts an absolute https URL (http too when allowed), without user
// information, whose host is not a refused address when it is written as one.
func (n *Notifier) checkWebhookURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || len(raw) > maxWebhookURLLen || !u.IsAbs() || u.Host == "" || u.User != nil || u.Fragment != "" ||
		u.Hostname() == "" {
		return "", fault.Field("url", "notify.webhook_url_invalid")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && n.cfg.WebhookAllowHTTP) {
		return "", fault.Field("url", "notify.webhook_url_https")
	}
	if !n.cfg.WebhookAllowPrivate {
		host := strings.ToLower(u.Hostname())
		if ip, err := netip.ParseAddr(host); (err == nil && refusedAddr(ip)) || host == "localhost" || strings.HasSuffix(host, ".localhost") {
			return "", fault.Field("url", "notify.webhook_url_private")
		}
	}
	return u.String(), nil
}

// refusedAddr reports whether an address is the server's own network: loopback, private,
// link-local (cloud metadata services), unspecified or multicast.
func refusedAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(ip) // carrier-grade NAT
}

// webhookClient makes webhook calls: bounded by the timeout, no proxy, no redirects
// followed, and (unless allowed) no connection to a refused address, checked on the
// address actually dialled so that DNS cannot point a webhook inside.
type webhookClient struct{ *http.Client }

func newWebhookClient(cfg Config) *webhookClient {
	d := &net.Dialer{Timeout: cfg.WebhookTimeout}
	if !cfg.WebhookAllowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip, err := netip.ParseAddr(host)
			if err != nil || refusedAddr(ip) {
				return fmt.Errorf("webhook address %s is refused (private, loopback or link-local)", host)
			}
			return nil
		}
	}
	tr := &http.Transport{
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   cfg.WebhookTimeout,
		ResponseHeaderTimeout: cfg.WebhookTimeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &webhookClient{&http.Client{
		Transport:     tr,
		Timeout:       cfg.WebhookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// renderWebhook builds the body of a webhook job from the current state, checking again
// that the organization receives the topic.
func (n *Notifier) renderWebhook(ctx context.Context, j job) (store.Webhook, []byte, error) {
	c := n.db.Read()
	w, err := store.GetWebhook(ctx, c, j.WebhookID)
	if errors.Is(err, store.ErrNotFound) {
		return w, nil, dropped("the webhook was deleted")
	}
	if err != nil {
		return w, nil, err
	}
	if !w.Active {
		return w, nil, dropped("the webhook is paused")
	}
	o, err := store.GetOrg(ctx, c, w.OrgID)
	if err != nil {
		return w, nil, err
	}
	if o.Disabled {
		return w, nil, dropped("the organization is disabled")
	}
	at := time.UnixMilli(j.At).UTC()
	if j.Kind == jobPing {
		body, err := json.Marshal(Payload{Event: jobPing, URL: n.link("/"), CreatedAt: at})
		return w, body, err
	}
	t, _, facts, ok, err := loadTopic(ctx, c, j.TopicID)
	if err != nil {
		return w, nil, err
	}
	comms, err := store.OrgCommunityIDs(ctx, c, w.OrgID)
	if err != nil {
		return w, nil, err
	}
	if !ok || !policy.OrgReceives(w.OrgID, comms, facts) {
		return w, nil, dropped("the organization no longer receives the topic")
	}
	pl := Payload{Event: j.Event, TopicID: t.ID, CommunityID: t.CommunityID, URL: n.link(topicPath(t.ID)),
		TLP: string(t.TLP), CreatedAt: at}
	if j.CommentID != 0 {
		x, err := store.GetComment(ctx, c, j.CommentID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && x.Deleted()) {
			return w, nil, dropped("the comment was deleted")
		}
		if err != nil {
			return w, nil, err
		}
		pl.CommentID, pl.URL = x.ID, n.link(commentPath(t.ID, x.ID))
	}
	if t.TLP.LeavesPlatform() {
		pl.Title = t.Title
	}
	body, err := json.Marshal(pl)
	return w, body, err
}

// sendWebhook makes one call; a 2xx answer is success.
func (n *Notifier) sendWebhook(ctx context.Context, it store.OutboxItem, j job) error {
	w, body, err := n.renderWebhook(ctx, j)
	if err != nil {
		return err
	}
	secret, err := n.box.Open(w.Secret, secretPurpose(w.ID))
	if err != nil {
		return dropped("the webhook secret does not open: " + err.Error())
	}
	ts := strconv.FormatInt(n.now().Unix(), 10)
	ctx, cancel := context.WithTimeout(ctx, n.cfg.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return dropped("the webhook URL is invalid")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Renkei-Webhook/1")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(string(secret), ts, body))
	req.Header.Set(HeaderEvent, j.Event)
	req.Header.Set(HeaderDelivery, strconv.FormatInt(it.ID, 10))
	resp, err := n.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, whose path or query may hold the receiver's token
		}
		return fmt.Errorf("webhook %d: %w", w.ID, err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook %d: HTTP %d", w.ID, resp.StatusCode)
	}
	return nil
}
