// Package httpx holds the HTTP plumbing shared by the web pages and the API: the client
// address behind trusted proxies, security headers, request ids, body limits and the
// request-scoped values (principal, language) that handlers read.
package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/model"
)

type ctxKey int

const (
	keyClient ctxKey = iota
	keyPrincipal
	keyRequestID
	keySecure
)

// Proxies decides which peers' X-Forwarded-For and X-Forwarded-Proto are believed.
type Proxies []netip.Prefix

func (ps Proxies) trusted(a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// ClientIP returns the address of the client: the peer, or, when the peer is a trusted
// proxy, the nearest address in X-Forwarded-For that is not itself a trusted proxy.
func (ps Proxies) ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !ps.trusted(peer) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !ps.trusted(a) {
			return a.Unmap().String()
		}
	}
	return peer.Unmap().String()
}

// Secure reports whether the client reached us over HTTPS: directly, or through a trusted
// proxy that says so.
func (ps Proxies) Secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	peer, err := netip.ParseAddr(host)
	return err == nil && ps.trusted(peer) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// Base wraps every handler: it records the client, whether the connection is secure and a
// request id, and sets the security headers every response carries.
func Base(ps Proxies, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		secure := ps.Secure(r)
		cl := auth.Client{IP: ps.ClientIP(r), UserAgent: r.UserAgent()}
		ctx := context.WithValue(r.Context(), keyClient, cl)
		ctx = context.WithValue(ctx, keyRequestID, id)
		ctx = context.WithValue(ctx, keySecure, secure)
		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.Set("Content-Security-Policy", CSP)
		if secure {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// CSP allows only the site's own scripts, styles and images (plus inline data: images for
// QR codes), no framing, no plugins and no form posts elsewhere.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Client returns where the request came from.
func Client(r *http.Request) auth.Client {
	c, _ := r.Context().Value(keyClient).(auth.Client)
	return c
}

// IsSecure reports whether the request came over HTTPS.
func IsSecure(r *http.Request) bool {
	s, _ := r.Context().Value(keySecure).(bool)
	return s
}

// RequestID returns the id logged with the request.
func RequestID(r *http.Request) string {
	s, _ := r.Context().Value(keyRequestID).(string)
	return s
}

// WithPrincipal stores the authenticated person in the request.
func WithPrincipal(r *http.Request, p auth.Principal) *http.Request {
	p.Client = Client(r)
	return r.WithContext(context.WithValue(r.Context(), keyPrincipal, p))
}

// Principal returns the authenticated person, if any.
func Principal(r *http.Request) (auth.Principal, bool) {
	p, ok := r.Context().Value(keyPrincipal).(auth.Principal)
	return p, ok
}

// MustPrincipal returns the authenticated person; only for handlers behind authentication.
func MustPrincipal(r *http.Request) auth.Principal {
	p, ok := Principal(r)
	if !ok {
		panic("handler reached without authentication")
	}
	return p
}

// Lang returns the language of the request: the person's own, else ja.
func Lang(r *http.Request) model.Lang {
	if p, ok := Principal(r); ok && p.User.Lang != "" {
		return p.User.Lang
	}
	return model.LangJA
}
