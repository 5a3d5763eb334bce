package httpx_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/model"
)

func proxies(t *testing.T, cidrs ...string) httpx.Proxies {
	t.Helper()
	var ps httpx.Proxies
	for _, c := range cidrs {
		ps = append(ps, netip.MustParsePrefix(c))
	}
	return ps
}

func request(peer string, xff ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.RemoteAddr = peer
	for _, v := range xff {
		r.Header.Add("X-Forwarded-For", v)
	}
	return r
}

// X-Forwarded-For is believed only from a trusted proxy, and then only up to the first
// address that is not itself a trusted proxy: what the client wrote further left is not.
func TestClientIP(t *testing.T) {
	trusted := proxies(t, "10.0.0.0/8", "2001:db8:1::/48")
	for _, c := range []struct {
		name  string
		ps    httpx.Proxies
		peer  string
		xff   []string
		want  string
		trust bool
	}{
		{"no proxies configured", nil, "203.0.113.5:4000", []string{"198.51.100.7"}, "203.0.113.5", false},
		{"untrusted peer's header ignored", trusted, "203.0.113.5:4000", []string{"198.51.100.7"}, "203.0.113.5", false},
		{"trusted peer, one hop", trusted, "10.0.0.1:4000", []string{"198.51.100.7"}, "198.51.100.7", true},
		{"spoofed entries left of the real client", trusted, "10.0.0.1:4000", []string{"1.1.1.1, 198.51.100.7"}, "198.51.100.7", true},
		{"chain of trusted proxies", trusted, "10.0.0.1:4000", []string{"198.51.100.7, 10.0.0.3, 10.0.0.2"}, "198.51.100.7", true},
		{"several header lines", trusted, "10.0.0.1:4000", []string{"1.1.1.1", "198.51.100.7, 10.0.0.2"}, "198.51.100.7", true},
		{"spaces", trusted, "10.0.0.1:4000", []string{"  198.51.100.7  ,10.0.0.2 "}, "198.51.100.7", true},
		{"no header from a trusted peer", trusted, "10.0.0.1:4000", nil, "10.0.0.1", true},
		{"only trusted hops", trusted, "10.0.0.1:4000", []string{"10.0.0.9"}, "10.0.0.1", true},
		{"garbage nearest stops the walk", trusted, "10.0.0.1:4000", []string{"198.51.100.7, garbage"}, "10.0.0.1", true},
		{"IPv4-mapped peer", trusted, "[::ffff:10.0.0.1]:4000", []string{"198.51.100.7"}, "198.51.100.7", true},
		{"IPv4-mapped client", trusted, "10.0.0.1:4000", []string{"::ffff:198.51.100.7"}, "198.51.100.7", true},
		{"IPv6 proxy and client", trusted, "[2001:db8:1::5]:4000", []string{"2001:db8:2::7"}, "2001:db8:2::7", true},
		{"IPv6 untrusted peer", trusted, "[2001:db8:2::5]:4000", []string{"198.51.100.7"}, "2001:db8:2::5", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := request(c.peer, c.xff...)
			if got := c.ps.ClientIP(r); got != c.want {
				t.Errorf("ClientIP = %q, want %q", got, c.want)
			}
			// Base records the same address for handlers and the audit log.
			var seen auth.Client
			h := httpx.Base(c.ps, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = httpx.Client(r) }))
			r = request(c.peer, c.xff...)
			r.Header.Set("User-Agent", "test-agent/1.0")
			h.ServeHTTP(httptest.NewRecorder(), r)
			if seen.IP != c.want || seen.UserAgent != "test-agent/1.0" {
				t.Errorf("Base recorded %+v, want IP %s", seen, c.want)
			}
			// X-Forwarded-Proto follows the same trust.
			r = request(c.peer, c.xff...)
			r.Header.Set("X-Forwarded-Proto", "https")
			if got := c.ps.Secure(r); got != c.trust {
				t.Errorf("Secure with X-Forwarded-Proto https = %v, want %v", got, c.trust)
			}
		})
	}
}

// A request is secure over TLS, or when a trusted proxy says https; nothing else counts.
func TestSecure(t *testing.T) {
	trusted := proxies(t, "10.0.0.0/8")
	for _, c := range []struct {
		name  string
		peer  string
		proto string
		tls   bool
		want  bool
	}{
		{"plain", "203.0.113.5:4000", "", false, false},
		{"direct TLS", "203.0.113.5:4000", "", true, true},
		{"untrusted says https", "203.0.113.5:4000", "https", false, false},
		{"trusted says https", "10.0.0.1:4000", "https", false, true},
		{"trusted says HTTPS", "10.0.0.1:4000", "HTTPS", false, true},
		{"trusted says http", "10.0.0.1:4000", "http", false, false},
		{"trusted says nothing", "10.0.0.1:4000", "", false, false},
		{"unparsable peer", "somewhere", "https", false, false},
	} {
		r := request(c.peer)
		if c.proto != "" {
			r.Header.Set("X-Forwarded-Proto", c.proto)
		}
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if got := trusted.Secure(r); got != c.want {
			t.Errorf("%s: Secure = %v, want %v", c.name, got, c.want)
		}
		var seen bool
		httpx.Base(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = httpx.IsSecure(r) })).
			ServeHTTP(httptest.NewRecorder(), r)
		if seen != c.want {
			t.Errorf("%s: IsSecure in the handler = %v, want %v", c.name, seen, c.want)
		}
	}
}

