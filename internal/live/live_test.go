package live_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/live"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// slow is a polling interval long enough that only Wake or NOTIFY explains a prompt event.
const slow = time.Minute

// (a) A subscriber hears of a new topic at once when the writer wakes the hub.
func TestSubscriberReceivesNewTopic(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, live.Options{PollInterval: slow})
		ch, cancel := w.hub.Subscribe(live.FromNow)
		defer cancel()
		start := time.Now()
		tp := w.topic(t, w.pAlice, w.shared, "新しい脆弱性")
		e := recv(t, ch)
		if e.Kind != sns.EventTopicCreated || e.TopicID != tp.ID || e.CommunityID != w.shared.ID {
			t.Fatalf("got %+v; want topic.created of %d", e, tp.ID)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("event took %v", d)
		}
	})
}

// Without any wake-up, polling alone delivers.
func TestPollingAlone(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		h := startHub(t, db, live.Options{PollInterval: 50 * time.Millisecond})
		ch, cancel := h.Subscribe(live.FromNow)
		defer cancel()
		id := insertEvents(t, db, 1)[0]
		if e := recv(t, ch); e.ID != id {
			t.Fatalf("got %d, want %d", e.ID, id)
		}
	})
}

// insertEvents writes n bare events (no topic) and returns their ids.
func insertEvents(t *testing.T, db *store.DB, n int) []int64 {
	t.Helper()
	var ids []int64
	must(t, db.Write(ctx, func(c store.Conn) error {
		for i := 0; i < n; i++ {
			id, err := store.InsertEvent(ctx, c, store.Event{Kind: "test.event"}, time.Now())
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return live.Notify(ctx, c)
	}))
	return ids
}

// (b) Through the hub and Visible: each person is told only of topics they may see.
func TestVisibleFiltersEvents(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, live.Options{PollInterval: slow})
		ch, cancel := w.hub.Subscribe(live.FromNow)
		defer cancel()
		t1 := w.topic(t, w.pAlice, w.shared, "コミュニティ宛")
		t2 := w.topic(t, w.pAlice, w.shared, "エイミー宛", w.amy)
		w.comment(t, w.pAmy, t2.ID, "確認しました")
		t3 := w.topic(t, w.pBob, w.open, "全員宛")

		seen := map[string][]int64{}
		people := map[string]auth.Principal{"alice": w.pAlice, "amy": w.pAmy, "bob": w.pBob, "carl": w.pCarl}
		for range 4 {
			e := recv(t, ch)
			for name, p := range people {
				if live.Visible(ctx, w.env.SNS, p, e) {
					seen[name] = append(seen[name], e.TopicID)
				}
			}
		}
		wantSeen := map[string][]int64{
			"alice": {t1.ID, t2.ID, t2.ID, t3.ID},
			"amy":   {t1.ID, t2.ID, t2.ID, t3.ID},
			"carl":  {t1.ID, t3.ID}, // a member of shared, not named on t2
			"bob":   {t3.ID},        // not a member of shared
		}
		for name, ids := range wantSeen {
			if !slices.Equal(seen[name], ids) {
				t.Errorf("%s saw topics %v; want %v", name, seen[name], ids)
			}
		}

		// A deleted topic is seen by nobody, its author included; an event about no topic
		// is not shown either.
		must(t, w.env.SNS.DeleteTopic(ctx, w.pAlice, t1.ID))
		for name, p := range people {
			if live.Visible(ctx, w.env.SNS, p, store.Event{Kind: sns.EventTopicCreated, TopicID: t1.ID}) {
				t.Errorf("%s sees deleted topic", name)
			}
			if live.Visible(ctx, w.env.SNS, p, store.Event{Kind: "other"}) {
				t.Errorf("%s sees an event about no topic", name)
			}
		}
		if live.Visible(ctx, w.env.SNS, auth.Principal{}, store.Event{TopicID: t3.ID}) {
			t.Error("nobody sees a topic")
		}
	})
}

