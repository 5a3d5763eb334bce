// Package web serves the HTML pages: server-rendered templates in Japanese and English,
// with sessions, CSRF protection and forms that keep what was typed when they fail.
// Handlers call services only; the policy package decides what each person sees.
package web

import (
	"crypto/subtle"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/app"
	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
)

//go:embed templates static
var assets embed.FS

// Web is the page handler set.
type Web struct {
	app   *app.App
	log   *slog.Logger
	pages *templates
}

// New parses the templates and returns the handler set.
func New(a *app.App) (*Web, error) {
	t, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	return &Web{app: a, log: a.Log, pages: t}, nil
}

// Static returns the embedded static files.
func Static() fs.FS {
	sub, _ := fs.Sub(assets, "static")
	return sub
}

// cookie names; the session cookie takes the __Host- prefix under HTTPS.
const (
	sessionCookie = "renkei_session"
	pendingCookie = "renkei_pending"
	formCookie    = "renkei_form"
	langCookie    = "renkei_lang"
	flashCookie   = "renkei_flash"
)

func cookieName(r *http.Request, base string) string {
	if httpx.IsSecure(r) {
		return "__Host-" + base
	}
	return base
}

func (web *Web) setCookie(w http.ResponseWriter, r *http.Request, base, value string, maxAge time.Duration) {
	c := &http.Cookie{
		Name: cookieName(r, base), Value: value, Path: "/", HttpOnly: true,
		Secure: httpx.IsSecure(r), SameSite: http.SameSiteLaxMode,
	}
	if maxAge < 0 {
		c.MaxAge = -1
	} else if maxAge > 0 {
		c.MaxAge = int(maxAge.Seconds())
	}
	http.SetCookie(w, c)
}

func cookieValue(r *http.Request, base string) string {
	c, err := r.Cookie(cookieName(r, base))
	if err != nil {
		return ""
	}
	return c.Value
}

// requireSession wraps handlers for signed-in people. A missing or expired session sends
// a page request to the sign-in form (and a form post to it with a message, changing
// nothing); a session waiting for its second factor goes to that step; one that must
// enrol a second factor may only reach the enrolment pages.
func (web *Web) requireSession(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := web.app.Auth.Session(r.Context(), cookieValue(r, sessionCookie))
		if err != nil {
			if !fault.Is(err, fault.Unauthorized) {
				web.fail(w, r, err)
				return
			}
			web.setCookie(w, r, sessionCookie, "", -1)
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			web.renderSignIn(w, r, http.StatusUnauthorized, signInForm{Error: i18n.T(anonLang(r), "session.expired")})
			return
		}
		r = httpx.WithPrincipal(r, p)
		if p.Session.Stage == model.StageEnrol && !enrolPath(r.URL.Path) {
			http.Redirect(w, r, "/profile/2fa", http.StatusSeeOther)
			return
		}
		if p.Session.Stage == model.StageTOTP {
			http.Redirect(w, r, "/signin/2fa", http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !web.checkCSRF(r, p.Session.CSRF) {
			web.renderError(w, r, http.StatusForbidden, "csrf.failed")
			return
		}
		next(w, r)
	}
}

func enrolPath(p string) bool {
	return strings.HasPrefix(p, "/profile/2fa") || p == "/signout"
}

// checkCSRF compares the form's token with the expected one in constant time.
func (web *Web) checkCSRF(r *http.Request, want string) bool {
	got := r.PostFormValue("csrf")
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// formToken returns the double-submit token of forms shown before sign-in, setting its
// cookie when missing.
func (web *Web) formToken(w http.ResponseWriter, r *http.Request) string {
	if v := cookieValue(r, formCookie); len(v) >= 32 {
		return v
	}
	v := randomToken()
	web.setCookie(w, r, formCookie, v, 0)
	return v
}

// checkFormToken verifies a form posted before sign-in.
func (web *Web) checkFormToken(r *http.Request) bool {
	return web.checkCSRF(r, cookieValue(r, formCookie))
}

// anonLang is the language for people not signed in: their choice, else the browser's.
func anonLang(r *http.Request) model.Lang {
	if l, err := model.ParseLang(cookieValue(r, langCookie)); err == nil {
		return l
	}
	return i18n.Match(r.Header.Get("Accept-Language"))
}

// lang is the language of a request, signed in or not.
func lang(r *http.Request) model.Lang {
	if p, ok := httpx.Principal(r); ok && p.User.Lang != "" {
		return p.User.Lang
	}
	return anonLang(r)
}

// withSession adds the principal of a full session, when the request has one, to a request
// that did not pass requireSession, so that its error page is in the person's language.
func (web *Web) withSession(r *http.Request) *http.Request {
	if _, ok := httpx.Principal(r); ok {
		return r
	}
	p, err := web.app.Auth.Session(r.Context(), cookieValue(r, sessionCookie))
	if err != nil || p.Session.Stage != model.StageFull {
		return r
	}
	return httpx.WithPrincipal(r, p)
}

// fail renders a service error as a page in the reader's language.
func (web *Web) fail(w http.ResponseWriter, r *http.Request, err error) {
	fe := fault.As(err)
	status := statusOf(fe.Kind)
	if status >= 500 {
		// The route, not the path: paths may carry one-time secrets (/welcome/{token}).
		web.log.Error("request failed", "route", r.Pattern, "request_id", httpx.RequestID(r), "err", err)
	}
	web.renderErrorMsg(w, r, status, i18n.Error(lang(r), fe))
}

func statusOf(k fault.Kind) int {
	switch k {
	case fault.Invalid:
		return http.StatusUnprocessableEntity
	case fault.NotFound:
		return http.StatusNotFound
	case fault.Conflict:
		return http.StatusConflict
	case fault.Forbidden:
		return http.StatusForbidden
	case fault.Unauthorized:
		return http.StatusUnauthorized
	case fault.RateLimited:
		return http.StatusTooManyRequests
	case fault.TooLarge:
		return http.StatusRequestEntityTooLarge
	case fault.Unsupported:
		return http.StatusUnsupportedMediaType
	case fault.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// limitBody bounds form bodies; parse errors from an oversized body become a 413 page.
func (web *Web) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, web.app.Config.MaxBodyBytes)
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					web.renderError(w, web.withSession(r), http.StatusRequestEntityTooLarge, "error.too_large")
					return
				}
				web.renderError(w, web.withSession(r), http.StatusBadRequest, "error.bad_form")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// idParam reads a numeric path value; 0 when it is not a positive number.
func idParam(r *http.Request, name string) int64 {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		return 0
	}
	return v
}

// safeNext keeps a post-sign-in redirect on this site. Control characters are refused:
// browsers drop tabs and newlines from a Location, so "/\t/evil.example" would lead away.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "/"
	}
	return next
}

// client returns the request's client for services.
func client(r *http.Request) auth.Client { return httpx.Client(r) }

func urlQuery(s string) string { return url.QueryEscape(s) }

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func parseID(s string) (int64, error) { return strconv.ParseInt(strings.TrimSpace(s), 10, 64) }
