package web_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/server"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// checkSessionCookie checks the attributes every session cookie must have.
func checkSessionCookie(t *testing.T, what string, c *http.Cookie, secure bool) {
	t.Helper()
	if c == nil {
		t.Fatalf("%s: no session cookie set", what)
	}
	if c.Value == "" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Errorf("%s: cookie %q: HttpOnly=%v SameSite=%v Path=%q Domain=%q, want HttpOnly, Lax, /, no domain",
			what, c.Name, c.HttpOnly, c.SameSite, c.Path, c.Domain)
	}
	if c.MaxAge != 0 || !c.Expires.IsZero() {
		t.Errorf("%s: cookie %q outlives the browser (Max-Age %d, Expires %v)", what, c.Name, c.MaxAge, c.Expires)
	}
	if c.Secure != secure {
		t.Errorf("%s: cookie %q Secure=%v, want %v", what, c.Name, c.Secure, secure)
	}
}

// The session cookie is HttpOnly, SameSite=Lax, for the whole site and for this browser
// session only; Secure (with the __Host- prefix) exactly when the request came over HTTPS:
// directly, or through a trusted proxy that says so. HSTS follows the same rule.
func TestPageSessionCookie(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		cfg := testapp.Config(t)
		cfg.BaseURL = "https://renkei.test"
		cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		env := testapp.NewWith(t, db, cfg)
		org := env.Org("東京臨海電力株式会社", model.KindOperator)
		u := env.Person(org, "sato@rinkai-power.example", model.RoleMember)

		// Plain HTTP from a trusted proxy that does not claim HTTPS.
		plain := newVisitor(t, env, env.Server())
		r := plain.signIn(u.Email, testapp.Password)
		expectStatus(t, "sign in over HTTP", r, http.StatusSeeOther)
		checkSessionCookie(t, "HTTP", r.cookie("renkei_session"), false)
		if h := r.header.Get("Strict-Transport-Security"); h != "" {
			t.Errorf("HSTS over plain HTTP: %q", h)
		}

		// HTTPS terminated by a trusted proxy.
		proxied := newVisitor(t, env, env.Server()).with("X-Forwarded-Proto", "https")
		proxied.hc.Jar = httpsJar(t)
		r = proxied.signIn(u.Email, testapp.Password)
		expectStatus(t, "sign in behind the proxy", r, http.StatusSeeOther)
		checkSessionCookie(t, "trusted proxy", r.cookie("__Host-renkei_session"), true)
		if r.cookie("renkei_session") != nil {
			t.Error("behind an HTTPS proxy a cookie without the __Host- prefix was set")
		}
		if h := r.header.Get("Strict-Transport-Security"); !strings.HasPrefix(h, "max-age=") {
			t.Errorf("HSTS behind an HTTPS proxy: %q", h)
		}
		if r := proxied.get("/profile"); r.status != http.StatusOK {
			t.Errorf("the __Host- session does not work: %d → %q", r.status, r.location())
		}

		// Direct TLS.
		h, err := server.Handler(env.App)
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewTLSServer(h)
		t.Cleanup(ts.Close)
		direct := newVisitor(t, env, ts.URL)
		direct.hc.Transport = ts.Client().Transport
		r = direct.signIn(u.Email, testapp.Password)
		expectStatus(t, "sign in over TLS", r, http.StatusSeeOther)
		checkSessionCookie(t, "TLS", r.cookie("__Host-renkei_session"), true)
		if h := r.header.Get("Strict-Transport-Security"); !strings.HasPrefix(h, "max-age=") {
			t.Errorf("HSTS over TLS: %q", h)
		}
		if r := direct.get("/profile"); r.status != http.StatusOK {
			t.Errorf("the session does not work over TLS: %d", r.status)
		}
	})
}

// A proxy that is not trusted cannot make the site believe the client used HTTPS.
func TestPageUntrustedProxyIsNotHTTPS(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		cfg := testapp.Config(t)
		cfg.BaseURL = "https://renkei.test"
		env := testapp.NewWith(t, db, cfg)
		org := env.Org("東京臨海電力株式会社", model.KindOperator)
		u := env.Person(org, "sato@rinkai-power.example", model.RoleMember)

		v := newVisitor(t, env, env.Server()).with("X-Forwarded-Proto", "https")
		r := v.signIn(u.Email, testapp.Password)
		expectStatus(t, "sign in", r, http.StatusSeeOther)
		checkSessionCookie(t, "untrusted proxy", r.cookie("renkei_session"), false)
		if h := r.header.Get("Strict-Transport-Security"); h != "" {
			t.Errorf("HSTS from an untrusted X-Forwarded-Proto: %q", h)
		}
	})
}

