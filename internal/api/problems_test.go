package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
)

// The detail of a problem is in the caller's language: the token owner's own setting when
// there is one, else Accept-Language (Japanese by default). The title is a fixed English
// string, stable like the type.
func problemLanguage(t *testing.T, w *world) {
	missing := api.Prefix + "/orgs/999999"
	cases := []struct {
		name   string
		c      *client
		status int
		slug   string
		key    string
		lang   model.Lang
	}{
		{"anonymous, no Accept-Language", w.anon(t), 401, "unauthorized", "error.unauthorized", model.LangJA},
		{"anonymous, English preferred", w.anon(t).with("Accept-Language", "en-GB,en;q=0.9,ja;q=0.5"), 401, "unauthorized", "error.unauthorized", model.LangEN},
		{"anonymous, Japanese preferred", w.anon(t).with("Accept-Language", "ja,en;q=0.5"), 401, "unauthorized", "error.unauthorized", model.LangJA},
		{"anonymous, bad token, English", w.anon(t).with("Authorization", "Bearer rk_nope").with("Accept-Language", "en"), 401, "unauthorized", "token.invalid", model.LangEN},
		{"English speaker", w.as(t, w.memberB), 404, "not-found", "error.not_found", model.LangEN},
		{"English speaker asking for Japanese", w.as(t, w.memberB).with("Accept-Language", "ja"), 404, "not-found", "error.not_found", model.LangEN},
		{"Japanese speaker asking for English", w.as(t, w.memberA).with("Accept-Language", "en"), 404, "not-found", "error.not_found", model.LangJA},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.t = t
			r := tc.c.get(missing)
			p := r.problem(t, tc.status, tc.slug)
			if want := i18n.T(tc.lang, tc.key); p.Detail != want {
				t.Errorf("detail %q, want %q", p.Detail, want)
			}
			if got := r.header.Get("Content-Language"); got != string(tc.lang) {
				t.Errorf("Content-Language %q, want %s", got, tc.lang)
			}
			want := map[int]string{401: "Unauthorized", 404: "Not found"}[tc.status]
			if p.Title != want {
				t.Errorf("title %q, want %q", p.Title, want)
			}
			if cc := r.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
		})
	}
}

// A validation problem lists every field at fault, each with a message in the caller's
// language; with several fields the detail is the general "check the fields" text, with
// one it is that field's message.
func validationProblemListsTheFields(t *testing.T, w *world) {
	admin := w.as(t, w.admin) // English
	r := admin.do("POST", api.Prefix+"/orgs", map[string]any{"name_ja": " ", "kind": "bank", "sector": "nowhere"})
	p := r.problem(t, 422, "validation-error")
	if p.Title != "Validation failed" || p.Detail != i18n.T(model.LangEN, "form.has_errors") {
		t.Errorf("title %q detail %q", p.Title, p.Detail)
	}
	fields := map[string]string{}
	for _, e := range p.Errors {
		fields[e.Field] = e.Message
	}
	for _, f := range []string{"name_ja", "kind", "sector"} {
		if fields[f] == "" || untranslated.MatchString(fields[f]) {
			t.Errorf("field %s: message %q (all: %+v)", f, fields[f], p.Errors)
		}
	}
	if len(fields) != 3 {
		t.Errorf("errors: %+v", p.Errors)
	}
	if !strings.Contains(fields["kind"], "bank") || !strings.Contains(fields["kind"], "operator") {
		t.Errorf("the kind message names neither the value nor the choices: %q", fields["kind"])
	}

	// One field: the detail is its message, here in Japanese for a Japanese speaker.
	r = w.as(t, w.memberA).do("PATCH", api.Prefix+"/me", map[string]any{"lang": "fr"})
	p = r.fieldProblem(t, "lang")
	if len(p.Errors) != 1 || p.Detail != p.Errors[0].Message || p.Detail != i18n.T(model.LangJA, "invalid.lang", "value", "fr") {
		t.Errorf("single-field problem: %+v", p)
	}
	if r.header.Get("Content-Language") != "ja" {
		t.Errorf("Content-Language %q", r.header.Get("Content-Language"))
	}
}

// Every problem type the API sends names a page that explains it.
func problemTypesAreDocumentedPages(t *testing.T, w *world) {
	for _, slug := range []string{"validation-error", "not-found", "conflict", "forbidden", "unauthorized",
		"payload-too-large", "unsupported-media-type", "bad-request", "internal"} {
		res, err := http.Get(w.base + "/problems/" + slug)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("/problems/%s: %d", slug, res.StatusCode)
		}
	}
	// (method-not-allowed has no page yet: the catalog lacks problem.method-not-allowed.)
}

func unknownAPIPathIsAProblemNotAPage(t *testing.T, w *world) {
	for _, c := range []*client{w.anon(t), w.as(t, w.memberA)} {
		for _, path := range []string{api.Prefix + "/nothing", api.Prefix + "/orgs/1/nothing", api.Prefix + "/"} {
			c.get(path).problem(t, 404, "not-found")
		}
	}
	// A path parameter that is not a positive number is simply not found.
	for _, path := range []string{"/orgs/abc", "/orgs/0", "/orgs/-1", "/users/1e3", "/communities/99999999999999999999", "/tokens/x"} {
		method := "GET"
		if strings.HasPrefix(path, "/tokens") {
			method = "DELETE"
		}
		w.as(t, w.admin).do(method, api.Prefix+path, nil).problem(t, 404, "not-found")
	}
}

// A known path with a method it does not have is 405 with Allow, not 404.
func wrongMethodIs405(t *testing.T, w *world) {
	c := w.as(t, w.memberA)
	cases := []struct{ method, path, allow string }{
		{"DELETE", "/me", "GET, PATCH"},
		{"POST", "/me", "GET, PATCH"},
		{"DELETE", "/orgs", "GET, POST"},
		{"PATCH", "/orgs/" + id(w.orgA.ID), "GET, PUT"},
		{"GET", "/tokens/1", "DELETE"},
		{"POST", "/communities/" + id(w.c1.ID) + "/moderators/" + id(w.memberA.ID), "PUT, DELETE"},
		{"POST", "/openapi.json", "GET"},
	}
	for _, tc := range cases {
		r := c.do(tc.method, api.Prefix+tc.path, nil)
		p := r.problem(t, 405, "method-not-allowed")
		if p.Title != "Method not allowed" {
			t.Errorf("title %q", p.Title)
		}
		got, want := strings.Split(r.header.Get("Allow"), ", "), strings.Split(tc.allow, ", ")
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, r.header.Get("Allow"), tc.allow)
		}
	}
}
