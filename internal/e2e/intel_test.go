package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// A member of a power company pastes defanged indicators on a phone, previews them (the
// defanged forms undone, the duplicate folded), creates them, finds them in the list and
// opens one: its value, its TLP and its STIX pattern are there. A railway member who
// entered the same address earlier sees it correlated on the page.
func TestBrowserPastedIndicatorsBecomeIndicators(t *testing.T) {
	t.Parallel()
	chromePath(t)
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		ctx, sys := testapp.Ctx(), auth.System()
		power := env.Org("東都電力株式会社", model.KindOperator)
		rail := env.Org("首都圏鉄道株式会社", model.KindOperator)
		comm, err := env.Communities.Create(ctx, sys, community.Input{NameJA: "情報提供（プロ）", NameEN: "Sharing (pro)"})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []model.Org{power, rail} {
			if err := env.Communities.AddOrg(ctx, sys, comm.ID, o.ID); err != nil {
				t.Fatal(err)
			}
		}
		k, err := env.Intel.CreateCollection(ctx, sys, intel.CollectionInput{Title: "共有IoC", CommunityID: comm.ID, MemberWrite: true})
		if err != nil {
			t.Fatal(err)
		}
		tanaka := env.Principal(env.Person(rail, "tanaka@metro-rail.example", model.RoleMember))
		if _, err := env.Intel.CreateIndicators(ctx, tanaka, intel.EntryInput{CollectionID: k.ID, Text: "198.51.100.7", TLP: "green", Confidence: -1}); err != nil {
			t.Fatal(err)
		}
		sato := env.Person(power, "sato@toto-power.example", model.RoleMember)

		b := newBrowser(t, env.Server())
		b.do("emulating a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(3)))
		b.snsSignIn(env, sato, nil)
		b.open("/indicators")
		b.expectPage("/indicators", "IoC（侵害指標）")
		b.click("IoC を登録")
		b.expectPage("/indicators/new", "IoC を登録")
		b.snsType("text", "C2 サーバ: hxxp://evil-cdn[.]net/gate.php\n接続元 198.51.100[.]7 と 198.51.100.7")
		b.choose("tlp", "amber")
		b.fill("confidence", "80")
		b.click("プレビュー")
		if got := b.text("#h-preview"); got != "認識した指標: 2 件" {
			b.fatalf("preview heading %q", got)
		}
		if got := b.text("#preview table"); !strings.Contains(got, "http://evil-cdn.net/gate.php") || !strings.Contains(got, "198.51.100.7") {
			t.Errorf("preview shows %q", got)
		}
		if got := b.value("confidence"); got != "80" {
			t.Errorf("the preview lost what was typed: confidence %q", got)
		}
		b.noHorizontalScroll()
		b.screenshot("indicators-preview")
		b.click("2 件を登録")
		if got := b.text(".notice.ok"); got != "指標を登録しました。" {
			t.Errorf("flash %q", got)
		}
		if n := b.count("#indicators tbody a"); n != 3 {
			t.Errorf("%d indicators listed, want 3", n)
		}
		// Two indicators hold the address (the railway's and the new one): the newest is first.
		b.navigate("opening the newest 198.51.100.7", chromedp.Click(chromedp.JSPath(clickable("198.51.100.7")+"[0]")))
		if got := b.text("h1"); got != "198.51.100.7" {
			b.fatalf("indicator page heading %q", got)
		}
		if got := b.text(".tlp"); got != "TLP:AMBER" {
			t.Errorf("TLP %q", got)
		}
		raw := eval[string](b, `document.getElementById("stix-object").textContent`)
		if !strings.Contains(raw, "[ipv4-addr:value = '198.51.100.7']") || !strings.Contains(raw, `"confidence":80`) {
			t.Errorf("STIX object %s", raw)
		}
		if got := b.text("#correlated"); !strings.Contains(got, "198.51.100.7") || !strings.Contains(got, "TLP:GREEN") {
			t.Errorf("correlation shows %q", got)
		}
		b.noHorizontalScroll()
		b.click("自組織での観測を報告")
		if got := b.text(".notice.ok"); got != "観測を報告しました。" {
			t.Errorf("flash %q after a sighting", got)
		}
		if got := b.text("#h-sightings + .table-wrap"); !strings.Contains(got, "東都電力株式会社") {
			t.Errorf("sightings show %q", got)
		}
	})
}
