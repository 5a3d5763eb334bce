package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// checkSecurityHeaders checks the headers every response carries over plain HTTP.
func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	for name, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "same-origin",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %s %q, want %q", what, name, got, want)
		}
	}
	if got := h.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("%s: HSTS over plain HTTP: %q", what, got)
	}
	csp := map[string][]string{}
	for _, d := range strings.Split(h.Get("Content-Security-Policy"), ";") {
		if f := strings.Fields(d); len(f) > 0 {
			csp[f[0]] = f[1:]
		}
	}
	script, ok := csp["script-src"]
	if !ok {
		script = csp["default-src"]
	}
	if strings.Join(script, " ") != "'self'" {
		t.Errorf("%s: CSP scripts from %v, want only 'self'", what, script)
	}
	for d, want := range map[string]string{"frame-ancestors": "'none'", "object-src": "'none'", "base-uri": "'none'",
		"default-src": "'self'", "form-action": "'self'"} {
		if got := strings.Join(csp[d], " "); got != want {
			t.Errorf("%s: CSP %s %q, want %q", what, d, got, want)
		}
	}
	if style := strings.Join(csp["style-src"], " "); strings.Contains(style, "unsafe") {
		t.Errorf("%s: CSP style-src %q", what, style)
	}
}

// Every response carries the security headers: pages, redirects, errors, refusals and
// static files. Pages are never cached; static files are.
func TestPageSecurityHeaders(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("関東ガス", model.KindOperator)
		u := env.Person(org, "ito@kanto-gas.example", model.RoleMember)
		base := env.Server()
		anon := newVisitor(t, env, base)
		v := newVisitor(t, env, base)
		v.signInAs(u, nil)

		for _, c := range []struct {
			what   string
			r      *reply
			status int
		}{
			{"sign-in page", anon.get("/signin"), http.StatusOK},
			{"redirect to sign-in", anon.get("/profile"), http.StatusSeeOther},
			{"unknown page", anon.get("/no/such/page"), http.StatusNotFound},
			{"profile", v.get("/profile"), http.StatusOK},
			{"forbidden page", v.get("/admin/orgs"), http.StatusForbidden},
			{"CSRF refusal", v.post("/profile", url.Values{"display_name": {"x"}}), http.StatusForbidden},
			{"cross-origin refusal", v.with("Sec-Fetch-Site", "cross-site").postCSRF("/signout", nil), http.StatusForbidden},
		} {
			expectStatus(t, c.what, c.r, c.status)
			checkSecurityHeaders(t, c.what, c.r.header)
			if c.status != http.StatusSeeOther {
				if got := c.r.header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("%s: Cache-Control %q, want no-store", c.what, got)
				}
				if got := c.r.header.Get("Content-Type"); got != "text/html; charset=utf-8" {
					t.Errorf("%s: Content-Type %q", c.what, got)
				}
			}
		}

		for path, typ := range map[string]string{"/static/style.css": "text/css", "/static/app.js": "javascript", "/static/favicon.svg": "image/svg+xml"} {
			r := anon.get(path)
			expectStatus(t, path, r, http.StatusOK)
			checkSecurityHeaders(t, path, r.header)
			if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "public") || !strings.Contains(cc, "max-age=") || strings.Contains(cc, "max-age=0") {
				t.Errorf("%s: Cache-Control %q, want a public max-age", path, cc)
			}
			if ct := r.header.Get("Content-Type"); !strings.Contains(ct, typ) {
				t.Errorf("%s: Content-Type %q, want %s", path, ct, typ)
			}
		}
		r := anon.get("/static/no-such-file.css")
		expectStatus(t, "missing static file", r, http.StatusNotFound)
		checkSecurityHeaders(t, "missing static file", r.header)
	})
}

// No page relies on what the CSP forbids: inline scripts, event-handler attributes,
// javascript: URLs or inline styles.
func TestPageNothingInline(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		center := env.Org("対処調整センター", model.KindCenter)
		admin := env.Person(center, "chief@center.example", model.RoleCenterAdmin)
		secret := env.EnrolTOTP(admin)
		base := env.Server()
		v := newVisitor(t, env, base)
		v.signInAs(admin, secret)

		bad := regexp.MustCompile(`(?i)<script(\s[^>]*)?>[^<]|<script\b[^>]*>\s*</script>|\son[a-z]+\s*=|javascript:|\sstyle\s*=`)
		okScript := regexp.MustCompile(`<script src="/static/[^"]+"( defer)?></script>`)
		pages := []string{"/", "/directory", "/profile", "/profile/2fa", "/admin", "/admin/orgs", "/admin/orgs/new",
			"/admin/orgs/" + idText(center.ID), "/admin/users", "/admin/users/new", "/admin/users/" + idText(admin.ID),
			"/admin/communities", "/admin/communities/new", "/admin/audit", "/admin/settings", "/directory/orgs/" + idText(center.ID),
			"/problems/not-found", "/no/such/page"}
		for _, p := range pages {
			r := v.get(p)
			if r.status >= 500 || r.status == http.StatusSeeOther {
				t.Errorf("GET %s: %d", p, r.status)
				continue
			}
			body := okScript.ReplaceAllString(r.body, "")
			if m := bad.FindString(body); m != "" {
				t.Errorf("GET %s: %q is refused by the CSP", p, m)
			}
		}
		if r := newVisitor(t, env, base).get("/signin"); bad.FindString(okScript.ReplaceAllString(r.body, "")) != "" {
			t.Errorf("sign-in page has inline code: %q", bad.FindString(r.body))
		}
	})
}

