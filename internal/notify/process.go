package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
)

// Outbox channels.
const (
	channelEmail   = "email"
	channelWebhook = "webhook"
)

// Kinds of outbox job.
const (
	jobTopic   = "topic"   // an email about a new topic
	jobComment = "comment" // an email about a new comment
	jobDigest  = "digest"  // a digest email
	jobEvent   = "event"   // a webhook call about an event
	jobPing    = "ping"    // a webhook test call
)

// job is what the outbox holds for one message: references only. The message is rendered
// when it is sent, from the current state of the topic and the recipient.
type job struct {
	Kind      string  `json:"kind"`
	UserID    int64   `json:"user_id,omitempty"`
	TopicID   int64   `json:"topic_id,omitempty"`
	CommentID int64   `json:"comment_id,omitempty"`
	Mentioned bool    `json:"mentioned,omitempty"`
	Topics    []int64 `json:"topics,omitempty"`
	Period    string  `json:"period,omitempty"`
	WebhookID int64   `json:"webhook_id,omitempty"`
	Event     string  `json:"event,omitempty"`
	At        int64   `json:"at,omitempty"`        // when it happened, Unix ms
	CaseID    int64   `json:"case_id,omitempty"`   // consultation desk (desk.go)
	NoticeID  int64   `json:"notice_id,omitempty"` // observation notices (observe)
}

func (j job) encode() string {
	b, _ := json.Marshal(j)
	return string(b)
}

// plan is what processing decided and has not yet written.
type plan struct {
	outbox []store.OutboxItem
	digest []digestAdd
}

type digestAdd struct {
	userID, topicID int64
	at              time.Time
	reopen          bool
}

func (p *plan) size() int { return len(p.outbox) + len(p.digest) }

// write queues the plan in the caller's transaction. Every row is idempotent (the outbox's
// dedupe key, the digest's primary key), so writing a plan twice changes nothing.
func (n *Notifier) write(ctx context.Context, c store.Conn, p *plan) error {
	now := n.now()
	for _, o := range p.outbox {
		if _, err := store.QueueOutbox(ctx, c, o, now); err != nil {
			return err
		}
	}
	for _, d := range p.digest {
		if err := store.AddDigestItem(ctx, c, d.userID, d.topicID, d.at, d.reopen); err != nil {
			return err
		}
	}
	return nil
}

// flushIfFull writes a large plan early, in its own transaction, without moving the
// cursor: a community of many thousands is queued in pages, and a crash half-way only
// replays rows that are already there.
func (n *Notifier) flushIfFull(ctx context.Context, p *plan) error {
	if p.size() < n.cfg.PageSize {
		return nil
	}
	if err := n.db.Write(ctx, func(c store.Conn) error { return n.write(ctx, c, p) }); err != nil {
		return err
	}
	*p = plan{}
	return nil
}

var errRaced = errors.New("another node moved the cursor")

// Process handles the next batch of events after the cursor and reports how many it
// handled (0 when the log is read to the end).
func (n *Notifier) Process(ctx context.Context) (int, error) {
	cursor, err := n.cursor(ctx)
	if err != nil {
		return 0, err
	}
	events, err := store.ListEvents(ctx, n.db.Read(), cursor, n.cfg.BatchSize)
	if err != nil {
		return 0, err
	}
	if events = n.contiguous(cursor, events); len(events) == 0 {
		return 0, nil
	}
	var p plan
	for _, e := range events {
		if err := n.planEvent(ctx, e, &p); err != nil {
			return 0, fmt.Errorf("event %d (%s): %w", e.ID, e.Kind, err)
		}
	}
	last := events[len(events)-1].ID
	err = n.db.Write(ctx, func(c store.Conn) error {
		if err := n.write(ctx, c, &p); err != nil {
			return err
		}
		moved, err := store.AdvanceCursor(ctx, c, CursorName, cursor, last, n.now())
		if err == nil && !moved {
			err = errRaced
		}
		return err
	})
	if errors.Is(err, errRaced) {
		return 0, nil // the other node queued the same rows; go on from where it got
	}
	if err != nil {
		return 0, err
	}
	return len(events), nil
}

