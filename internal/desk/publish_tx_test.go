package desk_test

import (
	"errors"
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// A publication writes the topic and the case's link to it in one transaction: when the
// link cannot be written, no topic is left behind; when it is, both are there.
func TestPublicationIsOneTransaction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		comm, err := w.env.Communities.Create(ctx, auth.System(), community.Input{NameJA: "情報提供", NameEN: "Sharing"})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.env.Communities.AddOrg(ctx, auth.System(), comm.ID, w.center.ID); err != nil {
			t.Fatal(err)
		}
		pAnalyst := w.env.Principal(w.analyst)
		count := func(table string) int {
			var n int
			if err := db.Read().QueryRow(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		in := sns.TopicInput{CommunityID: comm.ID, Title: "件名", Body: "本文", InfoType: "incident", TLP: "green", Scope: string(model.ScopeCommunity)}
		boom := errors.New("the link could not be written")
		if _, err := w.env.SNS.CreateTopicWith(ctx, pAnalyst, in, func(store.Conn, model.Topic) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		if n := count("topics"); n != 0 {
			t.Fatalf("%d topics after a failed link, want 0", n)
		}
		k := w.file(t)
		draft, err := w.env.Desk.PublicationDraft(ctx, pAnalyst, k.ID, model.LangJA)
		if err != nil {
			t.Fatal(err)
		}
		draft.CommunityID = comm.ID
		topic, err := w.env.Desk.Publish(ctx, pAnalyst, k.ID, draft)
		if err != nil {
			t.Fatal(err)
		}
		v, err := w.env.Desk.Get(ctx, pAnalyst, k.ID)
		if err != nil || len(v.Publications) != 1 || v.Publications[0] != topic.ID || count("topics") != 1 {
			t.Fatalf("after publishing: %v %v, %d topics", err, v.Publications, count("topics"))
		}
	})
}
