package app_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/observe"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// The monitors built by the app watch the assets the observation service approved and
// their findings arrive as that organization's notices, once.
func TestMonitorFindingsBecomeNotices(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		port := ln.Addr().(*net.TCPAddr).Port
		cfg := testapp.Config(t)
		cfg.MonitorPorts = []int{port}
		env := testapp.NewWith(t, db, cfg)
		ctx := testapp.Ctx()
		center := env.Org("センター", model.KindCenter)
		analyst := env.Principal(env.Person(center, "analyst@ccc.example", model.RoleAnalyst))
		rail := env.Org("鉄道会社", model.KindOperator)
		other := env.Org("電力会社", model.KindOperator)
		asset, err := env.Observe.ProposeAsset(ctx, analyst, observe.AssetInput{OrgID: rail.ID, Kind: "ip", Value: "127.0.0.1", Contact: "soc@rail.example"})
		if err != nil {
			t.Fatal(err)
		}
		if asset.Status != "approved" {
			t.Fatalf("an asset the center registers is approved at once; got %q", asset.Status)
		}
		// The schedule is made when the asset is seen (its first run jittered within a tenth
		// of the daily interval); each sweep comes after the next run is due.
		sweep := func() {
			sctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			if _, _, err := env.Monitor.Sync(sctx); err != nil {
				t.Fatal(err)
			}
			if n, err := env.Monitor.RunDue(sctx); err != nil || n == 0 {
				t.Fatalf("%d checks ran (%v)", n, err)
			}
		}
		if _, _, err := env.Monitor.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		for sweepNo := 1; sweepNo <= 2; sweepNo++ {
			env.Clock.Advance(27 * time.Hour)
			sweep()
			list, _, err := env.Observe.Notices(ctx, analyst, observe.NoticeQuery{OrgID: rail.ID})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 {
				t.Fatalf("sweep %d: %d notices to the railway, want 1 (the open port, once)", sweepNo, len(list))
			}
			if !strings.Contains(list[0].Evidence, "127.0.0.1") || list[0].AssetID != asset.ID {
				t.Fatalf("the notice does not name the asset: %+v", list[0])
			}
			mine, _, err := env.Observe.Notices(ctx, analyst, observe.NoticeQuery{OrgID: other.ID})
			if err != nil || len(mine) != 0 {
				t.Fatalf("another organization got %d notices (%v)", len(mine), err)
			}
		}
	})
}

// A case whose indicators name another organization's registered address or domain gives
// that organization a private notice that tells the matching value only: not the case,
// its title or who reported it.
func TestCaseObservablesNotifyTheOwnerOfTheAsset(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		ctx := testapp.Ctx()
		center := env.Org("センター", model.KindCenter)
		analyst := env.Principal(env.Person(center, "analyst@ccc.example", model.RoleAnalyst))
		rail := env.Org("鉄道会社", model.KindOperator)
		power := env.Org("電力会社", model.KindOperator)
		reporter := env.Principal(env.Person(power, "soc@power.example", model.RoleMember))
		for _, a := range []observe.AssetInput{{OrgID: rail.ID, Kind: "cidr", Value: "203.0.113.0/24"}, {OrgID: rail.ID, Kind: "domain", Value: "rail.example.jp"}} {
			if _, err := env.Observe.ProposeAsset(ctx, analyst, a); err != nil {
				t.Fatal(err)
			}
		}
		k, err := env.Desk.File(ctx, reporter, desk.CaseInput{Kind: "incident", Category: "phishing", Title: "秘密の件名",
			Description: "社内の詳細", Urgency: "high", EventImpact: "no", DetectedAt: env.Clock.Now().Add(-time.Hour),
			Observables: []desk.ObservableInput{{Kind: "ip", Value: "203.0.113[.]7"}, {Kind: "domain", Value: "login.rail.example.jp"},
				{Kind: "domain", Value: "unrelated.example.com"}}})
		if err != nil {
			t.Fatal(err)
		}
		list, _, err := env.Observe.Notices(ctx, analyst, observe.NoticeQuery{OrgID: rail.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			t.Fatal("the railway got no notice of a case naming its range and its domain")
		}
		for _, n := range list {
			all := n.TitleJA + n.TitleEN + n.BodyJA + n.BodyEN + n.Evidence
			for _, secret := range []string{"秘密の件名", "社内の詳細", "電力会社", "soc@power.example", "unrelated.example.com", strconv.FormatInt(k.ID, 10) + "\""} {
				if strings.Contains(all, secret) {
					t.Fatalf("the notice reveals %q of its source: %+v", secret, n)
				}
			}
		}
		if mine, _, err := env.Observe.Notices(ctx, analyst, observe.NoticeQuery{OrgID: power.ID}); err != nil || len(mine) != 0 {
			t.Fatalf("the reporting organization got %d notices (%v)", len(mine), err)
		}
	})
}

// Indicators stored in a collection are matched too, a TLP:RED one excepted: it is for the
// person who added it only.
func TestIndicatorsNotifyTheOwnerOfTheAsset(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		ctx := testapp.Ctx()
		center := env.Org("センター", model.KindCenter)
		analyst := env.Principal(env.Person(center, "analyst@ccc.example", model.RoleAnalyst))
		rail := env.Org("鉄道会社", model.KindOperator)
		if _, err := env.Observe.ProposeAsset(ctx, analyst, observe.AssetInput{OrgID: rail.ID, Kind: "domain", Value: "rail.example.jp"}); err != nil {
			t.Fatal(err)
		}
		admin := env.Principal(env.Person(center, "admin@ccc.example", model.RoleCenterAdmin))
		coll, err := env.Intel.CreateCollection(ctx, admin, intel.CollectionInput{Title: "センターのIoC", OrgID: center.ID})
		if err != nil {
			t.Fatal(err)
		}
		notices := func() int {
			list, _, err := env.Observe.Notices(ctx, analyst, observe.NoticeQuery{OrgID: rail.ID})
			if err != nil {
				t.Fatal(err)
			}
			return len(list)
		}
		if _, err := env.Intel.CreateIndicators(ctx, analyst, intel.EntryInput{CollectionID: coll.ID, TLP: "red", Confidence: -1,
			Text: "hxxps://secret[.]rail[.]example[.]jp/x"}); err != nil {
			t.Fatal(err)
		}
		if n := notices(); n != 0 {
			t.Fatalf("a TLP:RED indicator gave the railway %d notices", n)
		}
		if _, err := env.Intel.CreateIndicators(ctx, analyst, intel.EntryInput{CollectionID: coll.ID, TLP: "amber", Confidence: -1,
			Text: "hxxp://login-rail[.]example[.]jp/ 198.51.100.9\nhxxps://portal[.]rail[.]example[.]jp/phish?id=1"}); err != nil {
			t.Fatal(err)
		}
		list, _, err := env.Observe.Notices(ctx, analyst, observe.NoticeQuery{OrgID: rail.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || !strings.Contains(list[0].Evidence, "portal.rail.example.jp") || strings.Contains(list[0].Evidence, "phish") {
			t.Fatalf("want one notice naming the host only, got %+v", list)
		}
	})
}
