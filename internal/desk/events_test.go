package desk_test

import (
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// deskEvents returns the desk's events in the log, oldest first.
func deskEvents(t *testing.T, db *store.DB) []store.Event {
	t.Helper()
	all, err := store.ListEvents(testapp.Ctx(), db.Read(), 0, store.MaxPage)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Event
	for _, e := range all {
		if desk.IsCaseEvent(e.Kind) {
			out = append(out, e)
		}
	}
	return out
}

// Filing a case and writing in its thread log events that name the case and nothing of
// its text; who may be shown each is decided when asked, by the case's policy: the center,
// the reporting organization, partners while invited; internal notes the center only.
func TestCaseEventsFollowThePolicy(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		now := w.env.Clock.Now()
		if _, err := w.env.Desk.AddShift(ctx, w.pAnalyst, w.analyst.ID, now.Add(-time.Hour), now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		k := w.file(t)
		note, err := w.env.Desk.AddMessage(ctx, w.pAnalyst, k.ID, "内部メモ", true)
		if err != nil {
			t.Fatal(err)
		}
		reply, err := w.env.Desk.AddMessage(ctx, w.pAnalyst, k.ID, "切り離してください", false)
		if err != nil {
			t.Fatal(err)
		}
		evs := deskEvents(t, db)
		if len(evs) != 3 || evs[0].Kind != desk.EventCaseFiled || evs[1].Kind != desk.EventCaseMessage || evs[2].Kind != desk.EventCaseMessage {
			t.Fatalf("desk events %+v", evs)
		}
		for _, e := range evs {
			if e.TopicID != 0 || e.ActorID == 0 {
				t.Errorf("event %+v", e)
			}
			for _, word := range []string{"ランサムウェア", "暗号化", "内部メモ", "切り離し"} {
				if strings.Contains(e.Detail, word) {
					t.Errorf("event detail carries text: %s", e.Detail)
				}
			}
		}
		filed, noteEv, replyEv := evs[0], evs[1], evs[2]
		if d, _ := desk.ParseCaseEvent(filed); d.CaseID != k.ID || !d.AlertsFor(w.analyst.ID) || d.AlertsFor(w.sato.ID) {
			t.Errorf("filed event %s", filed.Detail)
		}
		if d, _ := desk.ParseCaseEvent(noteEv); d.MessageID != note.ID || !d.Internal {
			t.Errorf("note event %s", noteEv.Detail)
		}
		if d, _ := desk.ParseCaseEvent(replyEv); d.MessageID != reply.ID || d.Internal {
			t.Errorf("reply event %s", replyEv.Detail)
		}
		sees := func(p auth.Principal, e store.Event) bool {
			t.Helper()
			d, ok, err := w.env.Desk.CanSeeEvent(ctx, p, e)
			if err != nil {
				t.Fatal(err)
			}
			if ok && (d.CaseID != k.ID || d.Category != "malware" || d.Urgency != "critical") {
				t.Errorf("shown %+v", d)
			}
			return ok
		}
		check := func(when string, p auth.Principal, wantFiled, wantNote, wantReply bool) {
			t.Helper()
			if g := [3]bool{sees(p, filed), sees(p, noteEv), sees(p, replyEv)}; g != [3]bool{wantFiled, wantNote, wantReply} {
				t.Errorf("%s: user %d sees filed/note/reply %v", when, p.User.ID, g)
			}
		}
		check("center", w.pAnalyst, true, true, true)
		check("reporter", w.pSato, true, false, true)
		check("reporter's colleague", w.pSuzuki, true, false, true)
		check("other organization", w.pRail, false, false, false)
		check("partner before the invitation", w.pAgency, false, false, false)
		check("signed out", auth.Principal{}, false, false, false)
		if err := w.env.Desk.InvitePartner(ctx, w.pAnalyst, k.ID, w.agency.ID); err != nil {
			t.Fatal(err)
		}
		check("invited partner", w.pAgency, true, false, true)
		if err := w.env.Desk.RevokePartner(ctx, w.pAnalyst, k.ID, w.agency.ID); err != nil {
			t.Fatal(err)
		}
		check("revoked partner", w.pAgency, false, false, false)
		// Another kind of event, or a detail without a case, is not the desk's.
		if _, ok, err := w.env.Desk.CanSeeEvent(ctx, w.pAnalyst, store.Event{Kind: "topic.created", TopicID: 1}); ok || err != nil {
			t.Errorf("a topic event: %v %v", ok, err)
		}
		if _, ok, err := w.env.Desk.CanSeeEvent(ctx, w.pAnalyst, store.Event{Kind: desk.EventCaseFiled, Detail: "{}"}); ok || err != nil {
			t.Errorf("an event without a case: %v %v", ok, err)
		}
		if _, ok, err := w.env.Desk.CanSeeEvent(ctx, w.pAnalyst, store.Event{Kind: desk.EventCaseFiled, Detail: `{"case_id":999999}`}); ok || err != nil {
			t.Errorf("an event of a missing case: %v %v", ok, err)
		}
	})
}
