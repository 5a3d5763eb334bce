package notify

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/renkei-dev/renkei/internal/store"
)

// Deliver claims the messages that are due, sends them and records the outcome; it
// reports how many it handled. A message is leased for Config.Lease while it is sent, so
// that another node (or this one after a crash) takes it over only after that.
//
// Once claimed, messages are sent even if ctx ends meanwhile (each is bounded by its
// timeout): a message handed to the SMTP server must also be recorded as sent, or it
// would go out again after a restart. Messages not yet started when ctx ends are released
// at once.
func (n *Notifier) Deliver(ctx context.Context) (int, error) {
	now := n.now()
	var items []store.OutboxItem
	err := n.db.Write(ctx, func(c store.Conn) error {
		var err error
		items, err = store.ClaimOutbox(ctx, c, now, now.Add(n.cfg.Lease), n.cfg.Workers*4)
		return err
	})
	if err != nil || len(items) == 0 {
		return 0, err
	}
	slices.SortFunc(items, func(a, b store.OutboxItem) int { return cmp.Compare(a.ID, b.ID) })
	sendCtx := context.WithoutCancel(ctx)
	work := make(chan store.OutboxItem)
	var wg sync.WaitGroup
	for range min(n.cfg.Workers, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sess *smtpSession
			defer func() { sess.close() }()
			for it := range work {
				n.deliverOne(sendCtx, &sess, it)
			}
		}()
	}
	handled := 0
	var unstarted []int64
	for _, it := range items {
		if ctx.Err() != nil {
			unstarted = append(unstarted, it.ID)
			continue
		}
		select {
		case work <- it:
			handled++
		case <-ctx.Done():
			unstarted = append(unstarted, it.ID)
		}
	}
	close(work)
	wg.Wait()
	if len(unstarted) > 0 {
		err := n.db.Write(sendCtx, func(c store.Conn) error { return store.ReleaseOutbox(sendCtx, c, unstarted) })
		if err != nil {
			n.log.Error("release unsent messages", "err", err)
		}
	}
	return handled, nil
}

// deliverOne sends one message and records what happened.
func (n *Notifier) deliverOne(ctx context.Context, sess **smtpSession, it store.OutboxItem) {
	attempt := it.Attempts + 1
	var j job
	err := json.Unmarshal([]byte(it.Payload), &j)
	if err != nil {
		err = dropped("unreadable payload")
	} else {
		switch it.Channel {
		case channelEmail:
			err = n.sendEmail(ctx, sess, it, j)
		case channelWebhook:
			err = n.sendWebhook(ctx, it, j)
		default:
			err = dropped("unknown channel " + it.Channel)
		}
	}
	now := n.now()
	var drop dropped
	log := n.log.With("outbox_id", it.ID, "channel", it.Channel, "attempt", attempt)
	mark := func(fn func(store.Conn) error) {
		if err := n.db.Write(ctx, fn); err != nil {
			// The lease runs out and the message is tried again: at least once.
			log.Error("record delivery outcome", "err", err)
		}
	}
	switch {
	case err == nil:
		mark(func(c store.Conn) error { return store.MarkOutboxSent(ctx, c, it.ID, attempt, now) })
	case errors.As(err, &drop):
		log.Debug("message dropped", "reason", string(drop))
		mark(func(c store.Conn) error { return store.MarkOutboxFailed(ctx, c, it.ID, it.Attempts, now, drop.Error()) })
	case permanent(err) || attempt >= n.cfg.MaxAttempts:
		log.Warn("message given up", "err", err)
		mark(func(c store.Conn) error { return store.MarkOutboxFailed(ctx, c, it.ID, attempt, now, errText(err)) })
	default:
		next := now.Add(n.backoff(attempt))
		log.Info("message will be retried", "err", err, "next_at", next)
		mark(func(c store.Conn) error { return store.MarkOutboxRetry(ctx, c, it.ID, attempt, next, errText(err)) })
	}
}

// backoff is the wait after the attempt-th failure: Backoff, doubled each time, capped.
func (n *Notifier) backoff(attempt int) time.Duration {
	d := n.cfg.Backoff
	for i := 1; i < attempt && d < n.cfg.BackoffMax; i++ {
		d *= 2
	}
	return min(d, n.cfg.BackoffMax)
}

func errText(err error) string {
	s := strings.ToValidUTF8(err.Error(), "?")
	if len(s) > 500 {
		s = strings.ToValidUTF8(s[:500], "")
	}
	return s
}

// sendEmail renders an email job and sends it over the worker's SMTP session, opening
// one when needed and dropping it after an error.
func (n *Notifier) sendEmail(ctx context.Context, sess **smtpSession, it store.OutboxItem, j job) error {
	if !n.EmailEnabled() {
		return dropped("email is not configured")
	}
	m, err := n.renderEmail(ctx, j)
	if err != nil {
		return err
	}
	msg := buildMessage(n.from, m.to, m.subject, m.body, n.now(), messageID(it, n.from), n.link(SettingsPath))
	if *sess == nil {
		if *sess, err = n.dialSMTP(ctx); err != nil {
			return err
		}
	}
	if err := (*sess).send(n.from.Address, m.to.Address, msg); err != nil {
		(*sess).close()
		*sess = nil
		return err
	}
	return nil
}
