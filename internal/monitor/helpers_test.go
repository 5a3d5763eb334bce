package monitor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/store"
)

// fakeTargets is a list of approved assets the test changes at will.
type fakeTargets struct {
	mu sync.Mutex
	ts []Target
}

func (f *fakeTargets) ApprovedTargets(context.Context) ([]Target, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ts), nil
}

func (f *fakeTargets) set(ts ...Target) {
	f.mu.Lock()
	f.ts = ts
	f.mu.Unlock()
}

// sink records findings; it checks that every one is complete in both languages.
type sink struct {
	t    testing.TB
	mu   sync.Mutex
	got  []Finding
	fail atomic.Bool
}

func (s *sink) Report(_ context.Context, f Finding) error {
	if s.fail.Load() {
		return errors.New("sink down")
	}
	for _, txt := range []string{f.TitleJA, f.TitleEN, f.BodyJA, f.BodyEN, f.ActionJA, f.ActionEN} {
		if txt == "" || strings.ContainsAny(txt, "{}") || strings.HasPrefix(txt, "monitor.") {
			s.t.Errorf("finding %s: text not rendered: %q", f.Key, txt)
		}
	}
	if f.AssetID == 0 || f.OrgID == 0 || f.Check == "" || f.Key == "" || f.Severity == "" || f.ObservedAt.IsZero() {
		s.t.Errorf("finding incomplete: %+v", f)
	}
	s.mu.Lock()
	s.got = append(s.got, f)
	s.mu.Unlock()
	return nil
}

// take returns and forgets the findings so far, sorted by key.
func (s *sink) take() []Finding {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.got
	s.got = nil
	slices.SortFunc(out, func(a, b Finding) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func keys(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		p := "ok"
		if f.Problem {
			p = "problem"
		}
		out = append(out, f.Key+"="+p)
	}
	return out
}

// clock is a settable clock, starting at the real time (certificates are made with it).
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// testConfig is a configuration for tests: no jitter, no confirmation wait, no host rate
// limit, short timeouts.
func testConfig(c *clock) Config {
	return Config{
		Now:          c.Now,
		Jitter:       0,
		ConfirmDelay: -1,
		HostRate:     -1,
		HTTPTimeout:  5 * time.Second,
		TLSTimeout:   2 * time.Second,
		PortTimeout:  500 * time.Millisecond,
		DNSTimeout:   300 * time.Millisecond,
		DNSRetries:   -1,
		DNSRate:      0,
		Poll:         20 * time.Millisecond,
	}
}

func newMonitor(t testing.TB, db *store.DB, cfg Config, targets Targets, s Sink) *Monitor {
	t.Helper()
	m, err := New(db, cfg, targets, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sweep syncs and runs every due check once.
func sweep(t testing.TB, m *Monitor) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, _, err := m.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := m.RunDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// checks returns the scheduled checks.
func checks(t testing.TB, db *store.DB) []store.MonitorCheck {
	t.Helper()
	cs, err := store.ListMonitorChecks(context.Background(), db.Read(), store.Page{Limit: store.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// hitServer is an HTTP server on 127.0.0.1 that counts requests per path and answers
// with the status set for a path (200 by default).
type hitServer struct {
	*httptest.Server
	mu     sync.Mutex
	hits   map[string]int
	status map[string]int
	body   string
	delay  time.Duration
	active atomic.Int64
	peak   atomic.Int64
}

func newHitServer(t testing.TB) *hitServer {
	h := &hitServer{hits: map[string]int{}, status: map[string]int{}, body: "<html>welcome to example</html>"}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := h.active.Add(1)
		defer h.active.Add(-1)
		for {
			p := h.peak.Load()
			if n <= p || h.peak.CompareAndSwap(p, n) {
				break
			}
		}
		h.mu.Lock()
		h.hits[r.URL.Path]++
		st, ok := h.status[r.URL.Path]
		body, delay := h.body, h.delay
		h.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if !ok {
			st = 200
		}
		w.WriteHeader(st)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hitServer) setStatus(path string, st int) {
	h.mu.Lock()
	h.status[path] = st
	h.mu.Unlock()
}

func (h *hitServer) hitsFor(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits[path]
}
