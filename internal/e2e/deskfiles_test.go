package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// A member of a power company reports from a phone-sized window with a file (the ransom
// note). The first submit lacks the category: the text comes back, and the page says to
// choose the file again, which the person does before sending. The case page lists the
// file with its size and SHA-256. The center's analyst downloads it from the case page;
// a person of another organization gets 404 at the download's address.
func TestBrowserDeskFileFromAPhone(t *testing.T) {
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
		note := []byte("YOUR FILES ARE ENCRYPTED. Contact us.\n")
		file := filepath.Join(t.TempDir(), "脅迫文.txt")
		if err := os.WriteFile(file, note, 0o600); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(note)
		base := env.Server()

		phone := newBrowser(t, base)
		phone.do("emulating a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(3)))
		phone.snsSignIn(env, sato, nil)
		phone.open("/desk/new")
		phone.fill("title", "ファイルサーバがランサムウェアに感染")
		phone.snsType("description", "共有フォルダのファイルが .locked に変わった。脅迫文を添付します。")
		phone.snsTick("urgency-critical")
		phone.do("choosing the file", chromedp.SetUploadFiles(chromedp.ID("case-files"), []string{file}))
		if status := phone.click("報告を送る"); status != 422 {
			t.Fatalf("report without a category: status %d", status)
		}
		if got := phone.value("title"); got != "ファイルサーバがランサムウェアに感染" {
			t.Fatalf("title after the failed submit: %q", got)
		}
		if got := phone.text("#case-files-again"); !strings.Contains(got, "もう一度ファイルを選んで") {
			t.Fatalf("the page does not ask, in Japanese, to choose the file again: %q", got)
		}
		phone.noHorizontalScroll()
		phone.choose("category", "malware")
		phone.do("choosing the file again", chromedp.SetUploadFiles(chromedp.ID("case-files"), []string{file}))
		phone.click("報告を送る")
		casePath := phone.location().Path
		if !strings.HasPrefix(casePath, "/desk/cases/") {
			t.Fatalf("after filing, on %s", casePath)
		}
		files := phone.text("#case-files")
		if !strings.Contains(files, "脅迫文.txt") || !strings.Contains(files, hex.EncodeToString(sum[:])) || !strings.Contains(files, "38 B") {
			t.Fatalf("the case's files as the reporter sees them: %q", files)
		}
		phone.noHorizontalScroll()
		href := eval[string](phone, `document.querySelector("#case-files a[download]").getAttribute("href")`)

		// The analyst downloads it from the case page (as the link does, through fetch so
		// that the test can read what arrives).
		desk := phone.fresh()
		desk.snsSignIn(env, analyst, secret)
		desk.open(casePath)
		if got := eval[string](desk, `document.querySelector("#case-files a[download]").getAttribute("href")`); got != href {
			t.Fatalf("the center's link %q, the reporter's %q", got, href)
		}
		got := evalAwait[string](desk, `fetch(`+jsString(href)+`).then(async r => r.status + "|" + r.headers.get("Content-Disposition") + "|" + r.headers.get("X-Content-Type-Options") + "|" + await r.text())`)
		parts := strings.SplitN(got, "|", 4)
		if len(parts) != 4 || parts[0] != "200" || !strings.HasPrefix(parts[1], "attachment") || parts[2] != "nosniff" || parts[3] != string(note) {
			t.Fatalf("the center's download: %q", got)
		}

		other := phone.fresh()
		other.snsSignIn(env, tanaka, nil)
		if status := other.open(href); status != 404 {
			t.Errorf("another organization downloaded the file: status %d", status)
		}
	})
}

