package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/renkei-dev/renkei/internal/auth"
	"github.com/renkei-dev/renkei/internal/directory"
	"github.com/renkei-dev/renkei/internal/fault"
	"github.com/renkei-dev/renkei/internal/httpx"
	"github.com/renkei-dev/renkei/internal/model"
	"github.com/renkei-dev/renkei/internal/policy"
	"github.com/renkei-dev/renkei/internal/store"
)

type adminUsersData struct {
	People []model.User
	Org    *model.Org
	Text   string
	Next   int64
}

// adminOrgScope returns the organization whose people the page lists: the one asked for
// (center admins), else the principal's own.
func adminOrgScope(r *http.Request, pr auth.Principal) int64 {
	if id, err := strconv.ParseInt(r.URL.Query().Get("org"), 10, 64); err == nil && id > 0 && policy.CanManagePeopleOf(pr.Actor, id) {
		return id
	}
	if pr.Actor.IsCenterAdmin() {
		return 0
	}
	return pr.User.OrgID
}

func (web *Web) adminUsers(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	if !policy.CanManagePeopleOf(pr.Actor, pr.User.OrgID) {
		web.renderError(w, r, http.StatusForbidden, "error.forbidden")
		return
	}
	orgID := adminOrgScope(r, pr)
	d := adminUsersData{Text: r.URL.Query().Get("q")}
	if orgID != 0 {
		o, err := web.app.Directory.GetOrg(r.Context(), pr, orgID)
		if err != nil {
			web.fail(w, r, err)
			return
		}
		d.Org = &o
	}
	users, err := web.app.Directory.ListUsers(r.Context(), pr, directory.UserQuery{OrgID: orgID, Text: d.Text, IncludeDisabled: true,
		Page: store.Page{After: afterParam(r), Limit: pageSize}})
	if err != nil {
		web.fail(w, r, err)
		return
	}
	d.People, d.Next = users, nextCursor(users, func(u model.User) int64 { return u.ID })
	p := web.newPage(w, r, "admin.users", "admin")
	p.Data = d
	web.render(w, r, http.StatusOK, "admin_users", p)
}

type userFormData struct {
	User      model.User
	Org       model.Org
	OrgRef    string
	Roles     []model.Role
	TimeZones []string
	New       bool
	Link      string // a one-time link just made, shown once
	LinkHours int
	Input     directory.UserInput
}

func (web *Web) grantableRoles(pr auth.Principal, org model.Org) []model.Role {
	var out []model.Role
	for _, role := range model.Roles {
		if policy.CanGrantRole(pr.Actor, role, org.ID, org.Kind) {
			out = append(out, role)
		}
	}
	return out
}

func (web *Web) renderUserForm(w http.ResponseWriter, r *http.Request, status int, d userFormData, err error) {
	pr := httpx.MustPrincipal(r)
	titleKey := "admin.user_edit"
	if d.New {
		titleKey = "admin.user_new"
	}
	p := web.newPage(w, r, titleKey, "admin")
	d.Roles, d.TimeZones = web.grantableRoles(pr, d.Org), commonTimeZones
	if d.New && d.Org.ID == 0 {
		d.Roles = model.Roles
	}
	if err != nil {
		p.setErrors(err)
	}
	p.Data = d
	web.render(w, r, status, "admin_user", p)
}

func (web *Web) adminUserNew(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	d := userFormData{New: true, Input: directory.UserInput{Role: string(model.RoleMember), Lang: string(model.LangJA), TimeZone: model.DefaultTimeZone}}
	orgID := adminOrgScope(r, pr)
	if !policy.CanManagePeopleOf(pr.Actor, pr.User.OrgID) || (orgID == 0 && !pr.Actor.IsCenterAdmin()) {
		web.renderError(w, r, http.StatusForbidden, "error.forbidden")
		return
	}
	if orgID != 0 {
		o, err := web.app.Directory.GetOrg(r.Context(), pr, orgID)
		if err != nil {
			web.fail(w, r, err)
			return
		}
		d.Org, d.OrgRef = o, itoa(o.ID)
	}
	web.renderUserForm(w, r, http.StatusOK, d, nil)
}

func (web *Web) adminUserCreate(w http.ResponseWriter, r *http.Request) {
	pr := httpx.MustPrincipal(r)
	d := userFormData{New: true, OrgRef: strings.TrimSpace(r.PostFormValue("org")), Input: directory.UserInput{
		Email: r.PostFormValue("email"), DisplayName: r.PostFormValue("display_name"), Role: r.PostFormValue("role"),
		Lang: r.PostFormValue("lang"), TimeZone: r.PostFormValue("time_zone"),
	}}
	if !pr.Actor.IsCenterAdmin() {
		d.OrgRef = itoa(pr.User.OrgID)
	}
	org, err := web.app.Directory.FindOrg(r.Context(), pr, d.OrgRef)
	if err != nil {
		web.userFormFailed(w, r, d, fault.As(err).WithField("org"))
		return
	}
	d.Org, d.Input.OrgID = org, org.ID
	u, err := web.app.Directory.CreateUser(r.Context(), pr, d.Input)
	if err != nil {
		web.userFormFailed(w, r, d, err)
		return
	}
	web.showLink(w, r, u, org, auth.LinkWelcome, "flash.user_created")
}