// Error pages speak the reader's language: the browser's when nobody is signed in, the
// person's own choice when signed in, whatever the browser says.
func TestPageErrorsInReadersLanguage(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("関東ガス", model.KindOperator)
		ja := env.Person(org, "ito@kanto-gas.example", model.RoleMember)
		en := setUserLang(env, env.Person(org, "brown@kanto-gas.example", model.RoleMember), model.LangEN)
		base := env.Server()

		check := func(who string, v *visitor, path string, status int, want, lang string) {
			t.Helper()
			r := v.get(path)
			expectStatus(t, who+" GET "+path, r, status)
			if got := alertOf(r.body); got != want {
				t.Errorf("%s GET %s: %q shown, want %q", who, path, got, want)
			}
			if got := langOf(r.body); got != lang {
				t.Errorf("%s GET %s: page in %q, want %q", who, path, got, lang)
			}
		}
		anon := newVisitor(t, env, base)
		check("anonymous", anon, "/no/such/page", http.StatusNotFound, jaNotFound, "ja")
		anonEN := newVisitor(t, env, base).with("Accept-Language", "en-GB,en;q=0.8")
		check("anonymous (en)", anonEN, "/no/such/page", http.StatusNotFound, enNotFound, "en")

		vj := newVisitor(t, env, base).with("Accept-Language", "en")
		vj.signInAs(ja, nil)
		check("ja speaker", vj, "/admin", http.StatusForbidden, jaForbidden, "ja")
		check("ja speaker", vj, "/directory/orgs/999999", http.StatusNotFound, jaNotFound, "ja")
		check("ja speaker", vj, "/no/such/page", http.StatusNotFound, jaNotFound, "ja")

		ve := newVisitor(t, env, base).with("Accept-Language", "ja")
		ve.signInAs(en, nil)
		check("en speaker", ve, "/admin", http.StatusForbidden, enForbidden, "en")
		check("en speaker", ve, "/admin/users", http.StatusForbidden, enForbidden, "en")
		check("en speaker", ve, "/directory/orgs/999999", http.StatusNotFound, enNotFound, "en")
		check("en speaker", ve, "/communities/999999", http.StatusNotFound, enNotFound, "en")
		check("en speaker", ve, "/no/such/page", http.StatusNotFound, enNotFound, "en")

		// The API problem types are documented in the reader's language too.
		r := anonEN.get("/problems/rate-limited")
		expectStatus(t, "problem page", r, http.StatusOK)
		if !strings.Contains(r.body, "Too many attempts; retry after Retry-After seconds.") {
			t.Error("problem page in English lacks its text")
		}
		r = anon.get("/problems/no-such-problem")
		expectStatus(t, "unknown problem page", r, http.StatusNotFound)
	})
}

