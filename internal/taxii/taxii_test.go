package taxii_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/community"
	"github.com/renkei-dev/renkei/internal/intel"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/taxii"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

type world struct {
	env               *testapp.Env
	base              string
	shared, powerOnly intel.Collection
	sato, tanaka, out model.User
	satoTok, tanaTok  string
	outTok            string
}

func newWorld(t testing.TB, db *store.DB) *world {
	env := testapp.New(t, db)
	w := &world{env: env}
	center := env.Org("対処調整センター", model.KindCenter)
	power := env.Org("東都電力株式会社", model.KindOperator)
	rail := env.Org("首都圏鉄道株式会社", model.KindOperator)
	vendor := env.Org("外部ベンダー株式会社", model.KindCTIVendor)
	ctx, sys := testapp.Ctx(), auth.System()
	comm, err := env.Communities.Create(ctx, sys, community.Input{NameJA: "情報提供（プロ）", NameEN: "Sharing (pro)"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []model.Org{center, power, rail} {
		if err := env.Communities.AddOrg(ctx, sys, comm.ID, o.ID); err != nil {
			t.Fatal(err)
		}
	}
	w.sato = env.Person(power, "sato@power.example", model.RoleMember)
	w.tanaka = env.Person(rail, "tanaka@rail.example", model.RoleMember)
	w.out = env.Person(vendor, "x@vendor.example", model.RoleMember)
	w.satoTok, w.tanaTok, w.outTok = env.Token(w.sato), env.Token(w.tanaka), env.Token(w.out)
	if w.shared, err = env.Intel.CreateCollection(ctx, sys, intel.CollectionInput{Title: "共有IoC", CommunityID: comm.ID, MemberWrite: true}); err != nil {
		t.Fatal(err)
	}
	if w.powerOnly, err = env.Intel.CreateCollection(ctx, sys, intel.CollectionInput{Title: "東都電力", OrgID: power.ID}); err != nil {
		t.Fatal(err)
	}
	w.base = env.Server()
	return w
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("not JSON (%d): %s", r.status, r.body)
	}
	return m
}

func (w *world) do(t testing.TB, method, path, token string, body string, hdr ...string) resp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, w.base+path, rd)
	req.Header.Set("Accept", taxii.MediaTAXII)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", taxii.MediaTAXII)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

func indicator(id, modified, pattern string) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2026-07-01T00:00:00.000Z","modified":%q,`+
		`"pattern":%q,"pattern_type":"stix","valid_from":"2026-07-01T00:00:00Z"}`, id, modified, pattern)
}

func envelope(objs ...string) string { return `{"objects":[` + strings.Join(objs, ",") + `]}` }

const (
	idA = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	idB = "indicator--1f4ab5a7-59e5-4b6e-8d4a-5f0a0a3b9e11"
)

func root(k intel.Collection) string { return "/taxii2/renkei/collections/" + k.UUID + "/" }

