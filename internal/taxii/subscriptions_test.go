package taxii_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/stix"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// subWorld is a remote Renkei (the world of the TAXII tests) and a local one whose
// organization subscribes to it.
type subWorld struct {
	*world
	local       *testapp.Env
	org, other  model.Org
	admin, mem  model.User
	otherAdmin  model.User
	coll        intel.Collection // the local organization's collection
	subs        *taxii.Subscriptions
	remoteAdded int
}

func newSubWorld(t *testing.T, db *store.DB) *subWorld {
	w := &subWorld{world: newWorld(t, db)}
	cfg := testapp.Config(t)
	cfg.TaxiiAllowHTTP, cfg.TaxiiAllowPrivate = true, true
	w.local = testapp.NewWith(t, testdb.Open(t, db.Backend()), cfg)
	w.org = w.local.Org("受信側組織", model.KindCTIVendor)
	w.other = w.local.Org("別の組織", model.KindOperator)
	w.admin = w.local.Person(w.org, "admin@vendor.example", model.RoleOrgAdmin)
	w.mem = w.local.Person(w.org, "member@vendor.example", model.RoleMember)
	w.otherAdmin = w.local.Person(w.other, "admin@other.example", model.RoleOrgAdmin)
	var err error
	if w.coll, err = w.local.Intel.CreateCollection(testapp.Ctx(), auth.System(), intel.CollectionInput{Title: "pulled", OrgID: w.org.ID}); err != nil {
		t.Fatal(err)
	}
	w.subs = taxii.NewSubscriptions(w.local.App, taxii.SubscriptionOptions{AllowHTTP: true, AllowPrivate: true, PageSize: 7})
	return w
}

// addRemote posts n indicators to the remote shared collection.
func (w *subWorld) addRemote(t *testing.T, n int) {
	t.Helper()
	var objs []string
	for i := w.remoteAdded; i < w.remoteAdded+n; i++ {
		objs = append(objs, indicator(fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000002", i), "2026-07-01T00:00:00.000Z",
			fmt.Sprintf("[ipv4-addr:value = '10.2.%d.%d']", i/256, i%256)))
	}
	w.remoteAdded += n
	if r := w.do(t, "POST", root(w.shared)+"objects/", w.satoTok, envelope(objs...)); r.status != 202 {
		t.Fatalf("post: %d %s", r.status, r.body)
	}
	w.env.Clock.Advance(time.Second)
}

func (w *subWorld) localCount(t *testing.T) int {
	t.Helper()
	pg, err := w.local.Intel.Objects(testapp.Ctx(), w.local.Principal(w.admin), w.coll.UUID, intel.Query{Versions: store.VersionMode{All: true}})
	if err != nil {
		t.Fatal(err)
	}
	return len(pg.Versions)
}

func (w *subWorld) pullInput(apiRoot string) taxii.SubscriptionInput {
	return taxii.SubscriptionInput{Title: "共有IoC", Direction: "pull", Collection: w.coll.UUID, APIRoot: apiRoot,
		RemoteCollection: w.shared.UUID, AuthKind: "basic", Username: w.tanaka.Email, Secret: w.tanaTok, Interval: time.Hour}
}

func tick(t *testing.T, s *taxii.Subscriptions, want int) {
	t.Helper()
	n, err := s.Tick(testapp.Ctx())
	if err != nil || n != want {
		t.Fatalf("tick ran %d (want %d): %v", n, want, err)
	}
}

