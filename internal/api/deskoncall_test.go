package api_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func init() {
	elsewhere = append(elsewhere, api.Prefix+"/desk")
}

// The on-call rota through the API: center staff list, add and remove shifts (every field
// required, the window checked); anyone else is refused.
func TestOnCallRotaThroughTheAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		center, member := w.as(t, w.analyst), w.as(t, w.memberA)
		now := w.e.Clock.Now().UTC().Truncate(time.Second)
		body := map[string]any{"user_id": w.analyst.ID, "starts_at": now.Add(-time.Hour), "ends_at": now.Add(8 * time.Hour)}
		path := "/api/v1/desk/oncall"

		schema := spec.requestSchema("POST", path)
		if req := required(schema); len(req) != 3 {
			t.Fatalf("required fields %v", req)
		}
		for _, field := range []string{"user_id", "starts_at", "ends_at"} {
			b := map[string]any{}
			for k, v := range body {
				if k != field {
					b[k] = v
				}
			}
			center.do("POST", path, b).fieldProblem(t, field)
		}
		center.do("POST", path, map[string]any{"user_id": w.analyst.ID, "starts_at": now, "ends_at": now.Add(-time.Minute)}).fieldProblem(t, "ends_at")
		center.do("POST", path, map[string]any{"user_id": w.analyst.ID, "starts_at": now, "ends_at": now.Add(8 * 24 * time.Hour)}).fieldProblem(t, "ends_at")
		center.do("POST", path, map[string]any{"user_id": w.memberA.ID, "starts_at": now, "ends_at": now.Add(time.Hour)}).fieldProblem(t, "user_id")

		var shift api.OnCallShift
		center.do("POST", path, body).ok(t, 201, &shift)
		if shift.ID == 0 || shift.UserID != w.analyst.ID || !shift.EndsAt.Equal(now.Add(8*time.Hour)) {
			t.Fatalf("shift %+v", shift)
		}
		var list api.List[api.OnCallShift]
		center.get(path).ok(t, 200, &list)
		if len(list.Items) != 1 || list.Items[0].ID != shift.ID {
			t.Fatalf("rota %+v", list.Items)
		}
		member.get(path).problem(t, 403, "forbidden")
		member.do("POST", path, body).problem(t, 403, "forbidden")
		member.do("DELETE", fmt.Sprintf("%s/%d", path, shift.ID), nil).problem(t, 403, "forbidden")
		center.do("DELETE", fmt.Sprintf("%s/%d", path, shift.ID), nil).ok(t, 204, nil)
		center.do("DELETE", fmt.Sprintf("%s/%d", path, shift.ID), nil).problem(t, 404, "not-found")
		center.get(path).ok(t, 200, &list)
		if len(list.Items) != 0 {
			t.Errorf("rota after removal %+v", list.Items)
		}
		recs, _ := store.ListAudit(ctx, db.Read(), store.AuditQuery{Action: "desk.oncall_removed"})
		if len(recs) != 1 {
			t.Errorf("%d audited removals, want 1", len(recs))
		}
	})
}
