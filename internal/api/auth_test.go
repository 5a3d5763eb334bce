package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/renkei-dev/renkei/internal/api"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/store"
	"github.com/renkei-dev/renkei/internal/testapp"
	"github.com/renkei-dev/renkei/internal/testdb"
)

// unauthorized asserts the 401 problem with the bearer challenge.
func unauthorized(t *testing.T, r *response) api.Problem {
	t.Helper()
	p := r.problem(t, http.StatusUnauthorized, "unauthorized")
	if got := r.header.Get("WWW-Authenticate"); got != `Bearer realm="renkei"` {
		t.Errorf("%s %s: WWW-Authenticate %q", r.method, r.path, got)
	}
	return p
}

func everyOperationRequiresAToken(t *testing.T, w *world) {
	anon := w.anon(t)
	for _, pattern := range api.New(w.e.App).Patterns() {
		method, path, _ := strings.Cut(pattern, " ")
		if path == api.Prefix+"/openapi.json" {
			continue // the document is public
		}
		path = pathParam.ReplaceAllString(path, id(w.c1.ID))
		var body any
		if method != "GET" && method != "DELETE" {
			body = "{}"
		}
		p := unauthorized(t, anon.do(method, path, body))
		if p.Title != "Unauthorized" {
			t.Errorf("%s: title %q", pattern, p.Title)
		}
	}
	// The document is the one thing open to all.
	anon.get(api.Prefix+"/openapi.json").ok(t, 200, nil)
}

func malformedAuthorizationHeaders(t *testing.T, w *world) {
	tok := w.tokens[w.memberA.ID]
	c := w.anon(t)
	for _, h := range []string{
		"Bearer",                     // no token
		"Bearer    ",                 // blank token
		"Basic " + tok,               // wrong scheme
		"Token " + tok,               // wrong scheme
		tok,                          // no scheme
		"Bearer rk_not-a-real-token", // unknown token
		"Bearer " + strings.TrimPrefix(tok, "rk_"), // without the prefix
		"Bearer " + tok + "x",                      // one character more
		"Bearer " + tok[:len(tok)-1],               // one character less
		"Bearer rk_" + strings.Repeat("a", 200),    // too long to be a token
	} {
		p := unauthorized(t, c.with("Authorization", h).get(api.Prefix+"/me"))
		if strings.Contains(p.Detail, tok) {
			t.Errorf("%q: the detail repeats the token", h)
		}
	}
	// The scheme is case-insensitive (RFC 9110) and surrounding blanks do not matter.
	for _, h := range []string{"bearer " + tok, "BEARER " + tok, "Bearer  " + tok + " "} {
		var me api.Me
		c.with("Authorization", h).get(api.Prefix+"/me").ok(t, 200, &me)
		if me.User.ID != w.memberA.ID {
			t.Fatalf("%q: signed in as %d", h, me.User.ID)
		}
	}
}

func TestRevokedTokenIsRefused(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		c := w.as(t, w.memberA)
		c.get(api.Prefix+"/me").ok(t, 200, nil)
		ts, err := w.e.Auth.Tokens(ctx, w.memberA.ID)
		if err != nil || len(ts) != 1 {
			t.Fatal(ts, err)
		}
		if err := w.e.Auth.RevokeToken(ctx, auth.System(), ts[0].ID); err != nil {
			t.Fatal(err)
		}
		unauthorized(t, c.get(api.Prefix+"/me"))
		unauthorized(t, c.do("POST", api.Prefix+"/tokens", `{"name":"again"}`))
		// Other people's tokens still work.
		w.as(t, w.memberA2).get(api.Prefix+"/me").ok(t, 200, nil)
	})
}