// (b) Through the SSE handler: each stream carries only what its person may see.
func TestStreamFiltersEvents(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, live.Options{PollInterval: slow})
		url := w.server(t)
		streams := map[string]*sseConn{
			"alice": open(t, url, w.alice), "amy": open(t, url, w.amy),
			"bob": open(t, url, w.bob), "carl": open(t, url, w.carl),
		}
		t1 := w.topic(t, w.pAlice, w.shared, "コミュニティ宛")
		t2 := w.topic(t, w.pAlice, w.shared, "エイミー宛", w.amy)
		w.comment(t, w.pAmy, t2.ID, "確認しました")
		t3 := w.topic(t, w.pBob, w.open, "全員宛")

		all := want("topic.created", t1.ID, "topic.created", t2.ID, "comment.created", t2.ID, "topic.created", t3.ID)
		wantGot := map[string]string{
			"alice": all,
			"amy":   all,
			"carl":  want("topic.created", t1.ID, "topic.created", t3.ID),
			"bob":   want("topic.created", t3.ID),
		}
		for name, c := range streams {
			if g := got(c.until(t, t3.ID)); g != wantGot[name] {
				t.Errorf("%s got %s; want %s", name, g, wantGot[name])
			}
		}
	})
}

// (c) A reconnecting client is sent exactly the visible events it missed, in order; what
// is visible is decided at delivery, so a widened topic's earlier events are included and
// a deleted topic's are not.
func TestReplayFromLastEventID(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, live.Options{PollInterval: slow})
		url := w.server(t)
		w.topic(t, w.pAlice, w.shared, "前からある")
		from := events(t, db)
		mark := from[len(from)-1].ID // the client had seen up to here
		t1 := w.topic(t, w.pAlice, w.shared, "コミュニティ宛")
		t2 := w.topic(t, w.pAlice, w.shared, "エイミー宛", w.amy)
		c2 := w.comment(t, w.pAmy, t2.ID, "確認しました")
		w.topic(t, w.pAlice, w.shared, "エイミー宛のまま", w.amy) // never for carl
		t4 := w.topic(t, w.pAlice, w.shared, "消される")
		w.comment(t, w.pCarl, t1.ID, "コメント")
		must(t, w.env.SNS.WidenScope(ctx, w.pAlice, t2.ID, sns.Widening{ToCommunity: true}))
		must(t, w.env.SNS.DeleteTopic(ctx, w.pAlice, t4.ID))
		w.signal(t)

		wantCarl := want("topic.created", t1.ID, "topic.created", t2.ID, "comment.created", t2.ID,
			"comment.created", t1.ID, "topic.widened", t2.ID)
		wantBob := ""
		sentinel := w.topic(t, w.pAlice, w.open, "合図") // everyone sees it: the end of the replay
		check := func(name string, c *sseConn, wantList string) {
			t.Helper()
			list := c.until(t, sentinel.ID)
			list = list[:len(list)-1]
			if g := got(list); g != wantList {
				t.Errorf("%s replay: got %s; want %s", name, g, wantList)
			}
			var ids []int64
			for _, p := range list {
				ids = append(ids, p.ID)
				if p.Kind == sns.EventCommentCreated && p.TopicID == t2.ID && p.CommentID != c2.ID {
					t.Errorf("comment id %d, want %d", p.CommentID, c2.ID)
				}
			}
			if !sort.SliceIsSorted(ids, func(i, j int) bool { return ids[i] < ids[j] }) {
				t.Errorf("%s replay out of order: %v", name, ids)
			}
			c.close()
		}
		// First connection: ?last_event_id=.
		check("carl", open(t, url+"?last_event_id="+strconv.FormatInt(mark, 10), w.carl), wantCarl)
		check("bob", open(t, url+"?last_event_id="+strconv.FormatInt(mark, 10), w.bob), wantBob)
		// Reconnection: the Last-Event-ID header wins over the query.
		check("carl again", open(t, url+"?last_event_id=1", w.carl, "Last-Event-ID", strconv.FormatInt(mark, 10)), wantCarl)
	})
}

