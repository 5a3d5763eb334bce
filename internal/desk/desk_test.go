package desk_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// world: the center with an analyst, a power company (the reporter, two people), a railway
// (another member organization) and JPCERT-like security agency (a partner).
type world struct {
	env                             *testapp.Env
	center, power, rail, agency     model.Org
	analyst, sato, suzuki, tanaka   model.User
	jpcert                          model.User
	pAnalyst, pSato, pSuzuki, pRail auth.Principal
	pAgency                         auth.Principal
}

func newWorld(t *testing.T, db *store.DB) *world { return newWorldTB(t, db) }

func newWorldTB(t testing.TB, db *store.DB) *world {
	env := testapp.New(t, db)
	w := &world{env: env}
	w.center = env.Org("対処調整センター", model.KindCenter)
	w.power = env.Org("東都電力株式会社", model.KindOperator)
	w.rail = env.Org("首都圏鉄道株式会社", model.KindOperator)
	w.agency = env.Org("セキュリティ機関", model.KindSecurityAgency)
	w.analyst = env.Person(w.center, "analyst@ccc.example", model.RoleAnalyst)
	w.sato = env.Person(w.power, "sato@power.example", model.RoleMember)
	w.suzuki = env.Person(w.power, "suzuki@power.example", model.RoleMember)
	w.tanaka = env.Person(w.rail, "tanaka@rail.example", model.RoleMember)
	w.jpcert = env.Person(w.agency, "ir@agency.example", model.RoleMember)
	w.pAnalyst, w.pSato, w.pSuzuki = env.Principal(w.analyst), env.Principal(w.sato), env.Principal(w.suzuki)
	w.pRail, w.pAgency = env.Principal(w.tanaka), env.Principal(w.jpcert)
	return w
}

func ransomware() desk.CaseInput {
	return desk.CaseInput{Kind: "incident", Category: "malware", Title: "ランサムウェア感染の疑い",
		Description: "業務端末でファイルが暗号化された", Urgency: "critical", EventImpact: "yes",
		DetectedAt: time.Date(2026, 7, 23, 18, 0, 0, 0, time.UTC),
		Observables: []desk.ObservableInput{{Kind: "ip", Value: "203.0.113[.]7"}, {Kind: "hash",
			Value: "44D88612FEA8A8F36DE82E1278ABB02F"}, {Kind: "domain", Value: "evil.example.com"}}}
}

