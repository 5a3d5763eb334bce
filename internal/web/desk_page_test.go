package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

var reCaseURL = regexp.MustCompile(`^/desk/cases/(\d+)\?filed=1$`)

func TestDeskPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		center := env.Org("対処調整センター", model.KindCenter)
		power := env.Org("東都電力", model.KindOperator)
		rail := env.Org("首都圏鉄道", model.KindOperator)
		agency := env.Org("セキュリティ機関", model.KindSecurityAgency)
		analyst := env.Person(center, "analyst@center.example", model.RoleAnalyst)
		sato := setUserLang(env, env.Person(power, "sato@power.example", model.RoleMember), model.LangEN)
		tanaka := env.Person(rail, "tanaka@rail.example", model.RoleMember)
		partner := env.Person(agency, "ir@agency.example", model.RoleMember)
		base := env.Server()
		as := func(u model.User, totp []byte) *visitor { v := newVisitor(t, env, base); v.signInAs(u, totp); return v }
		s, an, tn, pt := as(sato, nil), as(analyst, env.EnrolTOTP(analyst)), as(tanaka, nil), as(partner, nil)

		// A failed report keeps everything typed and says what is wrong, in English.
		r := s.get("/desk/new")
		expectStatus(t, "report form", r, 200)
		form := url.Values{"kind": {"incident"}, "title": {"Ransomware on file server"}, "description": {"Files renamed .locked"},
			"urgency": {"critical"}, "event_impact": {"yes"}, "observables": {"203.0.113[.]7\nevil.example.com"}}
		r = s.postCSRF("/desk/new", form)
		expectStatus(t, "report without category", r, http.StatusUnprocessableEntity)
		if v, _ := inputValue(r.body, "title"); v != "Ransomware on file server" {
			t.Errorf("title not kept: %q", v)
		}
		if !strings.Contains(r.body, "Files renamed .locked</textarea>") || !strings.Contains(r.body, "evil.example.com</textarea>") ||
			!strings.Contains(r.body, `id="urgency-critical" name="urgency" type="radio" value="critical" checked`) {
			t.Error("the typed text or choices were not kept")
		}
		if msg, invalid := fieldError(r.body, "category"); !invalid || msg == "" || strings.ContainsAny(msg, "ぁあいうえお") {
			t.Errorf("category error %q %v", msg, invalid)
		}
		form.Set("category", "malware")
		form.Set("observables", "not-an-ip 999.1.1.1")
		r = s.postCSRF("/desk/new", form)
		expectStatus(t, "report with a bad indicator", r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.body, "999.1.1.1") {
			t.Error("the bad indicator is not named")
		}
		form.Set("observables", "203.0.113[.]7\nevil.example.com")
		form.Set("detected_at", "2026-07-24T03:10")
		r = s.postCSRF("/desk/new", form)
		m := reCaseURL.FindStringSubmatch(r.location())
		if r.status != http.StatusSeeOther || m == nil {
			t.Fatalf("report: %d %q", r.status, r.location())
		}
		path := "/desk/cases/" + m[1]
		r = s.get(path + "?filed=1")
		expectStatus(t, "case page", r, 200)
		if !strings.Contains(r.body, `id="desk-draft-clear"`) || !strings.Contains(r.body, "203.0.113.7") || strings.Contains(r.body, `id="reply-internal"`) {
			t.Error("the reporter's case page")
		}
		// Detected at 03:10 in the reporter's zone (JST).
		if !strings.Contains(r.body, "2026-07-24 03:10 JST") {
			t.Error("the detection time is not shown in the reporter's zone")
		}

		// Another organization: not found, and not in its queue.
		expectStatus(t, "another organization's view", tn.get(path), http.StatusNotFound)
		if r := tn.get("/desk"); strings.Contains(r.body, "Ransomware") {
			t.Error("another organization's queue shows the case")
		}
		expectStatus(t, "another organization's reply", tn.postCSRF(path+"/messages", url.Values{"body": {"x"}}), http.StatusNotFound)

		// The center's queue shows it, flagged once its first-response clock runs low.
		env.Clock.Advance(25 * time.Minute)
		r = an.get("/desk?category=malware")
		if !strings.Contains(r.body, "Ransomware on file server") || !strings.Contains(r.body, "sla-flag-near") {
			t.Errorf("center's queue: %s", r.body[strings.Index(r.body, "<main"):])
		}
		if r := an.get("/desk?category=dos"); strings.Contains(r.body, "Ransomware") {
			t.Error("the category filter")
		}
		// Triage, assign, an internal note and a reply.
		expectStatus(t, "triage", an.postCSRF(path+"/transition", url.Values{"to": {"triage"}}), http.StatusSeeOther)
		expectStatus(t, "assign", an.postCSRF(path+"/assign", url.Values{"team": {"IR1"}, "handler_id": {idText(analyst.ID)}}), http.StatusSeeOther)
		expectStatus(t, "note", an.postCSRF(path+"/messages", url.Values{"body": {"internal: call the vendor"}, "internal": {"1"}}), http.StatusSeeOther)
		expectStatus(t, "reply", an.postCSRF(path+"/messages", url.Values{"body": {"Isolate the server."}}), http.StatusSeeOther)
		// An empty reply comes back with its error.
		r = an.postCSRF(path+"/messages", url.Values{"body": {"  "}})
		expectStatus(t, "empty reply", r, http.StatusUnprocessableEntity)
		if msg, _ := fieldError(r.body, "reply-body"); msg == "" {
			t.Error("no error for an empty reply")
		}
		r = s.get(path)
		if !strings.Contains(r.body, "Isolate the server.") || strings.Contains(r.body, "call the vendor") || !strings.Contains(r.body, "IR1") {
			t.Error("the reporter's view of the thread")
		}
		if !strings.Contains(r.body, i18n.T(model.LangEN, "case_state.triage")) {
			t.Error("state not shown")
		}
		if r := an.get(path); !strings.Contains(r.body, "call the vendor") {
			t.Error("the center does not see its note")
		}
		// A partner: invited, reads; revoked, 404.
		expectStatus(t, "partner before", pt.get(path), http.StatusNotFound)
		expectStatus(t, "invite", an.postCSRF(path+"/partners", url.Values{"org_id": {idText(agency.ID)}}), http.StatusSeeOther)
		r = pt.get(path)
		if r.status != 200 || !strings.Contains(r.body, "Isolate the server.") || strings.Contains(r.body, "call the vendor") {
			t.Errorf("partner's view %d", r.status)
		}
		expectStatus(t, "revoke", an.postCSRF(path+"/partners/"+idText(agency.ID)+"/revoke", nil), http.StatusSeeOther)
		expectStatus(t, "partner after", pt.get(path), http.StatusNotFound)
		// The reporter may not triage: the transition is refused, with the page.
		expectStatus(t, "reporter closes", s.postCSRF(path+"/transition", url.Values{"to": {"closed"}}), http.StatusForbidden)

		// A duplicate merged into the case: its page offers no reply and no file, and a
		// reply posted anyway is refused with the case to write to, in the reader's language.
		form.Set("title", "Same ransomware, second report")
		r = s.postCSRF("/desk/new", form)
		dup := reCaseURL.FindStringSubmatch(r.location())
		if dup == nil {
			t.Fatalf("second report: %d %q", r.status, r.location())
		}
		dupPath := "/desk/cases/" + dup[1]
		expectStatus(t, "merge", an.postCSRF(dupPath+"/links", url.Values{"other_id": {m[1]}, "merge": {"1"}}), http.StatusSeeOther)
		r = s.get(dupPath)
		expectStatus(t, "merged case page", r, 200)
		if strings.Contains(r.body, `id="reply-form"`) || strings.Contains(r.body, `id="case-files-form"`) || !strings.Contains(r.body, `href="`+path+`"`) {
			t.Error("the merged case's page offers a reply or a file, or does not link the case it was merged into")
		}
		r = s.postCSRF(dupPath+"/messages", url.Values{"body": {"One more thing"}})
		expectStatus(t, "reply to a merged case", r, http.StatusConflict)
		if want := i18n.T(model.LangEN, "case.merged", "into", m[1]); !strings.Contains(r.body, want) {
			t.Errorf("the refusal does not say %q", want)
		}
		if r := an.get(dupPath); strings.Contains(r.body, "One more thing") {
			t.Error("the refused reply was stored")
		}
	})
}