// (d) Two nodes on one PostgreSQL: an event written on node A reaches node B's subscribers
// through NOTIFY, though B only polls once a minute.
func TestTwoNodes(t *testing.T) {
	t.Parallel()
	base := testdb.PostgresURL(t)
	if base == "" {
		t.Skip("RENKEI_TEST_POSTGRES is not set")
	}
	dsn, drop := testdb.NewSchema(t, base)
	dbA, err := store.Open(ctx, store.Options{URL: dsn, MaxReaders: 8})
	must(t, err)
	dbB, err := store.Open(ctx, store.Options{URL: dsn, MaxReaders: 8})
	must(t, err)
	t.Cleanup(func() { dbA.Close(); dbB.Close(); drop() })
	_, err = dbA.Migrate(ctx)
	must(t, err)

	cfg := testapp.Config(t)
	a := &world{env: testapp.NewWith(t, dbA, cfg)}
	a.populate(t)
	b := &world{env: testapp.NewWith(t, dbB, cfg)}
	b.alice, b.amy, b.bob, b.carl = a.alice, a.amy, a.bob, a.carl
	b.reload(t)
	a.hub = startHub(t, dbA, live.Options{PollInterval: slow})
	b.hub = startHub(t, dbB, live.Options{PollInterval: slow})
	deadline := time.Now().Add(wait)
	for !b.hub.Stats().Listening || !a.hub.Stats().Listening {
		if time.Now().After(deadline) {
			t.Fatal("hubs are not listening")
		}
		time.Sleep(10 * time.Millisecond)
	}

	ch, cancel := b.hub.Subscribe(live.FromNow)
	defer cancel()
	url := b.server(t)
	amyOnB := open(t, url, b.amy)
	bobOnB := open(t, url, b.bob)

	// A topic posted through node A's service (the service does not call Notify yet, so
	// signal it as it will: here in a transaction of its own, without waking B).
	tp, err := a.env.SNS.CreateTopic(ctx, a.pAlice, sns.TopicInput{CommunityID: a.shared.ID, Title: "ノードA", Body: "本文",
		InfoType: "alert", TLP: "amber", Scope: "community"})
	must(t, err)
	start := time.Now()
	must(t, dbA.Write(ctx, func(c store.Conn) error { return live.Notify(ctx, c) }))
	if e := recv(t, ch); e.TopicID != tp.ID {
		t.Fatalf("node B got %+v, want topic %d", e, tp.ID)
	}
	first := time.Since(start)
	if g := got(amyOnB.until(t, tp.ID)); g != want("topic.created", tp.ID) {
		t.Errorf("amy on node B got %s", g)
	}

	// Latency of events written the way the service will: InsertEvent and Notify in one
	// transaction, measured from the commit to node B's subscriber.
	var lat []time.Duration
	for i := 0; i < 20; i++ {
		var id int64
		must(t, dbA.Write(ctx, func(c store.Conn) error {
			var err error
			if id, err = store.InsertEvent(ctx, c, store.Event{Kind: "test.event"}, time.Now()); err != nil {
				return err
			}
			return live.Notify(ctx, c)
		}))
		start := time.Now()
		if e := recv(t, ch); e.ID != id {
			t.Fatalf("node B got %d, want %d", e.ID, id)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	t.Logf("cross-node delivery: first topic %v; 20 events: min %v, median %v, max %v", first, lat[0], lat[len(lat)/2], lat[len(lat)-1])
	if lat[len(lat)/2] > time.Second {
		t.Errorf("median cross-node latency %v", lat[len(lat)/2])
	}

	// bob on node B never heard of the shared topic; a topic for everyone reaches him.
	open2, err := a.env.SNS.CreateTopic(ctx, a.pBob, sns.TopicInput{CommunityID: a.open.ID, Title: "全員", Body: "本文",
		InfoType: "alert", TLP: "green", Scope: "community"})
	must(t, err)
	must(t, dbA.Write(ctx, func(c store.Conn) error { return live.Notify(ctx, c) }))
	if g := got(bobOnB.until(t, open2.ID)); g != want("topic.created", open2.ID) {
		t.Errorf("bob on node B got %s", g)
	}
}

// NOTIFY is delivered at commit, never before; on SQLite Notify does nothing.
func TestNotifyAtCommit(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		h := startHub(t, db, live.Options{PollInterval: slow})
		if db.Backend() == store.SQLite {
			must(t, db.Write(ctx, func(c store.Conn) error { return live.Notify(ctx, c) }))
			return
		}
		deadline := time.Now().Add(wait)
		for !h.Stats().Listening {
			if time.Now().After(deadline) {
				t.Fatal("not listening")
			}
			time.Sleep(10 * time.Millisecond)
		}
		ch, cancel := h.Subscribe(live.FromNow)
		defer cancel()
		inTx, commit := make(chan int64), make(chan struct{})
		errc := make(chan error, 1)
		go func() {
			errc <- db.Write(ctx, func(c store.Conn) error {
				id, err := store.InsertEvent(ctx, c, store.Event{Kind: "test.event"}, time.Now())
				if err != nil {
					return err
				}
				if err := live.Notify(ctx, c); err != nil {
					return err
				}
				inTx <- id
				<-commit
				return nil
			})
		}()
		id := <-inTx
		select {
		case e := <-ch:
			t.Fatalf("event %d delivered before its commit", e.ID)
		case <-time.After(300 * time.Millisecond):
		}
		close(commit)
		must(t, <-errc)
		if e := recv(t, ch); e.ID != id {
			t.Fatalf("got %d, want %d", e.ID, id)
		}
	})
}

