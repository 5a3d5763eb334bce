// Package live carries the event log to the people watching it: a Hub in each process
// reads the events table (polling it, and on PostgreSQL woken at once by LISTEN/NOTIFY
// when another node commits an event) and fans new events out to subscribers, and an HTTP
// handler turns a subscription into a Server-Sent Events stream that shows each viewer
// only the events about topics they may see at the time of delivery.
//
// Events are delivered in id order. On PostgreSQL ids are handed out when a transaction
// inserts its event, not when it commits, so a later id can become visible before an
// earlier one; the hub holds everything after a missing id until the transaction that
// owns it has committed (the id appears) or ended without it, or GapGrace has passed.
package live

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/store"
)

// Channel is the PostgreSQL notification channel that announces new events.
const Channel = "renkei_events"

// Options tune a Hub and its SSE handler; zero fields take the defaults.
type Options struct {
	// PollInterval is how often the events table is read when nothing wakes the hub
	// (default 1s).
	PollInterval time.Duration
	// GapGrace is the longest an event is held back behind a missing, lower id on
	// PostgreSQL (default 10s). Usually the hole closes in milliseconds (the transaction
	// commits) or is known to be permanent as soon as the transactions that were running
	// have ended (it rolled back); GapGrace only bounds the wait behind a transaction that
	// stays open.
	GapGrace time.Duration
	// Backlog is how many recent events the hub keeps for its subscribers, and so how far
	// one may fall behind before it is dropped (default 4096).
	Backlog int
	// BatchSize is how many events one read of the table returns (default 500).
	BatchSize int

	// MaxStreams bounds the SSE streams open on this node (default 5000); MaxPerPerson
	// the streams of one person (default 10).
	MaxStreams   int
	MaxPerPerson int
	// Heartbeat is how often an idle stream sends a comment (default 15s).
	Heartbeat time.Duration
	// Retry is the reconnection delay suggested to clients (default 3s; each stream adds
	// up to one more second at random, so that a restart is not met by every client at
	// once).
	Retry time.Duration
	// MaxAge ends a stream after this long (default 30m, with up to 10% taken off at
	// random); the client reconnects at once with its Last-Event-ID and is authenticated
	// afresh.
	MaxAge time.Duration
	// MaxReplay is the most events a reconnecting client is caught up on; further behind,
	// it gets a "reset" event and continues from the present (default 10000).
	MaxReplay int64
	// WriteTimeout bounds each write to a client (default 30s).
	WriteTimeout time.Duration
	// Refresh, when set, reloads the viewer of an open stream every RefreshEvery (default
	// 1m), so that a membership change or a disabled account takes effect without waiting
	// for MaxAge. Returning false ends the stream.
	Refresh      func(r *http.Request, p auth.Principal) (auth.Principal, bool)
	RefreshEvery time.Duration

	// Log receives warnings (lost LISTEN connection, failed reads); nil discards them.
	Log *slog.Logger
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PollInterval, time.Second)
	def(&o.GapGrace, 10*time.Second)
	def(&o.Heartbeat, 15*time.Second)
	def(&o.Retry, 3*time.Second)
	def(&o.MaxAge, 30*time.Minute)
	def(&o.WriteTimeout, 30*time.Second)
	def(&o.RefreshEvery, time.Minute)
	if o.Backlog <= 0 {
		o.Backlog = 4096
	}
	if o.BatchSize <= 0 || o.BatchSize > store.MaxPage {
		o.BatchSize = store.MaxPage
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = 5000
	}
	if o.MaxPerPerson <= 0 {
		o.MaxPerPerson = 10
	}
	if o.MaxReplay <= 0 {
		o.MaxReplay = 10000
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Hub fans the event log out to the subscribers of this process.
type Hub struct {
	db   *store.DB
	opts Options
	log  *slog.Logger

	wake  chan struct{}
	ready chan struct{} // closed once the hub knows where the log ends
	done  chan struct{} // closed when Run returns

	runCtx context.Context // Run's, for the subscribers' reads
	desk   *desk.Service   // decides who sees the desk's events; nil: nobody

	mu      sync.Mutex
	last    int64 // every event up to here has been fanned out (or its hole given up)
	begin   int64 // where the log ended when the hub started
	floor   int64 // the ring holds every event fanned out after this id
	ring    ring
	changed chan struct{} // closed and replaced when events are added to the ring
	fresh   bool
	nsubs   int
	stopped bool
	gaps    []gap

	streams   map[int64]int // open SSE streams per person
	streamsN  int
	listening atomic.Bool
	listenPID atomic.Uint32 // the LISTEN connection's server process, for tests
	dropped   atomic.Int64
	skipped   atomic.Int64
	snapCheck atomic.Bool // PostgreSQL can tell whether old transactions have ended
}

// New returns a hub reading db's event log; it does nothing until Run.
func New(db *store.DB, opts Options) *Hub {
	opts = opts.withDefaults()
	h := &Hub{db: db, opts: opts, log: opts.Log,
		wake: make(chan struct{}, 1), ready: make(chan struct{}), done: make(chan struct{}),
		ring: ring{buf: make([]store.Event, opts.Backlog)}, changed: make(chan struct{}), streams: map[int64]int{}}
	h.snapCheck.Store(db.Backend() == store.Postgres)
	return h
}

// Wake makes the hub read the events table now: call it after committing a transaction
// that wrote an event (on SQLite the only prompt way; on PostgreSQL Notify also does it,
// on every node). It never blocks.
func (h *Hub) Wake() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Done is closed when the hub has stopped.
func (h *Hub) Done() <-chan struct{} { return h.done }

// Ready is closed once the hub has found the end of the log and delivers events.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// Last returns the id of the last event fanned out.
func (h *Hub) Last() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// Stats describes the hub, for metrics and tests.
type Stats struct {
	Last        int64 // last event id fanned out
	Subscribers int   // current subscriptions
	Streams     int   // open SSE streams
	Dropped     int64 // subscribers dropped for falling behind, ever
	Skipped     int64 // missing ids given up on, ever
	Listening   bool  // the PostgreSQL LISTEN connection is up
}

// Stats returns the hub's figures.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Stats{Last: h.last, Subscribers: h.nsubs, Streams: h.streamsN, Dropped: h.dropped.Load(),
		Skipped: h.skipped.Load(), Listening: h.listening.Load()}
}

