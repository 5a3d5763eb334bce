package web_test

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/testapp"
)

// Messages the tests expect word for word, from the catalogs.
const (
	jaSignInFailed   = "メールアドレスまたはパスワードが正しくありません。"
	enSignInFailed   = "The email address or password is incorrect."
	jaCSRFFailed     = "フォームの有効期限が切れたか、別のサイトから送信されました。ページを再読み込みしてもう一度お試しください。変更は行われていません。"
	enCSRFFailed     = "This form has expired or was sent from another site. Reload the page and try again; nothing was changed."
	jaSessionExpired = "セッションの有効期限が切れました。もう一度サインインしてください。変更は行われていません。"
	jaForbidden      = "この操作を行う権限がありません。"
	enForbidden      = "You are not allowed to do this."
	jaNotFound       = "お探しのページまたは項目は見つかりません。"
	enNotFound       = "The page or item was not found."
	jaTooLarge       = "送信されたデータが大きすぎます。変更は行われていません。"
	enTooLarge       = "The data sent is too large. Nothing was changed."
)

// visitor is one browser: a cookie jar, optional extra headers, and no automatic
// redirects, so that every 303 can be checked.
type visitor struct {
	t      *testing.T
	env    *testapp.Env
	base   string
	hc     *http.Client
	header http.Header // sent with every request
	csrf   string      // the session's CSRF token, once signed in
}

func newVisitor(t *testing.T, env *testapp.Env, base string) *visitor {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &visitor{t: t, env: env, base: base, hc: hc, header: http.Header{}}
}

// with returns the visitor sending extra headers (name, value pairs) on its requests,
// sharing its cookies.
func (v *visitor) with(kv ...string) *visitor {
	w := *v
	w.header = v.header.Clone()
	for i := 0; i+1 < len(kv); i += 2 {
		w.header.Set(kv[i], kv[i+1])
	}
	return &w
}

// reply is a response with its body read.
type reply struct {
	status int
	header http.Header
	body   string
	res    *http.Response
}

func (r *reply) location() string { return r.res.Header.Get("Location") }