// (e) A subscriber that stops reading is dropped; the hub and the others carry on, and
// the dropped one can catch up from the table.
func TestSlowSubscriberDropped(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		h := startHub(t, db, live.Options{PollInterval: slow, Backlog: 16})
		slowCh, cancelSlow := h.Subscribe(live.FromNow)
		defer cancelSlow()
		fast, cancelFast := h.Subscribe(live.FromNow)
		defer cancelFast()
		// Five waves of ten events, each read at once by the fast subscriber and not at all
		// by the slow one.
		var ids, fastIDs []int64
		for range 5 {
			wave := insertEvents(t, db, 10)
			h.Wake()
			ids = append(ids, wave...)
			for range wave {
				fastIDs = append(fastIDs, recv(t, fast).ID)
			}
		}
		if !slices.Equal(fastIDs, ids) {
			t.Errorf("fast subscriber got %v, want %v", fastIDs, ids)
		}
		// The slow one gets what was on its way, then its channel closes.
		var slowIDs []int64
		timeout := time.After(wait)
	drain:
		for {
			select {
			case e, ok := <-slowCh:
				if !ok {
					break drain
				}
				slowIDs = append(slowIDs, e.ID)
			case <-timeout:
				t.Fatal("slow subscriber was not dropped")
			}
		}
		// Usually a few events got through first; on a starved machine the slow one's
		// goroutine may not run before the ring has passed it, and then none do.
		if len(slowIDs) >= len(ids) || !slices.Equal(slowIDs, ids[:len(slowIDs)]) {
			t.Fatalf("slow subscriber got %v, want a short prefix of %v", slowIDs, ids)
		}
		if s := h.Stats(); s.Dropped != 1 {
			t.Errorf("stats %+v, want one dropped", s)
		}
		more := insertEvents(t, db, 1)
		h.Wake()
		if e := recv(t, fast); e.ID != more[0] {
			t.Errorf("fast subscriber got %d, want %d", e.ID, more[0])
		}
		// Catching up after the last event handled: the rest from the table, then live.
		resume := ids[0] - 1
		if len(slowIDs) > 0 {
			resume = slowIDs[len(slowIDs)-1]
		}
		again, cancelAgain := h.Subscribe(resume)
		defer cancelAgain()
		rest := append(slices.Clone(ids[len(slowIDs):]), more...)
		for i, id := range rest {
			if e := recv(t, again); e.ID != id {
				t.Fatalf("catch-up event %d: got %d, want %d", i, e.ID, id)
			}
		}
		live1 := insertEvents(t, db, 1)
		h.Wake()
		if e := recv(t, again); e.ID != live1[0] {
			t.Errorf("after catch-up got %d, want %d", e.ID, live1[0])
		}
		if s := h.Stats(); s.Subscribers != 2 || s.Last != live1[0] || s.Dropped != 1 {
			t.Errorf("stats %+v", s)
		}
	})
}

