package demo_test

import (
	"testing"

	"github.com/renkei-dev/renkei/internal/demo"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// The demo has a finished MISP feed import, seen by Toto Electric's people and the center.
func TestDemoMISPFeedImport(t *testing.T) {
	env := testapp.New(t, testdb.SQLite(t))
	if res, err := demo.Load(testapp.Ctx(), env.App); err != nil || !res.Loaded {
		t.Fatal(res, err)
	}
	for _, email := range []string{"m.suzuki@toto-power.example", "k.nakamura@ccc.example"} {
		u, err := store.GetUserByEmail(testapp.Ctx(), env.DB.Read(), email)
		if err != nil {
			t.Fatal(err)
		}
		list, err := taxii.FeedImportsOf(env.App).List(testapp.Ctx(), env.Principal(u), store.Page{})
		if err != nil || len(list) != 1 {
			t.Fatalf("%s: %+v %v", email, list, err)
		}
		m := list[0]
		if m.Status != "done" || m.EventsTotal != 3 || m.EventsDone != 2 || m.EventsFailed != 1 || m.Attributes != 6 || m.Created != 6 {
			t.Errorf("%s: %+v", email, m.MISPImport)
		}
	}
}
