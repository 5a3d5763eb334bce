package monitor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/config"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func urlTargets(base string, n int) []Target {
	ts := make([]Target, n)
	for i := range ts {
		ts[i] = Target{AssetID: int64(i + 1), OrgID: int64(i%7 + 1), Kind: KindURL, Value: fmt.Sprintf("%s/site/%d", base, i)}
	}
	return ts
}

func TestScheduleSurvivesRestartAndFollowsTheAssets(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := newHitServer(t)
		clk := newClock()
		targets := &fakeTargets{}
		targets.set(urlTargets(srv.URL, 5)...)
		s := &sink{t: t}
		cfg := testConfig(clk)
		m := newMonitor(t, db, cfg, targets, s)
		if n := sweep(t, m); n != 5 {
			t.Fatalf("first sweep ran %d checks, want 5", n)
		}
		if n := sweep(t, m); n != 0 {
			t.Fatalf("a second sweep at once ran %d checks: none is due", n)
		}
		if st, err := m.Status(context.Background()); err != nil || len(st) != 1 || st[0].Total != 5 || st[0].Due != 0 || st[0].Running != 0 || st[0].Failing != 0 {
			t.Errorf("status %+v, %v", st, err)
		}
		// A restart: a new monitor on the same database finds nothing due either.
		m2 := newMonitor(t, db, cfg, targets, s)
		if n := sweep(t, m2); n != 0 {
			t.Fatalf("after a restart %d checks ran before they were due", n)
		}
		for _, c := range checks(t, db) {
			if c.Runs != 1 || c.LastRunAt.IsZero() || !c.NextAt.Equal(c.LastRunAt.Add(Defaults().HTTPInterval)) || c.LeaseOwner != "" {
				t.Errorf("check after one run: %+v", c)
			}
		}
		clk.advance(Defaults().HTTPInterval)
		if n := sweep(t, m2); n != 5 {
			t.Fatalf("after the interval %d checks ran, want 5", n)
		}
		// An asset withdrawn loses its check; a changed one is scheduled afresh; a new
		// https one gets liveness and TLS checks.
		ts := urlTargets(srv.URL, 5)[1:]
		ts[0].Value += "?changed"
		ts = append(ts, Target{AssetID: 99, OrgID: 3, Kind: KindURL, Value: "https://127.0.0.1:1/"},
			Target{AssetID: 100, OrgID: 3, Kind: KindKeyword, Value: "toto"}) // no CT source: no check
		targets.set(ts...)
		added, removed, err := m2.Sync(context.Background())
		if err != nil || added != 2 || removed != 1 {
			t.Fatalf("sync: added %d, removed %d, %v; want 2, 1", added, removed, err)
		}
		got := map[string]store.MonitorCheck{}
		for _, c := range checks(t, db) {
			got[fmt.Sprintf("%d %s", c.AssetID, c.Check)] = c
		}
		if len(got) != 6 {
			t.Fatalf("%d checks scheduled, want 6: %v", len(got), got)
		}
		if _, ok := got["1 http"]; ok {
			t.Error("the withdrawn asset is still checked")
		}
		if c := got["2 http"]; !strings.HasSuffix(c.TargetValue, "?changed") || c.NextAt.Sub(clk.Now()).Abs() > time.Millisecond {
			t.Errorf("changed asset: %+v", c)
		}
		if _, ok := got["99 tls"]; !ok {
			t.Error("an https URL has no TLS check")
		}
	})
}

// TestTwoNodesRunEachCheckOnce runs two schedulers on one fresh database at once, both
// syncing the schedule then running what is due: every check is scheduled and runs
// exactly once, and every URL is asked exactly once.
func TestTwoNodesRunEachCheckOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := newHitServer(t)
		srv.delay = 2 * time.Millisecond
		clk := newClock()
		const n = 300
		targets := &fakeTargets{}
		targets.set(urlTargets(srv.URL, n)...)
		cfg := testConfig(clk)
		cfg.Concurrency, cfg.Batch = 8, 4
		s := &sink{t: t}
		a := newMonitor(t, db, cfg, targets, s)
		b := newMonitor(t, db, cfg, targets, s)
		var wg sync.WaitGroup
		ran := make([]int, 2)
		for i, m := range []*Monitor{a, b} {
			wg.Go(func() {
				if _, _, err := m.Sync(context.Background()); err != nil {
					t.Error(err)
				}
				var err error
				ran[i], err = m.RunDue(context.Background())
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if ran[0]+ran[1] != n {
			t.Fatalf("the nodes ran %d + %d checks, want %d in all", ran[0], ran[1], n)
		}
		if ran[0] == 0 || ran[1] == 0 {
			t.Logf("one node ran everything (%d, %d)", ran[0], ran[1])
		}
		for i := range n {
			if h := srv.hitsFor(fmt.Sprintf("/site/%d", i)); h != 1 {
				t.Errorf("/site/%d was asked %d times", i, h)
			}
		}
		cs := checks(t, db)
		if len(cs) != n {
			t.Errorf("%d checks scheduled, want %d", len(cs), n)
		}
		for _, c := range cs {
			if c.Runs != 1 || c.LastError != "" {
				t.Errorf("check %d ran %d times, last error %q", c.ID, c.Runs, c.LastError)
			}
		}
		if got := s.take(); len(got) != 0 {
			t.Errorf("findings for sites that are up: %v", keys(got))
		}
		t.Logf("node a ran %d, node b %d", ran[0], ran[1])
	})
}

