package intel_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// world: a community of the center, a power company and a railway, with a collection
// members may write, a center-only-write collection, and the power company's own
// collection; an outsider organization belongs to nothing.
type world struct {
	env                         *testapp.Env
	comm                        model.Community
	shared, centerOnly, powerKC intel.Collection
	pAnalyst, pSato, pTanaka    auth.Principal
	pStranger, pSuzuki          auth.Principal
}

func newWorld(t testing.TB, db *store.DB) *world {
	env := testapp.New(t, db)
	w := &world{env: env}
	center := env.Org("対処調整センター", model.KindCenter)
	power := env.Org("東都電力株式会社", model.KindOperator)
	rail := env.Org("首都圏鉄道株式会社", model.KindOperator)
	out := env.Org("外部ベンダー株式会社", model.KindCTIVendor)
	ctx, sys := testapp.Ctx(), auth.System()
	var err error
	w.comm, err = env.Communities.Create(ctx, sys, community.Input{NameJA: "情報提供（プロ）", NameEN: "Sharing (pro)"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []model.Org{center, power, rail} {
		if err := env.Communities.AddOrg(ctx, sys, w.comm.ID, o.ID); err != nil {
			t.Fatal(err)
		}
	}
	w.pAnalyst = env.Principal(env.Person(center, "analyst@ccc.example", model.RoleAnalyst))
	w.pSato = env.Principal(env.Person(power, "sato@power.example", model.RoleMember))
	w.pSuzuki = env.Principal(env.Person(power, "suzuki@power.example", model.RoleMember))
	w.pTanaka = env.Principal(env.Person(rail, "tanaka@rail.example", model.RoleMember))
	w.pStranger = env.Principal(env.Person(out, "x@vendor.example", model.RoleMember))
	mk := func(in intel.CollectionInput) intel.Collection {
		k, err := env.Intel.CreateCollection(ctx, sys, in)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	w.shared = mk(intel.CollectionInput{Title: "共有IoC", CommunityID: w.comm.ID, MemberWrite: true})
	w.centerOnly = mk(intel.CollectionInput{Title: "センター配信", CommunityID: w.comm.ID})
	w.powerKC = mk(intel.CollectionInput{Title: "東都電力", OrgID: power.ID})
	return w
}

const (
	ind1 = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	ind2 = "indicator--1f4ab5a7-59e5-4b6e-8d4a-5f0a0a3b9e11"
	ind3 = "indicator--3c9a8b65-2d6c-4a2e-9c4b-8b5f8d1c2e33"
)

func indicator(id, modified, pattern string, extra string) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2026-07-01T00:00:00.000Z","modified":%q,`+
		`"pattern":%q,"pattern_type":"stix","valid_from":"2026-07-01T00:00:00Z"%s}`, id, modified, pattern, extra)
}

func envelope(objs ...string) *strings.Reader {
	return strings.NewReader(`{"objects":[` + strings.Join(objs, ",") + `]}`)
}

func ids(vs []store.StixVersion) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.StixID+"@"+v.Version)
	}
	return out
}