// cookie returns the Set-Cookie of the response with that name, or nil.
func (r *reply) cookie(name string) *http.Cookie {
	for _, c := range r.res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (v *visitor) do(req *http.Request) *reply {
	v.t.Helper()
	for k, vs := range v.header {
		for _, s := range vs {
			req.Header.Add(k, s)
		}
	}
	res, err := v.hc.Do(req)
	if err != nil {
		v.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		v.t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return &reply{status: res.StatusCode, header: res.Header, body: string(b), res: res}
}

func (v *visitor) get(path string) *reply {
	v.t.Helper()
	req, err := http.NewRequest(http.MethodGet, v.base+path, nil)
	if err != nil {
		v.t.Fatal(err)
	}
	return v.do(req)
}

// post sends a form as is (the caller adds csrf when it wants one).
func (v *visitor) post(path string, form url.Values) *reply {
	v.t.Helper()
	return v.postBody(path, form.Encode())
}

func (v *visitor) postBody(path, body string) *reply {
	v.t.Helper()
	req, err := http.NewRequest(http.MethodPost, v.base+path, strings.NewReader(body))
	if err != nil {
		v.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return v.do(req)
}

// postCSRF posts a form with the session's CSRF token.
func (v *visitor) postCSRF(path string, form url.Values) *reply {
	v.t.Helper()
	if v.csrf == "" {
		v.t.Fatal("postCSRF before signing in")
	}
	f := url.Values{}
	for k, vs := range form {
		f[k] = vs
	}
	f.Set("csrf", v.csrf)
	return v.post(path, f)
}

// token reads the CSRF token from the first form of the page at path.
func (v *visitor) token(path string) string {
	v.t.Helper()
	r := v.get(path)
	tok := csrfOf(r.body)
	if tok == "" {
		v.t.Fatalf("GET %s (%d): no csrf token in the page", path, r.status)
	}
	return tok
}

// signIn fills in the sign-in form as a browser would: GET the page, read the token from
// the form, POST it.
func (v *visitor) signIn(email, password string) *reply {
	v.t.Helper()
	return v.post("/signin", url.Values{"csrf": {v.token("/signin")}, "email": {email}, "password": {password}, "next": {"/"}})
}

// signInAs signs a person in to a full session, passing the second step when they have a
// TOTP secret, and remembers the session's CSRF token.
func (v *visitor) signInAs(u model.User, totp []byte) {
	v.t.Helper()
	r := v.signIn(u.Email, testapp.Password)
	if r.status != http.StatusSeeOther {
		v.t.Fatalf("sign-in of %s answered %d: %s", u.Email, r.status, alertOf(r.body))
	}
	if strings.HasPrefix(r.location(), "/signin/2fa") {
		if totp == nil {
			v.t.Fatalf("sign-in of %s asks for a second factor", u.Email)
		}
		r = v.post("/signin/2fa", url.Values{"csrf": {v.token(r.location())}, "code": {v.env.Code(totp)}, "next": {"/"}})
		v.env.Clock.Advance(31 * time.Second) // the next sign-in needs a fresh code
		if r.status != http.StatusSeeOther {
			v.t.Fatalf("second step of %s answered %d: %s", u.Email, r.status, alertOf(r.body))
		}
	}
	if r.location() != "/" {
		v.t.Fatalf("sign-in of %s leads to %q, want /", u.Email, r.location())
	}
	v.csrf = v.token("/profile")
}

// sessionCookie returns the session cookie the jar holds for the site.
func (v *visitor) sessionCookie() *http.Cookie {
	u, _ := url.Parse(v.base)
	for _, c := range v.hc.Jar.Cookies(u) {
		if strings.HasSuffix(c.Name, "renkei_session") {
			return c
		}
	}
	return nil
}

var (
	reCSRF  = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
	reAlert = regexp.MustCompile(`role="alert"[^>]*>([^<]*)<`)
	reFlash = regexp.MustCompile(`class="notice ok" role="status">([^<]*)<`)
	reH1    = regexp.MustCompile(`<h1>([^<]*)`)
	reLang  = regexp.MustCompile(`<html lang="([a-z]+)">`)
)

func firstGroup(re *regexp.Regexp, body string) string {
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

func csrfOf(body string) string  { return firstGroup(reCSRF, body) }
func alertOf(body string) string { return firstGroup(reAlert, body) }
func flashOf(body string) string { return firstGroup(reFlash, body) }
func h1Of(body string) string    { return strings.TrimSpace(firstGroup(reH1, body)) }
func langOf(body string) string  { return firstGroup(reLang, body) }

// inputValue returns the value of the input with that id, and whether there is one.
func inputValue(body, id string) (string, bool) {
	tag := regexp.MustCompile(`<input[^>]*\bid="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(body)
	if tag == "" {
		return "", false
	}
	m := regexp.MustCompile(`\bvalue="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return "", true
	}
	return html.UnescapeString(m[1]), true
}

// fieldError returns the message shown inside the form field whose label is for id, and
// whether the field is marked invalid.
func fieldError(body, id string) (msg string, invalid bool) {
	i := strings.Index(body, `<label for="`+id+`">`)
	if i < 0 {
		return "", false
	}
	start := strings.LastIndex(body[:i], `<div class="field`)
	end := strings.Index(body[i:], "</div>")
	if start < 0 || end < 0 {
		return "", false
	}
	block := body[start : i+end]
	invalid = strings.HasPrefix(block, `<div class="field invalid`)
	if m := regexp.MustCompile(`<span class="err"[^>]*>([^<]*)</span>`).FindStringSubmatch(block); m != nil {
		msg = html.UnescapeString(m[1])
	}
	return msg, invalid
}

// readUser reads a person back through the service, as the system.
func readUser(env *testapp.Env, id int64) model.User {
	env.T.Helper()
	u, err := env.Directory.GetUser(testapp.Ctx(), auth.System(), id)
	if err != nil {
		env.T.Fatal(err)
	}
	return u
}

// setUserLang gives a person a language through the service.
func setUserLang(env *testapp.Env, u model.User, lang model.Lang) model.User {
	env.T.Helper()
	s := string(lang)
	out, err := env.Directory.UpdateUser(testapp.Ctx(), auth.System(), u.ID, directory.UserPatch{Lang: &s})
	if err != nil {
		env.T.Fatal(err)
	}
	return out
}

func expectStatus(t *testing.T, what string, r *reply, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s: status %d, want %d (alert %q, location %q)", what, r.status, want, alertOf(r.body), r.location())
	}
}

func idText(id int64) string { return strconv.FormatInt(id, 10) }

// directClient is where service calls made by the tests come from.
var directClient = auth.Client{IP: "192.0.2.10", UserAgent: "test"}
