package observe_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/observe"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// world: the center with an analyst, a power company (admin and member), a railway (admin
// and member).
type world struct {
	env                              *testapp.Env
	svc                              *observe.Service
	center, power, rail              model.Org
	analyst, powerAdmin, powerMember model.User
	railAdmin, railMember            model.User
	pAnalyst, pPowerAdmin, pPower    auth.Principal
	pRailAdmin, pRail                auth.Principal
}

func newWorld(t *testing.T, db *store.DB) *world {
	env := testapp.New(t, db)
	w := &world{env: env, svc: env.Observe}
	w.center = env.Org("対処調整センター", model.KindCenter)
	w.power = env.Org("東都電力株式会社", model.KindOperator)
	w.rail = env.Org("首都圏鉄道株式会社", model.KindOperator)
	w.analyst = env.Person(w.center, "analyst@ccc.example", model.RoleAnalyst)
	w.powerAdmin = env.Person(w.power, "admin@power.example", model.RoleOrgAdmin)
	w.powerMember = env.Person(w.power, "sato@power.example", model.RoleMember)
	w.railAdmin = env.Person(w.rail, "admin@rail.example", model.RoleOrgAdmin)
	w.railMember = env.Person(w.rail, "tanaka@rail.example", model.RoleMember)
	w.pAnalyst, w.pPowerAdmin, w.pPower = env.Principal(w.analyst), env.Principal(w.powerAdmin), env.Principal(w.powerMember)
	w.pRailAdmin, w.pRail = env.Principal(w.railAdmin), env.Principal(w.railMember)
	return w
}

func (w *world) asset(t *testing.T, p auth.Principal, kind, value string) observe.Asset {
	t.Helper()
	a, err := w.svc.ProposeAsset(testapp.Ctx(), p, observe.AssetInput{Kind: kind, Value: value, Contact: "soc@example.jp"})
	if err != nil {
		t.Fatalf("ProposeAsset(%s %s): %v", kind, value, err)
	}
	return a
}

func (w *world) approve(t *testing.T, a observe.Asset) observe.Asset {
	t.Helper()
	a, err := w.svc.DecideAsset(testapp.Ctx(), w.pAnalyst, a.ID, true)
	if err != nil {
		t.Fatalf("approve %s: %v", a.Value, err)
	}
	return a
}

func wantKind(t *testing.T, err error, kind fault.Kind, what string) {
	t.Helper()
	if fault.KindOf(err) != kind {
		t.Fatalf("%s: got %v, want %s", what, err, kind)
	}
}

