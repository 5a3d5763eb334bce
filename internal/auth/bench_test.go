package auth_test

// Benchmarks of password sign-in at production cost (argon2id m=64 MiB, t=2, p=2, two
// hashes at once). They run only with -bench, for example
//
//	go test -run xxx -bench . -benchtime 20x ./internal/auth/
//
// BenchmarkSignInBurst measures the memory of 200 sign-ins arriving together: the hasher
// runs at most HashParallel hashes, each holding HashMemoryMiB, and makes the others wait
// in its queue (or answers error.busy when the queue is full), so the memory depends on
// the slots, not on how many people sign in at once: the live heap stays within
// (slots + 1) × 64 MiB, and the heap within (1 + GOGC/100) times that, since finished
// hashes are garbage until the next collection.

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/config"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

const mib = 1 << 20

// BenchmarkPasswordVerify is one argon2id verification with the production parameters.
func BenchmarkPasswordVerify(b *testing.B) {
	h := auth.NewHasher(auth.DefaultHashParams, 1, 0)
	encoded, err := h.Hash(context.Background(), testapp.Password)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ok, _, err := h.Verify(context.Background(), encoded, testapp.Password)
		if err != nil || !ok {
			b.Fatalf("verify: %v %v", ok, err)
		}
	}
}

// productionConfig is the test configuration with the production hashing settings.
func productionConfig(b *testing.B) config.Config {
	cfg := testapp.Config(b)
	d := config.Defaults()
	cfg.HashMemoryMiB, cfg.HashTime, cfg.HashThreads = d.HashMemoryMiB, d.HashTime, d.HashThreads
	cfg.HashParallel, cfg.HashQueue = d.HashParallel, d.HashQueue
	return cfg
}

// signInEnv is an app on SQLite with production hashing and n people who can sign in.
func signInEnv(b *testing.B, cfg config.Config, n int) (*testapp.Env, []model.User) {
	b.Helper()
	e := testapp.NewWith(b, testdb.SQLite(b), cfg)
	if p := e.Auth.Hasher().Params(); p != auth.DefaultHashParams {
		b.Fatalf("hasher runs %+v, not the production %+v", p, auth.DefaultHashParams)
	}
	org := e.Org("東都電力", model.KindOperator)
	people := make([]model.User, n)
	for i := range people {
		people[i] = e.Person(org, fmt.Sprintf("user%03d@toto.example", i), model.RoleMember)
	}
	return e, people
}