// TestLeaseOfALostNode: a check claimed by a node that died is not run by another until
// the lease runs out.
func TestLeaseOfALostNode(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		srv := newHitServer(t)
		clk := newClock()
		targets := &fakeTargets{}
		targets.set(urlTargets(srv.URL, 1)...)
		cfg := testConfig(clk)
		m := newMonitor(t, db, cfg, targets, &sink{t: t})
		if _, _, err := m.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		err := db.Write(ctx, func(c store.Conn) error {
			got, err := store.ClaimMonitorChecks(ctx, c, "dead-node", clk.Now(), clk.Now().Add(m.cfg.Lease), 10)
			if len(got) != 1 {
				t.Fatalf("claimed %d", len(got))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := sweep(t, m); n != 0 {
			t.Fatalf("a leased check ran (%d)", n)
		}
		clk.advance(m.cfg.Lease + time.Second)
		if n := sweep(t, m); n != 1 || srv.hitsFor("/site/0") != 1 {
			t.Fatalf("after the lease ran out: %d runs, %d requests", n, srv.hitsFor("/site/0"))
		}
	})
}

// TestStopLeavesRunningChecksDue: a check cut short by a shutdown is no result, and is
// due again at once for the next start.
func TestStopLeavesRunningChecksDue(t *testing.T) {
	db := testdb.SQLite(t)
	srv := newHitServer(t)
	srv.delay = 10 * time.Second
	clk := newClock()
	targets := &fakeTargets{}
	targets.set(urlTargets(srv.URL, 3)...)
	s := &sink{t: t}
	m := newMonitor(t, db, testConfig(clk), targets, s)
	ctx, cancel := context.WithCancel(context.Background())
	wait := m.Start(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for srv.active.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wait()
	for _, c := range checks(t, db) {
		if c.Runs != 0 || !c.LeasedUntil.IsZero() || c.NextAt.After(clk.Now()) {
			t.Errorf("check after a stop mid-run: %+v", c)
		}
	}
	if got := s.take(); len(got) != 0 {
		t.Errorf("a cut-short run reported %v", keys(got))
	}
}

func TestConcurrencyAndHostRateLimits(t *testing.T) {
	db := testdb.SQLite(t)
	srv := newHitServer(t)
	srv.delay = 30 * time.Millisecond
	clk := newClock()
	targets := &fakeTargets{}
	targets.set(urlTargets(srv.URL, 24)...)
	cfg := testConfig(clk)
	cfg.Concurrency = 3
	m := newMonitor(t, db, cfg, targets, &sink{t: t})
	if n := sweep(t, m); n != 24 {
		t.Fatalf("ran %d", n)
	}
	if p := srv.peak.Load(); p > 3 {
		t.Errorf("%d requests at once with a concurrency of 3", p)
	} else {
		t.Logf("at most %d requests at once", p)
	}

	// Per host: 10 requests a second to 127.0.0.1, burst 1; 6 URLs take at least 0.5 s
	// however many run at once.
	db2 := testdb.SQLite(t)
	srv2 := newHitServer(t)
	targets.set(urlTargets(srv2.URL, 6)...)
	cfg = testConfig(clk)
	cfg.Concurrency, cfg.HostRate, cfg.HostBurst = 6, 10, 1
	m = newMonitor(t, db2, cfg, targets, &sink{t: t})
	start := time.Now()
	if n := sweep(t, m); n != 6 {
		t.Fatalf("ran %d", n)
	}
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Errorf("6 requests to one host at 10/s took %s", d)
	}
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []Config{
		{Concurrency: -1},
		{Jitter: 0.9},
		{Lease: time.Minute, CheckTimeout: 2 * time.Minute},
		{Ports: []int{70000}},
		{Resolver: "no-port"},
		{MaxCIDRAddresses: MaxCIDRAddresses + 1},
		{LookalikeFamilies: []string{"nope"}},
		{TLSWarnDays: []int{0}},
		{HTTPInterval: time.Millisecond},
	} {
		if _, err := New(testdb.SQLite(t), c, &fakeTargets{}, &sink{t: t}, nil); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if _, err := New(testdb.SQLite(t), Config{}, &fakeTargets{}, &sink{t: t}, nil); err != nil {
		t.Errorf("defaults refused: %v", err)
	}
}

func TestFromSettings(t *testing.T) {
	s := config.Defaults()
	c := FromSettings(s)
	if c.Resolver != "" || c.Concurrency != 32 || !slices.Equal(c.Ports, DefaultPorts) || c.DNSRate != 50 {
		t.Errorf("defaults: %+v", c)
	}
	s.MonitorResolver, s.MonitorPorts, s.MonitorDNSRate, s.MonitorConcurrency = "127.0.0.1:5353", []int{3389}, 0, 4
	c = FromSettings(s)
	if c.Resolver != "127.0.0.1:5353" || !slices.Equal(c.Ports, []int{3389}) || c.DNSRate != 0 || c.Concurrency != 4 {
		t.Errorf("settings: %+v", c)
	}
	if _, err := New(testdb.SQLite(t), c, &fakeTargets{}, &sink{t: t}, nil); err != nil {
		t.Errorf("settings refused: %v", err)
	}
}
