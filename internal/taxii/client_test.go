package taxii_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// A second Renkei pulls a collection of the first over TAXII on 127.0.0.1, page by page; a
// crash after two pages is resumed from the saved checkpoint with nothing lost or
// repeated, and a later pull brings only what was added since. Pushing posts an envelope.
func TestClientPullsResumablyAndPushes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db) // the remote server
		ctx := testapp.Ctx()
		add := func(from, n int) {
			var objs []string
			for i := from; i < from+n; i++ {
				objs = append(objs, indicator(fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000001", i), "2026-07-01T00:00:00.000Z",
					fmt.Sprintf("[ipv4-addr:value = '10.1.%d.%d']", i/256, i%256)))
			}
			if r := w.do(t, "POST", root(w.shared)+"objects/", w.satoTok, envelope(objs...)); r.status != 202 {
				t.Fatalf("post: %d %s", r.status, r.body)
			}
			w.env.Clock.Advance(1e9)
		}
		add(0, 25)

		// The local Renkei: its own database, an organization with its own collection.
		local := testapp.New(t, testdb.Open(t, db.Backend()))
		org := local.Org("受信側組織", model.KindCTIVendor)
		me := local.Principal(local.Person(org, "puller@vendor.example", model.RoleMember))
		k, err := local.Intel.CreateCollection(ctx, auth.System(), intel.CollectionInput{Title: "pulled", OrgID: org.ID})
		if err != nil {
			t.Fatal(err)
		}
		client := &taxii.Client{APIRoot: w.base + "/taxii2/renkei/", Token: w.tanaTok, User: w.tanaka.Email, PageSize: 7}
		saved := ""
		pages := 0
		crash := errors.New("crash")
		_, _, err = taxii.PullInto(ctx, client, w.shared.UUID, saved, local.Intel, me, k.UUID, func(cp string) error {
			saved = cp
			if pages++; pages == 2 {
				return crash
			}
			return nil
		})
		if !errors.Is(err, crash) {
			t.Fatalf("first pull: %v", err)
		}
		count := func() int {
			pg, err := local.Intel.Objects(ctx, me, k.UUID, intel.Query{Versions: store.VersionMode{All: true}})
			if err != nil {
				t.Fatal(err)
			}
			return len(pg.Versions)
		}
		if n := count(); n != 14 {
			t.Errorf("after the crash: %d objects, want 14", n)
		}
		read, refused, err := taxii.PullInto(ctx, client, w.shared.UUID, saved, local.Intel, me, k.UUID, func(cp string) error { saved = cp; return nil })
		if err != nil || read != 11 || refused != 0 || count() != 25 {
			t.Errorf("resumed: read %d, refused %d, %d stored, %v", read, refused, count(), err)
		}
		add(100, 5)
		read, _, err = taxii.PullInto(ctx, client, w.shared.UUID, saved, local.Intel, me, k.UUID, func(cp string) error { saved = cp; return nil })
		if err != nil || read != 5 || count() != 30 {
			t.Errorf("later pull: read %d, %d stored, %v", read, count(), err)
		}
		// Errors of the remote come back as such.
		if _, err := client.Pull(ctx, "00000000-0000-4000-8000-000000000000", "", func(taxii.Page) error { return nil }); err == nil {
			t.Error("pull of an unknown collection succeeded")
		}
		// Push.
		ok, failed, _, err := client.Push(ctx, w.shared.UUID, [][]byte{[]byte(indicator(idA, "2026-07-05T00:00:00.000Z", "[domain-name:value = 'a.example']")),
			[]byte(`{"type":"indicator","id":"bad"}`)})
		if err != nil || ok != 1 || failed != 1 {
			t.Errorf("push: %d ok, %d failed, %v", ok, failed, err)
		}
	})
}
