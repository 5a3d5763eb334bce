package demo_test

import (
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/demo"
	"github.com/renkei-dev/renkei/internal/observe"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// The demo has assets for several organizations, some awaiting approval, and a history of
// notices of every kind the seeds name, some read late and some unread.
func TestDemoHasObservationHistory(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		ctx := testapp.Ctx()
		if res, err := demo.Load(ctx, env.App); err != nil || !res.Loaded {
			t.Fatalf("demo.Load: %v %v", res.Loaded, err)
		}
		sys := auth.System()
		assets, _, err := env.Observe.Assets(ctx, sys, observe.AssetQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		orgs, proposed := map[int64]bool{}, 0
		for _, a := range assets {
			orgs[a.OrgID] = true
			if a.Status == observe.StatusProposed {
				proposed++
			}
		}
		if len(orgs) < 5 || proposed == 0 {
			t.Fatalf("assets of %d organizations, %d proposed", len(orgs), proposed)
		}
		notices, _, err := env.Observe.Notices(ctx, sys, observe.NoticeQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]bool{}
		unread, late := 0, 0
		for _, n := range notices {
			kinds[n.Kind] = true
			if !n.Read() {
				unread++
			} else if n.TimeToRead() > 4*time.Hour {
				late++
			}
		}
		for _, k := range []string{"ddos", "down", "tls", "exposed", "lookalike", "phishing", "darkweb", "credentials"} {
			if !kinds[k] {
				t.Errorf("no %s notice in the demo", k)
			}
		}
		if unread == 0 || late == 0 {
			t.Errorf("%d unread, %d read late", unread, late)
		}
	})
}
