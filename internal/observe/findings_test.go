package observe_test

import (
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/observe"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func (w *world) noticesOf(t *testing.T, org model.Org) []observe.Notice {
	t.Helper()
	list, _, err := w.svc.Notices(testapp.Ctx(), w.pAnalyst, observe.NoticeQuery{OrgID: org.ID})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func TestFindingsAreNotifiedOnceAndOnChange(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		site := w.approve(t, w.asset(t, w.pPowerAdmin, "url", "https://www.power.example.jp/"))
		pending := w.asset(t, w.pPowerAdmin, "ip", "192.0.2.80")
		down := func(problem bool, sev string) observe.Finding {
			return observe.Finding{AssetID: site.ID, OrgID: w.power.ID, Check: "http", Key: "http:down", Problem: problem, Severity: sev,
				TitleJA: "ウェブサイトが応答しません", TitleEN: "The website does not answer", BodyJA: "3 回続けて接続できませんでした。",
				BodyEN: "Three attempts in a row failed.", ActionJA: "サーバを確認してください。", ActionEN: "Check the server.",
				Evidence: map[string]string{"status": "timeout", "url": site.Value}}
		}
		steps := []struct {
			f     observe.Finding
			count int    // notices of power after the step
			title string // the newest notice's English title
			sev   string
		}{
			{down(false, "info"), 0, "", ""},                               // fine: nothing to say
			{down(true, "high"), 1, "The website does not answer", "high"}, // down: notified
			{down(true, "high"), 1, "", ""},                                // still down: not again
			{down(true, "medium"), 1, "", ""},                              // milder: not again
			{down(true, "critical"), 2, "[Worsened] The website does not answer", "critical"},
			{down(false, "info"), 3, "[Recovered] The website does not answer", "info"},
			{down(false, "info"), 3, "", ""},
			{down(true, "high"), 4, "The website does not answer", "high"}, // down again
		}
		for i, s := range steps {
			w.env.Clock.Advance(time.Minute)
			if err := w.svc.ReportFinding(ctx, s.f); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			got := w.noticesOf(t, w.power)
			if len(got) != s.count {
				t.Fatalf("step %d: %d notices, want %d", i, len(got), s.count)
			}
			if s.title != "" {
				n := got[0]
				if n.TitleEN != s.title || n.Severity != s.sev || n.Kind != observe.NoticeDown || n.Source != observe.SourceMonitor || n.AssetID != site.ID {
					t.Fatalf("step %d: notice %+v", i, n.Notice)
				}
				ev := n.EvidenceMap()
				if ev["status"] != "timeout" || ev["asset"] != site.Value || ev["condition"] != "http:down" {
					t.Fatalf("step %d: evidence %v", i, ev)
				}
				if n.Title(model.LangJA) == "" || n.Body(model.LangEN) != "Three attempts in a row failed." {
					t.Fatalf("step %d: texts %+v", i, n.Notice)
				}
			}
		}
		if got := w.noticesOf(t, w.rail); len(got) != 0 {
			t.Fatalf("rail got %d notices", len(got))
		}
		// Only approved assets of the organization named.
		f := down(true, "high")
		f.AssetID = pending.ID
		wantKind(t, w.svc.ReportFinding(ctx, f), fault.Invalid, "finding on a proposed asset")
		f = down(true, "high")
		f.OrgID = w.rail.ID
		wantKind(t, w.svc.ReportFinding(ctx, f), fault.Invalid, "finding naming another organization")
		f = down(true, "severe")
		wantKind(t, w.svc.ReportFinding(ctx, f), fault.Invalid, "bad severity")
		f = down(true, "high")
		f.Check = "ping"
		wantKind(t, w.svc.ReportFinding(ctx, f), fault.Invalid, "bad check")
		// Other conditions of the same asset are their own.
		port := observe.Finding{AssetID: site.ID, Check: "port", Key: "port:3389", Problem: true, Severity: "high", TitleJA: "RDP が公開されています"}
		if err := w.svc.ReportFinding(ctx, port); err != nil {
			t.Fatal(err)
		}
		if got := w.noticesOf(t, w.power); len(got) != 5 || got[0].Kind != observe.NoticeExposed || got[0].Title(model.LangEN) != "RDP が公開されています" {
			t.Fatalf("port finding: %d notices, newest %+v", len(got), got[0].Notice)
		}
	})
}

func TestSharedValuesMatchTheOwnersAssetsOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		w.approve(t, w.asset(t, w.pPowerAdmin, "cidr", "198.51.100.0/24"))
		w.approve(t, w.asset(t, w.pPowerAdmin, "domain", "power.example.jp"))
		w.approve(t, w.asset(t, w.pRailAdmin, "domain", "rail.example.jp"))
		w.asset(t, w.pRailAdmin, "ip", "203.0.113.5") // proposed only: never matched
		values := []string{"198.51.100.23", "https://login.power.example.jp/verify", "203.0.113.5", "evil.example.com",
			"power.example.jp.attacker.example", "not a value", ""}
		if err := w.svc.MatchObservables(ctx, "indicator:secret-vendor-report-17", values); err != nil {
			t.Fatal(err)
		}
		got := w.noticesOf(t, w.power)
		if len(got) != 2 {
			t.Fatalf("power got %d notices", len(got))
		}
		for _, n := range got {
			all := n.TitleJA + n.TitleEN + n.BodyJA + n.BodyEN + n.ActionJA + n.ActionEN + n.Evidence
			if strings.Contains(all, "secret") || strings.Contains(all, "vendor") || strings.Contains(all, "17") || strings.Contains(all, "verify") {
				t.Fatalf("the notice reveals its source: %s", all)
			}
			if n.Kind != observe.NoticeMatch || n.Source != observe.SourceMatch {
				t.Fatalf("notice %+v", n.Notice)
			}
		}
		if v := got[1].EvidenceMap()["value"]; v != "198.51.100.23" {
			t.Fatalf("first match value = %q", v)
		}
		if v := got[0].EvidenceMap()["value"]; v != "login.power.example.jp" {
			t.Fatalf("second match value = %q", v)
		}
		if got := w.noticesOf(t, w.rail); len(got) != 0 {
			t.Fatalf("rail got %d notices", len(got))
		}
		// The same value from the same source is told once; another source tells again.
		if err := w.svc.MatchObservables(ctx, "indicator:secret-vendor-report-17", values); err != nil {
			t.Fatal(err)
		}
		if got := w.noticesOf(t, w.power); len(got) != 2 {
			t.Fatalf("repeat: power has %d notices", len(got))
		}
		if err := w.svc.MatchObservables(ctx, "sighting:9", []string{"RAIL.example.jp"}); err != nil {
			t.Fatal(err)
		}
		if got := w.noticesOf(t, w.rail); len(got) != 1 || got[0].EvidenceMap()["value"] != "rail.example.jp" {
			t.Fatalf("rail after its match: %+v", got)
		}
		wantKind(t, w.svc.MatchObservables(ctx, "", values), fault.Invalid, "no source")
		wantKind(t, w.svc.MatchObservables(ctx, "x", make([]string, observe.MaxMatchValues+1)), fault.Invalid, "too many values")
	})
}
