package taxii_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// feedServer serves a MISP feed from memory and counts the requests of each file.
type feedServer struct {
	mu    sync.Mutex
	files map[string][]byte
	hits  map[string]int
	srv   *httptest.Server
}

func newFeedServer(t *testing.T) *feedServer {
	f := &feedServer{files: map[string][]byte{}, hits: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/feed/")
		f.mu.Lock()
		b, ok := f.files[name]
		f.hits[name]++
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *feedServer) url() string { return f.srv.URL + "/feed/" }

func (f *feedServer) hitsOf(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[name]
}

func eventUUID(i int) string { return fmt.Sprintf("5e6f7a8b-0000-4000-8000-%012d", i) }

// mispFeedEvent is an event of n ip-dst attributes; seed keeps the attributes of events
// apart.
func mispFeedEvent(i, n int, ts int64) []byte {
	var attrs []string
	for a := range n {
		attrs = append(attrs, fmt.Sprintf(`{"uuid":"a1b2c3d4-%04d-4000-8000-%012d","type":"ip-dst","value":"10.9.%d.%d","to_ids":true,"timestamp":"%d"}`,
			i, a, i%256, a%256, ts))
	}
	return fmt.Appendf(nil, `{"Event":{"uuid":"%s","info":"event %d","timestamp":"%d","Attribute":[%s],"Tag":[{"name":"tlp:green"}]}}`,
		eventUUID(i), i, ts, strings.Join(attrs, ","))
}

// buildFeed makes the files of a feed of events 0..n-1 with attrs attributes each; the
// manifest also names a key that is not a uuid.
func buildFeed(n, attrs int, ts func(i int) int64) map[string][]byte {
	files := map[string][]byte{}
	var entries []string
	for i := range n {
		files[eventUUID(i)+".json"] = mispFeedEvent(i, attrs, ts(i))
		entries = append(entries, fmt.Sprintf(`%q:{"info":"event %d","timestamp":"%d","Tag":[{"name":"tlp:green"}]}`, eventUUID(i), i, ts(i)))
	}
	entries = append(entries, `"../../etc/passwd":{"timestamp":"1"}`)
	files["manifest.json"] = []byte("{" + strings.Join(entries, ",") + "}")
	return files
}

type feedWorld struct {
	env              *testapp.Env
	org, other       model.Org
	member, outsider model.User
	analyst          model.User
	coll             intel.Collection
	imports          *taxii.FeedImports
}

func newFeedWorld(t *testing.T, db *store.DB, lim taxii.FeedLimits) *feedWorld {
	w := &feedWorld{env: testapp.New(t, db)}
	w.org = w.env.Org("受信組織", model.KindCTIVendor)
	w.other = w.env.Org("別の組織", model.KindOperator)
	center := w.env.Org("センター", model.KindCenter)
	w.member = w.env.Person(w.org, "member@vendor.example", model.RoleMember)
	w.outsider = w.env.Person(w.other, "admin@other.example", model.RoleOrgAdmin)
	w.analyst = w.env.Person(center, "analyst@center.example", model.RoleAnalyst)
	var err error
	if w.coll, err = w.env.Intel.CreateCollection(testapp.Ctx(), auth.System(), intel.CollectionInput{Title: "feed", OrgID: w.org.ID}); err != nil {
		t.Fatal(err)
	}
	w.imports = taxii.NewFeedImports(w.env.App, taxii.FeedImportOptions{AllowHTTP: true, AllowPrivate: true, Dir: t.TempDir(), Node: "node-a", Limits: lim})
	return w
}

func (w *feedWorld) tick(t *testing.T, s *taxii.FeedImports, want int) {
	t.Helper()
	n, err := s.Tick(testapp.Ctx())
	if err != nil || n != want {
		t.Fatalf("tick ran %d (want %d): %v", n, want, err)
	}
}

func (w *feedWorld) get(t *testing.T, id int64) taxii.FeedImport {
	t.Helper()
	m, err := w.imports.Get(testapp.Ctx(), w.env.Principal(w.member), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (w *feedWorld) indicators(t *testing.T) int {
	t.Helper()
	pg, err := w.env.Intel.Objects(testapp.Ctx(), w.env.Principal(w.member), w.coll.UUID, intel.Query{Versions: store.VersionMode{All: true}, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range pg.Versions {
		if v.Type == "indicator" {
			n++
		}
	}
	return n
}

type counts struct{ total, done, failed, unchanged, attrs, created int64 }

func countsOf(m taxii.FeedImport) counts {
	return counts{m.EventsTotal, m.EventsDone, m.EventsFailed, m.EventsUnchanged, m.Attributes, m.Created}
}

// A feed is pulled event by event; a crash after five events leaves the lease held, and
// once it lapses the import resumes with the sixth: every file is fetched once, the counts
// are exact, and the broken files (bad JSON, missing, a bad manifest key) are errors while
// the rest imports. Pulling again reads only the event whose timestamp changed.
func TestMISPFeedPullResumesAfterACrash(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newFeedWorld(t, db, taxii.FeedLimits{})
		ctx := testapp.Ctx()
		feed := newFeedServer(t)
		feed.files = buildFeed(12, 3, func(int) int64 { return 1785000000 })
		feed.files[eventUUID(3)+".json"] = []byte(`{"Event": {"info": "cut short", "Attribute": [`)
		delete(feed.files, eventUUID(7)+".json")
		p := w.env.Principal(w.member)
		m, err := w.imports.StartURL(ctx, p, w.coll.ID, feed.url()+"manifest.json", 0)
		if err != nil {
			t.Fatal(err)
		}
		if m.Source != feed.url() || m.Status != "running" {
			t.Fatalf("started: %+v", m.MISPImport)
		}
		crash := errors.New("crash")
		taxii.SetAfterEvent(w.imports, func(n int) error {
			if n == 5 {
				return crash
			}
			return nil
		})
		w.tick(t, w.imports, 1)
		got := w.get(t, m.ID)
		if got.EventsDone+got.EventsFailed != 6 || got.EventsTotal != 13 || got.Status != "running" || !got.Running {
			t.Fatalf("after the crash: %+v", countsOf(got))
		}
		// Another node does not take the leased import; once the lease lapses it does.
		other := taxii.NewFeedImports(w.env.App, taxii.FeedImportOptions{AllowHTTP: true, AllowPrivate: true, Node: "node-b"})
		w.tick(t, other, 0)
		taxii.SetAfterEvent(w.imports, nil)
		w.env.Clock.Advance(6 * time.Minute)
		w.tick(t, other, 1)
		got = w.get(t, m.ID)
		if want := (counts{total: 13, done: 10, failed: 3, attrs: 30, created: 30}); countsOf(got) != want || got.Status != "done" {
			t.Fatalf("after resuming: %+v (%s), want %+v", countsOf(got), got.Status, want)
		}
		if n := w.indicators(t); n != 30 {
			t.Errorf("%d indicators, want 30", n)
		}
		for i := range 12 {
			if h := feed.hitsOf(eventUUID(i) + ".json"); h != 1 {
				t.Errorf("event %d fetched %d times", i, h)
			}
		}
		if len(got.ErrorList) != 3 || got.ErrorList[0].Event != "../../etc/passwd" || got.ErrorList[1].Event != eventUUID(3) ||
			got.ErrorList[2].Event != eventUUID(7) || got.ErrorList[2].Reason != "HTTP 404" {
			t.Errorf("errors %+v", got.ErrorList)
		}
		if got.Rate() <= 0 || got.FinishedAt.IsZero() {
			t.Errorf("rate %v finished %v", got.Rate(), got.FinishedAt)
		}
		// The feed changes one event; the next pull reads it and the two broken ones only.
		feed.files[eventUUID(5)+".json"] = mispFeedEvent(5, 4, 1785000100)
		feed.files["manifest.json"] = bytes.Replace(feed.files["manifest.json"],
			fmt.Appendf(nil, `%q:{"info":"event 5","timestamp":"1785000000"`, eventUUID(5)), fmt.Appendf(nil, `%q:{"info":"event 5","timestamp":"1785000100"`, eventUUID(5)), 1)
		again, err := w.imports.StartURL(ctx, p, w.coll.ID, feed.url(), 0)
		if err != nil {
			t.Fatal(err)
		}
		w.tick(t, w.imports, 1)
		got = w.get(t, again.ID)
		if want := (counts{total: 4, done: 1, failed: 3, unchanged: 9, attrs: 4, created: 4}); countsOf(got) != want {
			t.Errorf("pulled again: %+v, want %+v", countsOf(got), want)
		}
		if h := feed.hitsOf(eventUUID(0) + ".json"); h != 1 {
			t.Errorf("an unchanged event was fetched again (%d)", h)
		}
	})
}

// Who may start and see an import: the collection's writers and the center; others are
// told it does not exist, and a feed on the server's own network is refused unless allowed.
func TestMISPFeedAccessAndURLRules(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) { testMISPFeedAccessAndURLRules(t, db) })
}

func testMISPFeedAccessAndURLRules(t *testing.T, db *store.DB) {
	w := newFeedWorld(t, db, taxii.FeedLimits{})
	ctx := testapp.Ctx()
	feed := newFeedServer(t)
	feed.files = buildFeed(1, 1, func(int) int64 { return 1 })
	m, err := w.imports.StartURL(ctx, w.env.Principal(w.member), w.coll.ID, feed.url(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.imports.Get(ctx, w.env.Principal(w.outsider), m.ID); !fault.Is(err, fault.NotFound) {
		t.Errorf("another organization: %v", err)
	}
	if l, _ := w.imports.List(ctx, w.env.Principal(w.outsider), store.Page{}); len(l) != 0 {
		t.Errorf("another organization lists %d", len(l))
	}
	if l, _ := w.imports.List(ctx, w.env.Principal(w.analyst), store.Page{}); len(l) != 1 || l[0].CollectionTitle != "feed" {
		t.Errorf("the center lists %+v", l)
	}
	if _, err := w.imports.StartURL(ctx, w.env.Principal(w.outsider), w.coll.ID, feed.url(), 0); !fault.Is(err, fault.NotFound) {
		t.Errorf("import into an unreadable collection: %v", err)
	}
	if _, err := w.imports.StartURL(ctx, w.env.Principal(w.analyst), w.coll.ID, feed.url(), 0); !fault.Is(err, fault.Forbidden) {
		t.Errorf("the center imports into an organization's collection: %v", err)
	}
	if err := w.imports.Cancel(ctx, w.env.Principal(w.analyst), m.ID); !fault.Is(err, fault.Forbidden) {
		t.Errorf("the center cancels: %v", err)
	}
	strict := taxii.NewFeedImports(w.env.App, taxii.FeedImportOptions{Dir: t.TempDir()})
	for raw, key := range map[string]string{feed.url(): "mispfeed.bad_url", "https://127.0.0.1/feed/": "taxiisub.private_api_root",
		"https://localhost/feed": "taxiisub.private_api_root", "ftp://example.net/": "mispfeed.bad_url", "": "invalid.required",
		"https://example.net/" + strings.Repeat("a", 2000): "invalid.too_long"} {
		_, err := strict.StartURL(ctx, w.env.Principal(w.member), w.coll.ID, raw, 0)
		if fs := fault.Fields(err); len(fs) != 1 || fs[0].Key != key {
			t.Errorf("%.40s: %v", raw, err)
		}
	}
	if _, err := w.imports.StartURL(ctx, w.env.Principal(w.member), w.coll.ID, feed.url(), time.Minute); !fault.Is(err, fault.Invalid) {
		t.Errorf("repeat of a minute: %v", err)
	}
	// The repeating pull runs, then again an hour after it ended; cancelling stops it.
	w.tick(t, w.imports, 1)
	if got := w.get(t, m.ID); got.Status != "done" || got.NextAt.IsZero() || !got.CanCancel {
		t.Fatalf("repeating import: %+v", got.MISPImport)
	}
	w.env.Clock.Advance(61 * time.Minute)
	w.tick(t, w.imports, 1)
	l, _ := w.imports.List(ctx, w.env.Principal(w.member), store.Page{})
	if len(l) != 2 || l[0].Status != "done" || l[0].EventsUnchanged != 1 || l[0].NextAt.IsZero() || !l[1].NextAt.IsZero() {
		t.Fatalf("after the repeat: %+v", l)
	}
	if err := w.imports.Cancel(ctx, w.env.Principal(w.member), l[0].ID); err != nil {
		t.Fatal(err)
	}
	w.env.Clock.Advance(2 * time.Hour)
	w.tick(t, w.imports, 0)
	// A running import cancelled before it ran is never run.
	c, _ := w.imports.StartURL(ctx, w.env.Principal(w.member), w.coll.ID, feed.url(), 0)
	if err := w.imports.Cancel(ctx, w.env.Principal(w.member), c.ID); err != nil {
		t.Fatal(err)
	}
	w.tick(t, w.imports, 0)
	if got := w.get(t, c.ID); got.Status != "cancelled" || got.CanCancel {
		t.Errorf("cancelled: %+v", got.MISPImport)
	}
}

func zipOf(t *testing.T, files map[string][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range files {
		f, err := zw.Create("feed/" + name)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
	}
	zw.Close()
	return b.Bytes()
}

func tarGzOf(t *testing.T, files map[string][]byte) []byte {
	var b bytes.Buffer
	gz := gzip.NewWriter(&b)
	tw := tar.NewWriter(gz)
	for name, data := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	tw.Close()
	gz.Close()
	return b.Bytes()
}

// An uploaded archive (zip or tar.gz) imports like a feed; its limits are checked before
// the import starts, against zip bombs among others, and its files go once it is over.
func TestMISPFeedArchives(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		lim := taxii.FeedLimits{ManifestBytes: 64 << 10, EventBytes: 64 << 10, ArchiveBytes: 256 << 10, ArchiveEntries: 20, UnpackedBytes: 512 << 10, Events: 10}
		w := newFeedWorld(t, db, lim)
		ctx := testapp.Ctx()
		p := w.env.Principal(w.member)
		files := buildFeed(4, 2, func(int) int64 { return 1785000000 })
		// The second archive holds the same indicators, so it reads them but adds none.
		for i, name := range []string{"feed.zip", "feed.tar.gz"} {
			body := zipOf(t, files)
			if i == 1 {
				body = tarGzOf(t, files)
			}
			m, err := w.imports.StartArchive(ctx, p, w.coll.ID, name, bytes.NewReader(body))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			w.tick(t, w.imports, 1)
			got := w.get(t, m.ID)
			if want := (counts{total: 5, done: 4, failed: 1, attrs: 8, created: int64(8 - 8*i)}); got.Source != name || countsOf(got) != want {
				t.Errorf("%s: %+v, want %+v", name, countsOf(got), want)
			}
			w.env.Clock.Advance(time.Second)
		}
		if n := w.indicators(t); n != 8 {
			t.Errorf("%d indicators", n)
		}
		zeros := bytes.Repeat([]byte{'0'}, 600<<10)
		bomb := map[string][]byte{"manifest.json": []byte("{}")}
		for i := range 10 {
			bomb[eventUUID(i)+".json"] = zeros[:60<<10]
		}
		many := map[string][]byte{"manifest.json": []byte("{}")}
		for i := range 25 {
			many[fmt.Sprintf("note-%d.txt", i)] = nil
		}
		tooMany := buildFeed(11, 1, func(int) int64 { return 1 })
		for name, tc := range map[string]struct {
			body []byte
			key  string
		}{
			"not an archive":       {[]byte("hello"), "mispfeed.bad_archive"},
			"no manifest":          {zipOf(t, map[string][]byte{eventUUID(1) + ".json": mispFeedEvent(1, 1, 1)}), "mispfeed.archive_no_manifest"},
			"zip bomb":             {zipOf(t, bomb), "mispfeed.archive_unpacked_too_large"},
			"skipped bomb (tar)":   {tarGzOf(t, map[string][]byte{"manifest.json": []byte("{}"), "padding.bin": zeros}), "mispfeed.archive_unpacked_too_large"},
			"event file too large": {zipOf(t, map[string][]byte{"manifest.json": []byte("{}"), eventUUID(1) + ".json": zeros[:100<<10]}), "mispfeed.archive_file_too_large"},
			"too many entries":     {tarGzOf(t, many), "mispfeed.archive_too_many"},
			"sent too large":       {append([]byte("PK\x03\x04"), bytes.Repeat([]byte{1}, 300<<10)...), "mispfeed.archive_too_large"},
		} {
			_, err := w.imports.StartArchive(ctx, p, w.coll.ID, name, bytes.NewReader(tc.body))
			if fe := fault.As(err); fe == nil || fe.Key != tc.key || fe.Field != "archive" {
				t.Errorf("%s: %v", name, err)
			}
		}
		// Too many events in the manifest fails the import with the reason.
		m, err := w.imports.StartArchive(ctx, p, w.coll.ID, "many.zip", bytes.NewReader(zipOf(t, tooMany)))
		if err != nil {
			t.Fatal(err)
		}
		w.tick(t, w.imports, 1)
		if got := w.get(t, m.ID); got.Status != "failed" || !strings.Contains(got.Error, "more than 10 events") {
			t.Errorf("too many events: %s %q", got.Status, got.Error)
		}
		if _, err := w.imports.StartArchive(ctx, w.env.Principal(w.analyst), w.coll.ID, "x.zip", bytes.NewReader(zipOf(t, files))); !fault.Is(err, fault.Forbidden) {
			t.Errorf("the center uploads into an organization's collection: %v", err)
		}
		// An archive import interrupted by a restart is resumed by the same node (which holds
		// the unpacked files), never by another; its files go once it is over.
		dir := t.TempDir()
		first := taxii.NewFeedImports(w.env.App, taxii.FeedImportOptions{Dir: dir, Node: "node-a", Limits: lim})
		big := buildFeed(6, 1, func(int) int64 { return 1785000200 })
		for i := range 6 {
			big[eventUUID(i)+".json"] = mispFeedEvent(i+20, 1, 1785000200)
		}
		m, err = first.StartArchive(ctx, p, w.coll.ID, "restart.zip", bytes.NewReader(zipOf(t, big)))
		if err != nil {
			t.Fatal(err)
		}
		taxii.SetAfterEvent(first, func(n int) error {
			if n == 2 {
				return errors.New("crash")
			}
			return nil
		})
		w.tick(t, first, 1)
		w.env.Clock.Advance(6 * time.Minute)
		w.tick(t, taxii.NewFeedImports(w.env.App, taxii.FeedImportOptions{Dir: t.TempDir(), Node: "node-b", Limits: lim}), 0)
		restarted := taxii.NewFeedImports(w.env.App, taxii.FeedImportOptions{Dir: dir, Node: "node-a", Limits: lim})
		w.tick(t, restarted, 1)
		if got := w.get(t, m.ID); got.Status != "done" || got.EventsDone != 6 || got.EventsFailed != 1 || got.Created != 6 {
			t.Errorf("after the restart: %s %+v", got.Status, countsOf(got))
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("files left after the import: %v", left)
		}
	})
}
