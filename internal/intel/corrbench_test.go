package intel_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/sns"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// corrEnvelope returns n indicators numbered from start whose addresses repeat every
// distinct indicators, so that each value is shared by several indicators.
func corrEnvelope(start, n, distinct int) string {
	var b strings.Builder
	b.WriteString(`{"objects":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		k := start + i
		fmt.Fprintf(&b, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-0000-4000-8000-000000000001","created":"2026-07-01T00:00:00.000Z",`+
			`"modified":"2026-07-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2026-07-01T00:00:00Z"}`,
			k, corrValue(k%distinct))
	}
	b.WriteString(`]}`)
	return b.String()
}

func corrValue(v int) string { return fmt.Sprintf("10.%d.%d.%d", (v>>16)&255, (v>>8)&255, v&255) }

// BenchmarkIndicatorCorrelation opens indicator pages (intel.Service.Object: versions,
// the indicators, topics and cases sharing a value, links) as a member of the collection's
// community, among RENKEI_BENCH_CORR_INDICATORS indicators (default 20,000; each value
// shared by two), one topic per 100 indicators and one case per 1,000 naming their values,
// on SQLite, and reports p50 and p99 in ms:
//
//	RENKEI_BENCH_CORR_INDICATORS=1000000 go test -run - -bench IndicatorCorrelation -benchtime 2000x -timeout 60m ./internal/intel/
func BenchmarkIndicatorCorrelation(b *testing.B) {
	n := 20_000
	if s := os.Getenv("RENKEI_BENCH_CORR_INDICATORS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1000 {
			b.Fatalf("RENKEI_BENCH_CORR_INDICATORS=%q: want a number ≥ 1000", s)
		}
	}
	w := newWorld(b, testdb.SQLite(b))
	ctx := testapp.Ctx()
	distinct := n / 2
	began := time.Now()
	for i := 0; i < n; i += 1000 {
		if st, err := w.env.Intel.AddObjects(ctx, w.pSato, w.shared.UUID, strings.NewReader(corrEnvelope(i, min(1000, n-i), distinct))); err != nil || st.Failure > 0 {
			b.Fatal(err, st.Failures)
		}
	}
	b.Logf("%d indicators in %v", n, time.Since(began).Round(time.Second))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range n / 100 {
		body := fmt.Sprintf("観測: %s と %s", strings.ReplaceAll(corrValue(r.IntN(distinct)), ".", "[.]"), corrValue(r.IntN(distinct)))
		if _, err := w.env.SNS.CreateTopic(ctx, w.pSato, sns.TopicInput{CommunityID: w.comm.ID, Title: fmt.Sprintf("観測 %d", i), Body: body,
			InfoType: "alert", TLP: "green", Scope: "community"}); err != nil {
			b.Fatal(err)
		}
	}
	for range max(1, n/1000) {
		if _, err := w.env.Desk.File(ctx, w.pTanaka, desk.CaseInput{Kind: "incident", Category: "malware", Title: "通信", Description: "x",
			Urgency: "high", EventImpact: "no", Observables: []desk.ObservableInput{{Kind: "ip", Value: corrValue(r.IntN(distinct))}}}); err != nil {
			b.Fatal(err)
		}
	}
	list, err := w.env.Intel.Indicators(ctx, w.pTanaka, intel.IndicatorQuery{Limit: 1})
	if err != nil || len(list) == 0 {
		b.Fatal(err)
	}
	last := list[0].Seq
	var took []time.Duration
	found := 0
	b.ResetTimer()
	for b.Loop() {
		seq := last - int64(r.IntN(n))
		t0 := time.Now()
		v, err := w.env.Intel.Object(ctx, w.pTanaka, seq)
		took = append(took, time.Since(t0))
		if err != nil {
			b.Fatal(seq, err)
		}
		if len(v.Correlated) == 0 {
			b.Fatalf("version %d: no indicator shares its value", seq)
		}
		found += len(v.Topics) + len(v.Cases)
	}
	b.StopTimer()
	slices.Sort(took)
	ms := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Microseconds()) / 1000 }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(float64(found)/float64(len(took)), "items/page")
}
