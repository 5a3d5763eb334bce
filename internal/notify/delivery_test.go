package notify_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/notify"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func TestMentionsReachOnlyThoseWhoMaySee(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		topic := w.post(t, w.sato, sns.TopicInput{Title: "停電情報", Priority: "important"})
		w.process(t)
		w.deliver(t)
		before := counts(w.letters(t))

		// The analyst mentions Tanaka (who may see the topic) and the outsider and their
		// organization (who may not: the service does not record those mentions). A
		// mention of the outsider written into the log anyway is not obeyed either.
		w.comment(t, w.analyst, topic.ID, sns.CommentInput{Body: "@tanaka@rail.example ご確認ください。鉄道への影響は？",
			Mentions: model.Audience{Orgs: []int64{w.out.ID}, Users: []int64{w.outsdr.ID}}})
		last, err := store.LastEventID(ctx, db.Read())
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Write(ctx, func(c store.Conn) error {
			if err := store.InsertMention(ctx, c, last, 0, w.outsdr.ID); err != nil {
				return err
			}
			return store.InsertMention(ctx, c, last, w.out.ID, 0)
		}); err != nil {
			t.Fatal(err)
		}
		w.process(t)
		w.deliver(t)
		got := w.letters(t)
		now := counts(got)
		for _, u := range []model.User{w.sato, w.tanaka} { // the author, the one mentioned
			if now[u.Email] != before[u.Email]+1 {
				t.Errorf("%s: %d → %d messages, want one more", u.Email, before[u.Email], now[u.Email])
			}
		}
		for _, u := range []model.User{w.analyst, w.suzuki, w.outsdr} { // the actor, a bystander, the outsider
			if now[u.Email] != before[u.Email] {
				t.Errorf("%s: %d → %d messages, want none more", u.Email, before[u.Email], now[u.Email])
			}
		}
		tl := got[w.tanaka.Email][len(got[w.tanaka.Email])-1]
		if !strings.Contains(tl.Body, "あなた宛てのメンションがあります。") || !strings.Contains(tl.Body, "鉄道への影響は？") ||
			!strings.Contains(tl.Subject, "コメント：停電情報") {
			t.Errorf("Tanaka's comment email:\n%s\n%s", tl.Subject, tl.Body)
		}
		if sl := got[w.sato.Email][len(got[w.sato.Email])-1]; strings.Contains(sl.Body, "メンション") {
			t.Errorf("Sato was not mentioned:\n%s", sl.Body)
		}

		// Tanaka is mentioned again, but the railway leaves the community before the
		// notifier gets to it: he is not told. The author and the earlier commenter are.
		w.comment(t, w.suzuki, topic.ID, sns.CommentInput{Body: "@tanaka@rail.example 続報です"})
		if err := w.env.Communities.RemoveOrg(ctx, auth.System(), w.comm.ID, w.rail.ID); err != nil {
			t.Fatal(err)
		}
		w.process(t)
		w.deliver(t)
		after := counts(w.letters(t))
		if after[w.tanaka.Email] != now[w.tanaka.Email] {
			t.Error("Tanaka was told of a topic he can no longer see")
		}
		if after[w.sato.Email] != now[w.sato.Email]+1 || after[w.analyst.Email] != now[w.analyst.Email]+1 {
			t.Errorf("author or earlier commenter not told: %v → %v", now, after)
		}
		if after[w.suzuki.Email] != now[w.suzuki.Email] {
			t.Error("the actor was told of their own comment")
		}
	})
}

