package live_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/live"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
)

// wait bounds every wait for something that should happen.
const wait = 5 * time.Second

var ctx = context.Background()

// world is an app with two communities and people who see different things:
//
//	shared  — members: org A (alice, amy) as a whole, carl (org C) in person
//	open    — members: orgs A, B and C: everyone
//
// bob (org B) is not in shared; carl is, but is not named on amy-only topics.
type world struct {
	env                       *testapp.Env
	hub                       *live.Hub
	shared, open              model.Community
	alice, amy, bob, carl     model.User
	pAlice, pAmy, pBob, pCarl auth.Principal
	orgA, orgB, orgC          model.Org
}

func newWorld(t *testing.T, db *store.DB, opts live.Options) *world {
	t.Helper()
	w := &world{env: testapp.New(t, db)}
	w.populate(t)
	w.hub = startHub(t, db, opts)
	return w
}

func (w *world) populate(t *testing.T) {
	t.Helper()
	e := w.env
	w.orgA = e.Org("組織A", model.KindOperator)
	w.orgB = e.Org("組織B", model.KindVenue)
	w.orgC = e.Org("組織C", model.KindPartner)
	w.alice = e.Person(w.orgA, "alice@a.example", model.RoleMember)
	w.amy = e.Person(w.orgA, "amy@a.example", model.RoleMember)
	w.bob = e.Person(w.orgB, "bob@b.example", model.RoleMember)
	w.carl = e.Person(w.orgC, "carl@c.example", model.RoleMember)
	sys := auth.System()
	var err error
	if w.shared, err = e.Communities.Create(ctx, sys, community.Input{NameJA: "情報提供（プロ）"}); err != nil {
		t.Fatal(err)
	}
	if w.open, err = e.Communities.Create(ctx, sys, community.Input{NameJA: "情報提供（一般）"}); err != nil {
		t.Fatal(err)
	}
	must(t, e.Communities.AddOrg(ctx, sys, w.shared.ID, w.orgA.ID))
	must(t, e.Communities.AddUser(ctx, sys, w.shared.ID, w.carl.ID))
	for _, o := range []model.Org{w.orgA, w.orgB, w.orgC} {
		must(t, e.Communities.AddOrg(ctx, sys, w.open.ID, o.ID))
	}
	w.reload(t)
}

// reload loads everyone's principal again (after a membership change).
func (w *world) reload(t *testing.T) {
	t.Helper()
	w.pAlice, w.pAmy, w.pBob, w.pCarl = w.env.Principal(w.alice), w.env.Principal(w.amy), w.env.Principal(w.bob), w.env.Principal(w.carl)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// startHub runs a hub until the test ends.
func startHub(t *testing.T, db *store.DB, opts live.Options) *live.Hub {
	t.Helper()
	h := live.New(db, opts)
	hctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := h.Run(hctx); err != nil {
			t.Errorf("hub: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(wait):
			t.Error("hub did not stop")
		}
	})
	select {
	case <-h.Ready():
	case <-time.After(wait):
		t.Fatal("hub not ready")
	}
	return h
}

// topic posts a topic and wakes the hub, as the service will once it is wired.
func (w *world) topic(t *testing.T, author auth.Principal, comm model.Community, title string, audience ...model.User) model.Topic {
	t.Helper()
	in := sns.TopicInput{CommunityID: comm.ID, Title: title, Body: "本文 " + title, InfoType: "alert", TLP: "green", Scope: "community"}
	if len(audience) > 0 {
		in.Scope = "selected"
		for _, u := range audience {
			in.Audience.Users = append(in.Audience.Users, u.ID)
		}
	}
	tp, err := w.env.SNS.CreateTopic(ctx, author, in)
	if err != nil {
		t.Fatal(err)
	}
	w.signal(t)
	return tp
}

func (w *world) comment(t *testing.T, author auth.Principal, topicID int64, body string) model.Comment {
	t.Helper()
	c, err := w.env.SNS.AddComment(ctx, author, topicID, sns.CommentInput{Body: body})
	if err != nil {
		t.Fatal(err)
	}
	w.signal(t)
	return c
}

// signal does what the service will do after writing an event: Notify in a transaction
// (PostgreSQL) and Wake after it (this process).
func (w *world) signal(t *testing.T) {
	t.Helper()
	must(t, w.env.DB.Write(ctx, func(c store.Conn) error { return live.Notify(ctx, c) }))
	w.hub.Wake()
}

// events returns the whole event log.
func events(t *testing.T, db *store.DB) []store.Event {
	t.Helper()
	list, err := store.ListEvents(ctx, db.Read(), 0, store.MaxPage)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// recv waits for the next event on ch.
func recv(t *testing.T, ch <-chan store.Event) store.Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("subscription closed")
		}
		return e
	case <-time.After(wait):
		t.Fatal("no event within", wait)
	}
	return store.Event{}
}

// ---- An SSE client ----

// server serves the hub's handler; the test's "session" is the X-Test-User header, and the
// principal is loaded from the database on each request, as a real session would be.
func (w *world) server(t *testing.T) string {
	t.Helper()
	principal := func(r *http.Request) (auth.Principal, bool) {
		id, err := strconv.ParseInt(r.Header.Get("X-Test-User"), 10, 64)
		if err != nil || id == 0 {
			return auth.Principal{}, false
		}
		p, err := w.env.Auth.Principal(r.Context(), id)
		return p, err == nil
	}
	srv := httptest.NewServer(w.hub.Handler(w.env.SNS, principal))
	t.Cleanup(srv.Close)
	return srv.URL + "/live"
}

