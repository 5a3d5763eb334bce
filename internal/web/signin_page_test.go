package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// A wrong password shows the one Japanese message with the address kept and the password
// not echoed; an unknown account gets the very same page; Accept-Language en and the
// language chosen on the page switch it to English.
func TestPageSignInFailureMessage(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("東京臨海電力株式会社", model.KindOperator)
		u := env.Person(org, "sato@rinkai-power.example", model.RoleMember)
		base := env.Server()

		v := newVisitor(t, env, base)
		wrong := v.signIn(u.Email, "not the password at all")
		expectStatus(t, "wrong password", wrong, http.StatusUnauthorized)
		if got := alertOf(wrong.body); got != jaSignInFailed {
			t.Errorf("wrong password: %q shown, want %q", got, jaSignInFailed)
		}
		if got := langOf(wrong.body); got != "ja" {
			t.Errorf("page in %q, want ja", got)
		}
		if got, _ := inputValue(wrong.body, "email"); got != u.Email {
			t.Errorf("email field holds %q, want %q", got, u.Email)
		}
		if got, ok := inputValue(wrong.body, "password"); !ok || got != "" {
			t.Errorf("password field holds %q (present %v), want it empty", got, ok)
		}
		if strings.Contains(wrong.body, "not the password at all") {
			t.Error("the password typed is echoed in the page")
		}
		if c := wrong.cookie("renkei_session"); c != nil {
			t.Errorf("a failed sign-in set a session cookie: %v", c)
		}

		const ghost = "nobody@rinkai-power.example"
		unknown := v.signIn(ghost, "not the password at all")
		expectStatus(t, "unknown account", unknown, http.StatusUnauthorized)
		if got := strings.ReplaceAll(unknown.body, ghost, u.Email); got != wrong.body {
			t.Errorf("an unknown account gets a different page than a wrong password:\n%s\n---\n%s", got, wrong.body)
		}

		en := newVisitor(t, env, base).with("Accept-Language", "en-US,en;q=0.9")
		r := en.signIn(u.Email, "not the password at all")
		expectStatus(t, "wrong password (en)", r, http.StatusUnauthorized)
		if got := alertOf(r.body); got != enSignInFailed {
			t.Errorf("Accept-Language en: %q shown, want %q", got, enSignInFailed)
		}
		if got := langOf(r.body); got != "en" {
			t.Errorf("Accept-Language en: page in %q", got)
		}

		// The language picked in the footer wins over the browser's.
		picked := newVisitor(t, env, base).with("Accept-Language", "ja")
		r = picked.post("/lang", url.Values{"csrf": {picked.token("/signin")}, "lang": {"en"}, "next": {"/signin"}})
		expectStatus(t, "choose English", r, http.StatusSeeOther)
		if r.location() != "/signin" {
			t.Errorf("after choosing a language: location %q, want /signin", r.location())
		}
		r = picked.signIn(u.Email, "not the password at all")
		if got := alertOf(r.body); got != enSignInFailed {
			t.Errorf("language chosen en: %q shown, want %q", got, enSignInFailed)
		}
		// Choosing a language needs the form's token too.
		r = newVisitor(t, env, base).post("/lang", url.Values{"lang": {"en"}, "next": {"/signin"}})
		expectStatus(t, "choose a language without a token", r, http.StatusForbidden)
		if c := r.cookie("renkei_lang"); c != nil {
			t.Errorf("language cookie set without a token: %v", c)
		}
	})
}

// The page language follows Accept-Language when nobody is signed in: English only when
// the browser prefers it, Japanese otherwise.
func TestPageAcceptLanguage(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		base := env.Server()
		for _, c := range []struct{ header, want string }{
			{"", "ja"},
			{"ja", "ja"},
			{"ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7", "ja"},
			{"en", "en"},
			{"en-GB", "en"},
			{"en-US,en;q=0.9,ja;q=0.8", "en"},
			{"ja;q=0.2, en;q=0.9", "en"},
			{"en;q=0.3, ja", "ja"},
			{"de-DE", "ja"},
			{"fr-FR, en;q=0.5", "en"},
			{"not a header;;;", "ja"},
		} {
			v := newVisitor(t, env, base)
			if c.header != "" {
				v = v.with("Accept-Language", c.header)
			}
			r := v.get("/signin")
			if got := langOf(r.body); got != c.want {
				t.Errorf("Accept-Language %q: page in %q, want %q", c.header, got, c.want)
			}
			wantTitle := map[string]string{"ja": "サインイン", "en": "Sign in"}[c.want]
			if got := h1Of(r.body); got != wantTitle {
				t.Errorf("Accept-Language %q: heading %q, want %q", c.header, got, wantTitle)
			}
		}
	})
}