func (w *world) file(t *testing.T) model.Case {
	t.Helper()
	k, err := w.env.Desk.File(testapp.Ctx(), w.pSato, ransomware())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func wantKind(t *testing.T, err error, kind fault.Kind) {
	t.Helper()
	if !fault.Is(err, kind) {
		t.Fatalf("got %v, want %s", err, kind)
	}
}

func TestFileValidates(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		k := w.file(t)
		if k.State != model.CaseNew || k.OrgID != w.power.ID || k.ReporterID != w.sato.ID {
			t.Fatalf("filed %+v", k)
		}
		got, err := w.env.Desk.Get(ctx, w.pSuzuki, k.ID)
		if err != nil {
			t.Fatal(err)
		}
		obs := got.Case.Observables
		if len(obs) != 3 || obs[0] != (model.Observable{Kind: model.ObsIP, Value: "203.0.113.7"}) ||
			obs[1].Value != "44d88612fea8a8f36de82e1278abb02f" {
			t.Fatalf("observables %+v", obs)
		}
		if !got.Case.DetectedAt.Equal(ransomware().DetectedAt) || got.Case.EventImpact != model.ImpactYes {
			t.Fatalf("case %+v", got.Case)
		}
		// The SLA clocks of a critical case start at filing.
		if d := got.Case.ResponseDueAt.Sub(got.Case.CreatedAt); d != 30*time.Minute {
			t.Fatalf("response due after %s", d)
		}

		bad := []struct {
			name  string
			edit  func(*desk.CaseInput)
			field string
		}{
			{"no title", func(in *desk.CaseInput) { in.Title = " " }, "title"},
			{"long title", func(in *desk.CaseInput) { in.Title = strings.Repeat("あ", desk.MaxTitleLen+1) }, "title"},
			{"no description", func(in *desk.CaseInput) { in.Description = "" }, "description"},
			{"long description", func(in *desk.CaseInput) { in.Description = strings.Repeat("x", desk.MaxDescriptionLen+1) }, "description"},
			{"kind", func(in *desk.CaseInput) { in.Kind = "gossip" }, "kind"},
			{"category", func(in *desk.CaseInput) { in.Category = "aliens" }, "category"},
			{"urgency", func(in *desk.CaseInput) { in.Urgency = "" }, "urgency"},
			{"impact", func(in *desk.CaseInput) { in.EventImpact = "maybe" }, "event_impact"},
			{"future", func(in *desk.CaseInput) { in.DetectedAt = w.env.Clock.Now().Add(time.Hour) }, "detected_at"},
			{"ip that is a domain", func(in *desk.CaseInput) {
				in.Observables = []desk.ObservableInput{{Kind: "ip", Value: "evil.example.com"}}
			}, "observables"},
			{"hash of bad length", func(in *desk.CaseInput) { in.Observables = []desk.ObservableInput{{Kind: "hash", Value: "abcd"}} }, "observables"},
			{"two values in one", func(in *desk.CaseInput) {
				in.Observables = []desk.ObservableInput{{Kind: "ip", Value: "192.0.2.1 192.0.2.2"}}
			}, "observables"},
			{"kind of observable", func(in *desk.CaseInput) { in.Observables = []desk.ObservableInput{{Kind: "file", Value: "x"}} }, "observables"},
			{"too many observables", func(in *desk.CaseInput) {
				in.Observables = make([]desk.ObservableInput, desk.MaxObservables+1)
				for i := range in.Observables {
					in.Observables[i] = desk.ObservableInput{Kind: "ip", Value: "192.0.2.1"}
				}
			}, "observables"},
		}
		for _, b := range bad {
			in := ransomware()
			b.edit(&in)
			_, err := w.env.Desk.File(ctx, w.pSato, in)
			fields := fault.Fields(err)
			if len(fields) == 0 || fields[0].Field != b.field {
				t.Errorf("%s: got %v, want an error on %s", b.name, err, b.field)
			}
		}
		// The operator belongs to no organization and files nothing.
		if _, err := w.env.Desk.File(ctx, auth.System(), ransomware()); !fault.Is(err, fault.Forbidden) {
			t.Errorf("system filed a case: %v", err)
		}
	})
}