func TestDeskReportPage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		center := env.Org("対処調整センター", model.KindCenter)
		venue := env.Org("湾岸アリーナ", model.KindVenue)
		analyst := env.Person(center, "analyst@center.example", model.RoleAnalyst)
		member := env.Person(venue, "m@venue.example", model.RoleMember)
		base := env.Server()
		an := newVisitor(t, env, base)
		an.signInAs(analyst, env.EnrolTOTP(analyst))
		m := newVisitor(t, env, base)
		m.signInAs(member, nil)
		// 2026-07-24 09:00 JST is in the morning report.
		r := m.postCSRF("/desk/new", url.Values{"kind": {"incident"}, "category": {"dos"}, "title": {"入場ゲートへのDDoS"},
			"description": {"d"}, "urgency": {"critical"}, "event_impact": {"yes"}})
		expectStatus(t, "file", r, http.StatusSeeOther)
		r = an.get("/desk/report")
		expectStatus(t, "report", r, 200)
		if !strings.Contains(r.body, `value="2026-07-24T00:00"`) || !strings.Contains(r.body, `value="2026-07-24T12:00"`) {
			t.Error("the default window is not this morning")
		}
		if !strings.Contains(r.body, "入場ゲートへのDDoS") || !strings.Contains(r.body, "湾岸アリーナ") || !strings.Contains(r.body, "DoS/DDoS攻撃") {
			t.Errorf("report page: %s", r.body[strings.Index(r.body, "<main"):])
		}
		r = an.get("/desk/report.csv?from=2026-07-24T00%3A00&to=2026-07-24T12%3A00")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.Contains(r.body, "入場ゲートへのDDoS") {
			t.Errorf("csv %d %q", r.status, r.header.Get("Content-Type"))
		}
		r = an.get("/desk/report.md?from=2026-07-24T00%3A00&to=2026-07-24T12%3A00")
		if r.status != 200 || !strings.Contains(r.body, "# 大会影響報告") || !strings.Contains(r.header.Get("Content-Disposition"), ".md") {
			t.Errorf("markdown %d", r.status)
		}
		r = an.get("/desk/report?from=2026-07-24T12%3A00&to=2026-07-24T00%3A00")
		expectStatus(t, "reversed window", r, http.StatusUnprocessableEntity)
		r = an.get("/desk/report?from=yesterday&to=2026-07-24T00%3A00")
		expectStatus(t, "bad time", r, http.StatusUnprocessableEntity)
		// Members have no report.
		expectStatus(t, "member's report", m.get("/desk/report"), http.StatusForbidden)
		expectStatus(t, "member's csv", m.get("/desk/report.csv"), http.StatusForbidden)
	})
}