// After five failures an account is throttled, whether it exists or not, with the same
// message; the right password is refused while the block lasts and works after it.
func TestPageSignInThrottle(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("関東ガス", model.KindOperator)
		u := env.Person(org, "ito@kanto-gas.example", model.RoleMember)
		v := newVisitor(t, env, env.Server())
		const throttled = "サインインの試行が多すぎます。2秒後にもう一度お試しください。"

		for _, email := range []string{u.Email, "ghost@kanto-gas.example"} {
			for i := 1; i <= auth.AccountRule.Free; i++ {
				r := v.signIn(email, "wrong password, again")
				expectStatus(t, email+" failure", r, http.StatusUnauthorized)
				if got := alertOf(r.body); got != jaSignInFailed {
					t.Fatalf("%s failure %d: %q shown", email, i, got)
				}
			}
			r := v.signIn(email, "wrong password, again")
			expectStatus(t, email+" failure over the limit", r, http.StatusTooManyRequests)
			if got := alertOf(r.body); got != throttled {
				t.Errorf("%s over the limit: %q shown, want %q", email, got, throttled)
			}
		}
		r := v.signIn(u.Email, testapp.Password)
		expectStatus(t, "right password while blocked", r, http.StatusTooManyRequests)
		if got := alertOf(r.body); got != throttled {
			t.Errorf("right password while blocked: %q shown", got)
		}
		if v.sessionCookie() != nil {
			t.Fatal("a blocked sign-in set a session cookie")
		}
		env.Clock.Advance(3 * time.Second)
		r = v.signIn(u.Email, testapp.Password)
		expectStatus(t, "right password after the block", r, http.StatusSeeOther)
		if v.sessionCookie() == nil {
			t.Fatal("no session after the block ended")
		}
	})
}

// A person with a second factor goes to the code step after the password; no session
// exists until the code is right.
func TestPageSignInSecondFactor(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("大会組織委員会", model.KindOrganizer)
		u := env.Person(org, "tanaka@organizer.example", model.RoleMember)
		secret := env.EnrolTOTP(u)
		v := newVisitor(t, env, env.Server())

		r := v.post("/signin", url.Values{"csrf": {v.token("/signin")}, "email": {u.Email},
			"password": {testapp.Password}, "next": {"/directory"}})
		expectStatus(t, "password of an enrolled person", r, http.StatusSeeOther)
		if want := "/signin/2fa?next=%2Fdirectory"; r.location() != want {
			t.Fatalf("after the password: location %q, want %q", r.location(), want)
		}
		if c := r.cookie("renkei_session"); c != nil {
			t.Errorf("password alone set the session cookie")
		}
		if c := r.cookie("renkei_pending"); c == nil || !c.HttpOnly {
			t.Errorf("pending cookie %v, want an HttpOnly one", c)
		}
		if r := v.get("/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/signin?") {
			t.Errorf("between the steps, / answers %d → %q, want the sign-in form", r.status, r.location())
		}

		step := v.get("/signin/2fa?next=%2Fdirectory")
		expectStatus(t, "code step", step, http.StatusOK)
		if got := h1Of(step.body); got != "2段階認証" {
			t.Errorf("code step heading %q", got)
		}
		tok := csrfOf(step.body)
		bad := "000000"
		if env.Code(secret) == bad {
			bad = "111111"
		}
		r = v.post("/signin/2fa", url.Values{"csrf": {tok}, "code": {bad}, "next": {"/directory"}})
		expectStatus(t, "wrong code", r, http.StatusUnauthorized)
		if got := alertOf(r.body); got != "確認コードが正しくありません。" {
			t.Errorf("wrong code: %q shown", got)
		}
		r = v.post("/signin/2fa", url.Values{"code": {env.Code(secret)}, "next": {"/directory"}})
		expectStatus(t, "right code without the form token", r, http.StatusForbidden)
		r = v.post("/signin/2fa", url.Values{"csrf": {tok}, "code": {env.Code(secret)}, "next": {"/directory"}})
		expectStatus(t, "right code", r, http.StatusSeeOther)
		if r.location() != "/directory" {
			t.Errorf("after the code: location %q, want /directory", r.location())
		}
		if c := r.cookie("renkei_session"); c == nil || c.Value == "" {
			t.Fatal("no session cookie after the code")
		}
		if r := v.get("/directory"); r.status != http.StatusOK {
			t.Errorf("signed in, /directory answers %d", r.status)
		}
	})
}

