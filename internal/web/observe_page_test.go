package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/observe"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func TestPageObservation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		center := env.Org("対処調整センター", model.KindCenter)
		power := env.Org("東都電力", model.KindOperator)
		rail := env.Org("首都圏鉄道", model.KindOperator)
		analyst := env.Person(center, "analyst@center.example", model.RoleAnalyst)
		analystTOTP := env.EnrolTOTP(analyst)
		powerAdmin := env.Person(power, "admin@power.example", model.RoleOrgAdmin)
		adminTOTP := env.EnrolTOTP(powerAdmin)
		sato := env.Person(power, "sato@power.example", model.RoleMember)
		tanaka := env.Person(rail, "tanaka@rail.example", model.RoleMember)
		base := env.Server()
		visit := func(u model.User, totp []byte) *visitor {
			v := newVisitor(t, env, base)
			v.signInAs(u, totp)
			return v
		}
		an, adm, sa, ta := visit(analyst, analystTOTP), visit(powerAdmin, adminTOTP), visit(sato, nil), visit(tanaka, nil)

		// Compose: a failed send keeps what was typed and says why; members get a 404.
		expectStatus(t, "member compose", sa.get("/notices/new"), http.StatusNotFound)
		expectStatus(t, "member send", sa.postCSRF("/notices/new", url.Values{"org": {idText(rail.ID)}, "title": {"x"}, "body": {"y"},
			"severity": {"low"}, "kind": {"other"}}), http.StatusForbidden)
		r := an.postCSRF("/notices/new", url.Values{"title": {"DDoS 攻撃を観測"}, "body": {"本文"}, "severity": {"high"}, "kind": {"ddos"}})
		expectStatus(t, "send without organizations", r, http.StatusUnprocessableEntity)
		if v, _ := inputValue(r.body, "title"); v != "DDoS 攻撃を観測" {
			t.Errorf("the title typed was lost: %q", v)
		}
		if !strings.Contains(r.body, i18n.T(model.LangJA, "observe.orgs_required")) {
			t.Error("the missing organizations are not explained")
		}
		r = an.postCSRF("/notices/new", url.Values{"org": {idText(power.ID), idText(rail.ID)}, "title": {"DDoS 攻撃を観測"},
			"body": {"本文"}, "severity": {"high"}, "kind": {"ddos"}})
		expectStatus(t, "send", r, http.StatusSeeOther)
		list, _, _ := env.Observe.Notices(testapp.Ctx(), env.Principal(analyst), observe.NoticeQuery{})
		var powerCopy, railCopy int64
		for _, n := range list {
			if n.OrgID == power.ID {
				powerCopy = n.ID
			} else {
				railCopy = n.ID
			}
		}

		// Each organization's list and page; the other's copy is a 404, also for the read button.
		r = sa.get("/notices")
		if !strings.Contains(r.body, `href="/notices/`+idText(powerCopy)+`"`) || strings.Contains(r.body, `href="/notices/`+idText(railCopy)+`"`) {
			t.Error("the power company's list is wrong")
		}
		expectStatus(t, "other copy", sa.get("/notices/"+idText(railCopy)), http.StatusNotFound)
		expectStatus(t, "other copy read", sa.postCSRF("/notices/"+idText(railCopy)+"/read", nil), http.StatusNotFound)
		expectStatus(t, "own copy", sa.get("/notices/"+idText(powerCopy)), http.StatusOK)
		r = sa.postCSRF("/notices/"+idText(powerCopy)+"/read", nil)
		expectStatus(t, "read", r, http.StatusSeeOther)
		if r := sa.get(r.location()); flashOf(r.body) != i18n.T(model.LangJA, "flash.notice_read") || strings.Contains(r.body, `id="mark-read"`) {
			t.Error("the notice page does not show it read")
		}
		expectStatus(t, "member read times", ta.get("/notices/read-times"), http.StatusNotFound)
		r = an.get("/notices/read-times")
		expectStatus(t, "read times", r, http.StatusOK)
		if !strings.Contains(r.body, `<svg`) || !strings.Contains(r.body, "首都圏鉄道") {
			t.Error("the read-times page lacks its chart or the unread organization")
		}

		// Assets: the admin proposes (a bad value keeps the input), imports CSV with a line
		// error; the center approves; the railway sees none of it.
		r = adm.postCSRF("/assets", url.Values{"kind": {"cidr"}, "value": {"10.0.0.0/8"}, "contact": {"NOC"}})
		expectStatus(t, "too wide", r, http.StatusUnprocessableEntity)
		if v, _ := inputValue(r.body, "value"); v != "10.0.0.0/8" {
			t.Errorf("the value typed was lost: %q", v)
		}
		if msg, invalid := fieldError(r.body, "value"); !invalid || msg == "" {
			t.Errorf("value error %q %v", msg, invalid)
		}
		expectStatus(t, "propose", adm.postCSRF("/assets", url.Values{"kind": {"domain"}, "value": {"power.example.jp"}}), http.StatusSeeOther)
		r = adm.postCSRF("/assets/import", url.Values{"csv": {"ip,192.0.2.1,NOC\nip,999.1.1.1\n"}})
		expectStatus(t, "import", r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.body, "2 行目") || !strings.Contains(r.body, i18n.T(model.LangJA, "observe.bad_ip")) {
			t.Error("the import does not name the bad line")
		}
		expectStatus(t, "member proposes", sa.postCSRF("/assets", url.Values{"kind": {"domain"}, "value": {"x.example.jp"}}), http.StatusForbidden)
		r = an.get("/assets")
		if !strings.Contains(r.body, `id="queue"`) || !strings.Contains(r.body, "power.example.jp") {
			t.Fatal("the center's queue does not list the proposal")
		}
		assets, _, _ := env.Observe.Assets(testapp.Ctx(), env.Principal(analyst), observe.AssetQuery{Status: observe.StatusProposed})
		expectStatus(t, "admin approves", adm.postCSRF("/assets/"+idText(assets[0].ID)+"/approve", nil), http.StatusForbidden)
		expectStatus(t, "railway approves", ta.postCSRF("/assets/"+idText(assets[0].ID)+"/approve", nil), http.StatusNotFound)
		expectStatus(t, "approve", an.postCSRF("/assets/"+idText(assets[0].ID)+"/approve", nil), http.StatusSeeOther)
		if r := ta.get("/assets"); strings.Contains(r.body, "power.example.jp") || strings.Contains(r.body, "192.0.2.1") {
			t.Error("the railway sees the power company's assets")
		}
	})
}
