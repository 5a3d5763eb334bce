package web_test

import (
	"archive/zip"
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func feedArchive(t *testing.T) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range map[string]string{
		"manifest.json": `{"0c6b5b63-8d1c-4f5e-9a8b-2f3e4d5c6b7a":{"timestamp":"1785000000"},"0c6b5b63-8d1c-4f5e-9a8b-2f3e4d5c6b7b":{"timestamp":"1"}}`,
		"0c6b5b63-8d1c-4f5e-9a8b-2f3e4d5c6b7a.json": `{"Event":{"info":"feed event","Attribute":[
			{"uuid":"3f1e2d3c-4b5a-4697-8887-766554433221","type":"domain","value":"evil.example","to_ids":true,"timestamp":"1785000000"}]}}`,
	} {
		f, _ := zw.Create(name)
		f.Write([]byte(body))
	}
	zw.Close()
	return b.Bytes()
}

// A member uploads a feed archive through the form, lands on its progress page (which
// reloads itself while the import runs) and sees it finished with its counts and the event
// that was missing; a bad address is refused in Japanese with what was typed kept; another
// organization gets 404s; the center sees the import.
func TestPageMISPFeedImports(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newNotifyWorld(t, db)
		ctx := testapp.Ctx()
		k, err := w.env.Intel.CreateCollection(ctx, auth.System(), intel.CollectionInput{Title: "東都電力IoC", OrgID: w.a.ID})
		if err != nil {
			t.Fatal(err)
		}
		member := w.visitor(t, w.memberA, nil)
		if r := member.get("/indicators"); !strings.Contains(r.body, `href="/intel/imports"`) {
			t.Error("no link from the indicators")
		}
		r := member.get("/intel/imports")
		expectStatus(t, "list", r, http.StatusOK)
		if !strings.Contains(r.body, "東都電力IoC") || !strings.Contains(r.body, i18n.T(model.LangJA, "webmispfeed.none")) {
			t.Error("no collection to choose, or imports listed")
		}
		r = member.postCSRF("/intel/imports", url.Values{"collection": {idText(k.ID)}, "url": {"http://127.0.0.1/feed/"}, "repeat": {"60"}})
		expectStatus(t, "bad url", r, http.StatusUnprocessableEntity)
		if msg, invalid := fieldError(r.body, "url"); !invalid || msg != i18n.T(model.LangJA, "mispfeed.bad_url") {
			t.Errorf("url error %q", msg)
		}
		if v, _ := inputValue(r.body, "repeat"); v != "60" {
			t.Errorf("repeat lost: %q", v)
		}
		body, ct := multipartBody(t, url.Values{"csrf": {member.csrf}, "collection": {idText(k.ID)}}, "archive", "feed.zip", []byte("not a zip"))
		req, _ := http.NewRequest(http.MethodPost, member.base+"/intel/imports/archive", strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		r = member.do(req)
		if msg, invalid := fieldError(r.body, "archive"); r.status != http.StatusUnprocessableEntity || !invalid || msg != i18n.T(model.LangJA, "mispfeed.bad_archive") {
			t.Errorf("bad archive: %d %q", r.status, msg)
		}
		body, ct = multipartBody(t, url.Values{"csrf": {member.csrf}, "collection": {idText(k.ID)}}, "archive", "feed.zip", feedArchive(t))
		req, _ = http.NewRequest(http.MethodPost, member.base+"/intel/imports/archive", strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		r = member.do(req)
		expectStatus(t, "upload", r, http.StatusSeeOther)
		progress := r.location()
		r = member.get(progress)
		if flashOf(r.body) != i18n.T(model.LangJA, "flash.mispfeed_started") || r.header.Get("Refresh") == "" ||
			!strings.Contains(r.body, i18n.T(model.LangJA, "webmispfeed.status_running")) {
			t.Errorf("running: flash %q, refresh %q", flashOf(r.body), r.header.Get("Refresh"))
		}
		if r := member.get(progress + "?auto=0"); r.header.Get("Refresh") != "" {
			t.Error("auto=0 still reloads")
		}
		if _, err := taxii.FeedImportsOf(w.env.App).Tick(ctx); err != nil {
			t.Fatal(err)
		}
		r = member.get(progress)
		if r.header.Get("Refresh") != "" || !strings.Contains(r.body, i18n.T(model.LangJA, "webmispfeed.status_done")) ||
			!strings.Contains(r.body, i18n.T(model.LangJA, "webmispfeed.events_value", "done", 1, "total", 2, "failed", 1)) ||
			!strings.Contains(r.body, "0c6b5b63-8d1c-4f5e-9a8b-2f3e4d5c6b7b") {
			t.Errorf("done page:\n%s", r.body)
		}
		other := w.visitor(t, w.adminB, w.adminBTOTP)
		expectStatus(t, "other GET", other.get(progress), http.StatusNotFound)
		expectStatus(t, "other cancel", other.postCSRF(progress+"/cancel", nil), http.StatusNotFound)
		if r := other.get("/intel/imports"); strings.Contains(r.body, "feed.zip") {
			t.Error("another organization lists the import")
		}
		chief := w.visitor(t, w.chief, w.chiefTOTP)
		if r := chief.get("/intel/imports"); !strings.Contains(r.body, "feed.zip") {
			t.Error("the center does not see the import")
		}
		ms, _ := taxii.FeedImportsOf(w.env.App).List(ctx, w.env.Principal(w.memberA), store.Page{})
		if len(ms) != 1 || ms[0].Created != 1 {
			t.Errorf("imports %+v", ms)
		}
	})
}
