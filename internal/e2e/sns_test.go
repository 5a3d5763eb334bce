package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// snsTick clicks a checkbox or radio button by its id.
func (b *browser) snsTick(id string) {
	b.t.Helper()
	b.do("ticking #"+id, chromedp.Click(chromedp.ID(id)))
	if !eval[bool](b, `document.getElementById(`+jsString(id)+`).checked`) {
		b.fatalf("#%s is not checked after clicking it", id)
	}
}

// snsType types into an empty text area (fill clears the field first, which an empty
// text area does not allow).
func (b *browser) snsType(id, value string) {
	b.t.Helper()
	b.do("typing into #"+id, chromedp.SendKeys(chromedp.ID(id), value))
	if got := b.value(id); got != value {
		b.fatalf("#%s holds %q after typing %q", id, got, value)
	}
}

// snsSignIn signs a person in, with their TOTP code when they have a secret, and checks
// that they reach home.
func (b *browser) snsSignIn(env *testapp.Env, u model.User, secret []byte) {
	b.t.Helper()
	b.signIn(u.Email, testapp.Password)
	if secret != nil {
		b.expectPage("/signin/2fa", "2段階認証")
		b.fill("code", env.Code(secret))
		b.click("確認")
	}
	b.expectHome(u.DisplayName)
}

// An author posts a topic through the form to one organization only. A person of that
// organization finds it unread in the timeline, opens it and presses 既読にする; a member of
// the same community in another organization finds it neither in the timeline nor by
// searching for a word it contains; the author's progress page shows the organization
// as read. With RENKEI_SCREENSHOTS set, the timeline, the topic and the form are saved.
func TestBrowserSelectedTopicReachesOnlyItsRecipients(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		ctx, sys := testapp.Ctx(), auth.System()
		center := env.Org("対処調整センター", model.KindCenter)
		power := env.Org("東都電力株式会社", model.KindOperator)
		rail := env.Org("首都圏鉄道株式会社", model.KindOperator)
		vendor := env.Org("サイバー脅威情報株式会社", model.KindCTIVendor)
		author := env.Person(center, "analyst@ccc.example", model.RoleAnalyst)
		recipient := env.Person(rail, "tanaka@metro-rail.example", model.RoleMember)
		outsider := env.Person(vendor, "kimura@cti-vendor.example", model.RoleMember)
		comm, err := env.Communities.Create(ctx, sys, community.Input{NameJA: "情報提供（プロ）", NameEN: "Sharing (pro)",
			DescriptionJA: "システム運用担当者やセキュリティ対策に携わる方向け"})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []model.Org{center, power, rail, vendor} {
			if err := env.Communities.AddOrg(ctx, sys, comm.ID, o.ID); err != nil {
				t.Fatal(err)
			}
		}
		// Earlier topics by a power company's analyst, for the timeline to show.
		sato := env.Principal(env.Person(power, "sato@toto-power.example", model.RoleMember))
		for _, in := range []sns.TopicInput{
			{Title: "大会期間中の監視体制と連絡先について", InfoType: "schedule", TLP: "clear", Scope: "community", Tags: []string{"連絡体制"}},
			{Title: "VPN 装置の脆弱性（CVE-2026-21887）について", InfoType: "vulnerability", Priority: "caution", TLP: "green",
				Scope: "community", Tags: []string{"VPN", "CVE-2026-21887"}},
			{Title: "鉄道各社を装うフィッシングサイトの観測", InfoType: "observation", TLP: "amber+strict", Scope: "selected",
				Audience: model.Audience{Orgs: []int64{rail.ID}}, Tags: []string{"フィッシング"}},
		} {
			in.CommunityID, in.Body = comm.ID, "詳細は添付の資料を参照してください。"
			if _, err := env.SNS.CreateTopic(ctx, sato, in); err != nil {
				t.Fatal(err)
			}
			env.Clock.Advance(47 * time.Minute)
		}
		const title = "鉄道事業者向け：DDoS攻撃の予告について"
		const body = "鉄道事業者を名指しした DDoS 攻撃の予告を観測しました。\n\n- 予告日時：7月26日 20時\n- 対象：予約サイト"

		// The author posts through the community page and the form.
		b := newBrowser(t, env.Server())
		b.snsSignIn(env, author, env.EnrolTOTP(author))
		b.open("/communities/" + strconv.FormatInt(comm.ID, 10))
		b.click("このコミュニティに投稿")
		b.expectPage("/communities/"+strconv.FormatInt(comm.ID, 10)+"/topics/new", "新しいトピック")
		b.fill("title", title)
		b.snsType("body", body)
		b.choose("info_type", "attack-forecast")
		b.snsTick("priority-important")
		b.snsTick("tlp-amber")
		b.snsTick("scope-selected")
		b.snsTick("aud-org-" + strconv.FormatInt(rail.ID, 10))
		if got := b.text("#audience-summary"); !strings.Contains(got, "1 組織と 0 名") {
			t.Errorf("the summary of who will see the topic says %q", got)
		}
		b.screenshot("new-topic")
		b.click("投稿する")
		topicPath := b.location().Path
		if !strings.HasPrefix(topicPath, "/topics/") {
			b.fatalf("after posting: on %s, want /topics/ID", topicPath)
		}
		if got := b.text(".notice.ok"); got != "トピックを投稿しました。" {
			t.Errorf("flash %q after posting", got)
		}
		if got := b.text("h1"); got != "【重要】"+title {
			t.Errorf("topic heading %q", got)
		}
		if got := b.text(".topic-header .tlp"); got != "TLP:AMBER" {
			t.Errorf("TLP badge %q", got)
		}
		if got := b.text(".markdown li"); got != "予告日時：7月26日 20時" {
			t.Errorf("the body's list renders as %q", got)
		}
		b.screenshot("topic")

		// The recipient finds it unread in the timeline and acknowledges it.
		rb := b.fresh()
		rb.snsSignIn(env, recipient, nil)
		rb.click("タイムライン")
		rb.expectPage("/topics", "タイムライン")
		if got := rb.text(".topic-item.unread .topic-link"); got != "【重要】"+title {
			t.Errorf("the recipient's first unread topic is %q", got)
		}
		if n := rb.count(".topic-item.unread"); n != 4 {
			t.Errorf("the recipient has %d unread topics, want 4", n)
		}
		rb.screenshot("timeline")
		rb.click("【重要】" + title)
		rb.expectPage(topicPath, "【重要】"+title)
		rb.click("既読にする")
		if got := rb.text(".notice.ok"); got != "既読にしました。投稿者に伝わります。" {
			t.Errorf("flash %q after acknowledging", got)
		}
		if rb.count("button.ack") != 0 || !strings.Contains(rb.text(".read-state"), "既読にしました") {
			t.Error("the topic page does not show it as read")
		}

		// A member of another organization of the community sees nothing of it.
		ob := b.fresh()
		ob.snsSignIn(env, outsider, nil)
		ob.click("タイムライン")
		if strings.Contains(ob.text("main"), title) || ob.count(`a[href="`+topicPath+`"]`) != 0 {
			t.Error("the topic is in the timeline of someone it was not shared with")
		}
		if n := ob.count(".topic-item"); n != 2 {
			t.Errorf("the outsider's timeline shows %d topics, want the 2 shared with the community", n)
		}
		ob.click("検索")
		ob.expectPage("/search", "検索")
		ob.fill("q", "攻撃")
		ob.click("検索する")
		if got := ob.location().Query().Get("q"); got != "攻撃" {
			t.Errorf("searched for %q", got)
		}
		if ob.count(".topic-item") != 0 || !strings.Contains(ob.text("main"), "見つかりませんでした") {
			t.Error("the search finds the topic for someone it was not shared with")
		}
		if status := ob.open(topicPath); status != 404 {
			t.Errorf("opening the topic by its address answered %d, want 404", status)
		}
		// The recipient's same search finds it, the word marked.
		rb.open("/search?q=" + "%E6%94%BB%E6%92%83")
		if got := rb.text(".topic-item .topic-link mark"); got != "攻撃" {
			t.Errorf("the recipient's search marks %q", got)
		}

		// The author's progress page shows the railway as read.
		b.open(topicPath)
		b.click("既読状況")
		b.expectPage(topicPath+"/progress", "既読状況")
		row := b.text("table.progress tr.read")
		if !strings.Contains(row, "首都圏鉄道株式会社") || !strings.Contains(row, "既読") {
			t.Errorf("progress row %q", row)
		}
		if b.count("table.progress tr.not-read") != 0 {
			t.Error("the progress lists an organization that has not read it")
		}
		if got := b.text(".lead"); !strings.Contains(got, "1 組織のうち 1 組織") {
			t.Errorf("progress summary %q", got)
		}
	})
}

