package e2e

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// writeFeedZip writes a MISP feed archive of two events (one with two indicators) and a
// manifest that also names an event missing from the archive.
func writeFeedZip(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "vendor-feed.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, body := range map[string]string{
		"feed/manifest.json": `{"6a1f0c2e-1b3d-4e5f-8a9b-0c1d2e3f4a01":{"info":"phishing","timestamp":"1785000000"},
			"6a1f0c2e-1b3d-4e5f-8a9b-0c1d2e3f4a02":{"info":"c2","timestamp":"1785000000"},
			"6a1f0c2e-1b3d-4e5f-8a9b-0c1d2e3f4a03":{"info":"missing","timestamp":"1785000000"}}`,
		"feed/6a1f0c2e-1b3d-4e5f-8a9b-0c1d2e3f4a01.json": `{"Event":{"info":"phishing","Attribute":[
			{"uuid":"7b2e1d3c-0000-4000-8000-000000000001","type":"domain","value":"login-toto.example","to_ids":true,"timestamp":"1785000000"},
			{"uuid":"7b2e1d3c-0000-4000-8000-000000000002","type":"url","value":"https://login-toto.example/a","to_ids":true,"timestamp":"1785000000"}]}}`,
		"feed/6a1f0c2e-1b3d-4e5f-8a9b-0c1d2e3f4a02.json": `{"Event":{"info":"c2","Attribute":[
			{"uuid":"7b2e1d3c-0000-4000-8000-000000000003","type":"ip-dst","value":"203.0.113.77","to_ids":true,"timestamp":"1785000000"}]}}`,
	} {
		w, _ := zw.Create(name)
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// A member of an organization, on a phone, goes from the indicators to the feed imports,
// uploads a MISP feed archive into the organization's collection and lands on the progress
// page; while the scheduler works, the page reloads itself until it shows the import done,
// with its counts and the event that was missing.
func TestBrowserMISPFeedImport(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := testapp.Ctx()
		env := testapp.New(t, db)
		power := env.Org("東都電力株式会社", model.KindOperator)
		k, err := env.Intel.CreateCollection(ctx, auth.System(), intel.CollectionInput{Title: "東都電力IoC", OrgID: power.ID})
		if err != nil {
			t.Fatal(err)
		}
		member := env.Person(power, "sato@toto-power.example", model.RoleMember)
		archive := writeFeedZip(t)

		b := newBrowser(t, env.Server())
		b.do("emulating a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(3)))
		b.snsSignIn(env, member, nil)
		b.open("/indicators")
		b.click("MISPフィードの取り込みと履歴")
		b.expectPage("/intel/imports", "MISPフィードの取り込み")
		b.click("アップロードして取り込む")
		if !b.has("#archive-collection[aria-invalid], .field.invalid #archive-collection") {
			t.Error("the empty form is not refused at its collection")
		}
		b.choose("archive-collection", strconv.FormatInt(k.ID, 10))
		b.do("choosing the archive", chromedp.SetUploadFiles(chromedp.ID("archive"), []string{archive}))
		b.click("アップロードして取り込む")
		if got := b.text(".notice.ok"); got != "取り込みを開始しました。" {
			t.Errorf("flash %q", got)
		}
		if got := b.text("#import-status"); got != "実行中" {
			t.Errorf("status before the run: %q", got)
		}
		if n, err := taxii.FeedImportsOf(env.App).Tick(ctx); err != nil || n != 1 {
			t.Fatalf("scheduler ran %d: %v", n, err)
		}
		b.waitStatus("done", 20*time.Second)
		if got := b.text("#import-status"); got != "完了" {
			t.Errorf("status after the run: %q", got)
		}
		if got := b.text(`[data-count="events"]`); got != "3 件中 2 件読み込み、1 件失敗" {
			t.Errorf("events %q", got)
		}
		if got := b.text(`[data-count="created"]`); got != "3" {
			t.Errorf("created %q", got)
		}
		if got := b.text("#import-errors tbody"); !strings.Contains(got, "6a1f0c2e-1b3d-4e5f-8a9b-0c1d2e3f4a03") {
			t.Errorf("errors %q", got)
		}
		b.noHorizontalScroll()
		b.screenshot("misp-feed-import")
		b.click("取り込み一覧へ")
		if row := b.text("#imports tbody tr"); !strings.Contains(row, "vendor-feed.zip") || !strings.Contains(row, "完了") {
			t.Errorf("list row %q", row)
		}
	})
}

// waitStatus waits until the page shows an import in the given status, through the
// reloads the page makes by itself.
func (b *browser) waitStatus(want string, budget time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(budget)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const e = document.getElementById("import-status"); return e ? e.dataset.status : ""; })()`))
		cancel()
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			b.fatalf("the page did not come to status %q (last %q, %v)", want, got, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
