package leaktest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/live"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/notify"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// More of the sharing SNS's read paths, over the topics generateTopics made: what the
// live event stream lets through, and who may see a topic's read progress. The
// notifications are checked by TestLeakNotifications below.
func init() {
	kinds = append(kinds,
		kindSpec[policy.TopicFacts]{
			name:    "topic (derived views)",
			items:   colTopics,
			facts:   topicFacts,
			allowed: policy.CanViewTopic,
			paths: []path{
				// The live stream (SSE) passes an event to a viewer only if live.Visible says so.
				{name: "live.Visible(topic.created, every id)", ids: func(c *call) ([]int64, error) {
					var out []int64
					for _, id := range c.all {
						if live.Visible(c.ctx, c.w.env.SNS, c.v.p, store.Event{TopicID: id, Kind: sns.EventTopicCreated}) {
							out = append(out, id)
						}
					}
					return out, nil
				}},
			},
		}.kind(),

		kindSpec[progressFacts]{
			name:    "topic read progress",
			items:   colTopics,
			facts:   loadProgressFacts,
			allowed: progressAllowed,
			paths: []path{
				{name: "sns.Service.Progress (every id)", ids: progressEach(func(c *call, id int64) (int, error) {
					pr, err := c.w.env.SNS.Progress(c.ctx, c.v.p, id)
					switch {
					case err == nil:
						if pr.TopicID != id {
							return 0, fmt.Errorf("asked for the progress of %d, got %d", id, pr.TopicID)
						}
						return http.StatusOK, nil
					case fault.Is(err, fault.NotFound):
						return http.StatusNotFound, nil
					case fault.Is(err, fault.Forbidden):
						return http.StatusForbidden, nil
					}
					return 0, err
				})},
				{name: "GET /api/v1/topics/{id}/progress", api: true, ids: progressEach(func(c *call, id int64) (int, error) {
					u := fmt.Sprintf("/api/v1/topics/%d/progress", id)
					status, body, err := c.get(u)
					if err != nil {
						return 0, err
					}
					if status == http.StatusOK {
						var x struct {
							TopicID int64 `json:"topic_id"`
						}
						if err := json.Unmarshal(body, &x); err != nil || x.TopicID != id {
							return 0, fmt.Errorf("GET %s: not the progress of %d (%v): %.300s", u, id, err, body)
						}
					}
					if status != http.StatusOK && status != http.StatusNotFound && status != http.StatusForbidden {
						return 0, fmt.Errorf("GET %s: status %d, want 200, 403 or 404: %.300s", u, status, body)
					}
					return status, nil
				})},
				{name: "page /topics/{id}/progress", page: true, ids: progressEach(func(c *call, id int64) (int, error) {
					u := fmt.Sprintf("/topics/%d/progress", id)
					status, body, err := c.page(u)
					if err == nil && status != http.StatusOK && status != http.StatusNotFound && status != http.StatusForbidden {
						err = fmt.Errorf("GET %s: status %d, want 200, 403 or 404: %.300s", u, status, body)
					}
					return status, err
				})},
			},
		}.kind(),
	)
}

// progressFacts are what policy.CanViewProgress needs besides the viewer: the topic, and
// the moderators of its community (the viewer's moderator flag is taken from them).
type progressFacts struct {
	topic policy.TopicFacts
	mods  []int64
}

func progressAllowed(a policy.Actor, f progressFacts) bool {
	return policy.CanViewProgress(a, f.topic, slices.Contains(f.mods, a.UserID))
}

// loadProgressFacts loads the topic's facts and asks the store who moderates its
// community, checking that against the generator's record.
func loadProgressFacts(w *world, id int64) progressFacts {
	f := progressFacts{topic: topicFacts(w, id)}
	for _, uid := range w.ids[colPeople] {
		ok, err := store.IsModerator(w.ctx, w.db.Read(), f.topic.CommunityID, uid)
		w.must(err, "is person %d moderator of community %d", uid, f.topic.CommunityID)
		if ok {
			f.mods = append(f.mods, uid)
		}
	}
	built := slices.Sorted(slices.Values(w.mods[f.topic.CommunityID]))
	if !slices.Equal(f.mods, built) {
		w.failf("facts: community %d is moderated by %v as loaded, %v as built", f.topic.CommunityID, f.mods, built)
	}
	return f
}

// progressEach asks for the progress of every id; open returns the status (200, 403 or
// 404). 200 counts the topic; 403 is accepted only where the viewer can see the topic
// (it then only says what the viewer already knows); anything else is reported.
func progressEach(open func(c *call, id int64) (int, error)) func(*call) ([]int64, error) {
	return func(c *call) ([]int64, error) {
		var out []int64
		for _, id := range c.all {
			status, err := open(c, id)
			if err != nil {
				return out, fmt.Errorf("topic %d: %v", id, err)
			}
			switch status {
			case http.StatusOK:
				out = append(out, id)
			case http.StatusForbidden:
				if !slices.Contains(c.w.ids[colTopics], id) || !policy.CanViewTopic(c.v.actor(), topicFacts(c.w, id)) {
					return out, fmt.Errorf("LEAK: topic %d: forbidden, not not found, to a viewer who may not see it", id)
				}
			}
		}
		return out, nil
	}
}