// A stream whose subscription falls behind is caught up from the table without the client
// noticing: every visible event arrives once, in order.
func TestStreamSurvivesDrop(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, live.Options{PollInterval: slow, Backlog: 1})
		url := w.server(t)
		c := open(t, url, w.amy)
		var wantList []any
		var last model.Topic
		for i := range 30 {
			tp, err := w.env.SNS.CreateTopic(ctx, w.pAlice, sns.TopicInput{CommunityID: w.shared.ID, Title: "続報 " + strconv.Itoa(i),
				Body: "本文", InfoType: "alert", TLP: "green", Scope: "community"})
			must(t, err)
			wantList = append(wantList, "topic.created", tp.ID)
			last = tp
		}
		w.signal(t) // one wake for thirty events: more than the buffer
		if g := got(c.until(t, last.ID)); g != want(wantList...) {
			t.Errorf("got %s\nwant %s", g, want(wantList...))
		}
		if w.hub.Stats().Dropped == 0 {
			t.Error("the stream was never dropped; the test proves nothing")
		}
	})
}

// (f) Streams are limited per person and per node.
func TestStreamLimits(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, live.Options{PollInterval: slow, MaxStreams: 3, MaxPerPerson: 2})
		url := w.server(t)
		a1 := open(t, url, w.amy)
		open(t, url, w.amy)
		checkRefused := func(u model.User) {
			t.Helper()
			c, status := dial(t, url, u)
			if status != http.StatusTooManyRequests {
				t.Fatalf("%s: status %d, want 429", u.Email, status)
			}
			defer c.resp.Body.Close()
			if ct := c.resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("content type %q", ct)
			}
			if c.resp.Header.Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
			var pr map[string]any
			if err := json.NewDecoder(c.resp.Body).Decode(&pr); err != nil {
				t.Fatal(err)
			}
			if pr["type"] != "/problems/rate-limited" || pr["title"] == "" || pr["status"] != float64(429) {
				t.Errorf("problem %v", pr)
			}
		}
		checkRefused(w.amy) // her third
		open(t, url, w.carl)
		checkRefused(w.bob) // the node's fourth
		if s := w.hub.Stats(); s.Streams != 3 {
			t.Errorf("streams = %d", s.Streams)
		}
		// A closed stream frees its slot.
		a1.close()
		deadline := time.Now().Add(wait)
		for w.hub.Stats().Streams != 2 {
			if time.Now().After(deadline) {
				t.Fatal("slot not released")
			}
			time.Sleep(10 * time.Millisecond)
		}
		open(t, url, w.bob)
	})
}

// The stream's headers, reconnection hint, heartbeat and refusals.
func TestStreamProtocol(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, live.Options{PollInterval: slow, Heartbeat: 50 * time.Millisecond, Retry: 2 * time.Second})
		url := w.server(t)

		c := open(t, url, w.bob)
		h := c.resp.Header
		if h.Get("Content-Type") != "text/event-stream; charset=utf-8" || h.Get("Cache-Control") != "no-store" ||
			h.Get("X-Accel-Buffering") != "no" {
			t.Errorf("headers %v", h)
		}
		c.mu.Lock()
		retry := c.retry
		c.mu.Unlock()
		if ms, err := strconv.Atoi(retry); err != nil || ms < 2000 || ms > 3000 {
			t.Errorf("retry %q", retry)
		}
		// A topic bob may not see: he is not told of it, but the heartbeat moves his
		// Last-Event-ID past it.
		hidden := w.topic(t, w.pAlice, w.shared, "見えない")
		hiddenID := events(t, db)[len(events(t, db))-1].ID
		deadline := time.Now().Add(wait)
		for {
			c.mu.Lock()
			last, pings := c.lastID, len(c.comments)
			c.mu.Unlock()
			if last == strconv.FormatInt(hiddenID, 10) && pings > 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("heartbeat did not advance the id: last %q, comments %d", last, pings)
			}
			time.Sleep(10 * time.Millisecond)
		}
		select {
		case e := <-c.events:
			if e.Data != "" {
				t.Errorf("bob was sent %+v about topic %d", e, hidden.ID)
			}
		default:
		}

		// Refusals.
		for _, tc := range []struct {
			name   string
			user   model.User
			header []string
			status int
			slug   string
		}{
			{"anonymous", model.User{}, nil, http.StatusUnauthorized, "unauthorized"},
			{"bad id", w.bob, []string{"Last-Event-ID", "x1"}, http.StatusBadRequest, "bad-request"},
		} {
			c, status := dial(t, url, tc.user, tc.header...)
			if status != tc.status {
				t.Errorf("%s: status %d", tc.name, status)
				continue
			}
			body := readAll(c.resp.Body)
			c.resp.Body.Close()
			if !strings.Contains(body, `"type":"/problems/`+tc.slug+`"`) || c.resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: %s", tc.name, body)
			}
		}
		req, _ := http.NewRequest(http.MethodPost, url, nil)
		req.Header.Set("X-Test-User", strconv.FormatInt(w.bob.ID, 10))
		resp, err := http.DefaultClient.Do(req)
		must(t, err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("POST: %d", resp.StatusCode)
		}
	})
}

