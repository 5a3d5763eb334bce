package api_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/intel"
)

// The indicator operations are tested here; their paths join elsewhere (their bodies'
// required fields are checked in testCreateIndicators and testRecordSighting).
func init() {
	elsewhere = append(elsewhere, api.Prefix+"/indicators", api.Prefix+"/collections")
	endpointTests["GET /api/v1/collections"] = testListCollections
	endpointTests["POST /api/v1/collections/{id}/misp"] = testImportMISP
	endpointTests["GET /api/v1/indicators"] = testListIndicators
	endpointTests["POST /api/v1/indicators"] = testCreateIndicators
	endpointTests["GET /api/v1/indicators/{id}"] = testGetIndicator
	endpointTests["POST /api/v1/indicators/{id}/sightings"] = testRecordSighting
}

// intelCollection gives community C1 (organization A) a collection its members write.
func intelCollection(t *testing.T, w *world) intel.Collection {
	t.Helper()
	k, err := w.e.Intel.CreateCollection(ctx, auth.System(), intel.CollectionInput{Title: "C1 IoC", CommunityID: w.c1.ID, MemberWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func enterIndicators(t *testing.T, w *world, k intel.Collection, text string) api.EntryResult {
	t.Helper()
	var res api.EntryResult
	w.as(t, w.memberA).do("POST", api.Prefix+"/indicators", map[string]any{"collection_id": k.ID, "text": text, "tlp": "green"}).ok(t, 201, &res)
	return res
}

func testListCollections(t *testing.T, w *world) {
	k := intelCollection(t, w)
	var l api.List[api.Collection]
	w.as(t, w.memberA).get(api.Prefix+"/collections").ok(t, 200, &l)
	if len(l.Items) != 1 || l.Items[0].TaxiiID != k.UUID || !l.Items[0].CanWrite {
		t.Errorf("member of C1: %+v", l.Items)
	}
	w.as(t, w.memberB).get(api.Prefix+"/collections").ok(t, 200, &l)
	if len(l.Items) != 0 {
		t.Errorf("outsider: %+v", l.Items)
	}
}

func testListIndicators(t *testing.T, w *world) {
	k := intelCollection(t, w)
	enterIndicators(t, w, k, "198.51.100.7 evil-cdn[.]net d41d8cd98f00b204e9800998ecf8427e")
	var l api.List[api.Indicator]
	a := w.as(t, w.memberA)
	a.get(api.Prefix+"/indicators?limit=2").ok(t, 200, &l)
	if len(l.Items) != 2 || l.NextCursor == "" {
		t.Fatalf("first page %+v", l)
	}
	var l2 api.List[api.Indicator]
	a.get(api.Prefix+"/indicators?limit=2&cursor="+l.NextCursor).ok(t, 200, &l2)
	if len(l2.Items) != 1 {
		t.Errorf("second page %+v", l2)
	}
	a.get(api.Prefix+"/indicators?value=evil-cdn%5B.%5Dnet").ok(t, 200, &l)
	if len(l.Items) != 1 || l.Items[0].Values[0].Value != "evil-cdn.net" {
		t.Errorf("by defanged value %+v", l.Items)
	}
	a.get(api.Prefix+"/indicators?kind=md5&valid=true&tlp=green&collection_id="+id(k.ID)).ok(t, 200, &l)
	if len(l.Items) != 1 {
		t.Errorf("by kind %+v", l.Items)
	}
	w.as(t, w.memberB).get(api.Prefix+"/indicators").ok(t, 200, &l)
	if len(l.Items) != 0 {
		t.Errorf("outsider sees %+v", l.Items)
	}
	a.get(api.Prefix+"/indicators?kind=teapot").fieldProblem(t, "kind")
	a.get(api.Prefix+"/indicators?tlp=purple").fieldProblem(t, "tlp")
}

func testCreateIndicators(t *testing.T, w *world) {
	k := intelCollection(t, w)
	a := w.as(t, w.memberA)
	var res api.EntryResult
	a.do("POST", api.Prefix+"/indicators", map[string]any{"collection_id": k.ID, "text": "hxxps://evil-cdn[.]net/x 198.51.100.7 198.51.100.7 999.1.1.1",
		"tlp": "amber", "preview": true}).ok(t, 201, &res)
	if len(res.Items) != 2 || len(res.Created) != 0 || len(res.Rejected) != 1 || res.Items[1].Count != 2 || !res.Items[0].Refanged {
		t.Errorf("preview %+v", res)
	}
	a.do("POST", api.Prefix+"/indicators", map[string]any{"collection_id": k.ID, "text": "hxxps://evil-cdn[.]net/x 198.51.100.7",
		"tlp": "amber", "confidence": 80, "valid_days": 30, "description": "C2"}).ok(t, 201, &res)
	if len(res.Created) != 2 {
		t.Fatalf("created %+v", res)
	}
	for _, field := range []string{"collection_id", "text", "tlp"} {
		body := map[string]any{"collection_id": k.ID, "text": "198.51.100.8", "tlp": "green"}
		delete(body, field)
		a.do("POST", api.Prefix+"/indicators", body).fieldProblem(t, field)
	}
	a.do("POST", api.Prefix+"/indicators", map[string]any{"collection_id": k.ID, "text": "198.51.100.8", "tlp": "green", "confidence": 101}).fieldProblem(t, "confidence")
	w.as(t, w.memberB).do("POST", api.Prefix+"/indicators", map[string]any{"collection_id": k.ID, "text": "198.51.100.8", "tlp": "green"}).fieldProblem(t, "collection_id")
}

func testGetIndicator(t *testing.T, w *world) {
	k := intelCollection(t, w)
	res := enterIndicators(t, w, k, "198.51.100.7")
	var d api.IndicatorDetail
	w.as(t, w.memberA2).get(fmt.Sprintf("%s/indicators/%d", api.Prefix, res.Created[0])).ok(t, 200, &d)
	if d.StixID == "" || len(d.Object) == 0 || len(d.Versions) != 1 || d.Values[0].Kind != "ipv4" {
		t.Errorf("detail %+v", d)
	}
	w.as(t, w.memberB).get(fmt.Sprintf("%s/indicators/%d", api.Prefix, res.Created[0])).problem(t, 404, "not-found")
	w.as(t, w.memberA).get(api.Prefix+"/indicators/999999").problem(t, 404, "not-found")
}

func testRecordSighting(t *testing.T, w *world) {
	k := intelCollection(t, w)
	res := enterIndicators(t, w, k, "198.51.100.7")
	path := fmt.Sprintf("%s/indicators/%d/sightings", api.Prefix, res.Created[0])
	w.as(t, w.memberA).do("POST", path, map[string]any{"count": 4}).ok(t, 204, nil)
	w.as(t, w.memberA).do("POST", path, map[string]any{}).fieldProblem(t, "count")
	w.as(t, w.memberB).do("POST", path, map[string]any{"count": 1}).problem(t, 404, "not-found")
	var d api.IndicatorDetail
	w.as(t, w.memberA2).get(fmt.Sprintf("%s/indicators/%d", api.Prefix, res.Created[0])).ok(t, 200, &d)
	if len(d.Sightings) != 1 || d.Sightings[0].Count != 4 {
		t.Errorf("sightings %+v", d.Sightings)
	}
}

func testImportMISP(t *testing.T, w *world) {
	k := intelCollection(t, w)
	event := `{"Event":{"info":"test","Attribute":[{"uuid":"a1b2c3d4-0000-4000-8000-000000000001","type":"ip-dst","value":"198.51.100.7"},
		{"type":"comment","value":"x"}],"Tag":[{"name":"tlp:amber"}]}}`
	var res api.MISPImport
	w.as(t, w.memberA).with("Content-Type", "application/json").do("POST", fmt.Sprintf("%s/collections/%d/misp", api.Prefix, k.ID), json.RawMessage(event)).ok(t, 200, &res)
	if res.Event != "test" || res.Created != 1 || res.Skipped != 1 {
		t.Errorf("import %+v", res)
	}
	w.as(t, w.memberB).with("Content-Type", "application/json").do("POST", fmt.Sprintf("%s/collections/%d/misp", api.Prefix, k.ID), json.RawMessage(event)).problem(t, 404, "not-found")
}