func TestAssetsAreProposedApprovedAndExclusive(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()

		// An org admin proposes; nothing is watched until the center approves.
		d := w.asset(t, w.pPowerAdmin, "domain", "Tohto-Power.example.JP.")
		if d.Status != observe.StatusProposed || d.Value != "tohto-power.example.jp" || d.OrgID != w.power.ID {
			t.Fatalf("proposed domain = %+v", d)
		}
		if got, _ := w.svc.ApprovedAssets(ctx); len(got) != 0 {
			t.Fatalf("approved before approval: %v", got)
		}
		// A member may not propose; an org admin may not approve.
		_, err := w.svc.ProposeAsset(ctx, w.pPower, observe.AssetInput{Kind: "ip", Value: "192.0.2.1"})
		wantKind(t, err, fault.Forbidden, "member proposes")
		_, err = w.svc.DecideAsset(ctx, w.pPowerAdmin, d.ID, true)
		wantKind(t, err, fault.Forbidden, "org admin approves")
		// Another organization cannot see it at all.
		_, err = w.svc.DecideAsset(ctx, w.pRailAdmin, d.ID, true)
		wantKind(t, err, fault.NotFound, "other org approves")
		_, err = w.svc.GetAsset(ctx, w.pRail, d.ID)
		wantKind(t, err, fault.NotFound, "other org opens")
		if err := w.svc.DeleteAsset(ctx, w.pRailAdmin, d.ID); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("other org deletes: %v", err)
		}
		d = w.approve(t, d)
		if got, _ := w.svc.ApprovedAssets(ctx); len(got) != 1 || got[0].ID != d.ID {
			t.Fatalf("approved assets = %v", got)
		}

		// The same organization may add a URL under its domain and a subdomain.
		w.asset(t, w.pPowerAdmin, "url", "https://WWW.tohto-power.example.jp/login#x")
		w.asset(t, w.pPowerAdmin, "cidr", "198.51.100.0/24")
		w.asset(t, w.pPowerAdmin, "keyword", "Tohto Power")
		// Ownership is exclusive across organizations.
		for _, c := range []struct{ kind, value string }{
			{"domain", "tohto-power.example.jp"},            // same domain
			{"domain", "mail.tohto-power.example.jp"},       // under it
			{"domain", "example.jp"},                        // above it
			{"url", "http://portal.tohto-power.example.jp"}, // a URL under it
			{"cidr", "198.51.100.128/25"},                   // inside the range
			{"cidr", "198.51.0.0/16"},                       // around the range
			{"ip", "198.51.100.7"},                          // an address in it
			{"ip", "::ffff:198.51.100.8"},                   // the same, IPv4-mapped
			{"keyword", "TOHTO POWER"},                      // the same keyword
		} {
			_, err := w.svc.ProposeAsset(ctx, w.pRailAdmin, observe.AssetInput{Kind: c.kind, Value: c.value})
			wantKind(t, err, fault.Conflict, "rail claims "+c.value)
		}
		// Not overlapping: fine.
		w.asset(t, w.pRailAdmin, "cidr", "198.51.101.0/24")
		w.asset(t, w.pRailAdmin, "domain", "rail.example.jp")
		// A duplicate of one's own.
		_, err = w.svc.ProposeAsset(ctx, w.pPowerAdmin, observe.AssetInput{Kind: "domain", Value: "tohto-power.example.jp"})
		wantKind(t, err, fault.Conflict, "duplicate")

		// Bad values and limits.
		for _, c := range []struct{ kind, value, key string }{
			{"domain", "", "invalid.required"},
			{"domain", "not a domain", "observe.bad_domain"},
			{"domain", "192.0.2.1", "observe.bad_domain"},
			{"url", "ftp://example.jp/", "observe.bad_url"},
			{"url", "https://user:pw@example.jp/", "observe.bad_url"},
			{"ip", "300.1.1.1", "observe.bad_ip"},
			{"cidr", "10.0.0.0/8", "observe.cidr_too_wide"},
			{"cidr", "2001:db8::/32", "observe.cidr_too_wide"},
			{"keyword", "ab", "observe.keyword_too_short"},
			{"keyword", strings.Repeat("あ", observe.MaxKeywordLen+1), "invalid.too_long"},
			{"hostname", "x.example", "observe.bad_kind"},
			{"domain", strings.Repeat("a", observe.MaxValueLen+1), "invalid.too_long"},
		} {
			_, err := w.svc.ProposeAsset(ctx, w.pPowerAdmin, observe.AssetInput{Kind: c.kind, Value: c.value})
			fe := fault.Fields(err)
			if len(fe) == 0 || fe[0].Key != c.key {
				t.Errorf("%s %q: got %v, want %s", c.kind, c.value, err, c.key)
			}
		}

		// Lists keep to the caller's organization; the center sees all and the queue.
		mine, _, err := w.svc.Assets(ctx, w.pPower, observe.AssetQuery{})
		if err != nil || len(mine) != 4 {
			t.Fatalf("power's assets = %d, %v", len(mine), err)
		}
		for _, a := range mine {
			if a.OrgID != w.power.ID {
				t.Fatalf("power sees %+v", a)
			}
		}
		queue, _, err := w.svc.Assets(ctx, w.pAnalyst, observe.AssetQuery{Status: observe.StatusProposed, Limit: 2})
		if err != nil || len(queue) != 2 {
			t.Fatalf("queue page = %d, %v", len(queue), err)
		}
		all, next, err := w.svc.Assets(ctx, w.pAnalyst, observe.AssetQuery{Limit: 4})
		if err != nil || len(all) != 4 || next == 0 {
			t.Fatalf("first page = %d next %d, %v", len(all), next, err)
		}
		rest, next, err := w.svc.Assets(ctx, w.pAnalyst, observe.AssetQuery{Limit: 4, Before: next})
		if err != nil || len(rest) != 2 || next != 0 {
			t.Fatalf("second page = %d next %d, %v", len(rest), next, err)
		}

		// Rejected and deleted assets give up their claim.
		if err := w.svc.DeleteAsset(ctx, w.pPowerAdmin, d.ID); err != nil {
			t.Fatal(err)
		}
		w.asset(t, w.pRailAdmin, "domain", "mail.tohto-power.example.jp")
	})
}

