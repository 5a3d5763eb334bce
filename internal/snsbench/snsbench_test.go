package snsbench

import (
	"context"
	"fmt"
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func count(t testing.TB, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRow(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGeneratorSmall builds a tiny world (scale 0.01) and checks what was written, and that
// the services work on it.
func TestGeneratorSmall(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, err := Generate(ctx, db, 0.01)
		if err != nil {
			t.Fatal(err)
		}
		want := CountsFor(0.01)
		if w.Target != want || want.Orgs != 5 || want.People != 50 || want.Topics != 100 || want.Comments != 300 || want.Reads != 2000 {
			t.Fatalf("target %+v", w.Target)
		}
		got := Counts{Orgs: count(t, db, "orgs"), People: count(t, db, "users"), Communities: count(t, db, "communities"),
			Topics: count(t, db, "topics"), Comments: count(t, db, "comments"), Reads: count(t, db, "topic_reads")}
		if got != w.Written {
			t.Errorf("in the database %+v, reported %+v", got, w.Written)
		}
		if got.Orgs != want.Orgs || got.People != want.People || got.Communities != want.Communities ||
			got.Topics != want.Topics || got.Comments != want.Comments {
			t.Errorf("counts %+v, want %+v", got, want)
		}
		// Reads fall short only where a topic's readers are fewer than its share.
		if got.Reads > want.Reads || got.Reads < want.Reads/2 {
			t.Errorf("reads %d, want about %d", got.Reads, want.Reads)
		}
		if n := count(t, db, "topic_search"); n != want.Topics {
			t.Errorf("search rows %d", n)
		}
		if n := count(t, db, "community_members"); n != w.Memberships || n < want.Orgs || n > 5*want.Orgs {
			t.Errorf("memberships %d (reported %d)", n, w.Memberships)
		}
		var sumComments, sumAcks int
		if err := db.Read().QueryRow(ctx, "SELECT COALESCE(SUM(comment_count), 0), COALESCE(SUM(ack_count), 0) FROM topics").Scan(&sumComments, &sumAcks); err != nil {
			t.Fatal(err)
		}
		var acks int
		if err := db.Read().QueryRow(ctx, "SELECT COUNT(*) FROM topic_reads WHERE acked_at > 0").Scan(&acks); err != nil {
			t.Fatal(err)
		}
		if sumComments != got.Comments || sumAcks != acks {
			t.Errorf("topic counters: comments %d/%d acks %d/%d", sumComments, got.Comments, sumAcks, acks)
		}

		// The services see the world: a timeline, a search and a new topic.
		env := testapp.New(t, db)
		p, err := env.Auth.Principal(ctx, w.UsersOf(w.LargeOrgs[0])[0])
		if err != nil {
			t.Fatal(err)
		}
		items, _, err := env.SNS.Timeline(ctx, p, sns.TimelineQuery{Limit: 50})
		if err != nil || len(items) == 0 {
			t.Fatalf("timeline: %d items, %v", len(items), err)
		}
		hits, _, err := env.SNS.Search(ctx, p, sns.SearchQuery{Text: "攻撃", TimelineQuery: sns.TimelineQuery{Limit: 20}})
		if err != nil || len(hits) == 0 {
			t.Fatalf("search: %d hits, %v", len(hits), err)
		}
		topic, err := env.SNS.CreateTopic(ctx, p, importantTopic(w.Large, 0))
		if err != nil {
			t.Fatal(err)
		}
		if topic.ID != int64(want.Topics)+1 {
			t.Errorf("new topic id %d", topic.ID)
		}
		if err := env.SNS.Acknowledge(ctx, p, items[0].Topic.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func importantTopic(community int64, i int) sns.TopicInput {
	return sns.TopicInput{CommunityID: community, Title: fmt.Sprintf("【重要】競技会場へのDDoS攻撃の予告 (%d)", i),
		Body: "本日正午からの攻撃予告が投稿されました。各組織で監視を強化してください。", InfoType: string(model.InfoTypes[1]),
		Priority: string(model.PriorityImportant), TLP: string(model.TLPAmber), Scope: string(model.ScopeCommunity), Tags: []string{"DDoS", "予告"}}
}

// memSampler records the peak of the Go heap and of all memory the runtime has mapped,
// sampled every few milliseconds, and the process's peak resident size (Linux).
type memSampler struct {
	stop     chan struct{}
	wg       sync.WaitGroup
	heapPeak atomic.Uint64
	totPeak  atomic.Uint64
}

func startSampler() *memSampler {
	m := &memSampler{stop: make(chan struct{})}
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
	read := func() {
		metrics.Read(samples)
		if v := samples[0].Value.Uint64(); v > m.heapPeak.Load() {
			m.heapPeak.Store(v)
		}
		if v := samples[1].Value.Uint64(); v > m.totPeak.Load() {
			m.totPeak.Store(v)
		}
	}
	read()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-m.stop:
				read()
				return
			case <-tick.C:
				read()
			}
		}
	}()
	return m
}

func (m *memSampler) Stop() {
	close(m.stop)
	m.wg.Wait()
}

const mib = 1 << 20

// rssPeakMiB is VmHWM from /proc/self/status: the process's peak resident memory,
// which also counts SQLite's page cache (outside the Go heap); 0 when unknown.
func rssPeakMiB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// searchWords are what the search benchmark looks for: common words of the world's titles.
var searchWords = []string{"攻撃", "予告", "観測", "改ざん"}

// resetRSSPeak starts VmHWM again from the current resident size (Linux).
func resetRSSPeak() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// latencies times each operation of a benchmark and reports p50/p99 (ms), operations per
// second and the peak heap seen while it ran.
type latencies struct {
	d     []time.Duration
	start time.Time
	mem   *memSampler
}

func newLatencies(b *testing.B) *latencies {
	l := &latencies{mem: startSampler()}
	b.ResetTimer()
	l.start = time.Now()
	return l
}

func (l *latencies) time(b *testing.B, fn func() error) {
	t0 := time.Now()
	err := fn()
	l.d = append(l.d, time.Since(t0))
	if err != nil {
		b.Fatal(err)
	}
}

func (l *latencies) report(b *testing.B, rateUnit string) {
	elapsed := time.Since(l.start)
	b.StopTimer()
	l.mem.Stop()
	slices.Sort(l.d)
	q := func(p float64) float64 {
		return float64(l.d[min(len(l.d)-1, int(p*float64(len(l.d))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	if rateUnit != "" {
		b.ReportMetric(float64(len(l.d))/elapsed.Seconds(), rateUnit)
	}
	b.ReportMetric(float64(l.mem.heapPeak.Load())/mib, "peak-heap-MiB")
	b.ReportMetric(float64(l.mem.totPeak.Load())/mib, "peak-gomem-MiB")
}

func BenchmarkSQLite(b *testing.B) { benchWorld(b, store.SQLite) }

func BenchmarkPostgres(b *testing.B) {
	if testdb.PostgresURL(b) == "" {
		b.Skip("RENKEI_TEST_POSTGRES is not set")
	}
	benchWorld(b, store.Postgres)
}

// openWorld builds the world (RENKEI_BENCH_SCALE) in a fresh database, or opens the kept
// one (RENKEI_BENCH_KEEP).
func openWorld(b *testing.B, backend store.Backend, scale float64) (*store.DB, *World) {
	ctx := context.Background()
	mem := startSampler()
	defer mem.Stop()
	var db *store.DB
	var w *World
	var err error
	built := true
	if dir := KeepDir(); dir != "" {
		db, w, built, err = OpenKept(ctx, dir, backend, testdb.PostgresURL(b), scale)
		if err == nil {
			b.Cleanup(func() { db.Close() })
		}
	} else {
		db = testdb.Open(b, backend)
		w, err = Generate(ctx, db, scale)
	}
	if err != nil {
		b.Fatal(err)
	}
	if built {
		b.Logf("%s scale %g: built %+v, %d memberships (large community %d orgs), %d audience rows in %s; peak heap %.0f MiB, peak RSS %.0f MiB",
			backend, scale, w.Written, w.Memberships, len(w.LargeOrgs), w.Audience, w.Elapsed.Round(time.Millisecond),
			float64(mem.heapPeak.Load())/mib, rssPeakMiB())
	} else {
		b.Logf("%s scale %g: kept world %+v", backend, scale, w.Written)
	}
	return db, w
}

// benchWorld builds the world (RENKEI_BENCH_SCALE) once and runs each measurement on it.
// The process's peak memory is reset after the world is built, so the figure at the end
// is that of the services at work.
func benchWorld(b *testing.B, backend store.Backend) {
	ctx := context.Background()
	scale, err := ScaleFromEnv()
	if err != nil {
		b.Fatal(err)
	}
	db, w := openWorld(b, backend, scale)
	resetRSSPeak()
	env := testapp.New(b, db)

	// People of organizations in the large community, the most connected first.
	orgs := slices.Clone(w.LargeOrgs)
	slices.SortStableFunc(orgs, func(x, y int64) int {
		return len(w.OrgCommunities[y-w.FirstOrg]) - len(w.OrgCommunities[x-w.FirstOrg])
	})
	var people []auth.Principal
	for _, o := range orgs[:min(len(orgs), 16)] {
		p, err := env.Auth.Principal(ctx, w.UsersOf(o)[0])
		if err != nil {
			b.Fatal(err)
		}
		people = append(people, p)
	}
	b.Logf("timeline people are in %d communities (first)", len(people[0].Actor.Communities))

	// A server in service has the pages it reads often in memory: one timeline and one
	// search per person warm the caches before anything is timed.
	for _, p := range people {
		if _, _, err := env.SNS.Timeline(ctx, p, sns.TimelineQuery{Limit: 50}); err != nil {
			b.Fatal(err)
		}
		for _, word := range searchWords {
			if _, _, err := env.SNS.Search(ctx, p, sns.SearchQuery{Text: word, TimelineQuery: sns.TimelineQuery{Limit: 20}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("Timeline", func(b *testing.B) {
		l := newLatencies(b)
		for i := 0; b.Loop(); i++ {
			p := people[i%len(people)]
			l.time(b, func() error {
				items, _, err := env.SNS.Timeline(ctx, p, sns.TimelineQuery{Limit: 50})
				if err == nil && len(items) != 50 {
					err = fmt.Errorf("timeline: %d items", len(items))
				}
				return err
			})
		}
		l.report(b, "pages/s")
	})
	// The server's throughput: as many requests at once as a loaded server would have
	// (4 per core), each a first timeline page of a different person.
	b.Run("TimelineConcurrent", func(b *testing.B) {
		var next atomic.Int64
		mem := startSampler()
		b.SetParallelism(4)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				p := people[int(next.Add(1))%len(people)]
				if _, _, err := env.SNS.Timeline(ctx, p, sns.TimelineQuery{Limit: 50}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		elapsed := time.Since(start)
		mem.Stop()
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "pages/s")
		b.ReportMetric(float64(mem.heapPeak.Load())/mib, "peak-heap-MiB")
	})
	b.Run("Search", func(b *testing.B) {
		words := searchWords
		l := newLatencies(b)
		for i := 0; b.Loop(); i++ {
			p, word := people[i%len(people)], words[i%len(words)]
			l.time(b, func() error {
				_, _, err := env.SNS.Search(ctx, p, sns.SearchQuery{Text: word, TimelineQuery: sns.TimelineQuery{Limit: 20}})
				return err
			})
		}
		l.report(b, "searches/s")
	})
	b.Run("CreateImportantTopic", func(b *testing.B) {
		b.Logf("large community: %d member organizations, %d people", len(w.LargeOrgs), len(w.LargeOrgs)*(w.Target.People/w.Target.Orgs))
		l := newLatencies(b)
		for i := 0; b.Loop(); i++ {
			p := people[i%len(people)]
			l.time(b, func() error {
				_, err := env.SNS.CreateTopic(ctx, p, importantTopic(w.Large, i))
				return err
			})
		}
		l.report(b, "topics/s")
	})
	b.Run("Acknowledge", func(b *testing.B) {
		// Fresh acknowledgements of the large community's topics, newest first, that the
		// person has not acknowledged yet (a kept world keeps earlier runs' ones).
		p := people[0]
		rows, err := db.Read().Query(ctx, `SELECT t.id FROM topics t WHERE t.community_id = ? AND t.scope = 'community' AND t.tlp <> 'red'
			AND NOT EXISTS (SELECT 1 FROM topic_reads r WHERE r.topic_id = t.id AND r.user_id = ? AND r.acked_at > 0)
			ORDER BY t.id DESC LIMIT 5000`, w.Large, p.User.ID)
		if err != nil {
			b.Fatal(err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				b.Fatal(err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if len(ids) < b.N {
			b.Fatalf("%d topics left to acknowledge, want %d", len(ids), b.N)
		}
		l := newLatencies(b)
		for i := 0; b.Loop(); i++ {
			id := ids[i]
			l.time(b, func() error { return env.SNS.Acknowledge(ctx, p, id) })
		}
		l.report(b, "acks/s")
	})
	b.Logf("peak RSS of the process while the services ran %.0f MiB", rssPeakMiB())
}