func TestPreferences(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		if _, err := w.n.SetPrefs(ctx, w.p(w.suzuki), notify.Prefs{Important: "sometimes", Others: "daily"}); !fault.Is(err, fault.Invalid) {
			t.Errorf("an unknown choice was accepted: %v", err)
		}
		if _, err := w.n.SetPrefs(ctx, auth.System(), notify.Prefs{Important: "none", Others: "none"}); !fault.Is(err, fault.Forbidden) {
			t.Errorf("the system set preferences: %v", err)
		}
		if p, err := w.n.Prefs(ctx, w.p(w.suzuki)); err != nil || p != (notify.Prefs{Important: "immediate", Others: "daily"}) {
			t.Errorf("default preferences %+v, %v", p, err)
		}
		for u, p := range map[model.User]notify.Prefs{
			w.suzuki: {Important: "none", Others: "none"},
			w.tanaka: {Important: "digest", Others: "daily"},
		} {
			if _, err := w.n.SetPrefs(ctx, w.p(u), p); err != nil {
				t.Fatal(err)
			}
		}
		if p, _ := w.n.Prefs(ctx, w.p(w.suzuki)); p != (notify.Prefs{Important: "none", Others: "none"}) {
			t.Errorf("Suzuki's preferences %+v", p)
		}
		w.post(t, w.sato, sns.TopicInput{Title: "重要な件", Priority: "important"})
		w.post(t, w.sato, sns.TopicInput{Title: "普通の件"})
		w.process(t)
		w.deliver(t)
		wantRecipients(t, w.letters(t), w.analyst.Email)
		for u, want := range map[model.User]int{w.suzuki: 0, w.tanaka: 2, w.analyst: 1} {
			if n, _ := store.CountPendingDigest(ctx, db.Read(), u.ID); n != want {
				t.Errorf("%s: %d items waiting, want %d", u.Email, n, want)
			}
		}
		// Tanaka's daily digest holds both.
		w.env.Clock.Advance(23 * time.Hour)
		if _, err := w.n.Digest(ctx); err != nil {
			t.Fatal(err)
		}
		w.deliver(t)
		ls := w.letters(t)[w.tanaka.Email]
		if len(ls) != 1 || !strings.Contains(ls[0].Body, "【重要】重要な件") || !strings.Contains(ls[0].Body, "普通の件") {
			t.Errorf("Tanaka's digest: %+v", ls)
		}
		if len(w.letters(t)[w.suzuki.Email]) != 0 {
			t.Error("Suzuki chose none but was mailed")
		}
	})
}

func findOutbox(t *testing.T, db *store.DB, prefix string) store.OutboxItem {
	t.Helper()
	for _, it := range outbox(t, db) {
		if strings.HasPrefix(it.DedupeKey, prefix) {
			return it
		}
	}
	t.Fatalf("no outbox row %s*", prefix)
	return store.OutboxItem{}
}

func TestRetryWithBackoffThenSuccessOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.smtp.set(func(s *smtpServer) { s.failData = 2 })
		topic := w.post(t, w.sato, sns.TopicInput{Title: "再送の確認", Priority: "important", Scope: "selected",
			Audience: model.Audience{Users: []int64{w.suzuki.ID}}})
		w.process(t)
		key := fmt.Sprintf("email:topic:%d:user:%d", topic.ID, w.suzuki.ID)
		step := func(advance time.Duration, wantAttempts int, wantSent bool) {
			t.Helper()
			w.env.Clock.Advance(advance)
			w.deliver(t)
			it, err := store.GetOutbox(ctx, db.Read(), key)
			if err != nil {
				t.Fatal(err)
			}
			if it.Attempts != wantAttempts || it.SentAt.IsZero() == wantSent || !it.FailedAt.IsZero() {
				t.Fatalf("after %s: attempts %d sent %v failed %v (%s); want attempts %d sent %v",
					advance, it.Attempts, it.SentAt, it.FailedAt, it.LastError, wantAttempts, wantSent)
			}
		}
		step(0, 1, false) // 451
		it := findOutbox(t, db, key)
		if want := w.env.Clock.Now().Add(time.Minute); !it.NextAt.Equal(want) || !strings.Contains(it.LastError, "451") {
			t.Errorf("next attempt at %v (%q), want %v", it.NextAt, it.LastError, want)
		}
		step(30*time.Second, 1, false) // not yet due
		step(30*time.Second, 2, false) // due after 1 min: 451 again; next in 2 min
		step(time.Minute, 2, false)    // not yet due
		step(time.Minute, 3, true)     // sent
		step(time.Hour, 3, true)       // and never again
		if n := len(w.smtp.messages()); n != 1 {
			t.Errorf("%d messages received, want 1", n)
		}

		// A mailbox the server refuses for good is given up at once.
		w.smtp.set(func(s *smtpServer) { s.rejectRcpt[w.tanaka.Email] = true })
		t2 := w.post(t, w.sato, sns.TopicInput{Title: "宛先不明", Priority: "important", Scope: "selected",
			Audience: model.Audience{Users: []int64{w.tanaka.ID}}})
		w.process(t)
		w.deliver(t)
		it = findOutbox(t, db, fmt.Sprintf("email:topic:%d:", t2.ID))
		if it.Attempts != 1 || it.FailedAt.IsZero() || !strings.Contains(it.LastError, "550") {
			t.Errorf("refused mailbox: %+v", it)
		}

		// A server that keeps failing: given up after MaxAttempts (4), the waits capped.
		w.smtp.set(func(s *smtpServer) { s.failData = 100 })
		t3 := w.post(t, w.sato, sns.TopicInput{Title: "諦める", Priority: "important", Scope: "selected",
			Audience: model.Audience{Users: []int64{w.suzuki.ID}}})
		w.process(t)
		for range 4 {
			w.deliver(t)
			w.env.Clock.Advance(10 * time.Minute)
		}
		it = findOutbox(t, db, fmt.Sprintf("email:topic:%d:", t3.ID))
		if it.Attempts != 4 || it.FailedAt.IsZero() {
			t.Errorf("after 4 failures: %+v", it)
		}
		st, err := w.n.Status(ctx)
		if err != nil || st.Sent != 1 || st.Failed != 2 || st.Pending != 0 || st.Cursor != st.LastEvent {
			t.Errorf("status %+v, %v", st, err)
		}
	})
}