type sseEvent struct {
	ID, Event, Data string
}

type sseConn struct {
	resp      *http.Response
	events    chan sseEvent
	eof       chan struct{}
	connected chan struct{}
	cancel    context.CancelFunc

	mu       sync.Mutex
	comments []string
	retry    string
	lastID   string
}

// open connects as u with extra request headers (and the URL's query), and waits for the
// stream to start.
func open(t *testing.T, url string, u model.User, header ...string) *sseConn {
	t.Helper()
	c, status := dial(t, url, u, header...)
	if status != http.StatusOK {
		t.Fatalf("GET %s as %s: status %d", url, u.Email, status)
	}
	return c
}

func dial(t *testing.T, url string, u model.User, header ...string) (*sseConn, int) {
	t.Helper()
	cctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != 0 {
		req.Header.Set("X-Test-User", strconv.FormatInt(u.ID, 10))
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	c := &sseConn{resp: resp, events: make(chan sseEvent, 1000), eof: make(chan struct{}), connected: make(chan struct{}), cancel: cancel}
	if resp.StatusCode != http.StatusOK {
		return c, resp.StatusCode
	}
	t.Cleanup(func() { resp.Body.Close() })
	go c.read()
	select {
	case <-c.connected:
	case <-c.eof:
		t.Fatal("stream ended before it started")
	case <-time.After(wait):
		t.Fatal("stream did not start")
	}
	return c, resp.StatusCode
}

func (c *sseConn) read() {
	defer close(c.eof)
	sc := bufio.NewScanner(c.resp.Body)
	var ev sseEvent
	var any bool
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if any {
				c.events <- ev
			}
			ev, any = sseEvent{}, false
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "":
			c.mu.Lock()
			c.comments = append(c.comments, value)
			c.mu.Unlock()
			if value == "connected" {
				close(c.connected)
			}
		case "id":
			ev.ID, any = value, true
			c.mu.Lock()
			c.lastID = value
			c.mu.Unlock()
		case "event":
			ev.Event, any = value, true
		case "data":
			ev.Data, any = value, true
		case "retry":
			c.mu.Lock()
			c.retry = value
			c.mu.Unlock()
		}
	}
}

// next returns the next event that carries data (id-only blocks just move the id on).
func (c *sseConn) next(t *testing.T) (sseEvent, bool) {
	t.Helper()
	for {
		select {
		case e := <-c.events:
			if e.Data == "" {
				continue
			}
			return e, true
		case <-c.eof:
			select {
			case e := <-c.events:
				if e.Data != "" {
					return e, true
				}
				continue
			default:
			}
			return sseEvent{}, false
		case <-time.After(wait):
			t.Fatal("no SSE event within", wait)
		}
	}
}

// until reads events until one is about the given topic and returns their payloads,
// that one included.
func (c *sseConn) until(t *testing.T, topicID int64) []live.Payload {
	t.Helper()
	var out []live.Payload
	for {
		e, ok := c.next(t)
		if !ok {
			t.Fatalf("stream ended while waiting for topic %d; got %v", topicID, out)
		}
		p := decode(t, e)
		out = append(out, p)
		if p.TopicID == topicID {
			return out
		}
	}
}

func decode(t *testing.T, e sseEvent) live.Payload {
	t.Helper()
	var fields map[string]any
	if err := json.Unmarshal([]byte(e.Data), &fields); err != nil {
		t.Fatalf("data %q: %v", e.Data, err)
	}
	if len(fields) != 5 {
		t.Errorf("payload has fields %v; want exactly id, kind, topic_id, comment_id, community_id", fields)
	}
	var p live.Payload
	if err := json.Unmarshal([]byte(e.Data), &p); err != nil {
		t.Fatal(err)
	}
	if e.ID != strconv.FormatInt(p.ID, 10) || e.Event != p.Kind {
		t.Errorf("SSE id %q / event %q do not match payload %+v", e.ID, e.Event, p)
	}
	return p
}

// waitEOF waits for the server to end the stream.
func (c *sseConn) waitEOF(t *testing.T) {
	t.Helper()
	select {
	case <-c.eof:
	case <-time.After(wait):
		t.Fatal("stream did not end")
	}
}

func (c *sseConn) close() {
	c.cancel()
	c.resp.Body.Close()
}

// want lists (kind, topic) pairs for compact comparisons.
func want(pairs ...any) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(&b, "%s:%d ", pairs[i], pairs[i+1])
	}
	return b.String()
}

func got(list []live.Payload) string {
	var b strings.Builder
	for _, p := range list {
		fmt.Fprintf(&b, "%s:%d ", p.Kind, p.TopicID)
	}
	return b.String()
}

func readAll(r io.Reader) string {
	b, _ := io.ReadAll(r)
	return string(b)
}

// caughtUp waits until the hub has fanned out the event id.
func caughtUp(t *testing.T, h *live.Hub, id int64) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for h.Last() < id {
		if time.Now().After(deadline) {
			t.Fatalf("hub at %d, not %d", h.Last(), id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