// httpsJar is a cookie jar that treats the site as HTTPS, for tests of a proxy that
// terminates TLS in front of the plain-HTTP test server.
func httpsJar(t *testing.T) http.CookieJar {
	j, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return schemeJar{j}
}

type schemeJar struct{ http.CookieJar }

func (j schemeJar) https(u *url.URL) *url.URL {
	c := *u
	c.Scheme = "https"
	return &c
}

func (j schemeJar) SetCookies(u *url.URL, cs []*http.Cookie) { j.CookieJar.SetCookies(j.https(u), cs) }
func (j schemeJar) Cookies(u *url.URL) []*http.Cookie        { return j.CookieJar.Cookies(j.https(u)) }

// A form post without the session's token, with a wrong one, with another session's, or
// with the token only in the URL is refused with 403 and changes nothing.
func TestPageCSRFToken(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("関東ガス", model.KindOperator)
		u := env.Person(org, "ito@kanto-gas.example", model.RoleMember)
		other := env.Person(org, "ono@kanto-gas.example", model.RoleMember)
		base := env.Server()
		v, w := newVisitor(t, env, base), newVisitor(t, env, base)
		v.signInAs(u, nil)
		w.signInAs(other, nil)
		change := url.Values{"display_name": {"改ざんされた名前"}, "lang": {"en"}, "time_zone": {"UTC"}}

		for name, token := range map[string]string{
			"none":              "",
			"wrong":             strings.Repeat("A", len(v.csrf)),
			"another session's": w.csrf,
			"prefix":            v.csrf[:len(v.csrf)-1],
		} {
			f := url.Values{}
			for k, vs := range change {
				f[k] = vs
			}
			if token != "" {
				f.Set("csrf", token)
			}
			r := v.post("/profile", f)
			expectStatus(t, "token "+name, r, http.StatusForbidden)
			if got := alertOf(r.body); got != jaCSRFFailed {
				t.Errorf("token %s: %q shown, want %q", name, got, jaCSRFFailed)
			}
		}
		r := v.post("/profile?csrf="+url.QueryEscape(v.csrf), change)
		expectStatus(t, "token in the URL only", r, http.StatusForbidden)
		if got := readUser(env, u.ID); got.DisplayName != u.DisplayName || got.Lang != model.LangJA || got.TimeZone != u.TimeZone {
			t.Fatalf("refused posts changed the profile: %q %s %s", got.DisplayName, got.Lang, got.TimeZone)
		}

		// The session still works with the right token.
		r = v.postCSRF("/profile", change)
		expectStatus(t, "right token", r, http.StatusSeeOther)
		if got := readUser(env, u.ID); got.DisplayName != "改ざんされた名前" || got.Lang != model.LangEN {
			t.Fatalf("the post with the right token did not change the profile: %+v", got)
		}
		// Now in English, the refusal is too.
		r = v.post("/profile", change)
		if got := alertOf(r.body); got != enCSRFFailed {
			t.Errorf("English speaker's CSRF refusal: %q", got)
		}

		// Forms before sign-in carry a token of their own.
		anon := newVisitor(t, env, base)
		r = anon.post("/signin", url.Values{"email": {u.Email}, "password": {testapp.Password}})
		expectStatus(t, "sign-in without the form token", r, http.StatusForbidden)
		if got := alertOf(r.body); got != jaCSRFFailed {
			t.Errorf("sign-in without the form token: %q shown", got)
		}
		if anon.sessionCookie() != nil {
			t.Error("a sign-in without the form token opened a session")
		}
	})
}

