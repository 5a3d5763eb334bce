package taxii_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/taxii"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// generatedFeed serves a feed of n events of attrs attributes each, made as they are asked
// for, so that the test holds none of it.
func generatedFeed(t *testing.T, n, attrs int) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "manifest.json" {
			w.Write([]byte("{"))
			for i := range n {
				sep := ","
				if i == 0 {
					sep = ""
				}
				fmt.Fprintf(w, `%s%q:{"info":"event %d with a long description %s","timestamp":"1785000000","Tag":[{"name":"tlp:green"}]}`,
					sep, eventUUID(i), i, strings.Repeat("x", 200))
			}
			w.Write([]byte("}"))
			return
		}
		var i int
		if _, err := fmt.Sscanf(name, "5e6f7a8b-0000-4000-8000-%012d.json", &i); err != nil || i >= n {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"Event":{"uuid":"%s","info":"event %d","Attribute":[`, eventUUID(i), i)
		for a := range attrs {
			sep := ","
			if a == 0 {
				sep = ""
			}
			fmt.Fprintf(w, `%s{"uuid":"%08x-%04x-4000-8000-000000000000","type":"ip-dst","value":"10.%d.%d.%d","to_ids":true,"timestamp":"1785000000","comment":"%s"}`,
				sep, i, a, i%256, a/256, a%256, strings.Repeat("y", 200))
		}
		w.Write([]byte(`]}}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

// A feed ten times larger is imported with about the same peak heap: neither the manifest
// nor the events are held whole.
func TestMISPFeedMemoryStaysFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 22,000 attributes")
	}
	w := newFeedWorld(t, testdb.SQLite(t), taxii.FeedLimits{})
	heap := func(events int) uint64 {
		m, err := w.imports.StartURL(testapp.Ctx(), w.env.Principal(w.member), w.coll.ID, generatedFeed(t, events, 40), 0)
		if err != nil {
			t.Fatal(err)
		}
		var peak uint64
		done := make(chan struct{})
		go func() {
			var ms runtime.MemStats
			for {
				select {
				case <-done:
					return
				default:
				}
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				runtime.Gosched()
			}
		}()
		w.tick(t, w.imports, 1)
		close(done)
		got := w.get(t, m.ID)
		if got.EventsDone != int64(events) || got.Attributes != int64(events*40) {
			t.Fatalf("%d events: %+v", events, countsOf(got))
		}
		return peak
	}
	small := heap(50)
	big := heap(500)
	t.Logf("peak heap in use: %d MB for 50 events (2,000 attributes), %d MB for 500 (20,000)", small>>20, big>>20)
	if big > small+16<<20 {
		t.Errorf("heap grew from %d MB to %d MB", small>>20, big>>20)
	}
}