// Base sets the security headers on every response, HSTS only over HTTPS, and a request
// id: the client's when it is reasonable, a fresh one otherwise.
func TestBaseHeaders(t *testing.T) {
	trusted := proxies(t, "10.0.0.0/8")
	var id string
	h := httpx.Base(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id = httpx.RequestID(r)
		http.Error(w, "nope", http.StatusTeapot)
	}))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, request("203.0.113.5:4000"))
	hd := rec.Header()
	for name, want := range map[string]string{
		"X-Content-Type-Options":     "nosniff",
		"X-Frame-Options":            "DENY",
		"Referrer-Policy":            "same-origin",
		"Cross-Origin-Opener-Policy": "same-origin",
		"Content-Security-Policy":    httpx.CSP,
	} {
		if got := hd.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := hd.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("HSTS over plain HTTP: %q", got)
	}
	if !strings.Contains(hd.Get("Permissions-Policy"), "camera=()") {
		t.Errorf("Permissions-Policy %q", hd.Get("Permissions-Policy"))
	}
	if len(id) != 16 || hd.Get("X-Request-Id") != id {
		t.Errorf("request id %q, header %q", id, hd.Get("X-Request-Id"))
	}

	csp := map[string]string{}
	for _, d := range strings.Split(httpx.CSP, ";") {
		name, rest, _ := strings.Cut(strings.TrimSpace(d), " ")
		csp[name] = rest
	}
	for d, want := range map[string]string{"script-src": "'self'", "frame-ancestors": "'none'", "object-src": "'none'",
		"base-uri": "'none'", "form-action": "'self'", "default-src": "'self'", "style-src": "'self'"} {
		if csp[d] != want {
			t.Errorf("CSP %s %q, want %q", d, csp[d], want)
		}
	}

	r := request("10.0.0.1:4000")
	r.Header.Set("X-Forwarded-Proto", "https")
	r.Header.Set("X-Request-Id", "abc-123")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if got := rec.Header().Get("Strict-Transport-Security"); !strings.HasPrefix(got, "max-age=") || strings.HasPrefix(got, "max-age=0") {
		t.Errorf("HSTS behind a trusted HTTPS proxy: %q", got)
	}
	if id != "abc-123" || rec.Header().Get("X-Request-Id") != "abc-123" {
		t.Errorf("client request id not kept: %q", id)
	}

	r = request("203.0.113.5:4000")
	long := strings.Repeat("x", 65)
	r.Header.Set("X-Request-Id", long)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if id == long || len(id) != 16 {
		t.Errorf("an over-long request id was kept: %q", id)
	}
}

// The principal and language travel with the request; Lang is Japanese unless the person
// chose English.
func TestPrincipalAndLang(t *testing.T) {
	var got struct {
		lang   model.Lang
		p      auth.Principal
		ok     bool
		before bool
	}
	h := httpx.Base(nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, got.before = httpx.Principal(r)
		if httpx.Lang(r) != model.LangJA {
			t.Errorf("Lang without a principal = %s", httpx.Lang(r))
		}
		r = httpx.WithPrincipal(r, auth.Principal{User: model.User{ID: 7, Lang: model.LangEN}})
		got.p, got.ok = httpx.Principal(r)
		got.lang = httpx.Lang(r)
	}))
	r := request("203.0.113.5:4000")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if got.before {
		t.Error("a principal before WithPrincipal")
	}
	if !got.ok || got.p.User.ID != 7 || got.lang != model.LangEN {
		t.Errorf("after WithPrincipal: ok=%v user %d lang %s", got.ok, got.p.User.ID, got.lang)
	}
	if got.p.Client.IP != "203.0.113.5" {
		t.Errorf("the principal's client is %+v, want the request's", got.p.Client)
	}

	r = httptest.NewRequest(http.MethodGet, "/", nil)
	if l := httpx.Lang(httpx.WithPrincipal(r, auth.Principal{User: model.User{ID: 8}})); l != model.LangJA {
		t.Errorf("Lang of a person without a language = %s, want ja", l)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustPrincipal without a principal did not panic")
		}
	}()
	httpx.MustPrincipal(r)
}