func TestImportCSVReportsEachBadLine(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		w.approve(t, w.asset(t, w.pRailAdmin, "domain", "rail.example.jp"))
		csv := "kind,value,contact\r\n" +
			"domain,power.example.jp,soc@power.example\n" +
			"\n# a comment\n" +
			"ip,192.0.2.10\n" +
			"cidr,10.0.0.0/8\n" +
			"url,\"https://power.example.jp/a,b\",\"Desk, 24h\"\n" +
			"domain,www.rail.example.jp\n" +
			"just-one-column\n" +
			"keyword,\"unterminated\n"
		res, err := w.svc.ImportCSV(ctx, w.pPowerAdmin, 0, csv)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Added) != 3 {
			t.Fatalf("added %d: %+v", len(res.Added), res.Added)
		}
		if res.Added[2].Value != "https://power.example.jp/a,b" || res.Added[2].Contact != "Desk, 24h" {
			t.Fatalf("quoted line = %+v", res.Added[2])
		}
		want := map[int]string{6: "observe.cidr_too_wide", 8: "observe.asset_claimed", 9: "observe.import_columns", 10: "observe.import_columns"}
		if len(res.Errors) != len(want) {
			t.Fatalf("errors = %+v", res.Errors)
		}
		for _, e := range res.Errors {
			if want[e.Line] != e.Key {
				t.Errorf("line %d: %s, want %s", e.Line, e.Key, want[e.Line])
			}
		}
		// Limits, and only admins.
		_, err = w.svc.ImportCSV(ctx, w.pPowerAdmin, 0, strings.Repeat("ip,192.0.2.1\n", observe.MaxImportLines+1))
		wantKind(t, err, fault.Invalid, "too many lines")
		_, err = w.svc.ImportCSV(ctx, w.pPowerAdmin, 0, strings.Repeat("x", observe.MaxImportBytes+1))
		wantKind(t, err, fault.TooLarge, "too large")
		_, err = w.svc.ImportCSV(ctx, w.pPower, 0, "ip,192.0.2.1\n")
		wantKind(t, err, fault.Forbidden, "member imports")
		_, err = w.svc.ImportCSV(ctx, w.pPowerAdmin, w.rail.ID, "ip,192.0.2.1\n")
		wantKind(t, err, fault.Forbidden, "admin imports for another org")
	})
}

