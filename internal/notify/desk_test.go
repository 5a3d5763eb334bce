package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// Whoever is on call when a case is filed gets an email queued in the same transaction;
// it names the kind, category and urgency and links to the case, never its title or text;
// someone who may not see the case gets nothing.
func TestOnCallCaseAlert(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		ctx := testapp.Ctx()
		center := env.Org("対処調整センター", model.KindCenter)
		power := env.Org("東都電力", model.KindOperator)
		rail := env.Org("首都圏鉄道", model.KindOperator)
		onCall := env.Person(center, "night@ccc.example", model.RoleAnalyst)
		offDuty := env.Person(center, "day@ccc.example", model.RoleAnalyst)
		sato := env.Person(power, "sato@power.example", model.RoleMember)
		tanaka := env.Person(rail, "tanaka@rail.example", model.RoleMember)
		pOn, pSato := env.Principal(onCall), env.Principal(sato)
		now := env.Clock.Now()
		if _, err := env.Desk.AddShift(ctx, pOn, onCall.ID, now.Add(-time.Hour), now.Add(8*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Desk.AddShift(ctx, pOn, offDuty.ID, now.Add(8*time.Hour), now.Add(16*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Desk.AddShift(ctx, pOn, sato.ID, now, now.Add(time.Hour)); err == nil {
			t.Error("a member was put on call")
		}
		if _, err := env.Desk.AddShift(ctx, pSato, sato.ID, now, now.Add(time.Hour)); err == nil {
			t.Error("a member changed the rota")
		}
		if _, err := env.Desk.AddShift(ctx, pOn, onCall.ID, now, now.Add(desk.MaxShift+time.Hour)); err == nil {
			t.Error("an overlong shift was accepted")
		}
		k, err := env.Desk.File(ctx, pSato, desk.CaseInput{Kind: "incident", Category: "malware", Title: "秘密の件名",
			Description: "秘密の本文", Urgency: "critical", EventImpact: "yes"})
		if err != nil {
			t.Fatal(err)
		}
		var queued []string
		rows, err := db.Read().Query(ctx, "SELECT recipient FROM outbox WHERE dedupe_key LIKE 'case:%' ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var r string
			rows.Scan(&r)
			queued = append(queued, r)
		}
		rows.Close()
		if len(queued) != 1 || queued[0] != "user:"+itoa(onCall.ID) {
			t.Fatalf("alerts queued for %v, want only the person on call (%d)", queued, onCall.ID)
		}
		subject, body, err := env.Notify.RenderCaseAlert(ctx, onCall.ID, k.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(subject, "#"+itoa(k.ID)) || !strings.Contains(body, "/desk/cases/"+itoa(k.ID)) ||
			!strings.Contains(body, "マルウェア・ランサムウェア") {
			t.Errorf("alert:\n%s\n%s", subject, body)
		}
		if strings.Contains(subject+body, "秘密") {
			t.Errorf("the alert carries the case's text:\n%s\n%s", subject, body)
		}
		if _, _, err := env.Notify.RenderCaseAlert(ctx, tanaka.ID, k.ID); err == nil {
			t.Error("an alert was rendered for someone who cannot see the case")
		}
		shifts, err := env.Desk.Shifts(ctx, pOn)
		if err != nil || len(shifts) != 2 {
			t.Fatalf("shifts %v %v", shifts, err)
		}
		if err := env.Desk.RemoveShift(ctx, pOn, shifts[0].ID); err != nil {
			t.Fatal(err)
		}
		if ids, _ := env.Desk.OnCallNow(ctx, pOn); len(ids) != 0 {
			t.Errorf("still on call: %v", ids)
		}
	})
}
