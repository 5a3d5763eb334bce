package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
)

// Payload is the data of one SSE event: ids only, never a title or a body; the client
// fetches what it needs through the ordinary, access-checked endpoints. A desk event
// (case.filed, case.message) also names the case's category and urgency, which everyone
// it is delivered to may see, and Alert marks a new case for the people on call.
type Payload struct {
	ID          int64  `json:"id"`
	Kind        string `json:"kind"`
	TopicID     int64  `json:"topic_id"`
	CommentID   int64  `json:"comment_id"`
	CommunityID int64  `json:"community_id"`
	CaseID      int64  `json:"case_id,omitempty"`
	MessageID   int64  `json:"message_id,omitempty"`
	Internal    bool   `json:"internal,omitempty"`
	Category    string `json:"category,omitempty"`
	Urgency     string `json:"urgency,omitempty"`
	Alert       bool   `json:"alert,omitempty"`
}

// EventReset is sent, with the id to continue from, to a client too far behind to be
// caught up event by event: it should reload what it shows.
const EventReset = "reset"

// readyWait bounds how long a new stream waits for a hub that is still starting.
const readyWait = 5 * time.Second

// batchMax bounds the events handled (and checked with one visibility cache) per flush.
const batchMax = 64

// Handler serves the event stream of the person that principal finds in the request, as
// Server-Sent Events: "id:" is the event id, "event:" its kind, "data:" a Payload. Only
// events about topics the person may see when the event is sent are written, and desk
// events about cases they may see (see SetDesk). A client
// that reconnects with Last-Event-ID (or connects first with ?last_event_id=) is first
// sent the visible events it missed. Streams are limited per person and per node (429
// beyond), and end when the client leaves, the hub stops or MaxAge passes.
func (h *Hub) Handler(svc *sns.Service, principal func(*http.Request) (auth.Principal, bool)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeProblem(w, r, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed", "")
			return
		}
		p, ok := principal(r)
		if !ok || p.User.ID == 0 {
			writeProblem(w, r, http.StatusUnauthorized, "unauthorized", "Unauthorized", "Sign in to follow live updates.")
			return
		}
		after, err := lastEventID(r)
		if err != nil {
			writeProblem(w, r, http.StatusBadRequest, "bad-request", "Bad request", "Last-Event-ID must be an event id.")
			return
		}
		release, status := h.acquire(p.User.ID)
		switch status {
		case http.StatusTooManyRequests:
			w.Header().Set("Retry-After", strconv.Itoa(10+rand.IntN(20)))
			writeProblem(w, r, status, "rate-limited", "Too many requests", "Too many live update streams are open; close some or retry later.")
			return
		case http.StatusServiceUnavailable:
			w.Header().Set("Retry-After", "5")
			writeProblem(w, r, status, "unavailable", "Service unavailable", "Live updates are not available now; retry later.")
			return
		}
		defer release()
		wait := time.NewTimer(readyWait)
		select {
		case <-h.ready:
			wait.Stop()
		case <-r.Context().Done():
			return
		case <-h.done:
			writeProblem(w, r, http.StatusServiceUnavailable, "unavailable", "Service unavailable", "Live updates are not available now; retry later.")
			return
		case <-wait.C:
			w.Header().Set("Retry-After", "5")
			writeProblem(w, r, http.StatusServiceUnavailable, "unavailable", "Service unavailable", "Live updates are starting; retry later.")
			return
		}

		rc := http.NewResponseController(w)
		// The server's ReadTimeout would otherwise end the stream (the read deadline stays
		// on the connection while the handler runs).
		_ = rc.SetReadDeadline(time.Time{})
		hd := w.Header()
		hd.Set("Content-Type", "text/event-stream; charset=utf-8")
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodHead {
			return
		}
		st := &stream{h: h, w: w, rc: rc, r: r, svc: svc, p: p}
		st.run(r.Context(), after)
	})
}

// lastEventID reads where the client got to: the Last-Event-ID header of a reconnection,
// else ?last_event_id= of a first connection, else FromNow.
func lastEventID(r *http.Request) (int64, error) {
	v := strings.TrimSpace(r.Header.Get("Last-Event-ID"))
	if v == "" {
		v = strings.TrimSpace(r.URL.Query().Get("last_event_id"))
	}
	if v == "" {
		return FromNow, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id < 0 {
		return 0, errors.New("bad event id")
	}
	return id, nil
}

// acquire takes a stream slot for a person: 0 and a release function, or the status to
// refuse with.
func (h *Hub) acquire(userID int64) (func(), int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return nil, http.StatusServiceUnavailable
	}
	if h.streamsN >= h.opts.MaxStreams || h.streams[userID] >= h.opts.MaxPerPerson {
		return nil, http.StatusTooManyRequests
	}
	h.streamsN++
	h.streams[userID]++
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.streamsN--
			if h.streams[userID]--; h.streams[userID] <= 0 {
				delete(h.streams, userID)
			}
		})
	}, 0
}

// problem is an RFC 9457 problem document, shaped like the API's.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
}

func writeProblem(w http.ResponseWriter, r *http.Request, status int, slug, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(problem{Type: "/problems/" + slug, Title: title, Status: status, Detail: detail, Instance: r.URL.Path})
}

// stream is one open SSE response.
type stream struct {
	h   *Hub
	w   http.ResponseWriter
	rc  *http.ResponseController
	r   *http.Request
	svc *sns.Service
	p   auth.Principal

	handled int64 // the last event looked at, shown or not
	told    int64 // the last id the client was given
	buf     bytes.Buffer
}

