package web

import (
	"net/http"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/i18n"
	"github.com/renkei-dev/renkei/internal/model"
)

type signInForm struct {
	Email string
	Next  string
	Error string
}

func (web *Web) renderSignIn(w http.ResponseWriter, r *http.Request, status int, f signInForm) {
	p := web.newPage(w, r, "signin.title", "")
	p.FormError = f.Error
	p.Data = f
	web.render(w, r, status, "signin", p)
}

// signInPage shows the sign-in form, or goes home when already signed in.
func (web *Web) signInPage(w http.ResponseWriter, r *http.Request) {
	if _, err := web.app.Auth.Session(r.Context(), cookieValue(r, sessionCookie)); err == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	web.renderSignIn(w, r, http.StatusOK, signInForm{Next: safeNext(r.URL.Query().Get("next"))})
}

// signInPost checks the password and moves on to the second factor when there is one.
func (web *Web) signInPost(w http.ResponseWriter, r *http.Request) {
	f := signInForm{Email: r.PostFormValue("email"), Next: safeNext(r.PostFormValue("next"))}
	if !web.checkFormToken(r) {
		f.Error = i18n.T(anonLang(r), "csrf.failed")
		web.renderSignIn(w, r, http.StatusForbidden, f)
		return
	}
	res, err := web.app.Auth.SignIn(r.Context(), f.Email, r.PostFormValue("password"), client(r))
	if err != nil {
		web.signInFailed(w, r, f, err)
		return
	}
	web.startSession(w, r, res, f.Next)
}

// signInFailed shows the one message that does not say whether the account exists.
func (web *Web) signInFailed(w http.ResponseWriter, r *http.Request, f signInForm, err error) {
	fe := fault.As(err)
	switch fe.Kind {
	case fault.Unauthorized, fault.RateLimited, fault.Unavailable:
		f.Error = i18n.Error(anonLang(r), fe)
		web.renderSignIn(w, r, statusOf(fe.Kind), f)
	default:
		web.fail(w, r, err)
	}
}

// startSession sets the cookie of a new session and sends the person to the next step.
func (web *Web) startSession(w http.ResponseWriter, r *http.Request, res auth.SignedIn, next string) {
	switch res.Session.Stage {
	case model.StageTOTP:
		web.setCookie(w, r, pendingCookie, res.Secret, web.app.Auth.Config().PendingTTL)
		http.Redirect(w, r, "/signin/2fa?next="+urlQuery(next), http.StatusSeeOther)
	case model.StageEnrol:
		web.setCookie(w, r, sessionCookie, res.Secret, 0)
		web.redirectFlash(w, r, "/profile/2fa", "flash.enrol_required")
	default:
		web.setCookie(w, r, pendingCookie, "", -1)
		web.setCookie(w, r, sessionCookie, res.Secret, 0)
		http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
	}
}

type secondFactorForm struct {
	Next  string
	Error string
}

func (web *Web) secondFactorPage(w http.ResponseWriter, r *http.Request) {
	if cookieValue(r, pendingCookie) == "" {
		http.Redirect(w, r, "/signin", http.StatusSeeOther)
		return
	}
	p := web.newPage(w, r, "signin2fa.title", "")
	p.Data = secondFactorForm{Next: safeNext(r.URL.Query().Get("next"))}
	web.render(w, r, http.StatusOK, "signin_2fa", p)
}

func (web *Web) secondFactorPost(w http.ResponseWriter, r *http.Request) {
	f := secondFactorForm{Next: safeNext(r.PostFormValue("next"))}
	p := web.newPage(w, r, "signin2fa.title", "")
	p.Data = &f
	if !web.checkFormToken(r) {
		p.FormError = p.T("csrf.failed")
		web.render(w, r, http.StatusForbidden, "signin_2fa", p)
		return
	}
	res, err := web.app.Auth.SecondFactor(r.Context(), cookieValue(r, pendingCookie), r.PostFormValue("code"), client(r))
	if err != nil {
		fe := fault.As(err)
		if fe.Key == "signin.pending_expired" {
			web.setCookie(w, r, pendingCookie, "", -1)
			web.renderSignIn(w, r, http.StatusUnauthorized, signInForm{Next: f.Next, Error: i18n.Error(anonLang(r), fe)})
			return
		}
		if fe.Kind == fault.Unauthorized {
			fe = fault.New(fault.Unauthorized, "signin2fa.failed")
		}
		if fe.Kind == fault.Internal {
			web.fail(w, r, err)
			return
		}
		p.FormError = i18n.Error(p.Lang, fe)
		web.render(w, r, statusOf(fe.Kind), "signin_2fa", p)
		return
	}
	web.startSession(w, r, res, f.Next)
}

func (web *Web) signOut(w http.ResponseWriter, r *http.Request) {
	p := httpx.MustPrincipal(r)
	if err := web.app.Auth.SignOut(r.Context(), p, client(r)); err != nil {
		web.fail(w, r, err)
		return
	}
	web.setCookie(w, r, sessionCookie, "", -1)
	web.setCookie(w, r, langCookie, string(p.User.Lang), 365*24*time.Hour)
	web.redirectFlash(w, r, "/signin", "flash.signed_out")
}

// setLang switches the language of pages shown before sign-in.
func (web *Web) setLang(w http.ResponseWriter, r *http.Request) {
	if !web.checkFormToken(r) {
		web.renderError(w, r, http.StatusForbidden, "csrf.failed")
		return
	}
	l, err := model.ParseLang(r.PostFormValue("lang"))
	if err != nil {
		web.fail(w, r, err)
		return
	}
	web.setCookie(w, r, langCookie, string(l), 365*24*time.Hour)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

type welcomeForm struct {
	Token string
	User  model.User
}

// welcomePage lets a person with a one-time link choose a password.
func (web *Web) welcomePage(w http.ResponseWriter, r *http.Request) {
	u, err := web.app.Auth.LinkUser(r.Context(), r.PathValue("token"))
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "welcome.title", "")
	p.Data = welcomeForm{Token: r.PathValue("token"), User: u}
	web.render(w, r, http.StatusOK, "welcome", p)
}

func (web *Web) welcomePost(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	p := web.newPage(w, r, "welcome.title", "")
	if !web.checkFormToken(r) {
		web.renderError(w, r, http.StatusForbidden, "csrf.failed")
		return
	}
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		u, err := web.app.Auth.LinkUser(r.Context(), token)
		if err != nil {
			web.fail(w, r, err)
			return
		}
		p.Data = welcomeForm{Token: token, User: u}
		p.Errors["password2"] = p.T("password.mismatch")
		p.FormError = p.T("form.has_errors")
		web.render(w, r, http.StatusUnprocessableEntity, "welcome", p)
		return
	}
	u, err := web.app.Auth.UseLink(r.Context(), token, r.PostFormValue("password"), client(r))
	if err != nil {
		if fault.KindOf(err) != fault.Invalid {
			web.fail(w, r, err)
			return
		}
		p.Data = welcomeForm{Token: token, User: u}
		p.setErrors(err)
		web.render(w, r, http.StatusUnprocessableEntity, "welcome", p)
		return
	}
	web.redirectFlash(w, r, "/signin", "flash.password_set")
}
