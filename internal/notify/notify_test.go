package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/notify"
	"github.com/renkei-dev/renkei/internal/secretbox"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// world is a community of three organizations — the center (an analyst), a power company
// (Sato, Suzuki) and a railway (Tanaka) — and an outsider organization that is not a
// member; a notifier talks to a test SMTP server.
type world struct {
	env                                   *testapp.Env
	n                                     *notify.Notifier
	box                                   *secretbox.Box
	cfg                                   notify.Config
	smtp                                  *smtpServer
	comm                                  model.Community
	center, power, rail, out              model.Org
	analyst, sato, suzuki, tanaka, outsdr model.User
}

var ctx = context.Background()

func newWorld(t *testing.T, db *store.DB, opts ...func(*notify.Config, *smtpServer)) *world {
	t.Helper()
	env := testapp.New(t, db)
	w := &world{env: env}
	w.center = env.Org("対処調整センター", model.KindCenter)
	w.power = env.Org("東都電力株式会社", model.KindOperator)
	w.rail = env.Org("首都圏鉄道株式会社", model.KindOperator)
	w.out = env.Org("外部ベンダー株式会社", model.KindCTIVendor)
	w.analyst = env.Person(w.center, "analyst@ccc.example", model.RoleAnalyst)
	w.sato = env.Person(w.power, "sato@power.example", model.RoleMember)
	w.suzuki = env.Person(w.power, "suzuki@power.example", model.RoleMember)
	w.tanaka = env.Person(w.rail, "tanaka@rail.example", model.RoleMember)
	w.outsdr = env.Person(w.out, "x@vendor.example", model.RoleMember)
	sys := auth.System()
	var err error
	w.comm, err = env.Communities.Create(ctx, sys, community.Input{NameJA: "情報提供（プロ）", NameEN: "Sharing (pro)"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []model.Org{w.center, w.power, w.rail} {
		if err := env.Communities.AddOrg(ctx, sys, w.comm.ID, o.ID); err != nil {
			t.Fatal(err)
		}
	}
	key, err := secretbox.ParseKey(env.Config.SecretKey)
	if err != nil {
		t.Fatal(err)
	}
	if w.box, err = secretbox.New(key); err != nil {
		t.Fatal(err)
	}
	var setupSMTP func(*smtpServer)
	w.cfg = notify.Config{
		SMTPHost: "127.0.0.1", TLSMode: notify.TLSNone, From: "Renkei 通知 <renkei@ccc.example>",
		BaseURL: "http://renkei.test", SMTPTimeout: 3 * time.Second, WebhookTimeout: 3 * time.Second,
		WebhookAllowHTTP: true, WebhookAllowPrivate: true, MaxAttempts: 4, Backoff: time.Minute, BackoffMax: 10 * time.Minute,
		PollInterval: 10 * time.Millisecond, SendInterval: 10 * time.Millisecond, DigestInterval: 20 * time.Millisecond,
	}
	for _, o := range opts {
		probe := &smtpServer{}
		o(&w.cfg, probe)
		if probe.tls != nil || probe.user != "" {
			setupSMTP = func(s *smtpServer) { s.tls, s.user, s.pass = probe.tls, probe.user, probe.pass }
		}
	}
	w.smtp = newSMTPServer(t, setupSMTP)
	w.cfg.SMTPPort = w.smtp.port()
	w.n = w.notifier(t)
	return w
}

func (w *world) notifier(t *testing.T) *notify.Notifier {
	t.Helper()
	n, err := notify.New(w.env.DB, w.box, w.cfg, nil, w.env.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (w *world) p(u model.User) auth.Principal { return w.env.Principal(u) }

// post creates a topic; empty fields get the defaults of a community-wide TLP:GREEN alert.
func (w *world) post(t *testing.T, author model.User, in sns.TopicInput) model.Topic {
	t.Helper()
	if in.CommunityID == 0 {
		in.CommunityID = w.comm.ID
	}
	if in.InfoType == "" {
		in.InfoType = "alert"
	}
	if in.TLP == "" {
		in.TLP = "green"
	}
	if in.Scope == "" {
		in.Scope = "community"
	}
	if in.Body == "" {
		in.Body = "本文です。"
	}
	topic, err := w.env.SNS.CreateTopic(ctx, w.p(author), in)
	if err != nil {
		t.Fatalf("CreateTopic(%q): %v", in.Title, err)
	}
	return topic
}

func (w *world) comment(t *testing.T, author model.User, topicID int64, in sns.CommentInput) model.Comment {
	t.Helper()
	x, err := w.env.SNS.AddComment(ctx, w.p(author), topicID, in)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// process reads the whole event log.
func (w *world) process(t *testing.T) {
	t.Helper()
	for {
		k, err := w.n.Process(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			return
		}
	}
}

// deliver sends everything that is due.
func (w *world) deliver(t *testing.T) {
	t.Helper()
	for {
		k, err := w.n.Deliver(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			return
		}
	}
}

// letters returns the messages received so far, parsed, keyed by recipient.
func (w *world) letters(t *testing.T) map[string][]letter {
	t.Helper()
	out := map[string][]letter{}
	for _, r := range w.smtp.messages() {
		l := parseLetter(t, r)
		out[l.To] = append(out[l.To], l)
	}
	return out
}

func recipients(m map[string][]letter) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func outbox(t *testing.T, db *store.DB) []store.OutboxItem {
	t.Helper()
	items, err := store.ListOutbox(ctx, db.Read(), store.Page{Limit: store.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func wantRecipients(t *testing.T, got map[string][]letter, want ...string) {
	t.Helper()
	slices.Sort(want)
	if g := recipients(got); !slices.Equal(g, want) {
		t.Fatalf("recipients %v, want %v", g, want)
	}
	for to, ls := range got {
		if len(ls) != 1 {
			t.Errorf("%s received %d messages, want 1", to, len(ls))
		}
	}
}

func TestImportantTopicIsMailedAtOnceToThoseWhoMaySeeIt(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		topic := w.post(t, w.sato, sns.TopicInput{Title: "VPN装置の脆弱性", Body: "## 概要\n\n**至急**パッチを適用してください。",
			Priority: "important", Tags: []string{"VPN"}})
		plain := w.post(t, w.sato, sns.TopicInput{Title: "定例のお知らせ"})
		w.process(t)
		w.deliver(t)
		got := w.letters(t)
		// Everyone in the community but the author; not the outsider.
		wantRecipients(t, got, w.analyst.Email, w.suzuki.Email, w.tanaka.Email)
		l := got[w.suzuki.Email][0]
		if l.Subject != "[TLP:GREEN] 【重要】VPN装置の脆弱性｜情報提供（プロ）" {
			t.Errorf("subject %q", l.Subject)
		}
		if !strings.HasPrefix(l.Body, "TLP:GREEN") {
			t.Errorf("the body does not start with the TLP label:\n%s", l.Body)
		}
		for _, want := range []string{"概要", "至急パッチを適用してください。", "東都電力株式会社", "タグ：VPN",
			"http://renkei.test/topics/" + itoa(topic.ID), "2026-07-24 09:00 JST"} {
			if !strings.Contains(l.Body, want) {
				t.Errorf("the body lacks %q:\n%s", want, l.Body)
			}
		}
		if strings.Contains(l.Body, "**") || strings.Contains(l.Body, "##") {
			t.Errorf("the body is not plain text:\n%s", l.Body)
		}
		if l.Header.Get("Auto-Submitted") != "auto-generated" || l.Header.Get("Message-Id") == "" {
			t.Errorf("headers: %v", l.Header)
		}
		// The topic without priority waits in the digests instead.
		for _, u := range []model.User{w.analyst, w.suzuki, w.tanaka} {
			if n, _ := store.CountPendingDigest(ctx, db.Read(), u.ID); n != 1 {
				t.Errorf("%s has %d items waiting, want 1 (%d)", u.Email, n, plain.ID)
			}
		}
		if n, _ := store.CountPendingDigest(ctx, db.Read(), w.sato.ID); n != 0 {
			t.Errorf("the author has %d items waiting for their own topic", n)
		}

		// Replaying the event log (a crash before the cursor moved) queues nothing twice.
		before := len(outbox(t, db))
		if err := db.Write(ctx, func(c store.Conn) error {
			_, err := c.Exec(ctx, "UPDATE event_cursors SET event_id = 0")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		w.process(t)
		w.deliver(t)
		if after := len(outbox(t, db)); after != before {
			t.Errorf("replay queued %d more messages", after-before)
		}
		wantRecipients(t, w.letters(t), w.analyst.Email, w.suzuki.Email, w.tanaka.Email)
	})
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// hook is an httptest webhook receiver.
type hook struct {
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []hookCall
	fail int // answer 500 to the next fail calls
}

type hookCall struct {
	Header http.Header
	Body   []byte
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.fail > 0 {
			h.fail--
			rw.WriteHeader(http.StatusInternalServerError)
			return
		}
		h.reqs = append(h.reqs, hookCall{Header: r.Header.Clone(), Body: body})
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) calls() []hookCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookCall(nil), h.reqs...)
}

func TestRestrictedMarkingsLeaveNoContent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		h := newHook(t)
		if _, _, err := w.n.CreateWebhook(ctx, auth.System(), w.rail.ID, h.srv.URL+"/hook"); err != nil {
			t.Fatal(err)
		}
		const title, body = "極秘の侵害指標タイトル", "攻撃元 203.0.113.9 の詳細な本文"
		strict := w.post(t, w.sato, sns.TopicInput{Title: title, Body: body, Priority: "important", TLP: "amber+strict"})
		red := w.post(t, w.sato, sns.TopicInput{Title: title + "RED", Body: body, Priority: "important", TLP: "red",
			Scope: "selected", Audience: model.Audience{Users: []int64{w.tanaka.ID}}})
		// A comment on the RED topic, seen by its author.
		w.comment(t, w.tanaka, red.ID, sns.CommentInput{Body: "コメントの本文も極秘 " + body})
		w.process(t)
		w.deliver(t)
		got := w.letters(t)
		wantRecipientsAtLeast := func(email string, n int) []letter {
			if len(got[email]) != n {
				t.Fatalf("%s received %d messages, want %d", email, len(got[email]), n)
			}
			return got[email]
		}
		wantRecipientsAtLeast(w.analyst.Email, 1)
		wantRecipientsAtLeast(w.suzuki.Email, 1)
		wantRecipientsAtLeast(w.tanaka.Email, 2) // the AMBER+STRICT topic and the RED one
		wantRecipientsAtLeast(w.sato.Email, 1)   // the comment on their RED topic
		for to, ls := range got {
			for _, l := range ls {
				all := l.Subject + "\n" + l.Body
				if strings.Contains(all, "極秘") || strings.Contains(all, "203.0.113.9") {
					t.Errorf("%s: the email carries restricted content:\n%s", to, all)
				}
				if !strings.Contains(all, "情報提供（プロ）") || !strings.Contains(all, "http://renkei.test/topics/") {
					t.Errorf("%s: the email does not say where to look:\n%s", to, all)
				}
				if !strings.Contains(l.Subject, "TLP:RED") && !strings.Contains(l.Subject, "TLP:AMBER+STRICT") {
					t.Errorf("%s: subject %q lacks the marking", to, l.Subject)
				}
			}
		}
		// The webhook hears of the AMBER+STRICT topic without its title, and never of the RED one.
		calls := h.calls()
		if len(calls) != 1 {
			t.Fatalf("%d webhook calls, want 1", len(calls))
		}
		if s := string(calls[0].Body); strings.Contains(s, "極秘") || strings.Contains(s, "title") {
			t.Errorf("webhook body carries the title: %s", s)
		}
		var pl map[string]any
		if err := json.Unmarshal(calls[0].Body, &pl); err != nil {
			t.Fatal(err)
		}
		if pl["tlp"] != "amber+strict" || pl["topic_id"] != float64(strict.ID) || pl["event"] != sns.EventTopicCreated {
			t.Errorf("webhook body %v", pl)
		}
	})
}

func TestWebhookIsSignedAndFiresOnlyForReceivingOrganizations(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		h, other := newHook(t), newHook(t)
		hk, secret, err := w.n.CreateWebhook(ctx, auth.System(), w.power.ID, h.srv.URL+"/in")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := w.n.CreateWebhook(ctx, auth.System(), w.out.ID, other.srv.URL); err != nil {
			t.Fatal(err)
		}
		// Only those who manage an organization's people manage its webhooks.
		if _, _, err := w.n.CreateWebhook(ctx, w.p(w.suzuki), w.power.ID, h.srv.URL); !fault.Is(err, fault.Forbidden) {
			t.Errorf("a member created a webhook: %v", err)
		}
		if list, err := w.n.Webhooks(ctx, w.p(w.suzuki), w.power.ID); err == nil {
			t.Errorf("a member listed webhooks: %v", list)
		}
		topic := w.post(t, w.tanaka, sns.TopicInput{Title: "GREEN の題名", Body: "本文は送らない"})
		w.process(t)
		w.deliver(t)
		calls := h.calls()
		if len(calls) != 1 || len(other.calls()) != 0 {
			t.Fatalf("calls: member %d (want 1), outsider %d (want 0)", len(calls), len(other.calls()))
		}
		c := calls[0]
		ts, sig := c.Header.Get(notify.HeaderTimestamp), c.Header.Get(notify.HeaderSignature)
		if !strings.HasPrefix(sig, "sha256=") || !notify.Verify(secret, ts, c.Body, sig) {
			t.Fatalf("signature %q does not verify", sig)
		}
		if notify.Verify(secret, ts+"1", c.Body, sig) {
			t.Error("the signature does not cover the timestamp")
		}
		if notify.Verify("wrong", ts, c.Body, sig) {
			t.Error("the signature verifies with another secret")
		}
		if c.Header.Get(notify.HeaderEvent) != sns.EventTopicCreated || c.Header.Get(notify.HeaderDelivery) == "" {
			t.Errorf("headers %v", c.Header)
		}
		var pl notify.Payload
		if err := json.Unmarshal(c.Body, &pl); err != nil {
			t.Fatal(err)
		}
		want := notify.Payload{Event: sns.EventTopicCreated, TopicID: topic.ID, CommunityID: w.comm.ID, Title: "GREEN の題名",
			URL: "http://renkei.test/topics/" + itoa(topic.ID), TLP: "green", CreatedAt: topic.CreatedAt.UTC()}
		if pl != want {
			t.Errorf("payload\n got %+v\nwant %+v", pl, want)
		}
		if strings.Contains(string(c.Body), "本文は送らない") {
			t.Error("the webhook carries the body")
		}

		// After a rotation, calls are signed with the new secret; a comment fires too.
		secret2, err := w.n.RotateWebhookSecret(ctx, auth.System(), hk.ID)
		if err != nil || secret2 == secret {
			t.Fatal(err)
		}
		w.comment(t, w.analyst, topic.ID, sns.CommentInput{Body: "確認しました"})
		w.process(t)
		w.deliver(t)
		calls = h.calls()
		if len(calls) != 2 {
			t.Fatalf("%d calls, want 2", len(calls))
		}
		c = calls[1]
		if !notify.Verify(secret2, c.Header.Get(notify.HeaderTimestamp), c.Body, c.Header.Get(notify.HeaderSignature)) {
			t.Error("the call after rotation is not signed with the new secret")
		}
		if !strings.Contains(string(c.Body), `"event":"comment.created"`) {
			t.Errorf("comment call %s", c.Body)
		}

		// A paused webhook is not called; its pending calls are dropped.
		if err := w.n.SetWebhookActive(ctx, auth.System(), hk.ID, false); err != nil {
			t.Fatal(err)
		}
		w.post(t, w.tanaka, sns.TopicInput{Title: "二件目"})
		w.process(t)
		w.deliver(t)
		if len(h.calls()) != 2 {
			t.Error("a paused webhook was called")
		}
	})
}

func TestWebhookURLsAreChecked(t *testing.T) {
	db := testdb.SQLite(t)
	w := newWorld(t, db)
	strictCfg := w.cfg
	strictCfg.WebhookAllowHTTP, strictCfg.WebhookAllowPrivate = false, false
	strict, err := notify.New(db, w.box, strictCfg, nil, w.env.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"ftp://example.com/x", "not a url", "https://user:pw@example.com/", "http://example.com/hook",
		"https://127.0.0.1/hook", "https://10.1.2.3/", "https://[::1]/", "https://169.254.169.254/latest", "https://localhost/x",
		"https://100.64.0.1/", "https://[::ffff:127.0.0.1]/"} {
		if _, _, err := strict.CreateWebhook(ctx, auth.System(), w.power.ID, u); !fault.Is(err, fault.Invalid) {
			t.Errorf("%s: accepted (%v)", u, err)
		}
	}
	if _, _, err := strict.CreateWebhook(ctx, auth.System(), w.power.ID, "https://siem.power.example/renkei?token=x"); err != nil {
		t.Errorf("a public https URL was refused: %v", err)
	}
	// An address inside is refused when the connection is made, whatever the URL said.
	h := newHook(t)
	if _, _, err := w.n.CreateWebhook(ctx, auth.System(), w.rail.ID, h.srv.URL); err != nil {
		t.Fatal(err)
	}
	w.post(t, w.sato, sns.TopicInput{Title: "内部宛て"})
	w.process(t)
	if _, err := strict.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if len(h.calls()) != 0 {
		t.Fatal("a webhook reached a loopback address")
	}
	var found bool
	for _, it := range outbox(t, db) {
		if it.Channel == "webhook" && it.Recipient != "" && strings.Contains(it.LastError, "refused") && it.Attempts == 1 {
			found = true
		}
	}
	if !found {
		t.Errorf("the refused call is not recorded as a failed attempt: %+v", outbox(t, db))
	}
	// At most MaxWebhooksPerOrg per organization.
	for range notify.MaxWebhooksPerOrg - 1 {
		if _, _, err := w.n.CreateWebhook(ctx, auth.System(), w.rail.ID, h.srv.URL); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := w.n.CreateWebhook(ctx, auth.System(), w.rail.ID, h.srv.URL); !fault.Is(err, fault.Conflict) {
		t.Errorf("webhook over the limit: %v", err)
	}
}

func TestDigestHoldsOnlyVisibleItemsOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		if _, err := w.n.SetPrefs(ctx, w.p(w.tanaka), notify.Prefs{Important: "immediate", Others: "hourly"}); err != nil {
			t.Fatal(err)
		}
		a := w.post(t, w.sato, sns.TopicInput{Title: "トピックA", Priority: "caution"})
		b := w.post(t, w.sato, sns.TopicInput{Title: "トピックB"})
		w.post(t, w.sato, sns.TopicInput{Title: "極秘C", TLP: "amber+strict"})
		w.process(t)
		// B is deleted before any digest: nobody hears of it.
		if err := w.env.SNS.DeleteTopic(ctx, w.p(w.sato), b.ID); err != nil {
			t.Fatal(err)
		}
		if k, err := w.n.Digest(ctx); err != nil || k != 0 {
			t.Fatalf("digest before the hour: %d, %v", k, err)
		}
		// 10:00 JST: Tanaka's hourly digest; the daily ones wait for 08:00.
		w.env.Clock.Advance(time.Hour)
		if k, err := w.n.Digest(ctx); err != nil || k != 1 {
			t.Fatalf("hourly digest: %d, %v", k, err)
		}
		if k, _ := w.n.Digest(ctx); k != 0 {
			t.Fatalf("a second digest in the same hour: %d", k)
		}
		w.deliver(t)
		got := w.letters(t)
		wantRecipients(t, got, w.tanaka.Email)
		l := got[w.tanaka.Email][0]
		if !strings.Contains(l.Subject, "1時間のまとめ") || !strings.Contains(l.Subject, "新着 2 件") {
			t.Errorf("subject %q", l.Subject)
		}
		if !strings.Contains(l.Body, "[TLP:GREEN] 【注意】トピックA") || strings.Contains(l.Body, "トピックB") ||
			strings.Contains(l.Body, "極秘C") || !strings.Contains(l.Body, "[TLP:AMBER+STRICT] コミュニティ「情報提供（プロ）」に") {
			t.Errorf("digest body:\n%s", l.Body)
		}
		// The next hour brings only what is new.
		d := w.post(t, w.analyst, sns.TopicInput{Title: "トピックD"})
		w.process(t)
		w.env.Clock.Advance(time.Hour)
		if k, _ := w.n.Digest(ctx); k != 1 {
			t.Fatalf("second hourly digest: %d", k)
		}
		w.deliver(t)
		ls := w.letters(t)[w.tanaka.Email]
		if len(ls) != 2 || !strings.Contains(ls[1].Body, "トピックD") || strings.Contains(ls[1].Body, "トピックA") {
			t.Fatalf("second digest repeats or misses items: %d letters\n%s", len(ls), ls[len(ls)-1].Body)
		}

		// 08:00 JST the next day: the daily digests. A is deleted after they are queued and
		// before they are sent: it is left out silently.
		w.env.Clock.Advance(21 * time.Hour)
		// The analyst (A, C: B was deleted, D is their own), Suzuki (A, C, D), Sato (D).
		if k, err := w.n.Digest(ctx); err != nil || k != 3 {
			t.Fatalf("daily digests: %d, %v", k, err)
		}
		if err := w.env.SNS.DeleteTopic(ctx, w.p(w.sato), a.ID); err != nil {
			t.Fatal(err)
		}
		w.deliver(t)
		got = w.letters(t)
		if len(got[w.suzuki.Email]) != 1 || len(got[w.analyst.Email]) != 1 || len(got[w.tanaka.Email]) != 2 || len(got[w.sato.Email]) != 1 {
			t.Fatalf("after the daily digest: %v", counts(got))
		}
		s := got[w.suzuki.Email][0]
		if strings.Contains(s.Body, "トピックA") || !strings.Contains(s.Body, "トピックD") || !strings.Contains(s.Subject, "1日のまとめ") {
			t.Errorf("Suzuki's daily digest:\n%s\n%s", s.Subject, s.Body)
		}
		if a := got[w.analyst.Email][0]; strings.Contains(a.Body, "トピックD") || !strings.Contains(a.Body, "新着・更新が 1 件") {
			t.Errorf("the analyst's daily digest:\n%s", a.Body)
		}
		if o := got[w.sato.Email][0]; !strings.Contains(o.Body, "トピックD") || strings.Contains(o.Body, "トピックA") {
			t.Errorf("Sato's daily digest holds their own topics:\n%s", o.Body)
		}
		_ = d
		// Nothing is left to send, ever again.
		w.env.Clock.Advance(48 * time.Hour)
		if k, _ := w.n.Digest(ctx); k != 0 {
			t.Errorf("%d more digests", k)
		}
	})
}

