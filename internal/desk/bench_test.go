package desk_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// BenchmarkQueue200k fills a desk with 200,000 cases from 500 organizations over a year,
// in every state and urgency, then times the center's queue filtered by state and SLA and
// a member's own list, and filing a case; it reports the p99 of each.
//
//	go test -run - -bench Queue200k -benchtime 300x ./internal/desk/
func BenchmarkQueue200k(b *testing.B) {
	for _, backend := range testdb.Backends {
		b.Run(string(backend), func(b *testing.B) {
			db := testdb.Open(b, backend)
			if db == nil {
				b.Skip("PostgreSQL is off")
			}
			w := newWorldTB(b, db)
			ctx := testapp.Ctx()
			start := w.env.Clock.Now().Add(-365 * 24 * time.Hour)
			sla := desk.DefaultSLA()
			const n, orgs = 200_000, 500
			err := db.Write(ctx, func(c store.Conn) error {
				for i := range n {
					at := start.Add(time.Duration(i) * (365 * 24 * time.Hour / n))
					k := model.Case{OrgID: w.power.ID, ReporterID: w.sato.ID, Kind: model.CaseIncident,
						Category: model.CaseCategories[i%len(model.CaseCategories)], Title: fmt.Sprintf("事案 %d", i), Description: "d",
						EventImpact: model.Impacts[i%3], Urgency: model.Urgencies[i%4], State: model.CaseStates[(i/7)%len(model.CaseStates)],
						CreatedAt: at}
					if i%orgs != 0 {
						k.OrgID = w.rail.ID
					}
					clock := sla[k.Urgency]
					k.ResponseDueAt, k.ResponseWarnAt = at.Add(clock.Response), at.Add(clock.Response*8/10)
					k.ResolveDueAt, k.ResolveWarnAt = at.Add(clock.Resolve), at.Add(clock.Resolve*8/10)
					if _, err := store.InsertCase(ctx, c, k); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			if err := db.Optimize(ctx); err != nil {
				b.Fatal(err)
			}
			measure := func(name string, fn func() error) {
				for range 5 { // warm the caches and the prepared statements first
					if err := fn(); err != nil {
						b.Fatal(err)
					}
				}
				var times []time.Duration
				for range b.N {
					t0 := time.Now()
					if err := fn(); err != nil {
						b.Fatal(err)
					}
					times = append(times, time.Since(t0))
				}
				slices.Sort(times)
				p99 := times[len(times)*99/100]
				b.ReportMetric(float64(p99.Microseconds())/1000, name+"-p99-ms")
				b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, name+"-p50-ms")
			}
			b.ResetTimer()
			measure("queue-state-sla", func() error {
				_, _, err := w.env.Desk.List(ctx, w.pAnalyst, desk.ListQuery{State: "in-progress", SLA: "past", Limit: 50})
				return err
			})
			measure("queue-open-urgency", func() error {
				_, _, err := w.env.Desk.List(ctx, w.pAnalyst, desk.ListQuery{Open: true, Urgency: "critical", Limit: 50})
				return err
			})
			measure("member-own", func() error {
				_, _, err := w.env.Desk.List(ctx, w.pSato, desk.ListQuery{Limit: 50})
				return err
			})
			measure("file", func() error {
				_, err := w.env.Desk.File(ctx, w.pSato, ransomware())
				return err
			})
		})
	}
}