func TestVisibilityPartnersAndNotes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		k := w.file(t)
		d := w.env.Desk

		// Another organization sees nothing: not the case, its thread, a list or a count.
		_, err := d.Get(ctx, w.pRail, k.ID)
		wantKind(t, err, fault.NotFound)
		_, err = d.Messages(ctx, w.pRail, k.ID, store.Page{})
		wantKind(t, err, fault.NotFound)
		_, err = d.AddMessage(ctx, w.pRail, k.ID, "hello", false)
		wantKind(t, err, fault.NotFound)
		_, err = d.Transition(ctx, w.pRail, k.ID, "triage")
		wantKind(t, err, fault.NotFound)
		if items, _, _ := d.List(ctx, w.pRail, desk.ListQuery{Text: "ランサム"}); len(items) != 0 {
			t.Fatalf("another organization lists %d cases", len(items))
		}
		if counts, _ := d.Counts(ctx, w.pRail, desk.ListQuery{}, "category"); len(counts) != 0 {
			t.Fatalf("another organization counts %v", counts)
		}
		// The reporter's colleague and the center do.
		for _, p := range []auth.Principal{w.pSuzuki, w.pAnalyst} {
			if _, err := d.Get(ctx, p, k.ID); err != nil {
				t.Fatal(err)
			}
		}
		// A member may not write an internal note or handle the case.
		_, err = d.AddMessage(ctx, w.pSato, k.ID, "note", true)
		wantKind(t, err, fault.Forbidden)
		wantKind(t, d.InvitePartner(ctx, w.pSato, k.ID, w.agency.ID), fault.Forbidden)

		if _, err := d.AddMessage(ctx, w.pAnalyst, k.ID, "内部メモ: JPCERTに連絡", true); err != nil {
			t.Fatal(err)
		}
		if _, err := d.AddMessage(ctx, w.pAnalyst, k.ID, "受け付けました", false); err != nil {
			t.Fatal(err)
		}
		// The partner is invited: it sees the case and the thread but not the note, and replies.
		_, err = d.Get(ctx, w.pAgency, k.ID)
		wantKind(t, err, fault.NotFound)
		if err := d.InvitePartner(ctx, w.pAnalyst, k.ID, w.agency.ID); err != nil {
			t.Fatal(err)
		}
		wantKind(t, d.InvitePartner(ctx, w.pAnalyst, k.ID, w.agency.ID), fault.Conflict)
		for _, org := range []int64{w.power.ID, w.center.ID, 99999} {
			if err := d.InvitePartner(ctx, w.pAnalyst, k.ID, org); !fault.Is(err, fault.Invalid) {
				t.Errorf("invite %d: %v", org, err)
			}
		}
		v, err := d.Get(ctx, w.pAgency, k.ID)
		if err != nil || v.CanHandle || !v.CanReply || len(v.Transitions) != 0 {
			t.Fatalf("partner's view %+v, %v", v, err)
		}
		if _, err := d.AddMessage(ctx, w.pAgency, k.ID, "ログを確認します", false); err != nil {
			t.Fatal(err)
		}
		texts := func(p auth.Principal) []string {
			ms, err := d.Messages(ctx, p, k.ID, store.Page{})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, m := range ms {
				out = append(out, m.Body)
			}
			return out
		}
		if got := strings.Join(texts(w.pAgency), "|"); got != "受け付けました|ログを確認します" {
			t.Errorf("partner reads %q", got)
		}
		if got := strings.Join(texts(w.pSato), "|"); got != "受け付けました|ログを確認します" {
			t.Errorf("reporter reads %q", got)
		}
		if got := strings.Join(texts(w.pAnalyst), "|"); got != "内部メモ: JPCERTに連絡|受け付けました|ログを確認します" {
			t.Errorf("center reads %q", got)
		}
		if items, _, _ := d.List(ctx, w.pAgency, desk.ListQuery{}); len(items) != 1 {
			t.Errorf("partner lists %d cases", len(items))
		}
		// Revoking removes access at once.
		if err := d.RevokePartner(ctx, w.pAnalyst, k.ID, w.agency.ID); err != nil {
			t.Fatal(err)
		}
		_, err = d.Get(ctx, w.pAgency, k.ID)
		wantKind(t, err, fault.NotFound)
		_, err = d.AddMessage(ctx, w.pAgency, k.ID, "まだ見える?", false)
		wantKind(t, err, fault.NotFound)
		if items, _, _ := d.List(ctx, w.pAgency, desk.ListQuery{}); len(items) != 0 {
			t.Errorf("a revoked partner lists %d cases", len(items))
		}
		wantKind(t, d.RevokePartner(ctx, w.pAnalyst, k.ID, w.agency.ID), fault.NotFound)

		// Each of these was audited.
		recs, err := audit.List(ctx, db, auth.System().Actor, audit.Query{TargetType: "case", TargetID: k.ID})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, r := range recs {
			seen[r.Action]++
		}
		for _, a := range []string{"case.filed", "case.note", "case.message", "case.partner_invited", "case.partner_revoked"} {
			if seen[a] == 0 {
				t.Errorf("no audit record %s (have %v)", a, seen)
			}
		}
	})
}

