package desk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func TestEventReportAndFigures(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		d := w.env.Desk
		start := w.env.Clock.Now()
		in := ransomware()
		in.Title = "=HYPERLINK(\"x\") *ランサム*"
		impact, err := d.File(ctx, w.pSato, in) // event impact: listed
		if err != nil {
			t.Fatal(err)
		}
		in = ransomware()
		in.EventImpact, in.Title, in.Urgency = "no", "影響なし", "low"
		quiet, err := d.File(ctx, w.pRail, in) // neither impact nor public: not listed
		if err != nil {
			t.Fatal(err)
		}
		in.Title, in.PublicVisibility = "報道あり", true
		public, err := d.File(ctx, w.pRail, in) // public: listed
		if err != nil {
			t.Fatal(err)
		}
		w.env.Clock.Advance(20 * time.Minute)
		if _, err := d.AddMessage(ctx, w.pAnalyst, impact.ID, "対応します", false); err != nil {
			t.Fatal(err)
		}
		w.env.Clock.Advance(time.Hour)
		if _, err := d.Transition(ctx, w.pAnalyst, impact.ID, "triage"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Transition(ctx, w.pAnalyst, impact.ID, "resolved"); err != nil {
			t.Fatal(err)
		}
		end := w.env.Clock.Now().Add(time.Minute)

		_, err = d.EventReport(ctx, w.pSato, start, end)
		wantKind(t, err, fault.Forbidden)
		_, err = d.EventReport(ctx, w.pAnalyst, end, start)
		wantKind(t, err, fault.Invalid)
		_, err = d.EventReport(ctx, w.pAnalyst, start, start.Add(desk.MaxReportWindow+time.Hour))
		wantKind(t, err, fault.Invalid)
		r, err := d.EventReport(ctx, w.pAnalyst, start, end)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Cases) != 2 || r.Cases[0].Case.ID != impact.ID || r.Cases[1].Case.ID != public.ID {
			t.Fatalf("report cases %+v", r.Cases)
		}
		_ = quiet
		md := r.Markdown(model.LangJA, model.LoadLocation(""))
		for _, want := range []string{"# 大会影響報告", "東都電力株式会社", "マルウェア・ランサムウェア", "| 解決 | 1 |", `\*ランサム\*`, "報道やSNSで取り上げられている。"} {
			if !strings.Contains(md, want) {
				t.Errorf("Markdown lacks %q:\n%s", want, md)
			}
		}
		csv := string(r.CSV(model.LangEN, time.UTC))
		if !strings.HasPrefix(csv, "\uFEFFid,Filed,Organization") || !strings.Contains(csv, `"'=HYPERLINK(""x"") *ランサム*"`) {
			t.Errorf("CSV:\n%s", csv)
		}
		if err := d.RecordExport(ctx, w.pAnalyst, r, "csv"); err != nil {
			t.Fatal(err)
		}
		if recs, _ := audit.List(ctx, db, auth.System().Actor, audit.Query{Action: "case.report_exported"}); len(recs) != 1 {
			t.Errorf("%d export records", len(recs))
		}
		// An empty window.
		if r, err := d.EventReport(ctx, w.pAnalyst, end, end.Add(time.Hour)); err != nil || len(r.Cases) != 0 ||
			!strings.Contains(r.Markdown(model.LangEN, time.UTC), "No case in this window.") {
			t.Errorf("empty report %+v %v", r, err)
		}

		// Figures: the center counts all three; the railway its own two only.
		f, err := d.Figures(ctx, w.pAnalyst, start, end)
		if err != nil {
			t.Fatal(err)
		}
		crit := f.Urgencies[0]
		if crit.Urgency != model.UrgencyCritical || crit.Cases != 1 || crit.Responded != 1 || crit.MedianResponse != 20*time.Minute ||
			crit.Resolved != 1 || crit.MedianResolution != 80*time.Minute {
			t.Errorf("critical figures %+v", crit)
		}
		if low := f.Urgencies[3]; low.Cases != 2 || low.Responded != 0 || low.MedianResponse != 0 {
			t.Errorf("low figures %+v", low)
		}
		f, _ = d.Figures(ctx, w.pRail, start, end)
		if len(f.ByCategory) != 1 || f.ByCategory[0].Count != 2 {
			t.Errorf("the railway's figures %+v", f.ByCategory)
		}
	})
}
