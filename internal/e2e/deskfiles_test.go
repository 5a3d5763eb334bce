package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
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