func TestDiscoveryRootAndCollections(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		r := w.do(t, "GET", "/taxii2/", w.tanaTok, "")
		if r.status != 200 || r.header.Get("Content-Type") != taxii.MediaTAXII || !strings.HasSuffix(r.json(t)["default"].(string), "/taxii2/renkei/") {
			t.Fatalf("discovery %d %s %s", r.status, r.header, r.body)
		}
		r = w.do(t, "GET", "/taxii2/renkei/", w.tanaTok, "")
		if r.status != 200 || r.json(t)["max_content_length"].(float64) != float64(intel.DefaultLimits.MaxContentLength) {
			t.Fatalf("api root %d %s", r.status, r.body)
		}
		r = w.do(t, "GET", "/taxii2/renkei/collections/", w.tanaTok, "")
		cs := r.json(t)["collections"].([]any)
		if len(cs) != 1 || cs[0].(map[string]any)["id"] != w.shared.UUID || cs[0].(map[string]any)["can_write"] != true {
			t.Errorf("railway's collections: %s", r.body)
		}
		if r := w.do(t, "GET", root(w.powerOnly), w.tanaTok, ""); r.status != 404 || r.json(t)["http_status"] != "404" {
			t.Errorf("another organization's collection: %d %s", r.status, r.body)
		}
		if r := w.do(t, "GET", root(w.powerOnly), w.satoTok, ""); r.status != 200 || r.json(t)["title"] != "東都電力" {
			t.Errorf("own collection: %d %s", r.status, r.body)
		}
		if r := w.do(t, "GET", "/taxii2/renkei/collections/", w.outTok, ""); r.status != 200 || len(r.json(t)) != 0 {
			t.Errorf("outsider: %d %s", r.status, r.body)
		}
		// Authentication: none, a bad token, HTTP Basic with the token as password.
		if r := w.do(t, "GET", "/taxii2/", "", ""); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("no token: %d", r.status)
		}
		if r := w.do(t, "GET", "/taxii2/", "rk_nope", ""); r.status != 401 {
			t.Errorf("bad token: %d", r.status)
		}
		req, _ := http.NewRequest("GET", w.base+"/taxii2/renkei/collections/", nil)
		req.SetBasicAuth(w.tanaka.Email, w.tanaTok)
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
			t.Errorf("basic: %v %v", res.StatusCode, err)
		}
		req.SetBasicAuth(w.sato.Email, w.tanaTok)
		if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
			t.Errorf("basic with another's email: %v %v", res.StatusCode, err)
		}
		// Content negotiation.
		if r := w.do(t, "GET", "/taxii2/", w.tanaTok, "", "Accept", "application/taxii+json;version=2.0"); r.status != 406 {
			t.Errorf("TAXII 2.0 accept: %d", r.status)
		}
		if r := w.do(t, "GET", "/taxii2/", w.tanaTok, "", "Accept", "text/html"); r.status != 406 {
			t.Errorf("html accept: %d", r.status)
		}
		if r := w.do(t, "GET", "/taxii2/", w.tanaTok, "", "Accept", "application/taxii+json"); r.status != 200 {
			t.Errorf("unversioned accept: %d", r.status)
		}
		if r := w.do(t, "PUT", "/taxii2/", w.tanaTok, ""); r.status != 405 {
			t.Errorf("PUT discovery: %d", r.status)
		}
		if r := w.do(t, "GET", "/taxii2/other/", w.tanaTok, ""); r.status != 404 {
			t.Errorf("unknown api root: %d", r.status)
		}
	})
}