// TestRestartLosesNothingAndSendsNothingTwice stops the notifier in the middle of its work,
// simulates a node that died holding a lease, writes more while nothing runs, and starts a
// new notifier: every message arrives exactly once.
func TestRestartLosesNothingAndSendsNothingTwice(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.smtp.set(func(s *smtpServer) { s.delay = 15 * time.Millisecond })
		h := newHook(t)
		if _, _, err := w.n.CreateWebhook(ctx, auth.System(), w.rail.ID, h.srv.URL); err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			w.post(t, w.sato, sns.TopicInput{Title: fmt.Sprintf("再起動テスト%d", i), Priority: "important"})
		}
		run := func(n *notify.Notifier) (stop func()) {
			c, cancel := context.WithCancel(ctx)
			done := make(chan error)
			go func() { done <- n.Run(c) }()
			return func() {
				cancel()
				if err := <-done; err != nil {
					t.Error(err)
				}
			}
		}
		waitFor := func(what string, cond func() bool) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for !cond() {
				if time.Now().After(deadline) {
					t.Fatalf("timed out waiting for %s", what)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		stop := run(w.notifier(t))
		waitFor("the first messages", func() bool { return len(w.smtp.messages()) >= 3 })
		stop()
		sent := 0
		var pending []store.OutboxItem
		for _, it := range outbox(t, db) {
			switch {
			case !it.SentAt.IsZero():
				if it.Channel == "email" {
					sent++
				}
			case it.LeasedUntil.After(w.env.Clock.Now()):
				t.Errorf("a message is still leased after a clean stop: %+v", it)
			default:
				pending = append(pending, it)
			}
		}
		if got := len(w.smtp.messages()); got != sent {
			t.Fatalf("%d messages accepted by the server but %d recorded as sent", got, sent)
		}
		if len(pending) == 0 {
			t.Fatal("the notifier finished before it was stopped; nothing to test")
		}
		// A node that claimed a message and died: its lease blocks the message for an hour.
		if err := db.Write(ctx, func(c store.Conn) error {
			_, err := c.Exec(ctx, "UPDATE outbox SET leased_until = ? WHERE id = ?",
				w.env.Clock.Now().Add(time.Hour).UnixMilli(), pending[0].ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// More news while nothing runs.
		for i := 4; i < 6; i++ {
			w.post(t, w.sato, sns.TopicInput{Title: fmt.Sprintf("再起動テスト%d", i), Priority: "important"})
		}
		const want = 6 * 3 // six topics, three recipients each
		stop = run(w.notifier(t))
		waitFor("all but the leased message", func() bool { return len(w.smtp.messages()) >= want-1 && len(h.calls()) >= 5 })
		time.Sleep(50 * time.Millisecond)
		if pending[0].Channel == "email" && len(w.smtp.messages()) != want-1 {
			t.Fatalf("%d messages while one is leased, want %d", len(w.smtp.messages()), want-1)
		}
		w.env.Clock.Advance(2 * time.Hour) // the dead node's lease runs out
		waitFor("every message", func() bool { return len(w.smtp.messages()) >= want && len(h.calls()) >= 6 })
		time.Sleep(50 * time.Millisecond)
		stop()

		seen := map[string]int{}
		for _, r := range w.smtp.messages() {
			l := parseLetter(t, r)
			seen[l.To+" "+l.Subject]++
		}
		if len(seen) != want {
			t.Errorf("%d distinct messages, want %d", len(seen), want)
		}
		for k, n := range seen {
			if n != 1 {
				t.Errorf("%s received %d times", k, n)
			}
		}
		if n := len(w.smtp.messages()); n != want {
			t.Errorf("%d messages, want %d", n, want)
		}
		topics := map[string]bool{}
		for _, c := range h.calls() {
			topics[string(c.Body)] = true
		}
		if len(h.calls()) != 6 || len(topics) != 6 {
			t.Errorf("%d webhook calls about %d topics, want 6 and 6", len(h.calls()), len(topics))
		}
	})
}

func TestJapaneseSubjectAndLanguages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		emma, err := w.env.Directory.CreateUser(ctx, auth.System(), directory.UserInput{OrgID: w.power.ID,
			Email: "emma@power.example", DisplayName: "Emma Brown", Lang: "en", TimeZone: "Europe/London"})
		if err != nil {
			t.Fatal(err)
		}
		title := strings.Repeat("重要インフラ事業者向けの緊急注意喚起", 4)
		w.post(t, w.sato, sns.TopicInput{Title: title, Body: "日本語の本文です。\n\n- 項目一\n- 項目二", Priority: "important"})
		w.process(t)
		w.deliver(t)
		got := w.letters(t)
		l := got[w.suzuki.Email][0]
		if want := "[TLP:GREEN] 【重要】" + title + "｜情報提供（プロ）"; l.Subject != want {
			t.Errorf("subject\n got %q\nwant %q", l.Subject, want)
		}
		if !strings.Contains(strings.ToLower(l.RawHeader), "subject: =?utf-8?b?") {
			t.Errorf("the subject is not RFC 2047 encoded:\n%s", l.RawHeader)
		}
		for _, line := range strings.Split(l.RawHeader, "\n") {
			if len(line) > 78 {
				t.Errorf("header line of %d characters: %q", len(line), line)
			}
			for _, r := range line {
				if r > 127 {
					t.Errorf("raw 8-bit in a header: %q", line)
					break
				}
			}
		}
		if ct := l.Header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" {
			t.Errorf("content type %q", ct)
		}
		if !utf8.ValidString(l.Body) || !strings.Contains(l.Body, "日本語の本文です。") || !strings.Contains(l.Body, "項目二") {
			t.Errorf("body:\n%s", l.Body)
		}
		if from := l.Header.Get("From"); !strings.Contains(from, "=?") || !strings.Contains(from, "<renkei@ccc.example>") {
			t.Errorf("From %q", from)
		}

		e := got[emma.Email][0]
		if want := "[TLP:GREEN] [Important] " + title + " | Sharing (pro)"; e.Subject != want {
			t.Errorf("English subject\n got %q\nwant %q", e.Subject, want)
		}
		for _, want := range []string{"Posted by: sato (東都電力株式会社 (en))", "Date: 2026-07-24 01:00 BST", "Open in Renkei: http://renkei.test/topics/",
			"Type: "} {
			if !strings.Contains(e.Body, want) {
				t.Errorf("English body lacks %q:\n%s", want, e.Body)
			}
		}
	})
}