// Browsers' cross-site form posts are refused even with a good token: by Sec-Fetch-Site,
// or by Origin when an older browser sends no Sec-Fetch-Site.
func TestPageCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("関東ガス", model.KindOperator)
		u := env.Person(org, "ito@kanto-gas.example", model.RoleMember)
		base := env.Server()
		v := newVisitor(t, env, base)
		v.signInAs(u, nil)

		for _, h := range [][2]string{
			{"Sec-Fetch-Site", "cross-site"},
			{"Sec-Fetch-Site", "same-site"},
			{"Origin", "http://evil.example"},
			{"Origin", "https://" + strings.TrimPrefix(base, "http://") + ".evil.example"},
		} {
			r := v.with(h[0], h[1]).postCSRF("/profile", url.Values{"display_name": {"乗っ取り"}, "lang": {"ja"}, "time_zone": {"Asia/Tokyo"}})
			expectStatus(t, h[0]+": "+h[1], r, http.StatusForbidden)
			if got := alertOf(r.body); got != jaCSRFFailed {
				t.Errorf("%s: %s refused with %q (%s), want the catalog's message", h[0], h[1], got, r.header.Get("Content-Type"))
			}
			for _, name := range []string{"X-Content-Type-Options", "Content-Security-Policy", "X-Frame-Options"} {
				if r.header.Get(name) == "" {
					t.Errorf("%s: %s refusal without %s", h[0], h[1], name)
				}
			}
		}
		if got := readUser(env, u.ID).DisplayName; got != u.DisplayName {
			t.Fatalf("a cross-origin post changed the name to %q", got)
		}
		// Login CSRF: a cross-site sign-in is refused before the password is checked.
		anon := newVisitor(t, env, base)
		tok := anon.token("/signin")
		r := anon.with("Sec-Fetch-Site", "cross-site").post("/signin", url.Values{"csrf": {tok}, "email": {u.Email}, "password": {testapp.Password}})
		expectStatus(t, "cross-site sign-in", r, http.StatusForbidden)
		if anon.sessionCookie() != nil {
			t.Error("a cross-site sign-in opened a session")
		}

		// Same-origin posts go through, by either header.
		for _, h := range [][2]string{{"Sec-Fetch-Site", "same-origin"}, {"Origin", base}} {
			r := v.with(h[0], h[1]).postCSRF("/profile", url.Values{"display_name": {"伊藤 " + h[0]}, "lang": {"ja"}, "time_zone": {"Asia/Tokyo"}})
			expectStatus(t, h[0]+" same origin", r, http.StatusSeeOther)
			if got := readUser(env, u.ID).DisplayName; got != "伊藤 "+h[0] {
				t.Errorf("%s same origin: name is %q", h[0], got)
			}
		}
	})
}

// A session idle past its limit is over: a page request goes to the sign-in form (and
// back afterwards), a form post shows the form with a message and changes nothing.
func TestPageExpiredSession(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("関東ガス", model.KindOperator)
		u := env.Person(org, "ito@kanto-gas.example", model.RoleMember)
		base := env.Server()
		poster, reader := newVisitor(t, env, base), newVisitor(t, env, base)
		poster.signInAs(u, nil)
		reader.signInAs(u, nil)

		// Still alive just before the idle limit; the request counts as use.
		env.Clock.Advance(env.Config.SessionIdle - time.Minute)
		if r := reader.get("/profile"); r.status != http.StatusOK {
			t.Fatalf("a session used %v ago answers %d", env.Config.SessionIdle-time.Minute, r.status)
		}
		env.Clock.Advance(2 * time.Minute)
		if r := reader.get("/profile"); r.status != http.StatusOK {
			t.Fatalf("a session kept alive by use expired: %d", r.status)
		}

		env.Clock.Advance(env.Config.SessionIdle + time.Minute)
		r := poster.postCSRF("/profile", url.Values{"display_name": {"期限切れの変更"}, "lang": {"en"}, "time_zone": {"UTC"}})
		expectStatus(t, "post on an expired session", r, http.StatusUnauthorized)
		if got := alertOf(r.body); got != jaSessionExpired {
			t.Errorf("post on an expired session: %q shown, want %q", got, jaSessionExpired)
		}
		if got := h1Of(r.body); got != "サインイン" {
			t.Errorf("post on an expired session shows %q, want the sign-in form", got)
		}
		if c := r.cookie("renkei_session"); c == nil || c.MaxAge >= 0 {
			t.Errorf("the expired session's cookie is not deleted: %v", c)
		}
		if got := readUser(env, u.ID); got.DisplayName != u.DisplayName || got.Lang != model.LangJA {
			t.Fatalf("a post on an expired session changed the profile: %q %s", got.DisplayName, got.Lang)
		}

		r = reader.get("/directory?kind=operator")
		expectStatus(t, "page on an expired session", r, http.StatusSeeOther)
		if want := "/signin?next=" + url.QueryEscape("/directory?kind=operator"); r.location() != want {
			t.Errorf("page on an expired session → %q, want %q", r.location(), want)
		}
		if r := reader.get("/profile"); r.status != http.StatusSeeOther {
			t.Errorf("the expired session works again: %d", r.status)
		}
	})
}