// A body over the limit is refused with 413 and a page in the reader's language, before
// anything is changed; a body that cannot be parsed gets 400.
func TestPageBodyTooLarge(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		cfg := testapp.Config(t)
		cfg.MaxBodyBytes = 4096
		env := testapp.NewWith(t, db, cfg)
		org := env.Org("関東ガス", model.KindOperator)
		en := setUserLang(env, env.Person(org, "brown@kanto-gas.example", model.RoleMember), model.LangEN)
		base := env.Server()
		padding := strings.Repeat("あ", 4096)

		anon := newVisitor(t, env, base)
		tok := anon.token("/signin")
		r := anon.post("/signin", url.Values{"csrf": {tok}, "email": {en.Email}, "password": {testapp.Password}, "pad": {padding}})
		expectStatus(t, "large sign-in", r, http.StatusRequestEntityTooLarge)
		if got := alertOf(r.body); got != jaTooLarge {
			t.Errorf("large sign-in: %q shown, want %q", got, jaTooLarge)
		}
		checkSecurityHeaders(t, "413", r.header)
		if anon.sessionCookie() != nil {
			t.Error("an oversized sign-in opened a session")
		}
		r = anon.with("Accept-Language", "en").post("/signin", url.Values{"csrf": {tok}, "pad": {padding}})
		if got := alertOf(r.body); got != enTooLarge {
			t.Errorf("large sign-in, Accept-Language en: %q shown, want %q", got, enTooLarge)
		}

		v := newVisitor(t, env, base)
		v.signInAs(en, nil)
		r = v.postCSRF("/profile", url.Values{"display_name": {"Too Large " + padding}, "lang": {"ja"}, "time_zone": {"UTC"}})
		expectStatus(t, "large profile post", r, http.StatusRequestEntityTooLarge)
		if got := alertOf(r.body); got != enTooLarge {
			t.Errorf("large profile post by an English speaker: %q shown, want %q", got, enTooLarge)
		}
		if got := readUser(env, en.ID); got.DisplayName != en.DisplayName || got.Lang != model.LangEN {
			t.Fatalf("an oversized post changed the profile: %q %s", got.DisplayName, got.Lang)
		}

		r = v.postBody("/profile", "csrf="+url.QueryEscape(v.csrf)+"&display_name=%zz&lang=ja&time_zone=UTC")
		expectStatus(t, "malformed form", r, http.StatusBadRequest)
		if got := alertOf(r.body); got != "The form could not be read. Nothing was changed." {
			t.Errorf("malformed form: %q shown", got)
		}
		if got := readUser(env, en.ID); got.DisplayName != en.DisplayName {
			t.Fatalf("a malformed post changed the name to %q", got.DisplayName)
		}
		if r := v.get("/profile"); r.status != http.StatusOK {
			t.Errorf("the session does not survive the refused posts: %d", r.status)
		}
	})
}

// A form with bad values comes back with each message next to its field, what was typed
// kept, a summary on top, and nothing saved.
func TestPageFormErrorsKeepInput(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("関東ガス", model.KindOperator)
		u := env.Person(org, "ito@kanto-gas.example", model.RoleMember)
		v := newVisitor(t, env, env.Server())
		v.signInAs(u, nil)

		r := v.postCSRF("/profile", url.Values{"display_name": {"伊藤 花子（SOC）"}, "lang": {"ja"}, "time_zone": {"Mars/Olympus"}})
		expectStatus(t, "bad time zone", r, http.StatusUnprocessableEntity)
		if got := alertOf(r.body); got != "入力内容を確認してください。" {
			t.Errorf("summary %q", got)
		}
		if msg, invalid := fieldError(r.body, "time_zone"); !invalid || msg != "タイムゾーン「Mars/Olympus」はありません（例：Asia/Tokyo）。" {
			t.Errorf("time zone field: invalid=%v message %q", invalid, msg)
		}
		if msg, invalid := fieldError(r.body, "display_name"); invalid || msg != "" {
			t.Errorf("display name field marked: invalid=%v message %q", invalid, msg)
		}
		if got, _ := inputValue(r.body, "display_name"); got != "伊藤 花子（SOC）" {
			t.Errorf("display name field holds %q after the failure", got)
		}
		if got, _ := inputValue(r.body, "time_zone"); got != "Mars/Olympus" {
			t.Errorf("time zone field holds %q after the failure", got)
		}

		r = v.postCSRF("/profile", url.Values{"display_name": {"   "}, "lang": {"en"}, "time_zone": {"Europe/Paris"}})
		expectStatus(t, "empty name", r, http.StatusUnprocessableEntity)
		if msg, invalid := fieldError(r.body, "display_name"); !invalid || msg != "入力してください。" {
			t.Errorf("display name field: invalid=%v message %q", invalid, msg)
		}
		if got, _ := inputValue(r.body, "time_zone"); got != "Europe/Paris" {
			t.Errorf("time zone field holds %q after the failure", got)
		}
		if !regexp.MustCompile(`<option value="en" selected>`).MatchString(r.body) {
			t.Error("the language chosen is not kept selected")
		}

		r = v.postCSRF("/profile/password", url.Values{"current_password": {testapp.Password},
			"new_password": {"a brand new passphrase"}, "new_password2": {"a brand new passfrase"}})
		expectStatus(t, "password mismatch", r, http.StatusUnprocessableEntity)
		if msg, invalid := fieldError(r.body, "new_password2"); !invalid || msg != "確認用のパスワードが一致しません。" {
			t.Errorf("second password field: invalid=%v message %q", invalid, msg)
		}
		if strings.Contains(r.body, "a brand new passphrase") || strings.Contains(r.body, testapp.Password) {
			t.Error("a password typed is echoed in the page")
		}

		got := readUser(env, u.ID)
		if got.DisplayName != u.DisplayName || got.TimeZone != u.TimeZone || got.Lang != model.LangJA {
			t.Fatalf("failed forms changed the profile: %+v", got)
		}
		if _, err := env.Auth.SignIn(testapp.Ctx(), u.Email, testapp.Password, directClient); err != nil {
			t.Fatalf("the old password no longer works after a failed change: %v", err)
		}
	})
}
