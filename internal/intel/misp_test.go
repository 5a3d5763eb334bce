package intel_test

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// The event's TLP tag comes after its attributes, as MISP often writes it.
const mispEvent = `{"Event":{"uuid":"5e6f7a8b-1c2d-4e3f-8a9b-0c1d2e3f4a5b","info":"Phishing wave against rail operators",
 "Attribute":[
  {"uuid":"a1b2c3d4-0000-4000-8000-000000000001","type":"ip-dst","value":"198.51.100.7","to_ids":true,"timestamp":"1785000000"},
  {"uuid":"a1b2c3d4-0000-4000-8000-000000000002","type":"domain","value":"Login-Rail.example.net","to_ids":true,"timestamp":"1785000000"},
  {"uuid":"a1b2c3d4-0000-4000-8000-000000000003","type":"ip-dst|port","value":"203.0.113.9|443","to_ids":"1","timestamp":"1785000000",
   "Tag":[{"name":"tlp:red"}]},
  {"uuid":"a1b2c3d4-0000-4000-8000-000000000004","type":"text","value":"just a note","to_ids":false},
  {"uuid":"a1b2c3d4-0000-4000-8000-000000000005","type":"url","value":"http://login-rail.example.net/a","to_ids":false},
  {"uuid":"a1b2c3d4-0000-4000-8000-000000000006","type":"ip-src","value":"not-an-ip","to_ids":true}
 ],
 "Object":[{"name":"file","Attribute":[
  {"uuid":"a1b2c3d4-0000-4000-8000-000000000007","type":"filename|sha256","value":"invoice.exe|` + "AB" + `` + "00000000000000000000000000000000000000000000000000000000000000" + `","to_ids":true}]}],
 "Tag":[{"name":"tlp:amber"},{"name":"misp-galaxy:threat-actor=\"X\""}]}}`

func TestImportMISPEvent(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := testapp.Ctx()
		res, err := w.env.Intel.ImportMISP(ctx, w.pSato, w.shared.ID, strings.NewReader(mispEvent))
		if err != nil {
			t.Fatal(err)
		}
		if res.Event != "Phishing wave against rail operators" || res.Attributes != 7 || res.Created != 4 || res.Skipped != 3 || len(res.Errors) != 1 {
			t.Fatalf("result %+v", res)
		}
		list, err := w.env.Intel.Indicators(ctx, w.pSato, intel.IndicatorQuery{CollectionID: w.shared.ID})
		if err != nil || len(list) != 4 {
			t.Fatalf("indicators %v %v", list, err)
		}
		tlps := map[string]string{}
		for _, it := range list {
			tlps[it.Values[0].Value] = it.TLP
		}
		if tlps["198.51.100.7"] != "amber" || tlps["login-rail.example.net"] != "amber" || tlps["203.0.113.9"] != "red" ||
			tlps["ab"+strings.Repeat("0", 62)] != "amber" {
			t.Errorf("TLPs %v", tlps)
		}
		// The TLP:RED attribute is the importer's only.
		if l, _ := w.env.Intel.Indicators(ctx, w.pTanaka, intel.IndicatorQuery{CollectionID: w.shared.ID}); len(l) != 3 {
			t.Errorf("railway sees %d", len(l))
		}
		// Importing again adds nothing.
		res, err = w.env.Intel.ImportMISP(ctx, w.pSato, w.shared.ID, strings.NewReader(mispEvent))
		if err != nil || res.Created != 0 {
			t.Errorf("again: %+v %v", res, err)
		}
		for name, body := range map[string]string{"not JSON": `{"Event":`, "no event": `{"foo":1}`} {
			if _, err := w.env.Intel.ImportMISP(ctx, w.pSato, w.shared.ID, strings.NewReader(body)); !fault.Is(err, fault.Invalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := w.env.Intel.ImportMISP(ctx, w.pSato, w.centerOnly.ID, strings.NewReader(mispEvent)); !fault.Is(err, fault.Forbidden) {
			t.Errorf("read-only collection: %v", err)
		}
	})
}

// mispReader streams an event of n attributes without holding it.
type mispReader struct {
	n, i int
	buf  []byte
	done bool
}

func (m *mispReader) Read(p []byte) (int, error) {
	for len(m.buf) == 0 {
		switch {
		case m.done:
			return 0, fmt.Errorf("EOF")
		case m.i == 0:
			m.buf = []byte(`{"Event":{"info":"big","Attribute":[`)
		case m.i > m.n:
			m.buf, m.done = []byte(`],"Tag":[{"name":"tlp:green"}]}}`), true
		default:
			sep := ","
			if m.i == 1 {
				sep = ""
			}
			m.buf = fmt.Appendf(nil, `%s{"uuid":"%08x-0000-4000-8000-000000000000","type":"ip-dst","value":"10.%d.%d.%d","to_ids":true,"timestamp":"1785000000","comment":"%s"}`,
				sep, m.i, (m.i>>16)&255, (m.i>>8)&255, m.i&255, strings.Repeat("x", 200))
		}
		m.i++
	}
	n := copy(p, m.buf)
	m.buf = m.buf[n:]
	return n, nil
}

// A large event is imported with memory that does not grow with it: the heap after an
// import of 20,000 attributes is within a few MB of the heap after 2,000.
func TestImportMISPMemoryStaysFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 22,000 attributes")
	}
	w := newWorld(t, testdb.SQLite(t))
	heap := func(n int) uint64 {
		var peak uint64
		r := &eofReader{r: &mispReader{n: n}}
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
		res, err := w.env.Intel.ImportMISP(testapp.Ctx(), w.pSato, w.shared.ID, r)
		close(done)
		if err != nil || res.Attributes != n || res.Created+res.Skipped != n {
			t.Fatalf("%d attributes: %+v %v", n, res, err)
		}
		return peak
	}
	small := heap(2000)
	big := heap(20000)
	t.Logf("peak heap in use: %d MB for 2,000 attributes, %d MB for 20,000", small>>20, big>>20)
	if big > small+16<<20 {
		t.Errorf("heap grew from %d MB to %d MB", small>>20, big>>20)
	}
}

type eofReader struct{ r *mispReader }

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		return n, ioEOF
	}
	return n, nil
}

var ioEOF = io.EOF