func counts(m map[string][]letter) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		out[k] = len(v)
	}
	return out
}

// TestRecipientFactsAgreeWithPrincipals checks that the facts the notifier loads in bulk
// about each person are those a signed-in request would have (auth.Service.Principal),
// and that personal members and people of member organizations are both reached.
func TestRecipientFactsAgreeWithPrincipals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		sys := auth.System()
		second, err := w.env.Communities.Create(ctx, sys, community.Input{NameJA: "情報提供（一般）", NameEN: "Sharing (general)"})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.env.Communities.AddUser(ctx, sys, w.comm.ID, w.outsdr.ID); err != nil {
			t.Fatal(err)
		}
		for _, add := range []func() error{
			func() error { return w.env.Communities.AddUser(ctx, sys, second.ID, w.tanaka.ID) },
			func() error { return w.env.Communities.AddOrg(ctx, sys, second.ID, w.power.ID) },
		} {
			if err := add(); err != nil {
				t.Fatal(err)
			}
		}
		people := []model.User{w.analyst, w.sato, w.suzuki, w.tanaka, w.outsdr}
		ids := make([]int64, len(people))
		for i, u := range people {
			ids[i] = u.ID
		}
		got, err := store.Recipients(ctx, db.Read(), ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(people) {
			t.Fatalf("%d recipients, want %d", len(got), len(people))
		}
		for i, r := range got {
			want := w.p(people[i]).Actor.Communities
			have := slices.Clone(r.Communities)
			slices.Sort(have)
			if !slices.Equal(have, want) {
				t.Errorf("%s: communities %v, principal has %v", r.User.Email, have, want)
			}
		}
		w.post(t, w.sato, sns.TopicInput{Title: "個人参加者にも届く", Priority: "important"})
		w.process(t)
		w.deliver(t)
		wantRecipients(t, w.letters(t), w.analyst.Email, w.suzuki.Email, w.tanaka.Email, w.outsdr.Email)

		// A disabled person is not mailed.
		disabled := true
		if _, err := w.env.Directory.UpdateUser(ctx, sys, w.suzuki.ID, directory.UserPatch{Disabled: &disabled}); err != nil {
			t.Fatal(err)
		}
		w.post(t, w.sato, sns.TopicInput{Title: "二通目", Priority: "important"})
		w.process(t)
		w.deliver(t)
		if n := len(w.letters(t)[w.suzuki.Email]); n != 1 {
			t.Errorf("a disabled person received %d messages, want 1 (before)", n)
		}
	})
}