// Staff (org admins here) without a second factor may only reach the enrolment pages until
// they have one; enrolling replaces the restricted session with a full one.
func TestPageStaffMustEnrol(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("東都電力", model.KindOperator)
		admin := env.Person(org, "admin@toto.example", model.RoleOrgAdmin)
		v := newVisitor(t, env, env.Server())

		r := v.signIn(admin.Email, testapp.Password)
		expectStatus(t, "org admin password", r, http.StatusSeeOther)
		if r.location() != "/profile/2fa" {
			t.Fatalf("org admin without 2FA sent to %q, want /profile/2fa", r.location())
		}
		enrolSession := v.sessionCookie()
		if enrolSession == nil {
			t.Fatal("no session cookie for the enrolment")
		}
		for _, path := range []string{"/", "/directory", "/profile", "/admin", "/admin/users"} {
			if r := v.get(path); r.status != http.StatusSeeOther || r.location() != "/profile/2fa" {
				t.Errorf("before enrolling, GET %s answers %d → %q, want /profile/2fa", path, r.status, r.location())
			}
		}
		page := v.get("/profile/2fa")
		expectStatus(t, "enrolment page", page, http.StatusOK)
		if got := flashOf(page.body); got != "続けるには2段階認証を設定してください。" {
			t.Errorf("flash %q on the enrolment page", got)
		}
		if !strings.Contains(page.body, "あなたの役割では2段階認証が必須です。") {
			t.Error("the enrolment page does not say 2FA is required")
		}
		v.csrf = csrfOf(page.body)
		r = v.postCSRF("/profile", url.Values{"display_name": {"乗っ取り"}, "lang": {"ja"}, "time_zone": {"Asia/Tokyo"}})
		if r.status != http.StatusSeeOther || r.location() != "/profile/2fa" {
			t.Errorf("profile change before enrolling answers %d → %q", r.status, r.location())
		}
		if got := readUser(env, admin.ID).DisplayName; got != admin.DisplayName {
			t.Errorf("profile changed to %q before enrolling", got)
		}

		r = v.postCSRF("/profile/2fa/begin", nil)
		expectStatus(t, "begin enrolment", r, http.StatusSeeOther)
		page = v.get("/profile/2fa")
		m := regexp.MustCompile(`id="totp-secret">([^<]+)<`).FindStringSubmatch(page.body)
		if m == nil {
			t.Fatal("no secret on the enrolment page")
		}
		secret, err := auth.DecodeSecret(m[1])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(page.body, `src="data:image/png;base64,`) {
			t.Error("no QR code image on the enrolment page")
		}
		r = v.postCSRF("/profile/2fa/confirm", url.Values{"code": {env.Code(secret)}})
		expectStatus(t, "confirm enrolment", r, http.StatusOK)
		if got := h1Of(r.body); got != "リカバリーコード" {
			t.Errorf("after enrolling: heading %q", got)
		}
		fresh := r.cookie("renkei_session")
		if fresh == nil || fresh.Value == enrolSession.Value {
			t.Fatal("enrolling did not replace the session")
		}
		if r := v.get("/"); r.status != http.StatusOK {
			t.Errorf("after enrolling, / answers %d → %q", r.status, r.location())
		}
		old := newVisitor(t, env, v.base).with("Cookie", "renkei_session="+enrolSession.Value)
		if r := old.get("/profile/2fa"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location(), "/signin") {
			t.Errorf("the enrolment session still works after enrolling: %d → %q", r.status, r.location())
		}

		// Center staff too, analysts included; members are not forced.
		center := env.Org("対処調整センター", model.KindCenter)
		for _, c := range []struct {
			role model.Role
			want string
		}{{model.RoleAnalyst, "/profile/2fa"}, {model.RoleCenterAdmin, "/profile/2fa"}, {model.RoleMember, "/"}} {
			p := env.Person(center, string(c.role)+"@center.example", c.role)
			if r := newVisitor(t, env, v.base).signIn(p.Email, testapp.Password); r.location() != c.want {
				t.Errorf("%s without 2FA sent to %q, want %q", c.role, r.location(), c.want)
			}
		}
	})
}

