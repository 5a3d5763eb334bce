package web

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
)

// templates holds one parsed set per page: the layout plus that page's content.
type templates struct{ pages map[string]*template.Template }

var funcs = template.FuncMap{
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
}

func parseTemplates() (*templates, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(assets, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	t := &templates{pages: map[string]*template.Template{}}
	for _, n := range names {
		clone, err := layout.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := clone.ParseFS(assets, n); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		t.pages[strings.TrimSuffix(path.Base(n), ".html")] = clone
	}
	return t, nil
}

// page is what every template receives.
type page struct {
	Lang      model.Lang
	TitleKey  string
	Nav       string
	User      *model.User
	Org       *model.Org
	Actor     policy.Actor
	CSRF      string
	Flash     string
	FormError string
	Errors    map[string]string
	Data      any
	Path      string
	// UnreadNotices is how many observation notices the reader's organization has not read.
	UnreadNotices int
	loc           *time.Location

	// OnCall: the reader is on call now, and every page shows the live alert of a new case
	// (oncall_live.go), following the stream from OnCallFrom.
	OnCall     bool
	OnCallFrom int64
}

// T translates a catalog key in the page's language.
func (p *page) T(key string, args ...any) string { return i18n.T(p.Lang, key, args...) }

// Title is the translated page title.
func (p *page) Title() string { return p.T(p.TitleKey) }

// Time formats a time in the reader's time zone; the zero time shows as a dash.
func (p *page) Time(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(p.loc).Format("2006-01-02 15:04 MST")
}

// ISO formats a time for a datetime attribute.
func (p *page) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Err returns the message for a form field, if it is at fault.
func (p *page) Err(field string) string { return p.Errors[field] }

// IsCenterAdmin and friends let templates show what the policy allows, never decide it.
func (p *page) IsCenterAdmin() bool   { return policy.CanManageOrgs(p.Actor) }
func (p *page) CanManagePeople() bool { return policy.CanManagePeopleOf(p.Actor, p.Actor.OrgID) }
func (p *page) CanReadAudit() bool    { return policy.CanReadAudit(p.Actor) }

// OrgName returns an organization's name in the page's language.
func (p *page) OrgName(o model.Org) string { return o.Name(p.Lang) }

// Pick returns ja or en text by the page's language, falling back to the other.
func (p *page) Pick(ja, en string) string {
	if p.Lang == model.LangEN && en != "" {
		return en
	}
	if ja == "" {
		return en
	}
	return ja
}

// newPage prepares a page for the request's person and language.
func (web *Web) newPage(w http.ResponseWriter, r *http.Request, titleKey, nav string) *page {
	p := &page{Lang: lang(r), TitleKey: titleKey, Nav: nav, Path: r.URL.Path, Errors: map[string]string{}, loc: model.LoadLocation("")}
	if pr, ok := httpx.Principal(r); ok {
		u, o := pr.User, pr.Org
		p.User, p.Org, p.Actor, p.CSRF = &u, &o, pr.Actor, pr.Session.CSRF
		p.loc = u.Location()
		p.UnreadNotices, _ = web.app.Observe.UnreadCount(r.Context(), pr) // a badge: no page fails for it
		if p.OnCall = web.onCallNow(r.Context(), pr); p.OnCall {
			p.OnCallFrom = web.liveFrom()
		}
	} else {
		p.CSRF = web.formToken(w, r)
	}
	if key := cookieValue(r, flashCookie); key != "" {
		web.setCookie(w, r, flashCookie, "", -1)
		if i18n.Has(p.Lang, key) && strings.HasPrefix(key, "flash.") {
			p.Flash = p.T(key)
		}
	}
	return p
}

// setErrors fills the page's field messages from a service error, and a general message
// for errors that name no field.
func (p *page) setErrors(err error) {
	for _, fe := range fault.Fields(err) {
		msg := i18n.Format(p.Lang, fe.Key, fe.Args)
		if fe.Field != "" {
			if _, ok := p.Errors[fe.Field]; !ok {
				p.Errors[fe.Field] = msg
			}
			continue
		}
		if p.FormError == "" {
			p.FormError = msg
		}
	}
	if p.FormError == "" && len(p.Errors) > 0 {
		p.FormError = p.T("form.has_errors")
	}
}

// render writes a page; a template failure is logged and becomes a plain 500.
func (web *Web) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := web.pages.pages[name]
	if !ok {
		web.log.Error("no such template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		web.log.Error("template failed", "name", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderError shows an error page with a catalog message.
func (web *Web) renderError(w http.ResponseWriter, r *http.Request, status int, key string) {
	web.renderErrorMsg(w, r, status, i18n.T(lang(r), key))
}

func (web *Web) renderErrorMsg(w http.ResponseWriter, r *http.Request, status int, msg string) {
	p := web.newPage(w, r, "error.title", "")
	p.FormError = msg
	p.Data = status
	web.render(w, r, status, "error", p)
}

// redirectFlash redirects after a successful post, carrying a message key to show once.
func (web *Web) redirectFlash(w http.ResponseWriter, r *http.Request, to, flashKey string) {
	if flashKey != "" {
		web.setCookie(w, r, flashCookie, flashKey, time.Minute)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
