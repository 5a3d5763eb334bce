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

// The scenario. The on-call analyst of the center has the queue open. A member of
// a power company reports a ransomware case from a phone at night: the first try lacks
// the category and comes back with everything typed (and a draft kept in the browser);
// the second files it. The analyst sees it arrive without reloading (an on-call alert
// and the row in the queue), opens it, triages it, assigns it, invites a partner (a
// security agency) and replies. The partner's person opens the case in their own
// browser and replies; the reply appears live on the analyst's case page. The reporter
// sees the reply and the new state; the event-impact report for the morning lists the
// case; a person of another organization gets "not found" at the case's address. Each
// person has their own browser context.
func TestBrowserDeskReportTriageReply(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		center := env.Org("対処調整センター", model.KindCenter)
		power := env.Org("東都電力株式会社", model.KindOperator)
		rail := env.Org("首都圏鉄道株式会社", model.KindOperator)
		agency := env.Org("JPCERT/CC", model.KindSecurityAgency)
		analyst := env.Person(center, "analyst@ccc.example", model.RoleAnalyst)
		secret := env.EnrolTOTP(analyst)
		sato := env.Person(power, "sato@power.example", model.RoleMember)
		tanaka := env.Person(rail, "tanaka@rail.example", model.RoleMember)
		suzuki := env.Person(agency, "suzuki@jpcert.example", model.RoleMember)
		now := env.Clock.Now()
		if _, err := env.Desk.AddShift(testapp.Ctx(), env.Principal(analyst), analyst.ID, now.Add(-time.Hour), now.Add(8*time.Hour)); err != nil {
			t.Fatal(err)
		}
		base := env.Server()

		// The analyst on call has the queue open, following it live.
		desk := newBrowser(t, base)
		desk.snsSignIn(env, analyst, secret)
		desk.open("/desk")
		desk.waitFor("the queue's live stream", `document.getElementById("desk-live").dataset.live === "open"`)

		phone := desk.fresh()
		phone.do("emulating a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(3)))
		phone.snsSignIn(env, sato, nil)
		phone.click("そうだんの窓口")
		phone.expectPage("/desk", "そうだんの窓口")
		phone.click("報告する")
		phone.expectPage("/desk/new", "事案を報告する")
		phone.noHorizontalScroll()
		phone.fill("title", "ファイルサーバがランサムウェアに感染")
		phone.snsType("description", "共有フォルダのファイルが .locked に変わった。脅迫文あり。")
		phone.snsTick("urgency-critical")
		phone.snsTick("impact-yes")
		if status := phone.click("報告を送る"); status != 422 {
			t.Fatalf("report without a category: status %d", status)
		}
		if got := phone.value("title"); got != "ファイルサーバがランサムウェアに感染" {
			t.Fatalf("title after the failed submit: %q", got)
		}
		if !phone.has(".field.invalid #category") || !eval[bool](phone, `document.getElementById("urgency-critical").checked`) {
			t.Fatal("the failed form does not mark the category or lost the urgency")
		}
		if draft := eval[string](phone, `localStorage.getItem("renkei.desk.draft") || ""`); !strings.Contains(draft, "ランサムウェア") {
			t.Fatalf("no draft kept in the browser: %q", draft)
		}
		phone.noHorizontalScroll()
		phone.choose("category", "malware")
		phone.click("報告を送る")
		if got := phone.location().Path; !strings.HasPrefix(got, "/desk/cases/") {
			t.Fatalf("after filing, on %s", got)
		}
		casePath := phone.location().Path
		caseID := strings.TrimPrefix(casePath, "/desk/cases/")
		if got := phone.text("h1"); !strings.Contains(got, "ファイルサーバがランサムウェアに感染") {
			t.Fatalf("case page heading %q", got)
		}
		if phone.text("#case-state") != "受付" {
			t.Errorf("state %q", phone.text("#case-state"))
		}
		if draft := eval[bool](phone, `localStorage.getItem("renkei.desk.draft") === null`); !draft {
			t.Error("the draft was not cleared once the case was filed")
		}
		phone.noHorizontalScroll()

		// The case arrives on the analyst's open queue: an on-call alert naming its
		// category and urgency (never its title), and its row.
		desk.waitFor("the new case on the open queue", `!!document.querySelector("#desk-live .desk-live-item.alert[data-case='`+caseID+`']")`)
		notice := desk.text("#desk-live .desk-live-item")
		if !strings.Contains(notice, "当直アラート") || !strings.Contains(notice, "#"+caseID) ||
			!strings.Contains(notice, "マルウェア・ランサムウェア") || !strings.Contains(notice, "緊急") {
			t.Errorf("live notice %q", notice)
		}
		if strings.Contains(notice, "ファイルサーバ") {
			t.Errorf("the live notice carries the title: %q", notice)
		}
		desk.waitFor("the new row in the queue", `document.getElementById("desk-table").innerText.includes("ファイルサーバがランサムウェアに感染")`)
		desk.click(eval[string](desk, `document.querySelector("#desk-live .desk-live-item a").textContent.trim()`))
		desk.expectPage(casePath, "#"+caseID+" ファイルサーバがランサムウェアに感染")
		desk.click("トリアージ")
		if desk.text("#case-state") != "トリアージ" {
			t.Fatalf("state after triage %q", desk.text("#case-state"))
		}
		desk.fill("team", "IR担当 チーム1")
		desk.choose("handler_id", strconv.FormatInt(analyst.ID, 10))
		desk.click("担当を決める")
		if got := desk.text("#case-handler"); !strings.Contains(got, "IR担当 チーム1") || !strings.Contains(got, analyst.DisplayName) {
			t.Errorf("handler shown %q", got)
		}
		desk.choose("partner-org", strconv.FormatInt(agency.ID, 10))
		desk.click("招待する")
		if got := desk.text("#partners"); !strings.Contains(got, "JPCERT/CC") {
			t.Fatalf("partners after the invitation: %q", got)
		}
		desk.snsType("reply-body", "サーバをネットワークから切り離してください。")
		desk.click("送信")
		if !strings.Contains(desk.text("#timeline"), "サーバをネットワークから切り離してください。") {
			t.Fatal("the reply is not in the timeline")
		}
		desk.waitFor("the case page's live stream", `document.getElementById("case-live").dataset.live === "open"`)

		// The partner's person replies in their own browser; the analyst sees it arrive.
		partner := desk.fresh()
		partner.snsSignIn(env, suzuki, nil)
		if status := partner.open(casePath); status != 200 {
			t.Fatalf("the invited partner opened the case: status %d", status)
		}
		if !strings.Contains(partner.text("#timeline"), "サーバをネットワークから切り離してください。") {
			t.Errorf("the partner does not see the center's reply: %q", partner.text("#timeline"))
		}
		partner.snsType("reply-body", "同種の検体を確認しています。ハッシュを共有してください。")
		partner.click("送信")
		if !strings.Contains(partner.text("#timeline"), "同種の検体を確認しています。") {
			t.Fatal("the partner's reply is not in their timeline")
		}
		desk.waitFor("the partner's reply on the analyst's page", `document.getElementById("timeline").innerText.includes("同種の検体を確認しています。")`)

		// The reporter sees the reply and the state.
		phone.open(casePath)
		if !strings.Contains(phone.text("#timeline"), "サーバをネットワークから切り離してください。") || phone.text("#case-state") != "トリアージ" {
			t.Errorf("the reporter's view: %q / %q", phone.text("#timeline"), phone.text("#case-state"))
		}
		// The morning's event-impact report (times in Japan) lists the case.
		if status := desk.open("/desk/report?from=2026-07-24T06:00&to=2026-07-24T12:00"); status != 200 {
			t.Fatalf("report: status %d", status)
		}
		if got := desk.text("#report-cases"); !strings.Contains(got, "#"+caseID+" ファイルサーバがランサムウェアに感染") {
			t.Errorf("the report does not list the case: %q", got)
		}
		// Someone of another organization cannot open it by its address.
		other := desk.fresh()
		other.snsSignIn(env, tanaka, nil)
		if status := other.open(casePath); status != 404 {
			t.Errorf("another organization opened the case: status %d", status)
		}
	})
}

// waitFor waits until a JavaScript condition holds on the page, within one step's budget.
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(stepBudget)
	for !eval[bool](b, "!!("+cond+")") {
		if time.Now().After(deadline) {
			b.fatalf("waiting for %s: %s is still false", what, cond)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