// Signing out ends the session on the server (the old cookie is worthless), needs the
// CSRF token, and leaves the sign-in page in the person's language.
func TestPageSignOut(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("関西鉄道", model.KindOperator)
		ja := env.Person(org, "kato@kansai-rail.example", model.RoleMember)
		en := setUserLang(env, env.Person(org, "smith@kansai-rail.example", model.RoleMember), model.LangEN)
		base := env.Server()

		v := newVisitor(t, env, base)
		v.signInAs(ja, nil)
		old := v.sessionCookie().Value
		r := v.post("/signout", nil)
		expectStatus(t, "sign out without a token", r, http.StatusForbidden)
		if r := v.get("/"); r.status != http.StatusOK {
			t.Fatalf("a sign-out without a token ended the session: / answers %d", r.status)
		}
		r = v.postCSRF("/signout", nil)
		expectStatus(t, "sign out", r, http.StatusSeeOther)
		if r.location() != "/signin" {
			t.Errorf("sign out leads to %q", r.location())
		}
		if c := r.cookie("renkei_session"); c == nil || c.MaxAge >= 0 {
			t.Errorf("sign out does not delete the session cookie: %v", c)
		}
		page := v.get("/signin")
		if got := flashOf(page.body); got != "サインアウトしました。" {
			t.Errorf("flash after signing out: %q", got)
		}
		if got := flashOf(v.get("/signin").body); got != "" {
			t.Errorf("the flash shows twice: %q", got)
		}
		if r := v.get("/"); r.status != http.StatusSeeOther || r.location() != "/signin?next=%2F" {
			t.Errorf("signed out, / answers %d → %q", r.status, r.location())
		}
		replay := newVisitor(t, env, base).with("Cookie", "renkei_session="+old)
		if r := replay.get("/profile"); r.status != http.StatusSeeOther {
			t.Errorf("the cookie of a signed-out session still works: %d", r.status)
		}

		// An English speaker's sign-in page after signing out is in English.
		e := newVisitor(t, env, base)
		e.signInAs(en, nil)
		e.postCSRF("/signout", nil)
		page = e.get("/signin")
		if got := langOf(page.body); got != "en" {
			t.Errorf("after an English speaker signs out the page is in %q", got)
		}
		if got := flashOf(page.body); got != "You have signed out." {
			t.Errorf("English flash after signing out: %q", got)
		}
		if got := alertOf(e.signIn(en.Email, "wrong password!!").body); got != enSignInFailed {
			t.Errorf("English speaker's failed sign-in after signing out: %q", got)
		}
	})
}

// Signing out everywhere ends the other browsers' sessions too.
func TestPageSignOutEverywhere(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("関西鉄道", model.KindOperator)
		u := env.Person(org, "kato@kansai-rail.example", model.RoleMember)
		other := env.Person(org, "mori@kansai-rail.example", model.RoleMember)
		base := env.Server()

		laptop, phone, colleague := newVisitor(t, env, base), newVisitor(t, env, base), newVisitor(t, env, base)
		laptop.signInAs(u, nil)
		phone.signInAs(u, nil)
		colleague.signInAs(other, nil)
		sessions, err := env.Auth.Sessions(testapp.Ctx(), env.Principal(u))
		if err != nil || len(sessions) != 2 {
			t.Fatalf("%d sessions before (err %v), want 2", len(sessions), err)
		}

		r := laptop.post("/profile/signout-everywhere", nil)
		expectStatus(t, "sign out everywhere without a token", r, http.StatusForbidden)
		r = laptop.postCSRF("/profile/signout-everywhere", nil)
		expectStatus(t, "sign out everywhere", r, http.StatusSeeOther)
		if r.location() != "/signin" {
			t.Errorf("sign out everywhere leads to %q", r.location())
		}
		if got := flashOf(laptop.get("/signin").body); got != "すべての端末からサインアウトしました。" {
			t.Errorf("flash after signing out everywhere: %q", got)
		}
		for name, v := range map[string]*visitor{"laptop": laptop, "phone": phone} {
			if r := v.get("/profile"); r.status != http.StatusSeeOther || r.location() != "/signin?next=%2Fprofile" {
				t.Errorf("%s after signing out everywhere: %d → %q", name, r.status, r.location())
			}
		}
		if r := colleague.get("/profile"); r.status != http.StatusOK {
			t.Errorf("a colleague's session ended too: %d", r.status)
		}
	})
}