// Run reads the event log and fans it out until ctx ends; then every subscription is
// closed and every stream ends. It returns nil when ctx ends. Run is called once.
func (h *Hub) Run(ctx context.Context) error {
	h.runCtx = ctx
	defer h.stop()
	if err := h.start(ctx); err != nil {
		return nil // ctx ended first
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	if h.db.Backend() == store.Postgres {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.listen(ctx)
		}()
	}
	t := time.NewTimer(h.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-h.wake:
		case <-t.C:
		}
		next := h.opts.PollInterval
		if err := h.poll(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			h.log.Warn("live: reading the event log failed", "err", err)
		} else if h.holding() && next > holdPoll {
			next = holdPoll
		}
		// A wake that came during the read stays pending (it may announce an event the
		// read was too early to see); the timer starts again.
		t.Stop()
		select {
		case <-t.C:
		default:
		}
		t.Reset(next)
	}
}

// holdPoll is how often the table is read while an event is held behind a hole.
const holdPoll = 50 * time.Millisecond

// start finds the end of the log, retrying until it can.
func (h *Hub) start(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for {
		last, err := store.LastEventID(ctx, h.db.Read())
		if err == nil {
			h.mu.Lock()
			h.last, h.floor, h.begin = last, last, last
			close(h.ready)
			h.mu.Unlock()
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		h.log.Warn("live: finding the end of the event log failed", "err", err)
		if !sleep(ctx, jitter(backoff)) {
			return ctx.Err()
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (h *Hub) stop() {
	h.mu.Lock()
	h.stopped = true
	close(h.done)
	h.mu.Unlock()
}

// ---- Reading the log ----

// gap is a run of missing ids [from, to] that later events were seen past.
type gap struct {
	from, to int64
	seen     time.Time
	snap     string // PostgreSQL snapshot taken just after the gap was seen
	ended    bool   // every transaction running at snap has ended (checked before the read)
}

// minHold is the least time a hole is waited for even when the snapshot says no
// transaction can still fill it: an id is taken a moment before its transaction gets the
// transaction id that the snapshot would show.
const minHold = 200 * time.Millisecond

func (h *Hub) holding() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.gaps) > 0
}

// poll reads the events after the last one fanned out, until it has seen them all or an
// event must wait behind a hole.
func (h *Hub) poll(ctx context.Context) error {
	for {
		h.checkGaps(ctx)
		h.mu.Lock()
		after := h.last
		h.mu.Unlock()
		events, err := store.ListEvents(ctx, h.db.Read(), after, h.opts.BatchSize)
		if err != nil {
			return err
		}
		n, held, fresh := h.deliver(events)
		if fresh {
			h.snapshotGaps(ctx)
		}
		if held || n < h.opts.BatchSize {
			return nil
		}
	}
}

// deliver fans out events in id order, stopping at the first one that must wait behind a
// hole. It reports how many events were read, whether it stopped, and whether new holes
// were found.
func (h *Hub) deliver(events []store.Event) (n int, held, fresh bool) {
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	defer h.broadcastLocked()
	for _, e := range events {
		if e.ID <= h.last {
			continue
		}
		if e.ID > h.last+1 && h.db.Backend() == store.Postgres {
			g := h.gapLocked(h.last+1, e.ID-1, now, &fresh)
			age := now.Sub(g.seen)
			switch {
			case g.ended && age >= minHold:
			case age >= h.opts.GapGrace:
				h.log.Warn("live: gave up waiting for a missing event id", "from", g.from, "to", g.to, "waited", age)
			default:
				return len(events), true, fresh
			}
			h.skipped.Add(1)
		}
		h.fanOutLocked(e)
	}
	h.pruneGapsLocked()
	return len(events), false, fresh
}

// gapLocked returns the recorded hole that covers [from, to], recording it when new. A hole
// first seen wider keeps its age as it narrows.
func (h *Hub) gapLocked(from, to int64, now time.Time, fresh *bool) *gap {
	for i := range h.gaps {
		g := &h.gaps[i]
		if g.from <= to && from <= g.to {
			return g
		}
	}
	*fresh = true
	h.gaps = append(h.gaps, gap{from: from, to: to, seen: now})
	return &h.gaps[len(h.gaps)-1]
}

func (h *Hub) pruneGapsLocked() {
	kept := h.gaps[:0]
	for _, g := range h.gaps {
		if g.to > h.last {
			kept = append(kept, g)
		}
	}
	h.gaps = kept
}

// snapshotGaps notes, for the holes just found, which transactions were running: once they
// have all ended, a hole still there is permanent (its transaction rolled back).
func (h *Hub) snapshotGaps(ctx context.Context) {
	if !h.snapCheck.Load() {
		return
	}
	var snap string
	if err := h.db.Read().QueryRow(ctx, "SELECT pg_current_snapshot()::text").Scan(&snap); err != nil {
		h.noSnapshots(err)
		return
	}
	h.mu.Lock()
	for i := range h.gaps {
		if h.gaps[i].snap == "" {
			h.gaps[i].snap = snap
		}
	}
	h.mu.Unlock()
}

// checkGaps asks, before a read, whether the transactions that could still fill each hole
// have ended; a hole that the read then still finds is permanent.
func (h *Hub) checkGaps(ctx context.Context) {
	if !h.snapCheck.Load() {
		return
	}
	h.mu.Lock()
	var snaps []string
	for _, g := range h.gaps {
		if g.snap != "" && !g.ended {
			snaps = append(snaps, g.snap)
		}
	}
	h.mu.Unlock()
	ended := map[string]bool{}
	for _, s := range snaps {
		if _, ok := ended[s]; ok {
			continue
		}
		var running bool
		err := h.db.Read().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_snapshot_xip(CAST(? AS pg_snapshot)) AS x
			WHERE pg_xact_status(x) = 'in progress')`, s).Scan(&running)
		if err != nil {
			h.noSnapshots(err)
			return
		}
		ended[s] = !running
	}
	h.mu.Lock()
	for i := range h.gaps {
		if ended[h.gaps[i].snap] {
			h.gaps[i].ended = true
		}
	}
	h.mu.Unlock()
}

// noSnapshots turns the snapshot check off (a server too old for pg_snapshot, or without
// the right to see transaction status): holes then wait GapGrace.
func (h *Hub) noSnapshots(err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	if h.snapCheck.Swap(false) {
		h.log.Warn("live: cannot check transaction status; missing event ids will be waited for", "grace", h.opts.GapGrace, "err", err)
	}
}

// ---- PostgreSQL LISTEN ----

// listenPing is how long the LISTEN connection may stay silent before it is checked.
const listenPing = 30 * time.Second

// listen keeps a connection listening on Channel and wakes the hub on each notification,
// reconnecting with backoff. After every (re)connection the hub reads the table, since
// notifications sent while it was away are lost.
func (h *Hub) listen(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := h.listenOnce(ctx, func() { backoff = 100 * time.Millisecond })
		h.listening.Store(false)
		if ctx.Err() != nil {
			return
		}
		h.log.Warn("live: LISTEN connection lost; polling until it is back", "err", err, "retry_in", backoff)
		if !sleep(ctx, jitter(backoff)) {
			return
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (h *Hub) listenOnce(ctx context.Context, connected func()) error {
	cfg, err := pgx.ParseConfig(h.db.DSN())
	if err != nil {
		return err
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "renkei live"
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		conn.Close(cctx)
		cancel()
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	h.listenPID.Store(conn.PgConn().PID())
	h.listening.Store(true)
	connected()
	h.Wake()
	for {
		wctx, cancel := context.WithTimeout(ctx, listenPing)
		_, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			h.Wake()
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			// Silence: make sure the connection is still there.
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// ---- Subscriptions ----

// Events fanned out are kept in a ring of the last Backlog events. Each subscriber has a
// goroutine of its own that copies events from the ring (or, for one that starts further
// back, from the table) into its channel, blocking only itself; the hub only appends to
// the ring and wakes them. A subscriber more than Backlog events behind has lost its place
// in the ring and is dropped.

// ring is a circular buffer of the events last fanned out, in id order.
type ring struct {
	buf      []store.Event
	start, n int
}

func (r *ring) at(i int) store.Event { return r.buf[(r.start+i)%len(r.buf)] }

// push appends e, evicting the oldest event when full; it returns the evicted id or 0.
func (r *ring) push(e store.Event) int64 {
	if r.n < len(r.buf) {
		r.buf[(r.start+r.n)%len(r.buf)] = e
		r.n++
		return 0
	}
	old := r.buf[r.start].ID
	r.buf[r.start] = e
	r.start = (r.start + 1) % len(r.buf)
	return old
}

// after copies up to limit events with ids above id.
func (r *ring) after(id int64, limit int) []store.Event {
	i := sort.Search(r.n, func(i int) bool { return r.at(i).ID > id })
	var out []store.Event
	for ; i < r.n && len(out) < limit; i++ {
		out = append(out, r.at(i))
	}
	return out
}

// sub is one subscriber: its channel, fed by its own goroutine, which alone sends on it
// and closes it.
type sub struct {
	ch      chan store.Event
	after   int64
	quit    chan struct{}
	once    sync.Once
	dropped atomic.Bool
}

// FromNow subscribes to the events after the hub's current position.
const FromNow = -1

// pumpBatch bounds the events a subscriber's goroutine copies from the ring at a time.
const pumpBatch = 64

// Subscribe returns the events with ids above afterID (FromNow: from the present), in id
// order, and a function that ends the subscription. Events older than the ring are read
// back from the table first. The channel is closed when cancel is called, when the hub
// stops, or when the subscriber falls more than Backlog events behind: the hub never waits
// for a subscriber. A subscriber that finds its channel closed while the hub is running
// (see Done) was dropped and may subscribe again after the last event it handled.
func (h *Hub) Subscribe(afterID int64) (<-chan store.Event, func()) {
	s := h.subscribe(afterID)
	return s.ch, s.cancel
}

func (h *Hub) subscribe(afterID int64) *sub {
	s := &sub{ch: make(chan store.Event, min(16, h.opts.Backlog)), after: afterID, quit: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		close(s.ch)
		return s
	}
	if afterID == FromNow && isClosed(h.ready) {
		s.after = h.last
	}
	h.nsubs++
	go h.pump(s)
	return s
}

func (s *sub) cancel() { s.once.Do(func() { close(s.quit) }) }

// pump feeds one subscriber until it cancels, the hub stops, or it is dropped.
func (h *Hub) pump(s *sub) {
	defer func() {
		h.mu.Lock()
		h.nsubs--
		h.mu.Unlock()
		close(s.ch)
	}()
	select {
	case <-h.ready:
	case <-s.quit:
		return
	case <-h.done:
		return
	}
	cursor := s.after
	inRing := false // once it has read from the ring, falling out of it is a drop
	for {
		h.mu.Lock()
		if cursor == FromNow { // subscribed before the hub started
			cursor = h.begin
		}
		changed, floor, last := h.changed, h.floor, h.last
		var batch []store.Event
		if cursor >= floor {
			batch = h.ring.after(cursor, pumpBatch)
		}
		h.mu.Unlock()

		if cursor < floor {
			if inRing {
				s.dropped.Store(true)
				h.dropped.Add(1)
				return
			}
			var err error
			if batch, cursor, err = h.fromTable(cursor, last); err != nil {
				if h.runCtx.Err() != nil {
					return // stopping
				}
				h.log.Warn("live: reading past events failed", "err", err)
				s.dropped.Store(true) // its owner resubscribes after what it has
				return
			}
		} else {
			inRing = true
			if len(batch) == 0 {
				select {
				case <-changed:
				case <-s.quit:
					return
				case <-h.done:
					return
				}
				continue
			}
		}
		for _, e := range batch {
			select {
			case s.ch <- e:
			case <-s.quit:
				return
			case <-h.done:
				return
			}
			if e.ID > cursor {
				cursor = e.ID
			}
		}
	}
}

// fromTable reads the events after cursor that the hub has passed (up to last), for a
// subscriber that starts before the ring; it returns them and the new cursor.
func (h *Hub) fromTable(cursor, last int64) ([]store.Event, int64, error) {
	events, err := store.ListEvents(h.runCtx, h.db.Read(), cursor, h.opts.BatchSize)
	if err != nil {
		return nil, cursor, err
	}
	var out []store.Event
	for _, e := range events {
		if e.ID > last {
			break
		}
		out = append(out, e)
	}
	// A short read means the table holds nothing else up to last (what is missing are
	// holes the hub gave up on).
	if len(events) == h.opts.BatchSize && events[len(events)-1].ID < last {
		return out, events[len(events)-1].ID, nil
	}
	return out, last, nil
}

// fanOutLocked adds an event to the ring; broadcastLocked then wakes the subscribers.
func (h *Hub) fanOutLocked(e store.Event) {
	h.last = e.ID
	if old := h.ring.push(e); old != 0 {
		h.floor = old
	}
	h.fresh = true
}

func (h *Hub) broadcastLocked() {
	if h.fresh {
		close(h.changed)
		h.changed = make(chan struct{})
		h.fresh = false
	}
}

// ---- Helpers ----

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// jitter returns d give or take a quarter.
func jitter(d time.Duration) time.Duration {
	return d*3/4 + rand.N(d/2+1)
}