func get(t *testing.T, w *subWorld, id int64) taxii.Subscription {
	t.Helper()
	s, err := w.subs.Get(testapp.Ctx(), w.local.Principal(w.admin), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A pull subscription runs when due, page by page; a crash after two pages leaves the lease
// held, so no node runs it again until the lease lapses, and the next run resumes from the
// saved checkpoint with nothing lost or repeated; later runs bring only what is new.
func TestSubscriptionPullsOnScheduleAndResumesAfterACrash(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newSubWorld(t, db)
		ctx := testapp.Ctx()
		w.addRemote(t, 25)
		sub, err := w.subs.Create(ctx, w.local.Principal(w.admin), w.pullInput(w.base+"/taxii2/renkei"))
		if err != nil {
			t.Fatal(err)
		}
		if sub.APIRoot != w.base+"/taxii2/renkei/" || !sub.HasSecret || sub.SecretSealed != "" {
			t.Errorf("created: %+v", sub)
		}
		crash := errors.New("crash")
		taxii.SetAfterPage(w.subs, func(n int) error {
			if n == 2 {
				return crash
			}
			return nil
		})
		tick(t, w.subs, 1)
		if n := w.localCount(t); n != 14 {
			t.Errorf("after the crash: %d objects, want 14", n)
		}
		s := get(t, w, sub.ID)
		if s.Pulled != 14 || s.Checkpoint == "" || !s.Running || !s.LastSuccessAt.IsZero() {
			t.Errorf("after the crash: pulled %d, checkpoint %q, running %v", s.Pulled, s.Checkpoint, s.Running)
		}
		// Another node (another scheduler on the same database) does not take the leased run.
		other := taxii.NewSubscriptions(w.local.App, taxii.SubscriptionOptions{AllowHTTP: true, AllowPrivate: true, PageSize: 7})
		tick(t, other, 0)
		// Once the lease lapses, the run is taken again and resumes.
		taxii.SetAfterPage(w.subs, nil)
		w.local.Clock.Advance(11 * time.Minute)
		tick(t, other, 1)
		s = get(t, w, sub.ID)
		if n := w.localCount(t); n != 25 || s.Pulled != 25 || s.Refused != 0 || s.LastSuccessAt.IsZero() || s.Running || s.LastError != "" {
			t.Errorf("resumed: %d stored, %+v", n, s.TaxiiSubscription)
		}
		if want := w.local.Clock.Now().Add(time.Hour); !s.NextAt.Equal(want.Truncate(time.Millisecond)) {
			t.Errorf("next run %v, want %v", s.NextAt, want)
		}
		tick(t, w.subs, 0) // not due
		w.addRemote(t, 5)
		w.local.Clock.Advance(time.Hour)
		tick(t, w.subs, 1)
		if n, s := w.localCount(t), get(t, w, sub.ID); n != 30 || s.Pulled != 30 {
			t.Errorf("later run: %d stored, pulled %d", n, s.Pulled)
		}
		// Run now makes it due at once.
		w.addRemote(t, 1)
		if err := w.subs.RunNow(ctx, w.local.Principal(w.admin), sub.ID); err != nil {
			t.Fatal(err)
		}
		tick(t, w.subs, 1)
		if n := w.localCount(t); n != 31 {
			t.Errorf("run now: %d stored", n)
		}
	})
}

// A failing server is recorded with the error and retried after 1, 2, 4 … minutes; when it
// answers again the failures are forgotten and the interval resumes.
func TestSubscriptionErrorsBackOff(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newSubWorld(t, db)
		w.addRemote(t, 3)
		target, _ := url.Parse(w.base)
		proxy := httputil.NewSingleHostReverseProxy(target)
		var failing atomic.Bool
		failing.Store(true)
		flaky := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if failing.Load() {
				rw.Header().Set("Content-Type", taxii.MediaTAXII)
				rw.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprint(rw, `{"title":"maintenance"}`)
				return
			}
			proxy.ServeHTTP(rw, r)
		}))
		defer flaky.Close()
		sub, err := w.subs.Create(testapp.Ctx(), w.local.Principal(w.admin), w.pullInput(flaky.URL+"/taxii2/renkei/"))
		if err != nil {
			t.Fatal(err)
		}
		for i, wait := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
			tick(t, w.subs, 1)
			s := get(t, w, sub.ID)
			now := w.local.Clock.Now()
			if s.Failures != i+1 || !strings.Contains(s.LastError, "503") || !s.LastErrorAt.Equal(now.Truncate(time.Millisecond)) ||
				!s.NextAt.Equal(now.Add(wait).Truncate(time.Millisecond)) || s.Running {
				t.Fatalf("failure %d: %+v", i+1, s.TaxiiSubscription)
			}
			tick(t, w.subs, 0) // backing off
			w.local.Clock.Advance(wait)
		}
		if taxii.Backoff(11) != time.Minute<<10 || taxii.Backoff(12) != taxii.MaxSubBackoff || taxii.Backoff(400) != taxii.MaxSubBackoff {
			t.Errorf("backoff: %v %v %v", taxii.Backoff(11), taxii.Backoff(12), taxii.Backoff(400))
		}
		failing.Store(false)
		tick(t, w.subs, 1)
		s := get(t, w, sub.ID)
		if s.Failures != 0 || s.Pulled != 3 || s.LastSuccessAt.IsZero() || s.LastError == "" ||
			!s.NextAt.Equal(w.local.Clock.Now().Add(time.Hour).Truncate(time.Millisecond)) {
			t.Errorf("recovered: %+v", s.TaxiiSubscription)
		}
	})
}