func TestObjectsEndpoints(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		base := root(w.shared)
		a1 := indicator(idA, "2026-07-01T00:00:00.000Z", "[ipv4-addr:value = '198.51.100.7']")
		a2 := indicator(idA, "2026-07-02T00:00:00.000Z", "[ipv4-addr:value = '198.51.100.8']")
		b1 := indicator(idB, "2026-07-01T00:00:00.000Z", "[domain-name:value = 'evil.example']")
		bad := indicator("indicator--3c9a8b65-2d6c-4a2e-9c4b-8b5f8d1c2e33", "2026-07-01T00:00:00.000Z", "[bogus")
		sco := `{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd","value":"198.51.100.3"}`
		r := w.do(t, "POST", base+"objects/", w.satoTok, envelope(a1, bad, b1, sco))
		if r.status != 202 {
			t.Fatalf("post: %d %s", r.status, r.body)
		}
		st := r.json(t)
		if st["status"] != "complete" || st["total_count"].(float64) != 4 || st["success_count"].(float64) != 3 || st["failure_count"].(float64) != 1 {
			t.Errorf("status %s", r.body)
		}
		fails := st["failures"].([]any)
		if !strings.Contains(fails[0].(map[string]any)["message"].(string), "pattern") {
			t.Errorf("failure message %s", r.body)
		}
		if r2 := w.do(t, "GET", "/taxii2/renkei/status/"+st["id"].(string)+"/", w.satoTok, ""); r2.status != 200 || r2.json(t)["success_count"].(float64) != 3 {
			t.Errorf("get status %d %s", r2.status, r2.body)
		}
		if r2 := w.do(t, "GET", "/taxii2/renkei/status/"+st["id"].(string)+"/", w.tanaTok, ""); r2.status != 404 {
			t.Errorf("another's status %d", r2.status)
		}
		w.env.Clock.Advance(time.Second)
		if r := w.do(t, "POST", base+"objects/", w.satoTok, envelope(a2)); r.status != 202 {
			t.Fatalf("post a2: %d %s", r.status, r.body)
		}

		get := func(q string) (resp, []string) {
			r := w.do(t, "GET", base+q, w.tanaTok, "")
			if r.status != 200 {
				return r, nil
			}
			var env struct {
				More    bool              `json:"more"`
				Next    string            `json:"next"`
				Objects []json.RawMessage `json:"objects"`
			}
			json.Unmarshal(r.body, &env)
			var out []string
			for _, o := range env.Objects {
				var x struct{ ID, Modified string }
				json.Unmarshal(o, &x)
				out = append(out, x.ID+"@"+x.Modified)
			}
			return r, out
		}
		r, got := get("objects/")
		if len(got) != 3 || !slices.Contains(got, idA+"@2026-07-02T00:00:00.000Z") {
			t.Errorf("objects (last): %v", got)
		}
		if r.header.Get("X-TAXII-Date-Added-First") == "" || r.header.Get("X-TAXII-Date-Added-Last") == "" {
			t.Errorf("date headers missing: %v", r.header)
		}
		if _, got := get("objects/?match[version]=all&match[id]=" + idA); len(got) != 2 {
			t.Errorf("all versions: %v", got)
		}
		if _, got := get("objects/?match[version]=first&match[id]=" + idA); !slices.Equal(got, []string{idA + "@2026-07-01T00:00:00.000Z"}) {
			t.Errorf("first: %v", got)
		}
		if _, got := get("objects/?match[version]=2026-07-02T00:00:00.000Z"); !slices.Equal(got, []string{idA + "@2026-07-02T00:00:00.000Z"}) {
			t.Errorf("by timestamp: %v", got)
		}
		if _, got := get("objects/?match[type]=indicator"); len(got) != 2 {
			t.Errorf("type indicator: %v", got)
		}
		if _, got := get("objects/?match[type]=ipv4-addr,malware"); len(got) != 1 {
			t.Errorf("type list: %v", got)
		}
		if _, got := get("objects/?match[spec_version]=2.1"); len(got) != 3 {
			t.Errorf("spec 2.1: %v", got)
		}
		if r, got := get("objects/?match[spec_version]=2.0"); len(got) != 0 || string(r.body) != "{}\n" {
			t.Errorf("spec 2.0: %v %s", got, r.body)
		}
		last := r.header.Get("X-TAXII-Date-Added-Last")
		if _, got := get("objects/?added_after=" + url.QueryEscape(last)); len(got) != 0 {
			t.Errorf("added_after last: %v", got)
		}
		if _, got := get("objects/?added_after=2020-01-01T00:00:00Z&match[version]=all"); len(got) != 4 {
			t.Errorf("added_after early: %v", got)
		}
		// Paging with limit and next.
		var all []string
		q := "objects/?limit=1&match[version]=all"
		for range 10 {
			r, got := get(q)
			all = append(all, got...)
			m := r.json(t)
			if m["more"] != true {
				break
			}
			q = "objects/?limit=1&match[version]=all&next=" + url.QueryEscape(m["next"].(string))
		}
		if len(all) != 4 {
			t.Errorf("paged: %v", all)
		}
		// One object, its versions, the manifest.
		if _, got := get("objects/" + idA + "/"); !slices.Equal(got, []string{idA + "@2026-07-02T00:00:00.000Z"}) {
			t.Errorf("one object: %v", got)
		}
		if r, _ := get("objects/indicator--00000000-0000-4000-8000-000000000000/"); r.status != 404 {
			t.Errorf("missing object: %d", r.status)
		}
		r = w.do(t, "GET", base+"objects/"+idA+"/versions/", w.tanaTok, "")
		if v := r.json(t)["versions"].([]any); len(v) != 2 || v[0] != "2026-07-01T00:00:00.000Z" {
			t.Errorf("versions %s", r.body)
		}
		r = w.do(t, "GET", base+"manifest/?match[type]=indicator", w.tanaTok, "")
		man := r.json(t)["objects"].([]any)
		if len(man) != 2 || man[0].(map[string]any)["media_type"] != taxii.MediaSTIX || man[0].(map[string]any)["date_added"] == "" {
			t.Errorf("manifest %s", r.body)
		}
		// Bad filters.
		for _, q := range []string{"objects/?added_after=yesterday", "objects/?limit=0", "objects/?match[version]=newest",
			"objects/?match[id]=nope", "objects/?match[spec_version]=3.0", "objects/?next=zzz", "objects/?bogus=1",
			"objects/" + idA + "/?match[type]=indicator"} {
			if r := w.do(t, "GET", base+q, w.tanaTok, ""); r.status != 400 || r.json(t)["http_status"] != "400" {
				t.Errorf("%s: %d %s", q, r.status, r.body)
			}
		}
		// DELETE: by someone who may not write, then by a writer.
		if r := w.do(t, "DELETE", root(w.powerOnly)+"objects/"+idA+"/", w.tanaTok, ""); r.status != 404 {
			t.Errorf("delete in an unseen collection: %d", r.status)
		}
		if r := w.do(t, "DELETE", base+"objects/"+idA+"/?match[version]=first", w.satoTok, ""); r.status != 200 {
			t.Errorf("delete first: %d %s", r.status, r.body)
		}
		if _, got := get("objects/?match[version]=first&match[id]=" + idA); !slices.Equal(got, []string{idA + "@2026-07-02T00:00:00.000Z"}) {
			t.Errorf("first after delete: %v", got)
		}
		if r := w.do(t, "DELETE", base+"objects/"+idA+"/", w.satoTok, ""); r.status != 200 {
			t.Errorf("delete: %d", r.status)
		}
		if r, _ := get("objects/" + idA + "/"); r.status != 404 {
			t.Errorf("deleted object: %d", r.status)
		}
	})
}

