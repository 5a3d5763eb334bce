package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/observe"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// A reminder of an unread observation notice reaches the people of its organization only,
// names that notice and links to it, and is dropped when the notice was read meanwhile.
func TestNoticeReminderIsMailedToTheTargetOrganization(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		svc := w.env.Observe
		sent, err := svc.SendNotice(ctx, w.p(w.analyst), observe.NoticeInput{Orgs: []int64{w.power.ID, w.rail.ID},
			Title: "RDP が公開されています", Body: "外部から 3389/tcp に接続できます。", Severity: "high", Kind: "exposed"})
		if err != nil {
			t.Fatal(err)
		}
		power, rail := sent[0], sent[1]
		w.env.Clock.Advance(svc.RemindAfter() + time.Minute)
		if n, err := svc.Remind(ctx); err != nil || n != 2 {
			t.Fatalf("reminded %d, %v", n, err)
		}
		// Tanaka reads the railway's copy before the reminder goes out: it is dropped.
		if err := svc.MarkRead(ctx, w.p(w.tanaka), rail.ID); err != nil {
			t.Fatal(err)
		}
		w.deliver(t)
		got := w.letters(t)
		wantRecipients(t, got, "sato@power.example", "suzuki@power.example")
		l := got["sato@power.example"][0]
		if !strings.Contains(l.Subject, "RDP が公開されています") || !strings.Contains(l.Body, "http://renkei.test/notices/"+itoa(power.ID)) {
			t.Fatalf("reminder: %s\n%s", l.Subject, l.Body)
		}
		if strings.Contains(l.Body, "3389") || strings.Contains(l.Body, "首都圏鉄道") {
			t.Fatalf("the reminder carries more than a pointer: %s", l.Body)
		}
	})
}