// BenchmarkSignInParallel is the whole password sign-in (throttle check, lookup, argon2id,
// session, audit record) through the service, from as many goroutines as GOMAXPROCS × 8.
func BenchmarkSignInParallel(b *testing.B) {
	e, people := signInEnv(b, productionConfig(b), 16)
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			u := people[int(i)%len(people)]
			cl := auth.Client{IP: fmt.Sprintf("192.0.2.%d", i%250+1), UserAgent: "bench"}
			res, err := e.Auth.SignIn(context.Background(), u.Email, testapp.Password, cl)
			if err != nil || !res.Complete() {
				b.Errorf("sign-in: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "signins/s")
}

// heapSampler records the largest heap seen while it runs. It reads runtime/metrics,
// which takes a fraction of a microsecond: runtime.ReadMemStats stops the world, which
// under argon2id load takes milliseconds and would slow down what it measures.
type heapSampler struct {
	stop, done chan struct{}
	peakHeap   uint64 // heap objects, live or not yet collected (MemStats.HeapAlloc)
	peakLive   uint64 // heap found live by the last collection
	peakTotal  uint64 // memory the runtime holds from the system (MemStats.Sys - HeapReleased)
	readings   int
}

func sampleHeap(every time.Duration) *heapSampler {
	s := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	read := func() {
		metrics.Read(samples)
		s.readings++
		s.peakHeap = max(s.peakHeap, samples[0].Value.Uint64())
		s.peakLive = max(s.peakLive, samples[1].Value.Uint64())
		s.peakTotal = max(s.peakTotal, samples[2].Value.Uint64()-samples[3].Value.Uint64())
	}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			read()
			select {
			case <-s.stop:
				read()
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// Stop ends the sampling; the peaks may be read after it returns.
func (s *heapSampler) Stop() { close(s.stop); <-s.done }

// burstResult counts the outcomes of one burst, with the longest time each took.
type burstResult struct {
	ok, busy         int
	slowOK, slowBusy time.Duration
}

// burst signs in n people at once, released together, and waits for all of them.
func burst(e *testapp.Env, people []model.User, n int) (burstResult, error) {
	var r burstResult
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		u := people[i%len(people)]
		cl := auth.Client{IP: fmt.Sprintf("198.51.100.%d", i%250+1), UserAgent: "bench"}
		wg.Go(func() {
			<-gate
			start := time.Now()
			_, err := e.Auth.SignIn(context.Background(), u.Email, testapp.Password, cl)
			d := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				r.ok++
				r.slowOK = max(r.slowOK, d)
			case fault.Is(err, fault.Unavailable) && fault.As(err).Key == "error.busy":
				r.busy++
				r.slowBusy = max(r.slowBusy, d)
			case firstErr == nil:
				firstErr = err
			}
		})
	}
	close(gate)
	wg.Wait()
	return r, firstErr
}

// BenchmarkSignInBurst sends sign-ins in bursts of 200 released at once; one op is one
// sign-in of a burst (b.N rounded up to whole bursts, at least one). It reports the peak
// heap above the heap before each burst:
//
//   - slots=2,queue=256 (the defaults): every sign-in waits for one of the two hashing
//     slots and succeeds;
//   - slots=2,queue=16: the 182 sign-ins beyond slots + queue are answered error.busy at
//     once, without hashing or allocating;
//   - slots=4,queue=16: twice the slots, to show that the peak follows the slots and not
//     the number of people signing in.
//
// The heap found live by the collector stays within about (slots + 1) × 64 MiB; the heap
// itself may grow to (1 + GOGC/100) times that before the collector reclaims the hashes
// that have finished, so that is the bound checked.
func BenchmarkSignInBurst(b *testing.B) {
	const size = 200
	gogc := debug.SetGCPercent(-1)
	debug.SetGCPercent(gogc)
	for _, v := range []struct{ slots, queue int }{{2, 256}, {2, 16}, {4, 16}} {
		b.Run(fmt.Sprintf("slots=%d,queue=%d", v.slots, v.queue), func(b *testing.B) {
			cfg := productionConfig(b)
			cfg.HashParallel, cfg.HashQueue = v.slots, v.queue
			e, people := signInEnv(b, cfg, 8)
			hashMiB := float64(e.Auth.Hasher().Params().MemoryKiB) / 1024
			liveBound := float64(v.slots+1)*hashMiB + 32
			heapBound := (1 + float64(max(gogc, 0))/100) * liveBound
			var peakHeap, peakLive, peakTotal float64
			var slowOK, slowBusy time.Duration
			var total, ok, busy int
			var elapsed time.Duration
			b.ResetTimer()
			for total < max(b.N, 1) {
				b.StopTimer()
				runtime.GC()
				debug.FreeOSMemory() // so that "held" is what this burst takes
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				s := sampleHeap(time.Millisecond)
				b.StartTimer()
				start := time.Now()
				r, err := burst(e, people, size)
				d := time.Since(start)
				b.StopTimer()
				s.Stop()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				if err != nil {
					b.Fatalf("a sign-in failed otherwise than busy: %v", err)
				}
				if want := min(size, v.slots+v.queue); r.ok < want || r.ok+r.busy != size {
					b.Fatalf("%d ok and %d busy of %d sign-ins; want at least %d ok (slots %d, queue %d)",
						r.ok, r.busy, size, want, v.slots, v.queue)
				}
				base := float64(before.HeapAlloc) / mib
				heap := float64(s.peakHeap)/mib - base
				live := float64(s.peakLive)/mib - base
				peakHeap, peakLive = max(peakHeap, heap), max(peakLive, live)
				peakTotal = max(peakTotal, float64(s.peakTotal)/mib)
				slowOK, slowBusy = max(slowOK, r.slowOK), max(slowBusy, r.slowBusy)
				if live > liveBound || heap > heapBound {
					b.Errorf("peak heap +%.0f MiB (live +%.0f MiB) above %.0f MiB; want live within %.0f MiB and heap within %.0f MiB",
						heap, live, base, liveBound, heapBound)
				}
				b.Logf("%d ok (slowest %s), %d busy (slowest %s) in %s; heap before %.1f MiB, peak +%.0f MiB, live after a collection +%.0f MiB, held from the system %.0f MiB; %d collections; %d readings",
					r.ok, r.slowOK.Round(time.Millisecond), r.busy, r.slowBusy.Round(time.Microsecond), d.Round(time.Millisecond), base, heap, live, float64(s.peakTotal)/mib,
					after.NumGC-before.NumGC, s.readings)
				total, ok, busy, elapsed = total+size, ok+r.ok, busy+r.busy, elapsed+d
			}
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(total), "ns/op")
			b.ReportMetric(float64(ok)/elapsed.Seconds(), "signins/s")
			b.ReportMetric(float64(busy)/float64(total), "busy/op")
			b.ReportMetric(peakHeap, "peak-MiB")
			b.ReportMetric(peakLive, "live-MiB")
			b.ReportMetric(peakTotal, "held-MiB")
			b.ReportMetric(float64(v.slots)*hashMiB, "slots-hash-MiB")
			b.ReportMetric(slowOK.Seconds(), "max-wait-s")
			b.ReportMetric(float64(slowBusy.Microseconds())/1000, "max-busy-ms")
		})
	}
}
