package web

import (
	"net/http"
	"time"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/model"
)

type profileData struct {
	User          model.User
	TimeZones     []string
	Tokens        []model.Token
	Sessions      []model.Session
	CurrentHash   string
	NewToken      string
	NewTokenName  string
	TOTPRequired  bool
	RecoveryLeft  int
	PasswordError bool
}

// commonTimeZones are offered in the picker; any IANA name is accepted.
var commonTimeZones = []string{"Asia/Tokyo", "UTC", "Asia/Seoul", "Asia/Shanghai", "Asia/Singapore", "Asia/Kolkata",
	"Australia/Sydney", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago",
	"America/Los_Angeles", "Pacific/Honolulu"}

func (web *Web) profileData(r *http.Request, pr auth.Principal) (*profileData, error) {
	ctx := r.Context()
	tokens, err := web.app.Auth.Tokens(ctx, pr.User.ID)
	if err != nil {
		return nil, err
	}
	sessions, err := web.app.Auth.Sessions(ctx, pr)
	if err != nil {
		return nil, err
	}
	req, err := web.app.Auth.TOTPRequired(ctx, pr.User)
	if err != nil {
		return nil, err
	}
	left, err := web.app.Auth.RecoveryCodesLeft(ctx, pr)
	if err != nil {
		return nil, err
	}
	return &profileData{User: pr.User, TimeZones: commonTimeZones, Tokens: tokens, Sessions: sessions,
		CurrentHash: pr.Session.IDHash, TOTPRequired: req, RecoveryLeft: left}, nil
}

func (web *Web) renderProfile(w http.ResponseWriter, r *http.Request, status int, edit func(*page, *profileData)) {
	pr := httpx.MustPrincipal(r)
	d, err := web.profileData(r, pr)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	p := web.newPage(w, r, "profile.title", "profile")
	p.Data = d
	if edit != nil {
		edit(p, d)
	}
	web.render(w, r, status, "profile", p)
}

func (web *Web) profile(w http.ResponseWriter, r *http.Request) {
	web.renderProfile(w, r, http.StatusOK, nil)
}

func (web *Web) profilePost(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	in := directory.ProfileInput{DisplayName: r.PostFormValue("display_name"), Lang: r.PostFormValue("lang"), TimeZone: r.PostFormValue("time_zone")}
	if _, err := web.app.Directory.UpdateProfile(r.Context(), pr, in); err != nil {
		web.formFailed(w, r, err, func(p *page, d *profileData) {
			d.User.DisplayName, d.User.Lang, d.User.TimeZone = in.DisplayName, model.Lang(in.Lang), in.TimeZone
		})
		return
	}
	web.redirectFlash(w, r, "/profile", "flash.profile_saved")
}

// formFailed re-renders the profile with a form's errors (Invalid) or fails the request.
func (web *Web) formFailed(w http.ResponseWriter, r *http.Request, err error, edit func(*page, *profileData)) {
	kind := fault.KindOf(err)
	if kind == fault.Internal || kind == fault.NotFound {
		web.fail(w, r, err)
		return
	}
	web.renderProfile(w, r, statusOf(kind), func(p *page, d *profileData) {
		p.setErrors(err)
		if edit != nil {
			edit(p, d)
		}
	})
}

func (web *Web) passwordPost(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	next := r.PostFormValue("new_password")
	if next != r.PostFormValue("new_password2") {
		web.formFailed(w, r, fault.Field("new_password2", "password.mismatch"), nil)
		return
	}
	err := web.app.Auth.ChangePassword(r.Context(), pr, r.PostFormValue("current_password"), next, client(r))
	if err != nil {
		if fe := fault.As(err); fe.Field == "password" {
			err = fe.WithField("new_password")
		}
		web.formFailed(w, r, err, nil)
		return
	}
	web.redirectFlash(w, r, "/profile", "flash.password_changed")
}

func (web *Web) tokenCreate(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	secret, t, err := web.app.Auth.CreateToken(r.Context(), pr, pr.User.ID, r.PostFormValue("name"))
	if err != nil {
		web.formFailed(w, r, prefixField(err, "token_"), nil)
		return
	}
	web.renderProfile(w, r, http.StatusOK, func(p *page, d *profileData) {
		d.NewToken, d.NewTokenName = secret, t.Name
		p.Flash = p.T("flash.token_created")
	})
}

func (web *Web) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	if err := web.app.Auth.RevokeToken(r.Context(), pr, idParam(r, "id")); err != nil {
		web.fail(w, r, err)
		return
	}
	web.redirectFlash(w, r, "/profile#tokens", "flash.token_revoked")
}

func (web *Web) signOutEverywhere(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	if _, err := web.app.Auth.SignOutEverywhere(r.Context(), pr, client(r)); err != nil {
		web.fail(w, r, err)
		return
	}
	web.setCookie(w, r, sessionCookie, "", -1)
	web.setCookie(w, r, langCookie, string(pr.User.Lang), 365*24*time.Hour)
	web.redirectFlash(w, r, "/signin", "flash.signed_out_everywhere")
}

// prefixField renames the fields of an error so they match a form's field names.
func prefixField(err error, prefix string) error {
	var l fault.List
	for _, fe := range fault.Fields(err) {
		if fe.Field != "" {
			fe = fe.WithField(prefix + fe.Field)
		}
		l = append(l, fe)
	}
	if len(l) == 1 && l[0].Kind != fault.Invalid {
		return l[0]
	}
	return l.Err()
}
