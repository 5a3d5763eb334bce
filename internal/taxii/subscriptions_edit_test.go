package taxii_test

import (
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// An edit keeps the checkpoint and the stored secret while the remote side stays (the next
// run pulls only what is new, with the old credential); pointing the subscription at another
// collection starts from the beginning; the direction stays; other organizations are told
// it does not exist; no authentication drops the secret.
func TestSubscriptionEdit(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newSubWorld(t, db)
		ctx := testapp.Ctx()
		admin := w.local.Principal(w.admin)
		w.addRemote(t, 10)
		sub, err := w.subs.Create(ctx, admin, w.pullInput(w.base+"/taxii2/renkei/"))
		if err != nil {
			t.Fatal(err)
		}
		tick(t, w.subs, 1)
		in := w.pullInput(w.base + "/taxii2/renkei/")
		in.Title, in.Secret, in.Interval, in.Direction = "改名した購読", "", 2*time.Hour, ""
		got, err := w.subs.Update(ctx, admin, sub.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != "改名した購読" || got.Interval != 2*time.Hour || got.Checkpoint == "" || !got.HasSecret || got.Pulled != 10 {
			t.Errorf("after the edit: %+v", got)
		}
		w.addRemote(t, 3)
		if err := w.subs.RunNow(ctx, admin, sub.ID); err != nil {
			t.Fatal(err)
		}
		tick(t, w.subs, 1)
		if s := get(t, w, sub.ID); s.Pulled != 13 || s.Failures != 0 {
			t.Errorf("the run after the edit pulled %d in all (failures %d, %q)", s.Pulled, s.Failures, s.LastError)
		}
		// Another local collection: from the beginning.
		k2, err := w.local.Intel.CreateCollection(ctx, auth.System(), intel.CollectionInput{Title: "second", OrgID: w.org.ID})
		if err != nil {
			t.Fatal(err)
		}
		in.Collection = k2.UUID
		if got, err = w.subs.Update(ctx, admin, sub.ID, in); err != nil || got.Checkpoint != "" || got.Collection.ID != k2.ID {
			t.Errorf("moved: %+v %v", got, err)
		}
		in.Direction = "push"
		if _, err := w.subs.Update(ctx, admin, sub.ID, in); !hasField(err, "direction") {
			t.Errorf("direction change: %v", err)
		}
		in.Direction = ""
		if _, err := w.subs.Update(ctx, w.local.Principal(w.otherAdmin), sub.ID, in); !fault.Is(err, fault.NotFound) {
			t.Errorf("other organization: %v", err)
		}
		if _, err := w.subs.Update(ctx, w.local.Principal(w.mem), sub.ID, in); !fault.Is(err, fault.NotFound) {
			t.Errorf("member: %v", err)
		}
		bad := in
		bad.AuthKind, bad.Interval = "bearer", time.Minute
		if err := func() error { _, err := w.subs.Update(ctx, admin, sub.ID, bad); return err }(); !hasField(err, "secret") || !hasField(err, "interval") {
			t.Errorf("bearer without a secret, short interval: %v", err)
		}
		in.AuthKind = "none"
		if got, err = w.subs.Update(ctx, admin, sub.ID, in); err != nil || got.HasSecret || got.Username != "" {
			t.Errorf("no authentication: %+v %v", got, err)
		}
	})
}