func (web *Web) userFormFailed(w http.ResponseWriter, r *http.Request, d userFormData, err error) {
	kind := fault.KindOf(err)
	if kind == fault.Internal {
		web.fail(w, r, err)
		return
	}
	if kind != fault.Invalid {
		if fe := fault.As(err); fe.Field == "" {
			err = fe.WithField("form")
		}
	}
	web.renderUserForm(w, r, statusOf(kind), d, err)
}

// showLink makes a one-time link for the person and shows it once on their page.
func (web *Web) showLink(w http.ResponseWriter, r *http.Request, u model.User, org model.Org, purpose, flash string) {
	pr := httpx.MustPrincipal(r)
	secret, _, err := web.app.Auth.CreateLink(r.Context(), pr, u, purpose)
	if err != nil {
		web.fail(w, r, err)
		return
	}
	d := userFormData{User: u, Org: org, Input: userInputFrom(u), Link: web.app.Config.PublicURL() + "/welcome/" + secret,
		LinkHours: int(web.app.Auth.Config().LinkTTL.Hours())}
	p := web.newPage(w, r, "admin.user_edit", "admin")
	p.Flash = p.T(flash)
	d.Roles, d.TimeZones = web.grantableRoles(pr, org), commonTimeZones
	p.Data = d
	web.render(w, r, http.StatusOK, "admin_user", p)
}

func userInputFrom(u model.User) directory.UserInput {
	return directory.UserInput{OrgID: u.OrgID, Email: u.Email, DisplayName: u.DisplayName, Role: string(u.Role()),
		Lang: string(u.Lang), TimeZone: u.TimeZone}
}

// managedUser loads a person the principal administers, with their organization.
func (web *Web) managedUser(w http.ResponseWriter, r *http.Request) (model.User, model.Org, bool) {
	pr := httpx.MustPrincipal(r)
	u, err := web.app.Directory.ManagedUser(r.Context(), pr, idParam(r, "id"))
	if err != nil {
		web.fail(w, r, err)
		return u, model.Org{}, false
	}
	o, err := web.app.Directory.GetOrg(r.Context(), pr, u.OrgID)
	if err != nil {
		web.fail(w, r, err)
		return u, o, false
	}
	return u, o, true
}

func (web *Web) adminUser(w http.ResponseWriter, r *http.Request) {
	u, o, ok := web.managedUser(w, r)
	if !ok {
		return
	}
	web.renderUserForm(w, r, http.StatusOK, userFormData{User: u, Org: o, Input: userInputFrom(u)}, nil)
}

func (web *Web) adminUserUpdate(w http.ResponseWriter, r *http.Request) {
	u, o, ok := web.managedUser(w, r)
	if !ok {
		return
	}
	in := directory.UserInput{Email: r.PostFormValue("email"), DisplayName: r.PostFormValue("display_name"),
		Role: r.PostFormValue("role"), Lang: r.PostFormValue("lang"), TimeZone: r.PostFormValue("time_zone")}
	disabled := r.PostFormValue("disabled") == "on"
	_, err := web.app.Directory.UpdateUser(r.Context(), httpx.MustPrincipal(r), u.ID, directory.UserPatch{
		Email: &in.Email, DisplayName: &in.DisplayName, Role: &in.Role, Lang: &in.Lang, TimeZone: &in.TimeZone, Disabled: &disabled,
	})
	if err != nil {
		u.Disabled = disabled
		web.userFormFailed(w, r, userFormData{User: u, Org: o, Input: in}, err)
		return
	}
	web.redirectFlash(w, r, "/admin/users/"+itoa(u.ID), "flash.user_saved")
}

func (web *Web) adminUserLink(w http.ResponseWriter, r *http.Request) {
	u, o, ok := web.managedUser(w, r)
	if !ok {
		return
	}
	web.showLink(w, r, u, o, auth.LinkReset, "flash.link_created")
}

func (web *Web) adminUserResetTOTP(w http.ResponseWriter, r *http.Request) {
	u, _, ok := web.managedUser(w, r)
	if !ok {
		return
	}
	if err := web.app.Auth.ResetTOTP(r.Context(), httpx.MustPrincipal(r), u); err != nil {
		web.fail(w, r, err)
		return
	}
	web.redirectFlash(w, r, "/admin/users/"+itoa(u.ID), "flash.totp_reset")
}