func TestAddObjectsKeepsEveryVersionAndRejectsBadOnesAlone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		v1 := indicator(ind1, "2026-07-01T00:00:00.000Z", "[ipv4-addr:value = '198.51.100.7']", "")
		v2 := indicator(ind1, "2026-07-02T00:00:00.000Z", "[ipv4-addr:value = '198.51.100.7']", `,"confidence":80`)
		bad := indicator(ind2, "2026-07-01T00:00:00.000Z", "[ipv4-addr:value = ", "")
		badID := `{"type":"indicator","spec_version":"2.1","id":"indicator--nope"}`
		other := indicator(ind3, "2026-07-01T00:00:00.000Z", "[domain-name:value = 'evil.example'] OR [file:hashes.'SHA-256' = 'AB"+strings.Repeat("0", 62)+"']", "")
		st, err := w.env.Intel.AddObjects(ctx, w.pSato, w.shared.UUID, envelope(v2, bad, v1, badID, other, v1))
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != "complete" || st.Total != 6 || st.Success != 4 || st.Failure != 2 || st.Pending != 0 {
			t.Fatalf("status %+v", st)
		}
		if st.Failures[0].ID != ind2 || !strings.Contains(st.Failures[0].Message, "pattern") {
			t.Errorf("failure names the pattern: %+v", st.Failures[0])
		}
		got, err := w.env.Intel.GetStatus(ctx, w.pSato, st.ID)
		if err != nil || got.Success != 4 || len(got.Failures) != 2 {
			t.Fatalf("stored status %+v %v", got, err)
		}
		if _, err := w.env.Intel.GetStatus(ctx, w.pTanaka, st.ID); !fault.Is(err, fault.NotFound) {
			t.Errorf("another person's status: %v", err)
		}

		all := func(q intel.Query) []string {
			pg, err := w.env.Intel.Objects(ctx, w.pTanaka, w.shared.UUID, q)
			if err != nil {
				t.Fatal(err)
			}
			return ids(pg.Versions)
		}
		if g := all(intel.Query{}); !slices.Equal(g, []string{ind1 + "@2026-07-02T00:00:00.000Z", ind3 + "@2026-07-01T00:00:00.000Z"}) {
			t.Errorf("latest: %v", g)
		}
		if g := all(intel.Query{Versions: store.VersionMode{First: true}, IDs: []string{ind1}}); !slices.Equal(g, []string{ind1 + "@2026-07-01T00:00:00.000Z"}) {
			t.Errorf("first: %v", g)
		}
		if g := all(intel.Query{Versions: store.VersionMode{All: true}, IDs: []string{ind1}}); len(g) != 2 {
			t.Errorf("all: %v", g)
		}
		ts, _ := time.Parse(time.RFC3339, "2026-07-01T00:00:00Z")
		if g := all(intel.Query{Versions: store.VersionMode{Modified: []int64{ts.UnixMicro()}}}); len(g) != 2 {
			t.Errorf("by timestamp: %v", g)
		}
		if g := all(intel.Query{Types: []string{"malware"}}); len(g) != 0 {
			t.Errorf("type filter: %v", g)
		}
		if g := all(intel.Query{SpecVersions: []string{"2.0"}}); len(g) != 0 {
			t.Errorf("spec_version filter: %v", g)
		}
		// Values are indexed for correlation: the hash lower-cased.
		list, err := w.env.Intel.Indicators(ctx, w.pTanaka, intel.IndicatorQuery{Value: "ab" + strings.Repeat("0", 62)})
		if err != nil || len(list) != 1 || list[0].StixID != ind3 {
			t.Errorf("by hash: %v %v", list, err)
		}
		// The same versions again are successes and not stored twice.
		st, err = w.env.Intel.AddObjects(ctx, w.pSato, w.shared.UUID, envelope(v1, v2))
		if err != nil || st.Success != 2 {
			t.Fatal(st, err)
		}
		if g := all(intel.Query{Versions: store.VersionMode{All: true}}); len(g) != 3 {
			t.Errorf("after re-post: %v", g)
		}
		// The raw bytes come back exactly.
		pg, _ := w.env.Intel.Objects(ctx, w.pTanaka, w.shared.UUID, intel.Query{IDs: []string{ind1}})
		if pg.Versions[0].Raw != v2 {
			t.Errorf("raw changed: %s", pg.Versions[0].Raw)
		}
	})
}

func TestCollectionRightsComeFromTheTie(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		obj := indicator(ind1, "2026-07-01T00:00:00.000Z", "[ipv4-addr:value = '198.51.100.7']", "")
		if _, err := w.env.Intel.AddObjects(ctx, w.pStranger, w.shared.UUID, envelope(obj)); !fault.Is(err, fault.NotFound) {
			t.Errorf("outsider writes: %v", err)
		}
		if _, err := w.env.Intel.AddObjects(ctx, w.pSato, w.centerOnly.UUID, envelope(obj)); !fault.Is(err, fault.Forbidden) {
			t.Errorf("member writes the center's collection: %v", err)
		}
		if _, err := w.env.Intel.AddObjects(ctx, w.pAnalyst, w.centerOnly.UUID, envelope(obj)); err != nil {
			t.Errorf("analyst writes the center's collection: %v", err)
		}
		if _, err := w.env.Intel.AddObjects(ctx, w.pTanaka, w.powerKC.UUID, envelope(obj)); !fault.Is(err, fault.NotFound) {
			t.Errorf("railway writes the power company's collection: %v", err)
		}
		if _, err := w.env.Intel.AddObjects(ctx, w.pSuzuki, w.powerKC.UUID, envelope(obj)); err != nil {
			t.Fatal(err)
		}
		if pg, err := w.env.Intel.Objects(ctx, w.pAnalyst, w.powerKC.UUID, intel.Query{}); err != nil || len(pg.Versions) != 1 {
			t.Errorf("the center reads what an organization shares back: %v %v", pg, err)
		}
		names := func(p auth.Principal) []string {
			ks, err := w.env.Intel.Collections(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, k := range ks {
				out = append(out, fmt.Sprintf("%s:%v", k.Title, k.CanWrite))
			}
			return out
		}
		if g := names(w.pTanaka); !slices.Equal(g, []string{"共有IoC:true", "センター配信:false"}) {
			t.Errorf("railway sees %v", g)
		}
		if g := names(w.pStranger); len(g) != 0 {
			t.Errorf("outsider sees %v", g)
		}
	})
}

