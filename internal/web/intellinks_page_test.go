package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

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

// section returns the inner text of the element with the given id (up to its closing
// tag of the same name's first occurrence), for checking one list of a page.
func section(body, id string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	end := strings.Index(body[i:], "</ul>")
	if end < 0 {
		return body[i:]
	}
	return body[i : i+end]
}

var reUnlink = regexp.MustCompile(`action="(/indicators/\d+/links/\d+/delete)"`)

func TestIndicatorLinkPages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		ctx, sys := testapp.Ctx(), auth.System()
		power := env.Org("東都電力", model.KindOperator)
		rail := env.Org("首都圏鉄道", model.KindOperator)
		sato := env.Person(power, "sato@power.example", model.RoleMember)
		tanaka := setUserLang(env, env.Person(rail, "tanaka@rail.example", model.RoleMember), model.LangEN)
		comm, err := env.Communities.Create(ctx, sys, community.Input{NameJA: "情報提供", NameEN: "Sharing"})
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
		if _, err := env.Intel.CreateIndicators(ctx, env.Principal(sato), intel.EntryInput{CollectionID: k.ID, Text: "203.0.113.7", TLP: "green", Confidence: -1}); err != nil {
			t.Fatal(err)
		}
		list, err := env.Intel.Indicators(ctx, env.Principal(sato), intel.IndicatorQuery{})
		if err != nil || len(list) != 1 {
			t.Fatalf("%v %v", list, err)
		}
		ind := "/indicators/" + strconv.FormatInt(list[0].Seq, 10)
		topic, err := env.SNS.CreateTopic(ctx, env.Principal(sato), sns.TopicInput{CommunityID: comm.ID, Title: "不審な接続元",
			Body: "203.0.113[.]7 からの接続", InfoType: "alert", TLP: "green", Scope: "community"})
		if err != nil {
			t.Fatal(err)
		}
		kase, err := env.Desk.File(ctx, env.Principal(tanaka), desk.CaseInput{Kind: "incident", Category: "malware", Title: "Beaconing to C2",
			Description: "seen on a PC", Urgency: "high", EventImpact: "no", Observables: []desk.ObservableInput{{Kind: "ip", Value: "203.0.113.7"}}})
		if err != nil {
			t.Fatal(err)
		}
		casePath := "/desk/cases/" + strconv.FormatInt(kase.ID, 10)
		base := env.Server()
		s, tn := newVisitor(t, env, base), newVisitor(t, env, base)
		s.signInAs(sato, nil)
		tn.signInAs(tanaka, nil)

		r := tn.get(ind)
		expectStatus(t, "indicator page", r, 200)
		if !strings.Contains(section(r.body, "correlated-topics"), "不審な接続元") || !strings.Contains(section(r.body, "correlated-cases"), "Beaconing to C2") {
			t.Error("rail does not see the topic and its case sharing the value")
		}
		// A bad target is a localized field error, with what was typed kept.
		r = tn.postCSRF(ind+"/links", url.Values{"kind": {"case"}, "target": {"https://renkei.test/indicators/1"}})
		expectStatus(t, "bad target", r, http.StatusUnprocessableEntity)
		if msg, invalid := fieldError(r.body, "link-target"); !invalid || !strings.Contains(msg, "address of a topic") {
			t.Errorf("bad target error %q %v", msg, invalid)
		}
		if v, _ := inputValue(r.body, "link-target"); v != "https://renkei.test/indicators/1" {
			t.Errorf("target not kept: %q", v)
		}
		r = tn.postCSRF(ind+"/links", url.Values{"kind": {"case"}, "target": {base + casePath}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("link: %d %s", r.status, r.body)
		}
		r = tn.get(ind)
		if !strings.Contains(section(r.body, "indicator-links"), "Beaconing to C2") {
			t.Error("the link is not listed on the indicator page")
		}
		r = tn.get(casePath)
		if !strings.Contains(section(r.body, "item-links"), ind) || !strings.Contains(section(r.body, "item-correlated"), ind) {
			t.Error("the case page does not list the indicator")
		}
		r = tn.get("/topics/" + strconv.FormatInt(topic.ID, 10))
		if !strings.Contains(section(r.body, "item-correlated"), ind) {
			t.Error("the topic page does not list the indicator")
		}

		// Power sees the indicator but not rail's case: neither the case nor the link, and
		// linking to it is the same answer as a case that does not exist.
		r = s.get(ind)
		expectStatus(t, "power's indicator page", r, 200)
		if strings.Contains(r.body, "Beaconing") || strings.Contains(r.body, casePath) {
			t.Error("power learns of rail's case")
		}
		for _, target := range []string{strconv.FormatInt(kase.ID, 10), "99999"} {
			r = s.postCSRF(ind+"/links", url.Values{"kind": {"case"}, "target": {target}})
			expectStatus(t, "power linking case "+target, r, http.StatusUnprocessableEntity)
			if msg, _ := fieldError(r.body, "link-target"); !strings.Contains(msg, "見つからない") {
				t.Errorf("power linking %s: %q", target, msg)
			}
		}

		// The linker removes the link.
		m := reUnlink.FindStringSubmatch(tn.get(ind).body)
		if m == nil {
			t.Fatal("no unlink button for the linker")
		}
		if strings.Contains(s.get(ind).body, m[1]) {
			t.Error("power has the unlink button")
		}
		expectStatus(t, "power unlinking", s.postCSRF(m[1], nil), http.StatusNotFound)
		expectStatus(t, "unlink", tn.postCSRF(m[1], nil), http.StatusSeeOther)
		if strings.Contains(section(tn.get(ind).body, "indicator-links"), "Beaconing") {
			t.Error("the link is still listed")
		}
	})
}
