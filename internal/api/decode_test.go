package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/server"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

func tokenCount(t *testing.T, w *world, userID int64) int {
	t.Helper()
	ts, err := w.e.Auth.Tokens(ctx, userID)
	if err != nil {
		t.Fatal(err)
	}
	return len(ts)
}

func TestRequestBodiesMustBeJSON(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		c := w.as(t, w.memberA)
		path := api.Prefix + "/tokens"
		for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx", "not a media type;;"} {
			r := c.with("Content-Type", ct).do("POST", path, `{"name":"x"}`)
			r.problem(t, http.StatusUnsupportedMediaType, "unsupported-media-type")
		}
		// A form post is refused before anything else is read.
		c.with("Content-Type", "application/x-www-form-urlencoded").do("POST", path, "name=x").problem(t, 415, "unsupported-media-type")
		if n := tokenCount(t, w, w.memberA.ID); n != 1 {
			t.Fatalf("%d tokens after refused requests", n)
		}
		// JSON with parameters, and JSON-based media types, are accepted.
		for _, ct := range []string{"application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"} {
			c.with("Content-Type", ct).do("POST", path, `{"name":"ok"}`).ok(t, 201, nil)
		}
	})
}

func TestMalformedBodiesAre400(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		c := w.as(t, w.memberA)
		cases := []struct {
			name, body string
			mention    string // what the detail must name
		}{
			{"unknown field", `{"name":"x","nmae":"y"}`, `"nmae"`},
			{"unknown field only", `{"user_id":12}`, `"user_id"`},
			{"wrong type", `{"name":12}`, "name"},
			{"wrong type, array", `{"name":["a"]}`, "name"},
			{"truncated", `{"name":`, ""},
			{"not JSON", `name=x`, ""},
			{"empty", ``, ""},
			{"trailing comma", `{"name":"x",}`, ""},
			{"two values", `{"name":"a"} {"name":"b"}`, ""},
			{"stray closing brace", `{"name":"x"}}`, ""},
			{"stray closing bracket", `{"name":"x"}]`, ""},
			{"trailing garbage", `{"name":"x"} garbage`, ""},
			{"an array", `[{"name":"x"}]`, ""},
			{"a string", `"x"`, ""},
		}
		for _, tc := range cases {
			r := c.do("POST", api.Prefix+"/tokens", tc.body)
			p := r.problem(t, http.StatusBadRequest, "bad-request")
			if p.Title != "Bad request" || !strings.HasPrefix(p.Detail, "JSONとして読み取れません") {
				t.Errorf("%s: %+v", tc.name, p)
			}
			if !strings.Contains(p.Detail, tc.mention) {
				t.Errorf("%s: the detail does not name %s: %q", tc.name, tc.mention, p.Detail)
			}
		}
		if n := tokenCount(t, w, w.memberA.ID); n != 1 {
			t.Fatalf("%d tokens after refused requests", n)
		}
		// Trailing white space is fine.
		c.do("POST", api.Prefix+"/tokens", "{\"name\":\"x\"}\n \t\r\n").ok(t, 201, nil)

		// Wrong types are named on every body type, including pointer fields.
		admin := w.as(t, w.admin)
		for _, tc := range []struct{ method, path, body, field string }{
			{"PATCH", "/users/" + id(w.memberA.ID), `{"disabled":"yes"}`, "disabled"},
			{"PATCH", "/me", `{"lang":1}`, "lang"},
			{"POST", "/orgs", `{"name_ja":"x","kind":"other","contacts":{"label":"x"}}`, "contacts"},
			{"POST", "/users", `{"org_id":"1","email":"a@b.example","display_name":"a"}`, "org_id"},
			{"POST", "/communities/" + id(w.c1.ID) + "/members", `{"org_id":1.5}`, "org_id"},
			{"PUT", "/communities/" + id(w.c1.ID), `{"name_ja":null,"description_ja":false}`, "description_ja"},
		} {
			p := admin.do(tc.method, api.Prefix+tc.path, tc.body).problem(t, 400, "bad-request")
			if !strings.Contains(p.Detail, tc.field) {
				t.Errorf("%s %s: the detail does not name %s: %q", tc.method, tc.path, tc.field, p.Detail)
			}
		}
	})
}

// Bodies over --max-body are 413 and change nothing.
func TestBodyOverTheLimitIs413(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		cfg := testapp.Config(t)
		cfg.MaxBodyBytes = 1024
		w := newWorldWith(t, testapp.NewWith(t, db, cfg))
		c := w.as(t, w.memberA)
		pad := strings.Repeat(" ", 1024)
		p := c.do("POST", api.Prefix+"/tokens", `{"name":"big"}`+pad).problem(t, 413, "payload-too-large")
		if p.Title != "Payload too large" {
			t.Errorf("title %q", p.Title)
		}
		c.do("POST", api.Prefix+"/tokens", `{"name":"`+strings.Repeat("x", 2000)+`"}`).problem(t, 413, "payload-too-large")
		// Just under the limit is read (and then judged on its content).
		c.do("POST", api.Prefix+"/tokens", `{"name":"small"}`+pad[:1024-len(`{"name":"small"}`)]).ok(t, 201, nil)
		if n := tokenCount(t, w, w.memberA.ID); n != 2 {
			t.Fatalf("%d tokens", n)
		}
		admin := w.as(t, w.admin)
		contacts := strings.Repeat(`{"label":"SOC","email":"soc@a.example"},`, 40)
		admin.do("PUT", api.Prefix+"/orgs/"+id(w.orgA.ID), `{"name_ja":"renamed","kind":"operator","contacts":[`+contacts+`{"label":"x"}]}`).problem(t, 413, "payload-too-large")
		o, err := w.e.Directory.GetOrg(ctx, w.e.Principal(w.admin), w.orgA.ID)
		if err != nil || o.NameJA != w.orgA.NameJA {
			t.Fatalf("the organization changed: %v %v", o.NameJA, err)
		}
	})
}

// The default limit is 1 MiB. Served in-process: a client that keeps writing a body the
// server has stopped reading may see a reset instead of the answer.
func TestDefaultBodyLimitIsOneMiB(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		e := testapp.New(t, db)
		if e.Config.MaxBodyBytes != 1<<20 {
			t.Fatalf("default --max-body %d", e.Config.MaxBodyBytes)
		}
		w := &world{e: e}
		u := w.person(e.Org("組織", "operator"), "x@x.example", "member", "ja")
		tok := e.Token(u)
		h, err := server.Handler(e.App)
		if err != nil {
			t.Fatal(err)
		}
		post := func(body string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("POST", api.Prefix+"/tokens", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		head := `{"name":"x"}`
		if rec := post(head + strings.Repeat(" ", 1<<20)); rec.Code != 413 || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("over 1 MiB: %d %s", rec.Code, rec.Body)
		}
		if rec := post(head + strings.Repeat(" ", 1<<20-len(head))); rec.Code != 201 {
			t.Fatalf("exactly 1 MiB: %d %s", rec.Code, rec.Body)
		}
	})
}