// evalAwait evaluates a JavaScript expression that yields a promise and decodes what it
// resolves to.
func evalAwait[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepBudget)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// The reporter has the case page open and the analyst the queue; the center assigns the
// case, raises its urgency and attaches a file: both pages show it without reloading.
func TestBrowserDeskLiveAssignmentAndUrgency(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		center := env.Org("対処調整センター", model.KindCenter)
		power := env.Org("東都電力株式会社", model.KindOperator)
		analyst := env.Person(center, "analyst@ccc.example", model.RoleAnalyst)
		secret := env.EnrolTOTP(analyst)
		sato := env.Person(power, "sato@power.example", model.RoleMember)
		ctx, pa := testapp.Ctx(), env.Principal(analyst)
		k, err := env.Desk.File(ctx, env.Principal(sato), desk.CaseInput{Kind: "incident", Category: "dos", Title: "サイトが重い",
			Description: "アクセスが集中している", Urgency: "low"})
		if err != nil {
			t.Fatal(err)
		}
		base := env.Server()
		reporter := newBrowser(t, base)
		reporter.snsSignIn(env, sato, nil)
		casePath := "/desk/cases/" + strconv.FormatInt(k.ID, 10)
		reporter.open(casePath)
		reporter.waitFor("the case page's live stream", `document.getElementById("case-live").dataset.live === "open"`)
		queue := reporter.fresh()
		queue.snsSignIn(env, analyst, secret)
		queue.open("/desk")
		queue.waitFor("the queue's live stream", `document.getElementById("desk-live").dataset.live === "open"`)

		if _, err := env.Desk.Assign(ctx, pa, k.ID, desk.Assignment{Team: "IR担当 チーム2", HandlerID: analyst.ID}); err != nil {
			t.Fatal(err)
		}
		reporter.waitFor("the handler on the reporter's page", `document.getElementById("case-handler").innerText.includes("IR担当 チーム2")`)
		queue.waitFor("the handler in the queue", `document.getElementById("desk-table").innerText.includes(`+jsString(analyst.DisplayName)+`)`)
		if _, err := env.Desk.SetUrgency(ctx, pa, k.ID, "critical"); err != nil {
			t.Fatal(err)
		}
		reporter.waitFor("the urgency on the reporter's page", `document.getElementById("case-facts").innerText.includes("緊急")`)
		queue.waitFor("the urgency in the queue", `document.getElementById("desk-table").innerText.includes("緊急")`)
		if _, err := env.Desk.Attach(ctx, pa, k.ID, 0, []desk.Upload{{Name: "対処手順.txt", Body: strings.NewReader("切り離す")}}); err != nil {
			t.Fatal(err)
		}
		reporter.waitFor("the center's file on the reporter's page", `document.getElementById("case-files-list").innerText.includes("対処手順.txt")`)
		if !reporter.has("#case-live:not([hidden])") {
			t.Error("the reporter is not told that the case was updated")
		}
	})
}

// The analyst on call is reading another part of the site (their profile, then a case
// page) when cases are filed: the on-call alert appears there, without reloading, with a
// link to the new case. An analyst not on call has no alert region at all.
func TestBrowserOnCallAlertOnEveryPage(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		center := env.Org("対処調整センター", model.KindCenter)
		power := env.Org("東都電力株式会社", model.KindOperator)
		onCall := env.Person(center, "oncall@ccc.example", model.RoleAnalyst)
		offDuty := env.Person(center, "offduty@ccc.example", model.RoleAnalyst)
		secretOn, secretOff := env.EnrolTOTP(onCall), env.EnrolTOTP(offDuty)
		sato := env.Person(power, "sato@power.example", model.RoleMember)
		ctx, now := testapp.Ctx(), env.Clock.Now()
		if _, err := env.Desk.AddShift(ctx, env.Principal(onCall), onCall.ID, now.Add(-time.Hour), now.Add(8*time.Hour)); err != nil {
			t.Fatal(err)
		}
		file := func(title string) string {
			k, err := env.Desk.File(ctx, env.Principal(sato), desk.CaseInput{Kind: "incident", Category: "defacement", Title: title,
				Description: "トップページが書き換えられた", Urgency: "high"})
			if err != nil {
				t.Fatal(err)
			}
			return strconv.FormatInt(k.ID, 10)
		}
		base := env.Server()
		b := newBrowser(t, base)
		b.snsSignIn(env, onCall, secretOn)
		b.open("/profile")
		b.waitFor("the alert's live stream", `document.getElementById("oncall-live").dataset.live === "open"`)
		id := file("Web改ざん")
		b.waitFor("the alert on the profile page", `!!document.querySelector("#oncall-live .oncall-item[data-case='`+id+`']")`)
		got := b.text("#oncall-live")
		if !strings.Contains(got, "当直アラート") || !strings.Contains(got, "#"+id) || !strings.Contains(got, "Web改ざん") || strings.Contains(got, "トップページ") {
			t.Errorf("alert %q", got)
		}
		b.click(eval[string](b, `document.querySelector("#oncall-live a").textContent.trim()`))
		b.expectPage("/desk/cases/"+id, "#"+id+" Web改ざん")
		b.waitFor("the case page's stream", `document.getElementById("oncall-live").dataset.live === "open"`)
		second := file("二件目")
		b.waitFor("the alert on a case page", `!!document.querySelector("#oncall-live .oncall-item[data-case='`+second+`']")`)

		off := b.fresh()
		off.snsSignIn(env, offDuty, secretOff)
		off.open("/profile")
		if off.has("#oncall-live") {
			t.Error("an analyst not on call has the alert region")
		}
	})
}
