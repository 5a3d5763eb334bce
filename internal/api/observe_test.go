package api_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/observe"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func TestNoticesThroughTheAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		analyst, a, a2, b := w.as(t, w.analyst), w.as(t, w.memberA), w.as(t, w.memberA2), w.as(t, w.memberB)
		body := func() map[string]any {
			return map[string]any{"orgs": []int64{w.orgA.ID, w.orgB.ID}, "title": "DDoS 攻撃を観測", "body": "大量の通信を観測しました。",
				"action": "上流と連携してください。", "severity": "high", "kind": "ddos"}
		}
		var sent api.List[api.Notice]
		analyst.do("POST", "/api/v1/notices", body()).ok(t, 201, &sent)
		if len(sent.Items) != 2 {
			t.Fatalf("sent %+v", sent.Items)
		}
		copyA, copyB := sent.Items[0], sent.Items[1]
		if copyA.OrgID != w.orgA.ID {
			copyA, copyB = copyB, copyA
		}
		// Each organization lists and opens its own copy only.
		var listA, listB api.List[api.Notice]
		a.get("/api/v1/notices").ok(t, 200, &listA)
		b.get("/api/v1/notices").ok(t, 200, &listB)
		if len(listA.Items) != 1 || listA.Items[0].ID != copyA.ID || len(listB.Items) != 1 || listB.Items[0].ID != copyB.ID {
			t.Fatalf("A sees %+v, B sees %+v", listA.Items, listB.Items)
		}
		b.get(fmt.Sprintf("/api/v1/notices/%d", copyA.ID)).problem(t, 404, "not-found")
		b.do("POST", fmt.Sprintf("/api/v1/notices/%d/read", copyA.ID), nil).problem(t, 404, "not-found")
		a.get("/api/v1/notices/999999").problem(t, 404, "not-found")
		a.get("/api/v1/notices/x").problem(t, 404, "not-found")
		// A reads: the organization's first read.
		a.do("POST", fmt.Sprintf("/api/v1/notices/%d/read", copyA.ID), nil).ok(t, 204, nil)
		var got api.Notice
		a2.get(fmt.Sprintf("/api/v1/notices/%d", copyA.ID)).ok(t, 200, &got)
		if got.FirstReadAt == nil || got.ReadByMe || got.TitleJA != "DDoS 攻撃を観測" || got.ActionJA == "" {
			t.Fatalf("A2 sees %+v", got)
		}
		var unread api.List[api.Notice]
		analyst.get("/api/v1/notices?unread=true").ok(t, 200, &unread)
		if len(unread.Items) != 1 || unread.Items[0].ID != copyB.ID {
			t.Fatalf("unread %+v", unread.Items)
		}

		// Only center staff send; bad input names its field; limits hold.
		a.do("POST", "/api/v1/notices", body()).problem(t, 403, "forbidden")
		for field, bad := range map[string]any{"severity": "urgent", "kind": "spam", "title": strings.Repeat("x", observe.MaxTitleLen+1),
			"body": "", "orgs": []int64{}} {
			in := body()
			in[field] = bad
			analyst.do("POST", "/api/v1/notices", in).fieldProblem(t, field)
		}
		many := make([]int64, observe.MaxRecipients+1)
		for i := range many {
			many[i] = int64(i + 1)
		}
		in := body()
		in["orgs"] = many
		analyst.do("POST", "/api/v1/notices", in).fieldProblem(t, "orgs")
		in = body()
		in["orgs"] = []int64{w.disabledOrg.ID}
		analyst.do("POST", "/api/v1/notices", in).fieldProblem(t, "orgs")
		in = body()
		in["extra"] = 1
		analyst.do("POST", "/api/v1/notices", in).problem(t, 400, "bad-request")
		a.get("/api/v1/notices?unread=maybe").fieldProblem(t, "unread")
		a.get("/api/v1/notices?limit=501").fieldProblem(t, "limit")
		a.get("/api/v1/notices?cursor=zzz").fieldProblem(t, "cursor")

		// Required fields are documented and checked: orgs, title, body, severity, kind.
		schema := spec.requestSchema("POST", "/api/v1/notices")
		if req := required(schema); !slices.Equal(req, []string{"body", "kind", "orgs", "severity", "title"}) {
			t.Fatalf("required %v", req)
		}
		for _, f := range required(schema) {
			in := body()
			delete(in, f)
			analyst.do("POST", "/api/v1/notices", in).fieldProblem(t, f)
		}

		// Pages by cursor.
		for i := range 4 {
			in := body()
			in["title"] = fmt.Sprintf("通知 %d", i)
			analyst.do("POST", "/api/v1/notices", in).ok(t, 201, nil)
		}
		var seen []int64
		cursor := ""
		for range 10 {
			var page api.List[api.Notice]
			a.get("/api/v1/notices?limit=2&cursor="+cursor).ok(t, 200, &page)
			for _, n := range page.Items {
				seen = append(seen, n.ID)
				if n.OrgID != w.orgA.ID {
					t.Fatalf("A's page holds %+v", n)
				}
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if len(seen) != 5 || !slices.IsSortedFunc(seen, func(x, y int64) int { return int(y - x) }) {
			t.Fatalf("pages %v", seen)
		}

		// The audit log records the sending.
		recs, err := store.ListAudit(ctx, db.Read(), store.AuditQuery{Action: "notice.sent"})
		if err != nil || len(recs) != 5 {
			t.Fatalf("audit %d, %v", len(recs), err)
		}
	})
}

func TestAssetsThroughTheAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		analyst, adminA, memberA, b := w.as(t, w.analyst), w.as(t, w.adminA), w.as(t, w.memberA), w.as(t, w.memberB)
		var d api.Asset
		adminA.do("POST", "/api/v1/assets", map[string]any{"kind": "domain", "value": "tohto.example.jp", "contact": "soc@a.example"}).ok(t, 201, &d)
		if d.Status != "proposed" || d.OrgID != w.orgA.ID {
			t.Fatalf("proposed %+v", d)
		}
		memberA.do("POST", "/api/v1/assets", map[string]any{"kind": "ip", "value": "192.0.2.1"}).problem(t, 403, "forbidden")
		adminA.do("POST", "/api/v1/assets", map[string]any{"kind": "cidr", "value": "10.0.0.0/8"}).fieldProblem(t, "value")
		adminA.do("POST", "/api/v1/assets", map[string]any{"kind": "router", "value": "x"}).fieldProblem(t, "kind")
		adminA.do("POST", "/api/v1/assets", map[string]any{"value": "x.example.jp"}).fieldProblem(t, "kind")
		adminA.do("POST", "/api/v1/assets", map[string]any{"kind": "domain"}).fieldProblem(t, "value")
		analyst.do("POST", "/api/v1/assets", map[string]any{"org_id": w.orgB.ID, "kind": "domain", "value": "www.tohto.example.jp"}).problem(t, 409, "conflict")

		path := fmt.Sprintf("/api/v1/assets/%d", d.ID)
		b.get(path).problem(t, 404, "not-found")
		memberA.get(path).ok(t, 200, nil)
		adminA.do("POST", path+"/decision", map[string]any{"approve": true}).problem(t, 403, "forbidden")
		b.do("POST", path+"/decision", map[string]any{"approve": true}).problem(t, 404, "not-found")
		var decided api.Asset
		analyst.do("POST", path+"/decision", map[string]any{"approve": true}).ok(t, 200, &decided)
		if decided.Status != "approved" || decided.DecidedAt == nil {
			t.Fatalf("decided %+v", decided)
		}
		analyst.do("POST", path+"/decision", map[string]any{}).ok(t, 200, &decided)
		if decided.Status != "rejected" {
			t.Fatalf("rejected %+v", decided)
		}

		// CSV import: per-line errors in the caller's language.
		var res api.ImportResult
		adminA.with("Content-Type", "text/csv").do("POST", "/api/v1/assets/import", "kind,value,contact\nip,192.0.2.10,NOC\ncidr,10.0.0.0/8\nbad\n").ok(t, 200, &res)
		if len(res.Added) != 1 || len(res.Errors) != 2 || res.Errors[0].Line != 3 || res.Errors[0].Code != "observe.cidr_too_wide" ||
			!strings.Contains(res.Errors[0].Message, "広すぎ") || res.Errors[1].Line != 4 {
			t.Fatalf("import %+v", res)
		}
		adminA.with("Content-Type", "text/csv").do("POST", "/api/v1/assets/import", strings.Repeat("#", observe.MaxImportBytes+10)).problem(t, 413, "payload-too-large")
		memberA.with("Content-Type", "text/csv").do("POST", "/api/v1/assets/import", "ip,192.0.2.11\n").problem(t, 403, "forbidden")

		// Lists keep to the organization; the center filters by status.
		var mine, others api.List[api.Asset]
		memberA.get("/api/v1/assets").ok(t, 200, &mine)
		b.get("/api/v1/assets").ok(t, 200, &others)
		if len(mine.Items) != 2 || len(others.Items) != 0 {
			t.Fatalf("A lists %d, B lists %d", len(mine.Items), len(others.Items))
		}
		var queue api.List[api.Asset]
		analyst.get("/api/v1/assets?status=proposed").ok(t, 200, &queue)
		if len(queue.Items) != 1 || queue.Items[0].Value != "192.0.2.10" {
			t.Fatalf("queue %+v", queue.Items)
		}
		analyst.get("/api/v1/assets?status=maybe").fieldProblem(t, "status")

		b.do("DELETE", path, nil).problem(t, 404, "not-found")
		memberA.do("DELETE", path, nil).problem(t, 403, "forbidden")
		adminA.do("DELETE", path, nil).ok(t, 204, nil)
		memberA.get(path).problem(t, 404, "not-found")

		// The audit log holds each decision.
		recs, err := store.ListAudit(ctx, db.Read(), store.AuditQuery{Action: "asset."})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, r := range recs {
			actions[r.Action]++
		}
		if want := map[string]int{"asset.proposed": 2, "asset.approved": 1, "asset.rejected": 1, "asset.deleted": 1}; !maps.Equal(actions, want) {
			t.Fatalf("audit %v", actions)
		}
	})
}