func TestTransitions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		d := w.env.Desk
		k := w.file(t)

		// The reporter cannot triage their own case; nobody jumps from new to resolved.
		_, err := d.Transition(ctx, w.pSato, k.ID, "triage")
		wantKind(t, err, fault.Forbidden)
		_, err = d.Transition(ctx, w.pAnalyst, k.ID, "resolved")
		wantKind(t, err, fault.Conflict)
		_, err = d.Transition(ctx, w.pAnalyst, k.ID, "sleeping")
		wantKind(t, err, fault.Invalid)

		w.env.Clock.Advance(10 * time.Minute)
		steps := []struct {
			p  auth.Principal
			to model.CaseState
		}{
			{w.pAnalyst, model.CaseTriage}, {w.pAnalyst, model.CaseInProgress}, {w.pAnalyst, model.CaseWaitingPartner},
			{w.pAnalyst, model.CaseWaitingReporter}, {w.pSuzuki, model.CaseResolved}, {w.pSato, model.CaseInProgress},
			{w.pAnalyst, model.CaseResolved}, {w.pAnalyst, model.CaseClosed}, {w.pSato, model.CaseInProgress},
			{w.pAnalyst, model.CaseResolved},
		}
		for i, s := range steps {
			w.env.Clock.Advance(time.Minute)
			got, err := d.Transition(ctx, s.p, k.ID, string(s.to))
			if err != nil {
				t.Fatalf("step %d to %s: %v", i, s.to, err)
			}
			if got.State != s.to {
				t.Fatalf("step %d: state %s", i, got.State)
			}
		}
		v, err := d.Get(ctx, w.pAnalyst, k.ID)
		if err != nil {
			t.Fatal(err)
		}
		// The first response is the triage, ten minutes and one after filing: within 30 minutes.
		if got := v.Case.FirstResponseAt.Sub(v.Case.CreatedAt); got != 11*time.Minute {
			t.Errorf("first response after %s", got)
		}
		if v.Case.ResolvedAt.IsZero() || !v.Case.ClosedAt.IsZero() || v.SLA.Response != desk.FlagMet || v.SLA.Resolve != desk.FlagMet {
			t.Errorf("after the last resolution: %+v %+v", v.Case, v.SLA)
		}
		tl, err := d.Timeline(ctx, w.pSato, k.ID, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(tl) != 1+len(steps) || tl[0].Kind != "filed" {
			t.Fatalf("timeline of %d entries", len(tl))
		}
		for i, s := range steps {
			e := tl[i+1]
			if e.Kind != "state" || e.ToState != s.to || e.ActorID != s.p.User.ID || e.At.IsZero() {
				t.Errorf("timeline %d: %+v", i+1, e)
			}
		}
		if !strings.Contains(tl[6].Detail, "reopened") || !strings.Contains(tl[9].Detail, "reopened") {
			t.Errorf("reopenings not marked: %s / %s", tl[6].Detail, tl[9].Detail)
		}
		recs, _ := audit.List(ctx, db, auth.System().Actor, audit.Query{Action: "case.state", TargetID: k.ID})
		if len(recs) != len(steps) {
			t.Errorf("%d audit records of state changes", len(recs))
		}
		// The table: the reporter may only answer, confirm and reopen.
		if desk.CanTransition(model.CaseNew, model.CaseTriage, false) || !desk.CanTransition(model.CaseNew, model.CaseTriage, true) ||
			!desk.CanTransition(model.CaseClosed, model.CaseInProgress, false) || desk.CanTransition(model.CaseClosed, model.CaseResolved, true) {
			t.Error("transition table")
		}
	})
}

func TestSLAClocksAndQueue(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		d := w.env.Desk
		crit := w.file(t) // critical: 30m / 8h
		in := ransomware()
		in.Urgency, in.Category, in.EventImpact, in.Title = "low", "heavy-traffic", "no", "アクセス集中"
		low, err := d.File(ctx, w.pRail, in) // low: 24h / 168h
		if err != nil {
			t.Fatal(err)
		}
		ids := func(q desk.ListQuery) []int64 {
			items, _, err := d.List(ctx, w.pAnalyst, q)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, it := range items {
				out = append(out, it.Case.ID)
				// The flags in Go agree with the SQL filter.
				if q.SLA != "" && string(it.SLA.Alert()) != q.SLA {
					t.Errorf("case %d listed under sla=%s, flagged %s", it.Case.ID, q.SLA, it.SLA.Alert())
				}
			}
			return out
		}
		same := func(got []int64, want ...int64) bool {
			if len(got) != len(want) {
				return false
			}
			for i := range got {
				if got[i] != want[i] {
					return false
				}
			}
			return true
		}
		if got := ids(desk.ListQuery{SLA: "near"}); len(got) != 0 {
			t.Fatalf("near at once: %v", got)
		}
		w.env.Clock.Advance(25 * time.Minute) // past 80% of 30 minutes
		if got := ids(desk.ListQuery{SLA: "near"}); !same(got, crit.ID) {
			t.Fatalf("near: %v", got)
		}
		w.env.Clock.Advance(10 * time.Minute)
		if got := ids(desk.ListQuery{SLA: "past"}); !same(got, crit.ID) {
			t.Fatalf("past: %v", got)
		}
		if got := ids(desk.ListQuery{SLA: "near"}); len(got) != 0 {
			t.Fatalf("near when past: %v", got)
		}
		// The answer stops the response clock (missed); the resolution clock runs on.
		if _, err := d.AddMessage(ctx, w.pAnalyst, crit.ID, "確認中です", false); err != nil {
			t.Fatal(err)
		}
		v, _ := d.Get(ctx, w.pAnalyst, crit.ID)
		if v.SLA.Response != desk.FlagMissed || v.SLA.Resolve != desk.FlagOK {
			t.Fatalf("after the answer: %+v", v.SLA)
		}
		if got := ids(desk.ListQuery{SLA: "past"}); len(got) != 0 {
			t.Fatalf("past after the answer: %v", got)
		}
		// Filters.
		if got := ids(desk.ListQuery{Urgency: "low"}); !same(got, low.ID) {
			t.Errorf("urgency: %v", got)
		}
		if got := ids(desk.ListQuery{Category: "malware", Impact: "yes"}); !same(got, crit.ID) {
			t.Errorf("category+impact: %v", got)
		}
		if got := ids(desk.ListQuery{State: "new"}); !same(got, low.ID, crit.ID) {
			t.Errorf("state: %v", got)
		}
		if got := ids(desk.ListQuery{Text: "アクセス"}); !same(got, low.ID) {
			t.Errorf("text: %v", got)
		}
		if _, err := d.Assign(ctx, w.pAnalyst, low.ID, desk.Assignment{Team: "IR担当 チーム1", HandlerID: w.analyst.ID}); err != nil {
			t.Fatal(err)
		}
		if got := ids(desk.ListQuery{HandlerID: w.analyst.ID}); !same(got, low.ID) {
			t.Errorf("handler: %v", got)
		}
		if _, err := d.Assign(ctx, w.pAnalyst, low.ID, desk.Assignment{HandlerID: w.sato.ID}); !fault.Is(err, fault.Invalid) {
			t.Errorf("a member assigned as handler: %v", err)
		}
		if _, _, err := d.List(ctx, w.pAnalyst, desk.ListQuery{SLA: "soon"}); !fault.Is(err, fault.Invalid) {
			t.Errorf("bad sla filter: %v", err)
		}
		// Paging: one at a time, newest first.
		first, next, err := d.List(ctx, w.pAnalyst, desk.ListQuery{Limit: 1})
		if err != nil || len(first) != 1 || first[0].Case.ID != low.ID || next != low.ID {
			t.Fatalf("first page %v next %d %v", first, next, err)
		}
		second, next, _ := d.List(ctx, w.pAnalyst, desk.ListQuery{Limit: 1, Before: next})
		if len(second) != 1 || second[0].Case.ID != crit.ID {
			t.Fatalf("second page %v next %d", second, next)
		}
		// Counts: the power company counts its own case only.
		counts, err := d.Counts(ctx, w.pSato, desk.ListQuery{}, "category")
		if err != nil || len(counts) != 1 || counts[0].Key != "malware" || counts[0].Count != 1 {
			t.Errorf("counts %v %v", counts, err)
		}
	})
}

