package desk_test

import (
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/audit"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func TestSanitizedPublication(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		d := w.env.Desk
		comm, err := w.env.Communities.Create(ctx, auth.System(), community.Input{NameJA: "情報提供（プロ）", NameEN: "Pro"})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range []model.Org{w.center, w.power, w.rail} {
			if err := w.env.Communities.AddOrg(ctx, auth.System(), comm.ID, o.ID); err != nil {
				t.Fatal(err)
			}
		}
		pAnalyst, pRail := w.env.Principal(w.analyst), w.env.Principal(w.tanaka) // with their communities
		in := ransomware()
		in.Title = "東都電力株式会社 ファイルサーバ暗号化"
		in.Description = "東都電力株式会社の sato@power.example（sato）が発見。共有フォルダが暗号化された。"
		k, err := d.File(ctx, w.pSato, in)
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.PublicationDraft(ctx, w.pSato, k.ID, model.LangJA)
		wantKind(t, err, fault.Forbidden)
		draft, err := d.PublicationDraft(ctx, pAnalyst, k.ID, model.LangJA)
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{"東都電力", "sato@power.example", "sato"} {
			if strings.Contains(draft.Title+draft.Body, leak) {
				t.Errorf("the draft names %q:\n%s\n%s", leak, draft.Title, draft.Body)
			}
		}
		if !strings.Contains(draft.Body, "203.0.113.7") || !strings.Contains(draft.Body, "共有フォルダが暗号化された") || !strings.HasPrefix(draft.Title, "【マルウェア・ランサムウェア】") {
			t.Errorf("the draft lacks the facts:\n%s\n%s", draft.Title, draft.Body)
		}
		_, err = d.Publish(ctx, pAnalyst, k.ID, desk.Publication{Title: draft.Title, Body: draft.Body, TLP: "green"})
		if fs := fault.Fields(err); len(fs) == 0 || fs[0].Field != "community_id" {
			t.Errorf("no community: %v", err)
		}
		draft.CommunityID, draft.TLP = comm.ID, "green"
		_, err = d.Publish(ctx, w.pSato, k.ID, draft)
		wantKind(t, err, fault.Forbidden)
		topic, err := d.Publish(ctx, pAnalyst, k.ID, draft)
		if err != nil {
			t.Fatal(err)
		}
		// The railway reads the topic; the link to the case is the center's only.
		if _, err := w.env.SNS.PeekTopic(ctx, pRail, topic.ID); err != nil {
			t.Errorf("the community cannot read the publication: %v", err)
		}
		v, _ := d.Get(ctx, pAnalyst, k.ID)
		if len(v.Publications) != 1 || v.Publications[0] != topic.ID {
			t.Errorf("center's view %v", v.Publications)
		}
		v, _ = d.Get(ctx, w.pSato, k.ID)
		if len(v.Publications) != 0 {
			t.Errorf("the reporter sees the publication link %v", v.Publications)
		}
		tl, _ := d.Timeline(ctx, w.pSato, k.ID, store.Page{})
		for _, e := range tl {
			if strings.Contains(e.Detail, "topic") {
				t.Errorf("the timeline reveals the publication: %+v", e)
			}
		}
		recs, _ := audit.List(ctx, db, auth.System().Actor, audit.Query{Action: "case.published", TargetID: k.ID})
		if len(recs) != 1 {
			t.Errorf("%d audit records", len(recs))
		}
	})
}
