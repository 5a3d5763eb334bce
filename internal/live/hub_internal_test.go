package live

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

const wait = 5 * time.Second

func run(t *testing.T, db *store.DB, opts Options) *Hub {
	t.Helper()
	h := New(db, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
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

func insert(t *testing.T, c store.Conn) int64 {
	t.Helper()
	id, err := store.InsertEvent(context.Background(), c, store.Event{Kind: "test.event"}, time.Now())
	if err != nil {
		t.Error(err)
	}
	return id
}

// openTx inserts an event in a transaction that stays open until end is given an error to
// roll back with, or nil to commit; it returns the event id and the transaction's outcome.
func openTx(t *testing.T, db *store.DB) (int64, chan<- error, <-chan error) {
	t.Helper()
	ids, end, result := make(chan int64), make(chan error), make(chan error, 1)
	go func() {
		result <- db.Write(context.Background(), func(c store.Conn) error {
			ids <- insert(t, c)
			return <-end
		})
	}()
	select {
	case id := <-ids:
		return id, end, result
	case <-time.After(wait):
		t.Fatal("insert stuck")
	}
	return 0, nil, nil
}

func commitOne(t *testing.T, db *store.DB) int64 {
	t.Helper()
	var id int64
	if err := db.Write(context.Background(), func(c store.Conn) error { id = insert(t, c); return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}

func expect(t *testing.T, ch <-chan store.Event, id int64) {
	t.Helper()
	select {
	case e := <-ch:
		if e.ID != id {
			t.Fatalf("got event %d, want %d", e.ID, id)
		}
	case <-time.After(wait):
		t.Fatalf("event %d not delivered", id)
	}
}

func expectNothing(t *testing.T, ch <-chan store.Event, d time.Duration) {
	t.Helper()
	select {
	case e := <-ch:
		t.Fatalf("event %d delivered too early", e.ID)
	case <-time.After(d):
	}
}

// On PostgreSQL a later id can commit first; the hub holds it until the earlier one
// commits, and delivers both in order.
func TestHoldsBehindUncommittedID(t *testing.T) {
	t.Parallel()
	db := testdb.Postgres(t)
	if db == nil {
		t.Skip("RENKEI_TEST_POSTGRES is not set")
	}
	h := run(t, db, Options{PollInterval: time.Minute, GapGrace: time.Minute})
	ch, cancel := h.Subscribe(FromNow)
	defer cancel()
	first, end, result := openTx(t, db)
	second := commitOne(t, db)
	h.Wake()
	expectNothing(t, ch, 400*time.Millisecond)
	end <- nil
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	h.Wake()
	expect(t, ch, first)
	expect(t, ch, second)
	if s := h.Stats(); s.Skipped != 0 {
		t.Errorf("stats %+v", s)
	}
}

// A hole left by a rollback is given up on as soon as the transactions that were running
// have ended, long before GapGrace.
func TestRolledBackIDReleased(t *testing.T) {
	t.Parallel()
	db := testdb.Postgres(t)
	if db == nil {
		t.Skip("RENKEI_TEST_POSTGRES is not set")
	}
	h := run(t, db, Options{PollInterval: time.Minute, GapGrace: time.Minute})
	ch, cancel := h.Subscribe(FromNow)
	defer cancel()
	_, end, result := openTx(t, db)
	second := commitOne(t, db)
	h.Wake()
	expectNothing(t, ch, 300*time.Millisecond)
	start := time.Now()
	end <- errors.New("roll back")
	<-result
	expect(t, ch, second)
	t.Logf("released %v after the rollback", time.Since(start))
	if s := h.Stats(); s.Skipped != 1 {
		t.Errorf("stats %+v", s)
	}
}

// A transaction that stays open holds later events back for GapGrace at most; its event,
// committed after that, is not delivered live (it is still in the table).
func TestGapGraceBoundsTheWait(t *testing.T) {
	t.Parallel()
	db := testdb.Postgres(t)
	if db == nil {
		t.Skip("RENKEI_TEST_POSTGRES is not set")
	}
	h := run(t, db, Options{PollInterval: time.Minute, GapGrace: 300 * time.Millisecond})
	ch, cancel := h.Subscribe(FromNow)
	defer cancel()
	_, end, result := openTx(t, db)
	start := time.Now()
	second := commitOne(t, db)
	h.Wake()
	expect(t, ch, second)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("released after %v, before GapGrace", d)
	}
	end <- nil
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	third := commitOne(t, db)
	h.Wake()
	expect(t, ch, third)
}

// A subscription taken before the hub has started begins where the hub starts.
func TestSubscribeBeforeRun(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		commitOne(t, db)
		h := New(db, Options{PollInterval: time.Minute})
		ch, cancel := h.Subscribe(FromNow)
		defer cancel()
		old, cancelOld := h.Subscribe(0)
		defer cancelOld()
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { h.Run(ctx); close(done) }()
		defer func() { stop(); <-done }()
		<-h.Ready()
		id := commitOne(t, db)
		h.Wake()
		expect(t, ch, id)
		expect(t, old, id-1)
		expect(t, old, id)
	})
}

func TestRing(t *testing.T) {
	t.Parallel()
	r := ring{buf: make([]store.Event, 3)}
	for id := int64(1); id <= 5; id++ {
		evicted := r.push(store.Event{ID: id * 10})
		if want := max(0, (id-3)*10); evicted != want {
			t.Errorf("push %d evicted %d, want %d", id*10, evicted, want)
		}
	}
	got := func(after int64, limit int) []int64 {
		var ids []int64
		for _, e := range r.after(after, limit) {
			ids = append(ids, e.ID)
		}
		return ids
	}
	for _, tc := range []struct {
		after int64
		limit int
		want  []int64
	}{{0, 10, []int64{30, 40, 50}}, {30, 10, []int64{40, 50}}, {35, 1, []int64{40}}, {50, 10, nil}} {
		if g := got(tc.after, tc.limit); len(g) != len(tc.want) || (len(g) > 0 && g[0] != tc.want[0]) {
			t.Errorf("after(%d, %d) = %v, want %v", tc.after, tc.limit, g, tc.want)
		}
	}
}

// When the LISTEN connection is lost the hub reconnects, and notifications work again.
func TestListenReconnects(t *testing.T) {
	t.Parallel()
	db := testdb.Postgres(t)
	if db == nil {
		t.Skip("RENKEI_TEST_POSTGRES is not set")
	}
	h := run(t, db, Options{PollInterval: time.Minute})
	listening := func(not uint32) uint32 {
		t.Helper()
		deadline := time.Now().Add(wait)
		for {
			if pid := h.listenPID.Load(); h.Stats().Listening && pid != not {
				return pid
			}
			if time.Now().After(deadline) {
				t.Fatal("not listening")
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	pid := listening(0)
	ch, cancel := h.Subscribe(FromNow)
	defer cancel()
	ctx := context.Background()
	var ok bool
	if err := db.Read().QueryRow(ctx, "SELECT pg_terminate_backend(?)", int64(pid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminate %d: %v %v", pid, ok, err)
	}
	listening(pid)
	var id int64
	if err := db.Write(ctx, func(c store.Conn) error { id = insert(t, c); return Notify(ctx, c) }); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	expect(t, ch, id)
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %v after reconnection", d)
	}
}
