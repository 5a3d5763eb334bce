package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

// maxDigestItems bounds one digest; the rest wait for the next.
const maxDigestItems = 100

// slots returns the start of the current hourly and daily digest periods: the last full
// hour, and the last Config.DigestHour o'clock Japan time. Items added before its
// person's slot go into that slot's digest.
func (n *Notifier) slots(now time.Time) (hourly, daily time.Time) {
	hourly = now.Truncate(time.Hour)
	j := now.In(jst)
	daily = time.Date(j.Year(), j.Month(), j.Day(), n.cfg.DigestHour, 0, 0, 0, jst)
	if daily.After(now) {
		daily = daily.AddDate(0, 0, -1)
	}
	return hourly, daily
}

// Digest queues a digest email for everyone whose digest is due and reports how many it
// queued. Each person gets at most one digest per period (the outbox's dedupe key names
// the period), and each item goes into one digest only (digest_items.sent_at).
func (n *Notifier) Digest(ctx context.Context) (int, error) {
	if !n.EmailEnabled() {
		return 0, nil
	}
	now := n.now()
	hourly, daily := n.slots(now)
	queued := 0
	var after int64
	for {
		users, err := store.DigestDueUsers(ctx, n.db.Read(), hourly, daily, after, n.cfg.PageSize)
		if err != nil {
			return queued, err
		}
		for _, uid := range users {
			ok, err := n.digestFor(ctx, uid, hourly, daily)
			if err != nil {
				return queued, fmt.Errorf("digest for user %d: %w", uid, err)
			}
			if ok {
				queued++
			}
		}
		if len(users) < n.cfg.PageSize {
			return queued, nil
		}
		after = users[len(users)-1]
	}
}

// digestFor takes a person's due items into one digest, in one transaction. Items the
// person can no longer see, or whose kind they turned off, are dropped silently; when
// none is left nothing is sent.
func (n *Notifier) digestFor(ctx context.Context, uid int64, hourly, daily time.Time) (bool, error) {
	queued := false
	err := n.db.Write(ctx, func(c store.Conn) error {
		pref, err := store.GetNotifyPrefs(ctx, c, uid)
		if err != nil {
			return err
		}
		slot, period := daily, OthersDaily
		if pref.Others == OthersHourly {
			slot, period = hourly, OthersHourly
		}
		items, err := store.PendingDigestItems(ctx, c, uid, slot, maxDigestItems)
		if err != nil || len(items) == 0 {
			return err
		}
		all := make([]int64, len(items))
		for i, it := range items {
			all[i] = it.TopicID
		}
		people, err := store.Recipients(ctx, c, []int64{uid})
		if err != nil {
			return err
		}
		if len(people) == 0 { // disabled since
			return store.MarkDigestSent(ctx, c, uid, all, n.now())
		}
		actor := auth.ActorFor(people[0].User, people[0].Communities)
		var keep []int64
		for _, id := range all {
			t, _, facts, ok, err := loadTopic(ctx, c, id)
			if err != nil {
				return err
			}
			if !ok || !policy.CanViewTopic(actor, facts) {
				continue
			}
			if t.Priority == model.PriorityImportant && pref.Important == PrefNone ||
				t.Priority != model.PriorityImportant && pref.Others == PrefNone {
				continue
			}
			keep = append(keep, id)
		}
		if len(keep) > 0 {
			j := job{Kind: jobDigest, UserID: uid, Topics: keep, Period: period, At: slot.UnixMilli()}
			queued, err = store.QueueOutbox(ctx, c, store.OutboxItem{Channel: channelEmail,
				DedupeKey: fmt.Sprintf("digest:user:%d:%d", uid, slot.UnixMilli()),
				Recipient: fmt.Sprintf("user:%d", uid), Payload: j.encode()}, n.now())
			if err != nil || !queued {
				return err // this period's digest is already queued: the items wait for the next
			}
		}
		return store.MarkDigestSent(ctx, c, uid, all, n.now())
	})
	return queued, err
}
