package taxii_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// orphanLimits are the feed limits of these tests.
var orphanLimits = taxii.FeedLimits{ManifestBytes: 64 << 10, EventBytes: 64 << 10, ArchiveBytes: 256 << 10, ArchiveEntries: 20, UnpackedBytes: 512 << 10, Events: 10}

// startOnNodeA starts an archive import of a two-event feed on node-a, whose unpacked
// files go in dir.
func startOnNodeA(t *testing.T, w *feedWorld, dir string) taxii.FeedImport {
	t.Helper()
	a := taxii.NewFeedImports(w.env.App, taxii.FeedImportOptions{Dir: dir, Node: "node-a", Limits: orphanLimits})
	m, err := a.StartArchive(testapp.Ctx(), w.env.Principal(w.member), w.coll.ID, "feed.zip",
		bytes.NewReader(zipOf(t, buildFeed(2, 1, func(int) int64 { return 1785000000 }))))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// An archive import whose node never comes back is given up by another node once it has
// waited taxii.OrphanAfter, with a reason that asks for the archive again; if the node
// does come back, it removes the files nobody uses any more, but leaves a fresh upload.
func TestMISPArchiveOfAVanishedNodeIsGivenUp(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		lim := orphanLimits
		w := newFeedWorld(t, db, lim)
		ctx := testapp.Ctx()
		dirA := t.TempDir()
		m := startOnNodeA(t, w, dirA)
		// Node a goes away before running it. Node b waits for it, then gives it up.
		b := taxii.NewFeedImports(w.env.App, taxii.FeedImportOptions{Dir: t.TempDir(), Node: "node-b", Limits: lim})
		w.env.Clock.Advance(taxii.OrphanAfter - time.Hour)
		w.tick(t, b, 0)
		if got := w.get(t, m.ID); got.Status != "running" {
			t.Fatalf("given up before its time: %s %q", got.Status, got.Error)
		}
		w.env.Clock.Advance(2 * time.Hour)
		w.tick(t, b, 0)
		got := w.get(t, m.ID)
		if got.Status != "failed" || !strings.Contains(got.Error, "upload the archive again") || got.FinishedAt.IsZero() {
			t.Fatalf("after %s: %s %q", taxii.OrphanAfter+time.Hour, got.Status, got.Error)
		}
		if n, err := store.CountMISPImportEvents(ctx, db.Read(), m.ID); err != nil || n != 0 {
			t.Errorf("its event list is kept: %d, %v", n, err)
		}

		// Node a comes back: the abandoned import's files go (once old enough to be sure
		// no upload is still unpacking them); an upload younger than that stays.
		entries, _ := os.ReadDir(dirA)
		if len(entries) != 1 {
			t.Fatalf("node a holds %d entries, want the one archive", len(entries))
		}
		old := time.Now().Add(-2 * time.Hour)
		if err := os.Chtimes(filepath.Join(dirA, entries[0].Name()), old, old); err != nil {
			t.Fatal(err)
		}
		fresh := filepath.Join(dirA, "upload-fresh")
		if err := os.WriteFile(fresh, []byte("PK"), 0o600); err != nil {
			t.Fatal(err)
		}
		back := taxii.NewFeedImports(w.env.App, taxii.FeedImportOptions{Dir: dirA, Node: "node-a", Limits: lim})
		w.tick(t, back, 0)
		if left, _ := os.ReadDir(dirA); len(left) != 1 || left[0].Name() != "upload-fresh" {
			t.Errorf("node a's directory after its return: %v, want only the fresh upload", left)
		}
		if got := w.get(t, m.ID); got.Status != "failed" {
			t.Errorf("node a ran the given-up import: %s", got.Status)
		}
	})
}

// A node that was down longer than taxii.OrphanAfter resumes its own archive imports: it
// never gives up what it can still do.
func TestMISPArchiveNodeResumesItsOwnAfterALongStop(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newFeedWorld(t, db, orphanLimits)
		dir := t.TempDir()
		m := startOnNodeA(t, w, dir)
		w.env.Clock.Advance(3 * taxii.OrphanAfter)
		w.tick(t, taxii.NewFeedImports(w.env.App, taxii.FeedImportOptions{Dir: dir, Node: "node-a", Limits: orphanLimits}), 1)
		if got := w.get(t, m.ID); got.Status != "done" || got.EventsDone != 2 {
			t.Errorf("after the long stop: %s %+v %q", got.Status, countsOf(got), got.Error)
		}
	})
}