func TestDeskPublishPage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		center := env.Org("対処調整センター", model.KindCenter)
		power := env.Org("東都電力", model.KindOperator)
		analyst := env.Person(center, "analyst@center.example", model.RoleAnalyst)
		sato := env.Person(power, "sato@power.example", model.RoleMember)
		comm, err := env.Communities.Create(testapp.Ctx(), auth.System(), community.Input{NameJA: "情報提供（プロ）", NameEN: "Pro"})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []model.Org{center, power} {
			if err := env.Communities.AddOrg(testapp.Ctx(), auth.System(), comm.ID, o.ID); err != nil {
				t.Fatal(err)
			}
		}
		base := env.Server()
		an := newVisitor(t, env, base)
		an.signInAs(analyst, env.EnrolTOTP(analyst))
		s := newVisitor(t, env, base)
		s.signInAs(sato, nil)
		r := s.postCSRF("/desk/new", url.Values{"kind": {"incident"}, "category": {"defacement"}, "title": {"東都電力のサイト改ざん"},
			"description": {"東都電力のトップページが改ざんされた"}, "urgency": {"high"}, "event_impact": {"no"}})
		path := strings.TrimSuffix(r.location(), "?filed=1")
		expectStatus(t, "member's publish form", s.get(path+"/publish"), http.StatusForbidden)
		r = an.get(path + "/publish")
		expectStatus(t, "publish form", r, 200)
		if strings.Contains(r.body[strings.Index(r.body, "<form"):], "東都電力") {
			t.Error("the draft names the reporting organization")
		}
		title, _ := inputValue(r.body, "pub-title")
		r = an.postCSRF(path+"/publish", url.Values{"title": {title}, "body": {"改ざんの手口と指標"}, "tlp": {"green"}})
		expectStatus(t, "publish without a community", r, http.StatusUnprocessableEntity)
		if msg, _ := fieldError(r.body, "community_id"); msg == "" {
			t.Error("no error on the community")
		}
		r = an.postCSRF(path+"/publish", url.Values{"title": {title}, "body": {"改ざんの手口と指標"}, "tlp": {"green"}, "community_id": {idText(comm.ID)}})
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/topics/") {
			t.Fatalf("publish: %d %s", r.status, r.location())
		}
		topicPath := r.location()
		if r := s.get(topicPath); r.status != 200 || !strings.Contains(r.body, "改ざんの手口と指標") {
			t.Errorf("the community does not see the topic: %d", r.status)
		}
		if r := an.get(path); !strings.Contains(r.body, `href="`+topicPath+`"`) {
			t.Error("the center's case page does not link the topic")
		}
		if r := s.get(path); strings.Contains(r.body, `href="`+topicPath+`"`) {
			t.Error("the reporter's case page links the publication")
		}
	})
}

