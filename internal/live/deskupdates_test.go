package live_test

import (
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/live"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// A case's state changes, assignment, urgency and files reach the streams of those who
// see the case (a note's file the center only), never another organization's; what
// travels is ids, category and urgency, never the team's name or a file's.
func TestStreamCaseUpdates(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newDeskWorld(t, newWorld(t, db, live.Options{PollInterval: 20 * time.Millisecond}))
		url := w.server(t)
		streams := map[string]*sseConn{"oncall": open(t, url, w.onCall), "alice": open(t, url, w.alice), "bob": open(t, url, w.bob)}
		pAnalyst := w.env.Principal(w.onCall)
		k, err := w.env.Desk.File(ctx, w.pAlice, desk.CaseInput{Kind: "incident", Category: "dos", Title: w.secretTitle,
			Description: "サイトが重い", Urgency: "medium", EventImpact: "no"})
		must(t, err)
		_, err = w.env.Desk.Transition(ctx, pAnalyst, k.ID, "triage")
		must(t, err)
		_, err = w.env.Desk.Assign(ctx, pAnalyst, k.ID, desk.Assignment{Team: "秘密チーム", HandlerID: w.onCall.ID})
		must(t, err)
		_, err = w.env.Desk.SetUrgency(ctx, pAnalyst, k.ID, "critical")
		must(t, err)
		_, err = w.env.Desk.Attach(ctx, w.pAlice, k.ID, 0, []desk.Upload{{Name: "access.log", Body: strings.NewReader("GET /")}})
		must(t, err)
		_, err = w.env.Desk.AddMessageWithFiles(ctx, pAnalyst, k.ID, w.note, true, []desk.Upload{{Name: "警察.txt", Body: strings.NewReader("x")}})
		must(t, err)
		marker := w.topic(t, w.pBob, w.open, "全員宛")

		updates := "case.filed case.state case.assigned case.urgency case.attachment "
		want := map[string]string{"oncall": updates + "case.attachment(internal) case.message(internal) ", "alice": updates, "bob": ""}
		for name, c := range streams {
			list := untilTopic(t, c, marker.ID)
			if g := kinds(list); g != want[name] {
				t.Errorf("%s got %q; want %q", name, g, want[name])
			}
			for _, p := range list {
				// The urgency is the case's at delivery: before or after the change.
				if p.CaseID != k.ID || (p.Urgency != "medium" && p.Urgency != "critical") || strings.Contains(p.data, "秘密") || strings.Contains(p.data, ".log") || strings.Contains(p.data, "警察") {
					t.Errorf("%s: payload %s", name, p.data)
				}
			}
		}
	})
}
