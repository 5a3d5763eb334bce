package taxii_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/testdb"
)

// benchObjects is the size of the collection BenchmarkTAXIICollection builds: 20,000 by
// default so that `go test -bench` stays quick; the figure is taken with
// RENKEI_BENCH_TAXII_OBJECTS=1000000 (see the README).
func benchObjects(b *testing.B) int {
	n := 20_000
	if s := os.Getenv("RENKEI_BENCH_TAXII_OBJECTS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1000 {
			b.Fatalf("RENKEI_BENCH_TAXII_OBJECTS=%q: want a number of at least 1000", s)
		}
		n = v
	}
	return n - n%1000
}

// benchEnvelope is an envelope of 1,000 objects numbered from start: indicators with one
// address each, and one identity in a hundred (so that match[type] has a rare type to find).
func benchEnvelope(start int) string {
	var b strings.Builder
	b.Grow(1000 * 400)
	b.WriteString(`{"objects":[`)
	for i := range 1000 {
		if i > 0 {
			b.WriteByte(',')
		}
		k := start + i
		if k%100 == 99 {
			fmt.Fprintf(&b, `{"type":"identity","spec_version":"2.1","id":"identity--%08x-0000-4000-8000-000000000000","created":"2026-07-01T00:00:00.000Z",`+
				`"modified":"2026-07-01T00:00:00.000Z","name":"Organization %d","identity_class":"organization"}`, k, k)
			continue
		}
		fmt.Fprintf(&b, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2026-07-01T00:00:00.000Z",`+
			`"modified":"2026-07-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2026-07-01T00:00:00Z"}`,
			k, (k>>16)&255, (k>>8)&255, k&255)
	}
	b.WriteString(`]}`)
	return b.String()
}

// heapPeak samples the live heap every 20 ms until stopped and keeps the largest.
type heapPeak struct {
	peak atomic.Uint64
	stop chan struct{}
	done chan struct{}
}

func watchHeap() *heapPeak {
	h := &heapPeak{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > h.peak.Load() {
				h.peak.Store(v)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapPeak) end() uint64 { close(h.stop); <-h.done; return h.peak.Load() }

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func pct(d []time.Duration, p float64) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	i := min(len(s)-1, int(float64(len(s))*p))
	return float64(s[i].Microseconds()) / 1000
}

// BenchmarkTAXIICollection builds a collection through TAXII POSTs of 1,000 objects
// (over HTTP, on SQLite) and then reads it through TAXII GETs: ingest objects/s (wall
// clock and per CPU second of the whole process, server and client), the peak live heap
// while ingesting, GET page (1,000) p50/p99 at random points of the collection, the time
// to walk all of it with next, and filtered pages (match[type], added_after). Run it
// once: -benchtime=1x.
func BenchmarkTAXIICollection(b *testing.B) {
	total := benchObjects(b)
	w := newWorld(b, testdb.SQLite(b))
	coll := root(w.shared) + "objects/"
	b.ResetTimer()

	heap := watchHeap()
	cpu0, t0 := cpuTime(), time.Now()
	var firstAdded string
	// The client makes its next envelope while the server stores the last one, as a
	// client on another machine would.
	envelopes := make(chan string, 1)
	go func() {
		defer close(envelopes)
		for start := 0; start < total; start += 1000 {
			envelopes <- benchEnvelope(start)
		}
	}()
	for start := 0; start < total; start += 1000 {
		r := w.do(b, "POST", coll, w.satoTok, <-envelopes)
		if r.status != 202 || !strings.Contains(string(r.body), `"success_count":1000`) {
			b.Fatalf("POST at %d: %d %.300s", start, r.status, r.body)
		}
		if start == 0 {
			g := w.do(b, "GET", coll+"?limit=1", w.tanaTok, "")
			firstAdded = g.header.Get("X-TAXII-Date-Added-First")
		}
	}
	ingest, ingestCPU := time.Since(t0), cpuTime()-cpu0
	peak := heap.end()
	b.ReportMetric(float64(total)/ingest.Seconds(), "objects/s")
	b.ReportMetric(float64(total)/ingestCPU.Seconds(), "objects/cpu-s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	b.ReportMetric(float64(ru.Maxrss)/1024, "max-rss-MiB")

	// The whole collection, page by page with next.
	t0 = time.Now()
	var pages []time.Duration
	var cursors []string
	seen, next := 0, ""
	for {
		q := coll + "?limit=1000"
		if next != "" {
			q += "&next=" + url.QueryEscape(next)
		}
		p0 := time.Now()
		r := w.do(b, "GET", q, w.tanaTok, "")
		pages = append(pages, time.Since(p0))
		var pg struct {
			More    bool              `json:"more"`
			Next    string            `json:"next"`
			Objects []json.RawMessage `json:"objects"`
		}
		if r.status != 200 || json.Unmarshal(r.body, &pg) != nil {
			b.Fatalf("GET: %d %.300s", r.status, r.body)
		}
		seen += len(pg.Objects)
		if !pg.More {
			break
		}
		next = pg.Next
		cursors = append(cursors, next)
	}
	walk := time.Since(t0)
	if seen != total {
		b.Fatalf("walked %d objects of %d", seen, total)
	}
	b.ReportMetric(walk.Seconds(), "walk-s")

	// Pages at scattered points of the collection (cursors reused in a shuffled order so
	// that each read starts somewhere else).
	var lat []time.Duration
	for i := range min(500, len(cursors)) {
		c := cursors[(i*7919)%len(cursors)]
		p0 := time.Now()
		r := w.do(b, "GET", coll+"?limit=1000&next="+url.QueryEscape(c), w.tanaTok, "")
		lat = append(lat, time.Since(p0))
		if r.status != 200 {
			b.Fatalf("GET: %d", r.status)
		}
	}
	b.ReportMetric(pct(lat, 0.50), "page-p50-ms")
	b.ReportMetric(pct(lat, 0.99), "page-p99-ms")

	// Filters: the rare type (one object in a hundred) and added_after from the middle.
	var typ, after []time.Duration
	for i := range 50 {
		p0 := time.Now()
		r := w.do(b, "GET", coll+"?limit=1000&match[type]=identity", w.tanaTok, "")
		typ = append(typ, time.Since(p0))
		if r.status != 200 || !strings.Contains(string(r.body), `"identity--`) {
			b.Fatalf("GET match[type]: %d %.200s", r.status, r.body)
		}
		p0 = time.Now()
		r = w.do(b, "GET", coll+"?limit=1000&added_after="+url.QueryEscape(firstAdded)+"&next="+url.QueryEscape(cursors[(i*131)%len(cursors)]), w.tanaTok, "")
		after = append(after, time.Since(p0))
		if r.status != 200 {
			b.Fatalf("GET added_after: %d", r.status)
		}
	}
	b.ReportMetric(pct(typ, 0.99), "type-page-p99-ms")
	b.ReportMetric(pct(after, 0.99), "after-page-p99-ms")
	b.Logf("%d objects: ingest %s (%.0f objects/s, %.0f per CPU second), peak heap %.0f MiB; walk %s in %d pages; page p50 %.1f ms p99 %.1f ms",
		total, ingest.Round(time.Millisecond), float64(total)/ingest.Seconds(), float64(total)/ingestCPU.Seconds(), float64(peak)/(1<<20),
		walk.Round(time.Millisecond), len(pages), pct(lat, 0.5), pct(lat, 0.99))
}
