package intel_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// benchEnvelope returns an envelope of n new indicators, numbered from start.
func benchEnvelope(start, n int) string {
	var b strings.Builder
	b.WriteString(`{"objects":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		k := start + i
		fmt.Fprintf(&b, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000000","created":"2026-07-01T00:00:00.000Z",`+
			`"modified":"2026-07-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2026-07-01T00:00:00Z"}`,
			k, (k>>16)&255, (k>>8)&255, k&255)
	}
	b.WriteString(`]}`)
	return b.String()
}

// BenchmarkIngest measures envelope POSTs of 1,000 indicators into one collection
// (objects/s is the figure to read), on SQLite.
func BenchmarkIngest(b *testing.B) { benchIngest(b, testdb.SQLite(b)) }

// BenchmarkIngestPostgres is BenchmarkIngest on PostgreSQL (RENKEI_TEST_POSTGRES).
func BenchmarkIngestPostgres(b *testing.B) { benchIngest(b, testdb.Postgres(b)) }

func benchIngest(b *testing.B, db *store.DB) {
	w := newWorld(b, db)
	b.ResetTimer()
	start := time.Now()
	n := 0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		env := benchEnvelope(i*1000, 1000)
		b.StartTimer()
		st, err := w.env.Intel.AddObjects(testapp.Ctx(), w.pSato, w.shared.UUID, strings.NewReader(env))
		if err != nil || st.Success != 1000 {
			b.Fatal(err, st.Failures)
		}
		n += 1000
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "objects/s")
}

// BenchmarkObjectsPage measures GET pages of 1,000 from a collection of 100,000 objects.
func BenchmarkObjectsPage(b *testing.B) {
	db := testdb.SQLite(b)
	w := newWorld(b, db)
	for i := range 100 {
		if _, err := w.env.Intel.AddObjects(testapp.Ctx(), w.pSato, w.shared.UUID, strings.NewReader(benchEnvelope(i*1000, 1000))); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	q := intel.Query{Limit: 1000}
	for b.Loop() {
		pg, err := w.env.Intel.Objects(testapp.Ctx(), w.pTanaka, w.shared.UUID, q)
		if err != nil || len(pg.Versions) != 1000 {
			b.Fatal(err)
		}
		q.Next = pg.Next
		if !pg.More {
			q.Next = ""
		}
	}
	_ = store.MaxPage
}
