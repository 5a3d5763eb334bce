package api_test

import (
	"fmt"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
)

func init() {
	endpointTests["POST /api/v1/indicators/{id}/links"] = testIndicatorLinks
	endpointTests["DELETE /api/v1/indicators/{id}/links/{link_id}"] = testIndicatorLinks
	endpointTests["GET /api/v1/topics/{id}/indicators"] = testIndicatorLinks
	endpointTests["GET /api/v1/cases/{id}/indicators"] = testIndicatorLinks
}

// linkItems gives organization A an indicator for 198.51.100.7 and a topic in C1 that
// names it, and organization B a case that reports it.
func linkItems(t *testing.T, w *world) (seq int64, topic model.Topic, kase model.Case) {
	t.Helper()
	res := enterIndicators(t, w, intelCollection(t, w), "198.51.100.7")
	topic, err := w.e.SNS.CreateTopic(ctx, w.e.Principal(w.memberA), sns.TopicInput{CommunityID: w.c1.ID, Title: "不審な通信",
		Body: "198.51.100[.]7 を観測", InfoType: "alert", TLP: "green", Scope: "community"})
	if err != nil {
		t.Fatal(err)
	}
	kase, err = w.e.Desk.File(ctx, w.e.Principal(w.memberB), desk.CaseInput{Kind: "incident", Category: "malware", Title: "C2 通信",
		Description: "x", Urgency: "high", EventImpact: "no", Observables: []desk.ObservableInput{{Kind: "ip", Value: "198.51.100.7"}}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Created[0], topic, kase
}

func testIndicatorLinks(t *testing.T, w *world) {
	seq, topic, kase := linkItems(t, w)
	ind := fmt.Sprintf("%s/indicators/%d", api.Prefix, seq)
	a, a2, b := w.as(t, w.memberA), w.as(t, w.memberA2), w.as(t, w.memberB)
	var d api.IndicatorDetail
	a.get(ind).ok(t, 200, &d)
	if len(d.Topics) != 1 || d.Topics[0].ID != topic.ID || len(d.Cases) != 0 || len(d.Links) != 0 {
		t.Errorf("A's detail: topics %+v cases %+v links %+v", d.Topics, d.Cases, d.Links)
	}
	// B's case is not A's to see: the answer is that of a case that does not exist.
	a.do("POST", ind+"/links", map[string]any{"case_id": kase.ID}).fieldProblem(t, "target")
	a.do("POST", ind+"/links", map[string]any{"case_id": kase.ID + 1000}).fieldProblem(t, "target")
	a.do("POST", ind+"/links", map[string]any{"case_id": kase.ID, "topic_id": topic.ID}).fieldProblem(t, "target")
	a.do("POST", ind+"/links", map[string]any{}).fieldProblem(t, "target")
	b.do("POST", ind+"/links", map[string]any{"topic_id": topic.ID}).problem(t, 404, "not-found")
	var l api.IndicatorLink
	a.do("POST", ind+"/links", map[string]any{"topic_id": topic.ID}).ok(t, 201, &l)
	if l.TopicID != topic.ID || l.IndicatorID != seq || l.Title != topic.Title || l.LinkedBy != w.memberA.ID {
		t.Errorf("link %+v", l)
	}
	a.do("POST", ind+"/links", map[string]any{"topic_id": topic.ID}).problem(t, 409, "conflict")

	var ti api.ItemIndicators
	a2.get(fmt.Sprintf("%s/topics/%d/indicators", api.Prefix, topic.ID)).ok(t, 200, &ti)
	if len(ti.Correlated) != 1 || ti.Correlated[0].ID != seq || len(ti.Links) != 1 || ti.Links[0].ID != l.ID {
		t.Errorf("topic's indicators %+v", ti)
	}
	b.get(fmt.Sprintf("%s/topics/%d/indicators", api.Prefix, topic.ID)).problem(t, 404, "not-found")
	// B sees its case, but not A's indicator: nothing is listed.
	var ci api.ItemIndicators
	b.get(fmt.Sprintf("%s/cases/%d/indicators", api.Prefix, kase.ID)).ok(t, 200, &ci)
	if len(ci.Correlated) != 0 || len(ci.Links) != 0 {
		t.Errorf("B's case shows %+v", ci)
	}
	a.get(fmt.Sprintf("%s/cases/%d/indicators", api.Prefix, kase.ID)).problem(t, 404, "not-found")

	del := fmt.Sprintf("%s/links/%d", ind, l.ID)
	a2.do("DELETE", del, nil).problem(t, 403, "forbidden")
	b.do("DELETE", del, nil).problem(t, 404, "not-found")
	a.do("DELETE", del, nil).ok(t, 204, nil)
	a.do("DELETE", del, nil).problem(t, 404, "not-found")
	a.get(ind).ok(t, 200, &d)
	if len(d.Links) != 0 {
		t.Errorf("links after removal %+v", d.Links)
	}
}
