package web

import (
	"encoding/base64"
	"html/template"
	"net/http"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/model"
)

type totpData struct {
	Enabled      bool
	Pending      bool
	QR           template.URL
	Secret       string
	Required     bool
	Codes        []string
	RecoveryLeft int
	MustEnrol    bool
}

func (web *Web) totpData(r *http.Request, pr auth.Principal) (*totpData, error) {
	req, err := web.app.Auth.TOTPRequired(r.Context(), pr.User)
	if err != nil {
		return nil, err
	}
	d := &totpData{Enabled: pr.User.TOTPEnabled, Required: req, MustEnrol: pr.Session.Stage == model.StageEnrol}
	if d.Enabled {
		d.RecoveryLeft, err = web.app.Auth.RecoveryCodesLeft(r.Context(), pr)
		return d, err
	}
	uri, secret, err := web.app.Auth.PendingTOTP(r.Context(), pr)
	if fault.Is(err, fault.NotFound) {
		return d, nil
	}
	if err != nil {
		return nil, err
	}
	png, err := auth.QRCodePNG(uri)
	if err != nil {
		return nil, err
	}
	d.Pending, d.Secret = true, secret
	// A data: URL built here from our own PNG bytes; the CSP allows data: images.
	d.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	return d, nil
}

func (web *Web) renderTOTP(w http.ResponseWriter, r *http.Request, status int, edit func(*page, *totpData)) {
	pr := httpx.MustPrincipal(r)
	d, err := web.totpData(r, pr)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "totp.title", "profile")
	p.Data = d
	if edit != nil {
		edit(p, d)
	}
	web.render(w, r, status, "totp", p)
}

func (web *Web) totpPage(w http.ResponseWriter, r *http.Request) {
	web.renderTOTP(w, r, http.StatusOK, nil)
}

func (web *Web) totpBegin(w http.ResponseWriter, r *http.Request) {
	if _, _, err := web.app.Auth.BeginTOTP(r.Context(), httpx.MustPrincipal(r)); err != nil {
		web.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/profile/2fa", http.StatusSeeOther)
}

func (web *Web) totpConfirm(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	codes, fresh, err := web.app.Auth.ConfirmTOTP(r.Context(), pr, r.PostFormValue("code"), client(r))
	if err != nil {
		web.totpFailed(w, r, err)
		return
	}
	if fresh.Secret != "" {
		web.setCookie(w, r, sessionCookie, fresh.Secret, 0)
		// The page below must carry the new session's CSRF token.
		r = httpx.WithPrincipal(r, auth.Principal{User: pr.User, Org: pr.Org, Actor: pr.Actor, Session: fresh.Session})
	}
	web.showCodes(w, r, codes, "flash.totp_enabled")
}

func (web *Web) showCodes(w http.ResponseWriter, r *http.Request, codes []string, flash string) {
	p := web.newPage(w, r, "totp.codes_title", "profile")
	p.Flash = p.T(flash)
	p.Data = &totpData{Enabled: true, Codes: codes}
	web.render(w, r, http.StatusOK, "codes", p)
}

func (web *Web) totpFailed(w http.ResponseWriter, r *http.Request, err error) {
	kind := fault.KindOf(err)
	if kind == fault.Internal {
		web.fail(w, r, err)
		return
	}
	web.renderTOTP(w, r, statusOf(kind), func(p *page, d *totpData) { p.setErrors(err) })
}

func (web *Web) totpDisable(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	if err := web.app.Auth.DisableTOTP(r.Context(), pr, r.PostFormValue("current_password"), client(r)); err != nil {
		web.totpFailed(w, r, err)
		return
	}
	web.redirectFlash(w, r, "/profile/2fa", "flash.totp_disabled")
}

func (web *Web) totpRecovery(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	codes, err := web.app.Auth.RegenerateRecoveryCodes(r.Context(), pr, r.PostFormValue("current_password"), client(r))
	if err != nil {
		web.totpFailed(w, r, err)
		return
	}
	web.showCodes(w, r, codes, "flash.codes_regenerated")
}