func TestDeskOnCallPage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		center := env.Org("対処調整センター", model.KindCenter)
		power := env.Org("東都電力", model.KindOperator)
		analyst := env.Person(center, "analyst@center.example", model.RoleAnalyst)
		sato := env.Person(power, "sato@power.example", model.RoleMember)
		base := env.Server()
		an := newVisitor(t, env, base)
		an.signInAs(analyst, env.EnrolTOTP(analyst))
		s := newVisitor(t, env, base)
		s.signInAs(sato, nil)
		expectStatus(t, "member's rota", s.get("/desk/oncall"), http.StatusForbidden)
		// The clock is at 09:00 JST on 2026-07-24.
		r := an.postCSRF("/desk/oncall", url.Values{"user_id": {idText(analyst.ID)}, "starts_at": {"2026-07-24T12:00"}, "ends_at": {"2026-07-24T08:00"}})
		expectStatus(t, "reversed shift", r, http.StatusUnprocessableEntity)
		if v, _ := inputValue(r.body, "starts_at"); v != "2026-07-24T12:00" {
			t.Errorf("the typed start was lost: %q", v)
		}
		r = an.postCSRF("/desk/oncall", url.Values{"user_id": {idText(analyst.ID)}, "starts_at": {"2026-07-24T08:00"}, "ends_at": {"2026-07-24T20:00"}})
		expectStatus(t, "add shift", r, http.StatusSeeOther)
		r = an.get("/desk/oncall")
		if !strings.Contains(r.body, "当直中") || !strings.Contains(r.body, "2026-07-24 20:00 JST") {
			t.Errorf("rota: %s", r.body[strings.Index(r.body, "<main"):])
		}
	})
}