// contiguous returns the events up to the first gap in their ids that may yet be filled.
// On PostgreSQL an id is handed out when a transaction inserts its event, so a transaction
// that commits later can own a lower id than events already visible; moving the cursor past
// it would lose that event for good. A gap is therefore waited for until the event after
// it is Config.EventGapWait old, and then taken for an insert that was rolled back. On
// SQLite, with one writer, events commit in id order and there are no such gaps.
func (n *Notifier) contiguous(cursor int64, events []store.Event) []store.Event {
	next := cursor + 1
	now := n.now()
	for i, e := range events {
		if e.ID != next && now.Sub(e.CreatedAt) < n.cfg.EventGapWait {
			return events[:i]
		}
		next = e.ID + 1
	}
	return events
}

// cursor returns the notifier's position in the event log, creating it on the very first
// run just before the events of the last Config.FirstStart.
func (n *Notifier) cursor(ctx context.Context) (int64, error) {
	c := n.db.Read()
	id, ok, err := store.GetCursor(ctx, c, CursorName)
	if err != nil || ok {
		return id, err
	}
	start, err := store.LastEventBefore(ctx, c, n.now().Add(-n.cfg.FirstStart))
	if err != nil {
		return 0, err
	}
	if err := n.db.Write(ctx, func(c store.Conn) error { return store.InitCursor(ctx, c, CursorName, start, n.now()) }); err != nil {
		return 0, err
	}
	id, _, err = store.GetCursor(ctx, n.db.Read(), CursorName)
	return id, err
}

func (n *Notifier) planEvent(ctx context.Context, e store.Event, p *plan) error {
	switch e.Kind {
	case sns.EventTopicCreated, sns.EventTopicWidened:
		return n.planTopic(ctx, e, p)
	case sns.EventCommentCreated:
		return n.planComment(ctx, e, p)
	}
	return nil
}

// loadTopic returns a topic that is not deleted with its policy facts; ok is false for a
// missing or deleted one.
func loadTopic(ctx context.Context, c store.Conn, id int64) (model.Topic, model.Audience, policy.TopicFacts, bool, error) {
	t, err := store.GetTopic(ctx, c, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Deleted()) {
		return t, model.Audience{}, policy.TopicFacts{}, false, nil
	}
	if err != nil {
		return t, model.Audience{}, policy.TopicFacts{}, false, err
	}
	var aud model.Audience
	if t.Scope == model.ScopeSelected {
		if aud, err = store.GetAudience(ctx, c, id); err != nil {
			return t, aud, policy.TopicFacts{}, false, err
		}
	}
	return t, aud, sns.Facts(t, aud), true, nil
}

// planTopic: a topic was posted, or its audience widened. Everyone who may now see it is
// told, once (a widening reaches the new audience only, by the dedupe keys); so is every
// organization whose webhook receives it.
func (n *Notifier) planTopic(ctx context.Context, e store.Event, p *plan) error {
	c := n.db.Read()
	t, aud, facts, ok, err := loadTopic(ctx, c, e.TopicID)
	if err != nil || !ok {
		return err
	}
	orgs, users, err := audienceOf(ctx, c, t, aud)
	if err != nil {
		return err
	}
	whole := t.Scope == model.ScopeCommunity
	if e.Kind == sns.EventTopicWidened {
		var d struct {
			AddOrgs  []int64 `json:"add_orgs"`
			AddUsers []int64 `json:"add_users"`
		}
		if json.Unmarshal([]byte(e.Detail), &d) == nil && (len(d.AddOrgs) > 0 || len(d.AddUsers) > 0) {
			orgs, users, whole = d.AddOrgs, d.AddUsers, false
		}
	}
	target := func(uid int64, _ bool) (job, string) {
		return job{Kind: jobTopic, UserID: uid, TopicID: t.ID, At: e.CreatedAt.UnixMilli()},
			fmt.Sprintf("email:topic:%d:user:%d", t.ID, uid)
	}
	if err := n.reach(ctx, c, p, e, t, facts, orgs, users, whole, nil, target, false); err != nil {
		return err
	}
	return n.planWebhooks(ctx, c, p, e, t, facts, orgs, func(hookID int64) string {
		return fmt.Sprintf("webhook:%d:topic:%d", hookID, t.ID)
	})
}