func TestSTARTTLSWithAuthentication(t *testing.T) {
	db := testdb.SQLite(t)
	cert, pool := selfSigned(t)
	w := newWorld(t, db, func(c *notify.Config, s *smtpServer) {
		s.tls = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.user, s.pass = "renkei", "s3cret"
		c.TLSMode, c.TLSConfig = notify.TLSStartTLS, &tls.Config{RootCAs: pool}
		c.SMTPUsername, c.SMTPPassword = "renkei", "s3cret"
	})
	w.post(t, w.sato, sns.TopicInput{Title: "暗号化の確認", Priority: "important", Scope: "selected",
		Audience: model.Audience{Users: []int64{w.suzuki.ID}}})
	w.process(t)
	// A server whose certificate is not trusted is not talked to.
	untrusting := w.cfg
	untrusting.TLSConfig = nil
	n2, err := notify.New(db, w.box, untrusting, nil, w.env.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n2.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if len(w.smtp.messages()) != 0 {
		t.Fatal("a message went to an untrusted server")
	}
	w.env.Clock.Advance(time.Hour)
	w.deliver(t)
	msgs := w.smtp.messages()
	if len(msgs) != 1 || !msgs[0].TLS || !msgs[0].Auth {
		t.Fatalf("messages %+v", msgs)
	}

	// A server that does not offer STARTTLS is not used in clear text.
	plain := newSMTPServer(t, nil)
	cfg := w.cfg
	cfg.SMTPPort, cfg.SMTPUsername, cfg.SMTPPassword = plain.port(), "", ""
	n3, err := notify.New(db, w.box, cfg, nil, w.env.Clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	w.post(t, w.sato, sns.TopicInput{Title: "平文禁止", Priority: "important", Scope: "selected",
		Audience: model.Audience{Users: []int64{w.suzuki.ID}}})
	w.process(t)
	if _, err := n3.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	if len(plain.messages()) != 0 {
		t.Fatal("a message went out in clear text")
	}
	it := findOutbox(t, db, "email:topic:")
	for _, x := range outbox(t, db) {
		if x.SentAt.IsZero() {
			it = x
		}
	}
	if !strings.Contains(it.LastError, "STARTTLS") || it.Attempts != 1 {
		t.Errorf("the refusal is not recorded: %+v", it)
	}
}

func TestConfigIsChecked(t *testing.T) {
	const base = "https://renkei.example.jp"
	for name, c := range map[string]notify.Config{
		"tls mode":          {BaseURL: base, TLSMode: "ssl"},
		"digest hour":       {BaseURL: base, DigestHour: 24},
		"from missing":      {BaseURL: base, SMTPHost: "mail.example.jp"},
		"from invalid":      {BaseURL: base, SMTPHost: "mail.example.jp", From: "not an address"},
		"auth in the clear": {BaseURL: base, SMTPHost: "mail.example.jp", From: "a@example.jp", TLSMode: notify.TLSNone, SMTPUsername: "u"},
		"base url":          {BaseURL: "renkei.example.jp"},
		"no base url":       {},
		"lease too short":   {BaseURL: base, Lease: time.Second, SMTPTimeout: 30 * time.Second},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := (notify.Config{BaseURL: base, SMTPHost: "mail.example.jp", From: "Renkei <renkei@example.jp>", SMTPUsername: "u"}).Validate(); err != nil {
		t.Errorf("a sound configuration: %v", err)
	}
}

// TestEventsCommittedOutOfOrderAreNotSkipped: on PostgreSQL a transaction that commits
// late can own a lower event id than events already visible; the notifier waits for the
// gap instead of moving past it. A gap that is never filled (a rolled-back insert) is
// passed after EventGapWait.
func TestEventsCommittedOutOfOrderAreNotSkipped(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// newTopic writes a topic and its event the way the SNS service does, in c.
		newTopic := func(c store.Conn, title string, eventID int64) (int64, error) {
			now := w.env.Clock.Now()
			id, err := store.InsertTopic(ctx, c, model.Topic{CommunityID: w.comm.ID, AuthorID: w.sato.ID, AuthorOrgID: w.power.ID,
				Title: title, Body: "本文", InfoType: "alert", Priority: model.PriorityImportant, TLP: model.TLPGreen,
				Scope: model.ScopeCommunity}, model.Audience{}, now)
			if err != nil {
				return 0, err
			}
			if eventID == 0 {
				_, err = store.InsertEvent(ctx, c, store.Event{Kind: sns.EventTopicCreated, TopicID: id, CommunityID: w.comm.ID,
					ActorID: w.sato.ID}, now)
				return id, err
			}
			_, err = c.Exec(ctx, `INSERT INTO events (id, kind, topic_id, community_id, actor_id, detail, created_at)
				VALUES (?, ?, ?, ?, ?, '{}', ?)`, eventID, sns.EventTopicCreated, id, w.comm.ID, w.sato.ID, now.UnixMilli())
			return id, err
		}
		subjects := func() map[string]int {
			out := map[string]int{}
			for _, ls := range w.letters(t) {
				for _, l := range ls {
					out[l.Subject]++
				}
			}
			return out
		}
		if db.Backend() == store.Postgres {
			// A transaction holds event n while event n+1 commits.
			hold, inserted, done := make(chan struct{}), make(chan struct{}), make(chan error)
			go func() {
				done <- db.Write(ctx, func(c store.Conn) error {
					if _, err := newTopic(c, "遅れて確定", 0); err != nil {
						return err
					}
					close(inserted)
					<-hold
					return nil
				})
			}()
			<-inserted
			w.post(t, w.sato, sns.TopicInput{Title: "先に確定", Priority: "important"})
			w.process(t)
			if st, _ := w.n.Status(ctx); st.Cursor != 0 {
				t.Errorf("the cursor moved past an event not yet committed: %+v", st)
			}
			close(hold)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			w.process(t)
			w.deliver(t)
			got := subjects()
			for _, title := range []string{"遅れて確定", "先に確定"} {
				if n := got["[TLP:GREEN] 【重要】"+title+"｜情報提供（プロ）"]; n != 3 {
					t.Errorf("%s: %d messages, want 3 (%v)", title, n, got)
				}
			}
		}
		// A gap never filled: waited for, then passed.
		last, err := store.LastEventID(ctx, db.Read())
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Write(ctx, func(c store.Conn) error { _, err := newTopic(c, "欠番の後", last+2); return err }); err != nil {
			t.Fatal(err)
		}
		w.process(t)
		if st, _ := w.n.Status(ctx); st.Cursor != last {
			t.Fatalf("cursor %d, want %d (waiting at the gap)", st.Cursor, last)
		}
		w.env.Clock.Advance(2 * time.Minute)
		w.process(t)
		w.deliver(t)
		if st, _ := w.n.Status(ctx); st.Cursor != last+2 {
			t.Fatalf("cursor %d, want %d (past the gap)", st.Cursor, last+2)
		}
		if n := subjects()["[TLP:GREEN] 【重要】欠番の後｜情報提供（プロ）"]; n != 3 {
			t.Errorf("the event after the gap: %d messages, want 3", n)
		}
	})
}

// TestWakeSkipsThePoll: with polls an hour apart, Wake alone gets a new topic delivered.
func TestWakeSkipsThePoll(t *testing.T) {
	db := testdb.SQLite(t)
	w := newWorld(t, db, func(c *notify.Config, _ *smtpServer) {
		c.PollInterval, c.SendInterval, c.DigestInterval = time.Hour, time.Hour, time.Hour
	})
	c, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- w.n.Run(c) }()
	defer func() { cancel(); <-done }()
	time.Sleep(50 * time.Millisecond) // the first pass finds nothing
	w.post(t, w.sato, sns.TopicInput{Title: "即時", Priority: "important", Scope: "selected",
		Audience: model.Audience{Users: []int64{w.suzuki.ID}}})
	w.n.Wake()
	deadline := time.Now().Add(5 * time.Second)
	for len(w.smtp.messages()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Wake did not lead to a delivery")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