func TestLinkAndMerge(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		d := w.env.Desk
		a := w.file(t)
		b := w.file(t)
		other, err := d.File(ctx, w.pRail, ransomware())
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Link(ctx, w.pAnalyst, a.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		wantKind(t, d.Link(ctx, w.pAnalyst, a.ID, a.ID), fault.Invalid)
		wantKind(t, d.Link(ctx, w.pAnalyst, a.ID, 99999), fault.Invalid)
		wantKind(t, d.Link(ctx, w.pSato, a.ID, b.ID), fault.Forbidden)
		// The reporter does not learn of the railway's related case.
		v, _ := d.Get(ctx, w.pSato, a.ID)
		if len(v.Linked) != 0 {
			t.Errorf("reporter sees links %v", v.Linked)
		}
		v, _ = d.Get(ctx, w.pAnalyst, a.ID)
		if len(v.Linked) != 1 || v.Linked[0] != other.ID {
			t.Errorf("center sees links %v", v.Linked)
		}
		if err := d.Merge(ctx, w.pAnalyst, b.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		v, _ = d.Get(ctx, w.pSato, b.ID)
		if v.Case.MergedInto != a.ID || v.Case.State != model.CaseClosed || len(v.Transitions) != 0 || len(v.Linked) != 1 {
			t.Errorf("merged duplicate %+v", v)
		}
		_, err = d.Transition(ctx, w.pAnalyst, b.ID, "in-progress")
		wantKind(t, err, fault.Conflict)
		wantKind(t, d.Merge(ctx, w.pAnalyst, b.ID, a.ID), fault.Conflict)

		// The conversation goes on in the case it was merged into: the duplicate takes no
		// message and no file, and its page offers neither.
		for _, p := range []auth.Principal{w.pSato, w.pAnalyst} {
			v, _ = d.Get(ctx, p, b.ID)
			if v.CanReply || v.CanAttach {
				t.Errorf("%s: the merged case offers a reply (%v) or a file (%v)", p.User.Email, v.CanReply, v.CanAttach)
			}
			_, err = d.AddMessage(ctx, p, b.ID, "続報です", false)
			wantKind(t, err, fault.Conflict)
			_, err = d.Attach(ctx, p, b.ID, 0, []desk.Upload{upload("late.txt", "late")})
			wantKind(t, err, fault.Conflict)
		}
		if msgs, _ := d.Messages(ctx, w.pAnalyst, b.ID, store.Page{}); len(msgs) != 0 {
			t.Errorf("the refused messages were stored: %+v", msgs)
		}
		if files, _ := d.Attachments(ctx, w.pAnalyst, b.ID); len(files) != 0 {
			t.Errorf("the refused files were stored: %+v", files)
		}
		if v, _ = d.Get(ctx, w.pSato, a.ID); !v.CanReply || !v.CanAttach {
			t.Errorf("the case merged into does not take replies (%v) or files (%v)", v.CanReply, v.CanAttach)
		}
	})
}