// audienceOf returns the organizations and people through whom a topic may be seen:
// the community's members, or the named audience. The author sees it too, but is the
// actor of the events that use this.
func audienceOf(ctx context.Context, c store.Conn, t model.Topic, aud model.Audience) (orgs, users []int64, err error) {
	if t.Scope == model.ScopeSelected {
		return aud.Orgs, aud.Users, nil
	}
	if orgs, err = store.CommunityOrgIDs(ctx, c, t.CommunityID); err != nil {
		return nil, nil, err
	}
	users, err = store.CommunityUserIDs(ctx, c, t.CommunityID)
	return orgs, users, err
}

// planComment: a comment was added. The topic's author, the earlier commenters and the
// people and organizations mentioned are told, among those who may see the topic.
func (n *Notifier) planComment(ctx context.Context, e store.Event, p *plan) error {
	c := n.db.Read()
	t, aud, facts, ok, err := loadTopic(ctx, c, e.TopicID)
	if err != nil || !ok {
		return err
	}
	x, err := store.GetComment(ctx, c, e.CommentID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (x.Deleted() || x.TopicID != t.ID)) {
		return nil
	}
	if err != nil {
		return err
	}
	users, err := store.TopicCommenters(ctx, c, t.ID, x.ID)
	if err != nil {
		return err
	}
	users = append(users, t.AuthorID)
	mOrgs, mUsers, err := store.ListMentions(ctx, c, e.ID)
	if err != nil {
		return err
	}
	users = append(users, mUsers...)
	mentioned := map[int64]bool{}
	for _, u := range mUsers {
		mentioned[u] = true
	}
	target := func(uid int64, isMentioned bool) (job, string) {
		return job{Kind: jobComment, UserID: uid, TopicID: t.ID, CommentID: x.ID, Mentioned: isMentioned, At: e.CreatedAt.UnixMilli()},
			fmt.Sprintf("email:comment:%d:user:%d", x.ID, uid)
	}
	if err := n.reach(ctx, c, p, e, t, facts, mOrgs, users, false, mentioned, target, true); err != nil {
		return err
	}
	orgs, _, err := audienceOf(ctx, c, t, aud)
	if err != nil {
		return err
	}
	return n.planWebhooks(ctx, c, p, e, t, facts, orgs, func(hookID int64) string {
		return fmt.Sprintf("webhook:%d:comment:%d", hookID, x.ID)
	})
}