// TestLargeAudienceInPages runs with tiny pages and batches, so that one event is queued
// over several transactions and several events are read per batch: everyone is reached
// once, and a replay from the start queues nothing more.
func TestLargeAudienceInPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, func(c *notify.Config, _ *smtpServer) { c.PageSize, c.BatchSize = 3, 2 })
		// Three member organizations: the first topic finds their people one organization
		// at a time, the others in one pass over everyone.
		restore := notify.SetManyOrgs(100)
		defer restore()
		want := []string{w.analyst.Email, w.suzuki.Email, w.tanaka.Email}
		for i := range 10 {
			u, err := w.env.Directory.CreateUser(ctx, auth.System(), directory.UserInput{OrgID: w.rail.ID,
				Email: fmt.Sprintf("staff%02d@rail.example", i), DisplayName: fmt.Sprintf("staff%02d", i)})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, u.Email)
		}
		for i := range 3 {
			w.post(t, w.sato, sns.TopicInput{Title: fmt.Sprintf("一斉通知%d", i), Priority: "important"})
			w.process(t)
			notify.SetManyOrgs(1)
		}
		w.deliver(t)
		got := w.letters(t)
		slices.Sort(want)
		if g := recipients(got); !slices.Equal(g, want) {
			t.Fatalf("recipients %v, want %v", g, want)
		}
		for to, ls := range got {
			if len(ls) != 3 {
				t.Errorf("%s received %d messages, want 3", to, len(ls))
			}
		}
		n := len(outbox(t, db))
		if err := db.Write(ctx, func(c store.Conn) error {
			_, err := c.Exec(ctx, "UPDATE event_cursors SET event_id = 0")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		w.process(t)
		if m := len(outbox(t, db)); m != n {
			t.Errorf("replay queued %d more", m-n)
		}
	})
}