// A push subscription sends the local collection's objects added since its checkpoint to the
// remote collection; TLP:RED objects never leave.
func TestSubscriptionPushes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newSubWorld(t, db)
		ctx := testapp.Ctx()
		me := w.local.Principal(w.admin)
		addLocal := func(from, n int, marking string) {
			var objs []string
			for i := from; i < from+n; i++ {
				o := indicator(fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000003", i), "2026-07-01T00:00:00.000Z",
					fmt.Sprintf("[domain-name:value = 'h%d.example']", i))
				if marking != "" {
					o = strings.TrimSuffix(o, "}") + `,"object_marking_refs":["` + marking + `"]}`
				}
				objs = append(objs, o)
			}
			st, err := w.local.Intel.AddObjects(ctx, me, w.coll.UUID, strings.NewReader(envelope(objs...)))
			if err != nil || st.Failure != 0 {
				t.Fatalf("add local: %v %+v", err, st.Failures)
			}
			w.local.Clock.Advance(time.Second)
		}
		addLocal(0, 10, "")
		addLocal(100, 1, stix.TLP2Red)
		sub, err := w.subs.Create(ctx, me, taxii.SubscriptionInput{Title: "to power", Direction: "push", Collection: w.coll.UUID,
			APIRoot: w.base + "/taxii2/renkei/", RemoteCollection: w.powerOnly.UUID, AuthKind: "bearer", Secret: w.satoTok, Interval: 30 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		remoteCount := func() int {
			pg, err := w.env.Intel.Objects(ctx, w.env.Principal(w.sato), w.powerOnly.UUID, intel.Query{Versions: store.VersionMode{All: true}})
			if err != nil {
				t.Fatal(err)
			}
			return len(pg.Versions)
		}
		tick(t, w.subs, 1)
		s := get(t, w, sub.ID)
		if n := remoteCount(); n != 10 || s.Pushed != 10 || s.LastError != "" {
			t.Errorf("first push: %d remote, %+v", n, s.TaxiiSubscription)
		}
		addLocal(200, 3, "")
		w.local.Clock.Advance(30 * time.Minute)
		tick(t, w.subs, 1)
		if n, s := remoteCount(), get(t, w, sub.ID); n != 13 || s.Pushed != 13 {
			t.Errorf("second push: %d remote, pushed %d", n, s.Pushed)
		}
	})
}