// ---- Notifications ----

// TestLeakNotifications builds random worlds (as many as TestLeak) with email turned on (to a mail server that
// is never reached: nothing is delivered, the messages are only queued), lets the notifier
// read the whole event log, and checks that every email and digest item it queued for a
// person is about a topic that person may see, that the person is active, and that nobody
// is told of a topic they posted themselves.
func TestLeakNotifications(t *testing.T) {
	s := readSettings(t)
	start := 1 + rand.Uint64N(1_000_000_000)
	if s.seed == 0 {
		t.Logf("worlds from seed %d on; rebuild one with RENKEI_LEAK_SEED=N", start)
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		backend := db.Backend()
		seeds := s.seeds(backend, start)
		var total notifyCount
		t.Run("worlds", func(t *testing.T) {
			for i, seed := range seeds {
				t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
					t.Parallel()
					wdb := db
					if i > 0 {
						wdb = testdb.Open(t, backend)
					}
					n := runNotifyWorld(t, wdb, seed)
					total.add(n)
				})
			}
		})
		t.Logf("%s: %d worlds: %d emails and %d digest items queued", backend, total.worlds, total.emails, total.digest)
		if len(seeds) >= 3 && (total.emails == 0 || total.digest == 0) {
			t.Errorf("%s: %d emails and %d digest items over %d worlds: the worlds do not exercise the notifier", backend, total.emails, total.digest, len(seeds))
		}
	})
}

type notifyCount struct {
	mu                     sync.Mutex
	worlds, emails, digest int
}

func (n *notifyCount) add(x *notifyCount) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.worlds++
	n.emails += x.emails
	n.digest += x.digest
}

// runNotifyWorld builds one world, runs the notifier over its events and checks what it
// queued.
func runNotifyWorld(t *testing.T, db *store.DB, seed uint64) *notifyCount {
	cfg := testapp.Config(t)
	cfg.SMTPHost, cfg.SMTPPort, cfg.SMTPTLS = "127.0.0.1", closedPort(t), "none"
	w := newWorldWith(t, db, seed, testapp.NewWith(t, db, cfg))
	g := newGen(w)
	w.pageSize = []int{1, 2, 3, 5, 50}[g.r.IntN(5)]
	g.base()
	generateTopics(g)
	generateImportant(g)
	g.finish()
	w.load()
	if !w.env.Notify.EmailEnabled() {
		t.Fatalf("seed %d: email is off: the notifier would queue nothing", seed)
	}

	// Read the whole event log. A gap in the event ids is waited for (EventGapWait) on
	// the notifier's clock, which only the test moves.
	last, err := store.LastEventID(w.ctx, db.Read())
	w.must(err, "last event")
	for range 2 {
		for {
			n, err := w.env.Notify.Process(w.ctx)
			w.must(err, "notify.Process")
			if n == 0 {
				break
			}
		}
		cursor, _, err := store.GetCursor(w.ctx, db.Read(), notify.CursorName)
		w.must(err, "notifier's cursor")
		if cursor >= last {
			break
		}
		w.env.Clock.Advance(2 * notify.Defaults().EventGapWait)
	}
	if cursor, _, _ := store.GetCursor(w.ctx, db.Read(), notify.CursorName); cursor < last {
		t.Fatalf("seed %d: the notifier stopped at event %d of %d", seed, cursor, last)
	}

	actors := map[int64]policy.Actor{}
	for _, v := range w.viewers {
		if v.p.User.ID != 0 {
			actors[v.p.User.ID] = v.actor()
		}
	}
	facts := map[int64]policy.TopicFacts{}
	for _, id := range w.ids[colTopics] {
		facts[id] = topicFacts(w, id)
	}
	// check reports a message for person uid about topic tid that the person must not get.
	check := func(what string, uid, tid int64, aboutTopic bool) {
		f, known := facts[tid]
		a, person := actors[uid]
		u := w.users[uid]
		switch {
		case !known || !person:
			w.failf("LEAK: %s for person %d about topic %d, which the world does not hold", what, uid, tid)
		case !policy.CanViewTopic(a, f):
			w.failf("LEAK: %s about topic %d (%s) for %s, who may not see it", what, tid, describeTopic(f), w.describePerson(uid))
		case u.Disabled || w.orgs[u.OrgID].Disabled:
			w.failf("LEAK: %s about topic %d for the inactive %s", what, tid, w.describePerson(uid))
		case aboutTopic && f.AuthorID == uid:
			w.failf("%s about topic %d for its own author %s", what, tid, w.describePerson(uid))
		}
	}

	n := &notifyCount{}
	rows, err := db.Read().Query(w.ctx, "SELECT channel, recipient, payload FROM outbox ORDER BY id")
	w.must(err, "read the outbox")
	type row struct{ channel, recipient, payload string }
	var box []row
	for rows.Next() {
		var r row
		w.must(rows.Scan(&r.channel, &r.recipient, &r.payload), "scan the outbox")
		box = append(box, r)
	}
	w.must(rows.Err(), "read the outbox")
	rows.Close()
	for _, r := range box {
		var j struct {
			Kind    string `json:"kind"`
			UserID  int64  `json:"user_id"`
			TopicID int64  `json:"topic_id"`
		}
		if err := json.Unmarshal([]byte(r.payload), &j); err != nil {
			w.failf("outbox payload %q: %v", r.payload, err)
			continue
		}
		if r.channel != "email" {
			w.failf("outbox row on channel %q (%s): the world has no webhooks", r.channel, r.payload)
			continue
		}
		if r.recipient != fmt.Sprintf("user:%d", j.UserID) {
			w.failf("outbox row for %q carries the job of person %d", r.recipient, j.UserID)
		}
		switch j.Kind {
		case "topic", "comment":
			n.emails++
			check("an email ("+j.Kind+")", j.UserID, j.TopicID, j.Kind == "topic")
		default:
			w.failf("outbox row of kind %q queued by Process: %s", j.Kind, r.payload)
		}
	}

	// A digest item does not say which event it came from. Someone else's comment tells a
	// topic's author (generateImportant comments on important topics only, which are
	// emailed at once); anything else reaching the author is about their own topic.
	rows, err = db.Read().Query(w.ctx, `SELECT d.user_id, d.topic_id,
		(SELECT COUNT(*) FROM comments c WHERE c.topic_id = d.topic_id AND c.author_id <> d.user_id)
		FROM digest_items d ORDER BY d.user_id, d.topic_id`)
	w.must(err, "read the digest items")
	type item struct{ uid, tid, others int64 }
	var items []item
	for rows.Next() {
		var it item
		w.must(rows.Scan(&it.uid, &it.tid, &it.others), "scan the digest items")
		items = append(items, it)
	}
	w.must(rows.Err(), "read the digest items")
	rows.Close()
	for _, it := range items {
		n.digest++
		check("a digest item", it.uid, it.tid, it.others == 0)
	}

	t.Logf("seed %d (%s): %d people, %d topics, %d events: %d emails and %d digest items queued",
		seed, db.Backend(), len(w.users), len(w.ids[colTopics]), last, n.emails, n.digest)
	if t.Failed() {
		t.Logf("rebuild this world: RENKEI_LEAK_SEED=%d go test ./internal/leaktest -run 'TestLeakNotifications/%s' -v", seed, db.Backend())
	}
	return n
}