func TestPostRefusals(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		base := root(w.shared)
		good := indicator(idA, "2026-07-01T00:00:00.000Z", "[ipv4-addr:value = '198.51.100.7']")
		cases := []struct {
			name, path, token, body string
			hdr                     []string
			status                  int
		}{
			{"malformed JSON", base + "objects/", w.satoTok, `{"objects":[` + good, nil, 400},
			{"not an envelope", base + "objects/", w.satoTok, `"hello"`, nil, 400},
			{"wrong media type", base + "objects/", w.satoTok, envelope(good), []string{"Content-Type", "application/json"}, 415},
			{"STIX 2.0 envelope type", base + "objects/", w.satoTok, envelope(good), []string{"Content-Type", "application/taxii+json;version=2.0"}, 415},
			{"oversized", base + "objects/", w.satoTok, `{"objects":[],"x":"` + strings.Repeat("a", int(intel.DefaultLimits.MaxContentLength)) + `"}`, nil, 413},
			{"unknown collection", "/taxii2/renkei/collections/00000000-0000-4000-8000-000000000000/objects/", w.satoTok, envelope(good), nil, 404},
			{"not a member", base + "objects/", w.outTok, envelope(good), nil, 404},
		}
		for _, c := range cases {
			r := w.do(t, "POST", c.path, c.token, c.body, c.hdr...)
			if r.status != c.status || r.header.Get("Content-Type") != taxii.MediaTAXII || r.json(t)["title"] == "" {
				t.Errorf("%s: %d %s", c.name, r.status, r.body[:min(len(r.body), 200)])
			}
		}
		if r := w.do(t, "GET", base+"objects/", w.satoTok, ""); string(r.body) != "{}\n" {
			t.Errorf("something was stored: %s", r.body)
		}
	})
}