func TestRedGoesToTheAdderOnly(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		red := indicator(ind1, "2026-07-01T00:00:00.000Z", "[ipv4-addr:value = '198.51.100.7']",
			`,"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]`)
		if _, err := w.env.Intel.AddObjects(ctx, w.pSato, w.shared.UUID, envelope(red)); err != nil {
			t.Fatal(err)
		}
		for p, want := range map[*auth.Principal]int{&w.pSato: 1, &w.pSuzuki: 0, &w.pTanaka: 0, &w.pAnalyst: 0} {
			pg, err := w.env.Intel.Objects(ctx, *p, w.shared.UUID, intel.Query{})
			if err != nil || len(pg.Versions) != want {
				t.Errorf("%s: %d objects, want %d (%v)", p.User.Email, len(pg.Versions), want, err)
			}
		}
		if _, err := w.env.Intel.DeleteObject(ctx, w.pTanaka, w.shared.UUID, ind1, intel.Query{}); !fault.Is(err, fault.NotFound) {
			t.Errorf("delete of an unseen object: %v", err)
		}
		if n, err := w.env.Intel.DeleteObject(ctx, w.pSato, w.shared.UUID, ind1, intel.Query{}); err != nil || n != 1 {
			t.Errorf("delete: %d %v", n, err)
		}
	})
}

func TestPagingWhileObjectsArriveSkipsAndRepeatsNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		n := 0
		add := func(k int) {
			var objs []string
			for range k {
				n++
				objs = append(objs, indicator(fmt.Sprintf("indicator--%08x-0000-4000-8000-000000000000", n), "2026-07-01T00:00:00.000Z",
					fmt.Sprintf("[ipv4-addr:value = '10.0.%d.%d']", n/256, n%256), ""))
			}
			if _, err := w.env.Intel.AddObjects(ctx, w.pSato, w.shared.UUID, envelope(objs...)); err != nil {
				t.Fatal(err)
			}
		}
		add(25)
		seen := map[string]int{}
		q := intel.Query{Limit: 7}
		for pages := 0; ; pages++ {
			pg, err := w.env.Intel.Objects(ctx, w.pTanaka, w.shared.UUID, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range pg.Versions {
				seen[v.StixID]++
			}
			if pages < 3 {
				add(4) // new objects arrive while the client pages
				w.env.Clock.Advance(time.Second)
			}
			if !pg.More {
				break
			}
			q.Next = pg.Next
		}
		if len(seen) != n {
			t.Errorf("saw %d of %d objects", len(seen), n)
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("%s seen %d times", id, c)
			}
		}
		if _, err := w.env.Intel.Objects(ctx, w.pTanaka, w.shared.UUID, intel.Query{Next: "bogus"}); !fault.Is(err, fault.Invalid) {
			t.Errorf("bad cursor: %v", err)
		}
	})
}

func TestBadEnvelopesStoreNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		good := indicator(ind1, "2026-07-01T00:00:00.000Z", "[ipv4-addr:value = '198.51.100.7']", "")
		for name, body := range map[string]string{
			"truncated":    `{"objects":[` + good + `,{"type":`,
			"not envelope": `[1,2,3]`,
			"too large":    `{"objects":[` + good + `],"pad":"` + strings.Repeat("x", int(intel.DefaultLimits.MaxContentLength)) + `"}`,
		} {
			_, err := w.env.Intel.AddObjects(ctx, w.pSato, w.shared.UUID, strings.NewReader(body))
			if err == nil {
				t.Errorf("%s: accepted", name)
			}
		}
		if pg, _ := w.env.Intel.Objects(ctx, w.pSato, w.shared.UUID, intel.Query{}); len(pg.Versions) != 0 {
			t.Errorf("stored %d objects from bad envelopes", len(pg.Versions))
		}
	})
}