func describeTopic(f policy.TopicFacts) string {
	s := fmt.Sprintf("community %d, %s, TLP:%s, by person %d", f.CommunityID, f.Scope, f.TLP, f.AuthorID)
	if f.Scope == model.ScopeSelected {
		s += fmt.Sprintf(", to organizations %v and people %v", f.AudienceOrgs, f.AudienceUsers)
	}
	if f.Deleted {
		s += ", deleted"
	}
	return s
}

// generateImportant posts an 【重要】 topic in some communities (emailed at once rather than
// put in the digest), and has some other member comment on it, mentioning random people
// and organizations of the community, whether or not they may see the topic.
func generateImportant(g *gen) {
	w := g.w
	tlps := []string{"clear", "green", "amber", "amber+strict", "red"}
	for _, cid := range w.ids[colCommunities] {
		var members []int64
		for _, uid := range w.ids[colPeople] {
			if slices.Contains(w.builtCommunities(uid), cid) {
				members = append(members, uid)
			}
		}
		if len(members) == 0 || !g.chance(0.7) {
			continue
		}
		author := principal(g, members[g.r.IntN(len(members))])
		in := sns.TopicInput{CommunityID: cid, Title: fmt.Sprintf("%s 重要 %d", searchWord, len(w.ids[colTopics])+1), Body: "本文",
			InfoType: string(model.InfoTypes[g.r.IntN(len(model.InfoTypes))]), Priority: string(model.PriorityImportant),
			TLP: tlps[g.r.IntN(len(tlps))], Scope: "community"}
		if in.TLP == "red" || g.chance(0.5) {
			in.Scope = "selected"
			in.Audience = randomAudience(g, cid, members, in.TLP == "red")
		}
		t, err := w.env.SNS.CreateTopic(g.ctx, author, in)
		w.must(err, "create an important topic in community %d", cid)
		w.ids[colTopics] = append(w.ids[colTopics], t.ID)
		for range g.r.IntN(3) {
			other := principal(g, members[g.r.IntN(len(members))])
			if ok, err := w.env.SNS.CanSee(g.ctx, other, t.ID); err != nil || !ok || other.User.ID == author.User.ID {
				continue
			}
			_, err := w.env.SNS.AddComment(g.ctx, other, t.ID, sns.CommentInput{Body: "確認しました",
				Mentions: randomAudience(g, cid, members, false)})
			w.must(err, "comment by %d on topic %d", other.User.ID, t.ID)
		}
	}
}

// closedPort returns a local TCP port on which nothing listens.
func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}
