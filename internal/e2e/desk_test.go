package e2e

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// A member of a power company reports a ransomware case from a phone at night: the first
// try lacks the category and comes back with everything typed (and a draft kept in the
// browser); the second files it. An analyst of the center finds it in the queue, triages
// it, assigns it to a team and to themselves, and replies. The reporter sees the reply and
// the new state; a person of another organization gets "not found" at the case's address.
func TestBrowserDeskReportTriageReply(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		center := env.Org("対処調整センター", model.KindCenter)
		power := env.Org("東都電力株式会社", model.KindOperator)
		rail := env.Org("首都圏鉄道株式会社", model.KindOperator)
		analyst := env.Person(center, "analyst@ccc.example", model.RoleAnalyst)
		secret := env.EnrolTOTP(analyst)
		sato := env.Person(power, "sato@power.example", model.RoleMember)
		tanaka := env.Person(rail, "tanaka@rail.example", model.RoleMember)

		phone := newBrowser(t, env.Server())
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

		// The analyst triages, assigns and replies.
		desk := phone.fresh()
		desk.snsSignIn(env, analyst, secret)
		desk.open("/desk")
		if !strings.Contains(desk.text(".desk-queue"), "ファイルサーバがランサムウェアに感染") {
			t.Fatal("the case is not in the center's queue")
		}
		desk.click("#" + strings.TrimPrefix(casePath, "/desk/cases/") + " ファイルサーバがランサムウェアに感染")
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
		desk.snsType("reply-body", "サーバをネットワークから切り離してください。")
		desk.click("送信")
		if !strings.Contains(desk.text("#timeline"), "サーバをネットワークから切り離してください。") {
			t.Fatal("the reply is not in the timeline")
		}

		// The reporter sees the reply and the state.
		phone.open(casePath)
		if !strings.Contains(phone.text("#timeline"), "サーバをネットワークから切り離してください。") || phone.text("#case-state") != "トリアージ" {
			t.Errorf("the reporter's view: %q / %q", phone.text("#timeline"), phone.text("#case-state"))
		}
		// Someone of another organization cannot open it by its address.
		other := phone.fresh()
		other.snsSignIn(env, tanaka, nil)
		if status := other.open(casePath); status != 404 {
			t.Errorf("another organization opened the case: status %d", status)
		}
	})
}