func TestNoticesArePrivateCopiesWithReadTimes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		sent, err := w.svc.SendNotice(ctx, w.pAnalyst, observe.NoticeInput{Orgs: []int64{w.power.ID, w.rail.ID, w.power.ID},
			Title: "DDoS 攻撃を観測", Body: "貴組織宛ての大量の通信を観測しました。", Action: "上流 ISP と連携してください。",
			Severity: "high", Kind: "ddos"})
		if err != nil {
			t.Fatal(err)
		}
		if len(sent) != 2 || sent[0].BatchID != sent[0].ID || sent[1].BatchID != sent[0].ID {
			t.Fatalf("sent = %+v", sent)
		}
		powerCopy, railCopy := sent[0], sent[1]
		if powerCopy.OrgID != w.power.ID {
			powerCopy, railCopy = railCopy, powerCopy
		}
		// Each organization sees its own copy only; the center sees both.
		for _, c := range []struct {
			p    auth.Principal
			want []int64
		}{{w.pPower, []int64{powerCopy.ID}}, {w.pRail, []int64{railCopy.ID}}, {w.pAnalyst, []int64{railCopy.ID, powerCopy.ID}}} {
			list, _, err := w.svc.Notices(ctx, c.p, observe.NoticeQuery{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[int64]bool{}
			for _, n := range list {
				got[n.ID] = true
			}
			if len(got) != len(list) || len(got) != len(c.want) {
				t.Fatalf("%s sees %v, want %v", c.p.User.Email, got, c.want)
			}
			for _, id := range c.want {
				if !got[id] {
					t.Fatalf("%s sees %v, want %v", c.p.User.Email, got, c.want)
				}
			}
		}
		_, err = w.svc.GetNotice(ctx, w.pRail, powerCopy.ID)
		wantKind(t, err, fault.NotFound, "rail opens power's copy")
		wantKind(t, w.svc.MarkRead(ctx, w.pRail, powerCopy.ID), fault.NotFound, "rail marks power's copy")
		_, err = w.svc.GetNotice(ctx, w.pRail, 999999)
		wantKind(t, err, fault.NotFound, "missing notice")

		// Only center staff send.
		_, err = w.svc.SendNotice(ctx, w.pPowerAdmin, observe.NoticeInput{Orgs: []int64{w.rail.ID}, Title: "x", Body: "y", Severity: "low", Kind: "other"})
		wantKind(t, err, fault.Forbidden, "org admin sends")
		// Bad input and limits.
		many := make([]int64, observe.MaxRecipients+1)
		for i := range many {
			many[i] = int64(i + 1)
		}
		for _, in := range []observe.NoticeInput{
			{Orgs: nil, Title: "t", Body: "b", Severity: "low", Kind: "other"},
			{Orgs: many, Title: "t", Body: "b", Severity: "low", Kind: "other"},
			{Orgs: []int64{w.rail.ID}, Title: strings.Repeat("x", observe.MaxTitleLen+1), Body: "b", Severity: "low", Kind: "other"},
			{Orgs: []int64{w.rail.ID}, Title: "t", Body: "", Severity: "low", Kind: "other"},
			{Orgs: []int64{w.rail.ID}, Title: "t", Body: strings.Repeat("x", observe.MaxBodyLen+1), Severity: "low", Kind: "other"},
			{Orgs: []int64{w.rail.ID}, Title: "t", Body: "b", Severity: "urgent", Kind: "other"},
			{Orgs: []int64{w.rail.ID}, Title: "t", Body: "b", Severity: "low", Kind: "spam"},
			{Orgs: []int64{w.rail.ID, 987654}, Title: "t", Body: "b", Severity: "low", Kind: "other"},
		} {
			_, err := w.svc.SendNotice(ctx, w.pAnalyst, in)
			wantKind(t, err, fault.Invalid, fmt.Sprintf("send %d orgs %q", len(in.Orgs), in.Severity+"/"+in.Kind))
		}

		// An analyst's read is personal; a member's read is the organization's first read.
		w.env.Clock.Advance(90 * time.Minute)
		if err := w.svc.MarkRead(ctx, w.pAnalyst, powerCopy.ID); err != nil {
			t.Fatal(err)
		}
		v, err := w.svc.GetNotice(ctx, w.pPower, powerCopy.ID)
		if err != nil || v.Read() || v.ReadByMe {
			t.Fatalf("after the analyst's read: %+v, %v", v, err)
		}
		if n, _ := w.svc.UnreadCount(ctx, w.pPower); n != 1 {
			t.Fatalf("power unread = %d", n)
		}
		if err := w.svc.MarkRead(ctx, w.pPower, powerCopy.ID); err != nil {
			t.Fatal(err)
		}
		w.env.Clock.Advance(time.Hour)
		if err := w.svc.MarkRead(ctx, w.pPowerAdmin, powerCopy.ID); err != nil {
			t.Fatal(err)
		}
		v, _ = w.svc.GetNotice(ctx, w.pPower, powerCopy.ID)
		if !v.Read() || !v.ReadByMe || v.TimeToRead() != 90*time.Minute || v.FirstReadBy != w.powerMember.ID {
			t.Fatalf("after sato's read: read %v mine %v ttr %v by %d", v.Read(), v.ReadByMe, v.TimeToRead(), v.FirstReadBy)
		}
		if n, _ := w.svc.UnreadCount(ctx, w.pPower); n != 0 {
			t.Fatalf("power unread = %d", n)
		}
		unread, _, _ := w.svc.Notices(ctx, w.pAnalyst, observe.NoticeQuery{Unread: true})
		if len(unread) != 1 || unread[0].ID != railCopy.ID {
			t.Fatalf("unread for the center = %+v", unread)
		}

		// The center's figures.
		rt, err := w.svc.ReadTimes(ctx, w.pAnalyst, w.env.Clock.Now().Add(-24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if rt.Total != 2 || rt.Unread != 1 || rt.Read != 1 || rt.Median != 90*time.Minute || rt.P90 != 90*time.Minute {
			t.Fatalf("read times = %+v", rt)
		}
		if len(rt.ByOrg) != 1 || rt.ByOrg[0].Org.ID != w.rail.ID || rt.ByOrg[0].Unread != 1 {
			t.Fatalf("unread by org = %+v", rt.ByOrg)
		}
		if rt.Buckets[2].Count != 1 { // within 4 hours
			t.Fatalf("buckets = %+v", rt.Buckets)
		}
		_, err = w.svc.ReadTimes(ctx, w.pPowerAdmin, time.Time{})
		wantKind(t, err, fault.NotFound, "org admin reads figures")
	})
}

func TestRemindersGoToTheTargetOrganizationOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		sent, err := w.svc.SendNotice(ctx, w.pAnalyst, observe.NoticeInput{Orgs: []int64{w.power.ID, w.rail.ID},
			Title: "証明書の期限切れが近づいています", Body: "残り 7 日です。", Severity: "medium", Kind: "tls"})
		if err != nil {
			t.Fatal(err)
		}
		powerCopy, railCopy := sent[0], sent[1]
		if err := w.svc.MarkRead(ctx, w.pRail, railCopy.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := w.svc.Remind(ctx); err != nil || n != 0 {
			t.Fatalf("early reminders = %d, %v", n, err)
		}
		w.env.Clock.Advance(w.svc.RemindAfter() + time.Minute)
		if n, err := w.svc.Remind(ctx); err != nil || n != 1 {
			t.Fatalf("reminders = %d, %v", n, err)
		}
		if n, err := w.svc.Remind(ctx); err != nil || n != 0 {
			t.Fatalf("second sweep = %d, %v", n, err)
		}
		items, err := store.ListOutbox(ctx, db.Read(), store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		var to []string
		for _, it := range items {
			if strings.HasPrefix(it.DedupeKey, "notice-reminder:") {
				to = append(to, it.Recipient)
				if !strings.HasPrefix(it.DedupeKey, fmt.Sprintf("notice-reminder:%d:", powerCopy.ID)) {
					t.Errorf("reminder of another notice: %s", it.DedupeKey)
				}
			}
		}
		want := fmt.Sprint([]string{fmt.Sprintf("user:%d", w.powerAdmin.ID), fmt.Sprintf("user:%d", w.powerMember.ID)})
		if fmt.Sprint(to) != want && fmt.Sprint([]string{to[len(to)-1], to[0]}) != want {
			t.Fatalf("reminded %v, want %s", to, want)
		}
	})
}

// Two organizations claiming the same domain at the same moment: exactly one gets it (on
// PostgreSQL the claims are serialised by a lock; SQLite has one writer).
func TestConcurrentClaimsOfOneDomain(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		for round := range 5 {
			errs := make(chan error, 2)
			value := fmt.Sprintf("contested%d.example.jp", round)
			for _, p := range []auth.Principal{w.pPowerAdmin, w.pRailAdmin} {
				go func() {
					_, err := w.svc.ProposeAsset(ctx, p, observe.AssetInput{Kind: "domain", Value: value})
					errs <- err
				}()
			}
			ok, conflict := 0, 0
			for range 2 {
				switch err := <-errs; {
				case err == nil:
					ok++
				case fault.KindOf(err) == fault.Conflict:
					conflict++
				default:
					t.Fatal(err)
				}
			}
			if ok != 1 || conflict != 1 {
				t.Fatalf("round %d: %d claims succeeded, %d refused", round, ok, conflict)
			}
		}
	})
}
