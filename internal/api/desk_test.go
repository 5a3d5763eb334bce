package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// The desk's operations are tested here (their paths join elsewhere, as the notification
// ones do): TestCaseLifecycleThroughTheAPI walks every one, TestCaseRequiredFields does
// what the shared required-field table would.
func init() {
	elsewhere = append(elsewhere, api.Prefix+"/cases")
}

func TestCaseRequiredFields(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		var k api.Case
		w.as(t, w.memberA).do("POST", "/api/v1/cases", caseBody(nil)).ok(t, 201, &k)
		var other api.Case
		w.as(t, w.memberA).do("POST", "/api/v1/cases", caseBody(nil)).ok(t, 201, &other)
		path := fmt.Sprintf("%s/cases/%d", api.Prefix, k.ID)
		cases := []struct {
			method, path string
			body         map[string]any
			ok           int
		}{
			{"POST", api.Prefix + "/cases", map[string]any{"kind": "support", "category": "dos", "title": "t", "description": "d", "urgency": "low"}, 201},
			{"POST", path + "/messages", map[string]any{"body": "b"}, 201},
			{"POST", path + "/transitions", map[string]any{"to": "triage"}, 200},
			{"PUT", path + "/urgency", map[string]any{"urgency": "high"}, 200},
			{"POST", path + "/partners", map[string]any{"org_id": w.orgB.ID}, 204},
			{"POST", path + "/links", map[string]any{"other_id": other.ID}, 204},
			{"POST", fmt.Sprintf("%s/cases/%d/merge", api.Prefix, other.ID), map[string]any{"into": k.ID}, 204},
		}
		for _, tc := range cases {
			schema := spec.requestSchema(tc.method, tc.path)
			if schema == nil {
				t.Fatalf("%s %s: no documented request body", tc.method, tc.path)
			}
			req := required(schema)
			if len(req) != len(tc.body) {
				t.Errorf("%s %s: required %v, body %v", tc.method, tc.path, req, tc.body)
			}
			for _, field := range req {
				body := map[string]any{}
				for k, v := range tc.body {
					if k != field {
						body[k] = v
					}
				}
				w.as(t, w.analyst).do(tc.method, tc.path, body).fieldProblem(t, field)
			}
			w.as(t, w.analyst).do(tc.method, tc.path, tc.body).ok(t, tc.ok, nil)
		}
		// Every field of an assignment is optional: an empty one unassigns.
		w.as(t, w.analyst).do("PUT", path+"/assignment", map[string]any{}).ok(t, 200, nil)
	})
}

func caseBody(extra map[string]any) map[string]any {
	b := map[string]any{"kind": "incident", "category": "malware", "title": "ランサムウェア感染", "description": "ファイルが暗号化された",
		"detected_at": "2026-07-23T18:00:00+09:00", "urgency": "critical", "event_impact": "yes",
		"observables": []map[string]any{{"kind": "ip", "value": "198.51.100[.]9"}, {"kind": "url", "value": "hxxp://evil.example.com/x"}}}
	for k, v := range extra {
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
	}
	return b
}

func TestCaseLifecycleThroughTheAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, a2, b, an := w.as(t, w.memberA), w.as(t, w.memberA2), w.as(t, w.memberB), w.as(t, w.analyst)

		var k api.Case
		a.do("POST", "/api/v1/cases", caseBody(nil)).ok(t, 201, &k)
		if k.ID == 0 || k.State != "new" || k.OrgID != w.orgA.ID || len(k.Observables) != 2 || k.Observables[0].Value != "198.51.100.9" ||
			k.Observables[1].Value != "http://evil.example.com/x" || k.SLA.Response != "ok" || k.DetectedAt == nil {
			t.Fatalf("filed %+v", k)
		}
		path := fmt.Sprintf("/api/v1/cases/%d", k.ID)
		// Another organization: 404 everywhere, nothing in its list or counts.
		b.get(path).problem(t, 404, "not-found")
		b.get(path+"/messages").problem(t, 404, "not-found")
		b.get(path+"/timeline").problem(t, 404, "not-found")
		b.do("POST", path+"/messages", map[string]any{"body": "x"}).problem(t, 404, "not-found")
		b.do("POST", path+"/transitions", map[string]any{"to": "triage"}).problem(t, 404, "not-found")
		var list api.List[api.Case]
		b.get("/api/v1/cases").ok(t, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("organization B lists %d cases", len(list.Items))
		}
		var counts api.CaseCounts
		b.get("/api/v1/cases/counts?by=category").ok(t, 200, &counts)
		if len(counts.Counts) != 0 {
			t.Fatalf("organization B counts %+v", counts)
		}
		// The colleague sees it; the reporter may not triage; the center does.
		var got api.Case
		a2.get(path).ok(t, 200, &got)
		if len(got.Transitions) != 0 {
			t.Errorf("reporter may move a new case to %v", got.Transitions)
		}
		a.do("POST", path+"/transitions", map[string]any{"to": "triage"}).problem(t, 403, "forbidden")
		an.do("POST", path+"/transitions", map[string]any{"to": "closed"}).ok(t, 200, &got)
		an.do("POST", path+"/transitions", map[string]any{"to": "triage"}).problem(t, 409, "conflict")
		a.do("POST", path+"/transitions", map[string]any{"to": "in-progress"}).ok(t, 200, &got) // the reporter reopens
		if got.State != "in-progress" || got.ClosedAt != nil || got.FirstResponseAt == nil {
			t.Fatalf("reopened %+v", got)
		}
		an.do("PUT", path+"/assignment", map[string]any{"team": "IR担当 チーム1", "handler_id": w.analyst.ID}).ok(t, 200, &got)
		if got.Team != "IR担当 チーム1" || got.HandlerID != w.analyst.ID {
			t.Fatalf("assigned %+v", got)
		}
		an.do("PUT", path+"/assignment", map[string]any{"handler_id": w.memberA.ID}).fieldProblem(t, "handler_id")
		a.do("PUT", path+"/assignment", map[string]any{"team": "x"}).problem(t, 403, "forbidden")
		an.do("PUT", path+"/urgency", map[string]any{"urgency": "low"}).ok(t, 200, &got)
		if got.Urgency != "low" {
			t.Fatalf("urgency %+v", got)
		}

		// Messages and internal notes.
		var m api.CaseMessage
		an.do("POST", path+"/messages", map[string]any{"body": "内部: 関係機関へ連絡済み", "internal": true}).ok(t, 201, &m)
		an.do("POST", path+"/messages", map[string]any{"body": "状況を確認しています"}).ok(t, 201, &m)
		a.do("POST", path+"/messages", map[string]any{"body": "x", "internal": true}).problem(t, 403, "forbidden")
		a.do("POST", path+"/messages", map[string]any{"body": "  "}).fieldProblem(t, "body")
		a.do("POST", path+"/messages", map[string]any{"body": strings.Repeat("あ", desk.MaxMessageLen+1)}).fieldProblem(t, "body")
		var msgs api.List[api.CaseMessage]
		a.get(path+"/messages").ok(t, 200, &msgs)
		if len(msgs.Items) != 1 || msgs.Items[0].Body != "状況を確認しています" {
			t.Fatalf("reporter reads %+v", msgs.Items)
		}
		an.get(path+"/messages?limit=1").ok(t, 200, &msgs)
		if len(msgs.Items) != 1 || !msgs.Items[0].Internal || msgs.NextCursor == "" {
			t.Fatalf("center's first page %+v", msgs)
		}

		// A partner: invited, sees and answers; revoked, sees nothing at once.
		an.do("POST", path+"/partners", map[string]any{"org_id": w.orgB.ID}).ok(t, 204, nil)
		an.do("POST", path+"/partners", map[string]any{"org_id": w.orgB.ID}).problem(t, 409, "conflict")
		an.do("POST", path+"/partners", map[string]any{"org_id": w.disabledOrg.ID}).fieldProblem(t, "org_id")
		a.do("POST", path+"/partners", map[string]any{"org_id": w.orgB.ID}).problem(t, 403, "forbidden")
		b.get(path).ok(t, 200, &got)
		b.do("POST", path+"/messages", map[string]any{"body": "解析結果を共有します"}).ok(t, 201, &m)
		an.get(path).ok(t, 200, &got)
		if len(got.Partners) != 1 || got.Partners[0] != w.orgB.ID {
			t.Fatalf("partners %v", got.Partners)
		}
		an.do("DELETE", fmt.Sprintf("%s/partners/%d", path, w.orgB.ID), nil).ok(t, 204, nil)
		an.do("DELETE", fmt.Sprintf("%s/partners/%d", path, w.orgB.ID), nil).problem(t, 404, "not-found")
		b.get(path).problem(t, 404, "not-found")

		// The timeline names every step.
		var tl api.List[api.CaseEvent]
		a.get(path+"/timeline").ok(t, 200, &tl)
		var kinds []string
		for _, e := range tl.Items {
			kinds = append(kinds, e.Kind)
		}
		if got := strings.Join(kinds, ","); got != "filed,state,state,assigned,urgency,partner_invited,partner_revoked" {
			t.Errorf("timeline %s", got)
		}

		// Queue filters and links.
		var k2 api.Case
		w.as(t, w.memberB).do("POST", "/api/v1/cases", caseBody(map[string]any{"category": "dos", "urgency": "high", "event_impact": "no", "observables": nil})).ok(t, 201, &k2)
		an.get("/api/v1/cases?category=dos").ok(t, 200, &list)
		if len(list.Items) != 1 || list.Items[0].ID != k2.ID {
			t.Fatalf("category filter %+v", list.Items)
		}
		an.get("/api/v1/cases?limit=1").ok(t, 200, &list)
		if len(list.Items) != 1 || list.NextCursor == "" {
			t.Fatalf("first page %+v", list)
		}
		an.get("/api/v1/cases?limit=1&cursor="+list.NextCursor).ok(t, 200, &list)
		if len(list.Items) != 1 || list.Items[0].ID != k.ID {
			t.Fatalf("second page %+v", list)
		}
		an.do("POST", path+"/links", map[string]any{"other_id": k2.ID}).ok(t, 204, nil)
		a.get(path).ok(t, 200, &got)
		if len(got.Linked) != 0 {
			t.Errorf("the reporter sees the other organization's linked case: %v", got.Linked)
		}
		an.do("POST", fmt.Sprintf("/api/v1/cases/%d/merge", k2.ID), map[string]any{"into": k.ID}).ok(t, 204, nil)
		an.get(fmt.Sprintf("/api/v1/cases/%d", k2.ID)).ok(t, 200, &got)
		if got.MergedInto != k.ID || got.State != "closed" {
			t.Errorf("merged %+v", got)
		}
		// A merged case takes no more messages or files: 409, and the reason names the case.
		merged := fmt.Sprintf("/api/v1/cases/%d", k2.ID)
		if p := an.do("POST", merged+"/messages", map[string]any{"body": "続報"}).problem(t, 409, "conflict"); !strings.Contains(p.Detail, fmt.Sprint(k.ID)) {
			t.Errorf("the refusal does not name case %d: %+v", k.ID, p)
		}
		an.with("Content-Type", "text/plain").do("POST", merged+"/attachments?name=late.txt", "late").problem(t, 409, "conflict")
	})
}

func TestCaseBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, an := w.as(t, w.memberA), w.as(t, w.analyst)
		for _, c := range []struct {
			edit  map[string]any
			field string
		}{
			{map[string]any{"title": ""}, "title"},
			{map[string]any{"title": strings.Repeat("x", desk.MaxTitleLen+1)}, "title"},
			{map[string]any{"description": strings.Repeat("x", desk.MaxDescriptionLen+1)}, "description"},
			{map[string]any{"kind": "rumour"}, "kind"},
			{map[string]any{"category": ""}, "category"},
			{map[string]any{"urgency": "soonish"}, "urgency"},
			{map[string]any{"event_impact": "perhaps"}, "event_impact"},
			{map[string]any{"detected_at": "2030-01-01T00:00:00Z"}, "detected_at"},
			{map[string]any{"observables": []map[string]any{{"kind": "hash", "value": "xyz"}}}, "observables"},
			{map[string]any{"observables": []map[string]any{{"kind": "domain", "value": "http://a.example.com/"}}}, "observables"},
			{map[string]any{"observables": make([]map[string]any, desk.MaxObservables+1)}, "observables"},
		} {
			a.do("POST", "/api/v1/cases", caseBody(c.edit)).fieldProblem(t, c.field)
		}
		a.do("POST", "/api/v1/cases", `{"title":`).problem(t, 400, "bad-request")
		a.do("POST", "/api/v1/cases", caseBody(map[string]any{"secret": 1})).problem(t, 400, "bad-request")
		a.do("POST", "/api/v1/cases", caseBody(map[string]any{"detected_at": "yesterday"})).problem(t, 400, "bad-request")
		var list api.List[api.Case]
		a.get("/api/v1/cases").ok(t, 200, &list)
		if len(list.Items) != 0 {
			t.Fatalf("a refused case was stored: %+v", list.Items)
		}
		an.get("/api/v1/cases?sla=soon").fieldProblem(t, "sla")
		an.get("/api/v1/cases?state=asleep").fieldProblem(t, "state")
		an.get("/api/v1/cases?limit=501").fieldProblem(t, "limit")
		an.get("/api/v1/cases?cursor=zzz").fieldProblem(t, "cursor")
		an.get("/api/v1/cases/counts?by=reporter").fieldProblem(t, "by")
		an.get("/api/v1/cases/abc").problem(t, 404, "not-found")
		an.get("/api/v1/cases/999999").problem(t, 404, "not-found")
		var k api.Case
		a.do("POST", "/api/v1/cases", caseBody(nil)).ok(t, 201, &k)
		path := fmt.Sprintf("/api/v1/cases/%d", k.ID)
		an.do("POST", path+"/transitions", map[string]any{"to": "asleep"}).fieldProblem(t, "to")
		an.do("POST", path+"/links", map[string]any{"other_id": k.ID}).fieldProblem(t, "other_id")
		an.do("POST", path+"/merge", map[string]any{"into": 424242}).fieldProblem(t, "into")
		an.do("PUT", path+"/assignment", map[string]any{"team": strings.Repeat("t", desk.MaxTeamLen+1)}).fieldProblem(t, "team")
		w.anon(t).get("/api/v1/cases").problem(t, 401, "unauthorized")

		// The report and the figures.
		win := "?from=2026-07-23T15:00:00Z&to=2026-07-24T03:00:00Z"
		var rep api.CaseReport
		an.get("/api/v1/cases/report"+win).ok(t, 200, &rep)
		if len(rep.Cases) != 1 || rep.Cases[0].ID != k.ID || !strings.Contains(rep.Markdown, "#"+fmt.Sprint(k.ID)) {
			t.Errorf("report %+v", rep)
		}
		a.get("/api/v1/cases/report"+win).problem(t, 403, "forbidden")
		an.get("/api/v1/cases/report?from=2026-07-24T03:00:00Z&to=2026-07-23T15:00:00Z").fieldProblem(t, "to")
		an.get("/api/v1/cases/report?from=yesterday&to=2026-07-23T15:00:00Z").fieldProblem(t, "from")
		an.get("/api/v1/cases/report?from=2026-01-01T00:00:00Z&to=2026-07-23T15:00:00Z").fieldProblem(t, "to")
		var fig api.CaseFigures
		a.get("/api/v1/cases/figures"+win).ok(t, 200, &fig)
		if len(fig.ByKind) != 1 || fig.ByKind[0].Count != 1 || len(fig.Urgencies) != 4 || fig.Urgencies[0].Cases != 1 {
			t.Errorf("figures %+v", fig)
		}
		w.as(t, w.memberB).get("/api/v1/cases/figures"+win).ok(t, 200, &fig)
		if len(fig.ByKind) != 0 || fig.Urgencies[0].Cases != 0 {
			t.Errorf("another organization's figures %+v", fig)
		}
	})
}