func TestParseSLA(t *testing.T) {
	s, err := desk.ParseSLA(desk.DefaultSLAText)
	if err != nil || s[model.UrgencyHigh] != (desk.Clock{Response: time.Hour, Resolve: 24 * time.Hour}) {
		t.Fatalf("%v %v", s, err)
	}
	if again, err := desk.ParseSLA(s.String()); err != nil || again.String() != s.String() {
		t.Fatalf("round trip %v %v", again, err)
	}
	for _, bad := range []string{"", "critical=30m/8h", "critical=30m,high=1h/1h,medium=1h/1h,low=1h/1h",
		"critical=8h/30m,high=1h/1h,medium=1h/1h,low=1h/1h", "urgent=1h/2h,critical=1h/1h,high=1h/1h,medium=1h/1h,low=1h/1h",
		"critical=-1h/2h,high=1h/1h,medium=1h/1h,low=1h/1h"} {
		if _, err := desk.ParseSLA(bad); err == nil {
			t.Errorf("ParseSLA(%q) accepted", bad)
		}
	}
}

func TestEnumsHaveMessages(t *testing.T) {
	var keys []string
	add := func(prefix string, codes ...string) {
		for _, c := range codes {
			keys = append(keys, prefix+c)
		}
	}
	for _, x := range model.CaseKinds {
		add("case_kind.", string(x))
	}
	for _, x := range model.CaseCategories {
		add("case_category.", string(x))
	}
	for _, x := range model.CaseStates {
		add("case_state.", string(x))
	}
	for _, x := range model.Urgencies {
		add("urgency.", string(x))
	}
	for _, x := range model.Impacts {
		add("impact.", string(x))
	}
	for _, x := range model.ObservableKinds {
		add("observable_kind.", string(x))
	}
	add("sla.", string(desk.FlagOK), string(desk.FlagNear), string(desk.FlagPast), string(desk.FlagMet), string(desk.FlagMissed))
	for _, k := range keys {
		for _, l := range []model.Lang{model.LangJA, model.LangEN} {
			if !i18n.Has(l, k) {
				t.Errorf("%s: no message %s", l, k)
			}
		}
	}
}

func TestObservablesFromText(t *testing.T) {
	obs, err := desk.ObservablesFromText("203.0.113[.]7\nevil.example.com hxxps://evil.example.com/login\n44d88612fea8a8f36de82e1278abb02f\n")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range obs {
		kinds = append(kinds, o.Kind+"="+o.Value)
	}
	if got := strings.Join(kinds, " "); got != "ip=203.0.113.7 domain=evil.example.com url=https://evil.example.com/login hash=44d88612fea8a8f36de82e1278abb02f" {
		t.Fatalf("got %s", got)
	}
	for _, bad := range []string{"999.1.1.1", "192.0.2.0/24", "someone@example.com", strings.Repeat("192.0.2.1\n", 1) + strings.Repeat("a", desk.MaxObservables*desk.MaxObservableLen)} {
		if _, err := desk.ObservablesFromText(bad); len(fault.Fields(err)) == 0 || fault.Fields(err)[0].Field != "observables" {
			t.Errorf("%.40q: %v", bad, err)
		}
	}
	var many strings.Builder
	for i := range desk.MaxObservables + 1 {
		fmt.Fprintf(&many, "192.0.2.%d\n198.51.100.%d\n", i%250, i%250)
	}
	if _, err := desk.ObservablesFromText(many.String()); !fault.Is(err, fault.Invalid) {
		t.Errorf("too many: %v", err)
	}
}