func (st *stream) run(ctx context.Context, after int64) {
	h, o := st.h, st.h.opts
	retry := o.Retry + rand.N(time.Second)
	st.buf.WriteString("retry: " + strconv.FormatInt(retry.Milliseconds(), 10) + "\n: connected\n\n")
	after = st.start(after)
	if err := st.flush(); err != nil {
		return
	}
	s := h.subscribe(after)
	defer func() { s.cancel() }()

	heartbeat := time.NewTicker(o.Heartbeat)
	defer heartbeat.Stop()
	age := time.NewTimer(o.MaxAge - rand.N(o.MaxAge/10+1))
	defer age.Stop()
	var refresh <-chan time.Time
	if o.Refresh != nil {
		t := time.NewTicker(o.RefreshEvery)
		defer t.Stop()
		refresh = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-age.C:
			return
		case e, ok := <-s.ch:
			if !ok {
				if !s.dropped.Load() {
					return // the hub stopped
				}
				// Fell behind: catch up from the table, as a reconnection would.
				s = h.subscribe(st.start(st.handled))
				if st.flush() != nil {
					return
				}
				continue
			}
			if st.send(ctx, st.batch(e, s.ch)) != nil {
				return
			}
		case <-heartbeat.C:
			if st.handled > st.told {
				// An id with no data moves the client's Last-Event-ID past the events it
				// was not shown, so that a reconnection does not look at them again.
				st.told = st.handled
				st.buf.WriteString("id: " + strconv.FormatInt(st.told, 10) + "\n")
			}
			st.buf.WriteString(": ping\n\n")
			if st.flush() != nil {
				return
			}
		case <-refresh:
			p, ok := o.Refresh(st.r, st.p)
			if !ok || p.User.ID != st.p.User.ID {
				return
			}
			st.p = p
		}
	}
}

// start decides where a (re)subscription begins: from after, unless that is further behind
// than MaxReplay (or ahead of the log), in which case the client is told to reset.
func (st *stream) start(after int64) int64 {
	cur := st.h.Last()
	if after == FromNow {
		st.handled, st.told = cur, cur
		return cur
	}
	if cur-after > st.h.opts.MaxReplay || after-cur > st.h.opts.MaxReplay {
		b, _ := json.Marshal(map[string]int64{"id": cur})
		st.buf.WriteString("id: " + strconv.FormatInt(cur, 10) + "\nevent: " + EventReset + "\ndata: " + string(b) + "\n\n")
		st.handled, st.told = cur, cur
		return cur
	}
	st.handled = after
	return after
}

// batch takes e and whatever else is already waiting.
func (st *stream) batch(e store.Event, ch <-chan store.Event) []store.Event {
	out := []store.Event{e}
	for len(out) < batchMax {
		select {
		case e, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, e)
		default:
			return out
		}
	}
	return out
}

// send writes the events the viewer may see. Visibility is decided now, once per topic in
// the batch (desk events: per event, by the desk's policy check). A failed check ends the
// stream: the client reconnects from its last id.
func (st *stream) send(ctx context.Context, events []store.Event) error {
	seen := map[int64]bool{}
	for _, e := range events {
		if e.ID <= st.handled {
			continue
		}
		pl := Payload{ID: e.ID, Kind: e.Kind, TopicID: e.TopicID, CommentID: e.CommentID, CommunityID: e.CommunityID}
		var ok bool
		var err error
		if desk.IsCaseEvent(e.Kind) {
			var d desk.CaseEvent
			if d, ok, err = st.h.caseVisible(ctx, st.p, e); ok {
				pl.CaseID, pl.MessageID, pl.Internal, pl.Category, pl.Urgency = d.CaseID, d.MessageID, d.Internal, d.Category, d.Urgency
				pl.Alert = e.Kind == desk.EventCaseFiled && d.AlertsFor(st.p.User.ID)
			}
		} else if cached, hit := seen[e.TopicID]; hit {
			ok = cached
		} else if ok, err = visible(ctx, st.svc, st.p, e); err == nil {
			seen[e.TopicID] = ok
		}
		if err != nil {
			if ctx.Err() == nil {
				st.h.log.Warn("live: visibility check failed; ending stream", "err", err, "user_id", st.p.User.ID, "event_id", e.ID)
			}
			return err
		}
		st.handled = e.ID
		if !ok {
			continue
		}
		b, err := json.Marshal(pl)
		if err != nil {
			return err
		}
		id := strconv.FormatInt(e.ID, 10)
		st.buf.WriteString("id: " + id + "\n")
		if kind := eventName(e.Kind); kind != "" {
			st.buf.WriteString("event: " + kind + "\n")
		}
		st.buf.WriteString("data: ")
		st.buf.Write(b)
		st.buf.WriteString("\n\n")
		st.told = e.ID
	}
	if st.buf.Len() == 0 {
		return nil
	}
	return st.flush()
}

// eventName keeps an event kind usable as an SSE event name: letters, digits, ".", "_"
// and "-" only.
func eventName(kind string) string {
	for _, c := range kind {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return ""
		}
	}
	return kind
}

// flush writes what is buffered and pushes it to the client, within WriteTimeout.
func (st *stream) flush() error {
	_ = st.rc.SetWriteDeadline(time.Now().Add(st.h.opts.WriteTimeout))
	if st.buf.Len() > 0 {
		if _, err := st.w.Write(st.buf.Bytes()); err != nil {
			return err
		}
		st.buf.Reset()
	}
	return st.rc.Flush()
}
