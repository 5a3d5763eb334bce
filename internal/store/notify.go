package store

import (
	"context"
	"errors"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
)

// The queries of the notifier (internal/notify): its cursor in the event log, the people a
// topic may reach, notification preferences, digest items, organizations' webhooks and the
// delivery queue (outbox). The notifier decides who receives what with the policy package;
// these queries only gather candidates and record decisions.

// ---- Cursor ----

// GetCursor returns where the named consumer of the event log has got to, and whether it
// has a cursor at all.
func GetCursor(ctx context.Context, c Conn, name string) (int64, bool, error) {
	var id int64
	err := c.QueryRow(ctx, "SELECT event_id FROM event_cursors WHERE name = ?", name).Scan(&id)
	if err = classify(err); errors.Is(err, ErrNotFound) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// InitCursor creates a consumer's cursor at the given event unless it exists.
func InitCursor(ctx context.Context, c Conn, name string, eventID int64, now time.Time) error {
	_, err := c.Exec(ctx, "INSERT INTO event_cursors (name, event_id, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
		name, eventID, ms(now))
	return classify(err)
}

// AdvanceCursor moves a cursor from one event to a later one, in the caller's transaction.
// It reports false, changing nothing, when the cursor is no longer at from (another node
// got there first): the caller then rolls back.
func AdvanceCursor(ctx context.Context, c Conn, name string, from, to int64, now time.Time) (bool, error) {
	res, err := c.Exec(ctx, "UPDATE event_cursors SET event_id = ?, updated_at = ? WHERE name = ? AND event_id = ?",
		to, ms(now), name, from)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// LastEventBefore returns the id of the newest event created before t, 0 when none.
func LastEventBefore(ctx context.Context, c Conn, t time.Time) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, "SELECT COALESCE(MAX(id), 0) FROM events WHERE created_at < ?", ms(t)).Scan(&id)
	return id, err
}

// ---- People a topic may reach ----

// Recipient is an active person (neither they nor their organization disabled) with the
// communities they belong to: the facts the policy predicate needs.
type Recipient struct {
	User        model.User
	Communities []int64
}