func TestPastedIndicatorsBecomeSTIXWithTheOrgIdentity(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		text := "C2: hxxp://evil-cdn[.]net/gate.php と 198.51.100[.]7、198.51.100.7\nmail: attacker[at]evil-cdn.net hash d41d8cd98f00b204e9800998ecf8427e\nnet 203.0.113.0/24"
		res, err := w.env.Intel.Preview(text)
		if err != nil || len(res.Items) != 5 {
			t.Fatalf("preview: %+v %v", res.Items, err)
		}
		seqs, err := w.env.Intel.CreateIndicators(ctx, w.pSato, intel.EntryInput{CollectionID: w.shared.ID, Text: text, TLP: "amber", Confidence: 70, ValidDays: 30})
		if err != nil || len(seqs) != 5 {
			t.Fatalf("create: %v %v", seqs, err)
		}
		v, err := w.env.Intel.Object(ctx, w.pTanaka, seqs[1])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(v.Version.Raw, `"created_by_ref":"identity--`) || !strings.Contains(v.Version.Raw, "[url:value = 'http://evil-cdn.net/gate.php']") &&
			!strings.Contains(v.Version.Raw, "198.51.100.7") {
			t.Errorf("indicator %s", v.Version.Raw)
		}
		if v.Version.TLP != "amber" || v.Version.Confidence != 70 || v.Version.ValidUntil == 0 {
			t.Errorf("marking %+v", v.Version.StixVersion)
		}
		id1, err := w.env.Intel.OrgIdentityID(ctx, w.pSato.Org)
		id2, _ := w.env.Intel.OrgIdentityID(ctx, w.pSuzuki.Org)
		if err != nil || id1 != id2 || !strings.Contains(v.Version.Raw, id1) {
			t.Errorf("identity %s %s", id1, id2)
		}
		// The identity is in the collection too.
		if pg, _ := w.env.Intel.Objects(ctx, w.pTanaka, w.shared.UUID, intel.Query{Types: []string{"identity"}}); len(pg.Versions) != 1 {
			t.Errorf("identity objects: %d", len(pg.Versions))
		}
		// Correlation: the same address entered by the railway in the center's view.
		w.env.Clock.Advance(time.Hour)
		seq2, err := w.env.Intel.CreateIndicators(ctx, w.pTanaka, intel.EntryInput{CollectionID: w.shared.ID, Text: "198.51.100.7", TLP: "green", Confidence: -1})
		if err != nil {
			t.Fatal(err)
		}
		v2, err := w.env.Intel.Object(ctx, w.pSato, seq2[0])
		if err != nil || len(v2.Correlated) != 1 {
			t.Errorf("correlated: %+v %v", v2.Correlated, err)
		}
		// Sightings: the power company records, the center and the power company see it.
		if err := w.env.Intel.RecordSighting(ctx, w.pSato, seq2[0], intel.SightingInput{Count: 3}); err != nil {
			t.Fatal(err)
		}
		if err := w.env.Intel.RecordSighting(ctx, w.pSuzuki, seq2[0], intel.SightingInput{Count: 2}); err != nil {
			t.Fatal(err)
		}
		if err := w.env.Intel.RecordSighting(ctx, w.pStranger, seq2[0], intel.SightingInput{Count: 1}); !fault.Is(err, fault.NotFound) {
			t.Errorf("outsider's sighting: %v", err)
		}
		if err := w.env.Intel.RecordSighting(ctx, w.pSato, seq2[0], intel.SightingInput{Count: 0}); !fault.Is(err, fault.Invalid) {
			t.Errorf("zero sighting: %v", err)
		}
		for p, want := range map[*auth.Principal]int{&w.pSato: 5, &w.pAnalyst: 5, &w.pTanaka: 0} {
			v, err := w.env.Intel.Object(ctx, *p, seq2[0])
			n := 0
			for _, s := range v.Sightings {
				n += s.Count
			}
			if err != nil || n != want {
				t.Errorf("%s sees %d sightings, want %d (%v)", p.User.Email, n, want, err)
			}
		}
		// Bad entries keep nothing.
		for _, in := range []intel.EntryInput{
			{CollectionID: w.shared.ID, Text: "nothing here", TLP: "green"},
			{CollectionID: w.shared.ID, Text: "198.51.100.9", TLP: "purple"},
			{CollectionID: w.shared.ID, Text: "198.51.100.9", TLP: "green", Confidence: 101},
			{CollectionID: w.centerOnly.ID, Text: "198.51.100.9", TLP: "green"},
			{CollectionID: w.powerKC.ID, Text: "198.51.100.9", TLP: "green"},
		} {
			if _, err := w.env.Intel.CreateIndicators(ctx, w.pTanaka, in); !fault.Is(err, fault.Invalid) {
				t.Errorf("%+v: %v", in, err)
			}
		}
	})
}
