package monitor

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/lookalike"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// peakHeap samples the heap in use until stop is called, and returns the highest value.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}

// benchURLs is the size of the liveness sweep: RENKEI_BENCH_MONITOR_URLS, default 5,000
// (the figure is 50,000: set it to run that).
func benchURLs(b *testing.B) int {
	n := 5000
	if v := os.Getenv("RENKEI_BENCH_MONITOR_URLS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("RENKEI_BENCH_MONITOR_URLS=%q", v)
		}
	}
	return n
}

// BenchmarkLivenessSweep runs one liveness sweep over many URLs served by local test
// servers (one op is one sweep of every URL), on each backend. The per-host rate limit is
// off: every URL is on 127.0.0.1, where it would make the sweep wait for the one host.
// It reports URLs checked per second and the peak heap during the sweep.
func BenchmarkLivenessSweep(b *testing.B) {
	for _, backend := range testdb.Backends {
		b.Run(string(backend), func(b *testing.B) {
			db := testdb.Open(b, backend)
			if db == nil {
				b.Skip("RENKEI_TEST_POSTGRES is not set")
			}
			benchSweep(b, db, benchURLs(b))
		})
	}
}

func benchSweep(b *testing.B, db *store.DB, n int) {
	// Ten servers, each answering a small page; a tenth of the URLs are down.
	var servers []*httptest.Server
	for range 10 {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if len(r.URL.Path) > 3 && r.URL.Path[len(r.URL.Path)-1] == '0' {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			fmt.Fprint(w, "<html><body>ok</body></html>")
		}))
		b.Cleanup(srv.Close)
		servers = append(servers, srv)
	}
	ts := make([]Target, n)
	for i := range ts {
		ts[i] = Target{AssetID: int64(i + 1), OrgID: int64(i%500 + 1), Kind: KindURL,
			Value: fmt.Sprintf("%s/site/%d", servers[i%len(servers)].URL, i)}
	}
	targets := &fakeTargets{}
	targets.set(ts...)
	clk := newClock()
	cfg := testConfig(clk)
	cfg.Concurrency = 64
	cfg.Batch = 64
	var findings atomic.Int64
	m, err := New(db, cfg, targets, countSink{&findings}, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	start := time.Now()
	if _, _, err := m.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds()), "sync-ms")
	runtime.GC()
	var peak uint64
	for b.Loop() {
		stop := peakHeap()
		start := time.Now()
		ran, err := m.RunDue(ctx)
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		peak = max(peak, stop())
		if ran != n {
			b.Fatalf("ran %d of %d", ran, n)
		}
		b.ReportMetric(float64(n)/took.Seconds(), "urls/s")
		clk.advance(cfg.withDefaults().HTTPInterval + time.Minute)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	if findings.Load() == 0 {
		b.Fatal("no site was reported down")
	}
}

type countSink struct{ n *atomic.Int64 }

func (c countSink) Report(context.Context, Finding) error { c.n.Add(1); return nil }

// BenchmarkLookalikeSweep sweeps the lookalike candidates of a few registered domains
// against the local DNS server with the rate limit off (one op is one sweep of every
// domain); one candidate in twenty is registered.
func BenchmarkLookalikeSweep(b *testing.B) {
	d := startDNS(b)
	domains := []string{"toto-power.jp", "example.co.jp", "kanto-gas.jp", "jpcert.or.jp"}
	var ts []Target
	total := 0
	for i, dom := range domains {
		ts = append(ts, Target{AssetID: int64(i + 1), OrgID: int64(i + 1), Kind: KindDomain, Value: dom})
		d.Add(dom + ". 300 IN A 192.0.2.1")
		cands, err := lookalike.Generate(dom, lookalike.Options{})
		if err != nil {
			b.Fatal(err)
		}
		total += len(cands)
		for j := 0; j < len(cands); j += 20 {
			d.Add(cands[j].Domain + ". 300 IN A 203.0.113.9")
		}
	}
	db := testdb.SQLite(b)
	targets := &fakeTargets{}
	targets.set(ts...)
	clk := newClock()
	cfg := testConfig(clk)
	cfg.Resolver = d.Addr
	cfg.DNSConcurrency = 64
	cfg.MaxCandidates = MaxCandidatesLimit
	var findings atomic.Int64
	m, err := New(db, cfg, targets, countSink{&findings}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := m.Sync(context.Background()); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		start := time.Now()
		if _, err := m.RunDue(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(total)/time.Since(start).Seconds(), "names/s")
		clk.advance(25 * time.Hour)
	}
	b.ReportMetric(float64(total), "candidates")
	if findings.Load() == 0 {
		b.Fatal("no lookalike reported")
	}
}