// On a phone-sized screen the timeline, a topic and the new-topic form fit the width.
func TestBrowserSNSPagesFitAPhone(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		ctx, sys := testapp.Ctx(), auth.System()
		org := env.Org("国立競技場運営センター", model.KindVenue)
		u := env.Person(org, "suzuki.ichiro@stadium-operations.example", model.RoleMember)
		comm, err := env.Communities.Create(ctx, sys, community.Input{NameJA: "情報提供（一般）"})
		if err != nil {
			t.Fatal(err)
		}
		if err := env.Communities.AddOrg(ctx, sys, comm.ID, org.ID); err != nil {
			t.Fatal(err)
		}
		topic, err := env.SNS.CreateTopic(ctx, env.Principal(u), snsInput(comm.ID))
		if err != nil {
			t.Fatal(err)
		}
		b := newBrowser(t, env.Server())
		b.do("emulating a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(3)))
		b.snsSignIn(env, u, nil)
		for _, path := range []string{"/topics", "/topics/" + strconv.FormatInt(topic.ID, 10), "/search?q=https",
			"/communities/" + strconv.FormatInt(comm.ID, 10) + "/topics/new", "/topics/" + strconv.FormatInt(topic.ID, 10) + "/progress"} {
			if status := b.open(path); status != 200 {
				b.fatalf("%s answered %d", path, status)
			}
			b.noHorizontalScroll()
		}
		// Opened, the new-topic menu and the filters fit too.
		b.open("/topics")
		b.do("opening the menus", chromedp.Click(chromedp.CSS("details.menu > summary")),
			chromedp.Click(chromedp.CSS("form.filters summary")))
		if !eval[bool](b, `document.querySelector("details.menu").open && document.querySelector("form.filters details").open`) {
			b.fatalf("the menus did not open")
		}
		b.noHorizontalScroll()
	})
}

// snsInput is a topic with a long unbroken URL and a wide table, the things that widen pages.
func snsInput(communityID int64) sns.TopicInput {
	return sns.TopicInput{CommunityID: communityID, Title: "観測：https://example.com/very/long/path/that/does/not/break/anywhere/at/all/0123456789abcdef",
		Body: "| 送信元 | 宛先 | 件数 | 備考 |\n|---|---|---|---|\n| 198.51.100.7 | 203.0.113.9 | 12345 | https://example.com/another/very/long/unbroken/path/0123456789 |\n\n" +
			"```\nGET /wp-login.php?aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\n```",
		InfoType: "observation", TLP: "green", Scope: "community", Tags: []string{"https"}}
}
