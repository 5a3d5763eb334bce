package demo_test

import (
	"testing"

	"github.com/renkei-dev/renkei/internal/demo"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// The demo has indicator collections with a few hundred indicators, which a member of the
// professional community sees (but not another organization's own collection).
func TestDemoIndicators(t *testing.T) {
	env := testapp.New(t, testdb.SQLite(t))
	if res, err := demo.Load(testapp.Ctx(), env.App); err != nil || !res.Loaded {
		t.Fatal(res, err)
	}
	u, err := store.GetUserByEmail(testapp.Ctx(), env.DB.Read(), "s.kato@shutoken-rail.example")
	if err != nil {
		t.Fatal(err)
	}
	p := env.Principal(u)
	ks, err := env.Intel.Collections(testapp.Ctx(), p)
	if err != nil || len(ks) != 2 {
		t.Fatalf("collections %v %v", ks, err)
	}
	n := 0
	before := int64(0)
	for {
		list, err := env.Intel.Indicators(testapp.Ctx(), p, intel.IndicatorQuery{Before: before, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		n += len(list)
		if len(list) < 500 {
			break
		}
		before = list[len(list)-1].Seq
	}
	if n < 250 {
		t.Errorf("%d indicators visible to a railway member", n)
	}
}
