package api_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"mime/multipart"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/taxii"
)

func init() {
	endpointTests["POST /api/v1/collections/{id}/misp-feed"] = testStartMISPFeed
	endpointTests["POST /api/v1/collections/{id}/misp-feed/archive"] = testUploadMISPFeed
	endpointTests["GET /api/v1/misp-imports"] = testListMISPImports
	endpointTests["GET /api/v1/misp-imports/{id}"] = testGetMISPImport
	endpointTests["POST /api/v1/misp-imports/{id}/cancel"] = testCancelMISPImport
}

// feedZip is a feed of one event with one indicator, and a manifest key that is refused.
func feedZip(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range map[string]string{
		"manifest.json": `{"0c6b5b63-8d1c-4f5e-9a8b-2f3e4d5c6b7a":{"timestamp":"1785000000"},"bad key":{"timestamp":"1"}}`,
		"0c6b5b63-8d1c-4f5e-9a8b-2f3e4d5c6b7a.json": `{"Event":{"info":"feed event","Attribute":[
			{"uuid":"3f1e2d3c-4b5a-4697-8887-766554433221","type":"domain","value":"evil.example","to_ids":true,"timestamp":"1785000000"}]}}`,
	} {
		f, _ := zw.Create(name)
		f.Write([]byte(body))
	}
	zw.Close()
	return b.Bytes()
}

func uploadFeed(t *testing.T, w *world) api.MISPFeedImport {
	t.Helper()
	k := intelCollection(t, w)
	var m api.MISPFeedImport
	w.as(t, w.memberA).with("Content-Type", "application/zip").do("POST", fmt.Sprintf("%s/collections/%d/misp-feed/archive?name=feed.zip", api.Prefix, k.ID),
		feedZip(t)).ok(t, 202, &m)
	return m
}

func testUploadMISPFeed(t *testing.T, w *world) {
	m := uploadFeed(t, w)
	if m.Status != "running" || m.Source != "feed.zip" || m.SourceKind != "archive" || m.CollectionTitle != "C1 IoC" {
		t.Errorf("started: %+v", m)
	}
	if _, err := taxii.FeedImportsOf(w.e.App).Tick(ctx); err != nil {
		t.Fatal(err)
	}
	var got api.MISPFeedImport
	w.as(t, w.memberA).get(fmt.Sprintf("%s/misp-imports/%d", api.Prefix, m.ID)).ok(t, 200, &got)
	if got.Status != "done" || got.EventsTotal != 2 || got.EventsDone != 1 || got.EventsFailed != 1 || got.Created != 1 ||
		len(got.Errors) != 1 || got.Errors[0].Event != "bad key" || got.FinishedAt == nil {
		t.Errorf("finished: %+v", got)
	}
	// The same archive as multipart/form-data.
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("note", "x")
	fw, _ := mw.CreateFormFile("archive", "again.zip")
	fw.Write(feedZip(t))
	mw.Close()
	var again api.MISPFeedImport
	w.as(t, w.memberA).with("Content-Type", mw.FormDataContentType()).do("POST", fmt.Sprintf("%s/collections/%d/misp-feed/archive", api.Prefix, m.CollectionID),
		b.Bytes()).ok(t, 202, &again)
	if again.Source != "again.zip" {
		t.Errorf("multipart: %+v", again)
	}
	// Not an archive; a collection the caller cannot see.
	w.as(t, w.memberA).with("Content-Type", "application/zip").do("POST", fmt.Sprintf("%s/collections/%d/misp-feed/archive", api.Prefix, m.CollectionID),
		[]byte("hello")).fieldProblem(t, "archive")
	w.as(t, w.memberB).with("Content-Type", "application/zip").do("POST", fmt.Sprintf("%s/collections/%d/misp-feed/archive", api.Prefix, m.CollectionID),
		feedZip(t)).problem(t, 404, "not-found")
}

func testStartMISPFeed(t *testing.T, w *world) {
	k := intelCollection(t, w)
	path := fmt.Sprintf("%s/collections/%d/misp-feed", api.Prefix, k.ID)
	var m api.MISPFeedImport
	w.as(t, w.memberA).do("POST", path, api.MISPFeedInput{URL: "https://feeds.example.net/circl/manifest.json", RepeatMinutes: 60}).ok(t, 202, &m)
	if m.Source != "https://feeds.example.net/circl/" || m.RepeatMinutes != 60 || m.Status != "running" || m.SourceKind != "url" {
		t.Errorf("started: %+v", m)
	}
	w.as(t, w.memberA).do("POST", path, api.MISPFeedInput{URL: "http://127.0.0.1/feed/"}).fieldProblem(t, "url")
	w.as(t, w.memberA).do("POST", path, api.MISPFeedInput{URL: "https://feeds.example.net/", RepeatMinutes: 1}).fieldProblem(t, "repeat")
	w.as(t, w.memberB).do("POST", path, api.MISPFeedInput{URL: "https://feeds.example.net/"}).problem(t, 404, "not-found")
	// Center staff read the community's collection but do not write it here.
	w.as(t, w.analyst).do("POST", path, api.MISPFeedInput{URL: "https://feeds.example.net/"}).problem(t, 404, "not-found")
}

func testListMISPImports(t *testing.T, w *world) {
	m := uploadFeed(t, w)
	var l api.List[api.MISPFeedImport]
	for who, want := range map[string]int{"memberA": 1, "analyst": 1, "admin": 1, "memberB": 0} {
		u := map[string]*client{"memberA": w.as(t, w.memberA), "analyst": w.as(t, w.analyst), "admin": w.as(t, w.admin), "memberB": w.as(t, w.memberB)}[who]
		u.get(api.Prefix+"/misp-imports").ok(t, 200, &l)
		if len(l.Items) != want || (want == 1 && l.Items[0].ID != m.ID) {
			t.Errorf("%s sees %+v", who, l.Items)
		}
	}
}

func testGetMISPImport(t *testing.T, w *world) {
	m := uploadFeed(t, w)
	path := fmt.Sprintf("%s/misp-imports/%d", api.Prefix, m.ID)
	var got api.MISPFeedImport
	w.as(t, w.analyst).get(path).ok(t, 200, &got)
	if got.ID != m.ID || got.Errors == nil {
		t.Errorf("center: %+v", got)
	}
	w.as(t, w.memberB).get(path).problem(t, 404, "not-found")
	w.as(t, w.memberA).get(api.Prefix+"/misp-imports/999999").problem(t, 404, "not-found")
}

func testCancelMISPImport(t *testing.T, w *world) {
	m := uploadFeed(t, w)
	path := fmt.Sprintf("%s/misp-imports/%d", api.Prefix, m.ID)
	w.as(t, w.memberB).do("POST", path+"/cancel", nil).problem(t, 404, "not-found")
	w.as(t, w.memberA).do("POST", path+"/cancel", nil).ok(t, 204, nil)
	var got api.MISPFeedImport
	w.as(t, w.memberA).get(path).ok(t, 200, &got)
	if got.Status != "cancelled" || got.FinishedAt == nil {
		t.Errorf("cancelled: %+v", got)
	}
}