// Where a sign-in leads is always on this site, however the next parameter is dressed up
// (browsers drop tabs and newlines from URLs and read \ as /).
func TestPageSignInNextStaysOnSite(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		org := env.Org("関西鉄道", model.KindOperator)
		u := env.Person(org, "kato@kansai-rail.example", model.RoleMember)
		base := env.Server()
		site, _ := url.Parse(base)

		// A legitimate next, carried through the sign-in form from a redirect.
		v := newVisitor(t, env, base)
		r := v.get("/directory?kind=operator")
		if want := "/signin?next=" + url.QueryEscape("/directory?kind=operator"); r.location() != want {
			t.Fatalf("GET /directory signed out → %q, want %q", r.location(), want)
		}
		form := v.get(r.location())
		m := regexp.MustCompile(`name="next" value="([^"]*)"`).FindStringSubmatch(form.body)
		if m == nil || m[1] != "/directory?kind=operator" {
			t.Fatalf("next field of the sign-in form: %v", m)
		}
		r = v.post("/signin", url.Values{"csrf": {csrfOf(form.body)}, "email": {u.Email}, "password": {testapp.Password}, "next": {m[1]}})
		if r.location() != "/directory?kind=operator" {
			t.Errorf("after signing in: location %q, want /directory?kind=operator", r.location())
		}

		for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example/", "/\t/evil.example/",
			"/\n/evil.example/", "/\r\n/evil.example/", "\t//evil.example/", "/\t\\evil.example/", " //evil.example/"} {
			v := newVisitor(t, env, base)
			r := v.post("/signin", url.Values{"csrf": {v.token("/signin")}, "email": {u.Email}, "password": {testapp.Password}, "next": {next}})
			expectStatus(t, "sign in", r, http.StatusSeeOther)
			if host := browserHost(site, r.location()); host != site.Host {
				t.Errorf("next %q: sign-in leads to %q, which a browser opens on %q", next, r.location(), host)
			}
			anon := newVisitor(t, env, base)
			r = anon.post("/lang", url.Values{"csrf": {anon.token("/signin")}, "lang": {"en"}, "next": {next}})
			if host := browserHost(site, r.location()); host != site.Host {
				t.Errorf("next %q: language switch leads to %q, which a browser opens on %q", next, r.location(), host)
			}
		}
	})
}

// browserHost returns the host a browser would open for a Location header on site: it
// drops tabs and newlines, trims spaces and control characters, and reads \ as /.
func browserHost(site *url.URL, loc string) string {
	loc = strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, loc)
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= ' ' })
	u, err := site.Parse(loc)
	if err != nil {
		return "unparsable: " + err.Error()
	}
	return u.Host
}

// The flash shows only messages of the catalog's flash section, never what a cookie says.
func TestPageFlashOnlyFromCatalog(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		env := testapp.New(t, db)
		base := env.Server()
		site, _ := url.Parse(base)
		for value, want := range map[string]string{
			"flash.signed_out":  "サインアウトしました。",
			"error.forbidden":   "",
			"csrf.failed":       "",
			"flash.no_such_key": "",
		} {
			v := newVisitor(t, env, base)
			v.hc.Jar.SetCookies(site, []*http.Cookie{{Name: "renkei_flash", Value: value, Path: "/"}})
			page := v.get("/signin")
			if got := flashOf(page.body); got != want {
				t.Errorf("flash cookie %q shows %q, want %q", value, got, want)
			}
			if c := page.cookie("renkei_flash"); c == nil || c.MaxAge >= 0 {
				t.Errorf("flash cookie %q is not deleted once read: %v", value, c)
			}
		}
	})
}