// Recipients loads the active people among ids with their communities, in id order. Two
// queries for the whole batch, whatever its size (callers pass at most a few hundred).
func Recipients(ctx context.Context, c Conn, ids []int64) ([]Recipient, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := c.Query(ctx, "SELECT "+userColumns+` FROM users u JOIN orgs o ON o.id = u.org_id
		WHERE u.id IN (`+placeholders(len(ids))+`) AND u.disabled = FALSE AND o.disabled = FALSE ORDER BY u.id`, int64Args(ids)...)
	users, err := collect(rows, err, scanUser)
	if err != nil || len(users) == 0 {
		return nil, err
	}
	active := make([]int64, len(users))
	for i, u := range users {
		active[i] = u.ID
	}
	in := placeholders(len(active))
	args := append(int64Args(active), int64Args(active)...)
	rows, err = c.Query(ctx, `SELECT u.id, m.community_id FROM users u JOIN community_members m ON m.org_id = u.org_id
		WHERE u.id IN (`+in+`)
		UNION SELECT m.user_id, m.community_id FROM community_members m WHERE m.user_id IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	comms := map[int64][]int64{}
	for rows.Next() {
		var uid, cid int64
		if err := rows.Scan(&uid, &cid); err != nil {
			return nil, err
		}
		comms[uid] = append(comms[uid], cid)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Recipient, len(users))
	for i, u := range users {
		out[i] = Recipient{User: u, Communities: comms[u.ID]}
	}
	return out, nil
}

// OrgPeopleIDs returns a page of the active people of an organization, in id order after
// the cursor (index users_org).
func OrgPeopleIDs(ctx context.Context, c Conn, orgID, after int64, limit int) ([]int64, error) {
	rows, err := c.Query(ctx, "SELECT id FROM users WHERE org_id = ? AND id > ? AND disabled = FALSE ORDER BY id LIMIT ?",
		orgID, after, Page{Limit: limit}.limit())
	return collect(rows, err, scanID)
}

// CommunityOrgPeopleIDs returns a page of the active people whose organization is a member
// of a community as a whole, in id order after the cursor. It walks the people in id
// order, so a whole pass costs one look at each person: for a community of very many
// organizations, cheaper than one query per organization.
func CommunityOrgPeopleIDs(ctx context.Context, c Conn, communityID, after int64, limit int) ([]int64, error) {
	rows, err := c.Query(ctx, `SELECT u.id FROM users u WHERE u.id > ? AND u.disabled = FALSE
		AND u.org_id IN (SELECT org_id FROM community_members WHERE community_id = ? AND org_id IS NOT NULL)
		ORDER BY u.id LIMIT ?`, after, communityID, Page{Limit: limit}.limit())
	return collect(rows, err, scanID)
}

// TopicCommenters returns the authors of a topic's comments written before the given
// comment (those not deleted).
func TopicCommenters(ctx context.Context, c Conn, topicID, beforeComment int64) ([]int64, error) {
	rows, err := c.Query(ctx, `SELECT DISTINCT author_id FROM comments WHERE topic_id = ? AND id < ? AND deleted_at = 0
		ORDER BY author_id LIMIT 5000`, topicID, beforeComment)
	return collect(rows, err, scanID)
}

// ---- Preferences ----

// NotifyPrefs are one person's choices: how 【重要】 topics reach them (immediate, digest,
// none) and how the rest do (hourly, daily, none).
type NotifyPrefs struct {
	UserID    int64
	Important string
	Others    string
	UpdatedAt time.Time
}

// Default notification choices, for people who never chose.
const (
	DefaultImportantPref = "immediate"
	DefaultOthersPref    = "daily"
)

// GetNotifyPrefs returns a person's choices, the defaults when they never chose.
func GetNotifyPrefs(ctx context.Context, c Conn, userID int64) (NotifyPrefs, error) {
	m, err := NotifyPrefsFor(ctx, c, []int64{userID})
	return m[userID], err
}

// NotifyPrefsFor returns the choices of several people, defaults filled in.
func NotifyPrefsFor(ctx context.Context, c Conn, ids []int64) (map[int64]NotifyPrefs, error) {
	out := make(map[int64]NotifyPrefs, len(ids))
	for _, id := range ids {
		out[id] = NotifyPrefs{UserID: id, Important: DefaultImportantPref, Others: DefaultOthersPref}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := c.Query(ctx, "SELECT user_id, important, others, updated_at FROM notify_prefs WHERE user_id IN ("+
		placeholders(len(ids))+")", int64Args(ids)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p NotifyPrefs
		var at int64
		if err := rows.Scan(&p.UserID, &p.Important, &p.Others, &at); err != nil {
			return nil, err
		}
		p.UpdatedAt = fromMS(at)
		out[p.UserID] = p
	}
	return out, rows.Err()
}

// SetNotifyPrefs records a person's choices.
func SetNotifyPrefs(ctx context.Context, c Conn, p NotifyPrefs, now time.Time) error {
	_, err := c.Exec(ctx, `INSERT INTO notify_prefs (user_id, important, others, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET important = excluded.important, others = excluded.others, updated_at = excluded.updated_at`,
		p.UserID, p.Important, p.Others, ms(now))
	return classify(err)
}

// ---- Digest items ----

// AddDigestItem puts a topic into a person's next digest, at the time of the event that
// brought it. A topic already waiting stays once. With reopen (new activity on a topic, a
// comment), a topic already sent in a digest before at waits again; after at it was sent
// with that activity in it, so replaying the same event changes nothing.
func AddDigestItem(ctx context.Context, c Conn, userID, topicID int64, at time.Time, reopen bool) error {
	q := "INSERT INTO digest_items (user_id, topic_id, added_at) VALUES (?, ?, ?) ON CONFLICT (user_id, topic_id) DO NOTHING"
	if reopen {
		q = `INSERT INTO digest_items (user_id, topic_id, added_at) VALUES (?, ?, ?) ON CONFLICT (user_id, topic_id)
			DO UPDATE SET sent_at = 0, added_at = excluded.added_at
			WHERE digest_items.sent_at > 0 AND digest_items.sent_at < excluded.added_at`
	}
	_, err := c.Exec(ctx, q, userID, topicID, ms(at))
	return classify(err)
}

// DigestDueUsers returns, after the cursor in id order, the people with items waiting that
// were added before their digest's cut-off: hourlyCut for those who chose hourly,
// dailyCut for everyone else.
func DigestDueUsers(ctx context.Context, c Conn, hourlyCut, dailyCut time.Time, after int64, limit int) ([]int64, error) {
	rows, err := c.Query(ctx, `SELECT DISTINCT d.user_id FROM digest_items d LEFT JOIN notify_prefs p ON p.user_id = d.user_id
		WHERE d.sent_at = 0 AND d.user_id > ?
		AND (d.added_at < ? AND p.others = 'hourly' OR d.added_at < ? AND COALESCE(p.others, '') <> 'hourly')
		ORDER BY d.user_id LIMIT ?`, after, ms(hourlyCut), ms(dailyCut), Page{Limit: limit}.limit())
	return collect(rows, err, scanID)
}

// DigestItem is a topic waiting in a person's digest.
type DigestItem struct {
	TopicID int64
	AddedAt time.Time
}

// PendingDigestItems returns, oldest first, up to limit items of a person added before the
// cut-off and not yet sent. On PostgreSQL the rows stay locked until the caller's
// transaction ends, so that two nodes never put the same item in two digests.
func PendingDigestItems(ctx context.Context, c Conn, userID int64, before time.Time, limit int) ([]DigestItem, error) {
	q := `SELECT topic_id, added_at FROM digest_items WHERE user_id = ? AND sent_at = 0 AND added_at < ?
		ORDER BY added_at, topic_id LIMIT ?`
	if c.Backend() == Postgres {
		q += " FOR UPDATE"
	}
	rows, err := c.Query(ctx, q, userID, ms(before), Page{Limit: limit}.limit())
	return collect(rows, err, func(s scanner) (DigestItem, error) {
		var d DigestItem
		var at int64
		err := s.Scan(&d.TopicID, &at)
		d.AddedAt = fromMS(at)
		return d, err
	})
}

// MarkDigestSent marks items as taken into a digest (or dropped).
func MarkDigestSent(ctx context.Context, c Conn, userID int64, topicIDs []int64, now time.Time) error {
	if len(topicIDs) == 0 {
		return nil
	}
	_, err := c.Exec(ctx, "UPDATE digest_items SET sent_at = ? WHERE user_id = ? AND sent_at = 0 AND topic_id IN ("+
		placeholders(len(topicIDs))+")", append([]any{ms(now), userID}, int64Args(topicIDs)...)...)
	return err
}

// CountPendingDigest returns how many items wait in a person's digest.
func CountPendingDigest(ctx context.Context, c Conn, userID int64) (int, error) {
	var n int
	err := c.QueryRow(ctx, "SELECT COUNT(*) FROM digest_items WHERE user_id = ? AND sent_at = 0", userID).Scan(&n)
	return n, err
}

// ---- Webhooks ----

// Webhook is an organization's endpoint for event calls. Secret is sealed.
type Webhook struct {
	ID        int64
	OrgID     int64
	URL       string
	Secret    string
	Active    bool
	CreatedBy int64
	CreatedAt time.Time
}

const webhookColumns = "w.id, w.org_id, w.url, w.secret, w.active, w.created_by, w.created_at"

func scanWebhook(s scanner) (Webhook, error) {
	var w Webhook
	var at int64
	err := s.Scan(&w.ID, &w.OrgID, &w.URL, &w.Secret, &w.Active, &w.CreatedBy, &at)
	w.CreatedAt = fromMS(at)
	return w, classify(err)
}

// InsertWebhook adds a webhook; its secret is set afterwards with SetWebhookSecret, sealed
// for the id returned.
func InsertWebhook(ctx context.Context, c Conn, w Webhook, now time.Time) (int64, error) {
	var id int64
	err := c.QueryRow(ctx, `INSERT INTO webhooks (org_id, url, secret, active, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, w.OrgID, w.URL, w.Secret, w.Active, w.CreatedBy, ms(now)).Scan(&id)
	return id, classify(err)
}

// SetWebhookSecret replaces a webhook's sealed secret.
func SetWebhookSecret(ctx context.Context, c Conn, id int64, sealed string) error {
	res, err := c.Exec(ctx, "UPDATE webhooks SET secret = ? WHERE id = ?", sealed, id)
	return affected(res, err)
}

// SetWebhookActive pauses or resumes a webhook.
func SetWebhookActive(ctx context.Context, c Conn, id int64, active bool) error {
	res, err := c.Exec(ctx, "UPDATE webhooks SET active = ? WHERE id = ?", active, id)
	return affected(res, err)
}

// DeleteWebhook removes a webhook.
func DeleteWebhook(ctx context.Context, c Conn, id int64) error {
	res, err := c.Exec(ctx, "DELETE FROM webhooks WHERE id = ?", id)
	return affected(res, err)
}

// GetWebhook returns one webhook.
func GetWebhook(ctx context.Context, c Conn, id int64) (Webhook, error) {
	return scanWebhook(c.QueryRow(ctx, "SELECT "+webhookColumns+" FROM webhooks w WHERE w.id = ?", id))
}

// ListWebhooks returns an organization's webhooks.
func ListWebhooks(ctx context.Context, c Conn, orgID int64) ([]Webhook, error) {
	rows, err := c.Query(ctx, "SELECT "+webhookColumns+" FROM webhooks w WHERE w.org_id = ? ORDER BY w.id LIMIT 100", orgID)
	return collect(rows, err, scanWebhook)
}

// CountWebhooks returns how many webhooks an organization has.
func CountWebhooks(ctx context.Context, c Conn, orgID int64) (int, error) {
	var n int
	err := c.QueryRow(ctx, "SELECT COUNT(*) FROM webhooks WHERE org_id = ?", orgID).Scan(&n)
	return n, err
}

// WebhooksForCommunity returns the active webhooks of the active organizations that are
// members of a community as a whole.
func WebhooksForCommunity(ctx context.Context, c Conn, communityID int64) ([]Webhook, error) {
	rows, err := c.Query(ctx, "SELECT "+webhookColumns+` FROM webhooks w JOIN orgs o ON o.id = w.org_id
		WHERE w.active = TRUE AND o.disabled = FALSE
		AND w.org_id IN (SELECT org_id FROM community_members WHERE community_id = ? AND org_id IS NOT NULL)
		ORDER BY w.id`, communityID)
	return collect(rows, err, scanWebhook)
}

// WebhooksForOrgs returns the active webhooks of the given active organizations.
func WebhooksForOrgs(ctx context.Context, c Conn, orgIDs []int64) ([]Webhook, error) {
	var out []Webhook
	for len(orgIDs) > 0 {
		n := min(len(orgIDs), 500)
		rows, err := c.Query(ctx, "SELECT "+webhookColumns+` FROM webhooks w JOIN orgs o ON o.id = w.org_id
			WHERE w.active = TRUE AND o.disabled = FALSE AND w.org_id IN (`+placeholders(n)+`) ORDER BY w.id`,
			int64Args(orgIDs[:n])...)
		hooks, err := collect(rows, err, scanWebhook)
		if err != nil {
			return nil, err
		}
		out = append(out, hooks...)
		orgIDs = orgIDs[n:]
	}
	return out, nil
}

// ---- Outbox ----

// OutboxItem is one message to deliver: an email or a webhook call.
type OutboxItem struct {
	ID          int64
	Channel     string
	DedupeKey   string
	Recipient   string
	Payload     string
	Attempts    int
	NextAt      time.Time
	LeasedUntil time.Time
	SentAt      time.Time
	FailedAt    time.Time
	LastError   string
	CreatedAt   time.Time
}

const outboxColumns = "id, channel, dedupe_key, recipient, payload, attempts, next_at, leased_until, sent_at, failed_at, last_error, created_at"

func scanOutbox(s scanner) (OutboxItem, error) {
	var o OutboxItem
	var next, lease, sent, failed, created int64
	err := s.Scan(&o.ID, &o.Channel, &o.DedupeKey, &o.Recipient, &o.Payload, &o.Attempts, &next, &lease, &sent, &failed,
		&o.LastError, &created)
	o.NextAt, o.LeasedUntil, o.SentAt, o.FailedAt, o.CreatedAt = fromMS(next), fromMS(lease), fromMS(sent), fromMS(failed), fromMS(created)
	return o, classify(err)
}

// QueueOutbox adds a message to deliver now, unless one with the same dedupe key was ever
// queued; it reports whether it was added.
func QueueOutbox(ctx context.Context, c Conn, o OutboxItem, now time.Time) (bool, error) {
	next := o.NextAt
	if next.IsZero() {
		next = now
	}
	res, err := c.Exec(ctx, `INSERT INTO outbox (channel, dedupe_key, recipient, payload, next_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING`,
		o.Channel, o.DedupeKey, o.Recipient, o.Payload, ms(next), ms(now))
	if err != nil {
		return false, classify(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ClaimOutbox leases up to limit messages that are due (not sent, not failed, next_at
// reached, no live lease) until leaseUntil, in the caller's transaction. On PostgreSQL
// rows another node is claiming are skipped (FOR UPDATE SKIP LOCKED); SQLite has one
// writer, which is enough.
func ClaimOutbox(ctx context.Context, c Conn, now, leaseUntil time.Time, limit int) ([]OutboxItem, error) {
	lock := ""
	if c.Backend() == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	rows, err := c.Query(ctx, `UPDATE outbox SET leased_until = ? WHERE id IN (
		SELECT id FROM outbox WHERE sent_at = 0 AND failed_at = 0 AND next_at <= ? AND leased_until <= ?
		ORDER BY next_at, id LIMIT ?`+lock+`) RETURNING `+outboxColumns,
		ms(leaseUntil), ms(now), ms(now), Page{Limit: limit}.limit())
	return collect(rows, err, scanOutbox)
}

// ReleaseOutbox gives up the lease of messages claimed but not tried.
func ReleaseOutbox(ctx context.Context, c Conn, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := c.Exec(ctx, "UPDATE outbox SET leased_until = 0 WHERE sent_at = 0 AND id IN ("+placeholders(len(ids))+")", int64Args(ids)...)
	return err
}

// MarkOutboxSent records a delivery.
func MarkOutboxSent(ctx context.Context, c Conn, id int64, attempts int, now time.Time) error {
	_, err := c.Exec(ctx, "UPDATE outbox SET sent_at = ?, attempts = ?, leased_until = 0, last_error = '' WHERE id = ? AND sent_at = 0",
		ms(now), attempts, id)
	return err
}

// MarkOutboxRetry records a failed attempt and when to try again.
func MarkOutboxRetry(ctx context.Context, c Conn, id int64, attempts int, next time.Time, lastError string) error {
	_, err := c.Exec(ctx, "UPDATE outbox SET attempts = ?, next_at = ?, leased_until = 0, last_error = ? WHERE id = ? AND sent_at = 0",
		attempts, ms(next), lastError, id)
	return err
}

// MarkOutboxFailed gives a message up: after the last attempt, or when there is nothing
// left to send (lastError says which).
func MarkOutboxFailed(ctx context.Context, c Conn, id int64, attempts int, now time.Time, lastError string) error {
	_, err := c.Exec(ctx, "UPDATE outbox SET attempts = ?, failed_at = ?, leased_until = 0, last_error = ? WHERE id = ? AND sent_at = 0",
		attempts, ms(now), lastError, id)
	return err
}

// GetOutbox returns one message by its dedupe key.
func GetOutbox(ctx context.Context, c Conn, dedupeKey string) (OutboxItem, error) {
	return scanOutbox(c.QueryRow(ctx, "SELECT "+outboxColumns+" FROM outbox WHERE dedupe_key = ?", dedupeKey))
}

// ListOutbox returns messages in id order after the cursor, for tests and the admin page.
func ListOutbox(ctx context.Context, c Conn, p Page) ([]OutboxItem, error) {
	rows, err := c.Query(ctx, "SELECT "+outboxColumns+" FROM outbox WHERE id > ? ORDER BY id LIMIT ?", p.After, p.limit())
	return collect(rows, err, scanOutbox)
}

// OutboxCounts are the sizes of the delivery queue.
type OutboxCounts struct {
	Pending int // not yet sent, not given up
	Failed  int // given up
	Sent    int
}

// CountOutbox returns the sizes of the delivery queue.
func CountOutbox(ctx context.Context, c Conn) (OutboxCounts, error) {
	var o OutboxCounts
	err := c.QueryRow(ctx, `SELECT
		COALESCE(SUM(CASE WHEN sent_at = 0 AND failed_at = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN failed_at > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN sent_at > 0 THEN 1 ELSE 0 END), 0) FROM outbox`).Scan(&o.Pending, &o.Failed, &o.Sent)
	return o, err
}