// Only an organization's administrators see, run and remove its subscriptions; to anyone
// else they do not exist. Inputs are checked.
func TestSubscriptionAccessAndInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newSubWorld(t, db)
		ctx := testapp.Ctx()
		admin, mem, other := w.local.Principal(w.admin), w.local.Principal(w.mem), w.local.Principal(w.otherAdmin)
		sub, err := w.subs.Create(ctx, admin, w.pullInput(w.base+"/taxii2/renkei/"))
		if err != nil {
			t.Fatal(err)
		}
		for name, p := range map[string]auth.Principal{"other org admin": other, "member": mem} {
			if _, err := w.subs.Get(ctx, p, sub.ID); !fault.Is(err, fault.NotFound) {
				t.Errorf("%s get: %v", name, err)
			}
			if err := w.subs.RunNow(ctx, p, sub.ID); !fault.Is(err, fault.NotFound) {
				t.Errorf("%s run: %v", name, err)
			}
			if err := w.subs.Delete(ctx, p, sub.ID); !fault.Is(err, fault.NotFound) {
				t.Errorf("%s delete: %v", name, err)
			}
			if l, err := w.subs.List(ctx, p, store.Page{}); err != nil || len(l) != 0 {
				t.Errorf("%s list: %d, %v", name, len(l), err)
			}
		}
		if _, err := w.subs.Create(ctx, mem, w.pullInput(w.base+"/taxii2/renkei/")); !fault.Is(err, fault.Forbidden) {
			t.Errorf("member create: %v", err)
		}
		// The other organization's admin may not use this organization's collection.
		if _, err := w.subs.Create(ctx, other, w.pullInput(w.base+"/taxii2/renkei/")); !hasField(err, "collection") {
			t.Errorf("other org's collection: %v", err)
		}
		bad := w.pullInput("ftp://example.test/")
		bad.Interval, bad.AuthKind, bad.RemoteCollection = time.Minute, "digest", "a/b"
		err = func() error { _, err := w.subs.Create(ctx, admin, bad); return err }()
		for _, f := range []string{"api_root", "interval", "auth_kind", "remote_collection"} {
			if !hasField(err, f) {
				t.Errorf("bad input: no error on %s: %v", f, err)
			}
		}
		strict := taxii.NewSubscriptions(w.local.App, taxii.SubscriptionOptions{})
		if _, err := strict.Create(ctx, admin, w.pullInput(w.base+"/taxii2/renkei/")); !hasField(err, "api_root") {
			t.Errorf("http API root accepted without --taxii-allow-http: %v", err)
		}
		for _, u := range []string{"https://127.0.0.1/api/", "https://10.1.2.3/api/", "https://[::1]/api/", "https://169.254.169.254/", "https://x.localhost/"} {
			if _, err := strict.Create(ctx, admin, w.pullInput(u)); !hasField(err, "api_root") {
				t.Errorf("private API root %s accepted: %v", u, err)
			}
		}
		// A subscription to a refused address (stored when private addresses were allowed) is
		// refused when dialled by a node that does not allow them.
		guarded := taxii.NewSubscriptions(w.local.App, taxii.SubscriptionOptions{AllowHTTP: true})
		tick(t, guarded, 1)
		if s := get(t, w, sub.ID); !strings.Contains(s.LastError, "refused") || s.Failures != 1 {
			t.Errorf("dialling a loopback address: %q", s.LastError)
		}
		if l, err := w.subs.List(ctx, admin, store.Page{}); err != nil || len(l) != 1 || l[0].Collection.UUID != w.coll.UUID {
			t.Errorf("admin list: %+v, %v", l, err)
		}
		if err := w.subs.Delete(ctx, admin, sub.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.subs.Get(ctx, admin, sub.ID); !fault.Is(err, fault.NotFound) {
			t.Errorf("after delete: %v", err)
		}
		recs, err := store.ListAudit(ctx, w.local.DB.Read(), store.AuditQuery{Action: "taxii."})
		if err != nil || len(recs) < 2 {
			t.Errorf("audit: %d records, %v", len(recs), err)
		}
	})
}

func hasField(err error, field string) bool {
	for _, e := range fault.Fields(err) {
		if e.Field == field {
			return true
		}
	}
	return false
}

// Nodes racing to claim due runs each get different ones: every run is claimed exactly once.
func TestSubscriptionClaimsAreExclusive(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newSubWorld(t, db)
		ctx := testapp.Ctx()
		const n = 12
		for i := range n {
			in := w.pullInput(w.base + "/taxii2/renkei/")
			in.Title = fmt.Sprintf("feed %d", i)
			if _, err := w.subs.Create(ctx, w.local.Principal(w.admin), in); err != nil {
				t.Fatal(err)
			}
		}
		now := w.local.Clock.Now()
		claimed := make(chan int64, 2*n)
		var wg sync.WaitGroup
		for node := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					var got []store.TaxiiSubscription
					err := w.local.DB.Write(ctx, func(c store.Conn) error {
						var err error
						got, err = store.ClaimTaxiiSubs(ctx, c, fmt.Sprintf("node-%d", node), now, now.Add(time.Minute), 2)
						return err
					})
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					for _, s := range got {
						claimed <- s.ID
					}
				}
			}()
		}
		wg.Wait()
		close(claimed)
		seen := map[int64]bool{}
		for id := range claimed {
			if seen[id] {
				t.Errorf("subscription %d claimed twice", id)
			}
			seen[id] = true
		}
		if len(seen) != n {
			t.Errorf("%d claimed, want %d", len(seen), n)
		}
	})
}
