package e2e

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// A railway member shares an address as an indicator. A power company member opens it:
// the topic written for the power company's people only that names the address (defanged)
// is listed, and so is the power company's own case; she links the case by its address and
// sees the link. The railway member, who can see the indicator but neither the topic nor
// the case, sees neither them nor the link.
func TestBrowserIndicatorCorrelationAndLinks(t *testing.T) {
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
		tanaka := env.Person(rail, "tanaka@metro-rail.example", model.RoleMember)
		seqs, err := env.Intel.CreateIndicators(ctx, env.Principal(tanaka), intel.EntryInput{CollectionID: k.ID, Text: "198.51.100.7", TLP: "green", Confidence: -1})
		if err != nil {
			t.Fatal(err)
		}
		sato := env.Person(power, "sato@toto-power.example", model.RoleMember)
		if _, err := env.SNS.CreateTopic(ctx, env.Principal(sato), sns.TopicInput{CommunityID: comm.ID, Title: "社内向け: 不審な接続元",
			Body: "198.51.100[.]7 からの接続を遮断", InfoType: "alert", TLP: "amber", Scope: "selected",
			Audience: model.Audience{Orgs: []int64{power.ID}}}); err != nil {
			t.Fatal(err)
		}
		kase, err := env.Desk.File(ctx, env.Principal(sato), desk.CaseInput{Kind: "incident", Category: "malware", Title: "制御系端末の不審通信",
			Description: "C2 らしき通信", Urgency: "high", EventImpact: "no", Observables: []desk.ObservableInput{{Kind: "ip", Value: "198.51.100.7"}}})
		if err != nil {
			t.Fatal(err)
		}
		page := "/indicators/" + strconv.FormatInt(seqs[0], 10)

		b := newBrowser(t, env.Server())
		b.snsSignIn(env, sato, nil)
		b.open(page)
		if got := b.text("#correlated-topics"); !strings.Contains(got, "社内向け: 不審な接続元") || !strings.Contains(got, "TLP:AMBER") {
			t.Errorf("correlated topics %q", got)
		}
		if got := b.text("#correlated-cases"); !strings.Contains(got, "制御系端末の不審通信") {
			t.Errorf("correlated cases %q", got)
		}
		b.do("choosing a case", chromedp.Click(chromedp.ID("link-kind-case")))
		b.fill("link-target", env.Server()+"/desk/cases/"+strconv.FormatInt(kase.ID, 10))
		b.click("リンクする")
		if got := b.text(".notice.ok"); got != "リンクしました。" {
			t.Errorf("flash %q", got)
		}
		if got := b.text("#indicator-links"); !strings.Contains(got, "制御系端末の不審通信") {
			t.Errorf("links %q", got)
		}
		b.noHorizontalScroll()
		b.screenshot("indicator-links")

		r := b.fresh()
		r.snsSignIn(env, tanaka, nil)
		r.open(page)
		body := r.text("main")
		for _, secret := range []string{"社内向け", "制御系端末", "/desk/cases/"} {
			if strings.Contains(body, secret) {
				t.Errorf("the railway member's page shows %q", secret)
			}
		}
		if n := r.count("#indicator-links a"); n != 0 {
			t.Errorf("the railway member sees %d links", n)
		}
	})
}