// reach decides, for the people named and the people of the organizations named, page by
// page, who is told and how. Only those policy.CanViewTopic lets see the topic are; the
// actor never is.
//
// wholeCommunity says that orgs are all the member organizations of the topic's community.
func (n *Notifier) reach(ctx context.Context, c store.Conn, p *plan, e store.Event, t model.Topic, facts policy.TopicFacts,
	orgs, users []int64, wholeCommunity bool, mentioned map[int64]bool, target func(uid int64, mentioned bool) (job, string), reopen bool) error {
	if !n.EmailEnabled() {
		return nil
	}
	seen := map[int64]bool{e.ActorID: true}
	page := func(ids []int64) error {
		var fresh []int64
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				fresh = append(fresh, id)
			}
		}
		if len(fresh) == 0 {
			return nil
		}
		people, err := store.Recipients(ctx, c, fresh)
		if err != nil {
			return err
		}
		prefs, err := store.NotifyPrefsFor(ctx, c, fresh)
		if err != nil {
			return err
		}
		for _, r := range people {
			if r.User.ID == e.ActorID || !policy.CanViewTopic(auth.ActorFor(r.User, r.Communities), facts) {
				continue
			}
			n.choose(p, e, t, r.User.ID, prefs[r.User.ID], mentioned[r.User.ID], target, reopen)
		}
		return n.flushIfFull(ctx, p)
	}
	users = slices.Clone(users)
	slices.Sort(users)
	users = slices.Compact(users)
	for len(users) > 0 {
		k := min(len(users), n.cfg.PageSize)
		if err := page(users[:k]); err != nil {
			return err
		}
		users = users[k:]
	}
	// The people of the organizations: one organization at a time, or, for a community of
	// very many member organizations, in one pass over everyone.
	walk := func(next func(after int64) ([]int64, error)) error {
		var after int64
		for {
			ids, err := next(after)
			if err != nil {
				return err
			}
			if err := page(ids); err != nil {
				return err
			}
			if len(ids) < n.cfg.PageSize {
				return nil
			}
			after = ids[len(ids)-1]
		}
	}
	if wholeCommunity && len(orgs) > manyOrgs {
		return walk(func(after int64) ([]int64, error) {
			return store.CommunityOrgPeopleIDs(ctx, c, t.CommunityID, after, n.cfg.PageSize)
		})
	}
	for _, org := range orgs {
		if err := walk(func(after int64) ([]int64, error) {
			return store.OrgPeopleIDs(ctx, c, org, after, n.cfg.PageSize)
		}); err != nil {
			return err
		}
	}
	return nil
}

// manyOrgs is the number of member organizations above which the people of a community are
// found in one pass over everyone rather than one organization at a time.
var manyOrgs = 100

// choose applies a person's preferences: a 【重要】 topic by email at once, in the digest
// or not at all; anything else in the hourly or daily digest, or not at all.
func (n *Notifier) choose(p *plan, e store.Event, t model.Topic, uid int64, pref store.NotifyPrefs, mentioned bool,
	target func(int64, bool) (job, string), reopen bool) {
	toDigest := false
	if t.Priority == model.PriorityImportant {
		switch pref.Important {
		case ImportantImmediate:
			j, key := target(uid, mentioned)
			p.outbox = append(p.outbox, store.OutboxItem{Channel: channelEmail, DedupeKey: key,
				Recipient: fmt.Sprintf("user:%d", uid), Payload: j.encode()})
		case ImportantDigest:
			toDigest = true
		}
	} else {
		toDigest = pref.Others == OthersHourly || pref.Others == OthersDaily
	}
	if toDigest {
		p.digest = append(p.digest, digestAdd{userID: uid, topicID: t.ID, at: e.CreatedAt, reopen: reopen})
	}
}

// planWebhooks queues a call to each active webhook of an organization that receives the
// topic (policy.OrgReceives), among the organizations given.
func (n *Notifier) planWebhooks(ctx context.Context, c store.Conn, p *plan, e store.Event, t model.Topic, facts policy.TopicFacts,
	orgs []int64, key func(hookID int64) string) error {
	var hooks []store.Webhook
	var err error
	if t.Scope == model.ScopeCommunity && e.Kind != sns.EventTopicWidened {
		hooks, err = store.WebhooksForCommunity(ctx, c, t.CommunityID)
	} else {
		hooks, err = store.WebhooksForOrgs(ctx, c, orgs)
	}
	if err != nil {
		return err
	}
	comms := map[int64][]int64{}
	for _, h := range hooks {
		cs, ok := comms[h.OrgID]
		if !ok {
			if cs, err = store.OrgCommunityIDs(ctx, c, h.OrgID); err != nil {
				return err
			}
			comms[h.OrgID] = cs
		}
		if !policy.OrgReceives(h.OrgID, cs, facts) {
			continue
		}
		j := job{Kind: jobEvent, WebhookID: h.ID, Event: e.Kind, TopicID: t.ID, CommentID: e.CommentID, At: e.CreatedAt.UnixMilli()}
		p.outbox = append(p.outbox, store.OutboxItem{Channel: channelWebhook, DedupeKey: key(h.ID),
			Recipient: fmt.Sprintf("webhook:%d", h.ID), Payload: j.encode()})
	}
	return n.flushIfFull(ctx, p)
}