func TestTokenOfDisabledPersonOrOrganizationIsRefused(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		a, a2, b := w.as(t, w.memberA), w.as(t, w.memberA2), w.as(t, w.memberB)
		a.get(api.Prefix+"/me").ok(t, 200, nil)
		if _, err := w.e.Directory.UpdateUser(ctx, auth.System(), w.memberA.ID, directory.UserPatch{Disabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		unauthorized(t, a.get(api.Prefix+"/me"))
		a2.get(api.Prefix+"/me").ok(t, 200, nil)

		// Enabled again, the same token works again: it was never revoked.
		if _, err := w.e.Directory.UpdateUser(ctx, auth.System(), w.memberA.ID, directory.UserPatch{Disabled: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		a.get(api.Prefix+"/me").ok(t, 200, nil)

		// A disabled organization takes its people's tokens with it.
		if _, err := w.e.Directory.UpdateOrg(ctx, auth.System(), w.orgA.ID, directory.OrgInput{NameJA: w.orgA.NameJA, Kind: string(w.orgA.Kind), Disabled: true}); err != nil {
			t.Fatal(err)
		}
		unauthorized(t, a.get(api.Prefix+"/me"))
		unauthorized(t, a2.get(api.Prefix+"/me"))
		b.get(api.Prefix+"/me").ok(t, 200, nil)
	})
}

// Tokens have no expiry: they end when revoked (above) or when their person or
// organization is disabled. This pins that down, so that adding an expiry is a decision.
func TestTokensDoNotExpire(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.e.Clock.Advance(3 * 365 * 24 * time.Hour)
		var me api.Me
		w.as(t, w.memberA).get(api.Prefix+"/me").ok(t, 200, &me)
		if me.User.ID != w.memberA.ID {
			t.Fatal(me.User)
		}
		var list api.List[api.Token]
		w.as(t, w.memberA).get(api.Prefix+"/tokens").ok(t, 200, &list)
		if len(list.Items) != 1 || list.Items[0].LastUsedAt == nil || !list.Items[0].LastUsedAt.Equal(w.e.Clock.Now()) {
			t.Fatalf("last use not recorded: %+v", list.Items)
		}
	})
}

// The API reads only the Authorization header: a browser's session cookie is not a
// credential there. That is also why the API needs no CSRF token: nothing a browser sends
// on its own authenticates a request.
func TestSessionCookieIsNotAnAPICredential(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		if err := w.e.Auth.SetInitialPassword(ctx, w.memberB.ID, testapp.Password); err != nil {
			t.Fatal(err)
		}
		in, err := w.e.Auth.SignIn(ctx, w.memberB.Email, testapp.Password, auth.Client{IP: "127.0.0.1"})
		if err != nil || !in.Complete() {
			t.Fatalf("sign-in: %v", err)
		}
		if _, err := w.e.Auth.Session(ctx, in.Secret); err != nil {
			t.Fatalf("the session itself is valid: %v", err)
		}
		cookie := "renkei_session=" + in.Secret
		anon := w.anon(t).with("Cookie", cookie)
		unauthorized(t, anon.get(api.Prefix+"/me"))
		unauthorized(t, anon.with("Authorization", "Bearer "+in.Secret).get(api.Prefix+"/me"))
		unauthorized(t, anon.do("POST", api.Prefix+"/tokens", `{"name":"from a browser"}`))

		// With a token, a cross-site request with someone else's cookie acts as the token's
		// owner: the cookie is ignored, and cross-origin protection (for the pages) does not
		// stand in the way of API clients.
		c := w.as(t, w.memberA).with("Cookie", cookie).with("Origin", "https://evil.example").with("Sec-Fetch-Site", "cross-site")
		var created api.TokenCreated
		c.do("POST", api.Prefix+"/tokens", `{"name":"cross-site"}`).ok(t, 201, &created)
		ts, err := w.e.Auth.Tokens(ctx, w.memberA.ID)
		if err != nil || len(ts) != 2 {
			t.Fatalf("memberA's tokens: %v %v", ts, err)
		}
		if ts, _ := w.e.Auth.Tokens(ctx, w.memberB.ID); len(ts) != 1 {
			t.Fatalf("a token was made for the cookie's owner: %v", ts)
		}
	})
}

func TestTokenUseIsRecorded(t *testing.T) {
	t.Parallel()
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.as(t, w.memberA).get(api.Prefix+"/me").ok(t, 200, nil)
		recs := auditOf(t, w, "token.used")
		if len(recs) != 1 || recs[0].ActorUserID != w.memberA.ID || recs[0].IP != "127.0.0.1" {
			t.Fatalf("token.used: %+v", recs)
		}
		// Within the quiet period, further use is not audited again.
		w.e.Clock.Advance(2 * time.Minute)
		w.as(t, w.memberA).get(api.Prefix+"/me").ok(t, 200, nil)
		if n := len(auditOf(t, w, "token.used")); n != 1 {
			t.Fatalf("%d token.used records", n)
		}
	})
}