func TestFeeds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		mk := func(id, pattern, extra string) string {
			return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":%q,"created":"2026-07-01T00:00:00.000Z","modified":"2026-07-01T00:00:00.000Z",`+
				`"pattern":%q,"pattern_type":"stix","valid_from":"2026-07-01T00:00:00Z"%s}`, id, pattern, extra)
		}
		amber := `,"object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]`
		objs := []string{
			mk("indicator--00000001-0000-4000-8000-000000000000", "[ipv4-addr:value = '198.51.100.1']", `,"confidence":90`),
			mk("indicator--00000002-0000-4000-8000-000000000000", "[ipv4-addr:value = '198.51.100.2']", `,"confidence":10`+amber),
			mk("indicator--00000003-0000-4000-8000-000000000000", "[ipv4-addr:value = '198.51.100.3']", `,"revoked":true`),
			mk("indicator--00000004-0000-4000-8000-000000000000", "[ipv4-addr:value = '198.51.100.4']", `,"valid_until":"2026-07-02T00:00:00Z"`),
			mk("indicator--00000005-0000-4000-8000-000000000000", "[domain-name:value = 'evil.example'] OR [url:value = 'http://evil.example/a']", ""),
			mk("indicator--00000006-0000-4000-8000-000000000000", "[ipv4-addr:value = '203.0.113.0/24']", ""),
			mk("indicator--00000007-0000-4000-8000-000000000000", "[ipv4-addr:value = '198.51.100.9'] AND [domain-name:value = 'x.example']", ""),
			mk("indicator--00000008-0000-4000-8000-000000000000", "[ipv4-addr:value = '198.51.100.5']",
				`,"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]`),
		}
		if r := w.do(t, "POST", root(w.shared)+"objects/", w.satoTok, envelope(objs...)); r.status != 202 || r.json(t)["success_count"].(float64) != 8 {
			t.Fatalf("post: %d %s", r.status, r.body)
		}
		w.env.Clock.Advance(48 * time.Hour) // indicator 4 expires
		feed := func(path, tok string) (int, string) {
			req, _ := http.NewRequest("GET", w.base+"/feeds/"+w.shared.UUID+"/"+path, nil)
			req.SetBasicAuth("", tok)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if s, b := feed("ip.txt", w.tanaTok); s != 200 || b != "198.51.100.1\n198.51.100.2\n203.0.113.0/24\n" {
			t.Errorf("ip.txt: %d %q", s, b)
		}
		if _, b := feed("ip.txt?min_confidence=50", w.tanaTok); b != "198.51.100.1\n" {
			t.Errorf("confidence: %q", b)
		}
		if _, b := feed("ipv4.txt?tlp=amber", w.tanaTok); b != "198.51.100.2\n" {
			t.Errorf("amber: %q", b)
		}
		if _, b := feed("domain.txt", w.tanaTok); b != "evil.example\n" {
			t.Errorf("domain: %q", b)
		}
		if _, b := feed("url.txt", w.tanaTok); b != "http://evil.example/a\n" {
			t.Errorf("url: %q", b)
		}
		if s, b := feed("indicators.csv", w.tanaTok); s != 200 || !strings.HasPrefix(b, "type,value,indicator_id,tlp,confidence,valid_until\n") ||
			strings.Count(b, "\n") != 6 || !strings.Contains(b, "ipv4,198.51.100.1,indicator--00000001-0000-4000-8000-000000000000,TLP:GREEN,90,") {
			t.Errorf("csv: %d %s", s, b)
		}
		s, b := feed("bundle.json", w.tanaTok)
		var bundle struct {
			Type    string
			Objects []struct{ ID, Type string }
		}
		if err := json.Unmarshal([]byte(b), &bundle); s != 200 || err != nil || bundle.Type != "bundle" {
			t.Fatalf("bundle: %d %v %s", s, err, b)
		}
		var types []string
		for _, o := range bundle.Objects {
			types = append(types, o.Type)
		}
		if len(bundle.Objects) != 6 || !slices.Contains(types, "marking-definition") {
			t.Errorf("bundle objects: %v", bundle.Objects)
		}
		// The MISP feed: a manifest naming one event, the event with one attribute per value.
		if s, b := feed("misp/manifest.json", w.tanaTok); s != 200 || !strings.Contains(b, `"`+w.shared.UUID+`":{`) {
			t.Errorf("misp manifest: %d %s", s, b)
		}
		s, b = feed("misp/"+w.shared.UUID+".json", w.tanaTok)
		var ev struct {
			Event struct {
				UUID      string
				Attribute []struct {
					Type, Value string
					Tag         []struct{ Name string }
				}
			}
		}
		if err := json.Unmarshal([]byte(b), &ev); s != 200 || err != nil || ev.Event.UUID != w.shared.UUID || len(ev.Event.Attribute) != 5 {
			t.Fatalf("misp event: %d %v %s", s, err, b)
		}
		if a := ev.Event.Attribute[1]; a.Type != "ip-dst" || a.Value != "198.51.100.2" || a.Tag[0].Name != "tlp:amber" {
			t.Errorf("misp attribute %+v", a)
		}
		if s, _ := feed("misp/manifest.json", w.outTok); s != 404 {
			t.Errorf("outsider's misp manifest: %d", s)
		}
		// The TLP:RED indicator is its adder's only.
		if _, b := feed("ipv4.txt?tlp=clear,green,amber,amber+strict", w.satoTok); strings.Contains(b, "198.51.100.5") {
			t.Errorf("red in a feed: %q", b)
		}
		if s, _ := feed("ip.txt?tlp=red", w.satoTok); s != 400 {
			t.Errorf("tlp=red: %d", s)
		}
		if s, _ := feed("ip.txt", w.outTok); s != 404 {
			t.Errorf("outsider: %d", s)
		}
		if s, _ := feed("ip.txt", ""); s != 401 {
			t.Errorf("no token: %d", s)
		}
		if s, _ := feed("nothing.txt", w.tanaTok); s != 404 {
			t.Errorf("unknown list: %d", s)
		}
	})
}
