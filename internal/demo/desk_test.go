package demo_test

import (
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/demo"
	"github.com/renkei-dev/renkei/internal/desk"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// The demo loads the seeds' 19 cases in their mix, across states, one supported by a partner.
func TestDemoDesk(t *testing.T) {
	env := testapp.New(t, testdb.SQLite(t))
	if res, err := demo.Load(testapp.Ctx(), env.App); err != nil || !res.Loaded {
		t.Fatalf("demo.Load: %v %v", res, err)
	}
	sys := auth.System()
	byCategory := map[string]int{}
	counts, err := env.Desk.Counts(testapp.Ctx(), sys, desk.ListQuery{}, "category")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, c := range counts {
		byCategory[c.Key] = c.Count
		total += c.Count
	}
	if total != 19 || byCategory["system-outage"]+byCategory["cloud-outage"] != 10 || byCategory["heavy-traffic"] != 3 ||
		byCategory["dos"] != 3 || byCategory["defacement"] != 1 || byCategory["other"] != 2 {
		t.Errorf("cases by category %v", byCategory)
	}
	states, _ := env.Desk.Counts(testapp.Ctx(), sys, desk.ListQuery{}, "state")
	if len(states) < 5 {
		t.Errorf("states %v", states)
	}
	items, _, err := env.Desk.List(testapp.Ctx(), sys, desk.ListQuery{Category: "dos", Limit: store.MaxPage})
	if err != nil {
		t.Fatal(err)
	}
	partnered := 0
	for _, it := range items {
		if v, err := env.Desk.Get(testapp.Ctx(), sys, it.Case.ID); err == nil && len(v.Partners) > 0 {
			partnered++
		}
	}
	if partnered != 1 {
		t.Errorf("%d partner-supported cases", partnered)
	}
}
