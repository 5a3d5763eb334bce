package e2e

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// An analyst sends a DDoS notice to two organizations through the compose page. Two hours
// later a member of the railway reads its copy on a phone; a member of the power company
// sees only its own copy and gets a 404 for the railway's; the center's time-to-read view
// shows one read (after two hours) and the power company still unread.
func TestBrowserNoticeToTwoOrganizations(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		center := env.Org("対処調整センター", model.KindCenter)
		power := env.Org("東都電力株式会社", model.KindOperator)
		rail := env.Org("首都圏鉄道株式会社", model.KindOperator)
		analyst := env.Person(center, "analyst@ccc.example", model.RoleAnalyst)
		tanaka := env.Person(rail, "tanaka@metro-rail.example", model.RoleMember)
		sato := env.Person(power, "sato@toto-power.example", model.RoleMember)
		secret := env.EnrolTOTP(analyst)
		const title = "予約サイトへの DDoS 攻撃を観測"

		b := newBrowser(t, env.Server())
		b.snsSignIn(env, analyst, secret)
		b.click("観測情報")
		b.expectPage("/notices", "観測情報")
		b.click("観測情報を作成")
		b.expectPage("/notices/new", "観測情報の作成")
		b.snsTick("org-" + strconv.FormatInt(power.ID, 10))
		b.snsTick("org-" + strconv.FormatInt(rail.ID, 10))
		b.choose("kind", "ddos")
		b.choose("severity", "high")
		b.fill("title", title)
		b.snsType("body", "7月26日 20時から、予約サイト宛ての大量の通信（約 40 Gbps）を観測しています。")
		b.snsType("action", "上流の ISP と連携し、通信の遮断をご検討ください。")
		b.click("送信")
		if got := b.text(".notice.ok"); got != "観測情報を送信しました。" {
			t.Errorf("flash %q after sending", got)
		}
		if n := b.count(".notice-item"); n != 2 {
			t.Errorf("the center's list shows %d copies, want 2", n)
		}

		// Two hours later the railway's member reads it on a phone.
		env.Clock.Advance(2 * time.Hour)
		// Each step has a browser of its own: a browser's time budget runs from its start.
		rb := newBrowser(t, env.Server())
		rb.do("emulating a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(3)))
		rb.snsSignIn(env, tanaka, nil)
		rb.open("/notices")
		rb.expectPage("/notices", "観測情報")
		if got := rb.text("#unread-count"); got != "未読 1 件" {
			t.Errorf("unread count %q", got)
		}
		if got := rb.text("header .nav-count"); got != "1" {
			t.Errorf("the navigation's unread badge shows %q", got)
		}
		if rb.count(".notice-item.unread") != 1 {
			t.Error("the notice is not marked unread")
		}
		rb.noHorizontalScroll()
		rb.click(title)
		railPath := rb.location().Path
		if !strings.HasPrefix(railPath, "/notices/") || rb.text("h1") != title {
			rb.fatalf("on %s with heading %q", railPath, rb.text("h1"))
		}
		if !strings.Contains(rb.text("main"), "上流の ISP と連携") {
			t.Error("the recommended action is not shown")
		}
		rb.noHorizontalScroll()
		rb.click("確認しました（既読にする）")
		if got := rb.text(".notice.ok"); got != "既読にしました。" {
			t.Errorf("flash %q after reading", got)
		}
		if got := rb.text("#first-read"); !strings.Contains(got, "2 時間 0 分") {
			t.Errorf("first read shows %q", got)
		}
		if rb.count("#mark-read") != 0 {
			t.Error("the read button is still there")
		}
		if rb.count("header .nav-count") != 0 {
			t.Error("the navigation still counts the notice as unread")
		}
		rb.noHorizontalScroll()

		// The power company's member sees its own copy only.
		pb := newBrowser(t, env.Server())
		pb.snsSignIn(env, sato, nil)
		pb.open("/notices")
		if n := pb.count(".notice-item"); n != 1 {
			t.Errorf("the power company sees %d notices, want its 1", n)
		}
		if pb.count(`a[href="`+railPath+`"]`) != 0 {
			t.Error("the railway's copy is listed for the power company")
		}
		if status := pb.open(railPath); status != 404 {
			t.Errorf("the railway's copy answered %d to the power company, want 404", status)
		}

		// The center sees one read, after two hours, and the power company unread.
		cb := newBrowser(t, env.Server())
		env.Clock.Advance(time.Minute) // a fresh TOTP code
		cb.snsSignIn(env, analyst, secret)
		cb.open("/notices/read-times")
		cb.expectPage("/notices/read-times", "既読までの時間")
		for id, want := range map[string]string{"#fig-sent": "2", "#fig-read": "1", "#fig-unread": "1", "#fig-median": "2 時間 0 分"} {
			if got := cb.text(id); got != want {
				t.Errorf("%s shows %q, want %q", id, got, want)
			}
		}
		table := cb.text("#unread-by-org")
		if !strings.Contains(table, "東都電力株式会社") || strings.Contains(table, "首都圏鉄道株式会社") {
			t.Errorf("unread by organization: %q", table)
		}
		if cb.count("svg.bars rect.bar") != 6 {
			t.Error("the distribution chart is missing")
		}
		cb.screenshot("notice-read-times")
	})
}