// Streams end when the hub stops and when they reach MaxAge.
func TestStreamEnds(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		w := &world{env: env}
		w.populate(t)
		h := live.New(db, live.Options{PollInterval: slow, MaxAge: 300 * time.Millisecond})
		hctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { h.Run(hctx); close(done) }()
		defer func() { stop(); <-done }()
		w.hub = h
		url := w.server(t)

		start := time.Now()
		open(t, url, w.amy).waitEOF(t)
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Errorf("stream ended after %v, before MaxAge", d)
		}

		// Shutting the hub down ends every stream and refuses new ones.
		w.hub = h
		c := open(t, url+"?x=1", w.bob)
		stop()
		c.waitEOF(t)
		<-done
		_, status := dial(t, url, w.bob)
		if status != http.StatusServiceUnavailable {
			t.Errorf("after stop: %d", status)
		}
	})
}

// A client too far behind is told to reset and continues from the present.
func TestReset(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db, live.Options{PollInterval: slow, MaxReplay: 3})
		url := w.server(t)
		for i := range 5 {
			w.topic(t, w.pAlice, w.open, "古い "+strconv.Itoa(i))
		}
		list := events(t, db)
		last := list[len(list)-1].ID
		caughtUp(t, w.hub, last)
		c := open(t, url, w.amy, "Last-Event-ID", strconv.FormatInt(list[0].ID, 10))
		select {
		case e := <-c.events:
			if e.Event != live.EventReset || e.ID != strconv.FormatInt(last, 10) || e.Data != `{"id":`+e.ID+`}` {
				t.Fatalf("first event %+v, want reset to %d", e, last)
			}
		case <-time.After(wait):
			t.Fatal("no reset")
		}
		tp := w.topic(t, w.pAlice, w.open, "新しい")
		if g := got(c.until(t, tp.ID)); g != want("topic.created", tp.ID) {
			t.Errorf("after reset got %s", g)
		}
	})
}

// With Refresh, a stream follows its viewer's memberships: once carl has left the shared
// community, its new topics no longer reach him.
func TestRefreshFollowsMembership(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		w := &world{env: env}
		w.populate(t)
		refresh := func(r *http.Request, p auth.Principal) (auth.Principal, bool) {
			np, err := env.Auth.Principal(r.Context(), p.User.ID)
			return np, err == nil && !np.User.Disabled && !np.Org.Disabled
		}
		w.hub = startHub(t, db, live.Options{PollInterval: slow, Refresh: refresh, RefreshEvery: 50 * time.Millisecond})
		url := w.server(t)
		c := open(t, url, w.carl)
		t1 := w.topic(t, w.pAlice, w.shared, "まだ見える")
		if g := got(c.until(t, t1.ID)); g != want("topic.created", t1.ID) {
			t.Fatalf("got %s", g)
		}
		must(t, env.Communities.RemoveUser(ctx, auth.System(), w.shared.ID, w.carl.ID))
		time.Sleep(200 * time.Millisecond) // a few refreshes
		t2 := w.topic(t, w.pAlice, w.shared, "もう見えない")
		t3 := w.topic(t, w.pAlice, w.open, "合図")
		if g := got(c.until(t, t3.ID)); g != want("topic.created", t3.ID) {
			t.Errorf("after leaving got %s (t2 = %d)", g, t2.ID)
		}
		// A refresh that fails ends the stream.
		disabled := true
		_, err := env.Directory.UpdateUser(ctx, auth.System(), w.carl.ID, directory.UserPatch{Disabled: &disabled})
		must(t, err)
		c.waitEOF(t)
	})
}
